//! Turning Kafka records into events and back: lenient decoding of any record,
//! canonical encoding of our envelope, and the one-line and hex views of a record.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::cloudevent::{
    CONTENT_TYPE_CLOUDEVENTS_JSON, CloudEvent, MODE_BINARY, MODE_STRUCTURED,
};
use super::cloudevent::{
    binary_attributes, decode_binary, decode_structured, has_ce_prefix, is_structured_content_type,
    looks_structured,
};
use super::contexts::TopicMap;
use super::deep::DeepJson;
use super::envelope::Envelope;
use super::headers::HeaderView;
pub use super::headers::{
    HEADER_AGGREGATE_ID, HEADER_CAUSATION_ID, HEADER_CONTENT_TYPE, HEADER_CONTEXT,
    HEADER_CORRELATION_ID, HEADER_EVENT_ID, HEADER_EVENT_TYPE, HEADER_OCCURRED_AT,
    HEADER_SCHEMA_VERSION, HEADER_TRACEPARENT, Header, header_str, header_value,
};
pub(crate) use super::json_text::{Parsed, parse_any_json};
use super::json_text::{byte_budget, compact_json, truncate_chars};
use super::lenient::{
    canonical, canonical_envelope, envelope_from_object, looks_like_envelope, source_hint,
};
use super::schema::{Field, Lookup, SchemaRef, SchemaSource, framing};

/// Media type of our envelope.
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// What a record turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// Our envelope.
    Envelope,
    /// A CloudEvent, binary or structured (serialised as `cloudevent`).
    CloudEvent,
    /// JSON that is neither of the above.
    Json,
    /// Bytes that are not JSON.
    Raw,
    /// A null value.
    Tombstone,
}

impl RecordKind {
    /// The kind's name as serialised (`envelope`, `cloudevent`, `json`, `raw`, `tombstone`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::CloudEvent => "cloudevent",
            Self::Json => "json",
            Self::Raw => "raw",
            Self::Tombstone => "tombstone",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decoded record value.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// Our envelope.
    Envelope(Envelope),
    /// A CloudEvent.
    CloudEvent(CloudEvent),
    /// Any other JSON.
    Json(Value),
    /// JSON nested deeper than a `Value` is built for (serde_json's 128
    /// levels), kept as text; its kind is [`RecordKind::Json`].
    DeepJson(DeepJson),
    /// Bytes that are not JSON (or not UTF-8).
    Raw(Vec<u8>),
    /// A null value (a delete marker on a compacted topic).
    Tombstone,
}

/// A decoded record, with the reason it did not decode as more than it is.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOutcome {
    /// What the record is.
    pub decoded: Decoded,
    /// Why it is no more than that (e.g. invalid JSON for `Raw`, a bad id for `Json`),
    /// or a problem found in it (a CloudEvent missing required attributes).
    pub error: Option<String>,
    /// The context of an event that did not carry one, and the rule that gave
    /// it ([`DecodeOutcome::settle_context`]); `None` when the event names its
    /// own context or none could be told.
    pub context_rule: Option<ContextRule>,
    /// An envelope's `metadata.source` or `source`: a hint for the context.
    source_hint: Option<(&'static str, String)>,
    /// The registry schema a framed record names (set whether or not it
    /// decoded with it; `error` says why not).
    pub schema: Option<SchemaRef>,
    /// The value decoded with [`DecodeOutcome::schema`], as JSON (what
    /// `tail --format json` prints as `value`).
    pub schema_value: Option<Value>,
    /// The key, when it names a registry schema (set by whoever decodes
    /// with the key: [`decode_key_with_schemas`]).
    pub key: Option<SchemaDecoded>,
}

/// A key or value read with the registry schema it names.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDecoded {
    /// The schema, as far as it is known.
    pub schema: SchemaRef,
    /// The decoded JSON, or why there is none (pending, unknown id, corrupt).
    pub value: Result<Value, String>,
}

/// Why an event that carried no `context` belongs to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextRule {
    /// The context.
    pub context: String,
    /// Where it came from.
    pub from: ContextFrom,
}

/// The rules that give an event without a `context` its context, in the order
/// they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextFrom {
    /// The record's topic belongs to the context in the topic map.
    Topic(String),
    /// A body field naming a known context (`metadata.source` or `source`).
    Field(&'static str),
    /// A CloudEvent's `source` naming a known context.
    CloudEventSource,
}

impl std::fmt::Display for ContextRule {
    /// `context from topic debate.events`, as the record view says it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.from {
            ContextFrom::Topic(topic) => write!(f, "context from topic {topic}"),
            ContextFrom::Field(field) => write!(f, "context from {field} \"{}\"", self.context),
            ContextFrom::CloudEventSource => {
                write!(f, "context from the CloudEvent source \"{}\"", self.context)
            }
        }
    }
}

impl DecodeOutcome {
    fn ok(decoded: Decoded) -> Self {
        Self::with_error(decoded, None)
    }

    fn with_error(decoded: Decoded, error: Option<String>) -> Self {
        Self {
            decoded,
            error,
            context_rule: None,
            source_hint: None,
            schema: None,
            schema_value: None,
            key: None,
        }
    }

    /// Gives an event that carries no context its context, from the first rule
    /// that answers: the topic map (`topic` belongs to a context, also as its
    /// DLQ), then an envelope's `metadata.source` or `source`, then a
    /// CloudEvent's `source`, when it names one of the map's contexts. An
    /// envelope's `context` is filled in (so handlers and JSON output see it);
    /// [`DecodeOutcome::context_rule`] says which rule gave it.
    pub fn settle_context(&mut self, topic: &str, topics: &TopicMap) {
        if self.context().is_some() {
            return;
        }
        let known = |name: &str| {
            let name = name.trim().trim_matches('/');
            topics.contexts().find(|c| *c == name).map(str::to_string)
        };
        let rule = if let Some(context) = topics.context_for_topic(topic) {
            Some(ContextRule {
                context: context.to_string(),
                from: ContextFrom::Topic(topic.to_string()),
            })
        } else if let Some((field, context)) = self
            .source_hint
            .as_ref()
            .and_then(|(field, value)| Some((*field, known(value)?)))
        {
            Some(ContextRule {
                context,
                from: ContextFrom::Field(field),
            })
        } else if let Decoded::CloudEvent(event) = &self.decoded {
            known(&event.source).map(|context| ContextRule {
                context,
                from: ContextFrom::CloudEventSource,
            })
        } else {
            None
        };
        let Some(rule) = rule else {
            return;
        };
        if let Decoded::Envelope(env) = &mut self.decoded {
            env.context.clone_from(&rule.context);
        }
        self.context_rule = Some(rule);
    }

    /// What the record is.
    pub fn kind(&self) -> RecordKind {
        match self.decoded {
            Decoded::Envelope(_) => RecordKind::Envelope,
            Decoded::CloudEvent(_) => RecordKind::CloudEvent,
            Decoded::Json(_) | Decoded::DeepJson(_) => RecordKind::Json,
            Decoded::Raw(_) => RecordKind::Raw,
            Decoded::Tombstone => RecordKind::Tombstone,
        }
    }

    /// The `event` field of `eventdeck tail --format json`: the envelope (canonical
    /// JSON) or the CloudEvent as JSON; `None` for json, raw and tombstone records.
    pub fn event_json(&self) -> Option<Value> {
        match &self.decoded {
            Decoded::Envelope(env) => Some(env.to_json()),
            Decoded::CloudEvent(event) => serde_json::to_value(event).ok(),
            _ => None,
        }
    }

    /// The envelope's `event_type` or the CloudEvent's `type`; `None` when empty.
    pub fn event_type(&self) -> Option<&str> {
        match &self.decoded {
            Decoded::Envelope(env) => non_empty(&env.event_type),
            Decoded::CloudEvent(event) => non_empty(&event.event_type),
            _ => None,
        }
    }

    /// The envelope's bounded context; `None` when empty. A CloudEvent's `source`
    /// is a URI naming a producer, not a context: a CloudEvent has a context
    /// only from [`DecodeOutcome::settle_context`].
    pub fn context(&self) -> Option<&str> {
        match &self.decoded {
            Decoded::Envelope(env) => non_empty(&env.context),
            _ => self.context_rule.as_ref().map(|r| r.context.as_str()),
        }
    }

    /// The envelope's `event_id` or the CloudEvent's `id`.
    pub fn event_id(&self) -> Option<String> {
        match &self.decoded {
            Decoded::Envelope(env) => Some(env.event_id.to_string()),
            Decoded::CloudEvent(event) => non_empty(&event.id).map(str::to_string),
            _ => None,
        }
    }

    /// The envelope's `correlation_id` or the CloudEvent's `correlationid`
    /// extension; `None` when the event carries none (never made up).
    pub fn correlation_id(&self) -> Option<String> {
        match &self.decoded {
            Decoded::Envelope(env) => env.correlation_id.map(|id| id.to_string()),
            Decoded::CloudEvent(event) => event.correlationid.clone(),
            _ => None,
        }
    }

    /// The envelope's `causation_id` or the CloudEvent's `causationid` extension.
    pub fn causation_id(&self) -> Option<String> {
        match &self.decoded {
            Decoded::Envelope(env) => env.causation_id.map(|id| id.to_string()),
            Decoded::CloudEvent(event) => event.causationid.clone(),
            _ => None,
        }
    }

