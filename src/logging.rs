//! File logging with `tracing`: everything goes to `eventdeck.log` in the data
//! dir, never to the terminal (the console owns it; headless output is data).

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The log file's name in the data dir.
pub const LOG_FILE: &str = "eventdeck.log";

/// Starts logging to `<data_dir>/eventdeck.log` at the level in `EVENTDECK_LOG`
/// (default `info`). Keep the guard alive: dropping it flushes the log. Returns
/// `None` (and logs nowhere) when the directory cannot be created.
pub fn init(data_dir: &Path) -> Option<WorkerGuard> {
    crate::private::create_dir_all(data_dir).ok()?;
    // Created (or narrowed) 0600 first: the appender opens it as it is.
    crate::private::open_append(&data_dir.join(LOG_FILE)).ok()?;
    let appender = tracing_appender::rolling::never(data_dir, LOG_FILE);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("EVENTDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the moment the process started (call first thing in `main`).
pub fn mark_process_start() {
    let _ = STARTED.set(Instant::now());
}

/// Time since [`mark_process_start`], for start-up measurements in the log.
pub fn since_process_start() -> Option<std::time::Duration> {
    STARTED.get().map(Instant::elapsed)
}
