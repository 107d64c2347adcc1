//! Consumer groups as the lag poller needs them: ListGroups + DescribeGroups
//! (members, hosts, client ids, assignments), committed offsets (OffsetFetch) and
//! watermarks, gathered into a [`Poll`] snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, client_config};
use super::ffi::{self, AdminHandle, GroupType};
use super::offsets_topic::OffsetsTopicReader;
use super::record_times::{Position, RecordTime, RecordTimes};
use crate::config::Settings;
use crate::lag::{GroupSnapshot, PartitionSnapshot, Poll};

/// Retries of a group listing while a coordinator loads (40 × 250 ms: 10 s).
const COORDINATOR_RETRIES: u32 = 40;
/// Pause between those retries.
const COORDINATOR_RETRY_PAUSE: Duration = Duration::from_millis(250);

/// How long one group-coordinator or listing request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A member as DescribeGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    /// CONSUMER-ID.
    pub id: String,
    /// CLIENT-ID.
    pub client_id: String,
    /// HOST.
    pub host: String,
    /// Assigned partitions, decoded from the consumer protocol.
    pub assignment: Vec<(String, i32)>,
}

/// A group as DescribeGroups (classic groups) or ConsumerGroupDescribe
/// (consumer-protocol groups, through [`ffi`]) reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupInfo {
    /// Group id.
    pub name: String,
    /// State.
    pub state: String,
    /// Protocol type (`consumer` for consumer groups).
    pub protocol_type: String,
    /// Members.
    pub members: Vec<Member>,
    /// The group's protocol as the broker lists it: `classic`, `consumer`
    /// (KIP-848), or `unknown` (a type librdkafka 2.12 does not know, such as
    /// `share`, or a broker that lists no types).
    #[serde(rename = "type")]
    pub group_type: String,
    /// For a consumer-protocol group, its server-side assignor (`uniform`,
    /// `range`); empty otherwise.
    pub assignor: String,
}

impl GroupInfo {
    /// A group nobody has described: no members, type unknown.
    pub fn bare(name: &str, state: &str) -> Self {
        Self {
            name: name.to_string(),
            state: state.into(),
            protocol_type: "consumer".into(),
            members: Vec::new(),
            group_type: GroupType::Unknown.as_str().into(),
            assignor: String::new(),
        }
    }
}

/// Lists and describes every group, of both protocols. Blocking.
pub fn list_groups(settings: &Settings) -> Result<Vec<GroupInfo>, KafkaError> {
    fetch_all_groups(settings)
}

/// Describes one group: a consumer-protocol (KIP-848) group through
/// ConsumerGroupDescribe ([`ffi`]), a classic one through DescribeGroups as
/// before. A group the coordinator does not know comes back as state `Dead`
/// with no members, as Kafka reports it. Blocking.
pub fn describe_group_info(settings: &Settings, group: &str) -> Result<GroupInfo, KafkaError> {
    let handle = AdminHandle::connect(settings, "describing a consumer group")?;
    let described = with_coordinator_retry("describing a consumer group", || {
        ffi::describe_consumer_groups(&handle, &[group])
    })?;
    if let Some(d) = described
        .into_iter()
        .find(|d| d.group_id == group && d.group_type == GroupType::Consumer && d.error.is_none())
    {
        return Ok(from_consumer_protocol(d));
    }
    let mut found = fetch_groups(&handle, Some(group))?;
    Ok(match found.iter().position(|g| g.name == group) {
        Some(i) => {
            let mut g = found.swap_remove(i);
            g.group_type = GroupType::Classic.as_str().into();
            g
        }
        None => GroupInfo {
            protocol_type: String::new(),
            ..GroupInfo::bare(group, "Dead")
        },
    })
}

