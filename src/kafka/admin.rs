//! Topic and consumer-group administration: the only rdkafka admin code. Every
//! function returns plain data for the `topics`/`groups` commands and the
//! console panes alike; nothing here prints, and nothing here checks read-only
//! mode or writes the audit log (the callers pass `audit::authorize` first).
//!
//! Config changes: rdkafka 0.39 exposes only the legacy AlterConfigs request,
//! which replaces a topic's whole set of overrides, not IncrementalAlterConfigs.
//! [`alter_topic_configs`] therefore reads the current overrides, applies the
//! edits and sends the full set, so overrides not mentioned are kept.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic,
    ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use super::client::{KafkaError, METADATA_TIMEOUT, client_config, describe_error};
use super::groups::{
    GroupInfo, all_partitions, committed, describe_group_info, group_snapshot, list_groups,
    watermarks,
};
use crate::config::Settings;
use crate::lag::GroupSnapshot;
use crate::reset::{PartitionOffsets, ResetPlan, ResetRow, ResetScope, ResetSpec, new_offset};

/// How long one admin operation may take on the broker side.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for a created or grown topic to show leaders in metadata:
/// the controller has committed it, but brokers learn of it asynchronously.
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(15);
/// Offset lookups by time and commits.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionDetail {
    /// Partition id.
    pub partition: i32,
    /// Leader broker id (-1 when none).
    pub leader: i32,
    /// Replica broker ids.
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids.
    pub isr: Vec<i32>,
    /// Low watermark (log-start offset).
    pub low: i64,
    /// High watermark (log-end offset).
    pub high: i64,
}

/// A topic with its partitions and watermarks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicDetail {
    /// Topic name.
    pub name: String,
    /// Replicas of the first partition (the topic's replication factor).
    pub replication_factor: usize,
    /// Records between the watermarks, summed over partitions: an estimate
    /// (compaction, transactions markers and retention make it approximate).
    pub estimated_count: i64,
    /// The newest record's timestamp (ms since the epoch) over its
    /// partitions, by ListOffsets' max timestamp (KIP-734): the last record
    /// time whatever order records were written in. `None` for an empty
    /// topic, or where the broker cannot say (the embedded one).
    pub last_record_ms: Option<i64>,
    /// Partitions by id.
    pub partitions: Vec<PartitionDetail>,
}

impl TopicDetail {
    /// Partitions whose in-sync set is smaller than their replica set.
    pub(crate) fn under_replicated(&self) -> usize {
        self.partitions
            .iter()
            .filter(|p| p.isr.len() < p.replicas.len())
            .count()
    }
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTopicSpec {
    /// Name.
    pub name: String,
    /// Partition count.
    pub partitions: i32,
    /// Replication factor.
    pub replication_factor: i32,
    /// Topic configs, e.g. `cleanup.policy=compact`.
    pub configs: Vec<(String, String)>,
}

impl NewTopicSpec {
    /// A spec from the palette's words after the name: `partitions=N` (`p=`),
    /// `rf=N` (`replication-factor=`), anything else a topic config
    /// `KEY=VALUE`. One partition and replication factor 1 by default.
    pub fn from_words(name: &str, words: &[&str]) -> Result<Self, String> {
        let mut spec = NewTopicSpec {
            name: name.to_string(),
            partitions: 1,
            replication_factor: 1,
            configs: Vec::new(),
        };
        for w in words {
            let (k, v) = w
                .split_once('=')
                .ok_or_else(|| format!("'{w}' is not KEY=VALUE"))?;
            let n = || {
                v.parse::<i32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{k}: '{v}' is not a positive number"))
            };
            match k {
                "partitions" | "p" => spec.partitions = n()?,
                "rf" | "replication-factor" | "replication_factor" => {
                    spec.replication_factor = n()?
                }
                _ => spec.configs.push((k.to_string(), v.to_string())),
            }
        }
        Ok(spec)
    }
}

/// One topic config entry as DescribeConfigs reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigValue {
    /// Config name.
    pub name: String,
    /// Value; `None` for sensitive or unset values.
    pub value: Option<String>,
    /// Where the value comes from: `topic` (an override), `broker`, `default`, ...
    pub source: String,
    /// Whether it is the default.
    pub is_default: bool,
    /// Whether it can be changed.
    pub read_only: bool,
}

