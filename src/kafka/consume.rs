//! Reading topics without joining a consumer group: every partition of the asked
//! topics is assigned directly at a start position (beginning, end, an offset, the
//! last N, or a time), like `kcat -C`. Records are detached and sent over a bounded
//! channel, so a slow reader applies back-pressure instead of growing memory.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::mpsc;

pub use super::client::assigning_config;
use super::client::{KafkaError, SecurityContext, describe_error, metadata_of};
use super::isolation::{Isolation, Settled, Verdicts};
use super::record::ConsumedRecord;
use crate::config::Settings;

/// Where reading starts in every partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The oldest retained record.
    Beginning,
    /// Only records produced from now on.
    End,
    /// This absolute offset in every partition.
    Offset(i64),
    /// The last N records of every partition.
    Last(i64),
    /// The first record at or after this time.
    Time(DateTime<Utc>),
}

impl FromStr for StartAt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "beginning" | "earliest" | "start" => Ok(Self::Beginning),
            "end" | "latest" => Ok(Self::End),
            _ => {
                if let Ok(n) = s.parse::<i64>() {
                    return Ok(if n < 0 {
                        Self::Last(-n)
                    } else {
                        Self::Offset(n)
                    });
                }
                DateTime::parse_from_rfc3339(s)
                    .map(|t| Self::Time(t.with_timezone(&Utc)))
                    .map_err(|_| {
                        format!(
                            "'{s}' is not a start position: use beginning, end, an offset \
                             (42), the last N records (-10) or an RFC 3339 time"
                        )
                    })
            }
        }
    }
}

/// What to read.
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// Topic names (contexts already resolved).
    pub topics: Vec<String>,
    /// Start position for every partition.
    pub start: StartAt,
    /// Stop after this many records.
    pub count: Option<u64>,
    /// Stop when every partition has reached its end.
    pub exit_at_end: bool,
}

/// How a tail reads: its isolation level and, at `read_uncommitted`, whether
/// a record waits until its transaction is known to have committed or aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// `read_committed` (librdkafka's default) or `read_uncommitted`.
    pub isolation: Isolation,
    /// At `read_uncommitted`: hold each record back until it is settled, so
    /// its [`TxnNote`] comes before it (a line printer needs that); else
    /// records go out at once and notes follow (a list marks its rows).
    pub hold: bool,
}

impl Default for Reading {
    fn default() -> Self {
        Self {
            isolation: Isolation::ReadCommitted,
            hold: false,
        }
    }
}

/// What a `read_uncommitted` tail learnt of a record's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    /// Its transaction was aborted: `read_committed` readers never see it.
    Aborted,
    /// Not known when the tail ended: its transaction was still open.
    Open,
}

/// A record's transaction state ([`TxnState`]); committed records get none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnNote {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// What is known.
    pub state: TxnState,
}

/// What the reader reports: records as read, or as [`tail_map`] made them.
#[derive(Debug, Clone, PartialEq)]
pub enum TailEvent<R = ConsumedRecord> {
    /// Records, in the order read (at most [`SEND_BATCH`] at a time).
    Records(Vec<R>),
    /// A problem that did not stop reading (the client retries by itself).
    Warning(String),
    /// At `read_uncommitted` only: records found to be in aborted (or, at the
    /// end of a tail, still open) transactions. With [`Reading::hold`] the
    /// notes come before their records, else after them.
    Txn(Vec<TxnNote>),
}

/// How a tail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailEnd {
    /// `count` records were read.
    Count,
    /// Every partition reached its end (`exit_at_end`).
    EndOfPartitions,
    /// The receiver went away.
    Closed,
}

/// Records per channel message at most.
pub const SEND_BATCH: usize = 512;

/// How long one poll waits; also how quickly a closed receiver is noticed.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long one poll waits while records wait for the `read_committed` twin.
const TWIN_WAIT: Duration = Duration::from_millis(10);

/// Reads the topics as the options say until the count, the end, or the receiver
/// closes. Runs librdkafka's blocking poll loop on a blocking thread.
pub async fn tail(
    settings: &Settings,
    opts: TailOptions,
    tx: mpsc::Sender<TailEvent>,
) -> Result<TailEnd, KafkaError> {
    tail_reading(settings, opts, Reading::default(), tx).await
}

