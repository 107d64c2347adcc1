//! The exactly-once Kafka → local side (`bridge --exactly-once`): a batch's
//! handlers run first; then its effects, its dead letters and the consumed
//! offsets (`offset + 1`, with the member's group metadata, KIP-447) go to
//! Kafka in one transaction. A `read_committed` reader sees every effect of a
//! committed batch once, and none of an aborted one.
//!
//! - A failed transaction (a produce refused, a leader or the coordinator
//!   gone, a rebalance that replaced this member) is aborted, the batch's
//!   partitions are set back to its first records, and the batch is read and
//!   handled again: nothing of the aborted attempt was visible, nor committed.
//! - A record that cannot be written however often it is tried (an effect
//!   Kafka refuses: too large, invalid, a topic that does not exist or may
//!   not be written), or whose handlers overrun their bound: after
//!   [`POISON_STRIKES`] aborts of its batch, that batch's records go one per
//!   transaction, and the one that still fails that often goes to the
//!   dead-letter topic (handler [`TRANSACTION_HANDLER`], error kind
//!   [`REFUSED_KIND`]), with its offset, in a transaction of its own. The
//!   bridge goes on with the next records.
//! - A handler is retried by the bus (its retry policy); once its retries are
//!   spent its dead letter goes in the batch's transaction, with the offsets.
//! - Transactions take turns on two producers ([`transactional_ids`]), one
//!   after the other, never overlapping: a producer's next transaction
//!   would wait while the coordinator completes its last one.
//! - librdkafka's transactional calls block, so they run in `spawn_blocking`.
//! - Fatal producer errors: the producer is made again (its
//!   `init_transactions` aborts whatever the old one left open). Fenced (a
//!   newer producer with one of its `transactional.id`s): the bridge stops and says
//!   why ([`super::BridgeHandle::failure`]).
//! - Partition revocation: librdkafka revokes only inside a poll, and a
//!   transaction is begun and ended between two polls, so none is open when
//!   partitions go; a batch gathered across a rebalance is dropped
//!   ([`GroupConsumer::next_batch`]), and offsets sent with a stale
//!   generation make the commit fail (then: abort, read again).
//! - A slow handler: the handlers of a batch have
//!   [`BridgeConfig::handler_bound`](super::BridgeConfig) in all, well inside
//!   the transaction and poll timeouts; past it the batch is read again.
//! - Effects carry no origin header: no local handler ran them (they were not
//!   published locally), so whoever consumes them, this bridge included,
//!   hands them to its handlers, each in a transaction of its own.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::metrics::{Count, TxnOutcome};
use super::outbox::OutboxRecord;
use super::{Core, Failed};
use crate::bus::Emit;
use crate::kafka::ConsumedRecord;
use crate::kafka::member::GroupConsumer;
use crate::kafka::txn::{TxnError, TxnProducer};

/// Most records a transaction takes: each costs a few round trips to the
/// coordinator whatever its size (20–40 ms on a small cluster), so a backlog
/// goes in fewer, larger ones than the at-least-once side's batches.
const TRANSACTION_BATCH: usize = 5_000;

/// Longest pause between attempts while transactions keep failing.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Aborts of one batch, for a reason of its own records (Kafka refused one,
/// or its handlers overran their bound), before its records go one per
/// transaction; and of one record so, before it is dead-lettered.
const POISON_STRIKES: u32 = 3;

/// The handler name a dead letter of a record whose transaction Kafka kept
/// refusing carries (no handler failed: its effects could not be written).
pub const TRANSACTION_HANDLER: &str = "eventdeck.transaction";

/// The error kind such a dead letter carries.
pub const REFUSED_KIND: &str = "transaction_refused";

/// Records whose transactions keep being aborted for a reason of their own.
/// After [`POISON_STRIKES`] such aborts of one batch, its records go one per
/// transaction; a record aborted that often on its own is dead-lettered, its
/// offset committed with its dead letter, so one effect Kafka always refuses
/// does not hold the bridge. Aborts for the cluster's sake (a leader moving,
/// a coordinator away) are not counted: those records are fine.
#[derive(Default)]
struct Strikes {
    /// The first offset per partition of the batch that failed.
    start: Vec<(String, i32, i64)>,
    /// How often it failed.
    count: u32,
    /// Records still to go one per transaction.
    single_left: usize,
    /// Why it failed, the last time.
    reason: String,
}

