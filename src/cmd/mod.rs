//! The headless commands: each is a thin shell around the library function the
//! matching console pane calls.

pub mod bridge;
pub mod demo;
pub mod dlq;
pub mod inject;
pub mod lag;
pub mod replay;
pub mod tail;

/// An error a command reports as one line on stderr, with exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);
