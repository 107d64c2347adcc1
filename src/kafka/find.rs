//! The search's reader: scans the partitions and offset ranges a search
//! covers with its own assigning consumer (no group, no commits, the tail
//! path's settings), judges each record on the bytes as read before copying
//! it, and reports the plan, progress and matches through a callback. The
//! range of every partition is fixed when the search starts (its watermarks,
//! or the offsets of `--from`/`--to`), so a search ends even while producers
//! keep writing, and its progress has a true total.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::BorrowedMessage;
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, METADATA_TIMEOUT, SecurityContext, describe_error, metadata_of};
use super::consume::assigning_config;
use super::record::ConsumedRecord;
use crate::config::Settings;
use crate::domain::schema::NoRegistry;
use crate::find::partitioner::{Partitioner, key_partitions};
use crate::find::query::{Query, RawView, schema_framed};

/// One end of the searched range, the same for every partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The log start (for `from`) or the end as the search starts (for `to`).
    Open,
    /// This offset, clamped to the partition's log.
    Offset(i64),
    /// The first record at or after this time (broker time index).
    Time(DateTime<Utc>),
}

impl std::str::FromStr for Bound {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "beginning" | "earliest" | "end" | "latest" | "now" => Ok(Bound::Open),
            _ => s.parse::<i64>().map(Bound::Offset).or_else(|_| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| Bound::Time(t.with_timezone(&Utc)))
                    .map_err(|_| {
                        format!("'{s}' is neither an offset (42) nor an RFC 3339 time (2026-11-27T10:00:00Z)")
                    })
            }),
        }
    }
}

/// Which partitions a key lookup reads beyond those its key hashes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyScope {
    /// Only the key's partitions.
    #[default]
    KeyPartitions,
    /// The key's partitions, then every other one.
    AllPartitions,
    /// The key's partitions, then the others only when nothing was found.
    Exhaustive,
}

/// A search.
#[derive(Debug, Clone)]
pub struct FindRequest {
    /// Topic names (contexts already resolved).
    pub topics: Vec<String>,
    /// What to look for.
    pub query: Query,
    /// Where each partition's range starts (inclusive).
    pub from: Bound,
    /// Where it ends (exclusive).
    pub to: Bound,
    /// Only these partitions (of every topic); empty: all (or the key's).
    pub partitions: Vec<i32>,
    /// Matches reported at most.
    pub limit: usize,
    /// A key lookup's reach.
    pub key_scope: KeyScope,
    /// Partition readers run at once (each its own consumer and thread);
    /// 0: one per core, at most [`MAX_READERS`]. Never more than partitions.
    pub readers: usize,
}

/// The most partition readers an automatic choice runs.
pub const MAX_READERS: usize = 4;

impl FindRequest {
    /// The readers a pass over `ranges` partitions runs.
    fn readers_for(&self, ranges: usize) -> usize {
        let wanted = match self.readers {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_READERS),
            n => n,
        };
        wanted.clamp(1, ranges.max(1))
    }
}

/// A partition a key lookup reads first, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The partitioners that put the key there.
    pub by: Vec<Partitioner>,
}

/// What the search will read, said before it reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// A key lookup's first partitions (empty without `--key` or with `--partition`).
    pub key_partitions: Vec<KeyPartition>,
    /// Partitions of the first pass.
    pub first_pass: usize,
    /// Partitions left for a second pass (scanned per the [`KeyScope`]).
    pub second_pass: usize,
    /// Records in the first pass's ranges (from the watermarks).
    pub total: u64,
}

/// Progress, sent at most every [`PROGRESS_EVERY`] and when a pass ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Records read so far.
    pub scanned: u64,
    /// Records in the ranges being read (grows when a second pass starts).
    pub total: u64,
    /// Matches so far.
    pub matches: u64,
    /// Time since the search started.
    pub elapsed: Duration,
}

