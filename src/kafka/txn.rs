//! Kafka transactions (KIP-98; KIP-447 for consume → produce): a
//! transactional producer that writes records, and optionally a consumer
//! group's offsets, all or nothing. A `read_committed` reader sees every record
//! of a committed transaction and none of an aborted one.
//!
//! Every call here blocks (librdkafka waits for the transaction coordinator
//! and the partition leaders): callers run them off the async runtime's
//! workers (`spawn_blocking` or a thread of their own).
//!
//! librdkafka sorts transactional errors in three kinds, and so does
//! [`TxnError`]: abortable (this transaction is lost, abort it and try
//! again), fatal (the producer is unusable, make a new one), and fenced (a
//! fatal error saying another producer with the same `transactional.id` took
//! over: this one must stop, or both would write).

use std::time::{Duration, Instant};

use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::{KafkaError as RdError, RDKafkaError};
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, SecurityContext, client_config};
use super::produce::RawRecord;
use crate::config::Settings;

/// How long one blocking transactional call may wait for the coordinator.
/// Longer than a broker's failover (a leader election takes seconds), shorter
/// than the transaction timeout, so a stuck call ends before the broker aborts.
pub const TXN_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a commit that failed with a retriable error is tried again
/// before the transaction is aborted instead.
const COMMIT_RETRIES: u32 = 3;

/// How long a send waits before trying again while librdkafka's queue is full.
const QUEUE_FULL_PAUSE: Duration = Duration::from_millis(5);

/// How long a commit naps while its records' deliveries are outstanding.
const DELIVERY_NAP: Duration = Duration::from_micros(500);

/// Why a transaction did not commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxnError {
    /// The transaction was aborted (nothing of it is visible to
    /// `read_committed` readers); the producer can run the next one.
    #[error("the transaction was aborted: {0}")]
    Aborted(String),
    /// Kafka refused one of the transaction's records for what it is (too
    /// large, invalid, a topic that does not exist or may not be written):
    /// the transaction was aborted, and the same record would be refused
    /// again.
    #[error("the transaction was aborted: Kafka refused a record for {topic}: {reason}")]
    Refused {
        /// The record's topic.
        topic: String,
        /// librdkafka's words.
        reason: String,
    },
    /// The producer cannot go on; a new one must be made.
    #[error("the transactional producer failed for good: {0}")]
    Fatal(String),
    /// Another producer with the same `transactional.id` started: this one
    /// is a zombie and must stop.
    #[error(
        "fenced: another producer started with transactional.id '{id}' ({reason}); this one stops so the two cannot both write — run each bridge with an outbox directory (and so an instance id) of its own"
    )]
    Fenced {
        /// The `transactional.id`.
        id: String,
        /// librdkafka's words.
        reason: String,
    },
}

/// A consumer's group metadata (group, generation, member id), as
/// `send_offsets_to_transaction` needs it: the group coordinator refuses the
/// offsets of a member that a rebalance has replaced (KIP-447).
pub struct GroupPosition(pub(crate) ConsumerGroupMetadata);

/// The next offset to read per partition (`offset + 1` of the last handled
/// record), as committed with a transaction.
pub type NextOffsets = Vec<(String, i32, i64)>;

/// A producer with a `transactional.id`.
pub struct TxnProducer {
    inner: FutureProducer<SecurityContext>,
    id: String,
}

impl std::fmt::Debug for TxnProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxnProducer").field("id", &self.id).finish()
    }
}

/// Errors that refuse a record for what it is: sent again, it would be
/// refused again.
fn refuses_the_record(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::InvalidMessage
            | RDKafkaErrorCode::InvalidMessageSize
            | RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::MessageBatchTooLarge
            | RDKafkaErrorCode::InvalidRecord
            | RDKafkaErrorCode::BadMessage
            | RDKafkaErrorCode::InvalidTopic
            | RDKafkaErrorCode::UnknownTopic
            | RDKafkaErrorCode::TopicAuthorizationFailed
    )
}

fn is_fenced(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Fenced
            | RDKafkaErrorCode::ProducerFenced
            | RDKafkaErrorCode::InvalidProducerEpoch
    )
}