/// The records of `topics` from the beginning to their current end (the
/// first `count` of them, when given), in the order [`tail`] reads them.
pub async fn read_from_beginning(
    settings: &Settings,
    topics: &[String],
    count: Option<u64>,
) -> Result<Vec<ConsumedRecord>, KafkaError> {
    let (tx, mut rx) = mpsc::channel(1024);
    let opts = TailOptions {
        topics: topics.to_vec(),
        start: StartAt::Beginning,
        count,
        exit_at_end: true,
    };
    let reader = {
        let settings = settings.clone();
        tokio::spawn(async move { tail(&settings, opts, tx).await })
    };
    let mut out = Vec::new();
    while let Some(ev) = rx.recv().await {
        if let TailEvent::Records(records) = ev {
            out.extend(records);
        }
    }
    reader.await.map_err(|e| KafkaError::Delivery {
        topic: topics.join(","),
        reason: e.to_string(),
    })??;
    if let Some(count) = count {
        out.truncate(usize::try_from(count).unwrap_or(usize::MAX));
    }
    Ok(out)
}

/// [`tail`] read as `reading` says.
pub async fn tail_reading(
    settings: &Settings,
    opts: TailOptions,
    reading: Reading,
    tx: mpsc::Sender<TailEvent>,
) -> Result<TailEnd, KafkaError> {
    let settings = settings.clone();
    crate::task_name::spawn_blocking(move || tail_blocking(&settings, &opts, reading, tx))
        .await
        .map_err(joined)?
}

/// A reader's thread that ended by a panic, as an error.
fn joined(e: tokio::task::JoinError) -> KafkaError {
    KafkaError::Delivery {
        topic: String::new(),
        reason: e.to_string(),
    }
}

/// [`tail`], each record passed through `map` before it is sent: work done
/// per record there (decoding it) stays off the receiver's, and off the
/// thread that polls (see [`tail_map_reading`]).
pub async fn tail_map<R, F>(
    settings: &Settings,
    opts: TailOptions,
    tx: mpsc::Sender<TailEvent<R>>,
    map: F,
) -> Result<TailEnd, KafkaError>
where
    R: Send + 'static,
    F: Fn(ConsumedRecord) -> R + Send + Sync + 'static,
{
    tail_map_reading(settings, opts, Reading::default(), tx, map).await
}

/// [`tail_map`] read as `reading` says.
///
/// Two threads: one polls (librdkafka, copying each record out), the other
/// maps what it read, batch by batch, in the order read. When the mapping
/// thread falls behind (its queue is full), the polling one maps the batch
/// in hand itself and queues it mapped, so a costly `map` (the data
/// policies) is shared by both. Every event goes through the one queue, in
/// turn, so transaction notes keep their place among the records.
pub async fn tail_map_reading<R, F>(
    settings: &Settings,
    opts: TailOptions,
    reading: Reading,
    tx: mpsc::Sender<TailEvent<R>>,
    map: F,
) -> Result<TailEnd, KafkaError>
where
    R: Send + 'static,
    F: Fn(ConsumedRecord) -> R + Send + Sync + 'static,
{
    let map = std::sync::Arc::new(map);
    let (queue_tx, mut queue) = mpsc::channel::<Handed<R>>(MAP_QUEUE_BATCHES);
    let runtime = tokio::runtime::Handle::current();
    let mapping = {
        let map = map.clone();
        crate::task_name::spawn_blocking(move || {
            loop {
                // The receiver going away is noticed while nothing is read
                // too: this thread then drops the queue, and the polling one
                // stops.
                let next = runtime.block_on(async {
                    tokio::select! {
                        biased;
                        handed = queue.recv() => handed,
                        () = tx.closed() => None,
                    }
                });
                let ev = match next {
                    None => return,
                    Some(Handed::Mapped(records)) => TailEvent::Records(records),
                    Some(Handed::Read(TailEvent::Records(records))) => {
                        TailEvent::Records(records.into_iter().map(&*map).collect())
                    }
                    Some(Handed::Read(TailEvent::Warning(w))) => TailEvent::Warning(w),
                    Some(Handed::Read(TailEvent::Txn(notes))) => TailEvent::Txn(notes),
                };
                if tx.blocking_send(ev).is_err() {
                    return;
                }
            }
        })
    };
    let settings = settings.clone();
    let helping = Helping {
        queue: queue_tx,
        map,
    };
    let end =
        crate::task_name::spawn_blocking(move || tail_blocking(&settings, &opts, reading, helping))
            .await;
    // Both threads have ended before this returns (a reader started again
    // on the same channel never mixes with this one), and the polling
    // thread's error, the one that says why, comes first.
    let mapped = mapping.await;
    let end = end.map_err(joined)?;
    mapped.map_err(joined)?;
    end
}

