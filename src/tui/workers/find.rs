//! The find worker: runs one search ([`crate::kafka::find::find`], the
//! function `eventdeck find` calls) on a blocking thread and reports to the
//! Find pane over the worker channel: the plan, progress (dropped when the
//! channel is full, never waited for), matches in small batches decoded here,
//! and the end. A cancel flag stops it within one poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use crate::config::Settings;
use crate::kafka::Arrived;
use crate::kafka::find::{FindEvent, find};
use crate::tui::event::{FindJob, FindUpdate, WorkerMsg};

/// Matches sent at once at most (a progress tick sends what has gathered).
const MATCH_BATCH: usize = 64;

/// Sets its flag when dropped: a search whose console is gone stops.
#[derive(Debug)]
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `job` until its end, its limit, or `cancel`.
pub async fn run(
    settings: Settings,
    job: FindJob,
    cancel: Arc<AtomicBool>,
    tx: mpsc::Sender<WorkerMsg>,
) {
    let generation = job.generation;
    let worker_tx = tx.clone();
    let done = tokio::task::spawn_blocking(move || {
        let topics = settings.topics.clone();
        let send = |update: FindUpdate| {
            worker_tx
                .blocking_send(WorkerMsg::Find { generation, update })
                .is_ok()
        };
        let mut batch: Vec<Arrived> = Vec::new();
        let result = find(&settings, &job.request, &cancel, |ev| match ev {
            FindEvent::Planned(plan) => send(FindUpdate::Planned(plan)),
            FindEvent::SecondPass { partitions, .. } => send(FindUpdate::SecondPass { partitions }),
            FindEvent::Progress(p) => {
                if !batch.is_empty() && !send(FindUpdate::Matches(std::mem::take(&mut batch))) {
                    return false;
                }
                // A full channel drops a progress report; the next one says more.
                !matches!(
                    worker_tx.try_send(WorkerMsg::Find {
                        generation,
                        update: FindUpdate::Progress(p),
                    }),
                    Err(mpsc::error::TrySendError::Closed(_))
                )
            }
            FindEvent::Found(record) => {
                // Found as read: shown as the policies let it be (the record
                // as read is kept for writing back).
                batch.push(Arrived::read_shown(
                    record,
                    &topics,
                    None,
                    &settings.policies,
                ));
                batch.len() < MATCH_BATCH || send(FindUpdate::Matches(std::mem::take(&mut batch)))
            }
            FindEvent::Warning(w) => send(FindUpdate::Warning(w)),
        });
        if !batch.is_empty() {
            send(FindUpdate::Matches(batch));
        }
        result.map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let _ = tx
        .send(WorkerMsg::Find {
            generation,
            update: FindUpdate::Done(done),
        })
        .await;
}