/// Lists and describes every group of both protocols: the classic listing
/// (ListGroups + DescribeGroups) as before, the types from ListGroups through
/// [`ffi`], and the consumer-protocol groups described by
/// ConsumerGroupDescribe (to DescribeGroups they are `Dead` with no members).
fn fetch_all_groups(settings: &Settings) -> Result<Vec<GroupInfo>, KafkaError> {
    let handle = AdminHandle::connect(settings, "listing consumer groups")?;
    let mut groups = fetch_groups(&handle, None)?;
    let listed = with_coordinator_retry("listing consumer groups", || {
        ffi::list_consumer_groups(&handle)
    })?;
    if let Some((code, text)) = listed.errors.first() {
        // A broker that could not list its groups: its groups would be missing
        // from the types, so say so rather than show them as classic.
        return Err(KafkaError::Admin {
            action: "listing consumer groups".into(),
            reason: format!("{code}: {text}"),
        });
    }
    let types: HashMap<&str, GroupType> = listed
        .groups
        .iter()
        .map(|l| (l.group_id.as_str(), l.group_type))
        .collect();
    let new_protocol: Vec<&str> = groups
        .iter()
        .filter(|g| types.get(g.name.as_str()) == Some(&GroupType::Consumer))
        .map(|g| g.name.as_str())
        .collect();
    let described = with_coordinator_retry("describing consumer groups", || {
        ffi::describe_consumer_groups(&handle, &new_protocol)
    })?;
    let mut described: HashMap<String, ffi::GroupDescription> = described
        .into_iter()
        .filter(|d| d.group_type == GroupType::Consumer && d.error.is_none())
        .map(|d| (d.group_id.clone(), d))
        .collect();
    for g in &mut groups {
        if let Some(d) = described.remove(&g.name) {
            *g = from_consumer_protocol(d);
        } else {
            let t = types
                .get(g.name.as_str())
                .copied()
                .unwrap_or(GroupType::Unknown);
            g.group_type = t.as_str().into();
        }
    }
    Ok(groups)
}

/// A consumer-protocol group in the shape the classic path gives.
fn from_consumer_protocol(d: ffi::GroupDescription) -> GroupInfo {
    GroupInfo {
        name: d.group_id,
        state: d.state,
        // What ListGroups reports for these groups, and what the lag poller
        // selects consumer groups by.
        protocol_type: "consumer".into(),
        members: d
            .members
            .into_iter()
            .map(|m| Member {
                id: m.consumer_id,
                client_id: m.client_id,
                // Kafka reports the host as `/127.0.0.1`; the tool shows it so,
                // and eventdeck shows classic hosts without the slash.
                host: m.host.trim_start_matches('/').to_string(),
                assignment: m.assignment,
            })
            .collect(),
        group_type: GroupType::Consumer.as_str().into(),
        assignor: d.assignor,
    }
}

/// Runs `f` again while the group coordinator is still loading (just after a
/// broker started), as Kafka's own tools do.
fn with_coordinator_retry<T>(
    action: &str,
    mut f: impl FnMut() -> Result<T, KafkaError>,
) -> Result<T, KafkaError> {
    let mut tries = 0;
    loop {
        match f() {
            Err(KafkaError::Admin { reason, .. })
                if tries < COORDINATOR_RETRIES
                    && (reason.contains("CoordinatorLoadInProgress")
                        || reason.contains("CoordinatorNotAvailable")
                        || reason.contains("NotCoordinator")) =>
            {
                tries += 1;
                tracing::debug!("{action}: coordinator not ready ({reason}); asking again");
                std::thread::sleep(COORDINATOR_RETRY_PAUSE);
            }
            other => return other,
        }
    }
}