impl ConfigValue {
    /// Whether this is an override set on the topic itself.
    pub(crate) fn is_override(&self) -> bool {
        self.source == "topic"
    }
}

/// What emptying one partition did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmptiedPartition {
    /// Partition id.
    pub partition: i32,
    /// Records deleted (high − old low).
    pub deleted: i64,
    /// The new log-start offset.
    pub low: i64,
}

/// A consumer group as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    /// Group id.
    pub name: String,
    /// State (Stable, Empty, ...).
    pub state: String,
    /// Protocol type (`consumer` for consumer groups).
    pub protocol_type: String,
    /// Number of members.
    pub members: usize,
    /// `classic`, `consumer` (KIP-848) or `unknown` (see [`GroupInfo`]).
    #[serde(rename = "type")]
    pub group_type: String,
}

/// A group in full: members with their assignments, and per partition the
/// committed offset, the watermarks and the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupDetail {
    /// DescribeGroups' answer.
    pub info: GroupInfo,
    /// Offsets and owners, as the lag poller sees them.
    pub offsets: GroupSnapshot,
}

/// An admin client for `action`, or [`KafkaError::Unsupported`] (without
/// asking the broker) when its caps say it has no admin APIs.
fn admin(
    settings: &Settings,
    action: &str,
) -> Result<AdminClient<DefaultClientContext>, KafkaError> {
    settings.caps.admin(action)?;
    client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating an admin client", e))
}

fn options() -> AdminOptions {
    AdminOptions::new()
        .operation_timeout(Some(ADMIN_TIMEOUT))
        .request_timeout(Some(ADMIN_TIMEOUT))
}

/// Runs blocking librdkafka calls off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, KafkaError> {
    crate::task_name::spawn_blocking(f)
        .await
        .map_err(|e| KafkaError::Invalid(format!("a background Kafka task failed: {e}")))?
}

fn refused(action: String, code: RDKafkaErrorCode) -> KafkaError {
    use RDKafkaErrorCode as C;
    if super::client::unsupported_code(code) {
        return KafkaError::Unsupported { api: action };
    }
    let hint = match code {
        C::TopicAlreadyExists => " (it already exists)",
        C::UnknownTopicOrPartition => " (no such topic)",
        C::GroupIdNotFound => " (no such group)",
        C::NonEmptyGroup => " (it has active members: stop its consumers first)",
        C::InvalidReplicationFactor => " (more replicas than brokers?)",
        C::PolicyViolation => " (a broker policy forbids it; compacted topics cannot be emptied)",
        _ => "",
    };
    KafkaError::Admin {
        action,
        reason: format!("{code}{hint}"),
    }
}

type RawPartition = (i32, i32, Vec<i32>, Vec<i32>);

/// Topic → (partition, leader, replicas, isr), from one metadata request. Blocking.
fn topic_metadata(
    settings: &Settings,
    topic: Option<&str>,
) -> Result<BTreeMap<String, Vec<RawPartition>>, KafkaError> {
    let consumer: BaseConsumer = client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating a Kafka client", e))?;
    let md = consumer
        .fetch_metadata(topic, METADATA_TIMEOUT)
        .map_err(|e| KafkaError::Unreachable {
            brokers: settings.brokers.clone(),
            reason: describe_error(&e),
        })?;
    let mut out = BTreeMap::new();
    for t in md.topics() {
        if let Some(code) = t.error() {
            if topic == Some(t.name()) {
                return Err(match code {
                    rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED => {
                        KafkaError::TopicAuthorization(t.name().to_string())
                    }
                    _ => KafkaError::UnknownTopic(t.name().to_string()),
                });
            }
            continue;
        }
        let mut parts: Vec<RawPartition> = t
            .partitions()
            .iter()
            .map(|p| (p.id(), p.leader(), p.replicas().to_vec(), p.isr().to_vec()))
            .collect();
        parts.sort_by_key(|p| p.0);
        out.insert(t.name().to_string(), parts);
    }
    if let Some(name) = topic
        && out.get(name).is_none_or(|p| p.is_empty())
    {
        return Err(KafkaError::UnknownTopic(name.to_string()));
    }
    Ok(out)
}

