//! The bridge's metrics, per context: counters and a handler latency histogram
//! kept in a Prometheus registry (the source of truth, served as text at
//! `/metrics`), plus HDR histograms for exact p50/p99 in the snapshot the
//! console reads through a `watch` channel.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram as Hdr;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Counters and latency of one context.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ContextMetrics {
    /// Events published locally (accepted into the outbox).
    pub published: u64,
    /// Records Kafka acknowledged.
    pub delivered: u64,
    /// Failed delivery attempts (each is retried from the outbox).
    pub delivery_failures: u64,
    /// Records read from Kafka.
    pub consumed: u64,
    /// Handler runs that succeeded.
    pub handled: u64,
    /// Handler runs that failed after all retries.
    pub handler_errors: u64,
    /// Retries of failed handler attempts.
    pub retries: u64,
    /// Records written to the DLQ.
    pub dead_lettered: u64,
    /// Records Kafka refused for good (too large for the topic, say), moved
    /// out of the outbox to its set-aside file.
    pub set_aside: u64,
    /// Records of this context waiting in the outbox.
    pub outbox_depth: u64,
    /// Handler runs measured.
    pub latency_count: u64,
    /// Median handler latency.
    pub latency_p50: Duration,
    /// 99th percentile handler latency.
    pub latency_p99: Duration,
    /// Slowest handler run.
    pub latency_max: Duration,
}

/// Everything the console shows about the bridge, at one moment.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MetricsSnapshot {
    /// Per context.
    pub contexts: BTreeMap<String, ContextMetrics>,
    /// Records waiting in the outbox, all contexts.
    pub outbox_depth: u64,
    /// Outbox capacity.
    pub outbox_capacity: u64,
    /// How long the oldest outbox record has waited.
    pub outbox_oldest_age: Option<Duration>,
    /// Kafka transactions of the exactly-once mode (all zero otherwise).
    pub transactions: TransactionMetrics,
}

/// What the exactly-once mode's Kafka transactions did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TransactionMetrics {
    /// Transactions committed (effects, dead letters and offsets together).
    pub committed: u64,
    /// Transactions aborted (their batch is read and handled again).
    pub aborted: u64,
    /// Times the producer found itself fenced by a newer one with its
    /// `transactional.id` (the bridge then stops).
    pub fenced: u64,
    /// Median time from `commit_transaction` called to committed.
    pub commit_p50: Duration,
    /// 99th percentile of the same.
    pub commit_p99: Duration,
}

impl MetricsSnapshot {
    /// The sum over every context.
    pub fn total(&self) -> ContextMetrics {
        let mut t = ContextMetrics::default();
        for c in self.contexts.values() {
            t.published += c.published;
            t.delivered += c.delivered;
            t.delivery_failures += c.delivery_failures;
            t.consumed += c.consumed;
            t.handled += c.handled;
            t.handler_errors += c.handler_errors;
            t.retries += c.retries;
            t.dead_lettered += c.dead_lettered;
            t.set_aside += c.set_aside;
            t.outbox_depth += c.outbox_depth;
            t.latency_count += c.latency_count;
            t.latency_max = t.latency_max.max(c.latency_max);
        }
        t
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Ctx {
    context: String,
}

type HistogramFamily = Family<Ctx, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 50 µs .. ~1.6 s in 16 doubling buckets: handlers are in-process calls.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// Highest latency the HDR histograms track (longer runs are clamped).
const HDR_MAX_MICROS: u64 = 60_000_000;

/// A counter name in [`Metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Published,
    Delivered,
    DeliveryFailures,
    Consumed,
    Handled,
    HandlerErrors,
    Retries,
    DeadLettered,
    SetAside,
}

const COUNTS: [(Count, &str, &str); 9] = [
    (Count::Published, "published", "Events published locally"),
    (
        Count::Delivered,
        "delivered",
        "Records acknowledged by Kafka",
    ),
    (
        Count::DeliveryFailures,
        "delivery_failures",
        "Failed delivery attempts",
    ),
    (Count::Consumed, "consumed", "Records read from Kafka"),
    (Count::Handled, "handled", "Successful handler runs"),
    (
        Count::HandlerErrors,
        "handler_errors",
        "Handler runs failed after all retries",
    ),
    (Count::Retries, "retries", "Handler retries"),
    (
        Count::DeadLettered,
        "dead_lettered",
        "Records written to the DLQ",
    ),
    (
        Count::SetAside,
        "set_aside",
        "Records Kafka refused for good, moved to the outbox's set-aside file",
    ),
];

/// What happened to one Kafka transaction of the exactly-once mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnOutcome {
    Committed,
    Aborted,
    Fenced,
}

