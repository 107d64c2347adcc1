//! Reading as a member of a consumer group (the bridge's Kafka → local side):
//! partitions are shared with the other members, records come in batches, and
//! a record's offset is committed only once the caller says its batch was
//! handled, which makes delivery at-least-once. The caller stores a handled
//! batch's offsets ([`GroupConsumer::store`]) and librdkafka commits what is
//! stored every [`COMMIT_INTERVAL_MS`], when partitions are revoked, and at
//! close. (A commit per batch was hundreds of replicated writes a second on
//! the brokers at 1k events/s.) An exactly-once member commits nothing: its
//! offsets go in its transactions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, client_config, describe_error};
use super::record::ConsumedRecord;
use crate::config::Settings;

/// Counts rebalances. They run inside `recv()`, on the thread that polls, so a
/// batch can tell whether its records were fetched under the current assignment.
#[derive(Default)]
struct RebalanceCounter {
    rebalances: AtomicU64,
}

impl ClientContext for RebalanceCounter {}

impl ConsumerContext for RebalanceCounter {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.rebalances.fetch_add(1, Ordering::SeqCst);
        match rebalance {
            Rebalance::Assign(tpl) => {
                tracing::info!(partitions = tpl.count(), "partitions assigned")
            }
            Rebalance::Revoke(tpl) => {
                tracing::info!(partitions = tpl.count(), "partitions revoked")
            }
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
    }
}

/// How often the group consumer asks for its topics' metadata, and so how
/// long a subscribed topic created after the group was joined waits at most
/// before it is assigned and read (`-X topic.metadata.refresh.interval.ms`).
pub const NEW_TOPIC_CHECK_MS: &str = "5000";

/// How often an at-least-once member commits the offsets of the batches it
/// handled (`-X auto.commit.interval.ms`): at most this much of handled work
/// is read again after a crash, and the group's committed lag trails by it.
pub const COMMIT_INTERVAL_MS: &str = "100";

/// A consumer-group member.
pub struct GroupConsumer {
    inner: StreamConsumer<RebalanceCounter>,
}

impl GroupConsumer {
    /// Joins `group` and subscribes to `topics`. A group that has committed no
    /// offset yet starts at the beginning, so events published before the first
    /// bridge started are not skipped (`-X auto.offset.reset=latest` changes it).
    pub fn new(settings: &Settings, group: &str, topics: &[String]) -> Result<Self, KafkaError> {
        Self::with_isolation(settings, group, topics, false)
    }

    /// [`GroupConsumer::new`]; with `read_committed`, the member reads only
    /// records of committed transactions whatever `-X isolation.level` says
    /// (the exactly-once bridge must not handle an aborted effect).
    pub fn with_isolation(
        settings: &Settings,
        group: &str,
        topics: &[String],
        read_committed: bool,
    ) -> Result<Self, KafkaError> {
        let mut cfg = client_config(settings);
        cfg.set("group.id", group);
        cfg.set("auto.offset.reset", "earliest");
        cfg.set("auto.commit.interval.ms", COMMIT_INTERVAL_MS);
        // Missing topics auto-create on first produce; do not fail the subscription.
        cfg.set("allow.auto.create.topics", "true");
        // librdkafka looks for a subscribed topic that did not exist when the
        // group was joined only at its periodic metadata refresh (every 5 min
        // by default): a context topic created after the bridge started (by
        // the first publish to it) went unread for up to 5 minutes. Not on
        // the embedded broker: the demo creates every topic before its bridge
        // starts, and the mock cluster's group coordinator left a JoinGroup
        // unanswered (30 s and more) when a refresh landed inside a join.
        if settings.caps.refresh_during_join {
            cfg.set("topic.metadata.refresh.interval.ms", NEW_TOPIC_CHECK_MS);
        }
        for (k, v) in &settings.properties {
            cfg.set(k, v.expose());
        }
        // What is committed is what the caller stored, never merely read; an
        // exactly-once member's offsets go in its transactions only.
        cfg.set("enable.auto.offset.store", "false");
        cfg.set("enable.auto.commit", (!read_committed).to_string());
        if read_committed {
            cfg.set("isolation.level", "read_committed");
        }
        let inner: StreamConsumer<RebalanceCounter> = cfg
            .create_with_context(RebalanceCounter::default())
            .map_err(|e| KafkaError::client("creating the group consumer", e))?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        inner
            .subscribe(&names)
            .map_err(|e| KafkaError::client("subscribing", e))?;
        Ok(Self { inner })
    }