impl Strikes {
    /// How many records the next transaction takes at most.
    fn batch_size(&self, full: usize) -> usize {
        if self.single_left > 0 { 1 } else { full }
    }

    /// `batch` was aborted for a reason of its own records.
    fn failed(&mut self, batch: &[ConsumedRecord], reason: String) {
        let start = GroupConsumer::first_offsets(batch);
        if start == self.start {
            self.count += 1;
        } else {
            self.start = start;
            self.count = 1;
        }
        self.reason = reason;
        if self.count >= POISON_STRIKES && batch.len() > 1 {
            tracing::warn!(
                records = batch.len(),
                reason = %self.reason,
                "a batch's transaction was aborted {POISON_STRIKES} times; its records go one per transaction"
            );
            self.single_left = batch.len();
            self.start.clear();
            self.count = 0;
        }
    }

    /// True when `batch` is one record whose transaction failed
    /// [`POISON_STRIKES`] times: it is dead-lettered instead.
    fn poisoned(&self, batch: &[ConsumedRecord]) -> bool {
        batch.len() == 1
            && self.count >= POISON_STRIKES
            && GroupConsumer::first_offsets(batch) == self.start
    }

    /// A transaction of `n` records committed.
    fn committed(&mut self, n: usize) {
        self.single_left = self.single_left.saturating_sub(n);
        self.start.clear();
        self.count = 0;
    }
}

/// The `transactional.id`s of a bridge instance: its group and its id (kept
/// in the outbox directory, so a restarted bridge has the same ones and
/// fences what its killed predecessor left open), and the same with `-alt`.
///
/// Its transactions take turns on two producers. Right after a commit the
/// coordinator is still writing that transaction's markers, and answers the
/// same producer's next transaction with CONCURRENT_TRANSACTIONS until it is
/// done (10–20 ms of every transaction at 1k/s); the other producer's
/// previous transaction finished long before, so its next one starts at
/// once. They never overlap: one begins after the other's commit returned,
/// so the consumed offsets still commit in order (the group coordinator
/// keeps the offset appended last to its log).
pub(crate) fn transactional_ids(group: &str, bridge_id: &str) -> [String; 2] {
    let id = format!("eventdeck-bridge-{group}-{bridge_id}");
    let alt = format!("{id}-alt");
    [id, alt]
}

/// What a batch's handlers produced: the records for its transaction, and the
/// counts to add once it commits (an aborted batch is handled again).
#[derive(Default)]
struct Handled {
    records: Vec<OutboxRecord>,
    counts: BTreeMap<(CountKey, String), u64>,
}

/// [`Count`] as a map key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CountKey {
    Handled,
    HandlerErrors,
    Retries,
    DeadLettered,
    Published,
}

impl CountKey {
    fn count(self) -> Count {
        match self {
            Self::Handled => Count::Handled,
            Self::HandlerErrors => Count::HandlerErrors,
            Self::Retries => Count::Retries,
            Self::DeadLettered => Count::DeadLettered,
            Self::Published => Count::Published,
        }
    }
}

impl Handled {
    fn add(&mut self, key: CountKey, context: &str, n: u64) {
        if n > 0 {
            *self.counts.entry((key, context.to_string())).or_default() += n;
        }
    }
}

