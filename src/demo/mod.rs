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
        settings.brokers = broker.bootstrap_servers().to_string();
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
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(bridge) = self.bridge.take()
            && let Err(e) = bridge.shutdown().await
        {
            tracing::warn!(error = %e, "demo bridge shutdown");
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
    }
}

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
    /// What the bridge counted.
    pub bridge: BridgeCounts,
}

/// The bridge's totals at the end of a headless demo.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BridgeCounts {
    /// Published through the bridge.
    pub published: u64,
    /// Delivered to Kafka.
    pub delivered: u64,
    /// Handled by local handlers (reactions included).
    pub handled: u64,
    /// Handler errors (each attempt).
    pub handler_errors: u64,
    /// Records sent to a DLQ.
    pub dead_lettered: u64,
    /// Left in the outbox.
    pub outbox_depth: u64,
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
fn flaky_handler() -> Arc<dyn crate::bus::Handler> {
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
        let b = &self.bridge;
        out.push_str(&format!(
            "bridge: published {} delivered {} handled {} handler errors {} dead-lettered {} outbox {}\n",
            b.published, b.delivered, b.handled, b.handler_errors, b.dead_lettered, b.outbox_depth
        ));
        out.push_str(&format!(
            "slow group {SLOW_GROUP} lag: {}\n",
            self.slow_group_lag
                .map_or_else(|| "unknown".to_string(), |l| l.to_string())
        ));
        out
    }
}

/// Runs the demo without a terminal for `duration` and returns its summary.
pub async fn run_headless(base: &Settings, rate: u32, duration: Duration) -> Result<Summary> {
    let started = std::time::Instant::now();
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
    let mut records_by_topic: BTreeMap<String, u64> = BTreeMap::new();
    let deadline = tokio::time::sleep(duration);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            ev = rx.recv() => match ev {
                Some(TailEvent::Records(rs)) => {
                    for r in rs {
                        *records_by_topic.entry(r.topic).or_default() += 1;
                    }
                }
                Some(TailEvent::Warning(w)) => tracing::warn!(warning = %w, "demo tail"),
                None => break,
            },
        }
    }
    drop(rx);
    let _ = reader.await;
    let slow_group_lag = {
        let settings = demo.settings.clone();
        let group = vec![SLOW_GROUP.to_string()];
        tokio::task::spawn_blocking(move || {
            crate::kafka::groups::poll_groups(&settings, &group, &group)
        })
        .await
        .ok()
        .and_then(|r| {
            r.map_err(|e| tracing::warn!(error = %e, "demo lag poll failed"))
                .ok()
        })
        .and_then(|poll| {
            let mut report = crate::lag::LagTracker::default().apply(&poll);
            report.groups.pop().and_then(|g| g.total_lag)
        })
    };
    let published = demo.stats.published_by_type();
    let publish_errors = demo.stats.errors();
    let bridge = demo
        .bridge
        .as_ref()
        .map(|b| BridgeCounts::from(&*b.metrics().borrow()))
        .unwrap_or_default();
    demo.stop().await;
    Ok(Summary {
        seconds: started.elapsed().as_secs_f64(),
        published,
        publish_errors,
        records_by_topic,
        slow_group_lag,
        bridge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::metrics::ContextMetrics;

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
