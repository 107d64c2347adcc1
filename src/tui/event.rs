//! The messages the app loop applies: terminal input and timers ([`Event`]), what
//! background workers report ([`WorkerMsg`]), and what the app asks the runtime to
//! do ([`Command`]) — the only way state changes turn into I/O.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};

use super::panes::inject::SendRequest;
use crate::kafka::StartAt;
use crate::publish::{PublishError, Published};
use crate::replay::{Outcome, Plan, Request};

/// Terminal input and timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A key press.
    Key(KeyEvent),
    /// A mouse click or wheel.
    Mouse(MouseEvent),
    /// Pasted text (bracketed paste).
    Paste(String),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Once a second: rates, toasts expiring.
    Tick,
}

/// What background tasks report to the app loop (records go through their own
/// bounded channel, drained in batches).
#[derive(Debug, Clone)]
pub enum WorkerMsg {
    /// A stream stopped with a problem (it retries by itself).
    StreamProblem {
        /// The stream set the report belongs to; stale ones are ignored.
        generation: u64,
        /// The topic.
        topic: String,
        /// What went wrong.
        problem: String,
    },
    /// A reader's non-fatal warning (the client retries by itself).
    StreamWarning(String),
    /// A publish finished.
    Published {
        /// The request id.
        id: u64,
        /// Where it landed, or why not.
        result: Result<Published, PublishError>,
    },
    /// The cluster answered a metadata probe, or did not.
    Connection(Result<(), String>),
    /// An export finished.
    Exported(Result<(PathBuf, usize), String>),
    /// A background task panicked or failed; the app ends with this error.
    TaskFailed(String),
    /// Dead letters read from a DLQ topic (decoded off the UI task).
    DeadLetters(Vec<crate::dlq::redrive::DlqRecord>),
    /// The DLQ reader's problem (it retries by itself).
    DlqProblem(String),
    /// The DLQ topics being read.
    DlqTopics(Vec<String>),
    /// A redrive's progress: records done of total.
    RedriveProgress {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// A redrive finished (the audit entry is written), or could not start.
    RedriveDone(Result<crate::dlq::redrive::Outcome, String>),
    /// The ops worker's answer (Topics, Groups, Audit).
    Ops(Box<super::ops_workers::OpsReply>),
    /// A replay's range was read (the dry run), or could not be.
    ReplayPlanned(Result<Arc<Plan>, String>),
    /// Records replayed so far.
    ReplayProgress {
        /// Done.
        done: usize,
        /// Of.
        total: usize,
    },
    /// A replay finished.
    ReplayDone(Result<Outcome, String>),
}

/// I/O the app asks the runtime to perform after an update.
#[derive(Debug, Clone)]
pub enum Command {
    /// Publish an event.
    Publish(Box<SendRequest>),
    /// Restart every stream at this position.
    Seek(StartAt),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Write these JSON lines to a file in the data dir.
    Export(Vec<String>),
    /// Set the demo scenario's events per second.
    SetRate(u32),
    /// Redrive these dead letters at most `rate` per second, then audit it.
    Redrive(Box<super::panes::dlq::RedriveRequest>),
    /// Run an admin request (Topics, Groups, Audit) off the UI task.
    Ops(Box<super::ops_workers::OpsRequest>),
    /// Read a replay's range (the dry run).
    ReplayPlan(Request),
    /// Run a previewed replay.
    ReplayRun(Arc<Plan>),
}