/// Batches queued for the mapping thread at most ([`tail_map_reading`]):
/// past them, the polling thread maps batches itself.
const MAP_QUEUE_BATCHES: usize = 2;

/// Where a reader's polling thread hands what it read (blocking).
trait Outlet {
    /// Hands `ev` on; false when the receiver has gone.
    fn send(&self, ev: TailEvent) -> bool;
    /// True when the receiver has gone.
    fn is_closed(&self) -> bool;
}

impl Outlet for mpsc::Sender<TailEvent> {
    fn send(&self, ev: TailEvent) -> bool {
        self.blocking_send(ev).is_ok()
    }

    fn is_closed(&self) -> bool {
        mpsc::Sender::is_closed(self)
    }
}

/// What [`tail_map_reading`]'s polling thread queues: what it read, or a
/// batch it mapped itself.
enum Handed<R> {
    Read(TailEvent),
    Mapped(Vec<R>),
}

/// [`tail_map_reading`]'s polling thread's outlet: records go to the
/// mapping thread as read, or mapped here while that thread is behind.
struct Helping<R, F> {
    queue: mpsc::Sender<Handed<R>>,
    map: std::sync::Arc<F>,
}

impl<R, F: Fn(ConsumedRecord) -> R> Outlet for Helping<R, F> {
    fn send(&self, ev: TailEvent) -> bool {
        let TailEvent::Records(records) = ev else {
            return self.queue.blocking_send(Handed::Read(ev)).is_ok();
        };
        match self.queue.try_reserve() {
            Ok(room) => {
                room.send(Handed::Read(TailEvent::Records(records)));
                true
            }
            Err(mpsc::error::TrySendError::Full(())) => {
                let mapped = records.into_iter().map(&*self.map).collect();
                self.queue.blocking_send(Handed::Mapped(mapped)).is_ok()
            }
            Err(mpsc::error::TrySendError::Closed(())) => false,
        }
    }

    fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
}

/// A consumer for assign()-based reading ([`assigning_config`]). Returns its
/// config too (for metadata calls).
fn assigning_consumer(
    settings: &Settings,
    purpose: &str,
    partition_eof: bool,
) -> Result<(rdkafka::ClientConfig, BaseConsumer<SecurityContext>), KafkaError> {
    isolated_consumer(settings, purpose, partition_eof, None)
}

/// [`assigning_consumer`] at `isolation` when given (it wins over a `-X
/// isolation.level`: the tail says which level it reads at).
fn isolated_consumer(
    settings: &Settings,
    purpose: &str,
    partition_eof: bool,
    isolation: Option<Isolation>,
) -> Result<(rdkafka::ClientConfig, BaseConsumer<SecurityContext>), KafkaError> {
    let mut cfg = assigning_config(settings, purpose, partition_eof);
    if let Some(isolation) = isolation {
        cfg.set("isolation.level", isolation_name(isolation));
    }
    let consumer = cfg
        .create_with_context(SecurityContext::default())
        .map_err(|e| KafkaError::client("creating the consumer", e))?;
    Ok((cfg, consumer))
}

/// librdkafka's name of an isolation level.
pub fn isolation_name(isolation: Isolation) -> &'static str {
    match isolation {
        Isolation::ReadCommitted => "read_committed",
        Isolation::ReadUncommitted => "read_uncommitted",
    }
}

fn tail_blocking(
    settings: &Settings,
    opts: &TailOptions,
    reading: Reading,
    tx: impl Outlet,
) -> Result<TailEnd, KafkaError> {
    // EOF events are only needed to know when to stop.
    let (cfg, consumer) =
        isolated_consumer(settings, "tail", opts.exit_at_end, Some(reading.isolation))?;
    // At read_uncommitted, a read_committed twin tells aborted records apart
    // (crate::kafka::isolation).
    let twin = match reading.isolation {
        Isolation::ReadUncommitted => Some(
            isolated_consumer(
                settings,
                "tail-committed",
                false,
                Some(Isolation::ReadCommitted),
            )?
            .1,
        ),
        Isolation::ReadCommitted => None,
    };
    let result = tail_with(
        &cfg,
        &consumer,
        twin.as_ref().map(|c| (c, reading.hold)),
        settings,
        opts,
        &tx,
    );
    // Destroying a librdkafka client waits ~100 ms for its threads to wind
    // down: close the channel first, so the reader's end is known at once.
    // The client is still destroyed here, not on a detached thread: one
    // winding down while the process exits can crash in OpenSSL's cleanup.
    drop(tx);
    drop(twin);
    drop(consumer);
    result
}

