//! Reading our envelope leniently from JSON that other producers may have written.
//!
//! Accepts the canonical field names, common aliases (`id`, `type`, `timestamp`,
//! camelCase, `payload`), a `metadata` object holding the correlation and
//! causation ids (as the Python system eventdeck grew out of writes them), and
//! falls back to the mirrored record headers, then to the correlation headers
//! other stacks write, for any metadata the body leaves out. Ids and times must
//! still parse: a body that only resembles an envelope is plain JSON, with the
//! reason kept for display.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::envelope::Envelope;
use super::headers::HeaderView;
use super::headers::{
    HEADER_AGGREGATE_ID, HEADER_CAUSATION_ID, HEADER_CONTEXT, HEADER_CORRELATION_ID,
    HEADER_OCCURRED_AT, HEADER_SCHEMA_VERSION, header_str,
};
use super::json_text::short_json;

const EVENT_ID: &[&str] = &["event_id", "eventId", "id"];
const EVENT_TYPE: &[&str] = &["event_type", "eventType", "type"];
const OCCURRED_AT: &[&str] = &["occurred_at", "occurredAt", "timestamp"];
const SCHEMA_VERSION: &[&str] = &["schema_version", "schemaVersion"];
const CONTEXT: &[&str] = &["context"];
const AGGREGATE_ID: &[&str] = &["aggregate_id", "aggregateId"];
const CORRELATION_ID: &[&str] = &["correlation_id", "correlationId"];
const CAUSATION_ID: &[&str] = &["causation_id", "causationId"];
const DATA: &[&str] = &["data", "payload"];
/// The object some producers keep correlation, causation and source in.
const METADATA: &str = "metadata";
/// Headers other stacks carry the correlation id in, after our own
/// `correlation_id`: HTTP gateways' `X-Correlation-ID`, a binary CloudEvent's
/// `ce_correlationid` extension (looked up case-insensitively).
const FOREIGN_CORRELATION_HEADERS: [&str; 2] = ["X-Correlation-ID", "ce_correlationid"];
/// Where an event without a `context` may name its producer, in order.
const SOURCE_FIELDS: [(&str, &str); 2] = [("metadata.source", "source"), ("source", "source")];

/// Naive ISO 8601 forms taken as UTC: Python's `datetime.utcnow().isoformat()`
/// writes no offset, and the system eventdeck grew out of is Python.
const NAIVE_TIME_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"];

/// True when the object names an event id and an event type, so it is meant as an envelope.
pub(crate) fn looks_like_envelope(map: &Map<String, Value>) -> bool {
    field(map, EVENT_ID).is_some() && field(map, EVENT_TYPE).is_some()
}

/// The envelope in `map`, or `map` back with the reasons it is not one.
pub(crate) fn envelope_from_object(
    mut map: Map<String, Value>,
    headers: &(impl HeaderView + ?Sized),
) -> Result<Envelope, (Map<String, Value>, String)> {
    let meta = match read_metadata(&map, headers) {
        Ok(meta) => meta,
        Err(reasons) => return Err((map, format!("not an envelope: {}", reasons.join("; ")))),
    };
    // `data: null` is a present, empty payload; only a missing one falls back to `payload`.
    let data = DATA
        .iter()
        .find_map(|name| map.remove(*name))
        .unwrap_or(Value::Null);
    Ok(Envelope {
        event_id: meta.event_id,
        event_type: meta.event_type,
        schema_version: meta.schema_version,
        context: meta.context,
        aggregate_id: meta.aggregate_id,
        occurred_at: meta.occurred_at,
        correlation_id: meta.correlation_id,
        causation_id: meta.causation_id,
        data,
    })
}

/// The canonical envelope as we (and the seed) write it, read in one pass with no
/// intermediate JSON tree: every field present under its canonical name, ids and
/// time already in canonical form. `None` whenever the body is anything else
/// (other names, a missing field, a number where text was expected, an escaped
/// id, a `specversion`, a duplicate key …), and then the lenient path decides.
/// Where this answers, it answers exactly what [`envelope_from_object`] would
/// (`tests/domain_props.rs` checks that on generated bodies).
pub(crate) fn canonical_envelope(
    bytes: &[u8],
    headers: &(impl HeaderView + ?Sized),
) -> Option<Envelope> {
    let m = canonical::<Value>(bytes, headers)?;
    Some(Envelope {
        event_id: m.event_id,
        event_type: m.event_type.to_string(),
        schema_version: m.schema_version,
        context: m.context.to_string(),
        aggregate_id: m.aggregate_id.to_string(),
        occurred_at: m.occurred_at,
        correlation_id: Some(m.correlation_id),
        causation_id: m.causation_id,
        data: m.data,
    })
}

