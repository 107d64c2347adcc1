//! Cluster health for the Cluster tab and `eventdeck cluster`: the cluster id,
//! controller and brokers (DescribeCluster, through [`ffi`](super::ffi)), and
//! from the metadata the partitions that are offline (no live leader), under-
//! replicated (ISR smaller than the replica set) or under their topic's
//! effective `min.insync.replicas`, with the leader skew per topic. The same
//! rules as `kafka-topics --describe --unavailable-partitions` /
//! `--under-replicated-partitions` / `--under-min-isr-partitions`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rdkafka::consumer::Consumer;
use serde::Serialize;

use super::client::KafkaError;
use super::ffi::{self, AdminHandle, Node};
use crate::config::Settings;

/// How long the metadata request may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// A partition with something wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionIssue {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Leader broker id, -1 for none.
    pub leader: i32,
    /// Replica broker ids.
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids.
    pub isr: Vec<i32>,
    /// The topic's effective `min.insync.replicas` (only under-min-ISR rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_isr: Option<i32>,
}

/// How a topic's leaders are spread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicSkew {
    /// Topic.
    pub topic: String,
    /// Partitions led, by broker id.
    pub leaders: BTreeMap<i32, usize>,
    /// Partitions whose leader is not their preferred (first) replica.
    pub not_preferred: usize,
}

/// What the cluster looks like now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterHealth {
    /// The cluster id.
    pub cluster_id: Option<String>,
    /// The controller as brokers report it (on KRaft clusters: a live broker
    /// the client may send controller requests to; the KRaft quorum itself is
    /// not in librdkafka 2.12's API).
    pub controller: Option<Node>,
    /// Live brokers, with racks and endpoints.
    pub brokers: Vec<Node>,
    /// Topics (internal ones included, as the tool counts them).
    pub topics: usize,
    /// Partitions.
    pub partitions: usize,
    /// Partitions without a live leader.
    pub offline: Vec<PartitionIssue>,
    /// Partitions whose ISR is smaller than their replica set.
    pub under_replicated: Vec<PartitionIssue>,
    /// Partitions whose ISR is smaller than the topic's min.insync.replicas.
    pub under_min_isr: Vec<PartitionIssue>,
    /// Topics whose leaders are not all on their preferred replica.
    pub leader_skew: Vec<TopicSkew>,
    /// What could not be read, said instead of guessed (DescribeCluster
    /// unanswered while the controller moves: brokers then come from the
    /// metadata, without racks, and the controller is unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A partition as the metadata gives it.
#[derive(Debug, Clone)]
struct PartitionMeta {
    topic: String,
    partition: i32,
    leader: i32,
    replicas: Vec<i32>,
    isr: Vec<i32>,
}

/// Reads the cluster's health. The min ISR of a topic is asked only for topics
/// with a partition whose ISR shrank (the only ones that can be under it).
pub async fn cluster_health(settings: &Settings) -> Result<ClusterHealth, KafkaError> {
    let s = settings.clone();
    let (cluster, parts) = crate::task_name::spawn_blocking(move || {
        let handle = AdminHandle::connect(&s, "describing the cluster")?;
        let md = handle
            .consumer()
            .fetch_metadata(None, METADATA_TIMEOUT)
            .map_err(|e| KafkaError::client("reading the cluster's metadata", e))?;
        // DescribeCluster waits for the controller librdkafka last knew; just
        // after that broker died it times out. The metadata still names the
        // live brokers, which is what an on-call engineer needs then.
        let cluster = match ffi::describe_cluster(&handle) {
            Ok(c) => (c, None),
            Err(e @ KafkaError::Unsupported { .. }) => return Err(e),
            Err(e) => {
                let nodes = md
                    .brokers()
                    .iter()
                    .map(|b| Node {
                        id: b.id(),
                        host: b.host().to_string(),
                        port: u16::try_from(b.port()).unwrap_or(0),
                        rack: None,
                    })
                    .collect();
                let described = ffi::ClusterDescription {
                    cluster_id: None,
                    controller: None,
                    nodes,
                };
                let note = format!(
                    "{e}; brokers from the metadata (no racks), controller and cluster id unknown"
                );
                (described, Some(note))
            }
        };
        let mut parts = Vec::new();
        for t in md.topics() {
            for p in t.partitions() {
                parts.push(PartitionMeta {
                    topic: t.name().to_string(),
                    partition: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                });
            }
        }
        Ok::<_, KafkaError>((cluster, parts))
    })
    .await
    .map_err(|e| KafkaError::Invalid(format!("a background Kafka task failed: {e}")))??;
    let shrunk: BTreeSet<String> = parts
        .iter()
        .filter(|p| p.isr.len() < p.replicas.len())
        .map(|p| p.topic.clone())
        .collect();
    let shrunk: Vec<String> = shrunk.into_iter().collect();
    let min_isr = super::admin::min_insync_replicas(settings, &shrunk).await?;
    let (cluster, note) = cluster;
    let mut health = assess(cluster, parts, &min_isr);
    health.note = note;
    Ok(health)
}