fn fetch_groups(handle: &AdminHandle, group: Option<&str>) -> Result<Vec<GroupInfo>, KafkaError> {
    let consumer = handle.consumer();
    // A coordinator still loading its groups (just after a broker started or
    // took over partitions of __consumer_offsets) answers with a retriable
    // error: ask again for a while, as Kafka's own tools do.
    let mut tries = 0;
    let list = loop {
        match consumer.fetch_group_list(group, REQUEST_TIMEOUT) {
            Ok(list) => break list,
            Err(e)
                if tries < COORDINATOR_RETRIES
                    && matches!(
                        e.rdkafka_error_code(),
                        Some(
                            RDKafkaErrorCode::CoordinatorLoadInProgress
                                | RDKafkaErrorCode::CoordinatorNotAvailable
                                | RDKafkaErrorCode::NotCoordinator
                        )
                    ) =>
            {
                tries += 1;
                std::thread::sleep(COORDINATOR_RETRY_PAUSE);
            }
            Err(e) => return Err(KafkaError::client("listing consumer groups", e)),
        }
    };
    Ok(list
        .groups()
        .iter()
        .map(|g| GroupInfo {
            name: g.name().to_string(),
            state: g.state().to_string(),
            protocol_type: g.protocol_type().to_string(),
            group_type: GroupType::Classic.as_str().into(),
            assignor: String::new(),
            members: g
                .members()
                .iter()
                .map(|m| Member {
                    id: m.id().to_string(),
                    client_id: m.client_id().to_string(),
                    host: m.client_host().trim_start_matches('/').to_string(),
                    assignment: m.assignment().map(decode_assignment).unwrap_or_default(),
                })
                .collect(),
        })
        .collect())
}

/// Decodes a consumer-protocol assignment (versions 0–3 share this prefix):
/// `version: i16, [topic: string, [partition: i32]], user_data: bytes`.
/// Malformed input yields what could be read, never a panic.
pub fn decode_assignment(bytes: &[u8]) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    let mut r = Reader { bytes, pos: 0 };
    let Some(_version) = r.i16() else { return out };
    let Some(topics) = r.i32() else { return out };
    for _ in 0..topics.max(0) {
        let Some(len) = r.i16() else { return out };
        let Some(name) = r.take(len.max(0) as usize) else {
            return out;
        };
        let topic = String::from_utf8_lossy(name).into_owned();
        let Some(n) = r.i32() else { return out };
        for _ in 0..n.max(0) {
            let Some(p) = r.i32() else { return out };
            out.push((topic.clone(), p));
        }
    }
    out
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
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Every partition of every topic but Kafka's internal ones. Blocking.
pub fn all_partitions(settings: &Settings) -> Result<Vec<(String, i32)>, KafkaError> {
    let info = super::client::fetch_metadata(&client_config(settings), &settings.brokers, None)?;
    let mut out = Vec::new();
    for (topic, parts) in &info.topics {
        if topic.starts_with("__") {
            continue;
        }
        out.extend(parts.iter().map(|p| (topic.clone(), *p)));
    }
    out.sort();
    Ok(out)
}

/// A group's committed offsets by (topic, partition).
pub type Committed = BTreeMap<(String, i32), i64>;

/// (low, high) watermarks by (topic, partition).
pub type Watermarks = HashMap<(String, i32), (i64, i64)>;