/// What the reader reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FindEvent {
    /// The partitions and total, before reading.
    Planned(Plan),
    /// A second pass over the other partitions starts.
    SecondPass {
        /// Partitions in it.
        partitions: usize,
        /// Records in them.
        records: u64,
    },
    /// How far it is.
    Progress(Progress),
    /// A matching record, as read: it was judged as the data policies let
    /// it be shown, and whoever shows it masks it
    /// ([`ConsumedRecord::masked`]).
    Found(ConsumedRecord),
    /// A problem that did not stop the search (the client retries).
    Warning(String),
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FindSummary {
    /// Records read.
    pub scanned: u64,
    /// Records in the ranges read.
    pub total: u64,
    /// Matches reported.
    pub matches: u64,
    /// Partitions read.
    pub partitions: usize,
    /// Stopped at the limit: more records may match.
    pub capped: bool,
    /// Cancelled (or the receiver went away) before the end.
    pub cancelled: bool,
    /// How long it took.
    pub elapsed: Duration,
}

/// How often progress is reported at most.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// How long one poll waits; also how quickly a cancel is noticed.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A borrowed message seen by the query's cheap checks: nothing is copied
/// until a record passes them.
struct Borrowed<'a>(&'a BorrowedMessage<'a>);

impl RawView for Borrowed<'_> {
    fn key(&self) -> Option<&[u8]> {
        self.0.key()
    }
    fn value(&self) -> Option<&[u8]> {
        self.0.payload()
    }
    fn any_header(&self, f: &mut super::ffi::OnHeader<'_>) -> bool {
        super::ffi::any_header(self.0, f)
    }
}

/// One partition's range `[start, end)`.
#[derive(Debug, Clone)]
struct Range {
    topic: String,
    partition: i32,
    start: i64,
    end: i64,
}

/// Runs a search to its end, its limit, or until `cancel` is set or `on`
/// returns false. Blocking: call from a blocking thread.
pub fn find(
    settings: &Settings,
    req: &FindRequest,
    cancel: &AtomicBool,
    mut on: impl FnMut(FindEvent) -> bool,
) -> Result<FindSummary, KafkaError> {
    let started = Instant::now();
    let cfg = assigning_config(settings, "find", true);
    let consumer: BaseConsumer<SecurityContext> = cfg
        .create_with_context(SecurityContext::default())
        .map_err(|e| KafkaError::client("creating the consumer", e))?;
    // Which partitions, in which pass.
    let mut first: Vec<(String, i32)> = Vec::new();
    let mut second: Vec<(String, i32)> = Vec::new();
    let mut plan = Plan::default();
    for topic in &req.topics {
        let info = metadata_of(&consumer, &cfg, &settings.brokers, Some(topic))?;
        let parts: Vec<i32> = info
            .partitions(topic)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| KafkaError::UnknownTopic(topic.clone()))?
            .to_vec();
        if !req.partitions.is_empty() {
            first.extend(
                parts
                    .iter()
                    .filter(|p| req.partitions.contains(p))
                    .map(|&p| (topic.clone(), p)),
            );
            continue;
        }
        let Some(key) = &req.query.key else {
            first.extend(parts.iter().map(|&p| (topic.clone(), p)));
            continue;
        };
        let count = parts.iter().max().map_or(0, |m| m + 1);
        let keyed = key_partitions(key, count);
        for &p in &parts {
            match keyed.iter().find(|(q, _)| *q == p) {
                Some((_, by)) => {
                    plan.key_partitions.push(KeyPartition {
                        topic: topic.clone(),
                        partition: p,
                        by: by.clone(),
                    });
                    first.push((topic.clone(), p));
                }
                None => second.push((topic.clone(), p)),
            }
        }
    }
    let first = ranges(&consumer, settings, &first, req.from, req.to)?;
    plan.first_pass = first.len();
    plan.second_pass = second.len();
    plan.total = first.iter().map(|r| (r.end - r.start) as u64).sum();
    let mut summary = FindSummary {
        total: plan.total,
        ..FindSummary::default()
    };
    if !on(FindEvent::Planned(plan)) {
        summary.cancelled = true;
        return Ok(summary);
    }
    // Records in a registry's wire format are judged on their decoded value
    // (a schema fetched once, by whichever reader meets its id first). A
    // registry that cannot be configured leaves them raw, as `tail` does.
    let schemas = crate::schema_registry::SchemaCache::from_config(&settings.schema_registry)
        .ok()
        .flatten();
    let mut scan = Scan {
        consumer: &consumer,
        cfg: &cfg,
        topics: &settings.topics,
        schemas: schemas.as_ref(),
        policies: &settings.policies,
        req,
        cancel,
        started,
        summary,
        last_progress: Instant::now(),
    };
    scan.pass(&first, &mut on)?;
    let more = match req.key_scope {
        KeyScope::KeyPartitions => false,
        KeyScope::AllPartitions => true,
        KeyScope::Exhaustive => scan.summary.matches == 0,
    };
    let open = !scan.summary.cancelled && !scan.summary.capped;
    if more && open && !second.is_empty() {
        let second = ranges(&consumer, settings, &second, req.from, req.to)?;
        let records: u64 = second.iter().map(|r| (r.end - r.start) as u64).sum();
        scan.summary.total += records;
        if !on(FindEvent::SecondPass {
            partitions: second.len(),
            records,
        }) {
            scan.summary.cancelled = true;
        } else {
            scan.pass(&second, &mut on)?;
        }
    }
    let mut summary = scan.summary;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Each partition's `[start, end)` from the bounds; partitions with nothing
