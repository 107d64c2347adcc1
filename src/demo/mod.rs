//! `eventdeck demo`: an embedded broker, every context topic and its DLQ, a
//! publisher, a scenario producing the cross-context flows at an adjustable rate,
//! and one deliberately slow consumer group, so every pane is alive on a machine
//! with nothing installed.

pub mod scenario;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::bridge::metrics::MetricsSnapshot;
use crate::bridge::{BridgeConfig, BridgeHandle};
use crate::bus::{Bus, Emit, Filter, HandlerCtx, HandlerError, handler_fn};
use crate::config::Settings;
use crate::domain::Envelope;
use crate::kafka::consume::{TailEvent, tail};
use crate::kafka::embedded::EmbeddedBroker;
use crate::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use crate::kafka::{EventProducer, StartAt, TailOptions};
use crate::publish::{DirectPublisher, Publisher};
use scenario::ScenarioStats;

/// Partitions of each context topic in the demo.
pub const CONTEXT_PARTITIONS: i32 = 3;
/// What librdkafka's mock cluster keeps of one partition at most (5 MiB;
/// older records are dropped).
pub const EMBEDDED_PARTITION_MB: u64 = 5;
/// The console's records get at least this much in the demo.
const MIN_CONSOLE_MB: u64 = 64;
/// What the demo process holds besides the records and the broker's log, at
/// most: measured with `benches/demo_memory.sh` (RSS at 100 events/s, less
/// the two budgets).
const DEMO_PROCESS_MB: u64 = 64;
/// The demo's slow consumer group: it reads every context topic at [`SLOW_PACE`].
pub const SLOW_GROUP: &str = "demo-slow-analytics";
/// One record per this much time: slower than the scenario, so lag grows.
pub const SLOW_PACE: Duration = Duration::from_millis(400);
/// Events per second at start.
pub const DEFAULT_RATE: u32 = 8;
/// The demo bridge's consumer group.
pub const BRIDGE_GROUP: &str = "demo-bridge";
/// The demo's flaky handler: it fails for one task in [`FLAKY_ONE_IN`], every
/// attempt, so those tasks end in the DLQ after the retries.
pub const FLAKY_HANDLER: &str = "audit-log";
/// One in this many tasks fails in the flaky handler.
pub const FLAKY_ONE_IN: u128 = 6;

/// A running demo.
pub struct Demo {
    /// Settings pointing at the embedded broker.
    pub settings: Settings,
    /// Where the scenario and the inject form publish.
    pub publisher: Arc<dyn Publisher>,
    /// A publisher straight to Kafka (the form's "raw to a topic").
    pub raw_publisher: Arc<dyn Publisher>,
    /// The scenario's events per second; 0 pauses it (taken by the console).
    pub rate: Option<watch::Sender<u32>>,
    /// The bridge: local handlers, reactions, outbox, DLQ, metrics.
    pub bridge: Option<BridgeHandle>,
    // The demo's outbox lives and dies with the demo.
    _outbox_dir: tempfile::TempDir,
    /// What the scenario published.
    pub stats: Arc<ScenarioStats>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    // Dropped last: the broker must outlive every client above.
    _broker: EmbeddedBroker,
}

