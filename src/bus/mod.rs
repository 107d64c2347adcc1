//! The in-process event bus: handlers subscribe by event type and context, events
//! are dispatched over bounded lanes (one aggregate always takes the same lane, so
//! its events are handled in order), each handler is retried with backoff, and
//! every outcome — effects to publish or the error with the handler's name — is
//! reported back to whoever dispatched the event.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use tokio::sync::{mpsc, oneshot};

use crate::domain::Envelope;

/// How many lanes the bus dispatches over. Handlers of different aggregates run
/// concurrently across lanes; within a lane events are handled one after another.
pub const DEFAULT_LANES: usize = 4;

/// Cap on one retry delay, whatever the exponential backoff says.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Record header a handler may carry over to its effects (W3C trace context).
pub const TRACEPARENT: &str = "traceparent";

/// Record header on an effect whose cause carried no correlation id: the
/// effect's correlation id is new, and starts the flow as far as ids can tell.
pub const CORRELATION_STARTED: &str = "eventdeck-correlation-started";

/// Where an event being handled came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Published in this process.
    Local,
    /// Read from Kafka.
    Remote {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
    },
}

/// What a handler is told besides the event.
#[derive(Debug, Clone)]
pub struct HandlerCtx {
    /// Where the event came from.
    pub origin: Origin,
    /// Record headers (UTF-8-lossy; null values left out) for a remote event,
    /// the publish request's extra headers for a local one. Shared: each
    /// handler and each retry gets the context without copying them.
    pub headers: Arc<[(String, String)]>,
    /// 1 on the first try, 2 on the first retry, ...
    pub attempt: u32,
}

impl HandlerCtx {
    /// Context for an event published in this process.
    pub fn local(headers: Vec<(String, String)>) -> Self {
        Self {
            origin: Origin::Local,
            headers: headers.into(),
            attempt: 1,
        }
    }

    /// The first header with this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An effect a handler wants published: an event (built with
/// [`Envelope::caused_by`]) and extra record headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Emit {
    /// The effect event.
    pub envelope: Envelope,
    /// Extra headers, e.g. `traceparent`.
    pub headers: Vec<(String, String)>,
}

impl Emit {
    /// An effect of the event being handled: passes on its `traceparent` header
    /// when it has one.
    pub fn following(envelope: Envelope, ctx: &HandlerCtx) -> Self {
        let headers = ctx
            .header(TRACEPARENT)
            .map(|tp| vec![(TRACEPARENT.to_string(), tp.to_string())])
            .unwrap_or_default();
        Self { envelope, headers }
    }

    /// [`Emit::following`] for an effect of `cause`; when the cause carried no
    /// correlation id, the effect's new one is recorded as such in a
    /// [`CORRELATION_STARTED`] header naming the cause.
    pub fn effect_of(cause: &Envelope, envelope: Envelope, ctx: &HandlerCtx) -> Self {
        let started = envelope.starts_correlation(cause);
        let mut emit = Self::following(envelope, ctx);
        if started {
            emit.headers.push((
                CORRELATION_STARTED.to_string(),
                format!("new: cause {} carried none", cause.event_id),
            ));
        }
        emit
    }
}

/// Why a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct HandlerError {
    /// A short class of error (`timeout`, `validation`, `panic`, ...).
    pub kind: String,
    /// What went wrong.
    pub message: String,
}

impl HandlerError {
    /// An error of a kind with a message.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }
}

/// Something that reacts to events.
pub trait Handler: Send + Sync {
    /// A stable name, shown in metrics and written to DLQ records.
    fn name(&self) -> &str;
    /// Whether this handler wants the event.
    fn wants(&self, env: &Envelope) -> bool;
    /// Handles the event; returns effects to publish.
    fn handle<'a>(
        &'a self,
        env: &'a Envelope,
        ctx: &'a HandlerCtx,
    ) -> BoxFuture<'a, Result<Vec<Emit>, HandlerError>>;
}

/// Which events a [`handler_fn`] handler wants: by context and/or event type.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    contexts: Vec<String>,
    event_types: Vec<String>,
}

impl Filter {
    /// Every event.
    pub fn any() -> Self {
        Self::default()
    }

    /// Also require (one of) this context.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.contexts.push(context.into());
        self
    }

    /// Also require (one of) this event type.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_types.push(event_type.into());
        self
    }

    /// Whether the event passes.
    pub fn matches(&self, env: &Envelope) -> bool {
        (self.contexts.is_empty() || self.contexts.contains(&env.context))
            && (self.event_types.is_empty() || self.event_types.contains(&env.event_type))
    }
}

