//! The event type registry: known event types per context, their templates for
//! the inject form, and the upcaster chains that bring old schema versions up to date.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::envelope::Envelope;

/// Below this depth an observed payload's template is cut to `null`: templates are
/// for a form a person fills in, and the limit keeps the recursion bounded.
const TEMPLATE_MAX_DEPTH: usize = 32;

/// Description given to event types registered by [`EventTypeRegistry::observe`].
pub const OBSERVED_DESCRIPTION: &str = "seen on the wire";

/// What eventdeck knows about one event type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeInfo {
    /// Event type name, e.g. `DecisionMade`.
    pub event_type: String,
    /// Bounded context that emits it.
    pub context: String,
    /// The newest schema version; older events are upcast to it.
    pub latest_version: u32,
    /// An example `data` at `latest_version`, to start an injected event from.
    pub template: Value,
    /// One line on what the event means.
    pub description: String,
}

impl EventTypeInfo {
    /// Info for `event_type` in `context`.
    pub fn new(
        context: impl Into<String>,
        event_type: impl Into<String>,
        latest_version: u32,
        template: Value,
        description: impl Into<String>,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            context: context.into(),
            latest_version,
            template,
            description: description.into(),
        }
    }
}

/// Why an event could not be brought up to its type's latest version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    /// No upcaster is registered for the step `from → from + 1`.
    #[error("no upcaster for {event_type} v{from} → v{next}", next = u64::from(*.from) + 1)]
    MissingStep {
        /// The event type.
        event_type: String,
        /// The version the missing step starts from.
        from: u32,
    },
    /// The upcaster for `from → from + 1` rejected the data.
    #[error("upcasting {event_type} v{from} → v{next} failed: {message}", next = u64::from(*.from) + 1)]
    Failed {
        /// The event type.
        event_type: String,
        /// The version the failed step starts from.
        from: u32,
        /// The upcaster's reason.
        message: String,
    },
}

/// One schema step: `data` at version v in, `data` at v + 1 out.
type Upcaster = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// Event types by name, with upcasters by `(event_type, from_version)`.
///
/// Event type names are unique across contexts: the first registration's context wins.
#[derive(Clone, Default)]
pub struct EventTypeRegistry {
    types: BTreeMap<String, EventTypeInfo>,
    upcasters: BTreeMap<String, BTreeMap<u32, Upcaster>>,
}

impl fmt::Debug for EventTypeRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: Vec<(&str, u32)> = self
            .upcasters
            .iter()
            .flat_map(|(event_type, steps)| {
                steps.keys().map(move |from| (event_type.as_str(), *from))
            })
            .collect();
        f.debug_struct("EventTypeRegistry")
            .field("types", &self.types)
            .field("upcasters", &steps)
            .finish()
    }
}