    /// One line for a table row, at most `max_chars` characters (cut with `…`):
    /// compact JSON of the event's `data` (or of the whole JSON body), raw bytes as
    /// UTF-8-lossy text with control characters blanked, `∅ tombstone` for a null value.
    ///
    /// Serialisation stops once enough is written, so a huge payload costs no
    /// more than a small one.
    pub fn summary(&self, max_chars: usize) -> String {
        match &self.decoded {
            Decoded::Envelope(env) => compact_json(&env.data, max_chars),
            Decoded::CloudEvent(event) => match &event.data {
                Some(data) => compact_json(data, max_chars),
                None => truncate_chars(NO_DATA, max_chars),
            },
            Decoded::Json(value) => compact_json(value, max_chars),
            Decoded::DeepJson(deep) => {
                let text = deep.as_str().as_bytes();
                let head = &text[..text.len().min(byte_budget(max_chars))];
                truncate_chars(&super::text::sanitize_bytes(head), max_chars)
            }
            Decoded::Raw(bytes) => raw_text(bytes, max_chars),
            Decoded::Tombstone => truncate_chars(TOMBSTONE, max_chars),
        }
    }
}

/// Summary of a null record value.
pub const TOMBSTONE: &str = "∅ tombstone";
/// Summary of a CloudEvent without data.
pub const NO_DATA: &str = "∅ no data";

pub(super) fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// Decodes any record. Lenient and total: never panics, never fails; every record
/// becomes one of the [`RecordKind`]s, in this order of precedence:
///
/// 1. `value == None` → tombstone;
/// 2. `content-type: application/cloudevents+json` → structured CloudEvent;
/// 3. `ce_specversion`, or `ce_id` and `ce_type` headers → binary CloudEvent;
/// 4. not UTF-8 or not JSON → raw, `error` = the parse error with line and column;
/// 5. a JSON object with `specversion`, `id` and `type` → structured CloudEvent;
/// 6. a JSON object with an event id and an event type → our envelope if its ids
///    and time parse, else JSON with `error` naming each field that failed;
/// 7. any other JSON → JSON.
pub fn decode(value: Option<&[u8]>, headers: &(impl HeaderView + ?Sized)) -> DecodeOutcome {
    let Some(bytes) = value else {
        return DecodeOutcome::ok(Decoded::Tombstone);
    };
    let structured_by_header =
        header_str(headers, HEADER_CONTENT_TYPE).is_some_and(|ct| is_structured_content_type(&ct));
    if !structured_by_header && let Some(attrs) = binary_attributes(headers) {
        let (event, error) = decode_binary(bytes, attrs, headers);
        return DecodeOutcome::with_error(Decoded::CloudEvent(event), error);
    }
    // Most records on an event bus are our own envelopes: read those in one pass.
    if !structured_by_header && let Some(env) = canonical_envelope(bytes, headers) {
        return DecodeOutcome::ok(Decoded::Envelope(env));
    }
    let json = match parse_any_json(bytes) {
        Ok(Parsed::Tree(json)) => json,
        Ok(Parsed::Deep(deep)) => return deep_outcome(deep, structured_by_header),
        Err(error) => return DecodeOutcome::with_error(Decoded::Raw(bytes.to_vec()), Some(error)),
    };
    decode_tree(json, structured_by_header, headers)
}

/// Steps 5 to 7 of [`decode`], on a value already read as JSON (from the
/// record's text, or decoded with a registry schema).
fn decode_tree(
    json: Value,
    structured_by_header: bool,
    headers: &(impl HeaderView + ?Sized),
) -> DecodeOutcome {
    let map = match json {
        Value::Object(map) => map,
        other if structured_by_header => {
            let error = format!(
                "content-type is {CONTENT_TYPE_CLOUDEVENTS_JSON} but the value is not a JSON object"
            );
            return DecodeOutcome::with_error(Decoded::Json(other), Some(error));
        }
        other => return DecodeOutcome::ok(Decoded::Json(other)),
    };
    if structured_by_header || looks_structured(&map) {
        let (event, error) = decode_structured(map);
        return DecodeOutcome::with_error(Decoded::CloudEvent(event), error);
    }
    if !looks_like_envelope(&map) {
        return DecodeOutcome::ok(Decoded::Json(Value::Object(map)));
    }
    let hint = source_hint(&map);
    match envelope_from_object(map, headers) {
        Ok(env) => {
            let mut outcome = DecodeOutcome::ok(Decoded::Envelope(env));
            outcome.source_hint = hint;
            outcome
        }
        Err((map, reason)) => {
            DecodeOutcome::with_error(Decoded::Json(Value::Object(map)), Some(reason))
        }
    }
}

/// A document too deep for a `Value` is JSON. When it has an event's shape
/// (a CloudEvent's or an envelope's fields, or a CloudEvents content type),
/// the error says why it is shown as plain JSON rather than as that event.
fn deep_outcome(deep: DeepJson, structured_by_header: bool) -> DecodeOutcome {
    let event_like = structured_by_header
        || deep
            .top_level()
            .is_some_and(|map| looks_structured(map) || looks_like_envelope(map));
    let error = event_like.then(|| {
        format!(
            "nested {} levels deep: an event is read up to {} levels, so this one is shown as plain JSON",
            deep.depth(),
            SERDE_DEPTH
        )
    });
    DecodeOutcome::with_error(Decoded::DeepJson(deep), error)
}

/// How deep serde_json reads a document into a `Value`.
const SERDE_DEPTH: usize = 128;

/// [`decode`] of a record read from `topic`, with the context of an event that
/// carries none settled from the topic map ([`DecodeOutcome::settle_context`]).
pub fn decode_on(
    value: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    topics: &TopicMap,
) -> DecodeOutcome {
    let mut outcome = decode(value, headers);
    outcome.settle_context(topic, topics);
    outcome
}

/// [`decode_on`] for a record that may be in a schema registry's wire format.
/// A value framed as Confluent's (magic byte 0, a 4-byte schema id) whose
/// schema `schemas` has is decoded with it to JSON, which then goes through the
/// same detection as a JSON record (an envelope written as Avro is an
/// envelope); [`DecodeOutcome::schema`] names the schema. One whose schema is
/// still being fetched, could not be had, or does not read the payload is raw,
/// with an `error` that says which. Without a registry (or unframed) it is
/// [`decode_on`].
pub fn decode_with_schemas(
    value: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    topics: &TopicMap,
    schemas: &dyn SchemaSource,
) -> DecodeOutcome {
    decode_registry_value(value, headers, topic, topics, schemas, true)
}

/// [`decode_with_schemas`]; its [`DecodeOutcome::schema_value`] only when
/// `keep_value` (a list row's glance and summary do not need that second
/// tree, and copying it is one more tree built per record).
fn decode_registry_value(
    value: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    topics: &TopicMap,
    schemas: &dyn SchemaSource,
    keep_value: bool,
) -> DecodeOutcome {
    let Some(decoded) = value.and_then(|v| read_framed(v, headers, topic, Field::Value, schemas))
    else {
        return decode_on(value, headers, topic, topics);
    };
    let bytes = value.unwrap_or_default();
    let (reference, json) = match decoded {
        SchemaDecoded {
            schema,
            value: Ok(json),
        } => (schema, json),
        SchemaDecoded {
            schema,
            value: Err(error),
        } => {
            let mut outcome = DecodeOutcome::with_error(Decoded::Raw(bytes.to_vec()), Some(error));
            // A GUID or a broken header names no schema that can be shown.
            outcome.schema = (schema.id.is_some() || schema.global_id.is_some()).then_some(schema);
            outcome.settle_context(topic, topics);
            return outcome;
        }
    };
    let structured_by_header =
        header_str(headers, HEADER_CONTENT_TYPE).is_some_and(|ct| is_structured_content_type(&ct));
    let schema_value = keep_value.then(|| json.clone());
    let mut outcome = decode_tree(json, structured_by_header, headers);
    if let Some(env) = envelope_in_headers(&outcome, headers) {
        outcome.decoded = Decoded::Envelope(env);
    }
    outcome.schema = Some(reference);
    outcome.schema_value = schema_value;
    outcome.settle_context(topic, topics);
    outcome
}

/// A schema-written value that is not an envelope itself, with our
/// envelope's metadata in headers (`event_id`, `event_type`, …, as
/// `eventdeck inject --schema` writes a schema of the event's data alone):
/// that envelope, the value its `data`. `None` for anything else (the
/// headers missing, or not parsing as an envelope's).
fn envelope_in_headers(
    outcome: &DecodeOutcome,
    headers: &(impl HeaderView + ?Sized),
) -> Option<Envelope> {
    // Read as plain JSON, the value is the schema's JSON as it was.
    let Decoded::Json(value) = &outcome.decoded else {
        return None;
    };
    if outcome.error.is_some() {
        return None;
    }
    let id = header_str(headers, HEADER_EVENT_ID)?;
    let event_type = header_str(headers, HEADER_EVENT_TYPE)?;
    let mut map = serde_json::Map::new();
    map.insert("event_id".into(), Value::String(id.into_owned()));
    map.insert("event_type".into(), Value::String(event_type.into_owned()));
    map.insert("data".into(), value.clone());
    envelope_from_object(map, headers).ok()
}

/// The start of the `error` of a record whose schema is still being fetched.
pub const SCHEMA_PENDING: &str = "schema pending";

/// A key that names a registry schema ([`framing`]: in its first bytes or in
/// a header), read with it; `None` when it names none or there is no registry
/// (it is then shown as the key always was).
pub fn decode_key_with_schemas(
    key: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    schemas: &dyn SchemaSource,
) -> Option<SchemaDecoded> {
    read_framed(key?, headers, topic, Field::Key, schemas)
}

