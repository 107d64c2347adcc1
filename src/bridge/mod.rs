//! The bridge between the in-process [`Bus`] and Kafka.
//!
//! - local → Kafka: a local publish is appended to the durable [`outbox`], its
//!   local handlers run, and the relay sends outbox records in order (key = the
//!   aggregate id, idempotent producer) and removes them once Kafka acked them.
//!   Without Kafka, records wait in the outbox, across restarts and `kill -9`.
//! - Kafka → local: one consumer group member per bridge reads batches from the
//!   contexts' topics, runs the handlers, writes effects and DLQ records to the
//!   outbox, and only then commits the batch's offsets (at-least-once).
//! - Loop prevention: records carry an [`ORIGIN_HEADER`] with the bridge's id; a
//!   bridge does not hand its own records back to handlers that already ran them.
//! - A handler that still fails after its retries sends the record to
//!   `<topic>.dlq` ([`dlq`]); everything is counted in [`metrics`].
//! - Exactly-once mode ([`BridgeConfig::exactly_once`], [`exactly_once`]):
//!   the Kafka → local side writes a batch's effects, dead letters and
//!   offsets in one Kafka transaction instead of through the outbox.

pub mod dlq;
pub mod exactly_once;
pub mod metrics;
pub mod outbox;
pub mod reactions;

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use self::metrics::{Count, Metrics, MetricsServer, MetricsSnapshot};
use self::outbox::{Outbox, OutboxError, OutboxRecord};
use crate::bus::{Bus, DispatchReport, Emit, HandlerCtx, Origin, RetryPolicy};
use crate::config::Settings;
use crate::domain::{Decoded, Envelope, EventTypeRegistry};
use crate::kafka::member::GroupConsumer;
use crate::kafka::produce::Queued;
use crate::kafka::{ConsumedRecord, Delivery, EventProducer, KafkaError, RawRecord};
use crate::publish::{PublishError, PublishFuture, PublishRequest, Published, Publisher};

/// Header naming the bridge that published a record (its id).
pub const ORIGIN_HEADER: &str = "eventdeck-origin";

/// File in the outbox directory holding this bridge's id, so the id — and loop
/// prevention for records still in the outbox — survives restarts.
const ID_FILE: &str = "bridge-id";

/// Outbox records sent to Kafka per window.
const RELAY_WINDOW: usize = 10_000;
/// Windows in flight at once.
const RELAY_PIPELINE: usize = 4;

/// A record's sequence number, the record, and how its delivery went.
type Sent = (u64, OutboxRecord, Result<Delivery, KafkaError>);

/// A window's outcomes, sorted ([`Core::tally`]).
struct Tally {
    /// Acknowledged by Kafka: sequence number, context, where.
    delivered: Vec<(u64, String, Delivery)>,
    /// The first record to send again.
    first_failed: Option<u64>,
    /// Refused for good on their own: to set aside, with Kafka's reason.
    refused: Vec<(u64, OutboxRecord, String)>,
    /// True when every failure was a refusal for good (no backoff needed).
    only_refusals: bool,
}

/// How often removals of delivered records are made durable at least.
const DURABLE_ACK_INTERVAL: Duration = Duration::from_secs(1);

/// Longest pause between delivery rounds while Kafka is unreachable.
const RELAY_MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How the bridge runs.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// Contexts whose topics the bridge consumes; empty = every configured context.
    pub contexts: Vec<String>,
    /// Subscribe the four cross-context reactions.
    pub reactions: bool,
    /// Make the reactions fail their first attempt at every Nth cause (a
    /// transient fault the bus's retry mends; for fault runs).
    pub transient_failures: Option<u32>,
    /// Where the outbox lives.
    pub outbox_dir: PathBuf,
    /// Records the outbox holds at most; beyond that, publishing fails.
    pub outbox_capacity: u64,
    /// Retries of a failing handler before its record goes to the DLQ.
    pub max_retries: u32,
    /// Delay before the first retry (doubled for each further one).
    pub retry_backoff: Duration,
    /// The consumer group (`KAFKA_CONSUMER_GROUP`).
    pub consumer_group: String,
    /// Run the Kafka → local side.
    pub consume: bool,
    /// Records per consumed batch at most.
    pub batch_size: usize,
    /// How long a publish waits for Kafka's ack before answering `Queued`.
    pub publish_wait: Duration,
    /// How long one delivery attempt may take before it counts as failed.
    pub delivery_timeout: Duration,
    /// How long shutdown keeps delivering the outbox before leaving the rest
    /// for the next start.
    pub shutdown_flush: Duration,
    /// Serve Prometheus text at `http://ADDR/metrics`.
    pub metrics_addr: Option<SocketAddr>,
    /// How often the metrics snapshot is refreshed.
    pub metrics_interval: Duration,
    /// Consume → handle → produce in Kafka transactions: a batch's effects,
    /// dead letters and offsets commit together (`bridge --exactly-once`).
    pub exactly_once: bool,
    /// `transaction.timeout.ms` of the exactly-once producer: the broker
    /// aborts a transaction left open longer (a bridge killed mid-way).
    pub transaction_timeout: Duration,
    /// How long a batch's handlers may take in all in exactly-once mode
    /// before the batch is given up and read again (so no slow handler
    /// outlives the consumer's poll interval or the transaction timeout).
    pub handler_bound: Duration,
}

