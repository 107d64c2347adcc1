//! The event envelope: the canonical shape of every event eventdeck publishes.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// Digits of sub-second precision kept in `occurred_at`.
///
/// Microseconds, because that is what the wire format carries (fixed-width
/// `…T12:00:00.123456Z`) and what Python's `datetime.isoformat()` in the systems
/// we grew out of writes; keeping the in-memory value at the same precision is
/// what makes encode → decode an exact round trip.
pub const OCCURRED_AT_SUBSEC_DIGITS: u16 = 6;

/// One domain event with its metadata: what happened, where, when, and why.
///
/// `correlation_id` ties every event of one flow together (`None` when an event
/// read from another producer carried none: it is never made up from the event
/// id); `causation_id` is the `event_id` of the event that caused this one
/// (`None` for a root event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique id of this event.
    pub event_id: Uuid,
    /// Event type name, e.g. `DecisionMade`.
    pub event_type: String,
    /// Version of the `data` schema for this event type (starts at 1).
    pub schema_version: u32,
    /// Bounded context that emitted the event, e.g. `debate`.
    pub context: String,
    /// Id of the aggregate the event belongs to (usually also the record key).
    pub aggregate_id: String,
    /// When the event happened; serialised as RFC 3339 UTC with microseconds.
    #[serde(with = "occurred_at_format")]
    pub occurred_at: DateTime<Utc>,
    /// Id shared by every event of one flow. Every event eventdeck writes has
    /// one; `None` only for an event read from a producer that wrote none.
    pub correlation_id: Option<Uuid>,
    /// `event_id` of the event that caused this one; `None` for a root event.
    pub causation_id: Option<Uuid>,
    /// The event's payload.
    pub data: Value,
}

impl Envelope {
    /// New root event: fresh `event_id`, `correlation_id` = a fresh uuid, no
    /// causation, `schema_version` 1, `occurred_at` now (UTC, microseconds).
    pub fn new(
        context: impl Into<String>,
        event_type: impl Into<String>,
        aggregate_id: impl Into<String>,
        data: Value,
    ) -> Self {
        Self {
            event_id: Uuid::new_v4(),
            event_type: event_type.into(),
            schema_version: 1,
            context: context.into(),
            aggregate_id: aggregate_id.into(),
            occurred_at: now(),
            correlation_id: Some(Uuid::new_v4()),
            causation_id: None,
            data,
        }
    }

    /// An effect of `cause`: same `correlation_id` (a new one when the cause
    /// carried none: see [`Envelope::starts_correlation`]), `causation_id` =
    /// `cause.event_id`.
    pub fn caused_by(
        cause: &Envelope,
        context: impl Into<String>,
        event_type: impl Into<String>,
        aggregate_id: impl Into<String>,
        data: Value,
    ) -> Self {
        Self {
            causation_id: Some(cause.event_id),
            ..Self::new(context, event_type, aggregate_id, data)
        }
        .with_cause_correlation(cause)
    }

    /// True when this effect of `cause` got a correlation id of its own because
    /// the cause had none (the flow starts here as far as ids can tell).
    pub fn starts_correlation(&self, cause: &Envelope) -> bool {
        cause.correlation_id.is_none() && self.correlation_id.is_some()
    }

    fn with_cause_correlation(self, cause: &Envelope) -> Self {
        match cause.correlation_id {
            Some(id) => self.with_correlation_id(id),
            None => self,
        }
    }

    /// The same event with another `correlation_id`.
    pub fn with_correlation_id(self, id: Uuid) -> Self {
        Self {
            correlation_id: Some(id),
            ..self
        }
    }

    /// The same event with another `schema_version`.
    pub fn with_schema_version(self, v: u32) -> Self {
        Self {
            schema_version: v,
            ..self
        }
    }

    /// The same event at another time, truncated to microseconds like [`Envelope::new`].
    pub fn with_occurred_at(self, at: DateTime<Utc>) -> Self {
        Self {
            occurred_at: at.trunc_subsecs(OCCURRED_AT_SUBSEC_DIGITS),
            ..self
        }
    }

    /// True when nothing caused this event (it starts a flow).
    pub fn is_root(&self) -> bool {
        self.causation_id.is_none()
    }

    /// `occurred_at` exactly as it is written on the wire (value and header).
    pub fn occurred_at_rfc3339(&self) -> String {
        format_time(&self.occurred_at)
    }

