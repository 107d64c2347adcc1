//! Replay: re-deliver the records of a time range (offsets found with
//! offsets-for-times) either to a topic or to the local handlers through the
//! bridge. `eventdeck replay` and the console's `:replay` call these same
//! functions: [`plan`] (the dry run: what would be replayed), then
//! [`replay`]: the gate, [`execute`] with a progress callback, the audit line.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use crate::bridge::{Redelivered, Redeliverer};
use crate::config::Settings;
use crate::kafka::consume::read_time_range;
use crate::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use crate::kafka::{ConsumedRecord, EventProducer, KafkaError};

/// Header added to each record replayed to a topic: where it came from.
pub const REPLAY_SOURCE_HEADER: &str = "eventdeck.replay.source";
/// Records per second when nobody says otherwise.
pub const DEFAULT_RATE: u32 = 1000;

/// Where replayed records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Copied to this topic (original key, value and headers, plus
    /// [`REPLAY_SOURCE_HEADER`]).
    Topic(String),
    /// Handed to the local handlers through the bridge, as if consumed again.
    Handlers,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Topic(t) => write!(f, "topic {t}"),
            Target::Handlers => f.write_str("the local handlers"),
        }
    }
}

/// What to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The source topic.
    pub topic: String,
    /// Start of the range, inclusive.
    pub from: DateTime<Utc>,
    /// End of the range, exclusive; `None`: now.
    pub to: Option<DateTime<Utc>>,
    /// Where the records go.
    pub target: Target,
    /// Records per second at most.
    pub rate: u32,
}

/// The records of a request's range, read (the dry run's answer).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The request.
    pub request: Request,
    /// The records, per partition in offset order.
    pub records: Vec<ConsumedRecord>,
    /// Partition → (first offset, last offset, records).
    pub per_partition: BTreeMap<i32, (i64, i64, usize)>,
}

impl Plan {
    /// One line: "N record(s) of T from A to B -> target".
    pub fn summary(&self) -> String {
        let r = &self.request;
        format!(
            "{} record(s) of {} from {} to {} -> {}",
            self.records.len(),
            r.topic,
            r.from.to_rfc3339_opts(SecondsFormat::Millis, true),
            r.to.map_or_else(
                || "now".to_string(),
                |t| t.to_rfc3339_opts(SecondsFormat::Millis, true)
            ),
            r.target
        )
    }

    /// One line per partition: records and offset range.
    pub fn partition_lines(&self) -> Vec<String> {
        self.per_partition
            .iter()
            .map(|(p, (first, last, n))| {
                format!("partition {p}: {n} record(s), offsets {first}..={last}")
            })
            .collect()
    }
}

/// Reads the range. Blocking (librdkafka lookups); call off the async runtime.
pub fn plan(settings: &Settings, request: Request) -> Result<Plan, KafkaError> {
    let records = read_time_range(
        settings,
        std::slice::from_ref(&request.topic),
        request.from,
        request.to,
    )?;
    let mut per_partition: BTreeMap<i32, (i64, i64, usize)> = BTreeMap::new();
    for r in &records {
        let e = per_partition
            .entry(r.partition)
            .or_insert((r.offset, r.offset, 0));
        e.0 = e.0.min(r.offset);
        e.1 = e.1.max(r.offset);
        e.2 += 1;
    }
    Ok(Plan {
        request,
        records,
        per_partition,
    })
}

/// How a replay went.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Records delivered (to the topic, or handed to the handlers).
    pub delivered: usize,
    /// Records that could not be delivered.
    pub failed: usize,
    /// Records not handed to handlers (not events).
    pub skipped: usize,
    /// Handler runs that failed after their retries (dead-lettered).
    pub handler_failures: usize,
    /// The first error, if any.
    pub first_error: Option<String>,
}

impl Outcome {
    /// One line for the console and the terminal.
    pub fn summary(&self) -> String {
        let mut s = format!("delivered {}, failed {}", self.delivered, self.failed);
        if self.skipped > 0 {
            s.push_str(&format!(", skipped {}", self.skipped));
        }
        if self.handler_failures > 0 {
            s.push_str(&format!(
                ", {} handler failure(s) dead-lettered",
                self.handler_failures
            ));
        }
        if let Some(e) = &self.first_error {
            s.push_str(&format!(" (first error: {e})"));
        }
        s
    }
}