/// Records one poll of the `read_committed` twin takes at most, so the tail's
/// own reader is polled again soon.
const TWIN_DRAIN: usize = 2048;

/// How long the end of a `read_uncommitted` tail waits for its twin to reach
/// the last stable offset before records still undecided are said open.
const TWIN_CATCH_UP: Duration = Duration::from_secs(30);

/// A `read_uncommitted` tail's comparison with its `read_committed` twin
/// (crate::kafka::isolation), and the records it holds back.
struct Twin<'a, R> {
    consumer: &'a BaseConsumer<SecurityContext>,
    hold: bool,
    verdicts: Verdicts,
    held: std::collections::HashMap<(String, i32), std::collections::VecDeque<R>>,
}

impl<R> Twin<'_, R> {
    /// Polls the twin for what it has (waiting at most `wait` for the
    /// first), and notes its positions.
    fn drain(&mut self, wait: Duration) {
        let mut wait = wait;
        for _ in 0..TWIN_DRAIN {
            match self.consumer.poll(wait) {
                Some(Ok(m)) => self
                    .verdicts
                    .committed(m.topic(), m.partition(), m.offset()),
                Some(Err(e)) => tracing::debug!(error = %describe_error(&e), "read_committed twin"),
                None => break,
            }
            wait = Duration::ZERO;
        }
        // The position moves past control records too (librdkafka stores a
        // marker's offset as it skips it), which is what decides a record
        // of an aborted transaction.
        if let Ok(pos) = self.consumer.position() {
            for e in pos.elements() {
                if let Offset::Offset(o) = e.offset() {
                    self.verdicts.position(e.topic(), e.partition(), o);
                }
            }
        }
    }

    /// Settles what can be: records let go (when held), and the notes of
    /// the aborted ones.
    fn settle(&mut self, out: &mut Vec<R>, notes: &mut Vec<TxnNote>) {
        for (topic, partition, offset, verdict) in self.verdicts.settle() {
            if self.hold
                && let Some(r) = self
                    .held
                    .get_mut(&(topic.clone(), partition))
                    .and_then(std::collections::VecDeque::pop_front)
            {
                out.push(r);
            }
            if verdict == Settled::Aborted {
                notes.push(TxnNote {
                    topic,
                    partition,
                    offset,
                    state: TxnState::Aborted,
                });
            }
        }
    }

    /// At the end of a tail: waits (at most [`TWIN_CATCH_UP`]) for the twin
    /// to reach each partition's last stable offset, settles what is below
    /// it, and lets the rest go as open.
    fn finish(&mut self, out: &mut Vec<R>, notes: &mut Vec<TxnNote>) {
        let parts = self.verdicts.undecided_partitions();
        let mut stable = Vec::with_capacity(parts.len());
        for ((topic, p), _) in parts {
            // The twin reads at read_committed, so its watermark query
            // answers the last stable offset.
            let lso = self
                .consumer
                .fetch_watermarks(&topic, p, super::client::METADATA_TIMEOUT)
                .map_or(i64::MAX, |(_, high)| high);
            stable.push(((topic, p), lso));
        }
        let deadline = std::time::Instant::now() + TWIN_CATCH_UP;
        while std::time::Instant::now() < deadline
            && !stable
                .iter()
                .all(|(tp, lso)| self.verdicts.all_undecided_at_or_above(tp, *lso))
        {
            self.drain(POLL_INTERVAL);
            self.settle(out, notes);
        }
        self.settle(out, notes);
        for (tp, _) in &stable {
            let open = self.verdicts.give_up(tp);
            let held = self.held.get_mut(tp);
            let mut held = held.map(std::mem::take).unwrap_or_default();
            for offset in open {
                if self.hold
                    && let Some(r) = held.pop_front()
                {
                    out.push(r);
                }
                notes.push(TxnNote {
                    topic: tp.0.clone(),
                    partition: tp.1,
                    offset,
                    state: TxnState::Open,
                });
            }
        }
    }
}

