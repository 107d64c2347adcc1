//! Reading as a member of a consumer group (the bridge's Kafka → local side):
//! partitions are shared with the other members, records come in batches, and
//! offsets are committed only when the caller says the batch was handled
//! (auto-commit off), which makes delivery at-least-once.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, client_config, describe_error};
use super::record::ConsumedRecord;
use crate::config::Settings;

/// A consumer-group member.
pub struct GroupConsumer {
    inner: StreamConsumer,
}

impl GroupConsumer {
    /// Joins `group` and subscribes to `topics`. A group that has committed no
    /// offset yet starts at the beginning, so events published before the first
    /// bridge started are not skipped (`-X auto.offset.reset=latest` changes it).
    pub fn new(settings: &Settings, group: &str, topics: &[String]) -> Result<Self, KafkaError> {
        let mut cfg = client_config(settings);
        cfg.set("group.id", group);
        cfg.set("enable.auto.commit", "false");
        cfg.set("auto.offset.reset", "earliest");
        // Missing topics auto-create on first produce; do not fail the subscription.
        cfg.set("allow.auto.create.topics", "true");
        for (k, v) in &settings.properties {
            cfg.set(k, v.expose());
        }
        let inner: StreamConsumer = cfg
            .create()
            .map_err(|e| KafkaError::client("creating the group consumer", e))?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        inner
            .subscribe(&names)
            .map_err(|e| KafkaError::client("subscribing", e))?;
        Ok(Self { inner })
    }

    /// Waits for a first record, then takes what else arrives within `linger`,
    /// up to `max` records. Errors the client recovers from by itself (a broker
    /// going away) come back as `Err` so the caller can count and log them.
    pub async fn next_batch(
        &self,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<ConsumedRecord>, KafkaError> {
        let first = self.inner.recv().await.map_err(|e| KafkaError::Delivery {
            topic: String::new(),
            reason: describe_error(&e),
        })?;
        let mut batch = vec![ConsumedRecord::from_message(&first)];
        drop(first);
        let deadline = tokio::time::Instant::now() + linger;
        while batch.len() < max {
            match tokio::time::timeout_at(deadline, self.inner.recv()).await {
                Ok(Ok(m)) => batch.push(ConsumedRecord::from_message(&m)),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "consumer error inside a batch");
                    break;
                }
                Err(_) => break,
            }
        }
        Ok(batch)
    }

    /// Commits, per partition, the offset after the highest one in `records`.
    pub fn commit(&self, records: &[ConsumedRecord], sync: bool) -> Result<(), KafkaError> {
        let mut next: BTreeMap<(&str, i32), i64> = BTreeMap::new();
        for r in records {
            let e = next.entry((r.topic.as_str(), r.partition)).or_insert(0);
            *e = (*e).max(r.offset + 1);
        }
        if next.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for ((t, p), o) in next {
            tpl.add_partition_offset(t, p, Offset::Offset(o))
                .map_err(|e| KafkaError::client("building the commit", e))?;
        }
        let mode = if sync {
            CommitMode::Sync
        } else {
            CommitMode::Async
        };
        self.inner
            .commit(&tpl, mode)
            .map_err(|e| KafkaError::client("committing offsets", e))
    }

    /// Partitions currently assigned to this member, as `topic/partition`.
    pub fn assignment(&self) -> Vec<String> {
        self.inner
            .assignment()
            .map(|tpl| {
                tpl.elements()
                    .iter()
                    .map(|e| format!("{}/{}", e.topic(), e.partition()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Leaves the group (after a final commit by the caller).
    pub fn close(self) {
        self.inner.unsubscribe();
    }
}