/// Where [`execute`] sends records.
pub enum Sink<'a> {
    /// A producer, for [`Target::Topic`].
    Producer(&'a EventProducer),
    /// The bridge's handlers, for [`Target::Handlers`].
    Handlers(&'a Redeliverer),
}

/// Replays the plan's records at its rate, calling `progress(done, total)`
/// after each. The sink must match the plan's target.
pub async fn execute(
    plan: &Plan,
    sink: Sink<'_>,
    mut progress: impl FnMut(usize, usize),
) -> Outcome {
    let total = plan.records.len();
    let mut out = Outcome::default();
    let rate = plan.request.rate.max(1);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let fail = |out: &mut Outcome, e: String| {
        out.failed += 1;
        out.first_error.get_or_insert(e);
    };
    for (i, r) in plan.records.iter().enumerate() {
        tick.tick().await;
        match (&sink, &plan.request.target) {
            (Sink::Producer(p), Target::Topic(to)) => {
                let mut headers = r.headers.to_pairs();
                headers.push((
                    REPLAY_SOURCE_HEADER.to_string(),
                    Some(format!("{}[{}]@{}", r.topic, r.partition, r.offset).into_bytes()),
                ));
                match p
                    .send_raw(to, r.key.as_deref(), r.value.as_deref(), &headers)
                    .await
                {
                    Ok(_) => out.delivered += 1,
                    Err(e) => fail(&mut out, e.to_string()),
                }
            }
            (Sink::Handlers(h), Target::Handlers) => match h.deliver(r).await {
                Ok(Redelivered::Handled { failed, .. }) => {
                    out.delivered += 1;
                    out.handler_failures += failed;
                }
                Ok(Redelivered::Skipped(_)) => out.skipped += 1,
                Err(e) => fail(&mut out, e.to_string()),
            },
            _ => fail(&mut out, "the sink does not match the target".into()),
        }
        progress(i + 1, total);
    }
    out
}

/// A producer for [`Sink::Producer`].
pub fn producer(settings: &Settings) -> Result<EventProducer, KafkaError> {
    EventProducer::new(settings, DEFAULT_DELIVERY_TIMEOUT)
}

/// Replays a planned range on a person's behalf — `eventdeck replay` and the
/// console's `:replay` both call this: the read-only gate, then the records
/// at the plan's rate ([`execute`]), then one audit line with the outcome.
pub async fn replay(
    settings: &Settings,
    source: crate::audit::Source,
    plan: &Plan,
    sink: Sink<'_>,
    progress: impl FnMut(usize, usize),
) -> Result<Outcome, crate::mutate::MutationError> {
    crate::audit::authorize(settings, crate::audit::action::REPLAY)?;
    let outcome = execute(plan, sink, progress).await;
    audit(settings, source, plan, &outcome).map_err(|error| {
        crate::mutate::MutationError::NotAudited {
            what: format!("replayed: {}", outcome.summary()),
            error,
        }
    })?;
    Ok(outcome)
}

/// Writes the audit entry of a replay that ran.
fn audit(
    settings: &Settings,
    source: crate::audit::Source,
    plan: &Plan,
    outcome: &Outcome,
) -> std::io::Result<()> {
    let r = &plan.request;
    let (to_topic, to_handlers) = match &r.target {
        Target::Topic(t) => (Some(t.clone()), false),
        Target::Handlers => (None, true),
    };
    crate::audit::record(
        settings,
        source,
        crate::audit::action::REPLAY,
        json!({"topic": r.topic, "from": r.from, "to": r.to, "to_topic": to_topic,
               "to_handlers": to_handlers, "rate": r.rate, "records": plan.records.len()}),
        json!({"delivered": outcome.delivered, "failed": outcome.failed,
               "skipped": outcome.skipped, "handler_failures": outcome.handler_failures}),
    )
    .map(|_| ())
}