/// Retries of a batched watermark lookup while new partitions get leaders.
const WATERMARK_RETRIES: u32 = 25;
/// Pause between those retries (25 × 200 ms: up to 5 s).
const WATERMARK_RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Watermarks of many partitions in two ListOffsets rounds (per broker, not per
/// partition): offsets-for-times with Kafka's special timestamps -2 (earliest)
/// and -1 (latest). Per-partition watermark requests would be one round trip
/// each: a lag poll of 1,000 partitions took 1.1 s that way, 0.2 s batched.
/// Falls back to them when a partition comes back without an offset. Blocking.
pub fn watermarks(
    settings: &Settings,
    partitions: &[(String, i32)],
) -> Result<Watermarks, KafkaError> {
    if partitions.is_empty() {
        return Ok(Default::default());
    }
    let consumer: BaseConsumer = client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating a client", e))?;
    // Offset::Beginning and Offset::End are -2 and -1 on the wire.
    let lookup = |at: Offset| -> Result<BTreeMap<(String, i32), i64>, KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for (t, p) in partitions {
            tpl.add_partition_offset(t, *p, at)
                .map_err(|e| KafkaError::client("building the partition list", e))?;
        }
        let res = consumer
            .offsets_for_times(tpl, REQUEST_TIMEOUT)
            .map_err(|e| KafkaError::client("reading watermarks", e))?;
        Ok(res
            .elements()
            .iter()
            .filter_map(|e| match (e.error(), e.offset()) {
                (Ok(()), Offset::Offset(o)) if o >= 0 => {
                    Some(((e.topic().to_string(), e.partition()), o))
                }
                _ => None,
            })
            .collect())
    };
    // Right after a topic is created or grown, metadata already names leaders
    // that do not yet serve ListOffsets (NotLeaderForPartition): retry briefly.
    let with_retry = |at: Offset| {
        let mut tries = 0;
        loop {
            match lookup(at) {
                Err(KafkaError::Client { source, .. })
                    if tries < WATERMARK_RETRIES
                        && matches!(
                            source.rdkafka_error_code(),
                            Some(
                                RDKafkaErrorCode::NotLeaderForPartition
                                    | RDKafkaErrorCode::LeaderNotAvailable
                                    | RDKafkaErrorCode::UnknownTopicOrPartition
                            )
                        ) =>
                {
                    tries += 1;
                    std::thread::sleep(WATERMARK_RETRY_PAUSE);
                }
                other => return other,
            }
        }
    };
    let low = with_retry(Offset::Beginning)?;
    let high = with_retry(Offset::End)?;
    let mut out = Watermarks::with_capacity(partitions.len());
    let mut missing = Vec::new();
    for tp in partitions {
        match (low.get(tp), high.get(tp)) {
            (Some(l), Some(h)) => {
                out.insert(tp.clone(), (*l, *h));
            }
            _ => missing.push(tp.clone()),
        }
    }
    for (t, p) in missing {
        let w = consumer
            .fetch_watermarks(&t, p, REQUEST_TIMEOUT)
            .map_err(|e| KafkaError::client(format!("reading watermarks of {t}[{p}]"), e))?;
        out.insert((t, p), w);
    }
    Ok(out)
}

/// How many groups' committed offsets are fetched at once. Each lookup needs a
/// client of its own (the group id is a client setting) and mostly waits on the
/// network, so a few dozen in flight hide the round trips without loading the
/// cluster's coordinators with more than that many concurrent OffsetFetches.
const COMMITTED_CONCURRENCY: usize = 32;

