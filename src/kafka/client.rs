//! librdkafka client configuration from [`Settings`], reachability checks, and the
//! error type every Kafka-facing function returns.
//!
//! A wrong password or an untrusted certificate reaches a caller of librdkafka
//! only as "broker transport failure": the real reason is in librdkafka's log
//! and error callbacks. [`SecurityContext`] keeps that reason, so the error can
//! say "authentication failed for user alice (SCRAM-SHA-512) at host:port".

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
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
    #[error(
        "topic '{0}' does not exist — `eventdeck topics init` creates every context topic and its DLQ (or `eventdeck topics create {0}`)"
    )]
    UnknownTopic(String),
    /// A record read again by its offset is no longer there (retention or
    /// compaction removed it since it was read).
    #[error(
        "{topic}[{partition}]@{offset} is no longer in Kafka ({reason}): it cannot be sent again as it was read"
    )]
    RecordGone {
        /// Its topic.
        topic: String,
        /// Its partition.
        partition: i32,
        /// Its offset.
        offset: i64,
        /// What was found instead.
        reason: String,
    },
    /// A topic the principal may not access (ACL).
    #[error(
        "not authorized to access topic {0} (TOPIC_AUTHORIZATION_FAILED): the cluster's ACLs deny this principal"
    )]
    TopicAuthorization(String),
    /// The brokers refused the SASL credentials.
    #[error(
        "authentication failed for user {user} ({mechanism}) at {broker} — check the username and password"
    )]
    Authentication {
        /// `sasl.username` (a name, not a secret).
        user: String,
        /// `sasl.mechanism`.
        mechanism: String,
        /// The broker that refused, as host:port.
        broker: String,
    },
    /// The TLS handshake failed (untrusted broker certificate, or the broker
    /// refused ours).
    #[error(
        "TLS handshake with {broker} failed: {reason} — check ssl.ca.location and, for mTLS, the client certificate and key"
    )]
    Tls {
        /// The broker, as host:port.
        broker: String,
        /// librdkafka's reason (OpenSSL's words; no key material).
        reason: String,
    },
    /// The client certificate or key could not be loaded (a wrong path, or an
    /// encrypted key without its password).
    #[error(
        "cannot load the client certificate or key: {reason} — check ssl.certificate.location, ssl.key.location and, for an encrypted key, ssl.key.password (KAFKA_SSL_KEY_PASSWORD)"
    )]
    ClientKey {
        /// librdkafka's reason (OpenSSL's words; no key material).
        reason: String,
    },
    /// A `-X` (or config file) property librdkafka does not know.
    #[error("unknown librdkafka property '{0}'")]
    UnknownProperty(String),
    /// A librdkafka property with a value it refuses. The value is not
    /// repeated: it may be a secret.
    #[error("librdkafka property '{name}': {reason}")]
    BadProperty {
        /// The property.
        name: String,
        /// librdkafka's words.
        reason: String,
    },
    /// Any other client error, with what we were doing.
    #[error("{action}: {source}")]
    Client {
        /// What eventdeck was doing.
        action: String,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// An API this broker does not have (the demo's embedded broker has no
    /// admin APIs): refused without asking when its caps say so, or named so
    /// when the broker answered with an unsupported-API error code.
    #[error("{api}: not supported by this broker")]
    Unsupported {
        /// What was asked for.
        api: String,
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
    /// A record larger than the producer's `message.max.bytes`: refused before
    /// it is sent.
    #[error(
        "the record is {size} bytes, over message.max.bytes ({limit}) — send less, or raise message.max.bytes (-X) and the topic's max.message.bytes (for {topic})"
    )]
    TooLarge {
        /// Target topic.
        topic: String,
        /// Key, value and headers as librdkafka counts them.
        size: usize,
        /// The producer's `message.max.bytes`.
        limit: usize,
    },
    /// Kafka refused the record itself (too large, invalid for the topic):
    /// sending it again cannot succeed.
    #[error("Kafka refused the record for {topic} for good: {reason}")]
    Rejected {
        /// Target topic.
        topic: String,
        /// Why.
        reason: String,
    },
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
        if let Some(e) = Self::property(&source) {
            return e;
        }
        if let rdkafka::error::KafkaError::ClientCreation(reason) = &source
            && (reason.contains("ssl.key.location") || reason.contains("ssl.certificate.location"))
        {
            return Self::ClientKey {
                reason: reason.clone(),
            };
        }
        let action = action.into();
        if source.rdkafka_error_code().is_some_and(unsupported_code) {
            return Self::Unsupported { api: action };
        }
        Self::Client { action, source }
    }
}