/// in range are left out.
fn ranges(
    consumer: &BaseConsumer<SecurityContext>,
    settings: &Settings,
    parts: &[(String, i32)],
    from: Bound,
    to: Bound,
) -> Result<Vec<Range>, KafkaError> {
    let mut marks = Vec::with_capacity(parts.len());
    for (t, p) in parts {
        let (low, high) = consumer
            .fetch_watermarks(t, *p, METADATA_TIMEOUT)
            .map_err(|e| KafkaError::client("reading watermarks", e))?;
        marks.push((t.clone(), *p, low, high));
    }
    let starts = resolve(consumer, settings, &marks, from, true)?;
    let ends = resolve(consumer, settings, &marks, to, false)?;
    Ok(marks
        .iter()
        .zip(starts.into_iter().zip(ends))
        .filter(|(_, (s, e))| s < e)
        .map(|((t, p, _, _), (start, end))| Range {
            topic: t.clone(),
            partition: *p,
            start,
            end,
        })
        .collect())
}

/// A bound as an offset in each partition of `marks` (topic, partition, low, high).
fn resolve(
    consumer: &BaseConsumer<SecurityContext>,
    settings: &Settings,
    marks: &[(String, i32, i64, i64)],
    bound: Bound,
    is_start: bool,
) -> Result<Vec<i64>, KafkaError> {
    match bound {
        Bound::Open => Ok(marks
            .iter()
            .map(|(_, _, low, high)| if is_start { *low } else { *high })
            .collect()),
        Bound::Offset(n) => Ok(marks
            .iter()
            .map(|(_, _, low, high)| n.clamp(*low, *high))
            .collect()),
        Bound::Time(t) if !settings.caps.time_index => {
            // A broker without a time index (the embedded one) answers the
            // end to every time lookup: search the records' own timestamps.
            let found = super::record_times::offsets_for_time_by_search(
                consumer,
                marks,
                t.timestamp_millis(),
            )?;
            Ok(marks
                .iter()
                .map(|(tp, p, _, high)| found.get(&(tp.clone(), *p)).copied().unwrap_or(*high))
                .collect())
        }
        Bound::Time(t) => {
            let mut tpl = TopicPartitionList::with_capacity(marks.len());
            for (tp, p, _, _) in marks {
                tpl.add_partition_offset(tp, *p, Offset::Offset(t.timestamp_millis()))
                    .map_err(|e| KafkaError::client("building the time lookup", e))?;
            }
            let found = consumer
                .offsets_for_times(tpl, METADATA_TIMEOUT)
                .map_err(|e| KafkaError::client("looking up offsets for the time", e))?;
            Ok(marks
                .iter()
                .map(|(tp, p, low, high)| {
                    // Nothing at or after the time: the end.
                    match found.find_partition(tp, *p).map(|e| e.offset()) {
                        Some(Offset::Offset(o)) if o >= 0 => o.clamp(*low, *high),
                        _ => *high,
                    }
                })
                .collect())
        }
    }
}