/// A canonical envelope's fields, its strings still borrowed from the record
/// and its `data` read as `D` (a [`Value`], or the glance's `CheckedAny` to
/// check it without building it).
pub(crate) struct CanonicalParts<'a, D> {
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub schema_version: u32,
    pub context: &'a str,
    pub aggregate_id: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub data: D,
}

/// [`canonical_envelope`] without building it (see there).
pub(crate) fn canonical<'a, D: serde::Deserialize<'a>>(
    bytes: &'a [u8],
    headers: &(impl HeaderView + ?Sized),
) -> Option<CanonicalParts<'a, D>> {
    let wire: Canonical<'a, D> = serde_json::from_slice(bytes).ok()?;
    parts_of(wire, headers)
}

/// [`canonical`] with `data` unread (its span in `bytes`), for a body with
/// no field but the canonical ones: `None` too when it has any other (a
/// reader that looks only into `data` would miss it).
pub(crate) fn canonical_exact<'a>(
    bytes: &'a [u8],
    headers: &(impl HeaderView + ?Sized),
) -> Option<CanonicalParts<'a, &'a serde_json::value::RawValue>> {
    use serde::Deserializer as _;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let wire = de.deserialize_map(ExactVisitor).ok()??;
    de.end().ok()?;
    parts_of(wire, headers)
}

/// Reads an object into a [`Canonical`] borrowing `data`; `None` when the
/// object has a field [`Canonical`] does not name, or names `specversion`
/// or `metadata`; an error on a duplicate field, as the derived reader.
struct ExactVisitor;

impl<'de> serde::de::Visitor<'de> for ExactVisitor {
    type Value = Option<Canonical<'de, &'de serde_json::value::RawValue>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an envelope object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut w = Canonical {
            event_id: None,
            event_type: None,
            schema_version: None,
            context: None,
            aggregate_id: None,
            occurred_at: None,
            correlation_id: None,
            causation_id: None,
            data: None,
            specversion: None,
            metadata: None,
        };
        let mut seen = 0u16;
        let mut exact = true;
        // Each canonical field once (a second is an error, as the derived
        // reader says), into its slot.
        macro_rules! once {
            ($bit:expr, $slot:expr, $key:expr) => {
                once!($bit, $slot, $key, map.next_value()?)
            };
            ($bit:expr, $slot:expr, $key:expr, $value:expr) => {{
                if seen & (1 << $bit) != 0 {
                    return Err(A::Error::custom(format!("duplicate field `{}`", $key)));
                }
                seen |= 1 << $bit;
                $slot = $value;
            }};
        }
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::EventId => once!(0, w.event_id, "event_id"),
                Field::EventType => once!(1, w.event_type, "event_type"),
                Field::SchemaVersion => once!(2, w.schema_version, "schema_version"),
                Field::Context => once!(3, w.context, "context"),
                Field::AggregateId => once!(4, w.aggregate_id, "aggregate_id"),
                Field::OccurredAt => once!(5, w.occurred_at, "occurred_at"),
                Field::CorrelationId => once!(6, w.correlation_id, "correlation_id"),
                Field::CausationId => once!(7, w.causation_id, "causation_id"),
                // Present, even as `null` (the derived reader's `present`).
                Field::Data => once!(8, w.data, "data", Some(map.next_value()?)),
                Field::Other => {
                    exact = false;
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(exact.then_some(w))
    }
}

/// A member name as [`ExactVisitor`] tells them apart: a canonical field,
/// in slot order (the envelope's fields, then `data`), or any other. Read as
/// serde's derived field identifiers are, without copying the name (a
/// `Cow<str>` key is always an owned copy: nine allocations a record).
#[derive(Clone, Copy, serde::Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    EventId,
    EventType,
    SchemaVersion,
    Context,
    AggregateId,
    OccurredAt,
    CorrelationId,
    CausationId,
    Data,
    #[serde(other)]
    Other,
}