impl BridgeConfig {
    /// Defaults with the settings' consumer group and the outbox in the data dir.
    pub fn new(settings: &Settings) -> Self {
        Self {
            outbox_dir: settings.data_dir.join("outbox"),
            consumer_group: settings.consumer_group.clone(),
            ..Self::default()
        }
    }
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            contexts: Vec::new(),
            reactions: false,
            transient_failures: None,
            outbox_dir: crate::config::default_data_dir().join("outbox"),
            outbox_capacity: 1_000_000,
            max_retries: 3,
            retry_backoff: Duration::from_millis(100),
            consumer_group: "eventdeck-bridge".into(),
            consume: true,
            batch_size: 1000,
            publish_wait: Duration::from_secs(2),
            delivery_timeout: Duration::from_secs(10),
            shutdown_flush: Duration::from_secs(5),
            metrics_addr: None,
            metrics_interval: Duration::from_millis(500),
            exactly_once: false,
            // Kafka's default is 60 s; a killed bridge's open transaction
            // holds back read_committed readers of its partitions that long,
            // so shorter: a commit takes milliseconds.
            transaction_timeout: Duration::from_secs(20),
            handler_bound: Duration::from_secs(10),
        }
    }
}

/// Why the bridge could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The outbox.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// Kafka client setup.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// The metrics endpoint.
    #[error("serving metrics on {addr}: {reason}")]
    Metrics {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// Reading or writing the bridge id.
    #[error("bridge id file {path}: {reason}")]
    Id {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A background task panicked.
    #[error("bridge task failed: {0}")]
    Task(String),
}

struct Core {
    settings: Settings,
    cfg: BridgeConfig,
    bus: Bus,
    outbox: Outbox,
    metrics: Arc<Metrics>,
    registry: Mutex<EventTypeRegistry>,
    bridge_id: String,
    producer: EventProducer,
    /// Local events whose handlers' outcomes are still being processed.
    in_flight: AtomicU64,
}

/// A running bridge.
pub struct BridgeHandle {
    core: Arc<Core>,
    shutdown: watch::Sender<bool>,
    inbound: Option<JoinHandle<()>>,
    relay: JoinHandle<()>,
    ticker: JoinHandle<()>,
    metrics_rx: watch::Receiver<MetricsSnapshot>,
    server: Option<MetricsServer>,
    failure: watch::Receiver<Option<String>>,
}

/// Starts the bridge: opens the outbox (delivering what a previous run left),
/// joins the consumer group, and serves metrics if asked. Kafka need not be
/// reachable; no admin API is used (topics auto-create).
pub async fn start(
    settings: &Settings,
    cfg: BridgeConfig,
    bus: Bus,
) -> Result<BridgeHandle, BridgeError> {
    let contexts: Vec<String> = if cfg.contexts.is_empty() {
        settings.topics.contexts().map(str::to_string).collect()
    } else {
        cfg.contexts.clone()
    };
    let topics: Vec<String> = contexts
        .iter()
        .map(|c| settings.topics.resolve(c))
        .collect();
    let dir = cfg.outbox_dir.clone();
    let capacity = cfg.outbox_capacity;
    let (outbox, bridge_id) = tokio::task::spawn_blocking(move || {
        let outbox = Outbox::open(&dir, capacity)?;
        let id = load_or_create_id(&dir)?;
        Ok::<_, BridgeError>((outbox, id))
    })
    .await
    .map_err(|e| BridgeError::Task(e.to_string()))??;
    let producer = EventProducer::new(settings, cfg.delivery_timeout)?;
    let metrics = Arc::new(Metrics::new(contexts.iter().map(String::as_str)));
    bus.set_retry_policy(RetryPolicy {
        max_retries: cfg.max_retries,
        backoff: cfg.retry_backoff,
    });
    if cfg.reactions {
        let all = match cfg.transient_failures {
            Some(every) => reactions::failing_first_attempts(reactions::all(), every),
            None => reactions::all(),
        };
        for r in all {
            bus.subscribe(r);
        }
    }
    let server = match cfg.metrics_addr {
        Some(addr) => Some(
            metrics::serve(addr, metrics.clone())
                .map_err(|reason| BridgeError::Metrics { addr, reason })?,
        ),
        None => None,
    };
    let consumer = if cfg.consume && !topics.is_empty() {
        Some(GroupConsumer::with_isolation(
            settings,
            &cfg.consumer_group,
            &topics,
            cfg.exactly_once,
        )?)
    } else {
        None
    };
    tracing::info!(%bridge_id, ?topics, outbox_depth = outbox.depth(), "bridge starting");
    let core = Arc::new(Core {
        settings: settings.clone(),
        cfg,
        bus,
        outbox,
        metrics,
        registry: Mutex::new(EventTypeRegistry::with_defaults()),
        bridge_id,
        producer,
        in_flight: AtomicU64::new(0),
    });
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (metrics_tx, metrics_rx) = watch::channel(core.snapshot());
    let (failure_tx, failure) = watch::channel(None);
    let inbound = consumer.map(|c| {
        if core.cfg.exactly_once {
            tokio::spawn(
                core.clone()
                    .run_inbound_exactly_once(c, shutdown_rx.clone(), failure_tx),
            )
        } else {
            tokio::spawn(core.clone().run_inbound(c, shutdown_rx.clone()))
        }
    });
    let relay = tokio::spawn(core.clone().run_relay(shutdown_rx.clone()));
    let ticker = tokio::spawn(core.clone().run_ticker(metrics_tx, shutdown_rx));
    Ok(BridgeHandle {
        core,
        shutdown,
        inbound,
        relay,
        ticker,
        metrics_rx,
        server,
        failure,
    })
}

fn load_or_create_id(dir: &std::path::Path) -> Result<String, BridgeError> {
    let path = dir.join(ID_FILE);
    let id_err = |e: std::io::Error| BridgeError::Id {
        path: path.clone(),
        reason: e.to_string(),
    };
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Ok(_) | Err(_) => {
            let id = uuid::Uuid::new_v4().to_string();
            crate::private::write(&path, id.as_bytes()).map_err(id_err)?;
            Ok(id)
        }
    }
}