impl EventTypeRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The demo's event types for the five default contexts, with the
    /// `TestRunCompleted` v1 → v2 upcaster (`duration` seconds → `duration_ms`).
    pub fn with_defaults() -> Self {
        let mut registry = Self::new();
        for info in default_types() {
            registry.register(info);
        }
        registry.add_upcaster("TestRunCompleted", 1, test_run_completed_v1_to_v2);
        registry
    }

    /// Adds or replaces an event type.
    pub fn register(&mut self, info: EventTypeInfo) {
        self.types.insert(info.event_type.clone(), info);
    }

    /// Registers the type of an event seen for the first time: its context, its
    /// `schema_version` as latest, and its `data` with values blanked (`""`, `0`,
    /// `false`, `[]`) as template. Returns true if the type was new; a known type
    /// is left as it is.
    pub fn observe(&mut self, env: &Envelope) -> bool {
        if self.types.contains_key(&env.event_type) {
            return false;
        }
        self.register(EventTypeInfo::new(
            env.context.clone(),
            env.event_type.clone(),
            env.schema_version,
            placeholder(&env.data, 0),
            OBSERVED_DESCRIPTION,
        ));
        true
    }

    /// Registers the step `from_version → from_version + 1` for `event_type`,
    /// replacing any earlier one. It does not change the type's `latest_version`:
    /// that is declared by [`EventTypeRegistry::register`].
    pub fn add_upcaster(
        &mut self,
        event_type: &str,
        from_version: u32,
        f: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) {
        self.upcasters
            .entry(event_type.to_string())
            .or_default()
            .insert(from_version, Arc::new(f));
    }

    /// True when [`EventTypeRegistry::upcast`] would change `env` (it is a known
    /// type older than its latest version). Lets a caller clone only when needed.
    pub fn needs_upcast(&self, env: &Envelope) -> bool {
        self.get(&env.event_type)
            .is_some_and(|info| env.schema_version < info.latest_version)
    }

    /// Applies the chain from `env.schema_version` up to the type's latest version,
    /// one step `v → v + 1` at a time. Unknown types, and events already at (or
    /// newer than) the latest version, pass through unchanged.
    pub fn upcast(&self, mut env: Envelope) -> Result<Envelope, UpcastError> {
        let Some(info) = self.types.get(&env.event_type) else {
            return Ok(env);
        };
        let steps = self.upcasters.get(&env.event_type);
        while env.schema_version < info.latest_version {
            let from = env.schema_version;
            let Some(step) = steps.and_then(|steps| steps.get(&from)) else {
                return Err(UpcastError::MissingStep {
                    event_type: env.event_type,
                    from,
                });
            };
            env.data =
                step(std::mem::take(&mut env.data)).map_err(|message| UpcastError::Failed {
                    event_type: env.event_type.clone(),
                    from,
                    message,
                })?;
            env.schema_version = from + 1;
        }
        Ok(env)
    }

    /// The event types of `context`, by name.
    pub fn types_for(&self, context: &str) -> Vec<&EventTypeInfo> {
        self.types
            .values()
            .filter(|info| info.context == context)
            .collect()
    }

    /// The info for `event_type`.
    pub fn get(&self, event_type: &str) -> Option<&EventTypeInfo> {
        self.types.get(event_type)
    }

    /// Every event type, sorted by context then name.
    pub fn all(&self) -> Vec<&EventTypeInfo> {
        let mut all: Vec<&EventTypeInfo> = self.types.values().collect();
        all.sort_by(|a, b| (&a.context, &a.event_type).cmp(&(&b.context, &b.event_type)));
        all
    }

    /// How many event types are registered.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// True when no event type is registered.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

fn default_types() -> Vec<EventTypeInfo> {
    vec![
        EventTypeInfo::new(
            "debate",
            "DecisionMade",
            1,
            json!({
                "question": "Should we adopt Kafka for cross-context events?",
                "decision": "Adopt Kafka with one topic per bounded context",
                "rationale": "Durable, replayable and decoupled delivery",
                "participants": ["architect", "tech-lead"]
            }),
            "A debate reached a decision; implementation creates tasks from it",
        ),
        EventTypeInfo::new(
            "debate",
            "DebateStarted",
            1,
            json!({"topic": "Event schema evolution strategy"}),
            "A debate was opened on a topic",
        ),
        EventTypeInfo::new(
            "implementation",
            "TaskCreated",
            1,
            json!({
                "task_id": "TASK-101",
                "title": "Add a dead-letter queue to the event bridge",
                "source": "debate"
            }),
            "A task was created, usually from a decision",
        ),
        EventTypeInfo::new(
            "implementation",
            "PullRequestOpened",
            1,
            json!({
                "pr_number": 42,
                "title": "Batch consumer commits",
                "branch": "evolution/batch-commits"
            }),
            "A pull request was opened, usually for an applied evolution",
        ),
        EventTypeInfo::new(
            "performance",
            "MetricRecorded",
            1,
            json!({"metric": "p99_latency_ms", "value": 180.0, "threshold": 250.0}),
            "A metric was measured, e.g. from a test run",
        ),
        EventTypeInfo::new(
            "performance",
            "ThresholdBreached",
            1,
            json!({"metric": "p99_latency_ms", "value": 320.0, "threshold": 250.0}),
            "A metric crossed its threshold; evolution triggers an improvement",
        ),
        EventTypeInfo::new(
            "testing",
            "TestRunCompleted",
            2,
            json!({"suite": "integration", "passed": 118, "failed": 2, "duration_ms": 42500}),
            "A test suite finished; performance records its metrics (v2: duration_ms)",
        ),
        EventTypeInfo::new(
            "evolution",
            "ImprovementTriggered",
            1,
            json!({
                "area": "event-bridge",
                "reason": "p99 latency above threshold",
                "metric": "p99_latency_ms"
            }),
            "An improvement was triggered by a breached threshold",
        ),
        EventTypeInfo::new(
            "evolution",
            "EvolutionApplied",
            1,
            json!({"change": "Increase consumer batch size to 500"}),
            "An improvement was applied; implementation opens a pull request",
        ),
    ]
}