struct FnHandler<F> {
    name: String,
    filter: Filter,
    f: F,
}

impl<F, Fut> Handler for FnHandler<F>
where
    F: Fn(Envelope, HandlerCtx) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Vec<Emit>, HandlerError>> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }
    fn wants(&self, env: &Envelope) -> bool {
        self.filter.matches(env)
    }
    fn handle<'a>(
        &'a self,
        env: &'a Envelope,
        ctx: &'a HandlerCtx,
    ) -> BoxFuture<'a, Result<Vec<Emit>, HandlerError>> {
        Box::pin((self.f)(env.clone(), ctx.clone()))
    }
}

/// A handler from a name, a filter and an async closure over owned arguments.
pub fn handler_fn<F, Fut>(name: impl Into<String>, filter: Filter, f: F) -> Arc<dyn Handler>
where
    F: Fn(Envelope, HandlerCtx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<Emit>, HandlerError>> + Send + 'static,
{
    Arc::new(FnHandler {
        name: name.into(),
        filter,
        f,
    })
}

/// How often a failing handler is tried again, and how long to wait in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = no retry).
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each further one, capped at
    /// [`MAX_BACKOFF`].
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            backoff: Duration::from_millis(100),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// What happened to one handler for one event.
#[derive(Debug, Clone)]
pub struct HandlerOutcome {
    /// The handler's name.
    pub handler: String,
    /// Attempts made (1 + retries).
    pub attempts: u32,
    /// Time spent in the successful (or last) attempt.
    pub latency: Duration,
    /// Effects to publish, or the last error.
    pub result: Result<Vec<Emit>, HandlerError>,
}

/// What happened to one event: one outcome per handler that wanted it.
#[derive(Debug, Clone, Default)]
pub struct DispatchReport {
    /// Outcomes in subscription order.
    pub outcomes: Vec<HandlerOutcome>,
}

impl DispatchReport {
    /// The outcomes that failed after all retries.
    pub fn failures(&self) -> impl Iterator<Item = &HandlerOutcome> {
        self.outcomes.iter().filter(|o| o.result.is_err())
    }
}

/// Why the bus could not take an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// The bus's workers are gone (the runtime is shutting down).
    #[error("the event bus is closed")]
    Closed,
}

struct Job {
    env: Envelope,
    ctx: HandlerCtx,
    done: Option<oneshot::Sender<DispatchReport>>,
}

struct Inner {
    handlers: RwLock<Vec<Arc<dyn Handler>>>,
    policy: RwLock<RetryPolicy>,
    lanes: Vec<mpsc::Sender<Job>>,
    /// Receivers wait here until the first dispatch, which runs inside a tokio
    /// runtime and so can spawn the lane workers (`Bus::new` need not).
    pending: Mutex<Option<Vec<mpsc::Receiver<Job>>>>,
}

/// The in-process event bus. Cheap to clone; clones share handlers and lanes.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

impl Bus {
    /// A bus whose lanes hold `queue_capacity` waiting events in all; a full lane
    /// makes the dispatcher wait (back-pressure) instead of growing.
    pub fn new(queue_capacity: usize) -> Self {
        let per_lane = (queue_capacity / DEFAULT_LANES).max(1);
        let (lanes, receivers) = (0..DEFAULT_LANES).map(|_| mpsc::channel(per_lane)).unzip();
        Self {
            inner: Arc::new(Inner {
                handlers: RwLock::new(Vec::new()),
                policy: RwLock::new(RetryPolicy::default()),
                lanes,
                pending: Mutex::new(Some(receivers)),
            }),
        }
    }

    /// Adds a handler; it sees events dispatched from now on.
    pub fn subscribe(&self, h: Arc<dyn Handler>) {
        if let Ok(mut hs) = self.inner.handlers.write() {
            hs.push(h);
        }
    }

    /// Names of the subscribed handlers, in subscription order.
    pub fn handler_names(&self) -> Vec<String> {
        self.handlers_where(|_| true)
            .iter()
            .map(|h| h.name().to_string())
            .collect()
    }

    /// Sets how failing handlers are retried.
    pub fn set_retry_policy(&self, policy: RetryPolicy) {
        if let Ok(mut p) = self.inner.policy.write() {
            *p = policy;
        }
    }

    /// Events waiting in the lanes.
    pub fn queued(&self) -> usize {
        self.inner
            .lanes
            .iter()
            .map(|l| l.max_capacity() - l.capacity())
            .sum()
    }

