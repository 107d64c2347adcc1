//! The timestamps of records at given offsets, for lag in seconds: a group's lag
//! in seconds is the age of its first unconsumed record, the one at its committed
//! offset. One assigning consumer fetches a batch of such offsets at once and is
//! kept between polls; a record's timestamp never changes, so answers are cached
//! for as long as some group still sits at that offset.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::{Offset, TopicPartitionList};

use super::client::KafkaError;
use super::client::assigning_config;
use crate::config::Settings;

/// How long one round of fetches may take before the partitions still without
/// an answer are given up on (and their lag in seconds falls back to the
/// interpolated estimate). A record behind an open transaction is not readable
/// by a `read_committed` reader until it ends, so there is always such a bound.
const ROUND_TIMEOUT: Duration = Duration::from_secs(3);
/// How long asking a partition's end may take when an end-of-partition
/// event could be any of several topics'.
const END_QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one probe of the time search waits for its records.
const SEARCH_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What was read at one `(topic, partition, offset)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordTime {
    /// The record's timestamp, ms since the epoch.
    pub timestamp_ms: i64,
    /// The offset of the record read: the asked one, or the next record when
    /// the asked offset holds none (a transaction marker, a compacted record).
    pub offset: i64,
}

/// A `(topic, partition, offset)` whose record is wanted.
pub type Position = (String, i32, i64);

/// Fetches and caches record timestamps. Blocking; keep it off async workers.
#[derive(Default)]
pub struct RecordTimes {
    consumer: Option<BaseConsumer>,
    cache: HashMap<Position, RecordTime>,
    /// Positions of the last lookup from which the reader reached the end of
    /// its partition without a record, and where that end was.
    ended: HashMap<Position, i64>,
}

impl RecordTimes {
    /// The timestamps of the records at `wanted` (each offset below its
    /// partition's high watermark). Positions that could not be read in time
    /// are absent. The cache keeps only what this call was asked for, so it
    /// never grows beyond one poll's positions.
    pub fn lookup(
        &mut self,
        settings: &Settings,
        wanted: &[Position],
    ) -> Result<HashMap<Position, RecordTime>, KafkaError> {
        let mut found: HashMap<Position, RecordTime> = HashMap::with_capacity(wanted.len());
        let mut missing: Vec<&Position> = Vec::new();
        self.ended.clear();
        for pos in wanted {
            match self.cache.get(pos) {
                Some(t) => {
                    found.insert(pos.clone(), *t);
                }
                None => missing.push(pos),
            }
        }
        if !missing.is_empty() {
            for round in rounds(&missing) {
                let (got, ended) = self.fetch_round(settings, &round)?;
                found.extend(got);
                self.ended.extend(ended);
            }
        }
        self.cache = found.clone();
        Ok(found)
    }

    fn consumer(&mut self, settings: &Settings) -> Result<&BaseConsumer, KafkaError> {
        if self.consumer.is_none() {
            let mut cfg = assigning_config(settings, "lag-times", true);
            // One record per partition is wanted: keep prefetching small.
            cfg.set("fetch.message.max.bytes", "4096");
            cfg.set("queued.max.messages.kbytes", "1024");
            cfg.set("fetch.wait.max.ms", "10");
            let c: BaseConsumer = cfg
                .create()
                .map_err(|e| KafkaError::client("creating a reader for record times", e))?;
            self.consumer = Some(c);
        }
        self.consumer
            .as_ref()
            .ok_or_else(|| KafkaError::Invalid("no reader for record times".into()))
    }

    /// The positions of the last [`RecordTimes::lookup`] that hold no record
    /// a `read_committed` reader can read before the end of their partition,
    /// and that end (the reader's position there: past the transaction
    /// markers it skipped). Such a position, when that end is the high
    /// watermark, lags only by offsets that are transaction markers (or
    /// records of aborted transactions).
    pub fn ended(&self) -> &HashMap<Position, i64> {
        &self.ended
    }

    /// Reads the first record at or after each position of a round.
    fn fetch_round(
        &mut self,
        settings: &Settings,
        round: &[&Position],
    ) -> Result<Found, KafkaError> {
        let consumer = self.consumer(settings)?;
        let asked: Vec<(&str, i32, i64)> =
            round.iter().map(|(t, p, o)| (t.as_str(), *p, *o)).collect();
        first_at_or_after_or_end(consumer, &asked, ROUND_TIMEOUT)
    }
}

/// The first record at or after each `(topic, partition, offset)`, read with
/// `consumer` assigned at each partition's smallest asked offset and reading
/// forward past the largest (so ask for offsets of a partition together only
/// when they are close: [`rounds`] does that). Positions that gave nothing
/// within `timeout` (or have nothing there) are absent. The consumer is left
/// unassigned. Blocking.
pub fn first_at_or_after<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    asked: &[(&str, i32, i64)],
    timeout: Duration,
) -> Result<HashMap<Position, RecordTime>, KafkaError> {
    first_at_or_after_or_end(consumer, asked, timeout).map(|(found, _)| found)
}

/// What [`first_at_or_after_or_end`] found: records, and the positions that
/// reached the end of their partition with none (and where that end was).
type Found = (HashMap<Position, RecordTime>, HashMap<Position, i64>);

/// [`first_at_or_after`], also naming the positions from which the reader
/// reached the end of the partition without a record, with the reader's
/// position there (librdkafka moves it past the control records it skips, so
/// at `read_committed` it is the last stable offset).
pub fn first_at_or_after_or_end<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    asked: &[(&str, i32, i64)],
    timeout: Duration,
) -> Result<Found, KafkaError> {
    let mut ended: HashMap<Position, i64> = HashMap::new();
    // Per partition, the offsets still waiting for their record.
    let mut pending: HashMap<(String, i32), BTreeSet<i64>> = HashMap::with_capacity(asked.len());
    for &(t, p, o) in asked {
        pending.entry((t.to_string(), p)).or_default().insert(o);
    }
    let mut tpl = TopicPartitionList::with_capacity(pending.len());
    for ((t, p), offsets) in &pending {
        let Some(&first) = offsets.first() else {
            continue;
        };
        tpl.add_partition_offset(t, *p, Offset::Offset(first))
            .map_err(|e| KafkaError::client("building the partition list", e))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| KafkaError::client("assigning partitions to read record times", e))?;
    let mut out = HashMap::with_capacity(asked.len());
    let deadline = Instant::now() + timeout;
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            tracing::debug!(
                "record times: {} partition(s) gave no record within {timeout:?}",
                pending.len()
            );
            break;
        }
        match consumer.poll(left) {
            None => {}
            Some(Ok(m)) => {
                let key = (m.topic().to_string(), m.partition());
                let Some(offsets) = pending.get_mut(&key) else {
                    continue;
                };
                // This record is the first at or after every waiting offset up
                // to its own (offsets below it held no record: a transaction
                // marker, a compacted record).
                let answered: Vec<i64> = offsets.range(..=m.offset()).copied().collect();
                for o in answered {
                    offsets.remove(&o);
                    if let Some(ts) = m.timestamp().to_millis() {
                        out.insert(
                            (key.0.clone(), key.1, o),
                            RecordTime {
                                timestamp_ms: ts,
                                offset: m.offset(),
                            },
                        );
                    }
                }
                if offsets.is_empty() {
                    pending.remove(&key);
                }
            }
            Some(Err(RdKafkaError::PartitionEOF(p))) => {
                // Nothing at or after the offsets still waiting. The event
                // names only the partition: drop it only where that is
                // unambiguous.
                let topics: Vec<(String, i32)> = pending
                    .keys()
                    .filter(|(_, part)| *part == p)
                    .cloned()
                    .collect();
                let position = |tp: &(String, i32)| {
                    consumer.position().ok().and_then(|pos| {
                        pos.find_partition(&tp.0, tp.1)
                            .and_then(|e| e.offset().to_raw())
                            .filter(|&o| o >= 0)
                    })
                };
                let unambiguous = topics.len() == 1;
                for tp in topics {
                    let Some(at) = position(&tp) else { continue };
                    // With several topics, only those whose position reached
                    // the end (at this reader's isolation level) are done.
                    if !unambiguous {
                        let end = consumer
                            .fetch_watermarks(&tp.0, tp.1, END_QUERY_TIMEOUT)
                            .map_or(i64::MAX, |(_, high)| high);
                        if at < end {
                            continue;
                        }
                    }
                    if let Some(offsets) = pending.remove(&tp) {
                        for o in offsets.into_iter().filter(|&o| o <= at) {
                            ended.insert((tp.0.clone(), tp.1, o), at);
                        }
                    }
                }
            }
            Some(Err(e)) => {
                // Deleted by retention since the offsets were read, or a passing
                // broker problem: the caller falls back for what is missing.
                tracing::debug!("record times: {e}");
            }
        }
    }
    let _ = consumer.unassign();
    Ok((out, ended))
}

/// For each partition `(topic, partition, low, high)`, the first offset whose
/// record is at or after `at_ms`, found by binary search over record
/// timestamps with single-record reads (all partitions probed together, one
/// round per halving). For a broker with no time index (the embedded one): it
/// assumes timestamps grow with offsets, as they do for records a producer
/// stamps when it sends them. A partition with nothing at or after the time
/// answers its `high` (the end).
pub fn offsets_for_time_by_search<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    partitions: &[(String, i32, i64, i64)],
    at_ms: i64,
) -> Result<HashMap<(String, i32), i64>, KafkaError> {
    // Invariant per partition: every record below `lo` is before the time;
    // the record at `hi` (or the end) is at or after it.
    let mut bounds: HashMap<(String, i32), (i64, i64)> = partitions
        .iter()
        .map(|(t, p, low, high)| ((t.clone(), *p), (*low, *high)))
        .collect();
    loop {
        let probes: Vec<(&str, i32, i64)> = bounds
            .iter()
            .filter(|(_, (lo, hi))| lo < hi)
            .map(|((t, p), (lo, hi))| (t.as_str(), *p, lo + (hi - lo) / 2))
            .collect();
        if probes.is_empty() {
            break;
        }
        let got = first_at_or_after(consumer, &probes, SEARCH_PROBE_TIMEOUT)?;
        let mut moved: Vec<((String, i32), (i64, i64))> = Vec::with_capacity(probes.len());
        for (t, p, mid) in probes {
            let key = (t.to_string(), p);
            let Some(&(lo, hi)) = bounds.get(&key) else {
                continue;
            };
            let next = match got.get(&(key.0.clone(), key.1, mid)) {
                // Everything up to the record read (it may lie past `mid`, over
                // a gap) is before the time.
                Some(r) if r.timestamp_ms < at_ms => ((r.offset + 1).min(hi), hi),
                // Reading from `mid` reaches the time at once, or nothing is
                // readable from there: the answer is at or before `mid`.
                _ => (lo, mid),
            };
            moved.push((key, next));
        }
        for (key, b) in moved {
            bounds.insert(key, b);
        }
    }
    Ok(bounds.into_iter().map(|(k, (lo, _))| (k, lo)).collect())
}

/// Offsets of one partition this close to the first of a run are read in
/// one pass (reading a few hundred records forward costs less than another
/// round of fetches); farther ones wait for a later round.
const MAX_SPAN: i64 = 500;

/// Splits positions into rounds: in each, a partition's offsets lie within
/// [`MAX_SPAN`] of each other (several groups can sit at different offsets of
/// one partition).
fn rounds<'a>(positions: &[&'a Position]) -> Vec<Vec<&'a Position>> {
    let mut per_partition: BTreeMap<(&str, i32), Vec<&'a Position>> = BTreeMap::new();
    for pos in positions {
        per_partition
            .entry((pos.0.as_str(), pos.1))
            .or_default()
            .push(pos);
    }
    let mut out: Vec<Vec<&'a Position>> = Vec::new();
    for mut list in per_partition.into_values() {
        list.sort_by_key(|p| p.2);
        list.dedup_by_key(|p| p.2);
        let mut round = 0;
        let mut run_start: Option<i64> = None;
        for pos in list {
            match run_start {
                Some(start) if pos.2 - start <= MAX_SPAN => {}
                Some(_) => {
                    round += 1;
                    run_start = Some(pos.2);
                }
                None => run_start = Some(pos.2),
            }
            if out.len() <= round {
                out.push(Vec::new());
            }
            out[round].push(pos);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_read_near_offsets_together_and_far_ones_later() {
        let far = 5 + MAX_SPAN + 1;
        let a: Vec<Position> = vec![
            ("t".into(), 0, 5),
            ("t".into(), 0, 9),
            ("t".into(), 0, 5),
            ("t".into(), 0, far),
            ("t".into(), 1, 3),
            ("u".into(), 0, 1),
        ];
        let refs: Vec<&Position> = a.iter().collect();
        let r = rounds(&refs);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(
            r[0].len(),
            4,
            "5 and 9 of t[0] in one pass, t[1], u[0]: {r:?}"
        );
        assert_eq!(r[1], vec![&("t".to_string(), 0, far)]);
    }
}