    /// Waits for a first record, then takes what else the client has already
    /// fetched, up to `max` records: a burst comes in large batches, and a
    /// lone record is not held back waiting for company. Errors the client
    /// recovers from by itself (a broker going away) come back as `Err` so the
    /// caller can count and log them.
    ///
    /// Records received before a rebalance that happened while the batch was
    /// being gathered are dropped: their partitions may now belong to another
    /// member, which starts from the last commit, and handling them here too
    /// would handle them twice. Whoever owns them now reads them again.
    pub async fn next_batch(&self, max: usize) -> Result<Vec<ConsumedRecord>, KafkaError> {
        let rebalances = || self.inner.context().rebalances.load(Ordering::SeqCst);
        let first = self.inner.recv().await.map_err(|e| KafkaError::Delivery {
            topic: String::new(),
            reason: describe_error(&e),
        })?;
        let mut batch = vec![ConsumedRecord::from_message(&first)];
        drop(first);
        let mut generation = rebalances();
        while batch.len() < max {
            // What is already fetched, without arming a timer (one per record
            // cost more than the rest of the batch at 50k/s).
            match self.inner.recv().now_or_never() {
                Some(Ok(m)) => {
                    let now = rebalances();
                    if now != generation {
                        tracing::debug!(dropped = batch.len(), "rebalance while gathering a batch");
                        batch.clear();
                        generation = now;
                    }
                    batch.push(ConsumedRecord::from_message(&m));
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "consumer error inside a batch");
                    break;
                }
                None => break,
            }
        }
        // A rebalance inside the last, empty poll counts too.
        if rebalances() != generation {
            batch.clear();
        }
        Ok(batch)
    }

    /// Per partition, the offset after the highest one in `records`: what a
    /// commit of them says (the next record to read, hence `+ 1`).
    pub fn next_offsets(records: &[ConsumedRecord]) -> super::txn::NextOffsets {
        Self::next_by_partition(records)
            .into_iter()
            .map(|((t, p), o)| (t.to_string(), p, o))
            .collect()
    }

    fn next_by_partition(records: &[ConsumedRecord]) -> BTreeMap<(&str, i32), i64> {
        let mut next: BTreeMap<(&str, i32), i64> = BTreeMap::new();
        for r in records {
            let e = next.entry((r.topic.as_str(), r.partition)).or_insert(0);
            *e = (*e).max(r.offset + 1);
        }
        next
    }

    /// The lowest offset per partition of `records`, by topic and partition.
    pub fn first_offsets(records: &[ConsumedRecord]) -> Vec<(String, i32, i64)> {
        let mut first: BTreeMap<(&str, i32), i64> = BTreeMap::new();
        for r in records {
            let e = first
                .entry((r.topic.as_str(), r.partition))
                .or_insert(i64::MAX);
            *e = (*e).min(r.offset);
        }
        first
            .into_iter()
            .map(|((t, p), o)| (t.to_string(), p, o))
            .collect()
    }

    /// The member's group metadata for `send_offsets_to_transaction`; `None`
    /// before the group was joined.
    pub fn group_position(&self) -> Option<super::txn::GroupPosition> {
        self.inner.group_metadata().map(super::txn::GroupPosition)
    }

    /// Sets each partition of `records` back to its first record in them, so
    /// they are read (and handled) again. A partition no longer assigned is
    /// left alone: its new owner starts from the committed offset anyway.
    /// librdkafka drops what it had already fetched past that point. Blocks
    /// briefly.
    pub fn rewind(&self, records: &[ConsumedRecord]) {
        for (t, p, o) in Self::first_offsets(records) {
            if let Err(e) = self
                .inner
                .seek(&t, p, Offset::Offset(o), Duration::from_secs(5))
            {
                tracing::debug!(topic = t, partition = p, error = %e, "rewinding (not assigned any more?)");
            }
        }
    }

    /// Stores, per partition, the offset after the highest one in `records`:
    /// the next commit (at most [`COMMIT_INTERVAL_MS`] later, or when the
    /// partition is revoked, or at close) writes it. A partition no longer
    /// assigned is not stored; its new owner reads those records again.
    pub fn store(&self, records: &[ConsumedRecord]) -> Result<(), KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for ((t, p), o) in Self::next_by_partition(records) {
            tpl.add_partition_offset(t, p, Offset::Offset(o))
                .map_err(|e| KafkaError::client("building the offsets", e))?;
        }
        if tpl.count() == 0 {
            return Ok(());
        }
        self.inner
            .store_offsets(&tpl)
            .map_err(|e| KafkaError::client("storing offsets", e))
    }

    /// Commits what was stored, now, and waits for the coordinator's answer.
    pub fn commit_stored(&self) -> Result<(), KafkaError> {
        match self.inner.commit_consumer_state(CommitMode::Sync) {
            // Nothing stored since the last commit.
            Err(rdkafka::error::KafkaError::ConsumerCommit(
                rdkafka::types::RDKafkaErrorCode::NoOffset,
            )) => Ok(()),
            r => r.map_err(|e| KafkaError::client("committing offsets", e)),
        }
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
    pub fn close(&self) {
        self.inner.unsubscribe();
    }
}