impl TxnProducer {
    /// Creates the producer and registers its `transactional.id` with the
    /// coordinator (`init_transactions`), which aborts what an earlier
    /// producer with the same id left open and fences that producer.
    /// Blocks for up to [`TXN_CALL_TIMEOUT`].
    pub fn new(
        settings: &Settings,
        transactional_id: &str,
        transaction_timeout: Duration,
    ) -> Result<Self, TxnError> {
        let mut cfg = client_config(settings);
        cfg.set("transactional.id", transactional_id);
        cfg.set(
            "transaction.timeout.ms",
            transaction_timeout.as_millis().to_string(),
        );
        // Implied by transactional.id; said so a -X cannot turn it off.
        cfg.set("enable.idempotence", "true");
        cfg.set("acks", "all");
        cfg.set("compression.type", "zstd");
        cfg.set("compression.level", "1");
        // A transaction is flushed at its commit: no need to wait for fuller
        // batches before that.
        cfg.set("linger.ms", "1");
        // Right after a commit the coordinator is still writing that
        // transaction's markers, and answers the next transaction's
        // AddOffsetsToTxn with CONCURRENT_TRANSACTIONS for a few
        // milliseconds; librdkafka retries it after `retry.backoff.ms`
        // (default 100 ms, doubling up to 1 s), which made every transaction
        // of a busy bridge take over 100 ms. Retry soon, and not for long:
        // with 5 ms doubling to 100 ms, the offsets took 24 ms (p50) of a
        // 1k/s bridge's transaction; with 2 ms up to 10 ms, 11 ms.
        cfg.set("retry.backoff.ms", "2");
        cfg.set("retry.backoff.max.ms", "10");
        let inner: FutureProducer<SecurityContext> = cfg
            .create_with_context(SecurityContext::default())
            .map_err(|e| {
                TxnError::Fatal(KafkaError::client("creating the producer", e).to_string())
            })?;
        let producer = Self {
            inner,
            id: transactional_id.to_string(),
        };
        producer
            .inner
            .init_transactions(TXN_CALL_TIMEOUT)
            .map_err(|e| producer.classify("initializing transactions", e))?;
        Ok(producer)
    }