impl BridgeHandle {
    /// Publishes through the bridge: local handlers run, the event goes to Kafka
    /// via the outbox.
    pub fn publisher(&self) -> Arc<dyn Publisher> {
        Arc::new(BridgePublisher {
            core: self.core.clone(),
        })
    }

    /// Hands records read from Kafka to this bridge's handlers again (replay):
    /// the same path as consumed records, without a consumer group.
    pub fn redeliverer(&self) -> Redeliverer {
        Redeliverer {
            core: self.core.clone(),
        }
    }

    /// Per-context counters and the outbox, refreshed every `metrics_interval`.
    pub fn metrics(&self) -> watch::Receiver<MetricsSnapshot> {
        self.metrics_rx.clone()
    }

    /// A snapshot taken now.
    pub fn metrics_now(&self) -> MetricsSnapshot {
        self.core.snapshot()
    }

    /// The Prometheus text `/metrics` serves.
    pub fn prometheus_text(&self) -> String {
        self.core.metrics.render_prometheus()
    }

    /// Where `/metrics` is served, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(MetricsServer::addr)
    }

    /// Why the bridge stopped working by itself, once it did (in exactly-once
    /// mode: fenced by another producer with its `transactional.id`); the
    /// caller should shut it down and say so.
    pub fn failure(&self) -> watch::Receiver<Option<String>> {
        self.failure.clone()
    }

    /// The `transactional.id`s of the exactly-once mode (group and bridge
    /// id; its transactions take turns on two producers).
    pub fn transactional_ids(&self) -> [String; 2] {
        exactly_once::transactional_ids(&self.core.cfg.consumer_group, &self.core.bridge_id)
    }

    /// This bridge's id (the value of its [`ORIGIN_HEADER`]).
    pub fn bridge_id(&self) -> &str {
        &self.core.bridge_id
    }

    /// Records waiting in the outbox.
    pub fn outbox_depth(&self) -> u64 {
        self.core.outbox.depth()
    }

    /// The event types seen so far (defaults plus those registered on first sight).
    pub fn event_types(&self) -> EventTypeRegistry {
        self.core
            .registry
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Stops consuming (committing what was handled), lets local handlers finish,
    /// delivers the outbox for up to `shutdown_flush`, and closes the outbox;
    /// what is left stays on disk for the next start.
    pub async fn shutdown(self) -> Result<(), BridgeError> {
        self.shutdown_report().await.map(|_| ())
    }

    /// [`BridgeHandle::shutdown`], returning how many records stay in the outbox.
    pub async fn shutdown_report(self) -> Result<u64, BridgeError> {
        let _ = self.shutdown.send(true);
        let mut failed = None;
        if let Some(inbound) = self.inbound
            && let Err(e) = inbound.await
        {
            failed = Some(e.to_string());
        }
        let deadline = tokio::time::Instant::now() + self.core.cfg.shutdown_flush;
        while self.core.in_flight.load(Ordering::SeqCst) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for task in [self.relay, self.ticker] {
            if let Err(e) = task.await {
                failed = Some(e.to_string());
            }
        }
        drop(self.server);
        let producer = self.core.producer.clone();
        let _ = tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(1))).await;
        tracing::info!(outbox_depth = self.core.outbox.depth(), "bridge stopped");
        let left = self.core.outbox.depth();
        let outbox = self.core.outbox.clone();
        let _ = tokio::task::spawn_blocking(move || outbox.close()).await;
        match failed {
            Some(e) => Err(BridgeError::Task(e)),
            None => Ok(left),
        }
    }
}

