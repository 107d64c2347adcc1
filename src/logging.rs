//! File logging with `tracing`: everything goes to `eventdeck.log` in the data
//! dir, never to the terminal (the console owns it; headless output is data).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The log file's name in the data dir.
pub const LOG_FILE: &str = "eventdeck.log";
/// The log rotates past this size...
pub const LOG_MAX_BYTES: usize = 10 * 1024 * 1024;
/// ...keeping this many older files (`eventdeck.log.1` is the newest).
pub const LOG_KEPT_FILES: usize = 3;
/// A line repeated within this window is written once, then counted.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(60);

/// Starts logging to `<data_dir>/eventdeck.log` at the level in `EVENTDECK_LOG`
/// (default `info`). Keep the guard alive: dropping it flushes the log. Returns
/// `None` (and logs nowhere) when the directory cannot be created.
///
/// The file is private (0600), rotates by size, and a line that comes back
/// within a minute (librdkafka repeats "all brokers are down" many times a
/// second while a cluster is away) is written once, then summarized.
pub fn init(data_dir: &Path) -> Option<WorkerGuard> {
    crate::private::create_dir_all(data_dir).ok()?;
    let path = data_dir.join(LOG_FILE);
    // Created (or narrowed) 0600 first; the rotated files are created so too.
    crate::private::open_append(&path).ok()?;
    let mut options = crate::private::options();
    options.read(true).create(true).append(true);
    let file = FileRotate::new(
        path,
        AppendCount::new(LOG_KEPT_FILES),
        ContentLimit::BytesSurpassed(LOG_MAX_BYTES),
        Compression::None,
        Some(options),
    );
    let (writer, guard) = tracing_appender::non_blocking(Quiet::new(file, REPEAT_WINDOW));
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

/// Most distinct lines tracked at once (older windows are closed early).
const MAX_TRACKED: usize = 1024;

/// A log writer that writes a line once per window: a line that comes back
/// within it (compared without its timestamp and with its numbers blanked, so
/// "1/3 brokers are down" and "2/3 brokers are down" are one line) is counted,
/// and when its window ends, the next time it comes or when the log closes,
/// one line says `… repeated N times in the last S s` with the last of them.
pub struct Quiet<W: Write> {
    inner: W,
    window: Duration,
    seen: HashMap<String, Repeat>,
}

struct Repeat {
    since: Instant,
    count: u64,
    last: String,
}

impl<W: Write> Quiet<W> {
    /// Writes to `inner`, one line per `window` for lines that repeat.
    pub fn new(inner: W, window: Duration) -> Self {
        Self {
            inner,
            window,
            seen: HashMap::new(),
        }
    }

    fn line(&mut self, line: &[u8], now: Instant) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let body = without_timestamp(&text);
        let key = blank_numbers(body);
        self.close_windows(now, false)?;
        if let Some(r) = self.seen.get_mut(&key) {
            r.count += 1;
            r.last = body.trim_end().to_string();
            return Ok(());
        }
        if self.seen.len() >= MAX_TRACKED {
            self.close_windows(now, true)?;
        }
        self.inner.write_all(line)?;
        self.seen.insert(
            key,
            Repeat {
                since: now,
                count: 0,
                last: String::new(),
            },
        );
        Ok(())
    }

    /// Ends the windows that are over (every window when `all`), writing the
    /// summary of those that counted repeats.
    fn close_windows(&mut self, now: Instant, all: bool) -> io::Result<()> {
        let window = self.window;
        let over: Vec<String> = self
            .seen
            .iter()
            .filter(|(_, r)| all || now.duration_since(r.since) >= window)
            .map(|(k, _)| k.clone())
            .collect();
        for key in over {
            if let Some(r) = self.seen.remove(&key)
                && r.count > 0
            {
                let secs = now.duration_since(r.since).as_secs().max(1);
                let times = if r.count == 1 { "time" } else { "times" };
                writeln!(
                    self.inner,
                    "{}  INFO eventdeck::logging: … repeated {} {times} in the last {secs} s: {}",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                    r.count,
                    r.last
                )?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for Quiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let now = Instant::now();
        for line in buf.split_inclusive(|&b| b == b'\n') {
            self.line(line, now)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for Quiet<W> {
    fn drop(&mut self) {
        let _ = self.close_windows(Instant::now(), true);
        let _ = self.inner.flush();
    }
}

/// The line after its first word (the timestamp the formatter puts there).
fn without_timestamp(line: &str) -> &str {
    match line.split_once(' ') {
        Some((first, rest)) if first.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => line,
    }
}

/// `line` with each run of digits as one `#`.
fn blank_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(out: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(out)
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_line_repeated_within_the_window_is_written_once_then_summarized() {
        let mut out = Vec::new();
        {
            let mut q = Quiet::new(&mut out, Duration::from_secs(60));
            let t0 = Instant::now();
            for i in 0..1_000u32 {
                let down = i % 3;
                let line = format!(
                    "2026-12-02T04:0{}:00.000001Z ERROR rdkafka::client: Global error: AllBrokersDown: {down}/3 brokers are down\n",
                    i % 10
                );
                q.line(line.as_bytes(), t0 + Duration::from_millis(u64::from(i)))
                    .expect("write");
            }
            q.line(
                b"2026-12-02T04:05:00.1Z  WARN eventdeck: something else\n",
                t0 + Duration::from_secs(2),
            )
            .expect("write");
            // The window ends: the next time it comes, the count is said first.
            q.line(
                b"2026-12-02T04:06:00.1Z ERROR rdkafka::client: Global error: AllBrokersDown: 3/3 brokers are down\n",
                t0 + Duration::from_secs(61),
            )
            .expect("write");
        }
        let l = lines(&out);
        // Closing the log adds nothing: no line repeated since.
        assert_eq!(l.len(), 4, "{l:#?}");
        assert!(l[0].ends_with("0/3 brokers are down"), "{}", l[0]);
        assert!(l[1].ends_with("something else"), "{}", l[1]);
        assert!(
            l[2].contains("… repeated 999 times in the last 61 s: ERROR rdkafka::client: Global error: AllBrokersDown: 0/3 brokers are down"),
            "{}",
            l[2]
        );
        assert!(l[3].ends_with("3/3 brokers are down"), "{}", l[3]);
    }

    #[test]
    fn closing_the_log_writes_the_pending_counts() {
        let mut out = Vec::new();
        {
            let mut q = Quiet::new(&mut out, Duration::from_secs(60));
            for _ in 0..3 {
                q.write_all(b"2026-12-02T04:00:00Z ERROR x: boom\n")
                    .expect("write");
            }
        }
        let l = lines(&out);
        assert_eq!(l.len(), 2, "{l:#?}");
        assert!(l[1].contains("… repeated 2 times in the last"), "{}", l[1]);
    }
}