/// The committed offsets of each group among `candidates`, fetched with
/// [`COMMITTED_CONCURRENCY`] lookups in flight. Results are in `groups` order.
pub fn committed_many(
    settings: &Settings,
    groups: &[&str],
    candidates: &[(String, i32)],
) -> Result<Vec<Committed>, KafkaError> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<Committed, KafkaError>>>> =
        groups.iter().map(|_| Mutex::new(None)).collect();
    let workers = COMMITTED_CONCURRENCY.min(groups.len());
    std::thread::scope(|s| {
        let (next, slots) = (&next, &slots);
        for _ in 0..workers {
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(group) = groups.get(i) else { break };
                    let res = offsets_client(settings, group).and_then(|consumer| {
                        let res = fetch_committed(&consumer, group, candidates);
                        // Destroying a librdkafka client waits ~100 ms for its
                        // threads to wind down; let that happen beside the poll
                        // instead of in it (1,000 groups would add 100 s / workers).
                        // Scoped, so none outlives the poll: a client still
                        // winding down while the process exits can crash in
                        // OpenSSL's exit-time cleanup.
                        s.spawn(move || drop(consumer));
                        res
                    });
                    let failed = res.is_err();
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(res);
                    }
                    if failed {
                        // Stop handing out work: the first error is the answer.
                        next.store(groups.len(), Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    // Work stops being handed out after the first error, so every slot without
    // a result lies after a slot holding an error; report the first error.
    let results: Vec<_> = slots
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten())
        .collect();
    let mut out = Vec::with_capacity(groups.len());
    for res in results {
        match res {
            Some(Ok(c)) => out.push(c),
            Some(Err(e)) => return Err(e),
            None => out.push(BTreeMap::new()),
        }
    }
    Ok(out)
}

/// The committed offsets of `group` among `candidates`; partitions without a
/// commit are absent. Blocking; does not join the group.
pub fn committed(
    settings: &Settings,
    group: &str,
    candidates: &[(String, i32)],
) -> Result<BTreeMap<(String, i32), i64>, KafkaError> {
    let consumer = offsets_client(settings, group)?;
    fetch_committed(&consumer, group, candidates)
}

/// A client whose only job is OffsetFetch for `group` (the group id is a client
/// setting, so each group needs its own).
fn offsets_client(settings: &Settings, group: &str) -> Result<BaseConsumer, KafkaError> {
    let mut cfg = client_config(settings);
    cfg.set("group.id", group);
    cfg.set("enable.auto.commit", "false");
    cfg.create()
        .map_err(|e| KafkaError::client("creating an offsets client", e))
}

fn fetch_committed(
    consumer: &BaseConsumer,
    group: &str,
    candidates: &[(String, i32)],
) -> Result<BTreeMap<(String, i32), i64>, KafkaError> {
    let mut tpl = TopicPartitionList::with_capacity(candidates.len());
    for (t, p) in candidates {
        tpl.add_partition(t, *p);
    }
    let res = consumer
        .committed_offsets(tpl, REQUEST_TIMEOUT)
        .map_err(|e| KafkaError::client(format!("reading committed offsets of {group}"), e))?;
    Ok(res
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) if o >= 0 => Some(((e.topic().to_string(), e.partition()), o)),
            _ => None,
        })
        .collect())
}

/// Builds one group's snapshot: partitions it committed on or has assigned, with
/// the member that owns each.
pub fn group_snapshot(
    info: &GroupInfo,
    committed: &BTreeMap<(String, i32), i64>,
    marks: &Watermarks,
    times: &HashMap<Position, RecordTime>,
    ended: &HashMap<Position, i64>,
) -> GroupSnapshot {
    let mut owner: BTreeMap<(String, i32), &Member> = BTreeMap::new();
    for m in &info.members {
        for tp in &m.assignment {
            owner.insert(tp.clone(), m);
        }
    }
    let mut keys: Vec<(String, i32)> = committed.keys().cloned().collect();
    keys.extend(owner.keys().cloned());
    keys.sort();
    keys.dedup();
    let partitions = keys
        .into_iter()
        .map(|(topic, partition)| {
            let (low, high) = marks
                .get(&(topic.clone(), partition))
                .copied()
                .unwrap_or((0, 0));
            let m = owner.get(&(topic.clone(), partition));
            let current_offset = committed.get(&(topic.clone(), partition)).copied();
            let committed_record_ms = current_offset
                .and_then(|c| times.get(&(topic.clone(), partition, c)))
                .map(|t| t.timestamp_ms);
            // A read_committed reader from the committed offset reached the
            // high watermark without a record: every offset left is a
            // transaction marker (or a record of an aborted transaction).
            let txn_markers = current_offset.and_then(|c| {
                let end = *ended.get(&(topic.clone(), partition, c))?;
                (end >= high && c < high).then_some(high - c)
            });
            PartitionSnapshot {
                current_offset,
                committed_record_ms,
                txn_markers,
                log_end_offset: high,
                log_start_offset: low,
                consumer_id: m.map(|m| m.id.clone()),
                host: m.map(|m| m.host.clone()),
                client_id: m.map(|m| m.client_id.clone()),
                topic,
                partition,
            }
        })
        .collect();
    GroupSnapshot {
        group: info.name.clone(),
        state: info.state.clone(),
        group_type: info.group_type.clone(),
        members: info.members.len(),
        partitions,
    }
}