struct BridgePublisher {
    core: Arc<Core>,
}

impl Publisher for BridgePublisher {
    fn publish(&self, req: PublishRequest) -> PublishFuture {
        let core = self.core.clone();
        Box::pin(async move {
            if req.value.is_some() {
                // The outbox keeps envelopes; a value already written with
                // a registry schema is sent straight to Kafka instead.
                return Err(PublishError(
                    "a record written with a registry schema goes straight to Kafka, not through the bridge: send it raw".into(),
                ));
            }
            let delivered = core
                .clone()
                .publish_local(req.envelope, req.headers, req.topic, req.key, true)
                .await?;
            match tokio::time::timeout(core.cfg.publish_wait, delivered).await {
                Ok(Ok(Ok(d))) => Ok(Published::Delivered(d)),
                Ok(Ok(Err(set_aside))) => Err(PublishError(set_aside)),
                _ => Ok(Published::Queued {
                    outbox_depth: core.outbox.depth(),
                }),
            }
        })
    }
    fn name(&self) -> &'static str {
        "bridge"
    }
}

/// What happened to one re-delivered record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redelivered {
    /// Its handlers ran: how many succeeded (their effects are in the outbox)
    /// and how many failed after their retries (dead-lettered).
    Handled {
        /// Handlers that succeeded.
        ok: usize,
        /// Handlers that failed.
        failed: usize,
    },
    /// Not handed to handlers, and why (not an event).
    Skipped(&'static str),
}

/// Re-delivers records to a bridge's local handlers as if its consumer had read
/// them: handlers with retries, effects published through the outbox (with this
/// bridge's origin header, so its consumer never hands them back: no loop),
/// failures dead-lettered. No offsets are committed (there is no group).
///
/// Unlike the consumer, it does not skip records this bridge published itself:
/// a replay is an explicit request to run the handlers again, and in the demo
/// every record was published by the one bridge. Cheap to clone.
#[derive(Clone)]
pub struct Redeliverer {
    core: Arc<Core>,
}

impl std::fmt::Debug for Redeliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redeliverer")
            .field("bridge_id", &self.core.bridge_id)
            .finish()
    }
}

impl Redeliverer {
    /// Runs the handlers for one record and waits until their outcomes are
    /// durable (effects and dead letters in the outbox).
    pub async fn deliver(&self, rec: &ConsumedRecord) -> Result<Redelivered, PublishError> {
        let context = self.core.context_of_topic(&rec.topic);
        let Some((context, rx)) = self.core.dispatch_consumed(rec, context, false).await? else {
            return Ok(Redelivered::Skipped("not an event"));
        };
        let report = rx
            .await
            .map_err(|_| PublishError("the bus stopped before the handlers finished".into()))?;
        let failed = report.failures().count();
        let ok = report.outcomes.len() - failed;
        self.core
            .after_handlers(report, &context, || Failed::consumed(rec, context.clone()))
            .await;
        Ok(Redelivered::Handled { ok, failed })
    }
}

/// What the DLQ writer needs of the record a handler failed on.
struct Failed {
    context: String,
    topic: String,
    /// `None` for an event that failed in a local handler as it was published.
    position: Option<dlq::Position>,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Core {
    /// The dead letter of `src` for `outcome`, bound for its topic's DLQ.
    fn dead_letter(&self, src: &Failed, outcome: &crate::bus::HandlerOutcome) -> OutboxRecord {
        let source = dlq::Source {
            context: &src.context,
            topic: &src.topic,
            position: src.position,
            key: src.key.as_deref(),
            value: src.value.as_deref(),
            headers: &src.headers,
        };
        let dlq_topic = self.settings.topics.dlq_topic(&src.topic);
        dlq::record(&source, &dlq_topic, &self.cfg.consumer_group, outcome)
    }
}

impl Failed {
    fn consumed(rec: &ConsumedRecord, context: String) -> Self {
        Self {
            context,
            topic: rec.topic.clone(),
            position: Some(dlq::Position {
                partition: rec.partition,
                offset: rec.offset,
                timestamp_ms: rec.timestamp_ms,
            }),
            key: rec.key.clone(),
            value: rec.value.clone(),
            headers: rec.headers.to_pairs(),
        }
    }
}

impl Core {
    fn context_of_topic(&self, topic: &str) -> String {
        self.settings
            .topics
            .context_for_topic(topic)
            .unwrap_or("unknown")
            .to_string()
    }

