//! The four cross-context reactions of DESIGN.md, written as ordinary bus
//! handlers: each answers one event type of one context with an effect event in
//! another, same `correlation_id` (a new one, marked as such, when the cause
//! carried none), `causation_id` = the cause's `event_id`, and the cause's
//! `traceparent` passed on.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::bus::{Emit, Handler, HandlerCtx, HandlerError};
use crate::domain::Envelope;

/// One reaction: `from` event → `to` event.
pub struct Reaction {
    name: &'static str,
    from_context: &'static str,
    from_type: &'static str,
    to_context: &'static str,
    to_type: &'static str,
    /// The effect's aggregate id and data, from the cause.
    build: fn(&Envelope) -> (String, Value),
}

impl Handler for Reaction {
    fn name(&self) -> &str {
        self.name
    }
    fn wants(&self, env: &Envelope) -> bool {
        env.context == self.from_context && env.event_type == self.from_type
    }
    fn handle<'a>(
        &'a self,
        env: &'a Envelope,
        ctx: &'a HandlerCtx,
    ) -> BoxFuture<'a, Result<Vec<Emit>, HandlerError>> {
        let (aggregate_id, data) = (self.build)(env);
        let effect = Envelope::caused_by(env, self.to_context, self.to_type, aggregate_id, data);
        Box::pin(async move { Ok(vec![Emit::effect_of(env, effect, ctx)]) })
    }
}

fn field(env: &Envelope, name: &str) -> Value {
    env.data.get(name).cloned().unwrap_or(Value::Null)
}

/// debate → implementation, performance → evolution, testing → performance,
/// evolution → implementation.
pub fn all() -> Vec<Arc<dyn Handler>> {
    vec![
        Arc::new(Reaction {
            name: "reaction:decision-creates-task",
            from_context: "debate",
            from_type: "DecisionMade",
            to_context: "implementation",
            to_type: "TaskCreated",
            build: |e| {
                (
                    format!("task-{}", e.event_id.simple()),
                    json!({ "title": field(e, "decision"), "decision_id": e.aggregate_id }),
                )
            },
        }),
        Arc::new(Reaction {
            name: "reaction:breach-triggers-improvement",
            from_context: "performance",
            from_type: "ThresholdBreached",
            to_context: "evolution",
            to_type: "ImprovementTriggered",
            build: |e| {
                (
                    format!("improvement-{}", e.event_id.simple()),
                    json!({ "reason": "threshold breached", "metric": field(e, "metric"),
                            "value": field(e, "value"), "threshold": field(e, "threshold") }),
                )
            },
        }),
        Arc::new(Reaction {
            name: "reaction:test-results-report-metrics",
            from_context: "testing",
            from_type: "TestRunCompleted",
            to_context: "performance",
            to_type: "MetricRecorded",
            build: |e| {
                (
                    e.aggregate_id.clone(),
                    json!({ "metric": "tests.passed", "value": field(e, "passed"),
                            "failed": field(e, "failed") }),
                )
            },
        }),
        Arc::new(Reaction {
            name: "reaction:evolution-opens-pr",
            from_context: "evolution",
            from_type: "EvolutionApplied",
            to_context: "implementation",
            to_type: "PullRequestOpened",
            build: |e| {
                (
                    format!("pr-{}", e.event_id.simple()),
                    json!({ "title": format!("Apply evolution {}", e.aggregate_id),
                            "evolution_id": e.aggregate_id }),
                )
            },
        }),
    ]
}

/// A handler that fails its first attempt at every `every`th event (by event
/// id) and otherwise does what `inner` does: a transient fault, mended by the
/// bus's retry, for fault runs (`bridge --transient-failures N`).
struct FailsFirstAttempt {
    inner: Arc<dyn Handler>,
    every: u128,
}

impl Handler for FailsFirstAttempt {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn wants(&self, env: &Envelope) -> bool {
        self.inner.wants(env)
    }
    fn handle<'a>(
        &'a self,
        env: &'a Envelope,
        ctx: &'a HandlerCtx,
    ) -> BoxFuture<'a, Result<Vec<Emit>, HandlerError>> {
        if ctx.attempt <= 1 && env.event_id.as_u128().is_multiple_of(self.every) {
            return Box::pin(async {
                Err(HandlerError::new(
                    "transient",
                    "injected: the first attempt fails, a retry succeeds",
                ))
            });
        }
        self.inner.handle(env, ctx)
    }
}

/// `handlers`, each failing its first attempt at every `every`th event.
pub fn failing_first_attempts(
    handlers: Vec<Arc<dyn Handler>>,
    every: u32,
) -> Vec<Arc<dyn Handler>> {
    let every = u128::from(every.max(1));
    handlers
        .into_iter()
        .map(|inner| Arc::new(FailsFirstAttempt { inner, every }) as Arc<dyn Handler>)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::TRACEPARENT;

    #[tokio::test]
    async fn each_reaction_links_its_effect_to_the_cause() {
        let cases = [
            ("debate", "DecisionMade", "implementation", "TaskCreated"),
            (
                "performance",
                "ThresholdBreached",
                "evolution",
                "ImprovementTriggered",
            ),
            (
                "testing",
                "TestRunCompleted",
                "performance",
                "MetricRecorded",
            ),
            (
                "evolution",
                "EvolutionApplied",
                "implementation",
                "PullRequestOpened",
            ),
        ];
        let reactions = all();
        let ctx = HandlerCtx::local(vec![(TRACEPARENT.into(), "00-t-s-01".into())]);
        for (fc, ft, tc, tt) in cases {
            let cause = Envelope::new(fc, ft, "agg", json!({}));
            let r: Vec<_> = reactions.iter().filter(|r| r.wants(&cause)).collect();
            assert_eq!(r.len(), 1, "{ft}");
            let emits = r[0].handle(&cause, &ctx).await.unwrap();
            let e = &emits[0].envelope;
            assert_eq!((e.context.as_str(), e.event_type.as_str()), (tc, tt));
            assert_eq!(e.correlation_id, cause.correlation_id);
            assert_eq!(e.causation_id, Some(cause.event_id));
            assert_eq!(emits[0].headers[0].1, "00-t-s-01");
            assert_eq!(emits[0].headers.len(), 1, "no new correlation to mark");
        }
    }

    #[tokio::test]
    async fn an_effect_of_a_cause_without_correlation_marks_its_new_one() {
        let cause = Envelope {
            correlation_id: None,
            ..Envelope::new("debate", "DecisionMade", "d-1", json!({}))
        };
        let ctx = HandlerCtx::local(Vec::new());
        let reactions = all();
        let r = reactions.iter().find(|r| r.wants(&cause)).unwrap();
        let emits = r.handle(&cause, &ctx).await.unwrap();
        let e = &emits[0].envelope;
        assert!(e.correlation_id.is_some());
        assert_eq!(e.causation_id, Some(cause.event_id));
        assert_eq!(
            emits[0].headers,
            vec![(
                crate::bus::CORRELATION_STARTED.to_string(),
                format!("new: cause {} carried none", cause.event_id)
            )]
        );
    }
}