    /// Runs the local handlers for an event published here and waits for them.
    pub async fn publish(&self, env: Envelope) -> Result<DispatchReport, BusError> {
        let rx = self.dispatch(env, HandlerCtx::local(Vec::new())).await?;
        rx.await.map_err(|_| BusError::Closed)
    }

    /// Queues an event for its handlers (waiting while its lane is full) and
    /// returns where the report will arrive.
    pub async fn dispatch(
        &self,
        env: Envelope,
        ctx: HandlerCtx,
    ) -> Result<oneshot::Receiver<DispatchReport>, BusError> {
        let (tx, rx) = oneshot::channel();
        self.enqueue(Job {
            env,
            ctx,
            done: Some(tx),
        })
        .await?;
        Ok(rx)
    }

    async fn enqueue(&self, job: Job) -> Result<(), BusError> {
        self.start_workers();
        let lane = lane_of(&job.env.aggregate_id, self.inner.lanes.len());
        self.inner.lanes[lane]
            .send(job)
            .await
            .map_err(|_| BusError::Closed)
    }

    fn start_workers(&self) {
        let Some(receivers) = self.inner.pending.lock().ok().and_then(|mut p| p.take()) else {
            return;
        };
        for rx in receivers {
            let bus = self.clone();
            tokio::spawn(async move { bus.run_lane(rx).await });
        }
    }

    /// True when some subscribed handler wants this event (a publisher with
    /// none can skip the dispatch and the bookkeeping for failures).
    pub fn wants(&self, env: &Envelope) -> bool {
        self.inner
            .handlers
            .read()
            .map(|hs| hs.iter().any(|h| h.wants(env)))
            .unwrap_or(false)
    }

    /// The subscribed handlers that `keep`, in subscription order.
    fn handlers_where(&self, keep: impl Fn(&dyn Handler) -> bool) -> Vec<Arc<dyn Handler>> {
        self.inner
            .handlers
            .read()
            .map(|hs| hs.iter().filter(|h| keep(h.as_ref())).cloned().collect())
            .unwrap_or_default()
    }

    fn policy(&self) -> RetryPolicy {
        self.inner.policy.read().map(|p| *p).unwrap_or_default()
    }

    async fn run_lane(&self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            let handlers = self.handlers_where(|h| h.wants(&job.env));
            let policy = self.policy();
            let outcomes = join_all(
                handlers
                    .iter()
                    .map(|h| run_with_retries(h.as_ref(), &job.env, &job.ctx, policy)),
            )
            .await;
            if let Some(done) = job.done {
                let _ = done.send(DispatchReport { outcomes });
            }
        }
    }
}

fn lane_of(aggregate_id: &str, lanes: usize) -> usize {
    let mut h = DefaultHasher::new();
    aggregate_id.hash(&mut h);
    (h.finish() % lanes.max(1) as u64) as usize
}

