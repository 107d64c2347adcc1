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
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc;

pub use super::client::assigning_config;
use super::client::{KafkaError, SecurityContext, describe_error, metadata_of};
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

/// What the reader reports: records as read, or as [`tail_map`] made them.
#[derive(Debug, Clone, PartialEq)]
pub enum TailEvent<R = ConsumedRecord> {
    /// Records, in the order read (at most [`SEND_BATCH`] at a time).
    Records(Vec<R>),
    /// A problem that did not stop reading (the client retries by itself).
    Warning(String),
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

/// Reads the topics as the options say until the count, the end, or the receiver
/// closes. Runs librdkafka's blocking poll loop on a blocking thread.
pub async fn tail(
    settings: &Settings,
    opts: TailOptions,
    tx: mpsc::Sender<TailEvent>,
) -> Result<TailEnd, KafkaError> {
    tail_map(settings, opts, tx, |record| record).await
}

/// [`tail`], each record passed through `map` on the reader's thread before it
/// is sent: work done per record there (decoding it) stays off the receiver's.
pub async fn tail_map<R, F>(
    settings: &Settings,
    opts: TailOptions,
    tx: mpsc::Sender<TailEvent<R>>,
    map: F,
) -> Result<TailEnd, KafkaError>
where
    R: Send + 'static,
    F: FnMut(ConsumedRecord) -> R + Send + 'static,
{
    let settings = settings.clone();
    crate::task_name::spawn_blocking(move || tail_blocking(&settings, &opts, tx, map))
        .await
        .map_err(|e| KafkaError::Delivery {
            topic: String::new(),
            reason: e.to_string(),
        })?
}

/// A consumer for assign()-based reading ([`assigning_config`]). Returns its
/// config too (for metadata calls).
fn assigning_consumer(
    settings: &Settings,
    purpose: &str,
    partition_eof: bool,
) -> Result<(rdkafka::ClientConfig, BaseConsumer<SecurityContext>), KafkaError> {
    let cfg = assigning_config(settings, purpose, partition_eof);
    let consumer = cfg
        .create_with_context(SecurityContext::default())
        .map_err(|e| KafkaError::client("creating the consumer", e))?;
    Ok((cfg, consumer))
}

fn tail_blocking<R>(
    settings: &Settings,
    opts: &TailOptions,
    tx: mpsc::Sender<TailEvent<R>>,
    map: impl FnMut(ConsumedRecord) -> R,
) -> Result<TailEnd, KafkaError> {
    // EOF events are only needed to know when to stop.
    let (cfg, consumer) = assigning_consumer(settings, "tail", opts.exit_at_end)?;
    let result = tail_with(&cfg, &consumer, settings, opts, &tx, map);
    // Destroying a librdkafka client waits ~100 ms for its threads to wind
    // down: close the channel first, so the reader's end is known at once.
    // The client is still destroyed here, not on a detached thread: one
    // winding down while the process exits can crash in OpenSSL's cleanup.
    drop(tx);
    drop(consumer);
    result
}

fn tail_with<R>(
    cfg: &rdkafka::ClientConfig,
    consumer: &BaseConsumer<SecurityContext>,
    settings: &Settings,
    opts: &TailOptions,
    tx: &mpsc::Sender<TailEvent<R>>,
    mut map: impl FnMut(ConsumedRecord) -> R,
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
    consumer
        .assign(&assignment)
        .map_err(|e| KafkaError::client("assigning partitions", e))?;

    let mut at_end: HashSet<(String, i32)> = HashSet::new();
    let mut read = 0u64;
    // Records go out in batches: one channel send (and one wake-up of the
    // reader) per batch instead of per record.
    let mut pending: Vec<R> = Vec::with_capacity(SEND_BATCH);
    let flush = |pending: &mut Vec<R>| -> bool {
        if pending.is_empty() {
            return true;
        }
        let batch = std::mem::replace(pending, Vec::with_capacity(SEND_BATCH));
        tx.blocking_send(TailEvent::Records(batch)).is_ok()
    };
    loop {
        if opts.count.is_some_and(|c| read >= c) {
            return Ok(if flush(&mut pending) {
                TailEnd::Count
            } else {
                TailEnd::Closed
            });
        }
        if tx.is_closed() {
            return Ok(TailEnd::Closed);
        }
        // While a batch is filling, take only what is already fetched.
        let wait = if pending.is_empty() {
            POLL_INTERVAL
        } else {
            Duration::ZERO
        };
        let polled = consumer.poll(wait);
        if !matches!(polled, Some(Ok(_))) && !flush(&mut pending) {
            return Ok(TailEnd::Closed);
        }
        match polled {
            None => {}
            Some(Ok(m)) => {
                let rec = ConsumedRecord::from_message(&m);
                if !at_end.is_empty() {
                    at_end.remove(&(rec.topic.clone(), rec.partition));
                }
                read += 1;
                pending.push(map(rec));
                if pending.len() >= SEND_BATCH && !flush(&mut pending) {
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
                    return Ok(TailEnd::EndOfPartitions);
                }
            }
            Some(Err(e)) => {
                if matches!(
                    e.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::TopicAuthorizationFailed)
                ) {
                    return Err(KafkaError::TopicAuthorization(opts.topics.join(", ")));
                }
                if tx
                    .blocking_send(TailEvent::Warning(describe_error(&e)))
                    .is_err()
                {
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