/// [`CanonicalParts`] of a body read as [`Canonical`]: `None` unless every
/// field is there in canonical form.
fn parts_of<'a, D>(
    wire: Canonical<'a, D>,
    headers: &(impl HeaderView + ?Sized),
) -> Option<CanonicalParts<'a, D>> {
    if wire.specversion.is_some() {
        return None;
    }
    let causation_id = match wire.causation_id {
        Some(text) => Some(Uuid::parse_str(text).ok()?),
        // A missing or null body field falls back to `metadata` and the header
        // in the lenient path.
        None if wire.metadata.is_some() => return None,
        None if header_text(headers, HEADER_CAUSATION_ID).is_some() => return None,
        None => None,
    };
    Some(CanonicalParts {
        event_id: Uuid::parse_str(wire.event_id?).ok()?,
        event_type: wire.event_type?,
        schema_version: wire.schema_version?,
        context: wire.context?,
        aggregate_id: wire.aggregate_id?,
        occurred_at: DateTime::parse_from_rfc3339(wire.occurred_at?)
            .ok()?
            .with_timezone(&Utc),
        correlation_id: Uuid::parse_str(wire.correlation_id?).ok()?,
        causation_id,
        data: wire.data?,
    })
}

/// The canonical envelope's fields besides `data`, as [`Canonical`] names
/// them (and [`canonical_exact`] reads them).
pub(crate) const ENVELOPE_FIELDS: &[&str] = &[
    "event_id",
    "event_type",
    "schema_version",
    "context",
    "aggregate_id",
    "occurred_at",
    "correlation_id",
    "causation_id",
];

/// The canonical field names only; strings borrowed from the record (an escaped
/// one fails to borrow, and the lenient path takes over).
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "D: serde::Deserialize<'de>, 'de: 'a"))]
struct Canonical<'a, D> {
    event_id: Option<&'a str>,
    event_type: Option<&'a str>,
    schema_version: Option<u32>,
    context: Option<&'a str>,
    aggregate_id: Option<&'a str>,
    occurred_at: Option<&'a str>,
    correlation_id: Option<&'a str>,
    causation_id: Option<&'a str>,
    /// `Some` even for `"data": null`; `None` when missing.
    #[serde(default = "none", deserialize_with = "present")]
    data: Option<D>,
    #[serde(default, deserialize_with = "present")]
    specversion: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    metadata: Option<serde::de::IgnoredAny>,
}

fn none<T>() -> Option<T> {
    None
}

/// Tells a present field (even `null`) from a missing one.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

struct Metadata {
    event_id: Uuid,
    event_type: String,
    schema_version: u32,
    context: String,
    aggregate_id: String,
    occurred_at: DateTime<Utc>,
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
}

/// Every field is checked, so the reason lists all that failed, not just the first.
fn read_metadata(
    map: &Map<String, Value>,
    headers: &(impl HeaderView + ?Sized),
) -> Result<Metadata, Vec<String>> {
    let mut reasons = Vec::new();
    let r = &mut reasons;
    let event_id = check(
        r,
        required(map, EVENT_ID).and_then(|(name, v)| uuid_value(name, v)),
    );
    let event_type = check(
        r,
        required(map, EVENT_TYPE).and_then(|(name, v)| string_value(name, v)),
    );
    let occurred_at = check(r, occurred_at(map, headers));
    let schema_version = check(r, schema_version(map, headers));
    let context = check(r, text_or_header(map, CONTEXT, headers, HEADER_CONTEXT));
    let aggregate_id = check(
        r,
        text_or_header(map, AGGREGATE_ID, headers, HEADER_AGGREGATE_ID),
    );
    let correlation_id = check(
        r,
        optional_uuid(
            map,
            CORRELATION_ID,
            headers,
            &[
                HEADER_CORRELATION_ID,
                FOREIGN_CORRELATION_HEADERS[0],
                FOREIGN_CORRELATION_HEADERS[1],
            ],
        ),
    );
    let causation_id = check(
        r,
        optional_uuid(map, CAUSATION_ID, headers, &[HEADER_CAUSATION_ID]),
    );

    match (
        event_id,
        event_type,
        occurred_at,
        schema_version,
        context,
        aggregate_id,
        correlation_id,
        causation_id,
    ) {
        (
            Some(event_id),
            Some(event_type),
            Some(occurred_at),
            Some(schema_version),
            Some(context),
            Some(aggregate_id),
            Some(correlation_id),
            Some(causation_id),
        ) => Ok(Metadata {
            event_id,
            event_type,
            schema_version,
            context,
            aggregate_id,
            occurred_at,
            correlation_id,
            causation_id,
        }),
        _ => Err(reasons),
    }
}

fn check<T>(reasons: &mut Vec<String>, result: Result<T, String>) -> Option<T> {
    result.map_err(|reason| reasons.push(reason)).ok()
}

