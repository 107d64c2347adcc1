//! The headless commands: each is a thin shell around the library function the
//! matching console pane calls.

pub mod acls;
pub mod audit;
pub mod bridge;
pub mod cluster;
pub mod demo;
pub mod dlq;
pub mod find;
pub mod groups;
pub mod inject;
pub mod lag;
pub mod policies;
pub mod replay;
pub mod schemas;
pub mod tail;
pub mod topics;
pub mod users;

/// An error a command reports as one line on stderr, with exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

pub use crate::mutate::NeedsConfirmation;

/// Exit status of a destructive command without `--yes` (the status clap uses
/// for usage errors).
pub const NEEDS_CONFIRMATION_EXIT: u8 = 2;

/// A mutation's error as the command reports it: a change refused for want of
/// `--yes` stays a [`NeedsConfirmation`], so it exits with
/// [`NEEDS_CONFIRMATION_EXIT`].
pub(crate) fn report(e: crate::mutate::MutationError) -> color_eyre::Report {
    match e {
        crate::mutate::MutationError::Unconfirmed(n) => n.into(),
        other => other.into(),
    }
}

/// Parses `K=V` arguments of `flag`.
pub(crate) fn key_values(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, UserError> {
    items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(UserError(format!("{flag} expects KEY=VALUE, got '{kv}'"))),
        })
        .collect()
}

/// `-` for a missing value.
pub(crate) fn dash<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_string(), ToString::to_string)
}

/// Writes one line of human-readable output: `text` with every control
/// character shown visibly ([`crate::domain::sanitize`]: group ids, keys and
/// broker errors are chosen by others), then a newline.
pub(crate) fn put_line(out: &mut impl std::io::Write, text: &str) -> std::io::Result<()> {
    writeln!(out, "{}", crate::domain::sanitize(text))
}

/// True when `e` is, or was caused by, a write to a closed pipe: the reader
/// (`| head`) has all it wanted, so the command ends quietly and successfully.
pub fn is_broken_pipe(e: &color_eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` that returns the write's error instead of panicking on a
/// closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}
pub(crate) use outln;