async fn run_with_retries(
    h: &dyn Handler,
    env: &Envelope,
    ctx: &HandlerCtx,
    policy: RetryPolicy,
) -> HandlerOutcome {
    let mut ctx = ctx.clone();
    let mut attempt = 1;
    loop {
        ctx.attempt = attempt;
        let started = Instant::now();
        // A panicking handler is one failed attempt, not a dead lane.
        let result = match AssertUnwindSafe(h.handle(env, &ctx)).catch_unwind().await {
            Ok(r) => r,
            Err(panic) => Err(HandlerError::new("panic", panic_text(&panic))),
        };
        let latency = started.elapsed();
        if result.is_ok() || attempt > policy.max_retries {
            return HandlerOutcome {
                handler: h.name().to_string(),
                attempts: attempt,
                latency,
                result,
            };
        }
        tracing::debug!(handler = h.name(), attempt, "handler failed; retrying");
        tokio::time::sleep(policy.delay(attempt)).await;
        attempt += 1;
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "handler panicked".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn event(ctx: &str, ty: &str, agg: &str) -> Envelope {
        Envelope::new(ctx, ty, agg, json!({}))
    }

    #[tokio::test]
    async fn local_handlers_run_by_context_and_type() {
        let bus = Bus::new(16);
        let seen = Arc::new(AtomicU32::new(0));
        let s = seen.clone();
        bus.subscribe(handler_fn(
            "decisions",
            Filter::any().context("debate").event_type("DecisionMade"),
            move |_, _| {
                let s = s.clone();
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    Ok(vec![])
                }
            },
        ));
        let r = bus
            .publish(event("debate", "DecisionMade", "a"))
            .await
            .unwrap();
        assert_eq!(r.outcomes.len(), 1);
        let r = bus
            .publish(event("testing", "DecisionMade", "a"))
            .await
            .unwrap();
        assert!(r.outcomes.is_empty());
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failing_handler_is_retried_then_reported_with_its_name() {
        let bus = Bus::new(16);
        bus.set_retry_policy(RetryPolicy {
            max_retries: 2,
            backoff: Duration::from_millis(1),
        });
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        bus.subscribe(handler_fn("flaky", Filter::any(), move |_, ctx| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Err(HandlerError::new(
                    "boom",
                    format!("attempt {}", ctx.attempt),
                ))
            }
        }));
        let r = bus.publish(event("debate", "X", "a")).await.unwrap();
        let f: Vec<_> = r.failures().collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].handler, "flaky");
        assert_eq!(f[0].attempts, 3);
        assert_eq!(
            f[0].result.as_ref().unwrap_err(),
            &HandlerError::new("boom", "attempt 3")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_panic_is_a_handler_error() {
        let bus = Bus::new(4);
        bus.set_retry_policy(RetryPolicy {
            max_retries: 0,
            backoff: Duration::ZERO,
        });
        bus.subscribe(handler_fn("panics", Filter::any(), |_, _| async {
            if true {
                panic!("bad input");
            }
            Ok(vec![])
        }));
        let r = bus.publish(event("debate", "X", "a")).await.unwrap();
        let err = r.outcomes[0].result.clone().unwrap_err();
        assert_eq!(err, HandlerError::new("panic", "bad input"));
    }

    /// On a multi-threaded runtime, with handlers that sleep (each event of an
    /// aggregate longer than the next, so a later one would overtake an
    /// earlier one if a lane ran its jobs side by side), every aggregate's
    /// events are still handled one at a time and in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_aggregate_is_handled_in_order() {
        const AGGREGATES: usize = 4;
        const EVENTS: u64 = 40;
        #[derive(Default)]
        struct Seen {
            order: Vec<u64>,
            running: u32,
            most_at_once: u32,
        }
        let bus = Bus::new(256);
        let seen: Arc<Mutex<HashMap<String, Seen>>> = Arc::default();
        let s = seen.clone();
        bus.subscribe(handler_fn("order", Filter::any(), move |env, _| {
            let s = s.clone();
            async move {
                let n = env.data["n"].as_u64().unwrap();
                {
                    let mut all = s.lock().unwrap();
                    let a = all.entry(env.aggregate_id.clone()).or_default();
                    a.running += 1;
                    a.most_at_once = a.most_at_once.max(a.running);
                }
                tokio::time::sleep(Duration::from_micros((EVENTS - n) * 100)).await;
                let mut all = s.lock().unwrap();
                let a = all.entry(env.aggregate_id.clone()).or_default();
                a.running -= 1;
                a.order.push(n);
                Ok(vec![])
            }
        }));
        let mut rxs = Vec::new();
        for n in 0..EVENTS {
            for agg in 0..AGGREGATES {
                let env = Envelope::new("debate", "X", format!("agg-{agg}"), json!({ "n": n }));
                rxs.push(bus.dispatch(env, HandlerCtx::local(vec![])).await.unwrap());
            }
        }
        for rx in rxs {
            rx.await.unwrap();
        }
        let all = seen.lock().unwrap();
        assert_eq!(all.len(), AGGREGATES);
        for (agg, a) in all.iter() {
            assert_eq!(a.order, (0..EVENTS).collect::<Vec<_>>(), "{agg}: order");
            assert_eq!(a.most_at_once, 1, "{agg}: handled one at a time");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 40,
            backoff: Duration::from_millis(100),
        };
        assert_eq!(p.delay(1), Duration::from_millis(100));
        assert_eq!(p.delay(3), Duration::from_millis(400));
        assert_eq!(p.delay(40), MAX_BACKOFF);
    }

    #[test]
    fn emit_following_passes_traceparent_on() {
        let ctx = HandlerCtx::local(vec![(TRACEPARENT.into(), "00-abc-def-01".into())]);
        let e = Emit::following(event("a", "b", "c"), &ctx);
        assert_eq!(
            e.headers,
            vec![(TRACEPARENT.to_string(), "00-abc-def-01".to_string())]
        );
        let e = Emit::following(event("a", "b", "c"), &HandlerCtx::local(vec![]));
        assert!(e.headers.is_empty());
    }
}
