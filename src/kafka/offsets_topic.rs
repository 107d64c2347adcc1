//! Every group's committed offsets at once, read from Kafka's own
//! `__consumer_offsets` topic (the way Burrow does it).
//!
//! Asking the coordinator (OffsetFetch) needs one client per group, because the
//! group id is a client setting in librdkafka; for a thousand groups that is a
//! thousand clients and far over the lag poller's budget. The offsets topic holds
//! the same commits as records, so one consumer reads them all, and a long-lived
//! reader only reads what was committed since its last poll. Used when many
//! groups are polled and the principal may read the topic; otherwise the poller
//! falls back to OffsetFetch per group.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, SecurityContext, client_config, metadata_of};
use crate::config::Settings;

/// Kafka's internal topic of committed offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// How long one catch-up may take before the poll reports an error: reading a
/// large offsets topic from the start the first time is the slow case.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one consumer poll waits for records.
const POLL_WAIT: Duration = Duration::from_millis(100);

/// Committed offsets by group, then by (topic, partition).
pub type Commits = HashMap<String, BTreeMap<(String, i32), i64>>;

/// A reader of `__consumer_offsets` that keeps every group's latest commit.
pub struct OffsetsTopicReader {
    consumer: BaseConsumer<SecurityContext>,
    partitions: Vec<i32>,
    /// Next offset to read per offsets-topic partition.
    positions: HashMap<i32, i64>,
    commits: Commits,
}

impl OffsetsTopicReader {
    /// Opens a reader on every partition of the offsets topic, from the start.
    /// Fails when the topic is not visible (no permission, or a broker without
    /// one, like the embedded mock cluster).
    pub fn open(settings: &Settings) -> Result<Self, KafkaError> {
        let mut cfg = client_config(settings);
        // A group id is required by librdkafka's consumer even with assign();
        // nothing is ever committed under it.
        cfg.set("group.id", "eventdeck-offsets-reader");
        cfg.set("enable.auto.commit", "false");
        cfg.set("enable.auto.offset.store", "false");
        cfg.set("enable.partition.eof", "true");
        cfg.set("auto.offset.reset", "earliest");
        cfg.set("fetch.wait.max.ms", "50");
        let consumer: BaseConsumer<SecurityContext> = cfg
            .create_with_context(SecurityContext::default())
            .map_err(|e| KafkaError::client("creating the offsets-topic reader", e))?;
        // Asked on the reader itself, so it knows the leaders before assign().
        let info = metadata_of(&consumer, &cfg, &settings.brokers, Some(OFFSETS_TOPIC))?;
        let partitions: Vec<i32> = info
            .partitions(OFFSETS_TOPIC)
            .map(<[i32]>::to_vec)
            .unwrap_or_default();
        if partitions.is_empty() {
            return Err(KafkaError::UnknownTopic(OFFSETS_TOPIC.into()));
        }
        let mut tpl = TopicPartitionList::with_capacity(partitions.len());
        for p in &partitions {
            tpl.add_partition_offset(OFFSETS_TOPIC, *p, Offset::Beginning)
                .map_err(|e| KafkaError::client("assigning the offsets topic", e))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| KafkaError::client("assigning the offsets topic", e))?;
        Ok(Self {
            consumer,
            partitions,
            positions: HashMap::new(),
            commits: HashMap::new(),
        })
    }

    /// Reads until every partition reached the end it had when the call began
    /// (its last stable offset: pending transactional commits are not counted,
    /// as OffsetFetch does not count them either).
    pub fn catch_up(&mut self) -> Result<(), KafkaError> {
        let mut tpl = TopicPartitionList::with_capacity(self.partitions.len());
        for p in &self.partitions {
            tpl.add_partition_offset(OFFSETS_TOPIC, *p, Offset::End)
                .map_err(|e| KafkaError::client("reading the offsets topic's end", e))?;
        }
        let ends = self
            .consumer
            .offsets_for_times(tpl, Duration::from_secs(10))
            .map_err(|e| KafkaError::client("reading the offsets topic's end", e))?;
        let mut behind: HashMap<i32, i64> = ends
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(end) if end > self.position(e.partition()) => {
                    Some((e.partition(), end))
                }
                _ => None,
            })
            .collect();
        let mut at_eof: HashSet<i32> = HashSet::new();
        let deadline = Instant::now() + CATCH_UP_TIMEOUT;
        while !behind.is_empty() {
            if Instant::now() > deadline {
                return Err(KafkaError::Unreachable {
                    brokers: OFFSETS_TOPIC.into(),
                    reason: format!(
                        "reading committed offsets took over {} s",
                        CATCH_UP_TIMEOUT.as_secs()
                    ),
                });
            }
            match self.consumer.poll(POLL_WAIT) {
                None => {}
                Some(Ok(m)) => {
                    let (p, next) = (m.partition(), m.offset() + 1);
                    apply(&mut self.commits, m.key(), m.payload());
                    self.positions.insert(p, next);
                    at_eof.remove(&p);
                    if behind.get(&p).is_some_and(|end| next >= *end) {
                        behind.remove(&p);
                    }
                }
                Some(Err(RdError::PartitionEOF(p))) => {
                    // An end-of-partition event may be a stale one, queued when
                    // the previous catch-up reached its end, before the newer
                    // records. Two in a row with no record between them mean
                    // the end: control records (transaction markers) are never
                    // handed out, so the last offsets may come without a record.
                    let Some(&end) = behind.get(&p) else { continue };
                    if self.position(p) >= end || !at_eof.insert(p) {
                        behind.remove(&p);
                        self.positions.insert(p, end);
                    }
                }
                Some(Err(e)) => {
                    return Err(KafkaError::client("reading the offsets topic", e));
                }
            }
        }
        Ok(())
    }

    fn position(&self, partition: i32) -> i64 {
        self.positions.get(&partition).copied().unwrap_or(0)
    }

    /// The committed offsets of `group` (empty when it has none).
    pub fn committed(&self, group: &str) -> BTreeMap<(String, i32), i64> {
        self.commits.get(group).cloned().unwrap_or_default()
    }
}