/// The transaction counters and the commit latency.
struct TxnMetrics {
    committed: Counter,
    aborted: Counter,
    fenced: Counter,
    commit_latency: Histogram,
    commit_hdr: Mutex<Option<Hdr<u64>>>,
}

fn commit_histogram() -> Histogram {
    // 1 ms .. ~16 s in 15 doubling buckets: a commit is a round trip to the
    // transaction coordinator and every partition leader written to, longer
    // while one of them fails over.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The live metrics of one bridge.
pub struct Metrics {
    registry: Registry,
    counters: Vec<Family<Ctx, Counter>>,
    outbox_depth: Family<Ctx, Gauge>,
    outbox_oldest: Gauge<f64, AtomicU64>,
    latency: HistogramFamily,
    hdr: Mutex<HashMap<String, Hdr<u64>>>,
    contexts: Mutex<std::collections::BTreeSet<String>>,
    txn: TxnMetrics,
}

impl Metrics {
    /// Metrics with every given context present (at zero) from the start.
    pub(crate) fn new<'a>(contexts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut registry = Registry::with_prefix("eventdeck_bridge");
        let mut counters = Vec::new();
        for (_, name, help) in COUNTS {
            let f = Family::<Ctx, Counter>::default();
            registry.register(name, help, f.clone());
            counters.push(f);
        }
        let outbox_depth = Family::<Ctx, Gauge>::default();
        registry.register(
            "outbox_depth",
            "Records waiting in the outbox for Kafka",
            outbox_depth.clone(),
        );
        let outbox_oldest = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_age_seconds",
            "Age of the oldest record waiting in the outbox",
            outbox_oldest.clone(),
        );
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "handler_latency_seconds",
            "Time one handler run took",
            latency.clone(),
        );
        let txn = TxnMetrics {
            committed: Counter::default(),
            aborted: Counter::default(),
            fenced: Counter::default(),
            commit_latency: commit_histogram(),
            commit_hdr: Mutex::new(Hdr::new_with_bounds(1, HDR_MAX_MICROS, 3).ok()),
        };
        registry.register(
            "transactions_committed",
            "Kafka transactions committed (exactly-once mode)",
            txn.committed.clone(),
        );
        registry.register(
            "transactions_aborted",
            "Kafka transactions aborted; their batch is read and handled again (exactly-once mode)",
            txn.aborted.clone(),
        );
        registry.register(
            "transactions_fenced",
            "Times a newer producer with this bridge's transactional.id fenced it (exactly-once mode)",
            txn.fenced.clone(),
        );
        registry.register(
            "transaction_commit_seconds",
            "Time commit_transaction took (exactly-once mode)",
            txn.commit_latency.clone(),
        );
        let m = Self {
            registry,
            counters,
            outbox_depth,
            outbox_oldest,
            latency,
            hdr: Mutex::default(),
            contexts: Mutex::default(),
            txn,
        };
        for c in contexts {
            m.touch(c);
        }
        m
    }

    fn touch(&self, context: &str) {
        let Ok(mut cs) = self.contexts.lock() else {
            return;
        };
        if cs.contains(context) {
            return;
        }
        cs.insert(context.to_string());
        let label = Ctx {
            context: context.to_string(),
        };
        for f in &self.counters {
            let _ = f.get_or_create(&label);
        }
        let _ = self.outbox_depth.get_or_create(&label);
    }

    /// Adds `n` to a counter of a context.
    pub(crate) fn add(&self, count: Count, context: &str, n: u64) {
        self.touch(context);
        let idx = COUNTS.iter().position(|(c, _, _)| *c == count).unwrap_or(0);
        let label = Ctx {
            context: context.to_string(),
        };
        self.counters[idx].get_or_create(&label).inc_by(n);
    }

    /// Records one handler run's latency.
    pub(crate) fn observe_latency(&self, context: &str, latency: Duration) {
        self.touch(context);
        let label = Ctx {
            context: context.to_string(),
        };
        self.latency
            .get_or_create(&label)
            .observe(latency.as_secs_f64());
        let micros = (latency.as_micros() as u64).clamp(1, HDR_MAX_MICROS);
        let Ok(mut hdr) = self.hdr.lock() else {
            return;
        };
        let h = match hdr.entry(context.to_string()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            // Constant, valid bounds: creation cannot fail; skip the sample if it did.
            std::collections::hash_map::Entry::Vacant(v) => {
                match Hdr::new_with_bounds(1, HDR_MAX_MICROS, 3) {
                    Ok(h) => v.insert(h),
                    Err(_) => return,
                }
            }
        };
        h.saturating_record(micros);
    }

    /// Counts one transaction's outcome.
    pub(crate) fn transaction(&self, outcome: TxnOutcome) {
        match outcome {
            TxnOutcome::Committed => self.txn.committed.inc(),
            TxnOutcome::Aborted => self.txn.aborted.inc(),
            TxnOutcome::Fenced => self.txn.fenced.inc(),
        };
    }

    /// Records how long one `commit_transaction` took.
    pub(crate) fn observe_commit(&self, took: Duration) {
        self.txn.commit_latency.observe(took.as_secs_f64());
        let micros = (took.as_micros() as u64).clamp(1, HDR_MAX_MICROS);
        if let Ok(mut h) = self.txn.commit_hdr.lock()
            && let Some(h) = h.as_mut()
        {
            h.saturating_record(micros);
        }
    }

    fn transactions(&self) -> TransactionMetrics {
        let mut t = TransactionMetrics {
            committed: self.txn.committed.get(),
            aborted: self.txn.aborted.get(),
            fenced: self.txn.fenced.get(),
            ..TransactionMetrics::default()
        };
        if let Ok(h) = self.txn.commit_hdr.lock()
            && let Some(h) = h.as_ref()
            && !h.is_empty()
        {
            t.commit_p50 = Duration::from_micros(h.value_at_quantile(0.5));
            t.commit_p99 = Duration::from_micros(h.value_at_quantile(0.99));
        }
        t
    }

    /// Sets the outbox gauges.
    pub(crate) fn set_outbox(&self, per_context: &BTreeMap<String, u64>, oldest: Option<Duration>) {
        for (ctx, depth) in per_context {
            self.touch(ctx);
            let label = Ctx {
                context: ctx.clone(),
            };
            self.outbox_depth
                .get_or_create(&label)
                .set(i64::try_from(*depth).unwrap_or(i64::MAX));
        }
        self.outbox_oldest
            .set(oldest.map_or(0.0, |d| d.as_secs_f64()));
    }

    /// The snapshot for the console.
    pub(crate) fn snapshot(
        &self,
        outbox_depth: u64,
        outbox_capacity: u64,
        outbox_oldest_age: Option<Duration>,
        per_context_depth: &BTreeMap<String, u64>,
    ) -> MetricsSnapshot {
        let names: Vec<String> = self
            .contexts
            .lock()
            .map(|cs| cs.iter().cloned().collect())
            .unwrap_or_default();
        let hdr = self.hdr.lock().ok();
        let mut contexts = BTreeMap::new();
        for name in names {
            let label = Ctx {
                context: name.clone(),
            };
            let get = |c: Count| {
                let idx = COUNTS.iter().position(|(k, _, _)| *k == c).unwrap_or(0);
                self.counters[idx].get_or_create(&label).get()
            };
            let mut cm = ContextMetrics {
                published: get(Count::Published),
                delivered: get(Count::Delivered),
                delivery_failures: get(Count::DeliveryFailures),
                consumed: get(Count::Consumed),
                handled: get(Count::Handled),
                handler_errors: get(Count::HandlerErrors),
                retries: get(Count::Retries),
                dead_lettered: get(Count::DeadLettered),
                set_aside: get(Count::SetAside),
                outbox_depth: per_context_depth.get(&name).copied().unwrap_or(0),
                ..ContextMetrics::default()
            };
            if let Some(h) = hdr.as_ref().and_then(|h| h.get(&name)) {
                cm.latency_count = h.len();
                cm.latency_p50 = Duration::from_micros(h.value_at_quantile(0.5));
                cm.latency_p99 = Duration::from_micros(h.value_at_quantile(0.99));
                cm.latency_max = Duration::from_micros(h.max());
            }
            contexts.insert(name, cm);
        }
        MetricsSnapshot {
            contexts,
            outbox_depth,
            outbox_capacity,
            outbox_oldest_age,
            transactions: self.transactions(),
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "encoding metrics");
        }
        out
    }
}