/// Polls the groups once (all consumer groups, or just `only` when given). When
/// the broker cannot list groups (the embedded one), `known` groups are polled
/// instead and the poll carries a note saying so. Blocking. A caller that polls
/// again and again keeps a [`GroupPoller`] instead, which reads only new commits.
pub fn poll_groups(
    settings: &Settings,
    only: &[String],
    known: &[String],
) -> Result<Poll, KafkaError> {
    GroupPoller::default().poll(settings, only, known)
}

/// Up to this many groups, committed offsets come from OffsetFetch per group
/// (cheap for a few); beyond it, from the offsets topic (one reader for all).
const OFFSET_FETCH_MAX_GROUPS: usize = 16;

/// A lag poller that keeps its `__consumer_offsets` reader between polls, so
/// after the first poll only the commits made since the last one are read.
#[derive(Default)]
pub struct GroupPoller {
    reader: Option<OffsetsTopicReader>,
    /// Reads the record at each lagging committed offset (lag in seconds).
    times: RecordTimes,
    /// The offsets topic could not be read (permissions, embedded broker): use
    /// OffsetFetch from now on.
    reader_unusable: bool,
    /// Where the last poll's committed offsets came from.
    last_source: Option<CommitSource>,
}

/// Where a poll's committed offsets came from: both give the same numbers, so
/// only this tells which path a poll took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitSource {
    /// One OffsetFetch request per group.
    OffsetFetch,
    /// The poller's reader of `__consumer_offsets`.
    OffsetsTopic,
}

impl GroupPoller {
    /// Polls the groups; see [`poll_groups`]. Blocking.
    pub fn poll(
        &mut self,
        settings: &Settings,
        only: &[String],
        known: &[String],
    ) -> Result<Poll, KafkaError> {
        let (infos, note) = match list_groups(settings) {
            Ok(list) => (
                list.into_iter()
                    .filter(|g| g.protocol_type == "consumer" || g.protocol_type.is_empty())
                    .collect::<Vec<_>>(),
                None,
            ),
            Err(e) if !known.is_empty() => (
                known.iter().map(|g| GroupInfo::bare(g, "-")).collect(),
                Some(match &e {
                    KafkaError::Unsupported { .. } => {
                        "this broker has no ListGroups/DescribeGroups (the demo's embedded \
                         broker has none); showing the groups eventdeck knows"
                            .to_string()
                    }
                    _ => format!(
                        "this broker cannot list groups ({e}); showing the groups eventdeck knows"
                    ),
                }),
            ),
            Err(e) => return Err(e),
        };
        let mut infos: Vec<GroupInfo> = infos
            .into_iter()
            .filter(|g| only.is_empty() || only.contains(&g.name))
            .collect();
        // Asked-for groups the broker did not list (no members, say) still get a
        // committed-offset lookup.
        for g in only {
            if !infos.iter().any(|i| &i.name == g) {
                infos.push(GroupInfo::bare(g, "-"));
            }
        }
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        let candidates = all_partitions(settings)?;
        let names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
        let (commits, source) = match self.read_offsets_topic(settings, &names, &candidates) {
            Some(c) => (c, CommitSource::OffsetsTopic),
            None => (
                committed_many(settings, &names, &candidates)?,
                CommitSource::OffsetFetch,
            ),
        };
        self.last_source = Some(source);
        let mut groups = Vec::with_capacity(infos.len());
        let mut used: Vec<(String, i32)> = Vec::new();
        for (info, c) in infos.iter().zip(&commits) {
            used.extend(c.keys().cloned());
            used.extend(
                info.members
                    .iter()
                    .flat_map(|m| m.assignment.iter().cloned()),
            );
        }
        used.sort();
        used.dedup();
        let marks = watermarks(settings, &used)?;
        // Lag in seconds is measured from now, and now is when the log ends were read.
        let time_ms = chrono::Utc::now().timestamp_millis();
        let times = self.committed_record_times(settings, &commits, &marks);
        let ended = self.times.ended();
        for (info, c) in infos.iter().zip(&commits) {
            groups.push(group_snapshot(info, c, &marks, &times, ended));
        }
        Ok(Poll {
            time_ms,
            groups,
            note,
        })
    }

