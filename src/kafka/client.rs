//! librdkafka client configuration from [`Settings`], reachability checks, and the
//! error type every Kafka-facing function returns.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::metadata::Metadata;

use crate::config::Settings;

/// An error from Kafka, worded for the person reading it. Never carries a secret:
/// librdkafka's own messages do not include property values.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// The brokers did not answer.
    #[error("cannot reach Kafka at {brokers}: {reason}")]
    Unreachable {
        /// The bootstrap servers tried.
        brokers: String,
        /// librdkafka's reason.
        reason: String,
    },
    /// A topic that does not exist.
    #[error("topic '{0}' does not exist")]
    UnknownTopic(String),
    /// A topic the principal may not access (ACL).
    #[error("not authorized to access topic '{0}'")]
    TopicAuthorization(String),
    /// Any other client error, with what we were doing.
    #[error("{action}: {source}")]
    Client {
        /// What eventdeck was doing.
        action: String,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// An admin request the broker refused for one resource.
    #[error("{action}: {reason}")]
    Admin {
        /// What eventdeck was doing.
        action: String,
        /// The broker's error.
        reason: String,
    },
    /// A consumer group that still has members: its offsets cannot be reset.
    #[error(
        "group '{group}' has {members} active member(s) (state {state}); offsets can only be reset when the group is inactive: stop its consumers first"
    )]
    GroupActive {
        /// The group.
        group: String,
        /// Its state.
        state: String,
        /// How many members it has.
        members: usize,
    },
    /// A group whose commit the coordinator refused because the group has live
    /// members the client could not see beforehand: consumer-protocol (KIP-848)
    /// groups are invisible to the classic DescribeGroups that rdkafka offers.
    #[error(
        "group '{group}' has active members (the broker refused the commit: {reason}); offsets can only be reset when the group is inactive: stop its consumers first"
    )]
    GroupActiveOnCommit {
        /// The group.
        group: String,
        /// The broker's error.
        reason: String,
    },
    /// A request that makes no sense for what the cluster holds.
    #[error("{0}")]
    Invalid(String),
    /// A record could not be delivered.
    #[error("delivery to {topic} failed: {reason}")]
    Delivery {
        /// Target topic.
        topic: String,
        /// Why.
        reason: String,
    },
}

impl KafkaError {
    pub(crate) fn client(action: impl Into<String>, source: rdkafka::error::KafkaError) -> Self {
        Self::Client {
            action: action.into(),
            source,
        }
    }
}

/// How long a metadata request may take before the cluster counts as unreachable.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(8);

/// A librdkafka config with everything the settings say: brokers, client id,
/// security, and the `-X` pass-through (which wins).
pub fn client_config(settings: &Settings) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    // An interactive tool sends small requests and waits for each answer; with
    // Nagle on, delayed ACKs add ~40 ms to such round trips (an OffsetFetch took
    // 55 ms instead of 5). `-X socket.nagle.disable=false` still wins.
    cfg.set("socket.nagle.disable", "true");
    for (k, v) in settings.librdkafka_properties() {
        cfg.set(k, v);
    }
    cfg
}

/// Asks the cluster for metadata (off the async runtime: it blocks), as a
/// reachability and credentials check. `topic` narrows the request.
pub async fn check_reachable(
    settings: &Settings,
    topic: Option<&str>,
) -> Result<ClusterInfo, KafkaError> {
    let cfg = client_config(settings);
    let brokers = settings.brokers.clone();
    let topic = topic.map(str::to_string);
    tokio::task::spawn_blocking(move || fetch_metadata(&cfg, &brokers, topic.as_deref()))
        .await
        .map_err(|e| KafkaError::Unreachable {
            brokers: settings.brokers.clone(),
            reason: e.to_string(),
        })?
}

/// What a metadata request told us.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    /// Broker ids and addresses.
    pub brokers: Vec<(i32, String)>,
    /// Topics with their partition ids.
    pub topics: Vec<(String, Vec<i32>)>,
}

impl ClusterInfo {
    /// The partitions of a topic.
    pub fn partitions(&self, topic: &str) -> Option<&[i32]> {
        self.topics
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, p)| p.as_slice())
    }
}

/// Blocking metadata fetch; call from a blocking context.
pub fn fetch_metadata(
    cfg: &ClientConfig,
    brokers: &str,
    topic: Option<&str>,
) -> Result<ClusterInfo, KafkaError> {
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| KafkaError::client("creating a Kafka client", e))?;
    let md = consumer
        .fetch_metadata(topic, METADATA_TIMEOUT)
        .map_err(|e| KafkaError::Unreachable {
            brokers: brokers.to_string(),
            reason: describe_error(&e),
        })?;
    cluster_info(&md, topic)
}

fn cluster_info(md: &Metadata, wanted: Option<&str>) -> Result<ClusterInfo, KafkaError> {
    let mut topics = Vec::new();
    for t in md.topics() {
        if let Some(code) = t.error() {
            if wanted == Some(t.name()) {
                return Err(match code {
                    rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED => {
                        KafkaError::TopicAuthorization(t.name().to_string())
                    }
                    _ => KafkaError::UnknownTopic(t.name().to_string()),
                });
            }
            continue;
        }
        topics.push((
            t.name().to_string(),
            t.partitions().iter().map(|p| p.id()).collect(),
        ));
    }
    Ok(ClusterInfo {
        brokers: md
            .brokers()
            .iter()
            .map(|b| (b.id(), format!("{}:{}", b.host(), b.port())))
            .collect(),
        topics,
    })
}

/// librdkafka's error text, with the transport failures explained.
pub fn describe_error(e: &rdkafka::error::KafkaError) -> String {
    use rdkafka::types::RDKafkaErrorCode as C;
    match e.rdkafka_error_code() {
        Some(C::BrokerTransportFailure | C::AllBrokersDown | C::OperationTimedOut) => {
            format!("{e} (is the broker running and the address right?)")
        }
        Some(C::Authentication | C::SaslAuthenticationFailed) => {
            format!("{e} (check the SASL username, password and mechanism)")
        }
        _ => e.to_string(),
    }
}
