//! The DLQ pane's workers, off the UI task: the DLQ reader (finds `*.dlq`
//! topics, tails each from the beginning, decodes dead letters before they
//! reach the app loop) and the redrive runner (authorize, send at the rate
//! limit with progress, audit).

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::audit::Source;
use crate::config::Settings;
use crate::dlq::redrive::{DlqRecord, Outcome};
use crate::kafka::consume::{TailEvent, tail};
use crate::kafka::groups::all_partitions;
use crate::kafka::{StartAt, TailOptions};
use crate::tui::event::{RedriveRequest, WorkerMsg};

/// How often the DLQ reader looks for new dead-letter topics.
const DISCOVER_EVERY: Duration = Duration::from_secs(15);
/// Pause before a failed DLQ topic reader tries again.
const RETRY_AFTER: Duration = Duration::from_secs(3);

/// Finds dead-letter topics now and then and reads each one, live, from the
/// beginning; records reach the app decoded, as [`WorkerMsg::DeadLetters`].
pub async fn dlq_reader(settings: Settings, tx: mpsc::Sender<WorkerMsg>) {
    let mut reading: BTreeSet<String> = BTreeSet::new();
    loop {
        let s = settings.clone();
        match crate::task_name::spawn_blocking(move || all_partitions(&s)).await {
            Ok(Ok(parts)) => {
                let found: BTreeSet<String> = parts
                    .into_iter()
                    .map(|(t, _)| t)
                    .filter(|t| settings.topics.is_dlq(t))
                    .collect();
                let new: Vec<String> = found.difference(&reading).cloned().collect();
                if !new.is_empty() {
                    reading.extend(new.iter().cloned());
                    let all = reading.iter().cloned().collect();
                    if tx.send(WorkerMsg::DlqTopics(all)).await.is_err() {
                        return;
                    }
                    for topic in new {
                        tokio::spawn(read_topic(settings.clone(), topic, tx.clone()));
                    }
                }
            }
            Ok(Err(e)) => {
                let _ = tx.send(WorkerMsg::DlqProblem(e.to_string())).await;
            }
            Err(e) => {
                let _ = tx.send(WorkerMsg::DlqProblem(e.to_string())).await;
            }
        }
        tokio::time::sleep(DISCOVER_EVERY).await;
        if tx.is_closed() {
            return;
        }
    }
}

/// Reads one DLQ topic from the beginning, forever; after an error it starts
/// over (the pane drops records it already has).
async fn read_topic(settings: Settings, topic: String, tx: mpsc::Sender<WorkerMsg>) {
    loop {
        let (rtx, mut rrx) = mpsc::channel::<TailEvent>(64);
        let opts = TailOptions {
            topics: vec![topic.clone()],
            start: StartAt::Beginning,
            count: None,
            exit_at_end: false,
        };
        let reader = {
            let settings = settings.clone();
            tokio::spawn(async move { tail(&settings, opts, rtx).await })
        };
        while let Some(ev) = rrx.recv().await {
            let TailEvent::Records(records) = ev else {
                continue;
            };
            // The data policies apply before the pane sees a dead letter
            // (the record as read is kept: a redrive sends it).
            let batch: Vec<DlqRecord> = records
                .into_iter()
                .map(|record| DlqRecord::new(record).shown(&settings.policies, &settings.topics))
                .collect();
            if tx.send(WorkerMsg::DeadLetters(batch)).await.is_err() {
                reader.abort();
                return;
            }
        }
        let problem = match reader.await {
            Ok(Ok(_)) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        if tx
            .send(WorkerMsg::DlqProblem(format!("{topic}: {problem}")))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// Runs a confirmed redrive and reports progress and the outcome to `tx`.
pub async fn run_redrive(settings: Settings, req: RedriveRequest, tx: mpsc::Sender<WorkerMsg>) {
    let result = redrive(&settings, req, &tx).await;
    let _ = tx.send(WorkerMsg::RedriveDone(result)).await;
}

async fn redrive(
    settings: &Settings,
    req: RedriveRequest,
    tx: &mpsc::Sender<WorkerMsg>,
) -> Result<Outcome, String> {
    let filter = req.filter.as_deref();
    crate::dlq::redrive::redrive(
        settings,
        Source::Console,
        &req.plan,
        filter,
        req.rate,
        |done, total| {
            // Progress is latest-wins: a report dropped on a full channel is
            // superseded by the next one, and the outcome is always sent.
            let _ = tx.try_send(WorkerMsg::RedriveProgress { done, total });
        },
    )
    .await
    .map_err(|e| e.to_string())
}