/// The first of `names` present with a non-null value.
fn field<'a>(
    map: &'a Map<String, Value>,
    names: &[&'static str],
) -> Option<(&'static str, &'a Value)> {
    names
        .iter()
        .find_map(|&name| map.get(name).filter(|v| !v.is_null()).map(|v| (name, v)))
}

fn required<'a>(
    map: &'a Map<String, Value>,
    names: &[&'static str],
) -> Result<(&'static str, &'a Value), String> {
    field(map, names).ok_or_else(|| format!("{} is missing", names.join(" / ")))
}

fn uuid_value(name: &str, value: &Value) -> Result<Uuid, String> {
    value
        .as_str()
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| format!("{name} {} is not a UUID", short_json(value)))
}

fn string_value(name: &str, value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{name} {} is not a string", short_json(value)))
}

/// A header's text; an empty header counts as absent.
fn header_text(headers: &(impl HeaderView + ?Sized), key: &str) -> Option<String> {
    header_str(headers, key)
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
}

fn quoted(text: &str) -> String {
    short_json(&Value::String(text.to_string()))
}

fn occurred_at(
    map: &Map<String, Value>,
    headers: &(impl HeaderView + ?Sized),
) -> Result<DateTime<Utc>, String> {
    if let Some((name, value)) = field(map, OCCURRED_AT) {
        return parse_time(value).ok_or_else(|| {
            format!(
                "{name} {} is not an RFC 3339 time or epoch milliseconds",
                short_json(value)
            )
        });
    }
    let Some(text) = header_text(headers, HEADER_OCCURRED_AT) else {
        return Err(format!("{} is missing", OCCURRED_AT.join(" / ")));
    };
    parse_time_text(&text).ok_or_else(|| {
        format!(
            "{HEADER_OCCURRED_AT} header {} is not an RFC 3339 time",
            quoted(&text)
        )
    })
}

fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => parse_time_text(text),
        Value::Number(number) => match number.as_i64() {
            Some(millis) => DateTime::from_timestamp_millis(millis),
            None => {
                let millis = number.as_f64().filter(|m| m.is_finite())?;
                // Float-to-int `as` saturates, and out-of-range micros give `None` below.
                DateTime::from_timestamp_micros((millis * 1000.0).round() as i64)
            }
        },
        _ => None,
    }
}

fn parse_time_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    NAIVE_TIME_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