    /// Hands a record read from Kafka to the bus, unless it is not an event or
    /// (with `skip_own`, the consumer's loop prevention) this bridge published
    /// it. The receiver gets the handlers' report.
    async fn dispatch_consumed(
        &self,
        rec: &ConsumedRecord,
        context: String,
        skip_own: bool,
    ) -> Result<Option<(String, oneshot::Receiver<DispatchReport>)>, PublishError> {
        if skip_own && rec.header(ORIGIN_HEADER).as_deref() == Some(self.bridge_id.as_str()) {
            return Ok(None);
        }
        // An event from another producer that names no context gets the
        // context of its topic (or its source), so its reactions run.
        let Decoded::Envelope(env) = rec.decode_in(&self.settings.topics).decoded else {
            tracing::debug!(topic = %rec.topic, offset = rec.offset, "not an envelope; no handler for it");
            return Ok(None);
        };
        self.observe(&env);
        let ctx = HandlerCtx {
            origin: Origin::Remote {
                topic: rec.topic.clone(),
                partition: rec.partition,
                offset: rec.offset,
            },
            headers: rec
                .headers
                .iter()
                .filter_map(|(k, v)| {
                    v.map(|v| (k.to_string(), String::from_utf8_lossy(v).into_owned()))
                })
                .collect(),
            attempt: 1,
        };
        let rx = self
            .bus
            .dispatch(env, ctx)
            .await
            .map_err(|e| PublishError(e.to_string()))?;
        Ok(Some((context, rx)))
    }

    fn topic_of(&self, context: &str) -> String {
        self.settings.topics.resolve(context)
    }

    fn observe(&self, env: &Envelope) {
        if let Ok(mut r) = self.registry.lock()
            && r.observe(env)
        {
            tracing::info!(event_type = %env.event_type, context = %env.context, "new event type registered");
        }
    }

    /// Outbox first (durable), then the local handlers; the receiver learns
    /// where Kafka put the record. `refuse_oversized`: a record larger than the
    /// producer takes is refused here, for a caller who can be told (a
    /// publisher). A handler's effect is accepted all the same, so it is not
    /// lost: the relay sets it aside when librdkafka refuses it.
    fn publish_local(
        self: Arc<Self>,
        env: Envelope,
        extra_headers: Vec<(String, String)>,
        topic: String,
        key: Option<String>,
        refuse_oversized: bool,
    ) -> BoxFuture<'static, Result<oneshot::Receiver<outbox::Outcome>, PublishError>> {
        Box::pin(async move {
            self.observe(&env);
            let (value, mut headers) = crate::kafka::produce::envelope_record(&env, &extra_headers);
            headers.push((
                ORIGIN_HEADER.into(),
                Some(self.bridge_id.clone().into_bytes()),
            ));
            let key = key.unwrap_or_else(|| env.aggregate_id.clone()).into_bytes();
            let record = OutboxRecord {
                context: env.context.clone(),
                topic,
                key: Some(key),
                value: Some(value),
                headers,
                enqueued_ms: chrono::Utc::now().timestamp_millis(),
            };
            // Refused now, with both sizes, rather than accepted only to be
            // set aside.
            if refuse_oversized {
                self.producer
                    .check_size(&record.as_raw())
                    .map_err(|e| PublishError(e.to_string()))?;
            }
            // What a failing local handler's dead letter needs; nothing to keep
            // when no local handler wants the event (most published events).
            let failed = self.bus.wants(&env).then(|| Failed {
                context: record.context.clone(),
                topic: record.topic.clone(),
                position: None,
                key: record.key.clone(),
                value: record.value.clone(),
                headers: record.headers.clone(),
            });
            let (tx, rx) = oneshot::channel();
            self.outbox
                .append(record, Some(tx))
                .await
                .map_err(|e| PublishError(e.to_string()))?;
            self.metrics.add(Count::Published, &env.context, 1);
            let Some(failed) = failed else {
                return Ok(rx);
            };
            let report = self
                .bus
                .dispatch(env, HandlerCtx::local(extra_headers))
                .await
                .map_err(|e| PublishError(e.to_string()))?;
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let core = self.clone();
            tokio::spawn(async move {
                if let Ok(report) = report.await {
                    let context = failed.context.clone();
                    core.after_handlers(report, &context, move || failed).await;
                }
                core.in_flight.fetch_sub(1, Ordering::SeqCst);
            });
            Ok(rx)
        })
    }

    /// Counts the outcomes, publishes effects, dead-letters failures. `failed`
    /// makes the dead letter's source, only if a handler failed.
    async fn after_handlers(
        self: &Arc<Self>,
        report: DispatchReport,
        context: &str,
        failed: impl FnOnce() -> Failed,
    ) {
        let mut failed = Some(failed);
        let mut src: Option<Failed> = None;
        for outcome in &report.outcomes {
            let m = &self.metrics;
            m.observe_latency(context, outcome.latency);
            m.add(
                Count::Retries,
                context,
                u64::from(outcome.attempts.saturating_sub(1)),
            );
            match &outcome.result {
                Ok(emits) => {
                    m.add(Count::Handled, context, 1);
                    for Emit { envelope, headers } in emits.iter().cloned() {
                        let topic = self.topic_of(&envelope.context);
                        if let Err(e) = self
                            .clone()
                            .publish_local(envelope, headers, topic, None, false)
                            .await
                        {
                            tracing::error!(handler = %outcome.handler, error = %e, "publishing an effect failed");
                        }
                    }
                }
                Err(err) => {
                    m.add(Count::HandlerErrors, context, 1);
                    if src.is_none() {
                        src = failed.take().map(|f| f());
                    }
                    let Some(src) = src.as_ref() else { continue };
                    tracing::warn!(handler = %outcome.handler, attempts = outcome.attempts, error = %err, "handler failed; dead-lettering");
                    let rec = self.dead_letter(src, outcome);
                    match self.outbox.append(rec, None).await {
                        Ok(_) => m.add(Count::DeadLettered, context, 1),
                        Err(e) => {
                            tracing::error!(error = %e, "writing the DLQ record failed")
                        }
                    }
                }
            }
        }
    }