fn tail_with(
    cfg: &rdkafka::ClientConfig,
    consumer: &BaseConsumer<SecurityContext>,
    twin: Option<(&BaseConsumer<SecurityContext>, bool)>,
    settings: &Settings,
    opts: &TailOptions,
    tx: &impl Outlet,
) -> Result<TailEnd, KafkaError> {
    let mut assignment = TopicPartitionList::new();
    for topic in &opts.topics {
        let info = metadata_of(consumer, cfg, &settings.brokers, Some(topic))?;
        let partitions = info
            .partitions(topic)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| KafkaError::UnknownTopic(topic.clone()))?;
        for &p in partitions {
            let offset = match opts.start {
                StartAt::Beginning => Offset::Beginning,
                StartAt::End => Offset::End,
                StartAt::Offset(n) => Offset::Offset(n),
                StartAt::Last(n) => Offset::OffsetTail(n),
                StartAt::Time(t) => Offset::Offset(t.timestamp_millis()),
            };
            assignment
                .add_partition_offset(topic, p, offset)
                .map_err(|e| KafkaError::client("building the assignment", e))?;
        }
    }
    if let StartAt::Time(t) = opts.start
        && !settings.caps.time_index
    {
        // A broker without a time index (the embedded one) (its ListOffsets by time
        // answers the end): find the offsets from the records' own timestamps.
        assignment = offsets_by_record_time(consumer, &assignment, t.timestamp_millis())?;
    } else if let StartAt::Time(_) = opts.start {
        // offsets_for_times takes the timestamps in the offset slots.
        assignment = consumer
            .offsets_for_times(assignment, super::client::METADATA_TIMEOUT)
            .map_err(|e| KafkaError::client("looking up offsets for the time", e))?;
        // A partition with nothing at or after the time answers "end".
        for mut elem in assignment.elements() {
            if let Offset::Offset(o) = elem.offset()
                && o < 0
            {
                let _ = elem.set_offset(Offset::End);
            }
        }
    }
    let total = assignment.count();
    // The twin is assigned first: a logical start (end, the last N) resolves
    // for it no later than for the tail, and at read_committed no further
    // than the last stable offset, so it reads every offset the tail does.
    let mut twin = match twin {
        Some((c, hold)) => {
            c.assign(&assignment)
                .map_err(|e| KafkaError::client("assigning partitions", e))?;
            Some(Twin {
                consumer: c,
                hold,
                verdicts: Verdicts::default(),
                held: std::collections::HashMap::new(),
            })
        }
        None => None,
    };
    consumer
        .assign(&assignment)
        .map_err(|e| KafkaError::client("assigning partitions", e))?;
    let mut notes: Vec<TxnNote> = Vec::new();

    let mut at_end: HashSet<(String, i32)> = HashSet::new();
    let mut read = 0u64;
    // Records go out in batches: one channel send (and one wake-up of the
    // reader) per batch instead of per record.
    let mut pending: Vec<ConsumedRecord> = Vec::with_capacity(SEND_BATCH);
    let flush = |pending: &mut Vec<ConsumedRecord>| -> bool {
        if pending.is_empty() {
            return true;
        }
        let batch = std::mem::replace(pending, Vec::with_capacity(SEND_BATCH));
        tx.send(TailEvent::Records(batch))
    };
    // Notes go before the records they are about when those were held back,
    // after them when the records went out at once.
    let hold = twin.as_ref().is_some_and(|t| t.hold);
    let send = |pending: &mut Vec<ConsumedRecord>, notes: &mut Vec<TxnNote>| -> bool {
        let notes_ok = |notes: &mut Vec<TxnNote>| {
            notes.is_empty() || tx.send(TailEvent::Txn(std::mem::take(notes)))
        };
        let notes_first = hold && !notes.is_empty();
        if notes_first && !notes_ok(notes) {
            return false;
        }
        flush(pending) && notes_ok(notes)
    };
    loop {
        if opts.count.is_some_and(|c| read >= c) {
            return Ok(if send(&mut pending, &mut notes) {
                TailEnd::Count
            } else {
                TailEnd::Closed
            });
        }
        if tx.is_closed() {
            return Ok(TailEnd::Closed);
        }
        if let Some(t) = twin.as_mut()
            && t.verdicts.has_undecided()
        {
            t.drain(Duration::ZERO);
            let before = pending.len();
            t.settle(&mut pending, &mut notes);
            read += (pending.len() - before) as u64;
            if !notes.is_empty() && !send(&mut pending, &mut notes) {
                return Ok(TailEnd::Closed);
            }
        }
        // While a batch is filling, take only what is already fetched; while
        // records wait for the twin, come back to it soon.
        let wait = if !pending.is_empty() {
            Duration::ZERO
        } else if twin.as_ref().is_some_and(|t| t.verdicts.has_undecided()) {
            TWIN_WAIT
        } else {
            POLL_INTERVAL
        };
        let polled = consumer.poll(wait);
        if !matches!(polled, Some(Ok(_))) && !send(&mut pending, &mut notes) {
            return Ok(TailEnd::Closed);
        }
        match polled {
            None => {}
            Some(Ok(m)) => {
                let rec = ConsumedRecord::from_message(&m);
                if !at_end.is_empty() {
                    at_end.remove(&(rec.topic.clone(), rec.partition));
                }
                match twin.as_mut() {
                    Some(t) => {
                        t.verdicts
                            .uncommitted(&rec.topic, rec.partition, rec.offset);
                        if t.hold {
                            t.held
                                .entry((rec.topic.clone(), rec.partition))
                                .or_default()
                                .push_back(rec);
                        } else {
                            read += 1;
                            pending.push(rec);
                        }
                    }
                    None => {
                        read += 1;
                        pending.push(rec);
                    }
                }
                if pending.len() >= SEND_BATCH && !send(&mut pending, &mut notes) {
                    return Ok(TailEnd::Closed);
                }
            }
            Some(Err(RdError::PartitionEOF(p))) => {
                // The EOF error names only the partition, not the topic: with
                // several topics, mark those whose position reached the cached
                // high watermark.
                let candidates: Vec<String> = assignment
                    .elements()
                    .iter()
                    .filter(|e| e.partition() == p)
                    .map(|e| e.topic().to_string())
                    .collect();
                if candidates.len() == 1 {
                    at_end.insert((candidates[0].clone(), p));
                } else if let Ok(pos) = consumer.position() {
                    for topic in candidates {
                        let Ok((low, high)) =
                            consumer.fetch_watermarks(&topic, p, Duration::from_secs(2))
                        else {
                            continue;
                        };
                        // A partition that has delivered nothing (empty, or
                        // read from its end) has no position yet: it is where
                        // it was assigned.
                        let assigned =
                            assignment
                                .find_partition(&topic, p)
                                .and_then(|e| match e.offset() {
                                    Offset::Beginning => Some(low),
                                    Offset::End => Some(high),
                                    Offset::Offset(n) => Some(n),
                                    Offset::OffsetTail(n) => Some((high - n).max(low)),
                                    _ => None,
                                });
                        let here = pos
                            .find_partition(&topic, p)
                            .and_then(|e| e.offset().to_raw())
                            .filter(|&o| o >= 0)
                            .or(assigned);
                        if here.is_some_and(|here| here >= high) {
                            at_end.insert((topic, p));
                        }
                    }
                }
                if opts.exit_at_end && at_end.len() >= total {
                    if let Some(t) = twin.as_mut() {
                        t.finish(&mut pending, &mut notes);
                        if !send(&mut pending, &mut notes) {
                            return Ok(TailEnd::Closed);
                        }
                    }
                    return Ok(TailEnd::EndOfPartitions);
                }
            }
            Some(Err(e)) => {
                if denied(&e) {
                    return Err(KafkaError::TopicAuthorization(opts.topics.join(", ")));
                }
                if !tx.send(TailEvent::Warning(describe_error(&e))) {
                    return Ok(TailEnd::Closed);
                }
            }
        }
    }
}