impl Demo {
    /// Starts the embedded broker, the publisher, the scenario and the slow group.
    pub async fn start(base: &Settings, rate: u32) -> Result<Self> {
        let mut topics: Vec<(String, i32)> = Vec::new();
        for t in base.topics.topics() {
            topics.push((t.to_string(), CONTEXT_PARTITIONS));
            topics.push((base.topics.dlq_topic(t), 1));
        }
        let broker = EmbeddedBroker::start(1, &topics).wrap_err("starting the embedded broker")?;
        let mut settings = base.clone();
        // The embedded broker lives in this process and keeps up to
        // EMBEDDED_PARTITION_MB per partition (librdkafka's mock cluster, not
        // configurable): that much of the memory budget is the broker's, the
        // rest the console's records'.
        // The rest of the process (the bridge, the Flows graph, the clients'
        // queues, the allocator's slack) takes DEMO_PROCESS_MB besides.
        let partitions: u64 = topics.iter().map(|(_, p)| *p as u64).sum();
        let broker_mb = partitions * EMBEDDED_PARTITION_MB;
        settings.ui.memory_mb = settings
            .ui
            .memory_mb
            .saturating_sub(broker_mb + DEMO_PROCESS_MB)
            .max(MIN_CONSOLE_MB);
        broker.connect(&mut settings);
        settings.brokers_configured = true;
        // The user's security settings and -X belong to their cluster, not this one.
        settings.security = Default::default();
        settings.properties.clear();
        // The mock broker answers an empty fetch at once instead of long-polling,
        // and librdkafka then backs off fetch.error.backoff.ms (500 ms) before the
        // next: the streams would trail by seconds.
        settings.properties.insert(
            "fetch.error.backoff.ms".into(),
            crate::config::PropertyValue::Plain("20".into()),
        );

        let producer = EventProducer::new(&settings, DEFAULT_DELIVERY_TIMEOUT)?;
        let raw_publisher: Arc<dyn Publisher> = Arc::new(DirectPublisher::new(producer));

        let outbox_dir = tempfile::tempdir().wrap_err("creating the demo outbox dir")?;
        let bus = Bus::new(1024);
        bus.subscribe(flaky_handler());
        let cfg = BridgeConfig {
            reactions: true,
            outbox_dir: outbox_dir.path().to_path_buf(),
            consumer_group: BRIDGE_GROUP.into(),
            max_retries: 2,
            retry_backoff: Duration::from_millis(50),
            ..BridgeConfig::new(&settings)
        };
        let bridge = crate::bridge::start(&settings, cfg, bus)
            .await
            .wrap_err("starting the demo bridge")?;
        let publisher = bridge.publisher();

        let (rate_tx, rate_rx) = watch::channel(rate);
        let (stop_tx, stop_rx) = watch::channel(false);
        let stats = Arc::new(ScenarioStats::default());
        let mut tasks = JoinSet::new();
        tasks.spawn(scenario::run(
            publisher.clone(),
            settings.topics.clone(),
            rate_rx,
            stop_rx.clone(),
            stats.clone(),
        ));
        {
            let settings = settings.clone();
            let context_topics: Vec<String> =
                settings.topics.topics().map(str::to_string).collect();
            let stop = stop_rx.clone();
            tasks.spawn(async move {
                let res = crate::kafka::paced::run_paced_consumer(
                    &settings,
                    SLOW_GROUP,
                    &context_topics,
                    SLOW_PACE,
                    stop,
                )
                .await;
                if let Err(e) = res {
                    tracing::error!(error = %e, "slow demo consumer stopped");
                }
            });
        }
        Ok(Self {
            settings,
            publisher,
            raw_publisher,
            rate: Some(rate_tx),
            bridge: Some(bridge),
            _outbox_dir: outbox_dir,
            stats,
            stop: stop_tx,
            tasks,
            _broker: broker,
        })
    }

    /// The bridge's metrics as one line for the console header.
    pub fn status_line(&self) -> Option<watch::Receiver<String>> {
        let mut metrics = self.bridge.as_ref()?.metrics();
        let (tx, rx) = watch::channel(status_text(&metrics.borrow()));
        tokio::spawn(async move {
            while metrics.changed().await.is_ok() {
                if tx.send(status_text(&metrics.borrow())).is_err() {
                    return;
                }
            }
        });
        Some(rx)
    }

    /// Stops the scenario and the slow consumer, then the bridge and the broker.
    pub async fn stop(self) {
        self.stop_by(tokio::time::Instant::now() + CONSOLE_STOP)
            .await;
    }