    fn snapshot(&self) -> MetricsSnapshot {
        let per_ctx = self.outbox.depth_per_context();
        let oldest = self.outbox.oldest_age();
        self.metrics.set_outbox(&per_ctx, oldest);
        self.metrics.snapshot(
            self.outbox.depth(),
            self.outbox.capacity(),
            oldest,
            &per_ctx,
        )
    }

    async fn run_ticker(
        self: Arc<Self>,
        tx: watch::Sender<MetricsSnapshot>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(self.cfg.metrics_interval);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => {}
            }
            let snap = self.snapshot();
            tx.send_if_modified(|old| {
                let changed = *old != snap;
                if changed {
                    *old = snap;
                }
                changed
            });
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// Outbox → Kafka, in order: up to [`RELAY_PIPELINE`] windows in flight, so
    /// Kafka is kept busy while acknowledged records are removed. A failed
    /// delivery drains the pipeline, keeps what succeeded, and rewinds to the
    /// first failed record; the idempotent producer keeps each partition in order.
    ///
    /// A record Kafka refuses for good (too large, invalid) must not hold up
    /// everything behind it. The broker judges whole batches, so a small record
    /// batched with a too-large one is refused with it: a refused record is
    /// first sent again on its own (nothing else in flight), and set aside
    /// ([`Outbox::set_aside`]) only when it is refused alone too.
    async fn run_relay(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut cursor = 0u64;
        let mut backoff = Duration::from_millis(200);
        let mut flush_deadline: Option<tokio::time::Instant> = None;
        let mut last_durable = std::time::Instant::now();
        // Windows in flight; `true` for a suspect sent on its own.
        let mut in_flight: VecDeque<(bool, JoinHandle<Vec<Sent>>)> = VecDeque::new();
        let mut removals: Vec<JoinHandle<()>> = Vec::new();
        // Records refused for good alongside others, to be sent again alone.
        let mut suspects: BTreeSet<u64> = BTreeSet::new();
        loop {
            if *shutdown.borrow() && flush_deadline.is_none() {
                flush_deadline = Some(tokio::time::Instant::now() + self.cfg.shutdown_flush);
            }
            if flush_deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                break;
            }
            let solo_in_flight = in_flight.iter().any(|(solo, _)| *solo);
            // Room for another window, and nothing new to put in it: then a
            // new record must not wait for the reports of those in flight.
            let mut idle = false;
            if in_flight.len() < RELAY_PIPELINE && !solo_in_flight {
                // Fresh records from memory; older ones (a rewind, a restart, a
                // backlog past the memory budget) from the log on disk.
                let mut window = self.outbox.take_hot(cursor, RELAY_WINDOW);
                if window.is_empty() {
                    let ob = self.outbox.clone();
                    window = match tokio::task::spawn_blocking(move || {
                        ob.read_from(cursor, RELAY_WINDOW)
                    })
                    .await
                    {
                        Ok(Ok(w)) => w,
                        Ok(Err(e)) => {
                            tracing::error!(error = %e, "reading the outbox");
                            Vec::new()
                        }
                        Err(_) => break,
                    };
                }
                // A suspect goes alone; a window otherwise ends before one.
                // What is cut off is read from the log next time round.
                let solo = window
                    .first()
                    .is_some_and(|(seq, _)| suspects.contains(seq));
                if solo {
                    window.truncate(1);
                } else if let Some(at) = window.iter().position(|(seq, _)| suspects.contains(seq)) {
                    window.truncate(at);
                }
                // Alone means alone: wait for what is in flight first.
                let wait_first = solo && !in_flight.is_empty();
                if let Some((last, _)) = window.last().filter(|_| !wait_first) {
                    cursor = last + 1;
                    // Queued here, window after window, so no window's records
                    // reach librdkafka before an earlier one's (the idempotent
                    // producer keeps each partition in the order it was given);
                    // only the wait for the reports runs beside the relay.
                    let records: Vec<RawRecord<'_>> =
                        window.iter().map(|(_, r)| r.as_raw()).collect();
                    // Queuing waits only while librdkafka's queue is full (Kafka
                    // away for long); a shutdown still ends within its budget.
                    let flush_over = async {
                        match flush_deadline {
                            Some(d) => tokio::time::sleep_until(d).await,
                            None => {
                                let _ = shutdown.changed().await;
                                tokio::time::sleep(self.cfg.shutdown_flush).await;
                            }
                        }
                    };
                    let queued = tokio::select! {
                        q = self.producer.enqueue_all(records) => q,
                        // What was not queued stays in the outbox for the next start.
                        () = flush_over => break,
                    };
                    in_flight
                        .push_back((solo, tokio::spawn(self.clone().reports_of(window, queued))));
                    continue;
                }
                idle = !wait_first;
            }
            let Some((_, oldest)) = in_flight.front_mut() else {
                if flush_deadline.is_some() {
                    break;
                }
                tokio::select! {
                    _ = self.outbox.wait_appended(Duration::from_millis(200)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            };
            let sent = match flush_deadline {
                // Whichever comes first: the oldest window's reports, or a
                // record to send. (Waiting for the reports first held each
                // record of a 1k events/s bridge back by a round trip to the
                // replicas, and its p99 by the slowest of them.)
                None if idle => tokio::select! {
                    r = oldest => r,
                    _ = self.outbox.wait_appended(Duration::from_millis(200)) => continue,
                    _ = shutdown.changed() => continue,
                },
                None => oldest.await,
                Some(d) => match tokio::time::timeout_at(d, oldest).await {
                    Ok(r) => r,
                    // Left in the outbox for the next start.
                    Err(_) => break,
                },
            };
            let Some((solo, _)) = in_flight.pop_front() else {
                break;
            };
            let Ok(sent) = sent else { break };
            let durable = last_durable.elapsed() >= DURABLE_ACK_INTERVAL;
            if durable {
                last_durable = std::time::Instant::now();
            }
            let tally = self.tally(sent, solo, &mut suspects);
            let mut first_failed = tally.first_failed;
            removals.retain(|h| !h.is_finished());
            removals.push(self.remove(tally.delivered, durable));
            let first_refused = tally.refused.first().map(|(seq, _, _)| *seq);
            if first_refused.is_some() && !self.set_aside(tally.refused).await {
                // Could not be written down: still in the outbox, tried again.
                first_failed = first_failed.min(first_refused).or(first_refused);
            }
            let Some(_) = first_failed else {
                backoff = Duration::from_millis(200);
                continue;
            };
            // Drain the pipeline; keep its successes; rewind to the first failure.
            for (solo, h) in in_flight.drain(..) {
                let Ok(sent) = h.await else { break };
                let tally = self.tally(sent, solo, &mut suspects);
                let failed = tally.first_failed;
                first_failed = first_failed.min(failed).or(first_failed).or(failed);
                removals.push(self.remove(tally.delivered, false));
            }
            for h in removals.drain(..) {
                let _ = h.await;
            }
            if let Some(seq) = first_failed {
                cursor = seq;
            }
            // Only a record refused for good: send it alone at once.
            if suspects.first() == first_failed.as_ref() && tally.only_refusals {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => {}
            }
            backoff = (backoff * 2).min(RELAY_MAX_BACKOFF);
        }
        for h in removals {
            let _ = h.await;
        }
    }

    /// Waits for a queued window's delivery reports.
    async fn reports_of(
        self: Arc<Self>,
        window: Vec<(u64, OutboxRecord)>,
        queued: Queued,
    ) -> Vec<Sent> {
        let results = self.producer.reports(queued).await;
        window
            .into_iter()
            .zip(results)
            .map(|((seq, r), res)| (seq, r, res))
            .collect()
    }

    /// Sorts a window's outcomes: the delivered records, the first that must be
    /// sent again, and those refused for good on their own (`solo`). A record
    /// refused for good in company becomes a suspect, sent again alone.
    fn tally(&self, sent: Vec<Sent>, solo: bool, suspects: &mut BTreeSet<u64>) -> Tally {
        let mut t = Tally {
            delivered: Vec::with_capacity(sent.len()),
            first_failed: None,
            refused: Vec::new(),
            only_refusals: true,
        };
        for (seq, record, res) in sent {
            let e = match res {
                Ok(d) => {
                    self.metrics.add(Count::Delivered, &record.context, 1);
                    suspects.remove(&seq);
                    t.delivered.push((seq, record.context, d));
                    continue;
                }
                Err(e) => e,
            };
            self.metrics
                .add(Count::DeliveryFailures, &record.context, 1);
            match e {
                KafkaError::Rejected { reason, .. } if solo => {
                    suspects.remove(&seq);
                    t.refused.push((seq, record, reason));
                }
                e => {
                    if matches!(e, KafkaError::Rejected { .. }) {
                        suspects.insert(seq);
                    } else {
                        t.only_refusals = false;
                    }
                    if t.first_failed.is_none() {
                        tracing::warn!(error = %e, outbox_depth = self.outbox.depth(), "delivery failed; will retry from the outbox");
                        t.first_failed = Some(seq);
                    }
                }
            }
        }
        t
    }

    /// Moves records Kafka refused for good, on their own, out of the outbox
    /// into its set-aside file. False when one could not be written there (it
    /// then stays in the outbox).
    async fn set_aside(&self, refused: Vec<(u64, OutboxRecord, String)>) -> bool {
        let ob = self.outbox.clone();
        let metrics = self.metrics.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut all = true;
            for (seq, record, reason) in refused {
                match ob.set_aside(seq, &record, &reason) {
                    Ok(path) => {
                        metrics.add(Count::SetAside, &record.context, 1);
                        tracing::error!(
                            topic = %record.topic, context = %record.context, %reason, path = %path.display(),
                            "Kafka refused an event for good; it was moved out of the outbox to the set-aside file"
                        );
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "setting a refused record aside");
                        all = false;
                    }
                }
            }
            all
        })
        .await;
        done.unwrap_or(false)
    }

    /// Removes delivered records from the outbox in the background.
    fn remove(&self, delivered: Vec<(u64, String, Delivery)>, durable: bool) -> JoinHandle<()> {
        let ob = self.outbox.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = ob.acknowledge(&delivered, durable) {
                tracing::error!(error = %e, "removing delivered records from the outbox");
            }
        })
    }

    /// Kafka → local: batches, handlers, effects and DLQ records durable, commit.
    async fn run_inbound(
        self: Arc<Self>,
        consumer: GroupConsumer,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut errors_logged = 0u32;
        loop {
            let batch = tokio::select! {
                _ = shutdown.changed() => break,
                b = consumer.next_batch(self.cfg.batch_size) => b,
            };
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    // Transport errors repeat every few seconds while a broker is down.
                    if errors_logged < 20 {
                        tracing::warn!(error = %e, "consumer error (the client retries)");
                        errors_logged += 1;
                    }
                    continue;
                }
            };
            let mut pending = Vec::with_capacity(batch.len());
            for (i, rec) in batch.iter().enumerate() {
                let context = self.context_of_topic(&rec.topic);
                self.metrics.add(Count::Consumed, &context, 1);
                match self.dispatch_consumed(rec, context, true).await {
                    Ok(Some((context, rx))) => pending.push((i, context, rx)),
                    Ok(None) => {}
                    Err(_) => return,
                }
            }
            for (i, context, rx) in pending {
                let Ok(report) = rx.await else { continue };
                self.after_handlers(report, &context, || {
                    Failed::consumed(&batch[i], context.clone())
                })
                .await;
            }
            // Handled: librdkafka commits it within its commit interval.
            if let Err(e) = consumer.store(&batch) {
                tracing::debug!(error = %e, "storing offsets (partitions revoked?)");
            }
        }
        // What was handled since the last periodic commit, committed before
        // leaving. Blocking (and slow while the coordinator is away), so off
        // the runtime, and not waited for past the flush budget.
        let close = tokio::task::spawn_blocking(move || {
            if let Err(e) = consumer.commit_stored() {
                tracing::debug!(error = %e, "final commit");
            }
            consumer.close();
        });
        let _ = tokio::time::timeout(self.cfg.shutdown_flush, close).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{Filter, handler_fn};
    use crate::kafka::embedded::EmbeddedBroker;
    use serde_json::json;

    fn settings(brokers: &str, dir: &std::path::Path) -> Settings {
        Settings::for_tests(Some(brokers), &dir.join("data"))
    }

    /// The demo's embedded broker: librdkafka's mock cluster, which has no admin
    /// APIs. The bridge needs none: topics auto-create, groups and idempotent
    /// producing work.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_the_mock_cluster_without_admin_apis() {
        let mock = EmbeddedBroker::start(3, &[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(mock.bootstrap_servers(), dir.path());
        mock.connect(&mut s);

        let bus_b = Bus::new(64);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        bus_b.subscribe(handler_fn(
            "b",
            Filter::any().context("debate"),
            move |env, _| {
                let s2 = s2.clone();
                async move {
                    s2.lock().unwrap().push(env.event_id);
                    Ok(vec![])
                }
            },
        ));
        let mut cfg_b = BridgeConfig::new(&s);
        cfg_b.outbox_dir = dir.path().join("b");
        cfg_b.contexts = vec!["debate".into()];
        let b = start(&s, cfg_b, bus_b).await.unwrap();

        let mut cfg_a = BridgeConfig::new(&s);
        cfg_a.outbox_dir = dir.path().join("a");
        cfg_a.consume = false;
        cfg_a.reactions = true;
        cfg_a.consumer_group = "other".into();
        let a = start(&s, cfg_a, Bus::new(64)).await.unwrap();
        let env = Envelope::new("debate", "DecisionMade", "d-1", json!({"decision": "go"}));
        let id = env.event_id;
        a.publisher()
            .publish(PublishRequest {
                topic: s.topics.resolve("debate"),
                envelope: env,
                key: None,
                headers: vec![],
                value: None,
            })
            .await
            .unwrap();
        let start = std::time::Instant::now();
        while !seen.lock().unwrap().contains(&id) {
            assert!(start.elapsed() < Duration::from_secs(30), "not handled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let snap = a.metrics_now();
        assert_eq!(snap.contexts["debate"].published, 1);
        assert_eq!(
            snap.contexts["implementation"].published, 1,
            "the reaction's task"
        );
        a.shutdown().await.unwrap();
        b.shutdown().await.unwrap();
    }
}
