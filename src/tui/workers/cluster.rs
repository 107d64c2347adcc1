//! The Cluster pane's worker, off the UI task: polls the cluster's health
//! ([`crate::kafka::cluster::cluster_health`], the function `eventdeck cluster`
//! uses) every [`CLUSTER_POLL_EVERY`], and at once when asked. It waits for
//! the first ask (the tab coming on screen), so a console whose Cluster tab
//! is never opened sends no extra requests.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use crate::config::Settings;
use crate::tui::event::{ClusterUpdate, WorkerMsg};

/// How often the health is read again. Each poll is a metadata request, a
/// DescribeCluster and (only when an ISR shrank) a DescribeConfigs: cheap,
/// but a console left open on a large cluster should not hammer it.
pub const CLUSTER_POLL_EVERY: Duration = Duration::from_secs(10);

/// Polls until the receiver is dropped: first when `wake` is notified, then
/// every `every` after the previous poll ended, or sooner when notified again.
/// Polls never overlap.
pub async fn cluster_poller(
    settings: Settings,
    every: Duration,
    wake: Arc<Notify>,
    tx: mpsc::Sender<WorkerMsg>,
) {
    wake.notified().await;
    loop {
        let update = poll_once(&settings).await;
        if tx.send(WorkerMsg::Cluster(update)).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = wake.notified() => {}
        }
    }
}

/// One poll, as the pane receives it.
pub async fn poll_once(settings: &Settings) -> ClusterUpdate {
    let at = chrono::Utc::now();
    let result = crate::kafka::cluster::cluster_health(settings)
        .await
        .map(Box::new)
        .map_err(|e| e.to_string());
    ClusterUpdate { at, result }
}