/// The error codes with which librdkafka or a broker says "no such API".
pub(crate) fn unsupported_code(code: rdkafka::types::RDKafkaErrorCode) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        code,
        C::UnsupportedFeature | C::UnsupportedVersion | C::NotImplemented
    )
}

impl KafkaError {
    /// The property error librdkafka reported while a config was applied.
    fn property(source: &rdkafka::error::KafkaError) -> Option<Self> {
        use rdkafka::types::RDKafkaConfRes;
        let rdkafka::error::KafkaError::ClientConfig(code, reason, name, _value) = source else {
            return None;
        };
        Some(match code {
            RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN => Self::UnknownProperty(name.clone()),
            _ => Self::BadProperty {
                name: name.clone(),
                reason: reason.clone(),
            },
        })
    }
}

/// Applies every librdkafka property the settings carry (`-X`, the config
/// file, the environment) without connecting, so a misspelt name or a bad
/// value is reported before any command starts.
pub fn check_properties(settings: &Settings) -> Result<(), KafkaError> {
    client_config(settings)
        .create_native_config()
        .map(drop)
        .map_err(|e| KafkaError::client("applying the librdkafka properties", e))
}

/// How long a metadata request may take before the cluster counts as unreachable.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(8);
/// One metadata attempt within [`METADATA_TIMEOUT`].
const METADATA_SLICE: Duration = Duration::from_millis(250);
/// How long refused connections are retried before they are the answer: long
/// enough for librdkafka to try each bootstrap address (it may reach another).
const FAIL_FAST: Duration = Duration::from_millis(1000);

/// A security problem librdkafka reported through its log or error callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecurityFailure {
    /// SASL authentication was refused.
    Authentication {
        /// The broker, as host:port.
        broker: String,
    },
    /// The TLS handshake failed.
    Tls {
        /// The broker, as host:port.
        broker: String,
        /// What OpenSSL or the broker said.
        reason: String,
    },
    /// No connection at all: refused, the name does not resolve, no route.
    Transport {
        /// The broker, as host:port.
        broker: String,
        /// Why, in a few words.
        reason: String,
    },
}

impl SecurityFailure {
    /// Recognises an authentication or TLS failure in one of librdkafka's
    /// messages, which look like
    /// `sasl_ssl://127.0.0.1:9093/bootstrap: SASL authentication error: ...`.
    pub fn parse(message: &str) -> Option<Self> {
        let broker = || broker_of(message);
        if message.contains("SASL authentication error")
            || message.contains("Authentication failed during authentication")
        {
            return Some(Self::Authentication { broker: broker()? });
        }
        let tls = [
            "SSL handshake failed",
            "certificate verify failed",
            "alert bad certificate",
        ];
        let transport = [
            (
                "Connection refused",
                "connection refused: nothing listens there",
            ),
            ("Failed to resolve", "the host name does not resolve"),
            (
                "Name or service not known",
                "the host name does not resolve",
            ),
            ("No route to host", "no route to host"),
            ("Network is unreachable", "network unreachable"),
        ];
        if let Some((_, reason)) = transport.iter().find(|(t, _)| message.contains(t)) {
            return Some(Self::Transport {
                broker: connect_target(message)
                    .or_else(|| resolve_target(message))
                    .or_else(broker)?,
                reason: (*reason).to_string(),
            });
        }
        if tls.iter().any(|t| message.contains(t)) {
            // The log line is `[thrd:URL]: URL: reason`: the reason follows the last URL.
            let after = message
                .rfind("://")
                .and_then(|i| message[i..].split_once(": "))
                .map_or(message, |(_, reason)| reason);
            // librdkafka appends "(after 3ms in state ...)": timing noise.
            let reason = after.split(" (after ").next().unwrap_or(after).trim();
            return Some(Self::Tls {
                broker: broker()?,
                reason: reason.to_string(),
            });
        }
        None
    }
}