impl Core {
    /// Kafka → local, exactly once for effects that go to Kafka.
    pub(super) async fn run_inbound_exactly_once(
        self: Arc<Self>,
        consumer: GroupConsumer,
        mut shutdown: watch::Receiver<bool>,
        failure: watch::Sender<Option<String>>,
    ) {
        let consumer = Arc::new(consumer);
        let txn_ids = transactional_ids(&self.cfg.consumer_group, &self.bridge_id);
        let mut producers: [Option<Arc<TxnProducer>>; 2] = [None, None];
        // Whose turn the next transaction is: it changes at each commit.
        let mut turn = 0;
        let mut backoff = Duration::from_millis(100);
        let mut errors_logged = 0u32;
        let mut strikes = Strikes::default();
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Both producers before anything is read: starting one aborts
            // what a killed predecessor left open under its id, and until
            // then the group's offsets of those partitions are not stable.
            if let Some(i) = (0..2).find(|&i| producers[i].is_none()) {
                let txn_id = &txn_ids[i];
                let (s, id, timeout) = (
                    self.settings.clone(),
                    txn_id.clone(),
                    self.cfg.transaction_timeout,
                );
                match tokio::task::spawn_blocking(move || TxnProducer::new(&s, &id, timeout)).await
                {
                    Ok(Ok(p)) => {
                        tracing::info!(transactional_id = %txn_id, "transactional producer ready");
                        producers[i] = Some(Arc::new(p));
                    }
                    Ok(Err(e @ TxnError::Fenced { .. })) => {
                        self.metrics.transaction(TxnOutcome::Fenced);
                        self.fail(&failure, &e);
                        break;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "starting the transactional producer; trying again");
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = shutdown.changed() => {}
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                    Err(_) => break,
                }
                continue;
            }
            let Some(p) = producers[turn].clone() else {
                continue;
            };
            let batch = tokio::select! {
                _ = shutdown.changed() => break,
                b = consumer.next_batch(strikes.batch_size(self.cfg.batch_size.max(TRANSACTION_BATCH))) => b,
            };
            let batch = match batch {
                Ok(b) if b.is_empty() => continue,
                Ok(b) => b,
                Err(e) => {
                    if errors_logged < 20 {
                        tracing::warn!(error = %e, "consumer error (the client retries)");
                        errors_logged += 1;
                    }
                    continue;
                }
            };
            for rec in &batch {
                self.metrics
                    .add(Count::Consumed, &self.context_of_topic(&rec.topic), 1);
            }
            let handled = if strikes.poisoned(&batch) {
                tracing::warn!(
                    topic = %batch[0].topic, partition = batch[0].partition, offset = batch[0].offset,
                    reason = %strikes.reason,
                    "a record's transaction was aborted {POISON_STRIKES} times; it goes to the dead-letter topic"
                );
                self.refused_dead_letter(&batch[0], &strikes.reason)
            } else {
                match tokio::time::timeout(self.cfg.handler_bound, self.handle_batch(&batch)).await
                {
                    Ok(Some(h)) => h,
                    // The bus stopped: the bridge is going down.
                    Ok(None) => break,
                    Err(_) => {
                        tracing::warn!(
                            bound = ?self.cfg.handler_bound, records = batch.len(),
                            "a batch's handlers took too long; it will be read and handled again"
                        );
                        self.metrics.transaction(TxnOutcome::Aborted);
                        strikes.failed(
                            &batch,
                            format!("its handlers took longer than {:?}", self.cfg.handler_bound),
                        );
                        rewind(&consumer, batch).await;
                        continue;
                    }
                }
            };
            let Handled { records, counts } = handled;
            let offsets = GroupConsumer::next_offsets(&batch);
            let (c, p2) = (consumer.clone(), p.clone());
            let written = tokio::task::spawn_blocking(move || {
                let Some(group) = c.group_position() else {
                    return Err(TxnError::Aborted("the group was not joined yet".into()));
                };
                let raw: Vec<_> = records.iter().map(OutboxRecord::as_raw).collect();
                let written = p2.write(&raw, &offsets, Some(&group));
                drop(raw);
                written.map(|took| (took, records))
            })
            .await;
            let Ok(written) = written else { break };
            match written {
                Ok((took, records)) => {
                    turn = 1 - turn;
                    backoff = Duration::from_millis(100);
                    strikes.committed(batch.len());
                    self.metrics.transaction(TxnOutcome::Committed);
                    self.metrics.observe_commit(took);
                    for ((key, context), n) in counts {
                        self.metrics.add(key.count(), &context, n);
                    }
                    for r in &records {
                        self.metrics.add(Count::Delivered, &r.context, 1);
                    }
                }
                Err(e @ TxnError::Fenced { .. }) => {
                    self.metrics.transaction(TxnOutcome::Fenced);
                    self.fail(&failure, &e);
                    break;
                }
                Err(e) => {
                    self.metrics.transaction(TxnOutcome::Aborted);
                    tracing::warn!(error = %e, records = batch.len(), "transaction not committed; the batch will be read and handled again");
                    if matches!(e, TxnError::Fatal(_)) {
                        producers[turn] = None;
                    }
                    if matches!(e, TxnError::Refused { .. }) {
                        strikes.failed(&batch, e.to_string());
                    }
                    rewind(&consumer, batch).await;
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        // No transaction is open here (each ends before the next poll), and
        // every handled batch's offsets were committed with it.
        let close = tokio::task::spawn_blocking(move || consumer.close());
        let _ = tokio::time::timeout(self.cfg.shutdown_flush, close).await;
    }

    fn fail(&self, failure: &watch::Sender<Option<String>>, e: &TxnError) {
        tracing::error!(error = %e, "the exactly-once bridge stops");
        let _ = failure.send(Some(e.to_string()));
    }

    /// The transaction of a record whose own transactions Kafka kept
    /// refusing (`reason`): its dead letter alone, with its offset.
    fn refused_dead_letter(&self, rec: &ConsumedRecord, reason: &str) -> Handled {
        let context = self.context_of_topic(&rec.topic);
        let failed = Failed::consumed(rec, context.clone());
        let outcome = crate::bus::HandlerOutcome {
            handler: TRANSACTION_HANDLER.into(),
            attempts: POISON_STRIKES,
            latency: Duration::ZERO,
            result: Err(crate::bus::HandlerError::new(REFUSED_KIND, reason)),
        };
        let mut out = Handled::default();
        out.records.push(self.dead_letter(&failed, &outcome));
        out.add(CountKey::DeadLettered, &context, 1);
        out
    }

    /// Runs the handlers of a batch and turns their outcomes into the
    /// transaction's records; `None` when the bus stopped.
    async fn handle_batch(self: &Arc<Self>, batch: &[ConsumedRecord]) -> Option<Handled> {
        let mut pending = Vec::with_capacity(batch.len());
        for (i, rec) in batch.iter().enumerate() {
            let context = self.context_of_topic(&rec.topic);
            match self.dispatch_consumed(rec, context, true).await {
                Ok(Some((context, rx))) => pending.push((i, context, rx)),
                Ok(None) => {}
                Err(_) => return None,
            }
        }
        let mut out = Handled::default();
        for (i, context, rx) in pending {
            let report = rx.await.ok()?;
            let mut src: Option<Failed> = None;
            for outcome in &report.outcomes {
                self.metrics.observe_latency(&context, outcome.latency);
                out.add(
                    CountKey::Retries,
                    &context,
                    u64::from(outcome.attempts.saturating_sub(1)),
                );
                match &outcome.result {
                    Ok(emits) => {
                        out.add(CountKey::Handled, &context, 1);
                        for Emit { envelope, headers } in emits {
                            self.observe(envelope);
                            let (value, headers) =
                                crate::kafka::produce::envelope_record(envelope, headers);
                            out.add(CountKey::Published, &envelope.context, 1);
                            out.records.push(OutboxRecord {
                                context: envelope.context.clone(),
                                topic: self.topic_of(&envelope.context),
                                key: Some(envelope.aggregate_id.clone().into_bytes()),
                                value: Some(value),
                                headers,
                                enqueued_ms: chrono::Utc::now().timestamp_millis(),
                            });
                        }
                    }
                    Err(err) => {
                        out.add(CountKey::HandlerErrors, &context, 1);
                        let src =
                            src.get_or_insert_with(|| Failed::consumed(&batch[i], context.clone()));
                        tracing::warn!(handler = %outcome.handler, attempts = outcome.attempts, error = %err, "handler failed; its dead letter goes in the batch's transaction");
                        out.records.push(self.dead_letter(src, outcome));
                        out.add(CountKey::DeadLettered, &context, 1);
                    }
                }
            }
        }
        Some(out)
    }
}

/// Sets the batch's partitions back to its first records (off the runtime:
/// seeking blocks briefly).
async fn rewind(consumer: &Arc<GroupConsumer>, batch: Vec<ConsumedRecord>) {
    let c = consumer.clone();
    let _ = tokio::task::spawn_blocking(move || c.rewind(&batch)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transactional_ids_are_the_group_and_the_instance() {
        assert_eq!(
            transactional_ids("orders", "4f1c"),
            [
                "eventdeck-bridge-orders-4f1c",
                "eventdeck-bridge-orders-4f1c-alt"
            ]
        );
    }
}