    /// [`Self::stop`], giving up on what is not done by `deadline` (the demo's
    /// outbox is a temporary directory: nothing is lost that anyone keeps).
    pub async fn stop_by(mut self, deadline: tokio::time::Instant) {
        let _ = self.stop.send(true);
        if let Some(bridge) = self.bridge.take() {
            match tokio::time::timeout_at(deadline, bridge.shutdown()).await {
                Ok(Err(e)) => tracing::warn!(error = %e, "demo bridge shutdown"),
                Err(_) => tracing::warn!("demo bridge shutdown cut short"),
                Ok(Ok(())) => {}
            }
        }
        let _ = tokio::time::timeout_at(deadline, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
    }

    /// Stops the scenario, waits (until `deadline`) for the bridge to deliver
    /// what it holds, and returns its counts, which then add up: every event
    /// and dead letter is delivered, still in the outbox, or set aside.
    async fn settle(&self, deadline: tokio::time::Instant) -> BridgeCounts {
        let _ = self.stop.send(true);
        let Some(bridge) = &self.bridge else {
            return BridgeCounts::default();
        };
        loop {
            let counts = BridgeCounts::from(&bridge.metrics_now());
            if counts.settled() || tokio::time::Instant::now() >= deadline {
                return counts;
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }
}

/// How long the console's demo may take to stop.
const CONSOLE_STOP: Duration = Duration::from_secs(5);
/// What a headless demo may spend stopping, after the time it was asked to
/// run: the reader, the bridge's last deliveries and its shutdown share it
/// (the lag poll has [`HEADLESS_LAG_BUDGET`] of its own), so the command ends
/// within a second of that time when the broker answers the poll promptly.
pub const HEADLESS_STOP_BUDGET: Duration = Duration::from_millis(500);
/// What the slow group's lag poll may take on its own, after the reader
/// stopped: on a loaded machine the embedded broker answers it in more than
/// the stop budget, and the summary said `unknown` with no reason.
const HEADLESS_LAG_BUDGET: Duration = Duration::from_secs(3);
/// How often [`Demo::settle`] looks at the bridge's counts.
const SETTLE_POLL: Duration = Duration::from_millis(10);

/// What `eventdeck demo --headless` prints at the end.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// How long it ran.
    pub seconds: f64,
    /// Events the scenario published, by event type.
    pub published: BTreeMap<String, u64>,
    /// Publish failures.
    pub publish_errors: u64,
    /// Records read back from each topic.
    pub records_by_topic: BTreeMap<String, u64>,
    /// Total lag of the slow group.
    pub slow_group_lag: Option<i64>,
    /// Why the slow group's lag is unknown, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow_group_lag_error: Option<String>,
    /// What the bridge counted.
    pub bridge: BridgeCounts,
}

/// The bridge's totals at the end of a headless demo. Every event published
/// and every dead letter written is a record for Kafka:
/// `published + dead_lettered = delivered + outbox_depth + set_aside`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BridgeCounts {
    /// Events published through the bridge (the scenario's and the reactions').
    pub published: u64,
    /// Records Kafka acknowledged: events and dead letters.
    pub delivered: u64,
    /// Handled by local handlers (reactions included).
    pub handled: u64,
    /// Handler errors (each attempt).
    pub handler_errors: u64,
    /// Records sent to a DLQ.
    pub dead_lettered: u64,
    /// Left in the outbox.
    pub outbox_depth: u64,
    /// Refused by Kafka for good and set aside.
    pub set_aside: u64,
}

impl BridgeCounts {
    /// Records the bridge had for Kafka: its events and its dead letters.
    pub fn records_for_kafka(&self) -> u64 {
        self.published + self.dead_lettered
    }

