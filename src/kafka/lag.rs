//! Committed offsets and watermarks of a consumer group, and the lag between them,
//! computed as `kafka-consumer-groups.sh --describe` does: LAG = log-end offset −
//! committed offset, unknown (`None`) when the group never committed there.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, client_config};
use crate::config::Settings;

/// One partition of a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionOffsets {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// CURRENT-OFFSET: the group's committed offset, if it committed one.
    pub current_offset: Option<i64>,
    /// LOG-END-OFFSET (high watermark).
    pub log_end_offset: i64,
    /// The log-start offset (low watermark); a committed offset below it means
    /// retention deleted records the group never read.
    pub log_start_offset: i64,
}

impl PartitionOffsets {
    /// LAG as Kafka's tool computes it; `None` when there is no committed offset.
    pub fn lag(&self) -> Option<i64> {
        self.current_offset
            .map(|c| (self.log_end_offset - c).max(0))
    }
    /// Records deleted by retention before the group read them, if any.
    pub fn deleted_unread(&self) -> Option<i64> {
        self.current_offset
            .filter(|&c| c < self.log_start_offset)
            .map(|c| self.log_start_offset - c)
    }
}

/// How long one offset request may take.
const OFFSET_TIMEOUT: Duration = Duration::from_secs(10);

/// The committed offsets and watermarks of `group` on the given partitions.
/// Blocking: call from a blocking context. Does not join the group.
pub fn group_offsets(
    settings: &Settings,
    group: &str,
    partitions: &[(String, i32)],
) -> Result<Vec<PartitionOffsets>, KafkaError> {
    let mut cfg = client_config(settings);
    cfg.set("group.id", group);
    cfg.set("enable.auto.commit", "false");
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| KafkaError::client("creating an offsets client", e))?;
    let mut tpl = TopicPartitionList::new();
    for (t, p) in partitions {
        tpl.add_partition(t, *p);
    }
    let committed = consumer
        .committed_offsets(tpl, OFFSET_TIMEOUT)
        .map_err(|e| KafkaError::client(format!("reading committed offsets of {group}"), e))?;
    let mut out = Vec::with_capacity(partitions.len());
    for (t, p) in partitions {
        let (low, high) = consumer
            .fetch_watermarks(t, *p, OFFSET_TIMEOUT)
            .map_err(|e| KafkaError::client(format!("reading watermarks of {t}[{p}]"), e))?;
        let current = committed
            .find_partition(t, *p)
            .and_then(|e| match e.offset() {
                Offset::Offset(o) if o >= 0 => Some(o),
                _ => None,
            });
        out.push(PartitionOffsets {
            topic: t.clone(),
            partition: *p,
            current_offset: current,
            log_end_offset: high,
            log_start_offset: low,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(current: Option<i64>, start: i64, end: i64) -> PartitionOffsets {
        PartitionOffsets {
            topic: "t".into(),
            partition: 0,
            current_offset: current,
            log_end_offset: end,
            log_start_offset: start,
        }
    }

    #[test]
    fn lag_is_end_minus_committed_and_unknown_without_a_commit() {
        assert_eq!(p(Some(4), 0, 10).lag(), Some(6));
        assert_eq!(p(Some(10), 0, 10).lag(), Some(0));
        assert_eq!(p(None, 0, 10).lag(), None);
    }

    #[test]
    fn committed_below_log_start_is_flagged_with_the_deleted_count() {
        assert_eq!(p(Some(3), 8, 20).deleted_unread(), Some(5));
        assert_eq!(p(Some(8), 8, 20).deleted_unread(), None);
        assert_eq!(p(None, 8, 20).deleted_unread(), None);
    }
}