/// `bytes` (a key or value) read with the schema its framing names; `None`
/// when it names none or there is no registry. An error names the schema id
/// and says why: pending, not to be had, or not of that schema.
fn read_framed(
    bytes: &[u8],
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    field: Field,
    schemas: &dyn SchemaSource,
) -> Option<SchemaDecoded> {
    let NamedSchema {
        framed,
        schema,
        reference,
    } = match named_schema(bytes, headers, topic, field, schemas)? {
        Ok(named) => named,
        Err(failed) => return Some(failed),
    };
    Some(match schema.decode_framed(framed.payload, framed.indexes) {
        Ok(json) => SchemaDecoded {
            schema: reference,
            value: Ok(json),
        },
        Err(why) => SchemaDecoded {
            schema: reference,
            value: Err(format!("{}: {why}", framed.id)),
        },
    })
}

/// The schema `bytes`' framing names, as [`read_framed`] names it, without
/// reading the payload (a masked record's view names the schema of the
/// record as read, and shows nothing of its values); `None` when it names
/// none or there is no registry.
pub fn schema_named(
    bytes: &[u8],
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    field: Field,
    schemas: &dyn SchemaSource,
) -> Option<SchemaRef> {
    Some(match named_schema(bytes, headers, topic, field, schemas)? {
        Ok(named) => named.reference,
        Err(failed) => failed.schema,
    })
}

/// What a record's framing names: the framing, the schema, and that
/// schema's reference on the record's topic.
struct NamedSchema<'a> {
    framed: super::schema::Framed<'a>,
    schema: std::sync::Arc<super::schema::Schema>,
    reference: SchemaRef,
}

/// The schema `bytes`' framing names; `None` when it names none or there is
/// no registry, and `Err` (why, with what is known of the schema) when it
/// cannot be had.
fn named_schema<'a>(
    bytes: &'a [u8],
    headers: &'a (impl HeaderView + ?Sized),
    topic: &str,
    field: Field,
    schemas: &dyn SchemaSource,
) -> Option<Result<NamedSchema<'a>, SchemaDecoded>> {
    if !schemas.configured() {
        return None;
    }
    let framed = match framing(bytes, headers, field) {
        Ok(framed) => framed?,
        Err(why) => {
            return Some(Err(SchemaDecoded {
                schema: SchemaRef {
                    id: None,
                    global_id: None,
                    format: None,
                    subject: None,
                    version: None,
                },
                value: Err(why),
            }));
        }
    };
    let id = framed.id;
    let failed = |why: String| {
        Some(Err(SchemaDecoded {
            schema: id.unresolved(),
            value: Err(why),
        }))
    };
    let schema = match schemas.lookup(id) {
        Lookup::NoRegistry => return None,
        Lookup::Pending => return failed(format!("{SCHEMA_PENDING} ({id})")),
        Lookup::Failed(why) => return failed(format!("{id}: {why}")),
        Lookup::Ready(schema) => schema,
    };
    let mut reference = schema.reference_on(topic, field.as_str());
    if let super::schema::SchemaId::GlobalId(global) = id {
        reference.global_id = Some(global);
    }
    Some(Ok(NamedSchema {
        framed,
        schema,
        reference,
    }))
}