/// `host:port` from librdkafka's `Connect to ipv4#host:port failed: …`.
fn connect_target(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("Connect to ")?;
    let addr = rest.split(' ').next()?;
    let hp = addr.split_once('#').map_or(addr, |(_, hp)| hp);
    (!hp.is_empty()).then(|| hp.to_string())
}

/// `host:port` from librdkafka's `Failed to resolve 'host:port': …`.
fn resolve_target(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("resolve '")?;
    let hp = rest.split('\'').next()?;
    (!hp.is_empty()).then(|| hp.to_string())
}

/// `host:port` from `proto://host:port/name: message`.
fn broker_of(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("://")?;
    let hp = rest.split(['/', ' ']).next()?.trim_end_matches(':');
    (!hp.is_empty()).then(|| hp.to_string())
}

/// A client context that remembers the last security failure librdkafka
/// reported, then logs as the default context does.
#[derive(Debug, Default, Clone)]
pub(crate) struct SecurityContext {
    failure: Arc<Mutex<Option<SecurityFailure>>>,
}

impl SecurityContext {
    fn observe(&self, message: &str) {
        if let Some(f) = SecurityFailure::parse(message)
            && let Ok(mut slot) = self.failure.lock()
        {
            // A refused connection to one broker says less than a refused
            // password from another: keep the security failure.
            let keep = matches!(f, SecurityFailure::Transport { .. })
                && matches!(
                    *slot,
                    Some(SecurityFailure::Authentication { .. } | SecurityFailure::Tls { .. })
                );
            if !keep {
                *slot = Some(f);
            }
        }
    }

    /// The last security failure seen, if any.
    pub fn failure(&self) -> Option<SecurityFailure> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// The error to report for a failed call: the security failure seen (named
    /// with the configured user and mechanism), else `otherwise`.
    pub fn explain(&self, cfg: &ClientConfig, otherwise: KafkaError) -> KafkaError {
        self.explain_for(
            cfg.get("sasl.username"),
            cfg.get("sasl.mechanism"),
            otherwise,
        )
    }

    /// As [`Self::explain`], with the user and mechanism given.
    pub fn explain_for(
        &self,
        user: Option<&str>,
        mechanism: Option<&str>,
        otherwise: KafkaError,
    ) -> KafkaError {
        match self.failure() {
            Some(SecurityFailure::Authentication { broker }) => KafkaError::Authentication {
                user: user.unwrap_or("(none)").to_string(),
                // librdkafka's default mechanism is GSSAPI.
                mechanism: mechanism.unwrap_or("GSSAPI").to_string(),
                broker,
            },
            Some(SecurityFailure::Tls { broker, reason }) => KafkaError::Tls { broker, reason },
            Some(SecurityFailure::Transport { broker, reason }) => match otherwise {
                KafkaError::Unreachable { brokers, .. } => KafkaError::Unreachable {
                    reason: if brokers == broker {
                        reason
                    } else {
                        format!("{broker}: {reason}")
                    },
                    brokers,
                },
                other => other,
            },
            None => otherwise,
        }
    }
}

impl ClientContext for SecurityContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.observe(log_message);
        DefaultClientContext.log(level, fac, log_message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.observe(reason);
        DefaultClientContext.error(error, reason);
    }
}

impl ConsumerContext for SecurityContext {}

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
    crate::task_name::spawn_blocking(move || fetch_metadata(&cfg, &brokers, topic.as_deref()))
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
    let consumer: BaseConsumer<SecurityContext> = cfg
        .create_with_context(SecurityContext::default())
        .map_err(|e| KafkaError::client("creating a Kafka client", e))?;
    metadata_of(&consumer, cfg, brokers, topic)
}