/// `TestRunCompleted` v1 → v2: `duration` (seconds) becomes `duration_ms` (integer
/// milliseconds). A v1 event without `duration` passes through unchanged.
fn test_run_completed_v1_to_v2(data: Value) -> Result<Value, String> {
    let Value::Object(mut map) = data else {
        return Err("data is not a JSON object".to_string());
    };
    let Some(duration) = map.remove("duration") else {
        return Ok(Value::Object(map));
    };
    let seconds = duration
        .as_f64()
        .filter(|s| s.is_finite())
        .ok_or_else(|| format!("duration {duration} is not a number of seconds"))?;
    let millis = (seconds * 1000.0).round();
    // Integer milliseconds when they fit, as v2 producers write them.
    let millis = if millis.abs() < 9.0e15 {
        Value::from(millis as i64)
    } else {
        Value::from(millis)
    };
    map.insert("duration_ms".to_string(), millis);
    Ok(Value::Object(map))
}

/// `value` with every leaf blanked, for a template a person fills in.
fn placeholder(value: &Value, depth: usize) -> Value {
    if depth >= TEMPLATE_MAX_DEPTH {
        return Value::Null;
    }
    match value {
        Value::Null => Value::Null,
        Value::Bool(_) => Value::Bool(false),
        Value::Number(n) if n.is_f64() => json!(0.0),
        Value::Number(_) => json!(0),
        Value::String(_) => json!(""),
        Value::Array(_) => json!([]),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| (key.clone(), placeholder(v, depth + 1)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, version: u32, data: Value) -> Envelope {
        Envelope::new("testing", event_type, "agg", data).with_schema_version(version)
    }

    #[test]
    fn defaults_cover_every_default_context() {
        let registry = EventTypeRegistry::with_defaults();
        assert_eq!(registry.len(), 9);
        for context in super::super::contexts::DEFAULT_CONTEXTS {
            assert!(!registry.types_for(context).is_empty(), "{context}");
        }
        let names: Vec<_> = registry
            .types_for("debate")
            .iter()
            .map(|i| i.event_type.as_str())
            .collect();
        assert_eq!(names, ["DebateStarted", "DecisionMade"]);
        let decision = registry.get("DecisionMade").unwrap();
        assert!(decision.template["participants"].is_array());
        assert_eq!(registry.get("TestRunCompleted").unwrap().latest_version, 2);
        assert!(
            registry
                .get("TestRunCompleted")
                .unwrap()
                .template
                .get("duration_ms")
                .is_some()
        );
    }

    #[test]
    fn all_is_sorted_by_context_then_type() {
        let registry = EventTypeRegistry::with_defaults();
        let all: Vec<_> = registry
            .all()
            .iter()
            .map(|i| (i.context.as_str(), i.event_type.as_str()))
            .collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(all, sorted);
        assert_eq!(all[0], ("debate", "DebateStarted"));
        assert_eq!(all.last().copied(), Some(("testing", "TestRunCompleted")));
    }

    #[test]
    fn test_run_completed_v1_is_upcast_to_v2() {
        let registry = EventTypeRegistry::with_defaults();
        let v1 = event(
            "TestRunCompleted",
            1,
            json!({"suite": "unit", "passed": 3, "failed": 0, "duration": 1.25}),
        );
        assert!(registry.needs_upcast(&v1));
        let v2 = registry.upcast(v1.clone()).unwrap();
        assert_eq!(v2.schema_version, 2);
        assert_eq!(
            v2.data,
            json!({"suite": "unit", "passed": 3, "failed": 0, "duration_ms": 1250})
        );
        assert_eq!(v2.event_id, v1.event_id);
        assert!(!registry.needs_upcast(&v2));
        assert_eq!(registry.upcast(v2.clone()).unwrap(), v2);
    }

    #[test]
    fn upcaster_failure_names_the_step() {
        let registry = EventTypeRegistry::with_defaults();
        let bad = event("TestRunCompleted", 1, json!({"duration": "slow"}));
        let error = registry.upcast(bad).unwrap_err();
        assert_eq!(
            error.to_string(),
            "upcasting TestRunCompleted v1 → v2 failed: duration \"slow\" is not a number of seconds"
        );
        assert!(matches!(error, UpcastError::Failed { from: 1, .. }));
        assert!(
            registry
                .upcast(event("TestRunCompleted", 1, json!(7)))
                .is_err()
        );
    }

    #[test]
    fn chain_applies_each_step_in_order() {
        let mut registry = EventTypeRegistry::new();
        registry.register(EventTypeInfo::new("c", "Evolving", 4, json!({}), "d"));
        for from in 1..4 {
            registry.add_upcaster("Evolving", from, move |mut data| {
                data["steps"]
                    .as_array_mut()
                    .ok_or("no steps")?
                    .push(json!(from));
                Ok(data)
            });
        }
        let up = registry
            .upcast(event("Evolving", 1, json!({"steps": []})))
            .unwrap();
        assert_eq!(up.schema_version, 4);
        assert_eq!(up.data, json!({"steps": [1, 2, 3]}));
        let from_three = registry
            .upcast(event("Evolving", 3, json!({"steps": []})))
            .unwrap();
        assert_eq!(from_three.data, json!({"steps": [3]}));
    }

    #[test]
    fn missing_step_is_an_error() {
        let mut registry = EventTypeRegistry::new();
        registry.register(EventTypeInfo::new("c", "Gap", 3, json!({}), "d"));
        registry.add_upcaster("Gap", 1, Ok);
        let error = registry.upcast(event("Gap", 1, json!({}))).unwrap_err();
        assert_eq!(
            error,
            UpcastError::MissingStep {
                event_type: "Gap".into(),
                from: 2
            }
        );
        assert_eq!(error.to_string(), "no upcaster for Gap v2 → v3");
    }

    #[test]
    fn unknown_and_newer_events_pass_through() {
        let registry = EventTypeRegistry::with_defaults();
        let unknown = event("Mystery", 1, json!({"x": 1}));
        assert_eq!(registry.upcast(unknown.clone()).unwrap(), unknown);
        let newer = event("TestRunCompleted", 5, json!({}));
        assert_eq!(registry.upcast(newer.clone()).unwrap(), newer);
        assert!(!registry.needs_upcast(&unknown));
    }

    #[test]
    fn observe_registers_new_types_once_with_a_blank_template() {
        let mut registry = EventTypeRegistry::new();
        let env = Envelope::new(
            "billing",
            "InvoicePaid",
            "inv-1",
            json!({"amount": 12.5, "count": 3, "paid": true, "who": "ann", "lines": [1], "meta": {"k": "v"}, "n": null}),
        )
        .with_schema_version(3);
        assert!(registry.observe(&env));
        assert!(!registry.observe(&env));
        let info = registry.get("InvoicePaid").unwrap();
        assert_eq!(info.context, "billing");
        assert_eq!(info.latest_version, 3);
        assert_eq!(info.description, OBSERVED_DESCRIPTION);
        assert_eq!(
            info.template,
            json!({"amount": 0.0, "count": 0, "paid": false, "who": "", "lines": [], "meta": {"k": ""}, "n": null})
        );
        assert_eq!(registry.types_for("billing").len(), 1);
    }

    #[test]
    fn observe_leaves_registered_types_alone() {
        let mut registry = EventTypeRegistry::with_defaults();
        let env = Envelope::new("elsewhere", "DecisionMade", "x", json!({})).with_schema_version(9);
        assert!(!registry.observe(&env));
        let info = registry.get("DecisionMade").unwrap();
        assert_eq!((info.context.as_str(), info.latest_version), ("debate", 1));
    }

    #[test]
    fn deep_templates_are_cut() {
        let mut deep = json!("leaf");
        for _ in 0..100 {
            deep = json!({ "d": deep });
        }
        let template = placeholder(&deep, 0);
        let mut depth = 0;
        let mut cursor = &template;
        while let Some(inner) = cursor.get("d") {
            cursor = inner;
            depth += 1;
        }
        assert_eq!(depth, TEMPLATE_MAX_DEPTH);
        assert!(cursor.is_null());
    }

    #[test]
    fn registry_clones_share_upcasters() {
        let registry = EventTypeRegistry::with_defaults().clone();
        let v1 = event("TestRunCompleted", 1, json!({"duration": 2}));
        assert_eq!(
            registry.upcast(v1).unwrap().data,
            json!({"duration_ms": 2000})
        );
        assert!(format!("{registry:?}").contains("TestRunCompleted"));
    }
}