/// One search's reading state: the coordinator's side, on the calling
/// thread. Each pass hands its partitions to readers on their own threads
/// and reports what they send.
struct Scan<'a> {
    /// The first reader's consumer (it read the metadata and watermarks).
    consumer: &'a BaseConsumer<SecurityContext>,
    /// For the other readers' consumers.
    cfg: &'a rdkafka::ClientConfig,
    /// Settles the context of events that carry none (`ctx:` conditions).
    topics: &'a crate::domain::TopicMap,
    /// The registry's schemas, when one is configured.
    schemas: Option<&'a crate::schema_registry::SchemaCache>,
    /// The data policies: records are judged (and found) as they may be shown.
    policies: &'a crate::domain::policy::Policies,
    req: &'a FindRequest,
    cancel: &'a AtomicBool,
    started: Instant,
    summary: FindSummary,
    last_progress: Instant,
}

/// Matches the readers may send ahead of the receiver: when it is slow (or
/// has stopped) they wait, so memory stays bounded.
pub const READ_AHEAD: usize = 256;

/// What a reader sends the coordinator.
enum Read {
    Found(ConsumedRecord),
    Warning(String),
}

/// What a pass's readers share.
struct Shared<'a> {
    req: &'a FindRequest,
    topics: &'a crate::domain::TopicMap,
    schemas: Option<&'a crate::schema_registry::SchemaCache>,
    policies: &'a crate::domain::policy::Policies,
    cancel: &'a AtomicBool,
    /// Set when the pass ends early: the limit, a cancel, a receiver that
    /// went away, or a reader's error.
    stop: AtomicBool,
    /// Records read in this pass, by all readers.
    scanned: AtomicU64,
}

impl Shared<'_> {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.cancel.load(Ordering::Relaxed)
    }
}

/// Records a reader counts before adding them to the shared count.
const COUNT_EVERY: u64 = 256;

