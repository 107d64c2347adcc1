//! The demo's scenario: a steady trickle of debate decisions, test results and
//! performance metrics (some over their threshold), at a rate the UI can change.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio::sync::watch;

use crate::domain::{Envelope, TopicMap};
use crate::publish::{PublishRequest, Publisher};

/// Counts of what the scenario published.
#[derive(Debug, Default)]
pub struct ScenarioStats {
    by_type: Mutex<BTreeMap<String, u64>>,
    errors: AtomicU64,
}

impl ScenarioStats {
    fn record(&self, event_type: &str) {
        if let Ok(mut m) = self.by_type.lock() {
            *m.entry(event_type.to_string()).or_default() += 1;
        }
    }
    /// Published events by type.
    pub fn published_by_type(&self) -> BTreeMap<String, u64> {
        self.by_type.lock().map(|m| m.clone()).unwrap_or_default()
    }
    /// Publish failures.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

const QUESTIONS: [&str; 6] = [
    "Adopt event sourcing for orders?",
    "Split the monolith's billing module?",
    "Move CI to ephemeral runners?",
    "Introduce a schema registry?",
    "Retire the legacy REST gateway?",
    "Shard the events table by tenant?",
];
const SUITES: [&str; 4] = [
    "checkout-e2e",
    "billing-unit",
    "search-load",
    "auth-contract",
];
const METRICS: [&str; 3] = ["p99_latency_ms", "error_rate_bp", "queue_depth"];
const CHANGES: [&str; 4] = [
    "raise consumer fetch.min.bytes",
    "cache price lookups",
    "batch audit writes",
    "split the billing topic by tenant",
];

/// The n-th scenario event: its context and envelope.
pub fn next_event(rng: &mut impl Rng, n: u64) -> Envelope {
    // The first four feed one reaction each (a decision, a test run, a breach,
    // an evolution), so every flow shows in the first second, not whenever the
    // dice allow (evolutions are 7% of the mix).
    let roll = match n {
        0 => 0,
        1 => 40,
        2 => 72,
        3 => 93,
        _ => rng.random_range(0..100),
    };
    if roll < 40 {
        let q = QUESTIONS[rng.random_range(0..QUESTIONS.len())];
        let decision = if rng.random_bool(0.7) {
            "adopt"
        } else {
            "reject"
        };
        Envelope::new(
            "debate",
            "DecisionMade",
            format!("debate-{}", n % 17),
            json!({
                "question": q,
                "decision": decision,
                "rationale": format!("{} of 5 participants agreed", rng.random_range(3..=5)),
                "participants": ["ana", "bo", "chen", "dee", "eli"],
            }),
        )
    } else if roll < 72 {
        let suite = SUITES[rng.random_range(0..SUITES.len())];
        let failed = if rng.random_bool(0.2) {
            rng.random_range(1..4)
        } else {
            0
        };
        Envelope::new(
            "testing",
            "TestRunCompleted",
            format!("suite-{suite}"),
            json!({
                "suite": suite,
                "passed": rng.random_range(40..400),
                "failed": failed,
                "duration_ms": rng.random_range(800..20_000),
            }),
        )
        .with_schema_version(2)
    } else if roll < 93 {
        let metric = METRICS[rng.random_range(0..METRICS.len())];
        let threshold = 250.0;
        // About one in four is over its threshold: that one is a breach, which
        // the performance → evolution reaction turns into an improvement.
        let mut value: f64 = (rng.random_range(80.0..330.0_f64) * 10.0).round() / 10.0;
        if n == 2 {
            value = value.max(threshold + 12.5);
        }
        let event_type = if value > threshold {
            "ThresholdBreached"
        } else {
            "MetricRecorded"
        };
        Envelope::new(
            "performance",
            event_type,
            format!("service-{}", n % 5),
            json!({"metric": metric, "value": value, "threshold": threshold}),
        )
    } else {
        let change = CHANGES[rng.random_range(0..CHANGES.len())];
        Envelope::new(
            "evolution",
            "EvolutionApplied",
            format!("evolution-{}", n % 11),
            json!({"change": change}),
        )
    }
}

/// Publishes scenario events at the rate in `rate` (events/s; 0 pauses) until
/// `stop` turns true.
pub async fn run(
    publisher: Arc<dyn Publisher>,
    topics: TopicMap,
    mut rate: watch::Receiver<u32>,
    mut stop: watch::Receiver<bool>,
    stats: Arc<ScenarioStats>,
) {
    let mut rng = StdRng::from_os_rng();
    let mut n = 0u64;
    loop {
        let per_second = *rate.borrow();
        if *stop.borrow() {
            return;
        }
        if per_second == 0 {
            tokio::select! {
                _ = rate.changed() => continue,
                _ = stop.changed() => continue,
            }
        }
        let env = next_event(&mut rng, n);
        n += 1;
        let Some(topic) = topics.topic_for(&env.context).map(str::to_string) else {
            continue;
        };
        let event_type = env.event_type.clone();
        let publisher = publisher.clone();
        let stats = stats.clone();
        // Publishing is awaited off the pacing loop, so a slow delivery does not
        // slow the scenario below its rate.
        tokio::spawn(async move {
            let req = PublishRequest {
                topic,
                envelope: env,
                key: None,
                headers: vec![("origin".into(), "demo-scenario".into())],
                value: None,
            };
            match publisher.publish(req).await {
                Ok(_) => stats.record(&event_type),
                Err(e) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "demo publish failed");
                }
            }
        });
        let pause = Duration::from_secs_f64(1.0 / f64::from(per_second.max(1)));
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_feeds_every_reaction_source() {
        let mut rng = StdRng::seed_from_u64(7);
        let events: Vec<Envelope> = (0..400).map(|n| next_event(&mut rng, n)).collect();
        let count = |t: &str| events.iter().filter(|e| e.event_type == t).count();
        assert!(count("DecisionMade") > 100);
        assert!(count("TestRunCompleted") > 80);
        assert!(count("MetricRecorded") > 30);
        assert!(count("ThresholdBreached") > 5);
        assert!(count("EvolutionApplied") > 5);
        assert!(
            events
                .iter()
                .filter(|e| e.event_type == "ThresholdBreached")
                .all(|e| e.data["value"].as_f64() > e.data["threshold"].as_f64())
        );
        assert!(events.iter().all(|e| e.causation_id.is_none()));
        let first: Vec<&str> = events[..4].iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            first,
            [
                "DecisionMade",
                "TestRunCompleted",
                "ThresholdBreached",
                "EvolutionApplied"
            ]
        );
    }
}