fn details(
    settings: &Settings,
    md: BTreeMap<String, Vec<RawPartition>>,
) -> Result<Vec<TopicDetail>, KafkaError> {
    let all: Vec<(String, i32)> = md
        .iter()
        .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), p.0)))
        .collect();
    let marks = super::groups::watermarks(settings, &all)?;
    let times = last_record_times(settings, &all, &marks);
    Ok(md
        .into_iter()
        .map(|(name, parts)| {
            let partitions: Vec<PartitionDetail> = parts
                .into_iter()
                .map(|(partition, leader, replicas, isr)| {
                    let (low, high) = marks
                        .get(&(name.clone(), partition))
                        .copied()
                        .unwrap_or((0, 0));
                    PartitionDetail {
                        partition,
                        leader,
                        replicas,
                        isr,
                        low,
                        high,
                    }
                })
                .collect();
            // The newest of every non-empty partition's; unknown when one of
            // them has none (its answer missing, or not read at all): the
            // newest of the others could be an older time.
            let last_record_ms = partitions
                .iter()
                .filter(|p| p.high > p.low)
                .map(|p| times.get(&(name.clone(), p.partition)).copied())
                .collect::<Option<Vec<i64>>>()
                .and_then(|all| all.into_iter().max());
            TopicDetail {
                last_record_ms,
                replication_factor: partitions.first().map_or(0, |p| p.replicas.len()),
                estimated_count: partitions.iter().map(|p| (p.high - p.low).max(0)).sum(),
                partitions,
                name,
            }
        })
        .collect())
}

/// The newest record time of each non-empty partition, through ListOffsets
/// (max timestamp). Where it cannot be read (no admin APIs, a broker before
/// Kafka 3.0) the partitions have none: the column says `-`, it never shows
/// another time instead; the reason is logged.
fn last_record_times(
    settings: &Settings,
    all: &[(String, i32)],
    marks: &super::groups::Watermarks,
) -> BTreeMap<(String, i32), i64> {
    if !settings.caps.admin_apis {
        return BTreeMap::new();
    }
    let filled: Vec<(String, i32)> = all
        .iter()
        .filter(|tp| marks.get(*tp).is_some_and(|(low, high)| high > low))
        .cloned()
        .collect();
    let mut known = BTreeMap::new();
    let mut ask = filled;
    // A broker sometimes leaves a non-empty partition's max timestamp out
    // of one answer and gives it in the next: those are asked again, twice
    // at most; what is still missing shows as unknown.
    for attempt in 0..3 {
        if ask.is_empty() {
            break;
        }
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        match super::list_offsets::last_record_times(settings, &ask) {
            Ok(times) => {
                for (tp, t) in times {
                    if let Some(t) = t {
                        known.insert(tp, t);
                    }
                }
                ask.retain(|tp| !known.contains_key(tp));
            }
            Err(e) => {
                tracing::warn!("last record times not read: {e}");
                break;
            }
        }
    }
    known
}