fn assess(
    cluster: ffi::ClusterDescription,
    mut parts: Vec<PartitionMeta>,
    min_isr: &BTreeMap<String, i32>,
) -> ClusterHealth {
    parts.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    let live: BTreeSet<i32> = cluster.nodes.iter().map(|n| n.id).collect();
    let issue = |p: &PartitionMeta, min: Option<i32>| PartitionIssue {
        topic: p.topic.clone(),
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas.clone(),
        isr: p.isr.clone(),
        min_isr: min,
    };
    let mut health = ClusterHealth {
        cluster_id: cluster.cluster_id,
        controller: cluster.controller,
        brokers: cluster.nodes,
        topics: parts
            .iter()
            .map(|p| &p.topic)
            .collect::<BTreeSet<_>>()
            .len(),
        partitions: parts.len(),
        offline: Vec::new(),
        under_replicated: Vec::new(),
        under_min_isr: Vec::new(),
        leader_skew: Vec::new(),
        note: None,
    };
    let mut skew: BTreeMap<String, TopicSkew> = BTreeMap::new();
    for p in &parts {
        // As kafka-topics --unavailable-partitions: no leader, or one that is
        // not a live broker.
        if p.leader < 0 || !live.contains(&p.leader) {
            health.offline.push(issue(p, None));
        }
        if p.isr.len() < p.replicas.len() {
            health.under_replicated.push(issue(p, None));
        }
        if let Some(&min) = min_isr.get(&p.topic)
            && (p.isr.len() as i64) < i64::from(min)
        {
            health.under_min_isr.push(issue(p, Some(min)));
        }
        let s = skew.entry(p.topic.clone()).or_insert_with(|| TopicSkew {
            topic: p.topic.clone(),
            leaders: BTreeMap::new(),
            not_preferred: 0,
        });
        if p.leader >= 0 {
            *s.leaders.entry(p.leader).or_default() += 1;
        }
        if p.replicas.first() != Some(&p.leader) {
            s.not_preferred += 1;
        }
    }
    health.leader_skew = skew.into_values().filter(|s| s.not_preferred > 0).collect();
    health.nodes_sorted();
    health
}

/// What `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// A partition without a live leader.
    Offline,
    /// A partition whose ISR is smaller than its replica set.
    UnderReplicated,
    /// A partition whose ISR is smaller than min.insync.replicas.
    UnderMinIsr,
}

impl ClusterHealth {
    fn nodes_sorted(&mut self) {
        self.brokers.sort_by_key(|n| n.id);
    }

    /// Whether the cluster shows `fault`.
    pub fn has(&self, fault: Fault) -> bool {
        match fault {
            Fault::Offline => !self.offline.is_empty(),
            Fault::UnderReplicated => !self.under_replicated.is_empty(),
            Fault::UnderMinIsr => !self.under_min_isr.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i32) -> Node {
        Node {
            id,
            host: "127.0.0.1".into(),
            port: 9091 + id as u16,
            rack: None,
        }
    }

    fn part(
        topic: &str,
        partition: i32,
        leader: i32,
        replicas: &[i32],
        isr: &[i32],
    ) -> PartitionMeta {
        PartitionMeta {
            topic: topic.into(),
            partition,
            leader,
            replicas: replicas.to_vec(),
            isr: isr.to_vec(),
        }
    }

    #[test]
    fn a_dead_broker_makes_rf1_partitions_offline_and_rf3_ones_under_replicated() {
        let cluster = ffi::ClusterDescription {
            cluster_id: Some("c".into()),
            controller: Some(node(1)),
            nodes: vec![node(1), node(3)],
        };
        let parts = vec![
            part("one", 0, -1, &[2], &[2]),
            part("one", 1, 1, &[1], &[1]),
            part("three", 0, 1, &[2, 1, 3], &[1, 3]),
            part("three", 1, 3, &[3, 1, 2], &[3, 1]),
            part("strict", 0, 1, &[1, 2, 3], &[1]),
        ];
        let min = BTreeMap::from([("three".to_string(), 2), ("strict".to_string(), 2)]);
        let h = assess(cluster, parts, &min);
        let ids = |v: &[PartitionIssue]| {
            v.iter()
                .map(|p| format!("{}-{}", p.topic, p.partition))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&h.offline), ["one-0"]);
        assert_eq!(ids(&h.under_replicated), ["strict-0", "three-0", "three-1"]);
        assert_eq!(ids(&h.under_min_isr), ["strict-0"]);
        assert_eq!((h.topics, h.partitions), (3, 5));
        let skewed: Vec<_> = h
            .leader_skew
            .iter()
            .map(|s| (s.topic.as_str(), s.not_preferred))
            .collect();
        assert_eq!(skewed, [("one", 1), ("three", 1)]);
        assert!(h.has(Fault::Offline) && h.has(Fault::UnderMinIsr));
    }
}