/// `assignment` with each partition's offset replaced by the first offset at
/// or after `at_ms` by the records' timestamps
/// ([`super::record_times::offsets_for_time_by_search`]).
fn offsets_by_record_time(
    consumer: &BaseConsumer<SecurityContext>,
    assignment: &TopicPartitionList,
    at_ms: i64,
) -> Result<TopicPartitionList, KafkaError> {
    let timeout = super::client::METADATA_TIMEOUT;
    let mut parts = Vec::with_capacity(assignment.count());
    for e in assignment.elements() {
        let (low, high) = consumer
            .fetch_watermarks(e.topic(), e.partition(), timeout)
            .map_err(|err| KafkaError::client("reading watermarks", err))?;
        parts.push((e.topic().to_string(), e.partition(), low, high));
    }
    let found = super::record_times::offsets_for_time_by_search(consumer, &parts, at_ms)?;
    let mut out = TopicPartitionList::with_capacity(parts.len());
    for (t, p, _, high) in &parts {
        let at = found.get(&(t.clone(), *p)).copied().unwrap_or(*high);
        out.add_partition_offset(t, *p, Offset::Offset(at))
            .map_err(|e| KafkaError::client("building the assignment", e))?;
    }
    Ok(out)
}

/// True when a poll's error is the cluster's ACLs denying the topic: the
/// read cannot go on (librdkafka recovers from the others by itself).
pub(crate) fn denied(e: &RdError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed)
    )
}