/// Every topic with partitions, watermarks and estimated count; Kafka's internal
/// topics (`__consumer_offsets`, ...) only when `internal`.
pub(crate) async fn list_topics(
    settings: &Settings,
    internal: bool,
) -> Result<Vec<TopicDetail>, KafkaError> {
    let s = settings.clone();
    blocking(move || {
        // A topic created or deleted between the metadata and the watermarks
        // (another client at work) fails the watermarks of its partitions:
        // the listing starts again from fresh metadata, twice at most.
        let mut attempt = 0;
        loop {
            let mut md = topic_metadata(&s, None)?;
            if !internal {
                md.retain(|t, _| !t.starts_with("__"));
            }
            match details(&s, md) {
                Err(e) if attempt < 2 && changed_meanwhile(&e) => {
                    attempt += 1;
                    tracing::debug!("topics changed while listed, again: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                other => return other,
            }
        }
    })
    .await
}

/// True when `e` says a partition the metadata named is not (or not yet)
/// there.
fn changed_meanwhile(e: &KafkaError) -> bool {
    match e {
        KafkaError::Client { source, .. } => matches!(
            source.rdkafka_error_code(),
            Some(
                rdkafka::types::RDKafkaErrorCode::UnknownPartition
                    | rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition
                    | rdkafka::types::RDKafkaErrorCode::UnknownTopic
                    | rdkafka::types::RDKafkaErrorCode::LeaderNotAvailable
                    | rdkafka::types::RDKafkaErrorCode::NotLeaderForPartition
            )
        ),
        _ => false,
    }
}

/// How many brokers the cluster's metadata names.
pub(crate) async fn broker_count(settings: &Settings) -> Result<i32, KafkaError> {
    let s = settings.clone();
    blocking(move || {
        let consumer: BaseConsumer = client_config(&s)
            .create()
            .map_err(|e| KafkaError::client("creating a Kafka client", e))?;
        let md = consumer
            .fetch_metadata(None, METADATA_TIMEOUT)
            .map_err(|e| KafkaError::Unreachable {
                brokers: s.brokers.clone(),
                reason: describe_error(&e),
            })?;
        Ok(i32::try_from(md.brokers().len()).unwrap_or(i32::MAX))
    })
    .await
}

/// One topic: partitions with leader, replicas, ISR and watermarks.
pub(crate) async fn describe_topic(
    settings: &Settings,
    topic: &str,
) -> Result<TopicDetail, KafkaError> {
    let s = settings.clone();
    let t = topic.to_string();
    blocking(move || {
        let md = topic_metadata(&s, Some(&t))?;
        let md: BTreeMap<_, _> = md.into_iter().filter(|(n, _)| *n == t).collect();
        details(&s, md)?.pop().ok_or(KafkaError::UnknownTopic(t))
    })
    .await
}

/// Waits until `topic` has `partitions` partitions, each with a leader.
async fn wait_for_leaders(
    settings: &Settings,
    topic: &str,
    partitions: usize,
) -> Result<(), KafkaError> {
    let deadline = tokio::time::Instant::now() + PROPAGATION_TIMEOUT;
    loop {
        let s = settings.clone();
        let t = topic.to_string();
        let md = blocking(move || topic_metadata(&s, Some(&t))).await;
        if let Ok(md) = &md
            && let Some(parts) = md.get(topic)
            && parts.len() >= partitions
            && parts.iter().all(|p| p.1 >= 0)
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(KafkaError::Invalid(format!(
                "topic '{topic}' was accepted but its {partitions} partition(s) did not get leaders within {}s",
                PROPAGATION_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates a topic and waits until every partition has a leader.
pub(crate) async fn create_topic(
    settings: &Settings,
    spec: &NewTopicSpec,
) -> Result<(), KafkaError> {
    if spec.partitions < 1 || spec.replication_factor < 1 {
        return Err(KafkaError::Invalid(
            "partitions and replication factor must be at least 1".into(),
        ));
    }
    let mut topic = NewTopic::new(
        &spec.name,
        spec.partitions,
        TopicReplication::Fixed(spec.replication_factor),
    );
    for (k, v) in &spec.configs {
        topic = topic.set(k, v);
    }
    let action = format!("creating topic '{}'", spec.name);
    let res = admin(settings, &action)?
        .create_topics(&[topic], &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    for r in res {
        r.map_err(|(_, code)| refused(action.clone(), code))?;
    }
    wait_for_leaders(settings, &spec.name, spec.partitions as usize).await
}

/// Deletes a topic.
pub(crate) async fn delete_topic(settings: &Settings, topic: &str) -> Result<(), KafkaError> {
    let action = format!("deleting topic '{topic}'");
    let res = admin(settings, &action)?
        .delete_topics(&[topic], &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    for r in res {
        r.map_err(|(_, code)| refused(action.clone(), code))?;
    }
    Ok(())
}

/// The effective `min.insync.replicas` of each of `topics` (one
/// DescribeConfigs request for all); a topic the broker did not answer for is
/// absent.
pub(crate) async fn min_insync_replicas(
    settings: &Settings,
    topics: &[String],
) -> Result<BTreeMap<String, i32>, KafkaError> {
    if topics.is_empty() {
        return Ok(BTreeMap::new());
    }
    let action = "reading min.insync.replicas".to_string();
    let specs: Vec<ResourceSpecifier<'_>> =
        topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
    let res = admin(settings, &action)?
        .describe_configs(&specs, &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    let mut out = BTreeMap::new();
    for r in res.into_iter().flatten() {
        let topic = match &r.specifier {
            rdkafka::admin::OwnedResourceSpecifier::Topic(t) => t.clone(),
            _ => continue,
        };
        if let Some(v) = r
            .get("min.insync.replicas")
            .and_then(|e| e.value.as_deref())
            .and_then(|v| v.parse().ok())
        {
            out.insert(topic, v);
        }
    }
    Ok(out)
}

fn source_label(s: &ConfigSource) -> &'static str {
    match s {
        ConfigSource::DynamicTopic => "topic",
        ConfigSource::DynamicBroker => "broker",
        ConfigSource::DynamicDefaultBroker => "broker-default",
        ConfigSource::StaticBroker => "static-broker",
        ConfigSource::Default => "default",
        ConfigSource::Unknown => "unknown",
    }
}

/// Fails with [`KafkaError::UnknownTopic`] unless metadata shows the topic:
/// AlterConfigs on a missing topic is answered without an error.
async fn ensure_topic(settings: &Settings, topic: &str) -> Result<(), KafkaError> {
    let s = settings.clone();
    let t = topic.to_string();
    blocking(move || topic_metadata(&s, Some(&t)).map(|_| ())).await
}

/// Every config entry of a topic (DescribeConfigs), sorted by name.
pub(crate) async fn topic_configs(
    settings: &Settings,
    topic: &str,
) -> Result<Vec<ConfigValue>, KafkaError> {
    let action = format!("reading the configs of topic '{topic}'");
    settings.caps.admin(&action)?;
    ensure_topic(settings, topic).await?;
    let res = admin(settings, &action)?
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    let mut out = Vec::new();
    for r in res {
        let resource = r.map_err(|code| refused(action.clone(), code))?;
        out.extend(resource.entries.into_iter().map(|e| ConfigValue {
            source: source_label(&e.source).to_string(),
            value: if e.is_sensitive { None } else { e.value },
            name: e.name,
            is_default: e.is_default,
            read_only: e.is_read_only,
        }));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Sets and removes topic config overrides; returns the overrides afterwards.
/// Sends the full set of overrides (see the module note): overrides not named
/// are kept. Removing a key that is not overridden is an error, so a typo is
/// not silently ignored.
pub(crate) async fn alter_topic_configs(
    settings: &Settings,
    topic: &str,
    set: &[(String, String)],
    delete: &[String],
) -> Result<Vec<ConfigValue>, KafkaError> {
    let mut overrides: BTreeMap<String, String> = topic_configs(settings, topic)
        .await?
        .into_iter()
        .filter(|c| c.is_override())
        .filter_map(|c| Some((c.name, c.value?)))
        .collect();
    for k in delete {
        if overrides.remove(k).is_none() {
            return Err(KafkaError::Invalid(format!(
                "'{k}' is not set on topic '{topic}', so it cannot be deleted"
            )));
        }
    }
    for (k, v) in set {
        overrides.insert(k.clone(), v.clone());
    }
    let mut alter = AlterConfig::new(ResourceSpecifier::Topic(topic));
    for (k, v) in &overrides {
        alter = alter.set(k, v);
    }
    let action = format!("changing the configs of topic '{topic}'");
    let res = admin(settings, &action)?
        .alter_configs(&[alter], &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    for r in res {
        r.map_err(|(_, code)| refused(action.clone(), code))?;
    }
    Ok(topic_configs(settings, topic)
        .await?
        .into_iter()
        .filter(ConfigValue::is_override)
        .collect())
}

/// Grows a topic to `total` partitions (CreatePartitions); returns the count before.
pub(crate) async fn add_partitions(
    settings: &Settings,
    topic: &str,
    total: usize,
) -> Result<usize, KafkaError> {
    let action = format!("adding partitions to topic '{topic}'");
    settings.caps.admin(&action)?;
    let before = describe_topic(settings, topic).await?.partitions.len();
    if total <= before {
        return Err(KafkaError::Invalid(format!(
            "topic '{topic}' already has {before} partition(s); --count is the new total and must be more (Kafka cannot remove partitions)"
        )));
    }
    let res = admin(settings, &action)?
        .create_partitions(&[NewPartitions::new(topic, total)], &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    for r in res {
        r.map_err(|(_, code)| refused(action.clone(), code))?;
    }
    wait_for_leaders(settings, topic, total).await?;
    Ok(before)
}

/// Deletes every record of a topic (DeleteRecords up to each high watermark).
pub(crate) async fn empty_topic(
    settings: &Settings,
    topic: &str,
) -> Result<Vec<EmptiedPartition>, KafkaError> {
    let action = format!("deleting the records of topic '{topic}'");
    settings.caps.admin(&action)?;
    let detail = describe_topic(settings, topic).await?;
    let mut tpl = TopicPartitionList::new();
    let mut deleted = BTreeMap::new();
    for p in &detail.partitions {
        if p.high > p.low {
            tpl.add_partition_offset(topic, p.partition, Offset::Offset(p.high))
                .map_err(|e| KafkaError::client("building the partition list", e))?;
            deleted.insert(p.partition, p.high - p.low);
        }
    }
    let mut out: Vec<EmptiedPartition> = detail
        .partitions
        .iter()
        .map(|p| EmptiedPartition {
            partition: p.partition,
            deleted: 0,
            low: p.low,
        })
        .collect();
    if tpl.count() == 0 {
        return Ok(out);
    }
    let res = admin(settings, &action)?
        .delete_records(&tpl, &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    for e in res.elements() {
        e.error().map_err(|err| KafkaError::Admin {
            action: format!("{action}, partition {}", e.partition()),
            reason: err.to_string(),
        })?;
        if let Some(o) = out.iter_mut().find(|o| o.partition == e.partition()) {
            o.deleted = deleted.get(&e.partition()).copied().unwrap_or(0);
            if let Offset::Offset(low) = e.offset() {
                o.low = low;
            }
        }
    }
    Ok(out)
}

/// Every consumer group, sorted by name.
pub(crate) async fn list_consumer_groups(
    settings: &Settings,
) -> Result<Vec<GroupSummary>, KafkaError> {
    let s = settings.clone();
    let mut out: Vec<GroupSummary> = blocking(move || list_groups(&s))
        .await?
        .into_iter()
        .map(|g| GroupSummary {
            members: g.members.len(),
            name: g.name,
            state: g.state,
            protocol_type: g.protocol_type,
            group_type: g.group_type,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One group: members and assignments, committed offsets, watermarks, owners.
pub(crate) async fn describe_consumer_group(
    settings: &Settings,
    group: &str,
) -> Result<GroupDetail, KafkaError> {
    let s = settings.clone();
    let g = group.to_string();
    blocking(move || {
        let info = describe_group_info(&s, &g)?;
        let candidates = all_partitions(&s)?;
        let commits = committed(&s, &g, &candidates)?;
        if info.state == "Dead" && info.members.is_empty() && commits.is_empty() {
            return Err(KafkaError::Invalid(format!(
                "consumer group '{g}' does not exist"
            )));
        }
        let mut used: Vec<(String, i32)> = commits.keys().cloned().collect();
        used.extend(
            info.members
                .iter()
                .flat_map(|m| m.assignment.iter().cloned()),
        );
        used.sort();
        used.dedup();
        let marks = watermarks(&s, &used)?;
        // Describe shows offsets only, no lag in seconds: no records to read.
        let offsets = group_snapshot(
            &info,
            &commits,
            &marks,
            &Default::default(),
            &Default::default(),
        );
        Ok(GroupDetail { info, offsets })
    })
    .await
}

/// Deletes a group (refused by the broker while it has members).
pub(crate) async fn delete_consumer_group(
    settings: &Settings,
    group: &str,
) -> Result<(), KafkaError> {
    let action = format!("deleting consumer group '{group}'");
    let res = admin(settings, &action)?
        .delete_groups(&[group], &options())
        .await
        .map_err(|e| KafkaError::client(action.clone(), e))?;
    for r in res {
        r.map_err(|(_, code)| refused(action.clone(), code))?;
    }
    Ok(())
}

fn refuse_if_active(info: &GroupInfo) -> Result<(), KafkaError> {
    // Kafka's tool resets only Empty or Dead groups: a member would overwrite
    // the reset with its own next commit. Consumer-protocol (KIP-848) groups
    // are described by ConsumerGroupDescribe (kafka::ffi), so their members
    // count here too; should one join between this check and the commit, the
    // coordinator refuses the commit and `execute_reset` reports that as the
    // same refusal.
    let inactive = matches!(info.state.as_str(), "Empty" | "Dead" | "");
    if info.members.is_empty() && inactive {
        return Ok(());
    }
    Err(KafkaError::GroupActive {
        group: info.name.clone(),
        state: info.state.clone(),
        members: info.members.len(),
    })
}

/// Computes a reset plan: for each partition in scope, the committed offset
/// now and the offset the reset would commit. Refuses a group with members.
pub(crate) async fn plan_reset(
    settings: &Settings,
    group: &str,
    spec: ResetSpec,
    scope: &ResetScope,
) -> Result<ResetPlan, KafkaError> {
    let s = settings.clone();
    let g = group.to_string();
    let scope = scope.clone();
    blocking(move || {
        refuse_if_active(&describe_group_info(&s, &g)?)?;
        let partitions: Vec<(String, i32)> = match &scope {
            ResetScope::AllTopics => committed(&s, &g, &all_partitions(&s)?)?
                .into_keys()
                .collect(),
            ResetScope::Topics(topics) => {
                let mut out = Vec::new();
                for t in topics {
                    let md = topic_metadata(&s, Some(&t.topic))?;
                    let have: Vec<i32> = md
                        .get(&t.topic)
                        .map(|ps| ps.iter().map(|p| p.0).collect())
                        .unwrap_or_default();
                    if t.partitions.is_empty() {
                        out.extend(have.iter().map(|p| (t.topic.clone(), *p)));
                        continue;
                    }
                    for p in &t.partitions {
                        if !have.contains(p) {
                            return Err(KafkaError::Invalid(format!(
                                "topic '{}' has no partition {p} (it has {})",
                                t.topic,
                                have.len()
                            )));
                        }
                        out.push((t.topic.clone(), *p));
                    }
                }
                out.sort();
                out.dedup();
                out
            }
        };
        if partitions.is_empty() {
            return Err(KafkaError::Invalid(format!(
                "nothing to reset: group '{g}' has no committed offsets in scope"
            )));
        }
        let commits = committed(&s, &g, &partitions)?;
        let marks = watermarks(&s, &partitions)?;
        let for_time = match spec {
            ResetSpec::Timestamp(ts) => offsets_for_time(&s, &partitions, ts)?,
            _ => BTreeMap::new(),
        };
        let mut rows = Vec::with_capacity(partitions.len());
        for (topic, partition) in partitions {
            let key = (topic.clone(), partition);
            let (low, high) = marks.get(&key).copied().unwrap_or((0, 0));
            let current = commits.get(&key).copied();
            let new = new_offset(
                spec,
                PartitionOffsets {
                    low,
                    high,
                    committed: current,
                    for_time: for_time.get(&key).copied().flatten(),
                },
            )
            .map_err(|e| KafkaError::Invalid(format!("{topic} partition {partition}: {e}")))?;
            rows.push(ResetRow {
                topic,
                partition,
                current_offset: current,
                new_offset: new,
            });
        }
        Ok(ResetPlan {
            group: g,
            spec,
            scope,
            rows,
        })
    })
    .await
}

/// The first offset at or after `ts` per partition; `None` where no record is
/// that recent. Blocking.
fn offsets_for_time(
    settings: &Settings,
    partitions: &[(String, i32)],
    ts: i64,
) -> Result<BTreeMap<(String, i32), Option<i64>>, KafkaError> {
    let consumer: BaseConsumer = client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating a client", e))?;
    let mut tpl = TopicPartitionList::new();
    for (t, p) in partitions {
        tpl.add_partition_offset(t, *p, Offset::Offset(ts))
            .map_err(|e| KafkaError::client("building the partition list", e))?;
    }
    let res = consumer
        .offsets_for_times(tpl, REQUEST_TIMEOUT)
        .map_err(|e| KafkaError::client("looking up offsets by time", e))?;
    Ok(res
        .elements()
        .iter()
        .map(|e| {
            let o = match e.offset() {
                Offset::Offset(o) if o >= 0 => Some(o),
                _ => None,
            };
            ((e.topic().to_string(), e.partition()), o)
        })
        .collect())
}

/// Commits a plan's new offsets for its group, after checking again that the
/// group has no members; returns the committed offsets read back.
pub(crate) async fn execute_reset(
    settings: &Settings,
    plan: &ResetPlan,
) -> Result<BTreeMap<(String, i32), i64>, KafkaError> {
    let s = settings.clone();
    let plan = plan.clone();
    blocking(move || {
        refuse_if_active(&describe_group_info(&s, &plan.group)?)?;
        let mut cfg = client_config(&s);
        cfg.set("group.id", &plan.group);
        cfg.set("enable.auto.commit", "false");
        // Never subscribes, so it does not join the group: the commit carries no
        // generation, which the coordinator accepts for an empty group.
        let consumer: BaseConsumer = cfg
            .create()
            .map_err(|e| KafkaError::client("creating an offsets client", e))?;
        let mut tpl = TopicPartitionList::new();
        for r in &plan.rows {
            tpl.add_partition_offset(&r.topic, r.partition, Offset::Offset(r.new_offset))
                .map_err(|e| KafkaError::client("building the partition list", e))?;
        }
        consumer.commit(&tpl, CommitMode::Sync).map_err(|e| {
            use RDKafkaErrorCode as C;
            match e.rdkafka_error_code() {
                // A member the coordinator knows and we could not see: the group is live.
                Some(
                    C::UnknownMemberId
                    | C::StaleMemberEpoch
                    | C::IllegalGeneration
                    | C::RebalanceInProgress,
                ) => KafkaError::GroupActiveOnCommit {
                    group: plan.group.clone(),
                    reason: e.to_string(),
                },
                _ => KafkaError::client(format!("committing offsets of group '{}'", plan.group), e),
            }
        })?;
        let keys: Vec<(String, i32)> = plan
            .rows
            .iter()
            .map(|r| (r.topic.clone(), r.partition))
            .collect();
        committed(&s, &plan.group, &keys)
    })
    .await
}