/// As [`fetch_metadata`], on a client that is kept: a consumer about to
/// `assign()` should ask itself, so it knows the partition leaders at once
/// (otherwise librdkafka retries its start-offset lookup after 500 ms).
pub(crate) fn metadata_of(
    consumer: &BaseConsumer<SecurityContext>,
    cfg: &ClientConfig,
    brokers: &str,
    topic: Option<&str>,
) -> Result<ClusterInfo, KafkaError> {
    // Asked in slices, so a cluster that refuses outright (nothing listening,
    // a name that does not resolve, a TLS or SASL failure) is reported as such
    // within about FAIL_FAST instead of after the whole timeout.
    let start = std::time::Instant::now();
    loop {
        let slice = METADATA_SLICE.min(METADATA_TIMEOUT.saturating_sub(start.elapsed()));
        match consumer.fetch_metadata(topic, slice) {
            Ok(md) => return cluster_info(&md, topic),
            Err(e) => {
                drain_events(consumer);
                let failure = consumer.context().failure();
                let give_up = start.elapsed() >= METADATA_TIMEOUT
                    || match failure {
                        Some(SecurityFailure::Transport { .. }) => start.elapsed() >= FAIL_FAST,
                        Some(_) => true,
                        None => false,
                    };
                if give_up {
                    return Err(consumer.context().explain(
                        cfg,
                        KafkaError::Unreachable {
                            brokers: brokers.to_string(),
                            reason: describe_error(&e),
                        },
                    ));
                }
            }
        }
    }
}

/// Log and error events wait in the client's queue until it is polled; their
/// callbacks are where a security failure shows, so serve what is queued.
fn drain_events(consumer: &BaseConsumer<SecurityContext>) {
    // Bounded: a poll that consumes a log event also answers "nothing".
    for _ in 0..MAX_DRAINED_EVENTS {
        let _ = consumer.poll(Duration::ZERO);
        if consumer.context().failure().is_some() {
            return;
        }
    }
}

/// Queued events served at most after a failed metadata request.
const MAX_DRAINED_EVENTS: usize = 256;

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