fn schema_version(
    map: &Map<String, Value>,
    headers: &(impl HeaderView + ?Sized),
) -> Result<u32, String> {
    if let Some((name, value)) = field(map, SCHEMA_VERSION) {
        let version = match value {
            Value::Number(n) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        return version
            .ok_or_else(|| format!("{name} {} is not a version number", short_json(value)));
    }
    match header_text(headers, HEADER_SCHEMA_VERSION) {
        None => Ok(1),
        Some(text) => text.trim().parse().map_err(|_| {
            format!(
                "{HEADER_SCHEMA_VERSION} header {} is not a version number",
                quoted(&text)
            )
        }),
    }
}

/// A string field (numbers accepted: aggregate ids are often numeric), else its header, else "".
fn text_or_header(
    map: &Map<String, Value>,
    names: &[&'static str],
    headers: &(impl HeaderView + ?Sized),
    header: &str,
) -> Result<String, String> {
    match field(map, names) {
        Some((_, Value::String(text))) => Ok(text.clone()),
        Some((_, Value::Number(n))) => Ok(n.to_string()),
        Some((name, other)) => Err(format!("{name} {} is not a string", short_json(other))),
        None => Ok(header_text(headers, header).unwrap_or_default()),
    }
}

/// An id from the body (`names`), else from its `metadata` object (same names),
/// else from the first of `headers` present; `None` when none has one.
fn optional_uuid(
    map: &Map<String, Value>,
    names: &[&'static str],
    headers: &(impl HeaderView + ?Sized),
    header_names: &[&str],
) -> Result<Option<Uuid>, String> {
    if let Some((name, value)) = field(map, names) {
        return uuid_value(name, value).map(Some);
    }
    if let Some(Value::Object(meta)) = map.get(METADATA)
        && let Some((name, value)) = field(meta, names)
    {
        return uuid_value(&format!("{METADATA}.{name}"), value).map(Some);
    }
    let Some((header, text)) = header_names
        .iter()
        .find_map(|h| header_text(headers, h).map(|text| (h, text)))
    else {
        return Ok(None);
    };
    Uuid::parse_str(&text)
        .map(Some)
        .map_err(|_| format!("{header} header {} is not a UUID", quoted(&text)))
}

/// What an event without a `context` says about its producer: the first text
/// of `metadata.source` and `source`, with the name of the field it was in.
/// Only a hint: it becomes the context when it names a known one.
pub(crate) fn source_hint(map: &Map<String, Value>) -> Option<(&'static str, String)> {
    SOURCE_FIELDS.iter().find_map(|&(label, name)| {
        let holder = if label.starts_with(METADATA) {
            match map.get(METADATA) {
                Some(Value::Object(meta)) => meta,
                _ => return None,
            }
        } else {
            map
        };
        holder
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (label, s.to_string()))
    })
}
#[cfg(test)]
mod canonical_tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::domain::Header;

    #[test]
    fn our_encoding_takes_the_fast_path() {
        let mut env = Envelope::new("debate", "DecisionMade", "a-1", json!({"n": 1}));
        env.causation_id = Some(Uuid::new_v4());
        let enc = crate::domain::encode(&env);
        let headers: Vec<Header> = enc
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        assert_eq!(canonical_envelope(&enc.value, &headers), Some(env));
    }

    /// The canonical body, then up to three of its fields replaced by
    /// something else: missing, null, a number, text that is no id or time, a
    /// naive time, text with escapes; also aliases and a `specversion` added.
    fn body() -> impl Strategy<Value = Value> {
        const FIELDS: [&str; 13] = [
            "event_id",
            "event_type",
            "schema_version",
            "context",
            "aggregate_id",
            "occurred_at",
            "correlation_id",
            "causation_id",
            "data",
            "id",
            "payload",
            "specversion",
            "metadata",
        ];
        let odd = || {
            prop_oneof![
                Just(None),
                Just(Some(Value::Null)),
                Just(Some(json!(42))),
                Just(Some(json!("not an id or time"))),
                Just(Some(json!("2026-11-27 10:00:00"))),
                Just(Some(json!("an \"escaped\" text"))),
                Just(Some(json!("c2f6a8b1-2f2e-4a8e-9a1e-3b5d2c1e0f00"))),
                Just(Some(
                    json!({"causation_id": "c2f6a8b1-2f2e-4a8e-9a1e-3b5d2c1e0f00",
                                 "correlation_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
                                 "source": "debate"})
                )),
            ]
        };
        prop::collection::vec((0..FIELDS.len(), odd()), 0..=3).prop_map(|changes| {
            let mut map = match json!({
                "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                "event_type": "DecisionMade",
                "schema_version": 2,
                "context": "debate",
                "aggregate_id": "agg-1",
                "occurred_at": "2026-11-27T10:00:00.123456Z",
                "correlation_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "causation_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
                "data": {"k": [1, "x"]},
            }) {
                Value::Object(map) => map,
                _ => unreachable!("an object"),
            };
            for (field, value) in changes {
                match value {
                    Some(v) => map.insert(FIELDS[field].to_string(), v),
                    None => map.remove(FIELDS[field]),
                };
            }
            Value::Object(map)
        })
    }

    fn headers() -> impl Strategy<Value = Vec<Header>> {
        let header = |name: &'static str, value: &'static str| {
            prop_oneof![
                Just(None),
                Just(Some((name.to_string(), Some(value.as_bytes().to_vec())))),
            ]
        };
        (
            header(HEADER_CAUSATION_ID, "16fd2706-8baf-433b-82eb-8c7fada847da"),
            header(
                HEADER_CORRELATION_ID,
                "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            ),
            header(HEADER_SCHEMA_VERSION, "3"),
        )
            .prop_map(|(a, b, c)| [a, b, c].into_iter().flatten().collect())
    }

    proptest! {
        /// Wherever the one-pass reader answers, it answers what the lenient
        /// reader would.
        #[test]
        fn fast_path_agrees_with_the_lenient_path(body in body(), headers in headers()) {
            let bytes = serde_json::to_vec(&body).expect("json");
            let Value::Object(map) = body else {
                unreachable!("bodies are objects")
            };
            let lenient = envelope_from_object(map, &headers).ok();
            if let Some(fast) = canonical_envelope(&bytes, &headers) {
                prop_assert_eq!(Some(fast), lenient);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_envelope_field_and_data_has_its_own_slot_in_the_exact_reader() {
        for (slot, name) in ENVELOPE_FIELDS.iter().chain(&["data"]).enumerate() {
            let field: Field = serde_json::from_str(&format!("\"{name}\"")).expect("a name");
            assert!(
                !matches!(field, Field::Other) && field as usize == slot,
                "{name}"
            );
        }
        let other: Field = serde_json::from_str("\"metadata\"").expect("a name");
        assert!(matches!(other, Field::Other));
    }
}