/// How long [`read_at`] waits for its record.
pub const READ_AT_TIMEOUT: Duration = Duration::from_secs(15);

/// The record at `offset` of `topic`'s `partition`, read again from Kafka at
/// `isolation` (the console's list keeps no copy of a masked record as read:
/// writing it back reads it again). Blocking; call from a blocking context.
/// [`KafkaError::RecordGone`] when it is not there: the partition starts
/// after it (retention) or ends before it, or a later offset comes first
/// (compaction removed it).
pub fn read_at(
    settings: &Settings,
    topic: &str,
    partition: i32,
    offset: i64,
    isolation: Option<Isolation>,
) -> Result<ConsumedRecord, KafkaError> {
    let (_, consumer) = isolated_consumer(settings, "read again", true, isolation)?;
    let gone = |reason: String| KafkaError::RecordGone {
        topic: topic.to_string(),
        partition,
        offset,
        reason,
    };
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, super::client::METADATA_TIMEOUT)
        .map_err(|e| KafkaError::client("reading watermarks", e))?;
    if offset < low {
        return Err(gone(format!("the partition now starts at offset {low}")));
    }
    if offset >= high {
        return Err(gone(format!("the partition ends at offset {high}")));
    }
    let mut at = TopicPartitionList::new();
    at.add_partition_offset(topic, partition, Offset::Offset(offset))
        .map_err(|e| KafkaError::client("building the assignment", e))?;
    consumer
        .assign(&at)
        .map_err(|e| KafkaError::client("assigning the partition", e))?;
    let deadline = std::time::Instant::now() + READ_AT_TIMEOUT;
    // What librdkafka last reported; it recovers from most (a broker
    // going away), so the read goes on until the deadline.
    let mut last_error = None;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            let waited = format!("no answer in {} s", READ_AT_TIMEOUT.as_secs());
            return Err(KafkaError::Admin {
                action: format!("reading {topic}[{partition}]@{offset} again"),
                reason: last_error.map_or(waited.clone(), |e| format!("{waited}; last: {e}")),
            });
        }
        match consumer.poll(left.min(Duration::from_millis(250))) {
            Some(Ok(m)) if m.offset() == offset => return Ok(ConsumedRecord::from_message(&m)),
            Some(Ok(m)) => {
                return Err(gone(format!(
                    "the partition has offset {} next",
                    m.offset()
                )));
            }
            Some(Err(RdError::PartitionEOF(_))) => {
                return Err(gone("the partition ends before it".into()));
            }
            Some(Err(e)) if denied(&e) => {
                return Err(KafkaError::TopicAuthorization(topic.to_string()));
            }
            Some(Err(e)) => last_error = Some(describe_error(&e)),
            None => {}
        }
    }
}