    /// True when every record for Kafka is accounted for: nothing in flight.
    pub fn settled(&self) -> bool {
        self.outbox_depth == 0 && self.records_for_kafka() == self.delivered + self.set_aside
    }
}

impl From<&MetricsSnapshot> for BridgeCounts {
    fn from(m: &MetricsSnapshot) -> Self {
        let t = m.total();
        Self {
            published: t.published,
            delivered: t.delivered,
            handled: t.handled,
            handler_errors: t.handler_errors,
            dead_lettered: t.dead_lettered,
            outbox_depth: m.outbox_depth,
            set_aside: t.set_aside,
        }
    }
}

/// The header's bridge fields, most important first, separated by ` · `:
/// events Kafka refused for good once there are any (the log says where they
/// are), the DLQ and the outbox, then throughput. A narrow header drops whole
/// fields from the end.
pub fn status_text(m: &MetricsSnapshot) -> String {
    let t = m.total();
    let counts = format!(
        "DLQ {} · outbox {} · {} published · {} handled",
        t.dead_lettered, m.outbox_depth, t.published, t.handled
    );
    if t.set_aside == 0 {
        return format!("bridge: {counts}");
    }
    format!(
        "bridge: {} refused by Kafka, set aside · {counts}",
        t.set_aside
    )
}

/// The demo's flaky handler: audits new tasks, and for one task in
/// [`FLAKY_ONE_IN`] the audit store "times out" on every attempt.
pub(crate) fn flaky_handler() -> Arc<dyn crate::bus::Handler> {
    handler_fn(
        FLAKY_HANDLER,
        Filter::any().event_type("TaskCreated"),
        |env: Envelope, _ctx: HandlerCtx| async move {
            if env.event_id.as_u128().is_multiple_of(FLAKY_ONE_IN) {
                return Err(HandlerError::new(
                    "timeout",
                    "audit store did not answer within 200 ms",
                ));
            }
            Ok(Vec::<Emit>::new())
        },
    )
}

impl BridgeCounts {
    /// Two lines: where the records for Kafka came from and where they are,
    /// then the handlers' work.
    pub fn render(&self) -> String {
        let mut whereabouts = vec![format!("{} delivered", self.delivered)];
        if self.set_aside > 0 {
            whereabouts.push(format!("{} set aside", self.set_aside));
        }
        whereabouts.push(format!("{} still in the outbox", self.outbox_depth));
        format!(
            "bridge: {} events published + {} dead letters = {} records for Kafka: {}\n\
             handlers: {} runs succeeded, {} failed after retries\n",
            self.published,
            self.dead_lettered,
            self.records_for_kafka(),
            whereabouts.join(", "),
            self.handled,
            self.handler_errors,
        )
    }
}

impl Summary {
    /// Human-readable lines.
    pub fn render(&self) -> String {
        let mut out = format!("eventdeck demo ran {:.1}s\n", self.seconds);
        out.push_str("published by the scenario:\n");
        for (t, n) in &self.published {
            out.push_str(&format!("  {t:<24} {n}\n"));
        }
        out.push_str(&format!(
            "  publish errors           {}\n",
            self.publish_errors
        ));
        out.push_str("records seen per topic:\n");
        for (t, n) in &self.records_by_topic {
            out.push_str(&format!("  {t:<24} {n}\n"));
        }
        out.push_str(&self.bridge.render());
        out.push_str(&format!(
            "slow group {SLOW_GROUP} lag: {}\n",
            match (self.slow_group_lag, &self.slow_group_lag_error) {
                (Some(lag), _) => lag.to_string(),
                (None, Some(why)) => format!("unknown ({why})"),
                (None, None) => "unknown".to_string(),
            }
        ));
        out
    }
}

/// Runs the demo without a terminal for `duration` and returns its summary.
pub async fn run_headless(base: &Settings, rate: u32, duration: Duration) -> Result<Summary> {
    let started = tokio::time::Instant::now();
    // The time asked for counts from now: starting the broker and the bridge
    // is part of it (it took up to 4 s on a busy machine).
    let end = started + duration;
    let demo = Demo::start(base, rate).await?;
    let mut all_topics: Vec<String> = Vec::new();
    for t in demo.settings.topics.topics() {
        all_topics.push(t.to_string());
        all_topics.push(demo.settings.topics.dlq_topic(t));
    }
    let (tx, mut rx) = mpsc::channel(1024);
    let reader = {
        let settings = demo.settings.clone();
        let opts = TailOptions {
            topics: all_topics,
            start: StartAt::Beginning,
            count: None,
            exit_at_end: false,
        };
        tokio::spawn(async move { tail(&settings, opts, tx).await })
    };
    let records_by_topic = count_until(&mut rx, end).await;
    let stop_by = tokio::time::Instant::now() + HEADLESS_STOP_BUDGET;
    drop(rx);
    let _ = tokio::time::timeout_at(stop_by, reader).await;
    let lag_by = tokio::time::Instant::now() + HEADLESS_LAG_BUDGET;
    let (slow_group_lag, slow_group_lag_error) = {
        let settings = demo.settings.clone();
        let group = vec![SLOW_GROUP.to_string()];
        let polled = tokio::time::timeout_at(
            lag_by,
            tokio::task::spawn_blocking(move || {
                crate::kafka::groups::poll_groups(&settings, &group, &group)
            }),
        )
        .await;
        match polled {
            Err(_) => (
                None,
                Some(format!(
                    "the lag poll took longer than {}",
                    humantime::format_duration(HEADLESS_LAG_BUDGET)
                )),
            ),
            Ok(Err(e)) => (None, Some(format!("the lag poll stopped: {e}"))),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "demo lag poll failed");
                (None, Some(format!("the lag poll failed: {e}")))
            }
            Ok(Ok(Ok(poll))) => {
                let mut report = crate::lag::LagTracker::default().apply(&poll);
                match report.groups.pop().and_then(|g| g.total_lag) {
                    Some(lag) => (Some(lag), None),
                    None => (None, Some("the group has no committed offsets yet".into())),
                }
            }
        }
    };
    let stop_by = stop_by.max(tokio::time::Instant::now() + HEADLESS_STOP_BUDGET / 2);
    let bridge = demo.settle(stop_by).await;
    let published = demo.stats.published_by_type();
    let publish_errors = demo.stats.errors();
    demo.stop_by(stop_by).await;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "headless demo done"
    );
    Ok(Summary {
        seconds: started.elapsed().as_secs_f64(),
        published,
        publish_errors,
        records_by_topic,
        slow_group_lag,
        slow_group_lag_error,
        bridge,
    })
}