    /// The `transactional.id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Writes `records` and, with `group`, the consumed `offsets` in one
    /// transaction, and commits it. Returns how long the commit took. On an
    /// abortable error the transaction is aborted before this returns
    /// ([`TxnError::Aborted`]): nothing of it becomes visible.
    pub fn write(
        &self,
        records: &[RawRecord<'_>],
        offsets: &[(String, i32, i64)],
        group: Option<&GroupPosition>,
    ) -> Result<Duration, TxnError> {
        self.inner
            .begin_transaction()
            .map_err(|e| self.classify("beginning a transaction", e))?;
        match self.fill_and_commit(records, offsets, group) {
            Ok(took) => Ok(took),
            Err(e @ (TxnError::Aborted(_) | TxnError::Refused { .. })) => {
                self.abort()?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    fn fill_and_commit(
        &self,
        records: &[RawRecord<'_>],
        offsets: &[(String, i32, i64)],
        group: Option<&GroupPosition>,
    ) -> Result<Duration, TxnError> {
        // The commit waits for every delivery and fails if one did; the
        // reports then tell a refused record from a failing cluster.
        let mut deliveries = Vec::with_capacity(records.len());
        for r in records {
            let mut record = r.to_future_record();
            let deadline = Instant::now() + TXN_CALL_TIMEOUT;
            loop {
                match self.inner.send_result(record) {
                    Ok(delivery) => {
                        deliveries.push(delivery);
                        break;
                    }
                    Err((RdError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                        if Instant::now() < deadline =>
                    {
                        record = back;
                        std::thread::sleep(QUEUE_FULL_PAUSE);
                    }
                    Err((e, _)) => {
                        return Err(match e {
                            RdError::Transaction(_) => self.classify("sending a record", e),
                            RdError::MessageProduction(code) if refuses_the_record(code) => {
                                TxnError::Refused {
                                    topic: r.topic.to_string(),
                                    reason: e.to_string(),
                                }
                            }
                            e => TxnError::Aborted(format!("sending to {}: {e}", r.topic)),
                        });
                    }
                }
            }
        }
        // The offsets while the records are on their way (AddOffsetsToTxn
        // and TxnOffsetCommit, two writes the coordinators replicate, overlap
        // the records' produce: a 1k/s bridge's transactions went from about
        // 20 ms to 10). A producer whose previous transaction the coordinator
        // is still completing gets CONCURRENT_TRANSACTIONS for the records'
        // AddPartitionsToTxn, retried after a fixed 20 ms: the exactly-once
        // bridge's transactions take turns on two producers, so that wait
        // comes only after an abort.
        if let Some(group) = group
            && !offsets.is_empty()
        {
            let mut tpl = TopicPartitionList::new();
            for (t, p, o) in offsets {
                tpl.add_partition_offset(t, *p, Offset::Offset(*o))
                    .map_err(|e| TxnError::Aborted(format!("building the offsets: {e}")))?;
            }
            if let Err(e) = self
                .inner
                .send_offsets_to_transaction(&tpl, &group.0, TXN_CALL_TIMEOUT)
            {
                // A record Kafka refused already makes the transaction
                // abortable: say so rather than that the offsets failed.
                return Err(self.failed("adding the consumed offsets", e, deliveries, false));
            }
        }
        let started = Instant::now();
        // rust-rdkafka's commit_transaction flushes first, and its flush
        // waits in polls of 100 ms that each last the whole 100 ms (its poll
        // serves events until its deadline): every commit took over 100 ms.
        // The producer's own thread serves the delivery reports, so waiting
        // for them here, in short naps, leaves that flush nothing to wait for.
        self.await_deliveries(started + TXN_CALL_TIMEOUT);
        let mut tries = 0;
        loop {
            match self.inner.commit_transaction(TXN_CALL_TIMEOUT) {
                Ok(()) => return Ok(started.elapsed()),
                // A commit that timed out may be called again (librdkafka
                // resumes it where it was).
                Err(RdError::Transaction(e)) if e.is_retriable() && tries < COMMIT_RETRIES => {
                    tracing::debug!(error = %e, "commit_transaction: retriable; calling it again");
                    tries += 1;
                }
                Err(e) => {
                    return Err(self.failed("committing the transaction", e, deliveries, true));
                }
            }
        }
    }

    /// Why `doing` failed: an abortable failure is the record Kafka refused
    /// when one was (the delivery reports tell it from a failing cluster;
    /// unless `reports_in`, they are awaited first), else its kind
    /// ([`TxnProducer::classify`]).
    fn failed(
        &self,
        doing: &str,
        e: RdError,
        deliveries: Vec<rdkafka::producer::DeliveryFuture>,
        reports_in: bool,
    ) -> TxnError {
        match self.classify(doing, e) {
            TxnError::Aborted(reason) => {
                if !reports_in {
                    self.await_deliveries(Instant::now() + TXN_CALL_TIMEOUT);
                }
                refused(deliveries).unwrap_or(TxnError::Aborted(reason))
            }
            other => other,
        }
    }

    /// Waits, in short naps, until every record sent has its delivery report
    /// or `deadline` passes.
    fn await_deliveries(&self, deadline: Instant) {
        while self.inner.in_flight_count() > 0 && Instant::now() < deadline {
            std::thread::sleep(DELIVERY_NAP);
        }
    }

    /// Aborts the open transaction (retrying a retriable failure, as
    /// librdkafka asks).
    pub fn abort(&self) -> Result<(), TxnError> {
        let mut tries = 0;
        loop {
            match self.inner.abort_transaction(TXN_CALL_TIMEOUT) {
                Ok(()) => return Ok(()),
                Err(RdError::Transaction(e)) if e.is_retriable() && tries < COMMIT_RETRIES => {
                    tries += 1;
                }
                Err(e) => {
                    return Err(match self.classify("aborting the transaction", e) {
                        // An abort that cannot finish leaves the producer
                        // unusable: make a new one (its init aborts the rest).
                        TxnError::Aborted(reason) => TxnError::Fatal(reason),
                        other => other,
                    });
                }
            }
        }
    }

    /// Sorts an error into the three kinds.
    fn classify(&self, doing: &str, e: RdError) -> TxnError {
        let RdError::Transaction(t) = &e else {
            return TxnError::Aborted(format!("{doing}: {e}"));
        };
        classify_rd(&self.id, doing, t)
    }
}

/// The first delivery that failed because Kafka refused its record, as
/// [`TxnError::Refused`] (the deliveries have all been reported: the
/// commit waited for them).
fn refused(deliveries: Vec<rdkafka::producer::DeliveryFuture>) -> Option<TxnError> {
    use futures::FutureExt;
    use rdkafka::Message;
    deliveries.into_iter().find_map(|d| match d.now_or_never() {
        Some(Ok(Err((e @ RdError::MessageProduction(code), msg)))) if refuses_the_record(code) => {
            Some(TxnError::Refused {
                topic: msg.topic().to_string(),
                reason: e.to_string(),
            })
        }
        _ => None,
    })
}

fn classify_rd(id: &str, doing: &str, t: &RDKafkaError) -> TxnError {
    let reason = format!("{doing}: {t}");
    if is_fenced(t.code()) {
        TxnError::Fenced {
            id: id.to_string(),
            reason,
        }
    } else if t.is_fatal() {
        TxnError::Fatal(reason)
    } else {
        // Abortable, or retriable (a timeout): either way this transaction
        // is given up and its batch tried again.
        TxnError::Aborted(reason)
    }
}