/// The reader's consumer settings: assign()-based, no commits, no group
/// membership, `-X` properties applied last. `partition_eof`: end-of-partition
/// events are wanted (and the broker holds an empty fetch only briefly).
/// Public so the ingest bench's reference loop reads as the console does.
pub fn assigning_config(
    settings: &Settings,
    purpose: &str,
    partition_eof: bool,
) -> rdkafka::ClientConfig {
    let mut cfg = client_config(settings);
    // A group id is required by librdkafka for a consumer, but with assign() and
    // no commits the group never registers with a coordinator.
    cfg.set(
        "group.id",
        format!("eventdeck-{purpose}-{}", uuid::Uuid::new_v4()),
    );
    cfg.set("enable.auto.commit", "false");
    cfg.set("enable.auto.offset.store", "false");
    cfg.set("enable.partition.eof", partition_eof.to_string());
    cfg.set("auto.offset.reset", "earliest");
    // How long the broker holds a fetch when there is nothing new: what an idle
    // tail costs, and how late the end of a partition is noticed.
    cfg.set(
        "fetch.wait.max.ms",
        if partition_eof { "10" } else { "100" },
    );
    // librdkafka pauses fetching for fetch.queue.backoff.ms (1 s by default)
    // whenever its prefetch queue is over queued.min.messages; a reader that
    // drains fast then starves for most of that second.
    cfg.set("fetch.queue.backoff.ms", "10");
    for (k, v) in &settings.properties {
        cfg.set(k, v.expose());
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_librdkafka_refuses_are_named_plainly() {
        let empty = tempfile::NamedTempFile::new().expect("temp config");
        let mut settings = crate::config::Settings::load_with_env(
            &crate::config::CliOverrides {
                config: Some(empty.path().to_path_buf()),
                properties: vec![("foo".into(), "bar".into())],
                ..Default::default()
            },
            &|_| None,
        )
        .expect("settings");
        let err = check_properties(&settings).expect_err("foo is unknown");
        assert_eq!(err.to_string(), "unknown librdkafka property 'foo'");
        settings.properties.clear();
        settings.properties.insert(
            "socket.timeout.ms".into(),
            crate::config::PropertyValue::Plain("abc".into()),
        );
        let err = check_properties(&settings).expect_err("not a number");
        assert!(
            err.to_string()
                .starts_with("librdkafka property 'socket.timeout.ms': "),
            "{err}"
        );
        settings.properties.clear();
        check_properties(&settings).expect("the defaults apply");
    }

    #[test]
    fn sasl_failure_is_recognised_with_its_broker() {
        let msg = "sasl_ssl://127.0.0.1:23093/bootstrap: SASL authentication error: \
                   Authentication failed during authentication due to invalid credentials \
                   with SASL mechanism SCRAM-SHA-512 (after 331ms in state AUTH_REQ)";
        assert_eq!(
            SecurityFailure::parse(msg),
            Some(SecurityFailure::Authentication {
                broker: "127.0.0.1:23093".into()
            })
        );
    }

    #[test]
    fn refused_and_unresolvable_brokers_are_recognised_with_their_address() {
        let refused = "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: \
                       Connection refused (after 0ms in state CONNECT)";
        assert_eq!(
            SecurityFailure::parse(refused),
            Some(SecurityFailure::Transport {
                broker: "127.0.0.1:1".into(),
                reason: "connection refused: nothing listens there".into(),
            })
        );
        let unresolved = "nosuch.invalid:9092/bootstrap: Failed to resolve \
                          'nosuch.invalid:9092': Name or service not known (after 2ms in state CONNECT)";
        assert!(matches!(
            SecurityFailure::parse(unresolved),
            Some(SecurityFailure::Transport { broker, reason })
                if broker == "nosuch.invalid:9092" && reason.contains("does not resolve")
        ));
        // A refused connection does not hide a refused password.
        let ctx = SecurityContext::default();
        ctx.observe(
            "sasl_ssl://127.0.0.1:23093/bootstrap: SASL authentication error: Authentication \
             failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
        );
        ctx.observe(refused);
        assert!(matches!(
            ctx.failure(),
            Some(SecurityFailure::Authentication { .. })
        ));
    }

    #[test]
    fn tls_failure_keeps_the_reason_without_timing() {
        let msg = "[thrd:ssl://127.0.0.1:23094/bootstrap]: ssl://127.0.0.1:23094/bootstrap: \
                   error:0A000086:SSL routines::certificate verify failed \
                   (after 5ms in state SSL_HANDSHAKE)";
        match SecurityFailure::parse(msg) {
            Some(SecurityFailure::Tls { broker, reason }) => {
                assert_eq!(broker, "127.0.0.1:23094");
                assert_eq!(
                    reason,
                    "error:0A000086:SSL routines::certificate verify failed"
                );
                assert!(!reason.contains("after 5ms"), "{reason}");
            }
            other => panic!("not a TLS failure: {other:?}"),
        }
        assert_eq!(SecurityFailure::parse("Connection refused"), None);
    }

    #[test]
    fn explain_names_user_and_mechanism_but_no_password() {
        let ctx = SecurityContext::default();
        ctx.observe("sasl_ssl://10.0.0.1:9093/1: SASL authentication error: denied");
        let mut cfg = ClientConfig::new();
        cfg.set("sasl.username", "alice")
            .set("sasl.mechanism", "SCRAM-SHA-512")
            .set("sasl.password", "pw-never-shown-42");
        let err = ctx
            .explain(&cfg, KafkaError::UnknownTopic("x".into()))
            .to_string();
        assert_eq!(
            err,
            "authentication failed for user alice (SCRAM-SHA-512) at 10.0.0.1:9093 \
             — check the username and password"
        );
        assert!(!err.contains("pw-never-shown-42"));
    }
}
