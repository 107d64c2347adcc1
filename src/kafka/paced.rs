//! A plain consumer-group member that reads topics at a fixed pace and commits
//! after each record: the demo's deliberately slow consumer, whose lag grows
//! while producers outpace it.

use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use tokio::sync::watch;

use super::client::{KafkaError, client_config};
use crate::config::Settings;

/// Consumes `topics` in `group`, one record per `pace`, committing each, until
/// `stop` turns true.
pub async fn run_paced_consumer(
    settings: &Settings,
    group: &str,
    topics: &[String],
    pace: Duration,
    mut stop: watch::Receiver<bool>,
) -> Result<u64, KafkaError> {
    let mut cfg = client_config(settings);
    cfg.set("group.id", group);
    cfg.set("enable.auto.commit", "false");
    cfg.set("auto.offset.reset", "earliest");
    // It reads one record per `pace`: librdkafka's default prefetch (up to
    // 100,000 records or 64 MiB) would only hold, in memory, records it reaches
    // minutes later. A few hundred are plenty.
    cfg.set("queued.min.messages", "100");
    cfg.set("queued.max.messages.kbytes", "256");
    let consumer: StreamConsumer = cfg
        .create()
        .map_err(|e| KafkaError::client(format!("creating consumer of group {group}"), e))?;
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&names)
        .map_err(|e| KafkaError::client(format!("subscribing group {group}"), e))?;
    let mut handled = 0u64;
    loop {
        tokio::select! {
            _ = stop.changed() => {
                if *stop.borrow() { return Ok(handled); }
            }
            msg = consumer.recv() => {
                match msg {
                    Ok(m) => {
                        handled += 1;
                        if let Err(e) = consumer.commit_message(&m, CommitMode::Async) {
                            tracing::warn!(group, error = %e, "commit failed");
                        }
                        tokio::time::sleep(pace).await;
                    }
                    Err(e) => {
                        tracing::warn!(group, error = %e, "consume error");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        }
    }
}