impl Scan<'_> {
    fn progress(&mut self, on: &mut impl FnMut(FindEvent) -> bool, force: bool) -> bool {
        if !force && self.last_progress.elapsed() < PROGRESS_EVERY {
            return true;
        }
        self.last_progress = Instant::now();
        on(FindEvent::Progress(Progress {
            scanned: self.summary.scanned,
            total: self.summary.total,
            matches: self.summary.matches,
            elapsed: self.started.elapsed(),
        }))
    }

    /// Reads `ranges` to their ends (or the limit, or a cancel), with the
    /// request's readers.
    fn pass(
        &mut self,
        ranges: &[Range],
        on: &mut impl FnMut(FindEvent) -> bool,
    ) -> Result<(), KafkaError> {
        if ranges.is_empty() {
            return Ok(());
        }
        self.summary.partitions += ranges.len();
        let groups = split(ranges, self.req.readers_for(ranges.len()));
        let shared = Shared {
            req: self.req,
            topics: self.topics,
            schemas: self.schemas,
            policies: self.policies,
            cancel: self.cancel,
            stop: AtomicBool::new(false),
            scanned: AtomicU64::new(0),
        };
        let before = self.summary.scanned;
        let (first, cfg) = (self.consumer, self.cfg);
        let result = std::thread::scope(|s| {
            let (tx, rx) = mpsc::sync_channel::<Read>(READ_AHEAD);
            let readers: Vec<_> = groups
                .iter()
                .enumerate()
                .map(|(i, group)| {
                    let (tx, shared) = (tx.clone(), &shared);
                    std::thread::Builder::new()
                        .name(format!("find-reader-{i}"))
                        .spawn_scoped(s, move || {
                            let read = if i == 0 {
                                read(first, group, shared, &tx)
                            } else {
                                cfg.create_with_context(SecurityContext::default())
                                    .map_err(|e| KafkaError::client("creating a reader", e))
                                    .and_then(|own| read(&own, group, shared, &tx))
                            };
                            if read.is_err() {
                                shared.stop.store(true, Ordering::Relaxed);
                            }
                            read
                        })
                })
                .collect();
            drop(tx);
            self.coordinate(&rx, &shared, before, on);
            // Readers waiting on a full channel see it closed and stop.
            shared.stop.store(true, Ordering::Relaxed);
            drop(rx);
            let mut result = Ok(());
            for r in readers {
                let outcome = match r {
                    Ok(handle) => handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    Err(e) => Err(KafkaError::Invalid(format!(
                        "cannot start a search reader thread: {e}"
                    ))),
                };
                if let (Ok(()), Err(e)) = (&result, outcome) {
                    result = Err(e);
                }
            }
            result
        });
        self.summary.scanned = before + shared.scanned.load(Ordering::Relaxed);
        self.progress(on, true);
        result
    }

    /// Hands what the readers send to `on` until they are done, the limit
    /// is reached or the search is cancelled.
    fn coordinate(
        &mut self,
        rx: &mpsc::Receiver<Read>,
        shared: &Shared<'_>,
        before: u64,
        on: &mut impl FnMut(FindEvent) -> bool,
    ) {
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                self.summary.cancelled = true;
                return;
            }
            self.summary.scanned = before + shared.scanned.load(Ordering::Relaxed);
            if !self.progress(on, false) {
                self.summary.cancelled = true;
                return;
            }
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok(Read::Found(rec)) => {
                    self.summary.matches += 1;
                    if !on(FindEvent::Found(rec)) {
                        self.summary.cancelled = true;
                        return;
                    }
                    if self.summary.matches as usize >= self.req.limit {
                        self.summary.capped = true;
                        return;
                    }
                }
                Ok(Read::Warning(w)) => {
                    if !on(FindEvent::Warning(w)) {
                        self.summary.cancelled = true;
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// `ranges` dealt to at most `readers` groups of about equal records
/// (largest first, each to the group with the fewest so far).
fn split(ranges: &[Range], readers: usize) -> Vec<Vec<Range>> {
    let mut order: Vec<&Range> = ranges.iter().collect();
    order.sort_by_key(|r| std::cmp::Reverse(r.end - r.start));
    let mut groups: Vec<(i64, Vec<Range>)> = vec![(0, Vec::new()); readers.max(1)];
    for r in order {
        let g = groups
            .iter_mut()
            .min_by_key(|(n, _)| *n)
            .expect("at least one group");
        g.0 += r.end - r.start;
        g.1.push(r.clone());
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| !g.is_empty())
        .collect()
}

/// One reader: reads its `ranges` with `consumer` to their ends (or until
/// the pass stops), judging each record on the bytes as read and sending
/// the matches.
fn read(
    consumer: &BaseConsumer<SecurityContext>,
    ranges: &[Range],
    shared: &Shared<'_>,
    tx: &mpsc::SyncSender<Read>,
) -> Result<(), KafkaError> {
    let mut tpl = TopicPartitionList::with_capacity(ranges.len());
    for r in ranges {
        tpl.add_partition_offset(&r.topic, r.partition, Offset::Offset(r.start))
            .map_err(|e| KafkaError::client("building the assignment", e))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| KafkaError::client("assigning partitions", e))?;
    let mut open: Vec<bool> = vec![true; ranges.len()];
    let mut left = ranges.len();
    let mut counted: u64 = 0;
    let query = &shared.req.query;
    let result = loop {
        if left == 0 || shared.stopped() {
            break Ok(());
        }
        if counted >= COUNT_EVERY {
            shared.scanned.fetch_add(counted, Ordering::Relaxed);
            counted = 0;
        }
        match consumer.poll(POLL_INTERVAL) {
            None => {}
            Some(Ok(m)) => {
                let (p, offset) = (m.partition(), m.offset());
                let Some(i) = ranges
                    .iter()
                    .position(|r| r.partition == p && r.topic == m.topic())
                else {
                    continue;
                };
                let r = &ranges[i];
                if !open[i] || offset >= r.end {
                    if open[i] {
                        open[i] = false;
                        left -= 1;
                        pause(consumer, r);
                    }
                    continue;
                }
                counted += 1;
                if offset + 1 >= r.end {
                    open[i] = false;
                    left -= 1;
                    pause(consumer, r);
                }
                // A schema record's fields are not in its bytes as text.
                let mut framed = shared.schemas.is_some() && schema_framed(&Borrowed(&m));
                // A record a policy may mask is judged as it is shown, never
                // by what it hides (a hashed value matches by its hash, which
                // is not in the bytes as read).
                let masking = shared.policies.may_apply_to_topic(m.topic());
                if !masking && !query.raw_matches_framed(&Borrowed(&m), framed) {
                    continue;
                }
                let read = ConsumedRecord::from_message(&m);
                drop(m);
                let shown = if masking {
                    match shared.schemas {
                        Some(cache) => {
                            read.masked(shared.policies, shared.topics, &cache.waiting())
                        }
                        None => read.masked(shared.policies, shared.topics, &NoRegistry),
                    }
                } else {
                    None
                };
                let rec = match &shown {
                    // Shown as JSON: its fields are in its bytes now.
                    Some((shown, _)) => {
                        framed = false;
                        shown
                    }
                    None => &read,
                };
                if masking && !query.raw_matches_framed(rec, framed) {
                    continue;
                }
                if query.needs_decode() {
                    let decoded = match shared.schemas {
                        Some(cache) if framed => rec.decode_with(shared.topics, &cache.waiting()),
                        _ => rec.decode_in(shared.topics),
                    };
                    if !query.decoded_matches(rec, &decoded) {
                        continue;
                    }
                }
                if tx.send(Read::Found(read)).is_err() {
                    break Ok(());
                }
            }
            Some(Err(RdError::PartitionEOF(p))) => {
                // The end of the log as it is now: a range cut short by
                // transaction markers or compaction ends here.
                for (i, r) in ranges.iter().enumerate() {
                    if r.partition == p && open[i] && at_end(consumer, r) {
                        open[i] = false;
                        left -= 1;
                    }
                }
            }
            Some(Err(e)) => {
                if super::consume::denied(&e) {
                    break Err(KafkaError::TopicAuthorization(shared.req.topics.join(", ")));
                }
                if tx.send(Read::Warning(describe_error(&e))).is_err() {
                    break Ok(());
                }
            }
        }
    };
    shared.scanned.fetch_add(counted, Ordering::Relaxed);
    let _ = consumer.unassign();
    result
}

/// Stops fetching a partition whose range is read.
fn pause(consumer: &BaseConsumer<SecurityContext>, r: &Range) {
    let mut tpl = TopicPartitionList::with_capacity(1);
    tpl.add_partition(&r.topic, r.partition);
    let _ = consumer.pause(&tpl);
}

/// True when the consumer's position in `r`'s partition is at or past its
/// range's end, or the partition's current end (the EOF event names only
/// the partition; with several topics each is asked).
fn at_end(consumer: &BaseConsumer<SecurityContext>, r: &Range) -> bool {
    let Ok(pos) = consumer.position() else {
        return false;
    };
    let here = pos
        .find_partition(&r.topic, r.partition)
        .and_then(|e| e.offset().to_raw())
        .filter(|&o| o >= 0)
        .unwrap_or(r.start);
    if here >= r.end {
        return true;
    }
    consumer
        .fetch_watermarks(&r.topic, r.partition, Duration::from_secs(2))
        .is_ok_and(|(_, high)| here >= high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse() {
        assert_eq!("beginning".parse(), Ok(Bound::Open));
        assert_eq!("42".parse(), Ok(Bound::Offset(42)));
        let t: Bound = "2026-11-27T10:00:00Z".parse().expect("time");
        assert!(matches!(t, Bound::Time(t) if t.timestamp() == 1_795_773_600));
        assert!("yesterday".parse::<Bound>().is_err());
    }
}