    /// The canonical JSON value of the envelope.
    ///
    /// Keys come out sorted (serde_json's map is ordered), so the same envelope
    /// always encodes to the same bytes — the property JSON canonicalisation
    /// (RFC 8785) is after, and what lets a re-encoded event be compared bytewise.
    pub fn to_json(&self) -> Value {
        json!({
            "event_id": self.event_id.to_string(),
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "context": self.context,
            "aggregate_id": self.aggregate_id,
            "occurred_at": self.occurred_at_rfc3339(),
            "correlation_id": self.correlation_id.map(|id| id.to_string()),
            "causation_id": self.causation_id.map(|id| id.to_string()),
            "data": self.data,
        })
    }
}

/// Now, truncated to the precision the wire format keeps.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(OCCURRED_AT_SUBSEC_DIGITS)
}

/// RFC 3339, UTC with `Z`, always six fractional digits.
pub(crate) fn format_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Serde representation of `occurred_at`: fixed-width RFC 3339 so the JSON is stable.
mod occurred_at_format {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_time(at))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Timelike};

    fn sample() -> Envelope {
        Envelope::new(
            "debate",
            "DecisionMade",
            "debate-1",
            json!({"decision": "ship"}),
        )
    }

    #[test]
    fn new_is_a_root_event_at_version_one() {
        let env = sample();
        assert_eq!(env.schema_version, 1);
        assert!(env.is_root());
        assert_ne!(env.correlation_id, Some(env.event_id));
        assert!(env.correlation_id.is_some());
        assert_eq!(env.context, "debate");
        assert_eq!(env.event_type, "DecisionMade");
        assert_eq!(env.aggregate_id, "debate-1");
        assert_eq!(env.occurred_at.nanosecond() % 1_000, 0);
    }

    #[test]
    fn caused_by_keeps_correlation_and_links_the_cause() {
        let cause = sample();
        let effect = Envelope::caused_by(&cause, "implementation", "TaskCreated", "t-1", json!({}));
        assert_eq!(effect.correlation_id, cause.correlation_id);
        assert_eq!(effect.causation_id, Some(cause.event_id));
        assert_ne!(effect.event_id, cause.event_id);
        assert!(!effect.is_root());
        assert!(!effect.starts_correlation(&cause));
    }

    #[test]
    fn an_effect_of_a_cause_without_correlation_starts_one() {
        let cause = Envelope {
            correlation_id: None,
            ..sample()
        };
        let effect = Envelope::caused_by(&cause, "implementation", "TaskCreated", "t-1", json!({}));
        assert!(effect.correlation_id.is_some());
        assert_ne!(effect.correlation_id, Some(cause.event_id));
        assert_eq!(effect.causation_id, Some(cause.event_id));
        assert!(effect.starts_correlation(&cause));
        assert_eq!(cause.to_json()["correlation_id"], Value::Null);
    }

    #[test]
    fn builders_replace_one_field() {
        let id = Uuid::new_v4();
        let env = sample().with_correlation_id(id).with_schema_version(3);
        assert_eq!(env.correlation_id, Some(id));
        assert_eq!(env.schema_version, 3);
    }

    #[test]
    fn with_occurred_at_truncates_to_micros() {
        let at = Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .unwrap();
        let env = sample().with_occurred_at(at);
        assert_eq!(env.occurred_at.nanosecond(), 123_456_000);
        assert_eq!(env.occurred_at_rfc3339(), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn serde_and_canonical_json_agree() {
        let env = Envelope::caused_by(
            &sample(),
            "testing",
            "TestRunCompleted",
            "s",
            json!([1, "x"]),
        );
        assert_eq!(serde_json::to_value(&env).unwrap(), env.to_json());
        let back: Envelope = serde_json::from_value(env.to_json()).unwrap();
        assert_eq!(back, env);
    }

    #[test]
    fn occurred_at_is_fixed_width_utc() {
        let at = Utc.timestamp_opt(1_700_000_000, 0).single().unwrap();
        let env = sample().with_occurred_at(at);
        assert_eq!(env.to_json()["occurred_at"], "2023-11-14T22:13:20.000000Z");
    }

    #[test]
    fn root_event_serialises_causation_as_null() {
        assert_eq!(sample().to_json()["causation_id"], Value::Null);
    }
}