    /// The timestamps of the records at every committed offset that has lag
    /// and still lies in the log (one batched fetch). A failure only costs the
    /// exact figure: those partitions fall back to the interpolated one.
    fn committed_record_times(
        &mut self,
        settings: &Settings,
        commits: &[Committed],
        marks: &Watermarks,
    ) -> HashMap<Position, RecordTime> {
        let mut wanted: Vec<Position> = commits
            .iter()
            .flat_map(|c| c.iter())
            .filter(|((t, p), o)| {
                marks
                    .get(&(t.clone(), *p))
                    .is_some_and(|&(low, high)| **o >= low && **o < high)
            })
            .map(|((t, p), o)| (t.clone(), *p, *o))
            .collect();
        wanted.sort();
        wanted.dedup();
        match self.times.lookup(settings, &wanted) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(
                    "reading the records at committed offsets failed ({e}); lag in seconds is interpolated"
                );
                HashMap::new()
            }
        }
    }

    /// Where the last poll's committed offsets came from (`None` before any
    /// were read).
    pub fn last_source(&self) -> Option<CommitSource> {
        self.last_source
    }

    /// Committed offsets of `names` from the offsets topic, limited to
    /// `candidates` (partitions that exist, as OffsetFetch answers); `None` when
    /// OffsetFetch should answer instead: few groups, or the topic unreadable.
    fn read_offsets_topic(
        &mut self,
        settings: &Settings,
        names: &[&str],
        candidates: &[(String, i32)],
    ) -> Option<Vec<Committed>> {
        if names.len() <= OFFSET_FETCH_MAX_GROUPS || self.reader_unusable {
            return None;
        }
        if self.reader.is_none() {
            match OffsetsTopicReader::open(settings) {
                Ok(r) => self.reader = Some(r),
                Err(e) => {
                    tracing::info!("offsets topic not readable ({e}); using OffsetFetch per group");
                    self.reader_unusable = true;
                    return None;
                }
            }
        }
        let reader = self.reader.as_mut()?;
        if let Err(e) = reader.catch_up() {
            tracing::warn!("reading the offsets topic failed ({e}); using OffsetFetch this time");
            self.reader = None;
            return None;
        }
        let exists: HashSet<&(String, i32)> = candidates.iter().collect();
        Some(
            names
                .iter()
                .map(|g| {
                    let mut c = reader.committed(g);
                    c.retain(|tp, _| exists.contains(tp));
                    c
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&1i16.to_be_bytes());
        b.extend_from_slice(&(topics.len() as i32).to_be_bytes());
        for (t, ps) in topics {
            b.extend_from_slice(&(t.len() as i16).to_be_bytes());
            b.extend_from_slice(t.as_bytes());
            b.extend_from_slice(&(ps.len() as i32).to_be_bytes());
            for p in *ps {
                b.extend_from_slice(&p.to_be_bytes());
            }
        }
        b.extend_from_slice(&(-1i32).to_be_bytes());
        b
    }

    #[test]
    fn decodes_consumer_protocol_assignments_and_survives_garbage() {
        let bytes = assignment(&[("orders", &[0, 2]), ("debate.events", &[1])]);
        assert_eq!(
            decode_assignment(&bytes),
            vec![
                ("orders".to_string(), 0),
                ("orders".to_string(), 2),
                ("debate.events".to_string(), 1)
            ]
        );
        for cut in 0..bytes.len() {
            let _ = decode_assignment(&bytes[..cut]);
        }
        assert!(decode_assignment(&[0xff; 3]).is_empty());
        let huge = [0, 1, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff];
        assert!(decode_assignment(&huge).is_empty());
    }
}