/// [`glance_with_summary_on`] for a record that may be in a schema
/// registry's wire format ([`decode_with_schemas`]).
pub fn glance_with_summary_schemas(
    value: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    topics: &TopicMap,
    max_chars: usize,
    schemas: &dyn SchemaSource,
) -> (Glance, String) {
    // Without a registry, or for a value that names no schema, the fast
    // path that does not build a JSON tree.
    let names_schema =
        value.is_some_and(|v| !matches!(framing(v, headers, Field::Value), Ok(None)));
    if !schemas.configured() || !names_schema {
        return glance_with_summary_on(value, headers, topic, topics, max_chars);
    }
    let outcome = decode_registry_value(value, headers, topic, topics, schemas, false);
    (Glance::from(&outcome), outcome.summary(max_chars))
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`):
/// the link between events of one trace. `None` when it is not one.
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.trim().split('-');
    let (_version, trace, parent) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(trace, 32) && hex(parent, 16) && trace.bytes().any(|b| b != b'0')).then_some(trace)
}

/// What the Streams list and the Flows graph keep of every record: its identity,
/// not its payload, its text fields sanitized for display. [`glance`] gets it
/// without building the payload's JSON tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glance {
    /// What the record is.
    pub kind: RecordKind,
    /// As [`DecodeOutcome::event_type`].
    pub event_type: Option<String>,
    /// As [`DecodeOutcome::context`].
    pub context: Option<String>,
    /// As [`DecodeOutcome::event_id`].
    pub event_id: Option<String>,
    /// As [`DecodeOutcome::correlation_id`].
    pub correlation_id: Option<String>,
    /// As [`DecodeOutcome::causation_id`].
    pub causation_id: Option<String>,
    /// An envelope's `occurred_at`, in milliseconds since the epoch.
    pub occurred_ms: Option<i64>,
    /// True when [`DecodeOutcome::error`] is set.
    pub has_error: bool,
    /// True when the record names a registry schema that is still being
    /// fetched: it shows raw until the schema is there, then is read again.
    pub schema_pending: bool,
}

impl Glance {
    /// Settles the context of an event that carries none from the topic map
    /// alone (what [`glance_on`] does when the record's body is not needed).
    pub(super) fn settle_from_topic(&mut self, topic: &str, topics: &TopicMap) -> bool {
        if self.context.is_some() {
            return true;
        }
        self.context = topics.context_for_topic(topic).map(str::to_string);
        self.context.is_some()
    }
}

impl From<&DecodeOutcome> for Glance {
    /// The text fields are what lists and graphs show: sanitized
    /// ([`super::text::sanitize`]).
    fn from(d: &DecodeOutcome) -> Self {
        let shown = |s: &str| super::text::sanitize(s).into_owned();
        let shown_owned = |s: Option<String>| s.map(super::text::sanitize_owned);
        Self {
            kind: d.kind(),
            event_type: d.event_type().map(shown),
            context: d.context().map(shown),
            event_id: shown_owned(d.event_id()),
            correlation_id: shown_owned(d.correlation_id()),
            causation_id: shown_owned(d.causation_id()),
            occurred_ms: match &d.decoded {
                Decoded::Envelope(env) => Some(env.occurred_at.timestamp_millis()),
                _ => None,
            },
            has_error: d.error.is_some(),
            schema_pending: d
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with(SCHEMA_PENDING)),
        }
    }
}

/// [`decode`] reduced to a [`Glance`]. Our canonical envelopes (most records on
/// an event bus) are read in one pass that checks `data` without building its
/// tree; anything else is decoded in full. Either way the answer is the same (`glance_is_decode_reduced`).
pub fn glance(value: Option<&[u8]>, headers: &(impl HeaderView + ?Sized)) -> Glance {
    if let Some(bytes) = value
        && plain_headers(headers)
        && let Some(m) = canonical::<CheckedAny>(bytes, headers)
    {
        return canonical_glance(&m);
    }
    Glance::from(&decode(value, headers))
}

/// Any JSON value, read as a [`Value`] would be read and then dropped: every
/// string UTF-8 with whole surrogate pairs, every number in range, at most
/// 128 levels deep. The glance's `data`: checked, so the glance refuses what
/// [`decode`] refuses, without building the tree. (`IgnoredAny` skips strings
/// without checking them, numbers without reading them and any depth: a
/// record the decode shows as raw bytes was glanced at as an envelope.)
struct CheckedAny;

impl<'de> Deserialize<'de> for CheckedAny {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedAny)
    }
}

impl<'de> serde::de::Visitor<'de> for CheckedAny {
    type Value = CheckedAny;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<CheckedAny>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<CheckedAny, CheckedAny>()?.is_some() {}
        Ok(self)
    }
}

/// The glance of a canonical envelope read in one pass.
pub(super) fn canonical_glance<D>(m: &super::lenient::CanonicalParts<'_, D>) -> Glance {
    Glance {
        kind: RecordKind::Envelope,
        event_type: non_empty(m.event_type).map(|s| super::text::sanitize(s).into_owned()),
        context: non_empty(m.context).map(|s| super::text::sanitize(s).into_owned()),
        event_id: Some(m.event_id.to_string()),
        correlation_id: Some(m.correlation_id.to_string()),
        causation_id: m.causation_id.map(|id| id.to_string()),
        occurred_ms: Some(m.occurred_at.timestamp_millis()),
        has_error: false,
        schema_pending: false,
    }
}

/// [`glance_on`] and the value's one-line [`DecodeOutcome::summary`] (at most
/// `max_chars`), from one read of the record: what a list row shows of it.
/// A canonical envelope is read in one pass with its `data` as a tree (the
/// summary is made from it); anything else is decoded once, in full.
pub fn glance_with_summary_on(
    value: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    topics: &TopicMap,
    max_chars: usize,
) -> (Glance, String) {
    if let Some(bytes) = value
        && plain_headers(headers)
        && let Some(m) = canonical::<Value>(bytes, headers)
    {
        let summary = compact_json(&m.data, max_chars);
        let mut g = canonical_glance(&m);
        // The topic rule is the only one for a canonical body: it has no
        // `source` field read (that is the lenient path's), and it is no
        // CloudEvent; so this is what decode_on settles.
        g.settle_from_topic(topic, topics);
        return (g, summary);
    }
    let mut outcome = decode(value, headers);
    let summary = outcome.summary(max_chars);
    // As glance_on and decode_on: every kind gets the topic's context.
    outcome.settle_context(topic, topics);
    (Glance::from(&outcome), summary)
}

/// [`glance`] of a record read from `topic`, its context settled as
/// [`decode_on`] does.
pub fn glance_on(
    value: Option<&[u8]>,
    headers: &(impl HeaderView + ?Sized),
    topic: &str,
    topics: &TopicMap,
) -> Glance {
    let mut g = glance(value, headers);
    // The topic rule comes first, and needs no body; it gives any record on a
    // context's topic that context, as decode_on does. Only an event it does
    // not answer for is decoded again for its source.
    let is_event = g.kind == RecordKind::Envelope || g.kind == RecordKind::CloudEvent;
    if !g.settle_from_topic(topic, topics) && is_event {
        g = Glance::from(&decode_on(value, headers, topic, topics));
    }
    g
}

/// True when the headers cannot make a record a CloudEvent: no `ce_`/`ce-`
/// attribute, and the (last) content type is not CloudEvents JSON. One pass,
/// for [`glance`]; [`decode`] asks the same in its own steps.
pub(super) fn plain_headers(headers: &(impl HeaderView + ?Sized)) -> bool {
    let mut content_type = None;
    for (k, v) in headers.pairs() {
        if k.eq_ignore_ascii_case(HEADER_CONTENT_TYPE) {
            content_type = Some(v);
        } else if has_ce_prefix(k) {
            return false;
        }
    }
    !content_type
        .flatten()
        .is_some_and(|ct| is_structured_content_type(&String::from_utf8_lossy(ct)))
}

/// UTF-8 first, so non-text gets a clear error rather than one from deep in a
/// JSON string. A valid document deeper than a `Value` goes is refused too
/// (the error says so); [`parse_any_json`] reads it.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    match parse_any_json(bytes)? {
        Parsed::Tree(json) => Ok(json),
        Parsed::Deep(deep) => Err(format!(
            "nested {} levels deep, deeper than the {SERDE_DEPTH} levels read here",
            deep.depth()
        )),
    }
}

/// A record value and headers ready to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The canonical JSON of the envelope.
    pub value: Vec<u8>,
    /// Metadata mirrored as UTF-8 headers, plus `content-type`.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Canonical JSON of the envelope as the value; headers mirroring its metadata
/// (`causation_id` omitted for a root event) and `content-type: application/json`.
pub fn encode(env: &Envelope) -> Encoded {
    let occurred_at = env.occurred_at_rfc3339();
    let value = canonical_json(env, &occurred_at);
    let mut headers = vec![
        header(HEADER_EVENT_ID, env.event_id.to_string()),
        header(HEADER_EVENT_TYPE, env.event_type.clone()),
        header(HEADER_SCHEMA_VERSION, env.schema_version.to_string()),
        header(HEADER_CONTEXT, env.context.clone()),
        header(HEADER_AGGREGATE_ID, env.aggregate_id.clone()),
        header(HEADER_OCCURRED_AT, occurred_at),
    ];
    if let Some(correlation_id) = env.correlation_id {
        headers.push(header(HEADER_CORRELATION_ID, correlation_id.to_string()));
    }
    if let Some(causation_id) = env.causation_id {
        headers.push(header(HEADER_CAUSATION_ID, causation_id.to_string()));
    }
    headers.push(header(HEADER_CONTENT_TYPE, CONTENT_TYPE_JSON.to_string()));
    Encoded { value, headers }
}

/// The bytes of [`Envelope::to_json`] as text, written straight from the
/// envelope: no JSON tree is built and `data` is not copied (encoding is on the
/// bridge's per-event path). Fields in the order `to_json`'s map prints them.
fn canonical_json(env: &Envelope, occurred_at: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Wire<'a> {
        aggregate_id: &'a str,
        causation_id: Option<uuid::Uuid>,
        context: &'a str,
        correlation_id: Option<uuid::Uuid>,
        data: &'a Value,
        event_id: uuid::Uuid,
        event_type: &'a str,
        occurred_at: &'a str,
        schema_version: u32,
    }
    let wire = Wire {
        aggregate_id: &env.aggregate_id,
        causation_id: env.causation_id,
        context: &env.context,
        correlation_id: env.correlation_id,
        data: &env.data,
        event_id: env.event_id,
        event_type: &env.event_type,
        occurred_at,
        schema_version: env.schema_version,
    };
    // Serializing borrowed strings, uuids and a `Value` into a Vec cannot fail.
    serde_json::to_vec(&wire).unwrap_or_default()
}

fn header(key: &str, value: String) -> (String, Vec<u8>) {
    (key.to_string(), value.into_bytes())
}

/// Classic hex dump, 16 bytes a line: `offset  hex (8 + 8)  |ascii|`, like
/// `hexdump -C`. At most `max_bytes` are shown; a last line counts the rest.
/// Lines are joined with `\n`, no trailing newline; empty input gives "".
pub fn hex_dump(bytes: &[u8], max_bytes: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let shown = &bytes[..bytes.len().min(max_bytes)];
    let mut lines = Vec::with_capacity(shown.len() / 16 + 2);
    for (index, chunk) in shown.chunks(16).enumerate() {
        let mut line = format!("{:08x}  ", index * 16);
        for column in 0..16 {
            if column == 8 {
                line.push(' ');
            }
            match chunk.get(column) {
                Some(&byte) => {
                    line.push(char::from(HEX[usize::from(byte >> 4)]));
                    line.push(char::from(HEX[usize::from(byte & 0x0f)]));
                    line.push(' ');
                }
                None => line.push_str("   "),
            }
        }
        line.push_str(" |");
        line.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        line.push('|');
        lines.push(line);
    }
    let hidden = bytes.len() - shown.len();
    if hidden > 0 {
        lines.push(format!(
            "… {hidden} more byte{}",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    lines.join("\n")
}

/// UTF-8-lossy text of raw bytes on one line, cut to `max_chars`: line breaks
/// and tabs read as spaces, other control characters are sanitized.
fn raw_text(bytes: &[u8], max_chars: usize) -> String {
    let head = &bytes[..bytes.len().min(byte_budget(max_chars))];
    let text: String = String::from_utf8_lossy(head)
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c => c,
        })
        .collect();
    truncate_chars(&super::text::sanitize_owned(text), max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    const ID: &str = "6f1c1d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f";
    const OTHER: &str = "0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e";

    fn h(key: &str, value: &str) -> Header {
        (key.to_string(), Some(value.as_bytes().to_vec()))
    }

    fn decode_json(value: Value, headers: &[Header]) -> DecodeOutcome {
        decode(Some(value.to_string().as_bytes()), headers)
    }

    fn envelope(outcome: &DecodeOutcome) -> &Envelope {
        match &outcome.decoded {
            Decoded::Envelope(env) => env,
            other => panic!("not an envelope: {other:?} ({:?})", outcome.error),
        }
    }

    fn cloudevent(outcome: &DecodeOutcome) -> &CloudEvent {
        match &outcome.decoded {
            Decoded::CloudEvent(event) => event,
            other => panic!("not a CloudEvent: {other:?} ({:?})", outcome.error),
        }
    }

    fn sample() -> Envelope {
        let cause = Envelope::new(
            "debate",
            "DecisionMade",
            "debate-7",
            json!({"decision": "ship"}),
        );
        Envelope::caused_by(
            &cause,
            "implementation",
            "TaskCreated",
            "task-1",
            json!({"title": "Ünïcode ✓"}),
        )
        .with_occurred_at(Utc.timestamp_opt(1_700_000_000, 5_000).single().unwrap())
    }

    fn headers_of(encoded: &Encoded) -> Vec<Header> {
        encoded
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect()
    }

    // ---- tombstone, raw, plain JSON ----

    #[test]
    fn null_value_is_a_tombstone() {
        let outcome = decode(None, &[h("ce_id", "x"), h("ce_type", "t")]);
        assert_eq!(outcome, DecodeOutcome::ok(Decoded::Tombstone));
        assert_eq!(outcome.kind(), RecordKind::Tombstone);
        assert_eq!(outcome.summary(40), "∅ tombstone");
        assert_eq!(outcome.event_json(), None);
    }

    #[test]
    fn truncated_json_is_raw_with_the_parse_position() {
        let outcome = decode(Some(br#"{"a":"#), &[]);
        assert_eq!(outcome.decoded, Decoded::Raw(br#"{"a":"#.to_vec()));
        assert_eq!(
            outcome.error.as_deref(),
            Some("invalid JSON: EOF while parsing a value at line 1 column 5")
        );
        let object = decode(Some(br#"{"a":1"#), &[]);
        assert_eq!(
            object.error.as_deref(),
            Some("invalid JSON: EOF while parsing an object at line 1 column 6")
        );
    }

    #[test]
    fn non_utf8_is_raw_with_the_utf8_error() {
        let bytes = [0x7b, 0xff, 0xfe, 0x00];
        let outcome = decode(Some(&bytes), &[]);
        assert_eq!(outcome.kind(), RecordKind::Raw);
        assert_eq!(
            outcome.error.as_deref(),
            Some("not UTF-8: invalid utf-8 sequence of 1 bytes from index 1")
        );
        assert_eq!(outcome.summary(10), "{\u{fffd}\u{fffd}·");
    }

    #[test]
    fn text_and_empty_values_are_raw() {
        let text = decode(Some(b"hello\nworld"), &[]);
        assert_eq!(text.kind(), RecordKind::Raw);
        assert!(
            text.error
                .as_deref()
                .unwrap()
                .starts_with("invalid JSON: expected value at line 1 column 1")
        );
        assert_eq!(text.summary(40), "hello world");
        assert_eq!(decode(Some(b""), &[]).error.as_deref(), Some("empty value"));
        assert_eq!(decode(Some(b" \n"), &[]).kind(), RecordKind::Raw);
    }

    #[test]
    fn other_json_is_json_without_error() {
        for value in [
            json!([1, 2]),
            json!(42),
            json!("text"),
            json!(null),
            json!({"order": 7, "type": "x"}),
        ] {
            let outcome = decode_json(value.clone(), &[]);
            assert_eq!(outcome, DecodeOutcome::ok(Decoded::Json(value)));
            assert_eq!(outcome.event_type(), None);
            assert_eq!(outcome.event_json(), None);
        }
    }

    // ---- our envelope ----

    #[test]
    fn encode_then_decode_is_exact() {
        let env = sample();
        let encoded = encode(&env);
        let outcome = decode(Some(&encoded.value), &headers_of(&encoded));
        assert_eq!(outcome, DecodeOutcome::ok(Decoded::Envelope(env.clone())));
        // The value alone carries everything: headers are a mirror, not a dependency.
        assert_eq!(
            decode(Some(&encoded.value), &[]).decoded,
            Decoded::Envelope(env)
        );
    }

    #[test]
    fn encode_writes_canonical_json_and_mirrored_headers() {
        let env = sample();
        let encoded = encode(&env);
        let text = String::from_utf8(encoded.value.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"aggregate_id":"task-1","causation_id":""#),
            "{text}"
        );
        assert!(
            text.contains(r#""occurred_at":"2023-11-14T22:13:20.000005Z""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), env.to_json());
        let headers: Vec<(&str, String)> = encoded
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), String::from_utf8(v.clone()).unwrap()))
            .collect();
        assert_eq!(
            headers,
            vec![
                ("event_id", env.event_id.to_string()),
                ("event_type", "TaskCreated".to_string()),
                ("schema_version", "1".to_string()),
                ("context", "implementation".to_string()),
                ("aggregate_id", "task-1".to_string()),
                ("occurred_at", "2023-11-14T22:13:20.000005Z".to_string()),
                ("correlation_id", env.correlation_id.unwrap().to_string()),
                ("causation_id", env.causation_id.unwrap().to_string()),
                ("content-type", "application/json".to_string()),
            ]
        );
    }

    #[test]
    fn root_event_has_no_causation_header() {
        let encoded = encode(&Envelope::new("debate", "DebateStarted", "d", json!({})));
        assert!(
            encoded
                .headers
                .iter()
                .all(|(k, _)| k != HEADER_CAUSATION_ID)
        );
        assert_eq!(encoded.headers.len(), 8);
    }

    #[test]
    fn aliases_id_type_timestamp_are_accepted() {
        let outcome = decode_json(
            json!({"id": ID, "type": "OrderPlaced", "timestamp": "2024-05-01T10:00:00+02:00", "data": {"n": 1}}),
            &[],
        );
        let env = envelope(&outcome);
        assert_eq!(env.event_id.to_string(), ID);
        assert_eq!(env.event_type, "OrderPlaced");
        assert_eq!(
            env.occurred_at,
            Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap()
        );
        assert_eq!(env.data, json!({"n": 1}));
        assert_eq!(outcome.error, None);
    }

    #[test]
    fn camel_case_and_payload_aliases_are_accepted() {
        let outcome = decode_json(
            json!({"eventId": ID, "eventType": "X", "occurredAt": "2024-05-01T10:00:00Z", "schemaVersion": 2,
                   "aggregateId": "a", "correlationId": OTHER, "causationId": OTHER, "payload": [1]}),
            &[],
        );
        let env = envelope(&outcome);
        assert_eq!(env.schema_version, 2);
        assert_eq!(env.aggregate_id, "a");
        assert_eq!(env.correlation_id.unwrap().to_string(), OTHER);
        assert_eq!(
            env.causation_id.map(|c| c.to_string()).as_deref(),
            Some(OTHER)
        );
        assert_eq!(env.data, json!([1]));
    }

    #[test]
    fn canonical_names_win_over_aliases() {
        let outcome = decode_json(
            json!({"event_id": ID, "id": 7, "event_type": "Real", "type": "alias",
                   "occurred_at": "2024-05-01T10:00:00Z", "timestamp": "junk", "data": 1, "payload": 2}),
            &[],
        );
        let env = envelope(&outcome);
        assert_eq!(env.event_type, "Real");
        assert_eq!(env.data, json!(1));
    }

    #[test]
    fn missing_fields_take_their_defaults() {
        let outcome = decode_json(
            json!({"event_id": ID, "event_type": "X", "occurred_at": "2024-05-01T10:00:00Z"}),
            &[],
        );
        let env = envelope(&outcome);
        assert_eq!(env.context, "");
        assert_eq!(env.aggregate_id, "");
        assert_eq!(env.schema_version, 1);
        // None rather than the event id: a trace must not invent a chain.
        assert_eq!(env.correlation_id, None);
        assert_eq!(outcome.correlation_id(), None);
        assert_eq!(env.causation_id, None);
        assert_eq!(env.data, Value::Null);
        assert_eq!(outcome.context(), None);
    }

    // ---- events from other producers: context, correlation, causation ----

    /// A DecisionMade as the Python system eventdeck grew out of writes it:
    /// no `context`, the aggregate `version`, and the ids in `metadata`.
    fn legacy(metadata: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "event_id": ID, "event_type": "DecisionMade",
            "timestamp": "2026-12-01T22:01:00.123456", "aggregate_id": "debate-legacy-1",
            "version": 1, "data": {"decision": "ship"}, "metadata": metadata,
        }))
        .unwrap()
    }

    #[test]
    fn legacy_event_reads_its_correlation_from_metadata_and_its_context_from_the_topic() {
        let topics = TopicMap::default();
        let bytes = legacy(json!({"correlation_id": OTHER, "source": "debate"}));
        let plain = decode(Some(&bytes), &[]);
        assert_eq!(plain.error, None);
        assert_eq!(plain.context(), None, "the body names no context");
        let outcome = decode_on(Some(&bytes), &[], "debate.events", &topics);
        let env = envelope(&outcome);
        assert_eq!(env.context, "debate");
        assert_eq!(
            env.correlation_id.map(|c| c.to_string()).as_deref(),
            Some(OTHER)
        );
        assert_eq!(env.causation_id, None);
        assert_eq!(
            outcome
                .context_rule
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("context from topic debate.events")
        );
        assert_eq!(outcome.event_json().unwrap()["context"], "debate");
        // The same decision on a topic of no context: its source names one.
        let elsewhere = decode_on(Some(&bytes), &[], "legacy.stream", &topics);
        assert_eq!(elsewhere.context(), Some("debate"));
        assert_eq!(
            elsewhere.context_rule.unwrap().to_string(),
            "context from metadata.source \"debate\""
        );
    }

    #[test]
    fn legacy_event_without_a_correlation_id_has_none() {
        let bytes = legacy(json!({"source": "debate"}));
        let outcome = decode_on(Some(&bytes), &[], "debate.events", &TopicMap::default());
        assert_eq!(envelope(&outcome).correlation_id, None);
        assert_eq!(outcome.correlation_id(), None);
        assert_eq!(outcome.event_json().unwrap()["correlation_id"], Value::Null);
        assert_eq!(Glance::from(&outcome).correlation_id, None);
    }

    #[test]
    fn correlation_and_causation_come_from_where_other_stacks_put_them() {
        let body = |meta: Value| legacy(meta);
        let corr = |bytes: &[u8], headers: &[Header]| decode(Some(bytes), headers).correlation_id();
        assert_eq!(
            corr(&body(json!({"correlationId": OTHER})), &[]).as_deref(),
            Some(OTHER)
        );
        for name in [
            "correlation_id",
            "X-Correlation-ID",
            "x-correlation-id",
            "ce_correlationid",
        ] {
            assert_eq!(
                corr(&body(json!({})), &[h(name, OTHER)]).as_deref(),
                Some(OTHER),
                "{name}"
            );
        }
        // The body's metadata wins over a header.
        assert_eq!(
            corr(
                &body(json!({"correlation_id": OTHER})),
                &[h("X-Correlation-ID", ID)]
            )
            .as_deref(),
            Some(OTHER)
        );
        let bad = decode(Some(&body(json!({}))), &[h("X-Correlation-ID", "req-7")]);
        assert_eq!(
            bad.error.as_deref(),
            Some("not an envelope: X-Correlation-ID header \"req-7\" is not a UUID")
        );
        for name in ["causation_id", "causationId"] {
            let outcome = decode(Some(&body(json!({ name: OTHER }))), &[]);
            assert_eq!(outcome.causation_id().as_deref(), Some(OTHER), "{name}");
        }
        let bad = decode(Some(&body(json!({"causation_id": 7}))), &[]);
        assert_eq!(
            bad.error.as_deref(),
            Some("not an envelope: metadata.causation_id 7 is not a UUID")
        );
    }

    #[test]
    fn context_rules_apply_in_order_and_only_name_known_contexts() {
        let topics = TopicMap::default();
        let top_source = serde_json::to_vec(&json!({
            "event_id": ID, "event_type": "X", "timestamp": 0, "source": "testing"
        }))
        .unwrap();
        let outcome = decode_on(Some(&top_source), &[], "other", &topics);
        assert_eq!(
            outcome.context_rule,
            Some(ContextRule {
                context: "testing".into(),
                from: ContextFrom::Field("source"),
            })
        );
        // An unknown source gives nothing: no context is made up.
        let unknown = legacy(json!({"source": "billing"}));
        let outcome = decode_on(Some(&unknown), &[], "other", &topics);
        assert_eq!((outcome.context(), &outcome.context_rule), (None, &None));
        // The event's own context is never replaced.
        let own = serde_json::to_vec(&json!({
            "event_id": ID, "event_type": "X", "timestamp": 0, "context": "evolution",
            "metadata": {"source": "debate"}
        }))
        .unwrap();
        let outcome = decode_on(Some(&own), &[], "debate.events", &topics);
        assert_eq!(
            (outcome.context(), &outcome.context_rule),
            (Some("evolution"), &None)
        );
        // A dead letter on a context's DLQ belongs to that context.
        let on_dlq = decode_on(Some(&unknown), &[], "debate.events.dlq", &topics);
        assert_eq!(on_dlq.context(), Some("debate"));
    }

    #[test]
    fn a_cloudevent_gets_a_context_from_its_topic_or_a_source_naming_one() {
        let topics = TopicMap::default();
        let ce = |source: &str| {
            serde_json::to_vec(&json!({
                "specversion": "1.0", "id": "e-1", "type": "t", "source": source
            }))
            .unwrap()
        };
        let on_topic = decode_on(Some(&ce("/orders")), &[], "testing.events", &topics);
        assert_eq!(on_topic.context(), Some("testing"));
        let by_source = decode_on(Some(&ce("/performance")), &[], "ce.stream", &topics);
        assert_eq!(by_source.context(), Some("performance"));
        assert_eq!(
            by_source.context_rule.unwrap().to_string(),
            "context from the CloudEvent source \"performance\""
        );
        assert_eq!(
            decode_on(Some(&ce("/orders")), &[], "ce.stream", &topics).context(),
            None
        );
    }

    #[test]
    fn glance_on_settles_the_context_as_decode_on_does() {
        let topics = TopicMap::default();
        let canonical_without_context = {
            let mut env = Envelope::new("", "DecisionMade", "a", json!({}));
            env.context = String::new();
            encode(&env).value
        };
        let with_source = {
            let mut v: Value = serde_json::from_slice(&canonical_without_context).unwrap();
            v["source"] = json!("debate");
            serde_json::to_vec(&v).unwrap()
        };
        for (bytes, topic) in [
            (legacy(json!({"source": "debate"})), "debate.events"),
            (legacy(json!({"source": "debate"})), "nowhere"),
            (legacy(json!({"source": "nobody"})), "nowhere"),
            (canonical_without_context.clone(), "implementation.events"),
            (canonical_without_context.clone(), "nowhere"),
            // Canonical, but naming its producer in a field of its own.
            (with_source, "nowhere"),
        ] {
            let g = glance_on(Some(&bytes), &[], topic, &topics);
            let d = decode_on(Some(&bytes), &[], topic, &topics);
            assert_eq!(g, Glance::from(&d), "{topic}");
            // The reader's one read says the same, and the summary decode's.
            let read = glance_with_summary_on(Some(&bytes), &[], topic, &topics, 80);
            assert_eq!(read, (g, d.summary(80)), "{topic}");
        }
    }

    /// Found by the record fuzz target: a canonical envelope whose `data`
    /// holds a key that is not UTF-8 was glanced at as an envelope and
    /// decoded as raw bytes. The same for what else a `Value` refuses: a lone
    /// surrogate, a number out of range, more than 128 levels.
    #[test]
    fn glance_refuses_the_data_decode_refuses() {
        let value = encode(&Envelope::new(
            "debate",
            "DecisionMade",
            "a",
            json!({"outcome": 1}),
        ))
        .value;
        let text = String::from_utf8(value).unwrap();
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for data in [
            "{\"\u{fffd}utcome\":1}",
            r#"{"a":"\ud800"}"#,
            r#"{"a":1e400}"#,
            deep.as_str(),
        ] {
            let mut bytes = text.replace(r#"{"outcome":1}"#, data).into_bytes();
            if data.starts_with('{') && data.contains('\u{fffd}') {
                // The key's first character as a lone continuation byte.
                let at = bytes
                    .windows(3)
                    .position(|w| w == "\u{fffd}".as_bytes())
                    .unwrap();
                bytes.splice(at..at + 3, [0x98]);
            }
            let decoded = decode(Some(&bytes), &[]);
            assert_ne!(decoded.kind(), RecordKind::Envelope, "{data}");
            assert_eq!(glance(Some(&bytes), &[]), Glance::from(&decoded), "{data}");
        }
    }

    /// Found by the record fuzz target (its seed `tombstone`): a record that
    /// is not an event, on a context's topic, got the context from decode_on
    /// but none from glance_on.
    #[test]
    fn glance_on_settles_records_that_are_not_events_as_decode_on_does() {
        let topics = TopicMap::default();
        for (value, topic) in [
            (None, "debate.events"),
            (Some(b"\xff raw".as_slice()), "debate.events"),
            (
                Some(br#"{"plain":"json"}"#.as_slice()),
                "testing.events.dlq",
            ),
            (Some(b"[1]".as_slice()), "nowhere"),
        ] {
            let g = glance_on(value, &[], topic, &topics);
            let d = decode_on(value, &[], topic, &topics);
            assert_eq!(g, Glance::from(&d), "{topic}");
        }
    }

    #[test]
    fn trace_ids_come_from_w3c_traceparents_only() {
        assert_eq!(
            trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "00-xyz-01",
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-short-01",
        ] {
            assert_eq!(trace_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn missing_fields_fall_back_to_headers() {
        let headers = [
            h("context", "testing"),
            h("schema_version", "3"),
            h("correlation_id", OTHER),
            h("causation_id", ID),
            h("aggregate_id", "suite-9"),
            h("occurred_at", "2024-05-01T10:00:00.5Z"),
        ];
        let outcome = decode_json(json!({"event_id": ID, "event_type": "X"}), &headers);
        let env = envelope(&outcome);
        assert_eq!(env.context, "testing");
        assert_eq!(env.schema_version, 3);
        assert_eq!(env.correlation_id.unwrap().to_string(), OTHER);
        assert_eq!(env.causation_id.map(|c| c.to_string()).as_deref(), Some(ID));
        assert_eq!(env.aggregate_id, "suite-9");
        assert_eq!(env.occurred_at_rfc3339(), "2024-05-01T10:00:00.500000Z");
        assert_eq!(outcome.context(), Some("testing"));
    }

    #[test]
    fn body_wins_over_headers() {
        let outcome = decode_json(
            json!({"event_id": ID, "event_type": "X", "occurred_at": "2024-05-01T10:00:00Z", "context": "debate"}),
            &[h("context", "testing")],
        );
        assert_eq!(envelope(&outcome).context, "debate");
    }

    #[test]
    fn epoch_millis_naive_times_and_lenient_scalars_are_accepted() {
        let base = json!({"event_id": ID, "event_type": "X"});
        let with = |key: &str, value: Value| {
            let mut v = base.clone();
            v[key] = value;
            if key != "occurred_at" {
                v["occurred_at"] = json!("2024-01-01T00:00:00Z");
            }
            decode_json(v, &[])
        };
        let millis = with("occurred_at", json!(1_700_000_000_123_i64));
        assert_eq!(
            envelope(&millis).occurred_at_rfc3339(),
            "2023-11-14T22:13:20.123000Z"
        );
        let float = with("occurred_at", json!(1_700_000_000_123.5));
        assert_eq!(
            envelope(&float).occurred_at_rfc3339(),
            "2023-11-14T22:13:20.123500Z"
        );
        let naive = with("occurred_at", json!("2024-02-03T04:05:06.789012"));
        assert_eq!(
            envelope(&naive).occurred_at_rfc3339(),
            "2024-02-03T04:05:06.789012Z"
        );
        let spaced = with("occurred_at", json!("2024-02-03 04:05:06"));
        assert_eq!(
            envelope(&spaced).occurred_at_rfc3339(),
            "2024-02-03T04:05:06.000000Z"
        );
        assert_eq!(
            envelope(&with("schema_version", json!("4"))).schema_version,
            4
        );
        assert_eq!(
            envelope(&with("aggregate_id", json!(1234))).aggregate_id,
            "1234"
        );
        assert_eq!(envelope(&with("data", Value::Null)).data, Value::Null);
        let upper = with("correlation_id", json!(OTHER.to_uppercase()));
        assert_eq!(envelope(&upper).correlation_id.unwrap().to_string(), OTHER);
    }

    #[test]
    fn bad_event_id_makes_it_json_with_the_reason() {
        let value =
            json!({"event_id": "abc", "event_type": "X", "occurred_at": "2024-01-01T00:00:00Z"});
        let outcome = decode_json(value.clone(), &[]);
        assert_eq!(outcome.decoded, Decoded::Json(value));
        assert_eq!(
            outcome.error.as_deref(),
            Some(r#"not an envelope: event_id "abc" is not a UUID"#)
        );
        let alias = decode_json(json!({"id": 42, "type": "X", "timestamp": 0}), &[]);
        assert_eq!(
            alias.error.as_deref(),
            Some("not an envelope: id 42 is not a UUID")
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let outcome = decode_json(
            json!({"event_id": ID, "event_type": 5, "occurred_at": "yesterday", "schema_version": -1,
                   "context": ["x"], "correlation_id": "nope", "causation_id": "also-nope"}),
            &[],
        );
        assert_eq!(outcome.kind(), RecordKind::Json);
        assert_eq!(
            outcome.error.as_deref(),
            Some(concat!(
                "not an envelope: event_type 5 is not a string; ",
                "occurred_at \"yesterday\" is not an RFC 3339 time or epoch milliseconds; ",
                "schema_version -1 is not a version number; context [\"x\"] is not a string; ",
                "correlation_id \"nope\" is not a UUID; causation_id \"also-nope\" is not a UUID"
            ))
        );
    }

    #[test]
    fn missing_time_and_bad_headers_are_named() {
        let missing = decode_json(json!({"event_id": ID, "event_type": "X"}), &[]);
        assert_eq!(
            missing.error.as_deref(),
            Some("not an envelope: occurred_at / occurredAt / timestamp is missing")
        );
        let bad_header = decode_json(
            json!({"event_id": ID, "event_type": "X", "occurred_at": "2024-01-01T00:00:00Z"}),
            &[h("correlation_id", "zzz"), h("schema_version", "two")],
        );
        assert_eq!(
            bad_header.error.as_deref(),
            Some(concat!(
                "not an envelope: schema_version header \"two\" is not a version number; ",
                "correlation_id header \"zzz\" is not a UUID"
            ))
        );
        let empty_header = decode_json(
            json!({"event_id": ID, "event_type": "X", "occurred_at": "2024-01-01T00:00:00Z"}),
            &[h("correlation_id", "")],
        );
        assert_eq!(empty_header.kind(), RecordKind::Envelope);
    }

    #[test]
    fn long_values_are_cut_in_errors() {
        let long = "x".repeat(500);
        let outcome = decode_json(
            json!({"event_id": long, "event_type": "X", "occurred_at": 0}),
            &[],
        );
        let error = outcome.error.unwrap();
        assert!(error.len() < 120 && error.contains('…'), "{error}");
    }

    #[test]
    fn envelope_accessors() {
        let env = sample();
        let encoded = encode(&env);
        let outcome = decode(Some(&encoded.value), &[]);
        assert_eq!(outcome.kind(), RecordKind::Envelope);
        assert_eq!(outcome.event_type(), Some("TaskCreated"));
        assert_eq!(outcome.context(), Some("implementation"));
        assert_eq!(outcome.event_id(), Some(env.event_id.to_string()));
        assert_eq!(
            outcome.correlation_id(),
            env.correlation_id.map(|c| c.to_string())
        );
        assert_eq!(
            outcome.causation_id(),
            env.causation_id.map(|c| c.to_string())
        );
        assert_eq!(outcome.event_json(), Some(env.to_json()));
        assert_eq!(outcome.summary(80), r#"{"title":"Ünïcode ✓"}"#);
    }

    // ---- CloudEvents, binary mode ----

    fn binary_headers() -> Vec<Header> {
        vec![
            h("ce_specversion", "1.0"),
            h("ce_id", "evt-1"),
            h("ce_type", "com.example.order.placed"),
            h("ce_source", "/orders"),
            h("ce_time", "2024-05-01T10:00:00Z"),
            h("ce_subject", "order-9"),
            h("ce_correlationid", OTHER),
            h("ce_causationid", ID),
            h("ce_traceparent", "00-abc-def-01"),
            h("ce_tenant", "acme"),
            h("content-type", "application/json"),
        ]
    }

    #[test]
    fn binary_cloudevent_reads_headers_and_value() {
        let outcome = decode(Some(br#"{"total": 12}"#), &binary_headers());
        assert_eq!(outcome.error, None);
        let event = cloudevent(&outcome);
        assert_eq!(event.mode, MODE_BINARY);
        assert_eq!(event.id, "evt-1");
        assert_eq!(event.event_type, "com.example.order.placed");
        assert_eq!(event.source, "/orders");
        assert_eq!(event.specversion, "1.0");
        assert_eq!(event.time.as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(event.subject.as_deref(), Some("order-9"));
        assert_eq!(event.datacontenttype.as_deref(), Some("application/json"));
        assert_eq!(event.data, Some(json!({"total": 12})));
        assert_eq!(event.traceparent.as_deref(), Some("00-abc-def-01"));
        assert_eq!(
            event.extensions,
            [("tenant".to_string(), json!("acme"))].into()
        );
        assert_eq!(outcome.kind(), RecordKind::CloudEvent);
        assert_eq!(outcome.event_type(), Some("com.example.order.placed"));
        assert_eq!(outcome.context(), None);
        assert_eq!(outcome.event_id().as_deref(), Some("evt-1"));
        assert_eq!(outcome.correlation_id().as_deref(), Some(OTHER));
        assert_eq!(outcome.causation_id().as_deref(), Some(ID));
        assert_eq!(outcome.summary(80), r#"{"total":12}"#);
        let json = outcome.event_json().unwrap();
        assert_eq!(json["type"], "com.example.order.placed");
        assert_eq!(json["mode"], "binary");
    }

    #[test]
    fn binary_cloudevent_accepts_dashes_and_plain_traceparent() {
        let headers = [
            h("ce-specversion", "1.0"),
            h("ce-id", "1"),
            h("CE-Type", "t"),
            h("ce-source", "s"),
            h("traceparent", "00-xyz-01"),
        ];
        let outcome = decode(Some(b"plain text"), &headers);
        let event = cloudevent(&outcome);
        assert_eq!(
            (
                event.id.as_str(),
                event.event_type.as_str(),
                event.source.as_str()
            ),
            ("1", "t", "s")
        );
        assert_eq!(event.traceparent.as_deref(), Some("00-xyz-01"));
        // No content-type and not JSON: the text itself, no complaint.
        assert_eq!(event.data, Some(json!("plain text")));
        assert_eq!(outcome.error, None);
    }

    #[test]
    fn binary_cloudevent_notes_missing_attributes() {
        let outcome = decode(Some(b"{}"), &[h("ce_id", "1"), h("ce_type", "t")]);
        assert_eq!(
            outcome.error.as_deref(),
            Some("CloudEvent (binary) is missing ce_source, ce_specversion")
        );
        assert_eq!(cloudevent(&outcome).source, "");
        let only_version = decode(Some(b"1"), &[h("ce_specversion", "1.0")]);
        assert_eq!(only_version.kind(), RecordKind::CloudEvent);
        assert_eq!(only_version.event_type(), None);
        assert_eq!(only_version.event_id(), None);
        // ce_id alone is not enough to call it a CloudEvent.
        assert_eq!(
            decode(Some(b"{}"), &[h("ce_id", "1")]).kind(),
            RecordKind::Json
        );
        assert_eq!(
            decode(Some(b"{}"), &[("ce_specversion".into(), None)]).kind(),
            RecordKind::Json
        );
    }

    #[test]
    fn binary_cloudevent_data_follows_content_type() {
        let mut headers = binary_headers();
        let bad = decode(Some(br#"{"a":"#), &headers);
        assert_eq!(cloudevent(&bad).data, Some(json!(r#"{"a":"#)));
        assert_eq!(
            bad.error.as_deref(),
            Some(
                "data is not valid JSON: invalid JSON: EOF while parsing a value at line 1 column 5"
            )
        );
        // Data too deep for a `Value` is kept as text, and the error says why.
        let deep = crate::domain::deep::nested(200, true);
        let outcome = decode(Some(deep.as_bytes()), &headers);
        assert_eq!(cloudevent(&outcome).data, Some(json!(deep)));
        let error = outcome.error.unwrap();
        assert!(
            error.starts_with("data is JSON nested 200 levels deep"),
            "{error}"
        );
        headers.push(h("Content-Type", "text/plain; charset=utf-8"));
        let text = decode(Some(b"42"), &headers);
        assert_eq!(cloudevent(&text).data, Some(json!("42")));
        assert_eq!(
            cloudevent(&text).datacontenttype.as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(text.error, None);
        let empty = decode(Some(b""), &headers);
        assert_eq!(cloudevent(&empty).data, None);
        assert_eq!(empty.summary(20), "∅ no data");
        let cloudevents_json = [
            h("ce_id", "1"),
            h("ce_type", "t"),
            h("content-type", "application/vnd.x+json"),
        ];
        assert_eq!(
            cloudevent(&decode(Some(b"[1]"), &cloudevents_json)).data,
            Some(json!([1]))
        );
    }

    #[test]
    fn binary_cloudevent_takes_datacontenttype_header_without_content_type() {
        let headers = [
            h("ce_id", "1"),
            h("ce_type", "t"),
            h("ce_datacontenttype", "application/json"),
        ];
        let outcome = decode(Some(b"[true]"), &headers);
        let event = cloudevent(&outcome);
        assert_eq!(event.datacontenttype.as_deref(), Some("application/json"));
        assert!(event.extensions.is_empty());
    }

    #[test]
    fn non_utf8_binary_data_is_lossy_text() {
        let headers = [
            h("ce_id", "1"),
            h("ce_type", "t"),
            h("content-type", "application/avro"),
        ];
        let outcome = decode(Some(&[0x01, 0xff, b'a']), &headers);
        assert_eq!(cloudevent(&outcome).data, Some(json!("\u{1}\u{fffd}a")));
    }

    // ---- CloudEvents, structured mode ----

    fn structured() -> Value {
        json!({
            "specversion": "1.0", "id": "evt-2", "type": "com.example.shipped", "source": "urn:shipping",
            "time": "2024-05-01T10:00:00Z", "datacontenttype": "application/json",
            "dataschema": "https://example.com/s.json", "subject": "parcel-1",
            "correlationid": OTHER, "causationid": ID, "traceparent": "00-t-01",
            "region": "eu", "priority": 3, "data": {"parcel": 1}
        })
    }

    #[test]
    fn structured_cloudevent_by_content_type() {
        for ct in [
            "application/cloudevents+json",
            "Application/CloudEvents+JSON; charset=UTF-8",
        ] {
            let outcome = decode_json(structured(), &[h("content-type", ct)]);
            assert_eq!(outcome.error, None);
            let event = cloudevent(&outcome);
            assert_eq!(event.mode, MODE_STRUCTURED);
            assert_eq!(event.id, "evt-2");
            assert_eq!(event.event_type, "com.example.shipped");
            assert_eq!(event.source, "urn:shipping");
            assert_eq!(
                event.dataschema.as_deref(),
                Some("https://example.com/s.json")
            );
            assert_eq!(event.subject.as_deref(), Some("parcel-1"));
            assert_eq!(event.datacontenttype.as_deref(), Some("application/json"));
            assert_eq!(event.correlationid.as_deref(), Some(OTHER));
            assert_eq!(event.causationid.as_deref(), Some(ID));
            assert_eq!(event.traceparent.as_deref(), Some("00-t-01"));
            assert_eq!(event.data, Some(json!({"parcel": 1})));
            assert_eq!(
                event.extensions,
                [
                    ("priority".into(), json!(3)),
                    ("region".into(), json!("eu"))
                ]
                .into()
            );
        }
    }

    #[test]
    fn structured_cloudevent_by_shape() {
        let outcome = decode_json(structured(), &[]);
        assert_eq!(cloudevent(&outcome).mode, MODE_STRUCTURED);
        assert_eq!(outcome.correlation_id().as_deref(), Some(OTHER));
        // Even with a UUID id, a specversion makes it a CloudEvent, not our envelope.
        let ce_like =
            json!({"specversion": "1.0", "id": ID, "type": "X", "source": "s", "timestamp": 0});
        assert_eq!(decode_json(ce_like, &[]).kind(), RecordKind::CloudEvent);
    }

    #[test]
    fn structured_content_type_wins_over_ce_headers() {
        let mut headers = binary_headers();
        headers.push(h("content-type", "application/cloudevents+json"));
        let outcome = decode_json(structured(), &headers);
        assert_eq!(cloudevent(&outcome).mode, MODE_STRUCTURED);
        assert_eq!(cloudevent(&outcome).id, "evt-2");
    }

    #[test]
    fn structured_cloudevent_notes_missing_and_odd_attributes() {
        let outcome = decode_json(
            json!({"id": 17, "type": "t", "data": null}),
            &[h("content-type", "application/cloudevents+json")],
        );
        let event = cloudevent(&outcome);
        assert_eq!(event.id, "17");
        assert_eq!(event.data, None);
        assert_eq!(
            outcome.error.as_deref(),
            Some(
                "CloudEvent id 17 is not a string; CloudEvent (structured) is missing source, specversion"
            )
        );
    }

    #[test]
    fn structured_cloudevent_keeps_data_base64_as_text() {
        let outcome = decode_json(
            json!({"specversion": "1.0", "id": "1", "type": "t", "source": "s", "data_base64": "AAEC"}),
            &[],
        );
        assert_eq!(cloudevent(&outcome).data, Some(json!("AAEC")));
        assert_eq!(outcome.error, None);
        let both = decode_json(
            json!({"specversion": "1.0", "id": "1", "type": "t", "source": "s", "data": 1, "data_base64": "AA"}),
            &[],
        );
        assert_eq!(cloudevent(&both).data, Some(json!(1)));
        assert!(both.error.is_some());
    }

    #[test]
    fn cloudevents_content_type_on_a_non_object_is_json_with_error() {
        let outcome = decode_json(
            json!([1]),
            &[h("content-type", "application/cloudevents+json")],
        );
        assert_eq!(outcome.decoded, Decoded::Json(json!([1])));
        assert_eq!(
            outcome.error.as_deref(),
            Some("content-type is application/cloudevents+json but the value is not a JSON object")
        );
        let garbage = decode(
            Some(b"nope"),
            &[h("content-type", "application/cloudevents+json")],
        );
        assert_eq!(garbage.kind(), RecordKind::Raw);
    }

    #[test]
    fn cloudevent_serialises_type_and_kind_names() {
        assert_eq!(
            serde_json::to_value(RecordKind::CloudEvent).unwrap(),
            json!("cloudevent")
        );
        assert_eq!(
            serde_json::to_value(RecordKind::Tombstone).unwrap(),
            json!("tombstone")
        );
        assert_eq!(RecordKind::Json.to_string(), "json");
        let outcome = decode_json(structured(), &[]);
        let back: CloudEvent = serde_json::from_value(outcome.event_json().unwrap()).unwrap();
        assert_eq!(&back, cloudevent(&outcome));
    }

    // ---- headers, summary, hex ----

    #[test]
    fn header_lookup_is_case_insensitive_and_last_wins() {
        let headers = [h("Context", "a"), h("context", "b"), ("other".into(), None)];
        assert_eq!(header_str(&headers, "CONTEXT").as_deref(), Some("b"));
        assert_eq!(header_value(&headers, "other"), None);
        assert_eq!(header_value(&headers, "missing"), None);
    }

    #[test]
    fn summary_cuts_with_an_ellipsis() {
        let outcome = decode_json(json!({"k": "ääääääääää"}), &[]);
        assert_eq!(outcome.summary(100), r#"{"k":"ääääääääää"}"#);
        assert_eq!(outcome.summary(8), r#"{"k":"ä…"#);
        assert_eq!(outcome.summary(8).chars().count(), 8);
        assert_eq!(outcome.summary(1), "…");
        assert_eq!(outcome.summary(0), "");
        assert_eq!(DecodeOutcome::ok(Decoded::Tombstone).summary(3), "∅ …");
    }

    #[test]
    fn summary_of_a_huge_payload_is_short() {
        let big: Vec<Value> = (0..100_000).map(|i| json!({"i": i})).collect();
        let outcome = DecodeOutcome::ok(Decoded::Json(Value::Array(big)));
        let summary = outcome.summary(30);
        assert_eq!(summary.chars().count(), 30);
        assert!(summary.starts_with(r#"[{"i":0},{"i":1}"#));
        let raw = DecodeOutcome::ok(Decoded::Raw(vec![b'x'; 1_000_000]));
        assert_eq!(raw.summary(5), "xxxx…");
    }

    #[test]
    fn summary_escapes_newlines_in_json() {
        let outcome = DecodeOutcome::ok(Decoded::Json(json!("a\nb")));
        assert_eq!(outcome.summary(20), r#""a\nb""#);
    }

    #[test]
    fn hex_dump_is_hexdump_c_style() {
        let bytes: Vec<u8> = (0u8..20).chain(*b"Hi!").collect();
        assert_eq!(
            hex_dump(&bytes, 1024),
            concat!(
                "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n",
                "00000010  10 11 12 13 48 69 21                              |....Hi!|"
            )
        );
        assert_eq!(
            hex_dump(b"{\"a\": 1}", 4),
            "00000000  7b 22 61 22                                       |{\"a\"|\n… 4 more bytes"
        );
        assert_eq!(
            hex_dump(b"ab", 1),
            "00000000  61                                                |a|\n… 1 more byte"
        );
        assert_eq!(hex_dump(b"", 10), "");
        assert_eq!(hex_dump(b"abc", 0), "… 3 more bytes");
    }

    #[test]
    fn json_deeper_than_128_levels_is_json() {
        for object in [false, true] {
            let text = crate::domain::deep::nested(200, object);
            let outcome = decode(Some(text.as_bytes()), &[]);
            assert_eq!(outcome.kind(), RecordKind::Json, "{:?}", outcome.error);
            assert_eq!(outcome.error, None);
            assert_eq!(outcome.summary(12), format!("{}…", &text[..11]));
            let glance = glance(Some(text.as_bytes()), &[]);
            assert_eq!((glance.kind, glance.has_error), (RecordKind::Json, false));
        }
        // Invalid deep JSON is still raw, with the reason.
        let unclosed = "[".repeat(300);
        let outcome = decode(Some(unclosed.as_bytes()), &[]);
        assert_eq!(outcome.kind(), RecordKind::Raw);
        assert!(outcome.error.unwrap().starts_with("invalid JSON"));
    }

    #[test]
    fn a_deep_event_is_json_that_says_why() {
        let data = crate::domain::deep::nested(300, true);
        let text = format!(r#"{{"event_id":"{ID}","event_type":"T","data":{data}}}"#);
        let outcome = decode(Some(text.as_bytes()), &[]);
        assert_eq!(outcome.kind(), RecordKind::Json);
        let error = outcome.error.unwrap();
        assert!(error.contains("nested 301 levels deep"), "{error}");
    }

    #[test]
    fn json_100_000_levels_deep_decodes_on_a_small_stack() {
        for object in [false, true] {
            crate::domain::deep::on_small_stack(move || {
                let text = crate::domain::deep::nested(100_000, object);
                let outcome = decode(Some(text.as_bytes()), &[]);
                assert_eq!(outcome.kind(), RecordKind::Json);
                assert_eq!(outcome.summary(8).chars().count(), 8);
                let copy = outcome.clone();
                assert_eq!(copy, outcome);
                let glance = glance(Some(text.as_bytes()), &[]);
                assert_eq!(glance.kind, RecordKind::Json);
            });
        }
    }
}
