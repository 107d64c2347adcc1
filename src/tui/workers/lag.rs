//! The Lag pane's worker, off the UI task: the lag poller (one poll in flight
//! at a time, on a blocking thread, snapshots over `watch`).

use std::time::Duration;

use tokio::sync::watch;

use crate::config::Settings;
use crate::kafka::groups::GroupPoller;
use crate::lag::LagTracker;
use crate::tui::event::LagUpdate;

/// The shortest lag poll interval accepted from the config: polling describes
/// every group, and a cluster with thousands of them should not be hammered.
const MIN_LAG_INTERVAL: Duration = Duration::from_millis(500);

/// Polls consumer groups every `every` until the receiver is dropped. `known`
/// groups are polled instead when the broker cannot list groups (the demo's).
/// Polls never overlap: the next starts `every` after the previous ended.
pub async fn lag_poller(
    settings: Settings,
    known: Vec<String>,
    every: Duration,
    tx: watch::Sender<Option<LagUpdate>>,
) {
    let every = every.max(MIN_LAG_INTERVAL);
    let mut tracker = LagTracker::default();
    // Kept between polls: with many groups it reads only new commits.
    let mut poller = GroupPoller::default();
    loop {
        let update = poll_once(&settings, &known, &mut tracker, &mut poller).await;
        if tx.send(Some(update)).is_err() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

/// One poll folded into `tracker`, as the pane receives it.
pub async fn poll_once(
    settings: &Settings,
    known: &[String],
    tracker: &mut LagTracker,
    poller: &mut GroupPoller,
) -> LagUpdate {
    let s = settings.clone();
    let k = known.to_vec();
    let mut p = std::mem::take(poller);
    let res = crate::task_name::spawn_blocking(move || {
        let poll = p.poll(&s, &[], &k);
        (poll, p)
    })
    .await;
    match res {
        Ok((Ok(poll), p)) => {
            *poller = p;
            LagUpdate::Report(tracker.apply(&poll))
        }
        Ok((Err(e), p)) => {
            *poller = p;
            LagUpdate::Failed(e.to_string())
        }
        Err(e) => LagUpdate::Failed(format!("the lag poll stopped: {e}")),
    }
}