/// Applies one offsets-topic record to `commits`. Only offset-commit records
/// (key versions 0 and 1) matter; group metadata and the newer coordinator's
/// record types are skipped, and anything malformed is ignored, never a panic.
pub fn apply(commits: &mut Commits, key: Option<&[u8]>, value: Option<&[u8]>) {
    let Some((group, topic, partition)) = key.and_then(decode_commit_key) else {
        return;
    };
    match value {
        // A tombstone: the commit was deleted (group deleted, offsets expired).
        None => {
            if let Some(g) = commits.get_mut(&group) {
                g.remove(&(topic, partition));
                if g.is_empty() {
                    commits.remove(&group);
                }
            }
        }
        Some(v) => {
            if let Some(offset) = decode_commit_offset(v) {
                commits
                    .entry(group)
                    .or_default()
                    .insert((topic, partition), offset);
            }
        }
    }
}

/// `OffsetCommitKey` v0/v1: `version: i16, group: string, topic: string,
/// partition: i32` (strings as i16 length + UTF-8).
pub fn decode_commit_key(key: &[u8]) -> Option<(String, String, i32)> {
    let mut r = Reader { bytes: key, pos: 0 };
    let version = r.i16()?;
    if !(0..=1).contains(&version) {
        return None;
    }
    let group = r.string()?;
    let topic = r.string()?;
    let partition = r.i32()?;
    Some((group, topic, partition))
}

/// `OffsetCommitValue` v0–v4 all begin `version: i16, offset: i64`.
pub fn decode_commit_offset(value: &[u8]) -> Option<i64> {
    let mut r = Reader {
        bytes: value,
        pos: 0,
    };
    let version = r.i16()?;
    if !(0..=4).contains(&version) {
        return None;
    }
    let offset = r.i64()?;
    (offset >= 0).then_some(offset)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take(2)?.try_into().ok().map(i16::from_be_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)?.try_into().ok().map(i32::from_be_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)?.try_into().ok().map(i64::from_be_bytes)
    }
    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.i16()?).ok()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(version: i16, group: &str, topic: &str, partition: i32) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        for s in [group, topic] {
            b.extend_from_slice(&(s.len() as i16).to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b.extend_from_slice(&partition.to_be_bytes());
        b
    }

    fn value(version: i16, offset: i64) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&offset.to_be_bytes());
        // The rest of the value (epoch, metadata, timestamps) is not read.
        b.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 0, 1, 2, 3, 4, 5, 6]);
        b
    }

    #[test]
    fn commits_are_kept_latest_first_and_tombstones_delete_them() {
        let mut c = Commits::new();
        apply(&mut c, Some(&key(1, "g", "t", 0)), Some(&value(3, 5)));
        apply(&mut c, Some(&key(1, "g", "t", 1)), Some(&value(1, 7)));
        apply(&mut c, Some(&key(0, "g", "t", 0)), Some(&value(0, 9)));
        assert_eq!(c["g"][&("t".to_string(), 0)], 9);
        assert_eq!(c["g"][&("t".to_string(), 1)], 7);
        apply(&mut c, Some(&key(1, "g", "t", 0)), None);
        assert!(!c["g"].contains_key(&("t".to_string(), 0)));
        apply(&mut c, Some(&key(1, "g", "t", 1)), None);
        assert!(!c.contains_key("g"), "a group without commits is dropped");
    }

    #[test]
    fn group_metadata_and_unknown_versions_are_skipped() {
        let mut c = Commits::new();
        // Key version 2 is group metadata: `version, group` only.
        let mut meta = 2i16.to_be_bytes().to_vec();
        meta.extend_from_slice(&1i16.to_be_bytes());
        meta.push(b'g');
        apply(&mut c, Some(&meta), Some(&[0, 3, 1, 2, 3]));
        apply(&mut c, Some(&key(1, "g", "t", 0)), Some(&value(9, 5)));
        apply(&mut c, None, Some(&value(1, 5)));
        assert!(c.is_empty());
    }

    #[test]
    fn truncated_or_garbage_records_never_panic() {
        let k = key(1, "group", "topic", 3);
        let v = value(3, 42);
        let mut c = Commits::new();
        for cut in 0..k.len() {
            apply(&mut c, Some(&k[..cut]), Some(&v));
        }
        for cut in 0..10 {
            apply(&mut c, Some(&k), Some(&v[..cut]));
        }
        assert!(c.is_empty());
        apply(&mut c, Some(&[0xff; 64]), Some(&[0xff; 64]));
        assert!(c.is_empty());
        apply(&mut c, Some(&k), Some(&v));
        assert_eq!(c["group"][&("topic".to_string(), 3)], 42);
    }
}