/// Counts the records read back per topic until `end`, or until the reader
/// stops. Records still arriving do not keep it past `end`.
async fn count_until(
    rx: &mut mpsc::Receiver<TailEvent>,
    end: tokio::time::Instant,
) -> BTreeMap<String, u64> {
    let mut records_by_topic: BTreeMap<String, u64> = BTreeMap::new();
    let deadline = tokio::time::sleep_until(end);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            // First: a reader that always has records must not win every time.
            biased;
            _ = &mut deadline => break,
            ev = rx.recv() => match ev {
                Some(TailEvent::Records(rs)) => {
                    for r in rs {
                        *records_by_topic.entry(r.topic).or_default() += 1;
                    }
                }
                Some(TailEvent::Warning(w)) => tracing::warn!(warning = %w, "demo tail"),
                // The demo reads at read_committed: no notes come.
                Some(TailEvent::Txn(_)) => {}
                None => break,
            },
        }
    }
    records_by_topic
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::metrics::ContextMetrics;

    fn record(topic: &str) -> crate::kafka::ConsumedRecord {
        crate::kafka::ConsumedRecord {
            topic: topic.into(),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: None,
            value: None,
            headers: Default::default(),
        }
    }

    #[test]
    fn an_unknown_slow_group_lag_says_why_in_text_and_json() {
        let mut summary = Summary {
            seconds: 2.0,
            published: BTreeMap::new(),
            publish_errors: 0,
            records_by_topic: BTreeMap::new(),
            slow_group_lag: None,
            slow_group_lag_error: Some("the group has no committed offsets yet".into()),
            bridge: BridgeCounts::default(),
        };
        assert!(
            summary.render().contains(
                "slow group demo-slow-analytics lag: unknown (the group has no committed offsets yet)"
            ),
            "{}",
            summary.render()
        );
        let json = serde_json::to_value(&summary).expect("json");
        assert_eq!(
            json["slow_group_lag_error"],
            "the group has no committed offsets yet"
        );
        summary.slow_group_lag = Some(7);
        summary.slow_group_lag_error = None;
        assert!(summary.render().contains("lag: 7\n"));
        let json = serde_json::to_value(&summary).expect("json");
        assert!(json.get("slow_group_lag_error").is_none(), "{json}");
    }

    #[tokio::test]
    async fn counting_ends_at_the_deadline_while_records_keep_coming() {
        let (tx, mut rx) = mpsc::channel(4);
        let feeder = tokio::spawn(async move {
            while tx
                .send(TailEvent::Records(vec![record("debate.events")]))
                .await
                .is_ok()
            {
                tokio::task::yield_now().await;
            }
        });
        let end = tokio::time::Instant::now() + Duration::from_millis(200);
        // A cap for a hung loop, not a time budget.
        let counts = tokio::time::timeout(Duration::from_secs(60), count_until(&mut rx, end))
            .await
            .expect("counting ended although records kept coming");
        assert!(tokio::time::Instant::now() >= end);
        assert!(counts["debate.events"] > 0, "{counts:?}");
        drop(rx);
        feeder.await.expect("feeder");
    }

    #[tokio::test]
    async fn a_deadline_already_passed_ends_counting_before_any_record() {
        // The start took longer than the run asked for: stop, even though
        // records are waiting.
        let (tx, mut rx) = mpsc::channel(4);
        for _ in 0..4 {
            tx.send(TailEvent::Records(vec![record("t")]))
                .await
                .expect("send");
        }
        let past = tokio::time::Instant::now() - Duration::from_millis(1);
        let counts = count_until(&mut rx, past).await;
        assert!(counts.is_empty(), "{counts:?}");
    }

    #[test]
    fn the_summary_says_how_published_and_delivered_add_up() {
        let counts = BridgeCounts {
            published: 72,
            delivered: 76,
            handled: 40,
            handler_errors: 4,
            dead_lettered: 4,
            outbox_depth: 0,
            set_aside: 0,
        };
        assert!(counts.settled());
        assert_eq!(
            counts.render(),
            "bridge: 72 events published + 4 dead letters = 76 records for Kafka: \
             76 delivered, 0 still in the outbox\n\
             handlers: 40 runs succeeded, 4 failed after retries\n"
        );
        let in_flight = BridgeCounts {
            delivered: 70,
            outbox_depth: 4,
            set_aside: 2,
            ..counts
        };
        assert!(!in_flight.settled());
        assert!(
            in_flight.render().contains(
                "= 76 records for Kafka: 70 delivered, 2 set aside, 4 still in the outbox"
            ),
            "{}",
            in_flight.render()
        );
    }

    #[test]
    fn the_header_counts_events_kafka_refused_only_once_there_are_some() {
        let mut m = MetricsSnapshot {
            outbox_depth: 3,
            ..MetricsSnapshot::default()
        };
        let debate = ContextMetrics {
            published: 10,
            handled: 7,
            dead_lettered: 1,
            ..ContextMetrics::default()
        };
        m.contexts.insert("debate".into(), debate.clone());
        assert_eq!(
            status_text(&m),
            "bridge: DLQ 1 · outbox 3 · 10 published · 7 handled"
        );
        m.contexts.insert(
            "testing".into(),
            ContextMetrics {
                set_aside: 2,
                ..ContextMetrics::default()
            },
        );
        assert_eq!(
            status_text(&m),
            "bridge: 2 refused by Kafka, set aside · DLQ 1 · outbox 3 · 10 published · 7 handled"
        );
    }
}