/// Reads exactly the records of `topics` whose broker time index places them in
/// `[from, to)`: start offsets from offsets-for-times(`from`), end offsets from
/// offsets-for-times(`to`) (or the current end). Blocking; call from a blocking
/// context. Records come back per partition in offset order.
pub fn read_time_range(
    settings: &Settings,
    topics: &[String],
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<ConsumedRecord>, KafkaError> {
    let (cfg, consumer) = assigning_consumer(settings, "range", false)?;
    let timeout = super::client::METADATA_TIMEOUT;
    // A broker without a time index (the embedded one) is scanned: read
    // everything and keep the records whose timestamp is in the range. Its
    // partitions are small.
    let scan = !settings.caps.time_index;
    let mut starts = TopicPartitionList::new();
    let mut ends = TopicPartitionList::new();
    let mut highs = std::collections::HashMap::new();
    let mut lows = std::collections::HashMap::new();
    for topic in topics {
        let info = metadata_of(&consumer, &cfg, &settings.brokers, Some(topic))?;
        let partitions = info
            .partitions(topic)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| KafkaError::UnknownTopic(topic.clone()))?;
        for &p in partitions {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, timeout)
                .map_err(|e| KafkaError::client("reading watermarks", e))?;
            highs.insert((topic.clone(), p), high);
            if scan {
                lows.insert((topic.clone(), p), low);
            }
            starts
                .add_partition_offset(topic, p, Offset::Offset(from.timestamp_millis()))
                .map_err(|e| KafkaError::client("building the range", e))?;
            if let Some(to) = to
                && !scan
            {
                ends.add_partition_offset(topic, p, Offset::Offset(to.timestamp_millis()))
                    .map_err(|e| KafkaError::client("building the range", e))?;
            }
        }
    }
    let starts = if scan {
        let mut tpl = TopicPartitionList::new();
        for ((t, p), low) in &lows {
            tpl.add_partition_offset(t, *p, Offset::Offset(*low))
                .map_err(|e| KafkaError::client("building the range", e))?;
        }
        tpl
    } else {
        consumer
            .offsets_for_times(starts, timeout)
            .map_err(|e| KafkaError::client("looking up offsets for --from", e))?
    };
    let ends = if to.is_some() && !scan {
        Some(
            consumer
                .offsets_for_times(ends, timeout)
                .map_err(|e| KafkaError::client("looking up offsets for --to", e))?,
        )
    } else {
        None
    };
    // Per partition: [start, end). "No offset at or after the time" means the end.
    let mut ranges: std::collections::HashMap<(String, i32), (i64, i64)> =
        std::collections::HashMap::new();
    let mut assignment = TopicPartitionList::new();
    for e in starts.elements() {
        let key = (e.topic().to_string(), e.partition());
        let high = highs.get(&key).copied().unwrap_or(0);
        let resolve = |o: Offset| match o {
            Offset::Offset(o) if o >= 0 => o,
            _ => high,
        };
        let start = resolve(e.offset());
        let end = ends
            .as_ref()
            .and_then(|ends| ends.find_partition(&key.0, key.1))
            .map_or(high, |e| resolve(e.offset()))
            .min(high);
        if start < end {
            assignment
                .add_partition_offset(&key.0, key.1, Offset::Offset(start))
                .map_err(|e| KafkaError::client("building the assignment", e))?;
            ranges.insert(key, (start, end));
        }
    }
    let mut out = Vec::new();
    if ranges.is_empty() {
        return Ok(out);
    }
    consumer
        .assign(&assignment)
        .map_err(|e| KafkaError::client("assigning partitions", e))?;
    let mut open = ranges.len();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while open > 0 && std::time::Instant::now() < deadline {
        match consumer.poll(POLL_INTERVAL) {
            Some(Ok(m)) => {
                let rec = ConsumedRecord::from_message(&m);
                let key = (rec.topic.clone(), rec.partition);
                let Some(&(_, end)) = ranges.get(&key) else {
                    continue;
                };
                let in_time = !scan
                    || rec.timestamp_ms.is_some_and(|t| {
                        t >= from.timestamp_millis()
                            && to.is_none_or(|to| t < to.timestamp_millis())
                    });
                if rec.offset < end && in_time {
                    out.push(rec.clone());
                }
                if rec.offset + 1 >= end {
                    ranges.remove(&key);
                    open -= 1;
                }
            }
            Some(Err(e)) => tracing::warn!(error = %describe_error(&e), "range read"),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions_parse() {
        assert_eq!("beginning".parse(), Ok(StartAt::Beginning));
        assert_eq!("end".parse(), Ok(StartAt::End));
        assert_eq!("42".parse(), Ok(StartAt::Offset(42)));
        assert_eq!("-5".parse(), Ok(StartAt::Last(5)));
        let t: StartAt = "2026-11-27T10:00:00Z".parse().expect("time");
        assert!(matches!(t, StartAt::Time(t) if t.timestamp() == 1_795_773_600));
        let err = "yesterday".parse::<StartAt>().expect_err("not a position");
        assert!(err.contains("RFC 3339"), "{err}");
    }
}