/// Serves `/metrics` as Prometheus text on `addr` from a thread of its own until
/// the returned guard is dropped.
pub fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<MetricsServer, String> {
    let server = Arc::new(tiny_http::Server::http(addr).map_err(|e| e.to_string())?);
    let local = server.server_addr().to_ip().unwrap_or(addr);
    let s = server.clone();
    let thread = std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || {
            for req in s.incoming_requests() {
                let resp = if req.url() == "/metrics" {
                    let header = tiny_http::Header::from_bytes(
                        &b"Content-Type"[..],
                        &b"application/openmetrics-text; version=1.0.0; charset=utf-8"[..],
                    );
                    let mut r = tiny_http::Response::from_string(metrics.render_prometheus());
                    if let Ok(h) = header {
                        r = r.with_header(h);
                    }
                    r
                } else {
                    tiny_http::Response::from_string("not found; try /metrics\n")
                        .with_status_code(404)
                };
                let _ = req.respond(resp);
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(MetricsServer {
        server,
        addr: local,
        thread: Some(thread),
    })
}

/// A running `/metrics` server; stops when dropped.
pub struct MetricsServer {
    server: Arc<tiny_http::Server>,
    addr: SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MetricsServer {
    /// Where it listens (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_per_context_reach_the_snapshot_and_the_text() {
        let m = Metrics::new(["debate"]);
        m.add(Count::Published, "debate", 3);
        m.add(Count::DeadLettered, "testing", 1);
        m.observe_latency("debate", Duration::from_millis(2));
        let mut depth = BTreeMap::new();
        depth.insert("debate".to_string(), 2);
        m.set_outbox(&depth, Some(Duration::from_secs(1)));
        let s = m.snapshot(2, 10, None, &depth);
        assert_eq!(s.contexts["debate"].published, 3);
        assert_eq!(s.contexts["debate"].outbox_depth, 2);
        assert_eq!(s.contexts["testing"].dead_lettered, 1);
        assert_eq!(s.contexts["debate"].latency_count, 1);
        assert!(s.contexts["debate"].latency_p99 >= Duration::from_millis(2));
        assert_eq!(s.total().published, 3);
        let text = m.render_prometheus();
        assert!(
            text.contains("eventdeck_bridge_published_total{context=\"debate\"} 3"),
            "{text}"
        );
        assert!(text.contains("eventdeck_bridge_dead_lettered_total{context=\"testing\"} 1"));
        assert!(text.contains("eventdeck_bridge_outbox_depth{context=\"debate\"} 2"));
        assert!(text.contains("eventdeck_bridge_handler_latency_seconds_bucket"));
        assert!(text.contains("eventdeck_bridge_transactions_committed_total 0"));
    }

    #[test]
    fn transactions_are_counted_with_their_commit_latency() {
        let m = Metrics::new(["debate"]);
        m.transaction(TxnOutcome::Committed);
        m.transaction(TxnOutcome::Committed);
        m.transaction(TxnOutcome::Aborted);
        m.transaction(TxnOutcome::Fenced);
        m.observe_commit(Duration::from_millis(8));
        let t = m.snapshot(0, 10, None, &BTreeMap::new()).transactions;
        assert_eq!((t.committed, t.aborted, t.fenced), (2, 1, 1));
        assert!(t.commit_p99 >= Duration::from_millis(8), "{t:?}");
        let text = m.render_prometheus();
        for line in [
            "eventdeck_bridge_transactions_committed_total 2",
            "eventdeck_bridge_transactions_aborted_total 1",
            "eventdeck_bridge_transactions_fenced_total 1",
            "eventdeck_bridge_transaction_commit_seconds_count 1",
        ] {
            assert!(text.contains(line), "{line} in:\n{text}");
        }
    }
}
