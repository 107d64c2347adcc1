//! Consumer groups as the lag poller needs them: ListGroups + DescribeGroups
//! (members, hosts, client ids, assignments), committed offsets (OffsetFetch) and
//! watermarks, gathered into a [`Poll`] snapshot.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::client::{KafkaError, client_config};
use crate::config::Settings;
use crate::lag::{GroupSnapshot, PartitionSnapshot, Poll};

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

/// A group as DescribeGroups reports it.
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
}

/// Lists and describes every group. Blocking.
pub fn list_groups(settings: &Settings) -> Result<Vec<GroupInfo>, KafkaError> {
    fetch_groups(settings, None)
}

/// Describes one group (DescribeGroups). A group the coordinator does not know
/// comes back as state `Dead` with no members, as Kafka reports it. Blocking.
pub fn describe_group_info(settings: &Settings, group: &str) -> Result<GroupInfo, KafkaError> {
    let mut found = fetch_groups(settings, Some(group))?;
    Ok(match found.iter().position(|g| g.name == group) {
        Some(i) => found.swap_remove(i),
        None => GroupInfo {
            name: group.to_string(),
            state: "Dead".into(),
            protocol_type: String::new(),
            members: Vec::new(),
        },
    })
}

fn fetch_groups(settings: &Settings, group: Option<&str>) -> Result<Vec<GroupInfo>, KafkaError> {
    let consumer: BaseConsumer = client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating a client", e))?;
    let list = consumer
        .fetch_group_list(group, REQUEST_TIMEOUT)
        .map_err(|e| KafkaError::client("listing consumer groups", e))?;
    Ok(list
        .groups()
        .iter()
        .map(|g| GroupInfo {
            name: g.name().to_string(),
            state: g.state().to_string(),
            protocol_type: g.protocol_type().to_string(),
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

/// (low, high) watermarks by (topic, partition).
pub type Watermarks = HashMap<(String, i32), (i64, i64)>;

/// Watermarks (low, high) of each partition. Blocking.
pub fn watermarks(
    settings: &Settings,
    partitions: &[(String, i32)],
) -> Result<Watermarks, KafkaError> {
    let consumer: BaseConsumer = client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating a client", e))?;
    let mut out = HashMap::with_capacity(partitions.len());
    for (t, p) in partitions {
        let w = consumer
            .fetch_watermarks(t, *p, REQUEST_TIMEOUT)
            .map_err(|e| KafkaError::client(format!("reading watermarks of {t}[{p}]"), e))?;
        out.insert((t.clone(), *p), w);
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
    let mut cfg = client_config(settings);
    cfg.set("group.id", group);
    cfg.set("enable.auto.commit", "false");
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| KafkaError::client("creating an offsets client", e))?;
    let mut tpl = TopicPartitionList::new();
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
            PartitionSnapshot {
                current_offset: committed.get(&(topic.clone(), partition)).copied(),
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
        members: info.members.len(),
        partitions,
    }
}

/// Polls the groups (all consumer groups, or just `only` when given). When the
/// broker cannot list groups (the embedded one), `known` groups are polled
/// instead and the poll carries a note saying so. Blocking.
pub fn poll_groups(
    settings: &Settings,
    only: &[String],
    known: &[String],
) -> Result<Poll, KafkaError> {
    let time_ms = chrono::Utc::now().timestamp_millis();
    let (infos, note) = match list_groups(settings) {
        Ok(list) => (
            list.into_iter()
                .filter(|g| g.protocol_type == "consumer" || g.protocol_type.is_empty())
                .collect::<Vec<_>>(),
            None,
        ),
        Err(e) if !known.is_empty() => (
            known
                .iter()
                .map(|g| GroupInfo {
                    name: g.clone(),
                    state: "-".into(),
                    protocol_type: "consumer".into(),
                    members: Vec::new(),
                })
                .collect(),
            Some(format!(
                "this broker cannot list groups ({e}); showing the groups eventdeck knows"
            )),
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
            infos.push(GroupInfo {
                name: g.clone(),
                state: "-".into(),
                protocol_type: "consumer".into(),
                members: Vec::new(),
            });
        }
    }
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    let candidates = all_partitions(settings)?;
    let mut groups = Vec::with_capacity(infos.len());
    let mut commits = Vec::with_capacity(infos.len());
    let mut used: Vec<(String, i32)> = Vec::new();
    for info in &infos {
        let c = committed(settings, &info.name, &candidates)?;
        used.extend(c.keys().cloned());
        used.extend(
            info.members
                .iter()
                .flat_map(|m| m.assignment.iter().cloned()),
        );
        commits.push(c);
    }
    used.sort();
    used.dedup();
    let marks = watermarks(settings, &used)?;
    for (info, c) in infos.iter().zip(&commits) {
        groups.push(group_snapshot(info, c, &marks));
    }
    Ok(Poll {
        time_ms,
        groups,
        note,
    })
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
