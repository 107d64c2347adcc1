//! An owned copy of a consumed Kafka record, detached from librdkafka's buffers so
//! it can cross channels to the UI and the headless commands.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rdkafka::Message;
use rdkafka::message::Headers as _;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::domain::policy::{Body, Hit, Meta, Policies, Target, View};
use crate::domain::{self, DecodeOutcome, Decoded, Glance, Headers, TopicMap};

/// One record as read from Kafka.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedRecord {
    /// Topic it came from.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
    /// Record timestamp in milliseconds since the epoch, when the broker gave one.
    pub timestamp_ms: Option<i64>,
    /// Key bytes.
    pub key: Option<Vec<u8>>,
    /// Value bytes; `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    /// Headers in wire order.
    pub headers: Headers,
}

/// Characters of a record's one-line summary ([`Arrived::summary`]): wider
/// than any list row is drawn.
pub const SUMMARY_CHARS: usize = 160;

/// A record as its reader hands it on: the record, and what lists, filters,
/// the trace and the flow graph use of it, worked out once where it was read
/// (on the reader's thread, not the console's).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrived {
    /// The record as read.
    pub record: ConsumedRecord,
    /// Its identity and context ([`domain::glance_on`]).
    pub glance: Glance,
    /// Its value on one line, at most [`SUMMARY_CHARS`] characters.
    pub summary: String,
    /// The record as read, when the data policies hid part of it
    /// ([`Arrived::read_shown`]): `record` is then what may be shown, and
    /// this is what writing back would send ([`Arrived::as_read`]).
    pub original: Option<Original>,
    /// What the policies hid.
    pub hits: Vec<Hit>,
}

/// A record as read, kept beside what the data policies let be shown of it
/// ([`Arrived::original`]): the parts the shown record does not have as
/// read (its key, value or headers), taken over from the record as read
/// rather than copied (on the reader's thread, for every record a policy
/// hides something of). Its topic, partition, offset and time are the shown
/// record's.
#[derive(Clone, PartialEq, Eq)]
pub struct Original {
    /// The key as read; `None` when the shown record's is.
    key: Option<Option<Vec<u8>>>,
    /// The value as read; `None` when the shown record's is.
    value: Option<Option<Vec<u8>>>,
    /// The headers as read; `None` when the shown record's are.
    headers: Option<Headers>,
}

impl From<ConsumedRecord> for Original {
    /// All of `record`'s key, value and headers (the shown record has none
    /// of them as read).
    fn from(record: ConsumedRecord) -> Self {
        Self {
            key: Some(record.key),
            value: Some(record.value),
            headers: Some(record.headers),
        }
    }
}

impl Original {
    /// `record` as shown with `key`, `value` and `headers` where they are
    /// given (`None`: as read; a `Some(None)` key: removed), and what it had
    /// in their place.
    pub fn split(
        mut record: ConsumedRecord,
        key: Option<Option<Vec<u8>>>,
        value: Option<Vec<u8>>,
        headers: Option<Headers>,
    ) -> (ConsumedRecord, Self) {
        let original = Self {
            key: key.map(|k| std::mem::replace(&mut record.key, k)),
            value: value.map(|v| record.value.replace(v)),
            headers: headers.map(|h| std::mem::replace(&mut record.headers, h)),
        };
        (record, original)
    }

    /// The record as read: the parts kept here, the rest (with the place
    /// and time) `shown`'s.
    pub fn record(&self, shown: &ConsumedRecord) -> ConsumedRecord {
        ConsumedRecord {
            topic: shown.topic.clone(),
            partition: shown.partition,
            offset: shown.offset,
            timestamp_ms: shown.timestamp_ms,
            key: self.key_of(shown).map(<[u8]>::to_vec),
            value: self.value_of(shown).map(<[u8]>::to_vec),
            headers: self.headers_of(shown).clone(),
        }
    }

    /// Bytes it holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        let bytes =
            |b: &Option<Option<Vec<u8>>>| b.iter().flatten().map(Vec::capacity).sum::<usize>();
        bytes(&self.key) + bytes(&self.value) + self.headers.as_ref().map_or(0, Headers::heap_bytes)
    }

    /// The value as read, `shown`'s where it was not replaced.
    fn value_of<'a>(&'a self, shown: &'a ConsumedRecord) -> Option<&'a [u8]> {
        self.value.as_ref().unwrap_or(&shown.value).as_deref()
    }

    /// The key as read, `shown`'s where it was not replaced.
    fn key_of<'a>(&'a self, shown: &'a ConsumedRecord) -> Option<&'a [u8]> {
        self.key.as_ref().unwrap_or(&shown.key).as_deref()
    }

    /// The headers as read, `shown`'s where they were not replaced.
    fn headers_of<'a>(&'a self, shown: &'a ConsumedRecord) -> &'a Headers {
        self.headers.as_ref().unwrap_or(&shown.headers)
    }
}

impl std::fmt::Debug for Original {
    /// What it keeps, not the bytes (they may be what a policy hides).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Original({} bytes)", self.heap_bytes())
    }
}

impl Arrived {
    /// The record as read when the data policies hid part of it
    /// ([`Arrived::original`]).
    pub fn as_read(&self) -> Option<ConsumedRecord> {
        self.original.as_ref().map(|o| o.record(&self.record))
    }

    /// [`Arrived::read_shown`] for the console's list, which keeps no copy of
    /// a masked record as read when nothing but writing it back needs one:
    /// writing it back reads it again from Kafka by its offset
    /// ([`super::consume::read_at`]). Kept: the original of a record whose
    /// value or key names a registry schema (read again once its schema is
    /// in, and the record view names its schemas from it) and of one whose dead-letter
    /// headers a policy hid (they say where writing it back sends it). What a
    /// masked record costs the list is then about what an unmasked one does.
    pub fn read_listed(
        mut record: ConsumedRecord,
        topics: &TopicMap,
        schemas: Option<&dyn domain::schema::SchemaSource>,
        policies: &Policies,
    ) -> Self {
        // A canonical envelope that needs no copy kept is hidden in its own
        // bytes: nothing is copied. A copy may be needed where a policy could
        // hide a dead-letter header, or where the key names a registry
        // schema (see above; a value that names one is not canonical).
        let may_need_copy = |r: &ConsumedRecord| {
            let letter = || {
                r.headers
                    .iter()
                    .any(|(name, _)| domain::headers::is_dead_letter_header(name))
            };
            domain::schema::may_name_key_schema(r.key.as_deref(), &r.headers)
                || (policies.may_hide_dead_letter_header() && letter())
        };
        let in_place = !policies.is_empty() && !may_need_copy(&record);
        if in_place && let Some(shown) = record.shown_canonical_in_place(policies, topics) {
            return Self {
                record,
                glance: shown.glance,
                summary: shown.summary,
                original: None,
                hits: shown.hits,
            };
        }
        // Where the in-place path declined, the copying fast path would
        // decline the same way: the general path reads it.
        let mut arrived = if in_place {
            Self::read_shown_general(record, topics, schemas, policies)
        } else {
            Self::read_shown(record, topics, schemas, policies)
        };
        if let Some(original) = &arrived.original {
            let headers = original.headers_of(&arrived.record);
            let named =
                domain::schema::may_name_schema(original.value_of(&arrived.record), headers)
                    || domain::schema::may_name_key_schema(
                        original.key_of(&arrived.record),
                        headers,
                    );
            let letter_hidden = arrived.hits.iter().any(|h| {
                matches!(&h.target, Target::Header(name)
                    if domain::headers::is_dead_letter_header(name))
            });
            if !named && !letter_hidden {
                arrived.original = None;
            }
        }
        arrived
    }

    /// Reads `record`'s glance and summary, its context settled from `topics`.
    pub fn read(record: ConsumedRecord, topics: &TopicMap) -> Self {
        let (glance, summary) = domain::glance_with_summary_on(
            record.value.as_deref(),
            &record.headers,
            &record.topic,
            topics,
            SUMMARY_CHARS,
        );
        Self {
            record,
            glance,
            summary,
            original: None,
            hits: Vec::new(),
        }
    }
}

impl Arrived {
    /// [`Arrived::read`] for a record that may be in a schema registry's wire
    /// format: `schemas` answers without waiting, so a record whose schema is
    /// still being fetched arrives raw with a pending `error`
    /// ([`domain::glance_with_summary_schemas`]).
    pub fn read_with(
        record: ConsumedRecord,
        topics: &TopicMap,
        schemas: &dyn domain::schema::SchemaSource,
    ) -> Self {
        let (glance, summary) = domain::glance_with_summary_schemas(
            record.value.as_deref(),
            &record.headers,
            &record.topic,
            topics,
            SUMMARY_CHARS,
            schemas,
        );
        Self {
            record,
            glance,
            summary,
            original: None,
            hits: Vec::new(),
        }
    }
}

impl Arrived {
    /// The record as the data policies let it be shown
    /// ([`ConsumedRecord::masked`]), read as [`Arrived::read_with`] (as
    /// [`Arrived::read`] without `schemas`); the record as read is kept in
    /// [`Arrived::original`] when something was hidden.
    pub fn read_shown(
        record: ConsumedRecord,
        topics: &TopicMap,
        schemas: Option<&dyn domain::schema::SchemaSource>,
        policies: &Policies,
    ) -> Self {
        // A canonical envelope: masked and read in one pass.
        if let Some(fast) = record.shown_canonical(policies, topics) {
            let domain::shown::Shown {
                value,
                headers,
                key,
                hits,
                glance,
                summary,
            } = fast;
            let (record, original) = if hits.is_empty() {
                (record, None)
            } else {
                let (shown, original) = Original::split(record, key, value, headers);
                (shown, Some(original))
            };
            return Self {
                record,
                glance,
                summary,
                original,
                hits,
            };
        }
        Self::read_shown_general(record, topics, schemas, policies)
    }

    /// [`Arrived::read_shown`] by the general path: the policies applied to
    /// the decoded record ([`ConsumedRecord::masked_general`]).
    fn read_shown_general(
        record: ConsumedRecord,
        topics: &TopicMap,
        schemas: Option<&dyn domain::schema::SchemaSource>,
        policies: &Policies,
    ) -> Self {
        let masked = match schemas {
            Some(schemas) => record.masked_general(policies, topics, schemas),
            None => record.masked_general(policies, topics, &domain::schema::NoRegistry),
        };
        let (shown, original, hits) = match masked {
            Some((shown, hits)) => (shown, Some(record), hits),
            None => (record, None, Vec::new()),
        };
        let mut arrived = match schemas {
            Some(schemas) => Self::read_with(shown, topics, schemas),
            None => Self::read(shown, topics),
        };
        // A registry record whose schema is still being fetched is hidden
        // whole (its fields cannot be told apart yet): it stays pending, so
        // it is read again, and masked field by field, once the schema is in.
        if let (Some(schemas), Some(read)) = (schemas, &original)
            && hits
                .iter()
                .any(|h| h.target == Target::Value(Default::default()))
        {
            arrived.glance.schema_pending = read
                .decode_with(topics, schemas)
                .error
                .is_some_and(|e| e.starts_with(domain::SCHEMA_PENDING));
        }
        arrived.original = original.map(Original::from);
        arrived.hits = hits;
        arrived
    }
}

/// Room reserved for header values (our envelope's eight come to ~230 bytes).
const HEADER_BYTES_GUESS: usize = 256;

/// The name a header gets when its name is not UTF-8: rdkafka 0.39 cannot
/// give such a name (or its value) to safe code, it panics instead
/// (`BorrowedHeaders::try_get` unwraps `CStr::to_str`). The replacement
/// character, as for any text that is not UTF-8; the value is unknown (null).
pub const UNREADABLE_HEADER_NAME: &str = "\u{fffd}";

thread_local! {
    /// True while this thread reads a header under `catch_unwind`.
    static READING_HEADER: Cell<bool> = const { Cell::new(false) };
}

/// True on a thread that is reading a record's header: a panic there is
/// rdkafka's on a header name that is not UTF-8, caught and turned into an
/// [`UNREADABLE_HEADER_NAME`] header. Panic hooks stay silent for it (no
/// crash report, the console does not end).
pub fn reading_header() -> bool {
    READING_HEADER.with(Cell::get)
}

/// Header `idx`, or `Err` when rdkafka panicked reading it (a name that is
/// not UTF-8).
pub(crate) fn read_header<H: rdkafka::message::Headers>(
    hs: &H,
    idx: usize,
) -> Result<Option<rdkafka::message::Header<'_, &[u8]>>, ()> {
    READING_HEADER.with(|r| r.set(true));
    let header = catch_unwind(AssertUnwindSafe(|| hs.try_get(idx)));
    READING_HEADER.with(|r| r.set(false));
    header.map_err(|_| ())
}

impl ConsumedRecord {
    /// Copies what we need out of a borrowed rdkafka message.
    pub(crate) fn from_message<M: Message>(m: &M) -> Self {
        let headers = m
            .headers()
            .map(|hs| {
                // One pass: each header read costs a call into librdkafka.
                let count = hs.count();
                let mut headers = Headers::with_capacity(count, HEADER_BYTES_GUESS);
                for idx in 0..count {
                    match read_header(hs, idx) {
                        Ok(Some(h)) => headers.push(h.key, h.value),
                        Ok(None) => break,
                        Err(()) => {
                            tracing::warn!(
                                topic = m.topic(),
                                partition = m.partition(),
                                offset = m.offset(),
                                header = idx,
                                "a header name is not UTF-8; shown as {UNREADABLE_HEADER_NAME} without its value"
                            );
                            headers.push(UNREADABLE_HEADER_NAME, None);
                        }
                    }
                }
                headers
            })
            .unwrap_or_default();
        Self {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers,
        }
    }

    /// Bytes this record holds on the heap, and the struct itself.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.topic.capacity()
            + self.key.as_ref().map_or(0, Vec::capacity)
            + self.value.as_ref().map_or(0, Vec::capacity)
            + self.headers.heap_bytes()
    }

    /// Decodes the value with the lenient codec.
    pub fn decode(&self) -> DecodeOutcome {
        domain::decode(self.value.as_deref(), &self.headers)
    }

    /// Decodes the value, settling the context of an event that carries none
    /// from `topics` ([`domain::decode_on`]).
    pub fn decode_in(&self, topics: &TopicMap) -> DecodeOutcome {
        domain::decode_on(self.value.as_deref(), &self.headers, &self.topic, topics)
    }

    /// The registry schemas this record names for its value and its key, as
    /// [`ConsumedRecord::decode_with`] names them, from the framing and the
    /// registry's answer alone: nothing of its values is read (what the view
    /// of a masked record says of the record as read).
    pub fn schema_names(
        &self,
        schemas: &dyn domain::schema::SchemaSource,
    ) -> (
        Option<domain::schema::SchemaRef>,
        Option<domain::schema::SchemaRef>,
    ) {
        use domain::codec::schema_named;
        use domain::schema::Field;
        let named = |bytes: Option<&[u8]>, field| {
            schema_named(bytes?, &self.headers, &self.topic, field, schemas)
        };
        // As the decode: a value's schema is named only by an id.
        let value = named(self.value.as_deref(), Field::Value)
            .filter(|r| r.id.is_some() || r.global_id.is_some());
        (value, named(self.key.as_deref(), Field::Key))
    }

    /// [`ConsumedRecord::decode_in`] for a record that may be in a schema
    /// registry's wire format ([`domain::decode_with_schemas`]), its key
    /// too ([`domain::decode_key_with_schemas`]).
    pub fn decode_with(
        &self,
        topics: &TopicMap,
        schemas: &dyn domain::schema::SchemaSource,
    ) -> DecodeOutcome {
        let mut outcome = domain::decode_with_schemas(
            self.value.as_deref(),
            &self.headers,
            &self.topic,
            topics,
            schemas,
        );
        outcome.key = domain::decode_key_with_schemas(
            self.key.as_deref(),
            &self.headers,
            &self.topic,
            schemas,
        );
        outcome
    }

    /// The record as the data policies let it be shown, and what they hid;
    /// `None` when they hide nothing of it (it is shown as read). The one
    /// place policies are applied: every surface that shows a record shows
    /// this one (its value re-written as JSON when a field was hidden), and
    /// every surface that writes back sends `self`, never this.
    ///
    /// A value that is not JSON (nor a registry record `schemas` decodes)
    /// cannot have its fields told apart: a policy with value targets hides
    /// it whole.
    pub fn masked(
        &self,
        policies: &Policies,
        topics: &TopicMap,
        schemas: &dyn domain::schema::SchemaSource,
    ) -> Option<(ConsumedRecord, Vec<Hit>)> {
        match self.shown_canonical(policies, topics) {
            Some(fast) if fast.hits.is_empty() => None,
            Some(fast) => Some((
                self.with_shown(fast.key, fast.value, fast.headers),
                fast.hits,
            )),
            None => self.masked_general(policies, topics, schemas),
        }
    }

    /// [`ConsumedRecord::masked`] without its fast path for canonical
    /// envelopes: the policies applied to the whole decoded value. Public so
    /// a property test can hold the fast path to it.
    #[doc(hidden)]
    pub fn masked_general(
        &self,
        policies: &Policies,
        topics: &TopicMap,
        schemas: &dyn domain::schema::SchemaSource,
    ) -> Option<(ConsumedRecord, Vec<Hit>)> {
        if policies.is_empty() || !policies.may_apply_to_topic(&self.topic) {
            return None;
        }
        // Decoded only when a policy matches on what decoding tells (context,
        // type, subject) or the value may be a registry record: otherwise
        // its JSON is all the policies need (the cost budget: DESIGN.md).
        let looks_framed = domain::schema::may_name_schema(self.value.as_deref(), &self.headers);
        let maybe_framed = schemas.configured() && looks_framed;
        let decoded = (maybe_framed || policies.match_decoded(&self.topic))
            .then(|| self.decode_with(topics, schemas));
        let decoded = decoded.as_ref();
        let schema_value = decoded.and_then(|d| d.schema_value.as_ref());
        // The fields its schema tags, worked out once per schema (when it
        // was parsed), for policies that name fields by tags.
        let schema = policies
            .by_tags()
            .then(|| decoded.and_then(|d| d.schema.as_ref()))
            .flatten()
            .and_then(|r| {
                let id =
                    r.id.map(domain::schema::SchemaId::Id)
                        .or(r.global_id.map(domain::schema::SchemaId::GlobalId))?;
                match schemas.lookup(id) {
                    domain::schema::Lookup::Ready(schema) => Some(schema),
                    _ => None,
                }
            });
        let meta = Meta {
            topic: &self.topic,
            context: decoded.and_then(DecodeOutcome::context),
            event_type: decoded.and_then(DecodeOutcome::event_type),
            subject: decoded
                .and_then(|d| d.schema.as_ref())
                .and_then(|s| s.subject.as_deref()),
            tags: schema
                .as_deref()
                .map_or(&[], domain::schema::Schema::tagged),
            // Registry bytes not decoded (no registry, the schema pending or
            // failed): which fields are tagged cannot be told.
            schema_unread: looks_framed && schema_value.is_none(),
        };
        let value = match (schema_value, self.value.as_deref()) {
            (Some(v), _) => Body::Json(v.clone()),
            (None, None) => Body::Absent,
            (None, Some(bytes)) => match domain::codec::parse_json(bytes) {
                Ok(v) => Body::Json(v),
                Err(_) => Body::Opaque(bytes.to_vec()),
            },
        };
        let mut view = View {
            value,
            headers: self.headers.clone(),
            key: self.key.clone(),
        };
        let hits = policies.apply(&meta, &mut view);
        if hits.is_empty() {
            return None;
        }
        let value = match view.value {
            // A `Value` always serialises (its keys are strings).
            Body::Json(v) => Some(serde_json::to_vec(&v).unwrap_or_default()),
            Body::Opaque(bytes) => Some(bytes),
            Body::Absent => None,
        };
        Some((
            self.with_shown(Some(view.key), value, Some(view.headers)),
            hits,
        ))
    }

    /// The data policies' fast path ([`domain::shown`]): a canonical JSON
    /// envelope read and masked in one pass; `None` when no policy may apply
    /// to its topic, or when the fast path cannot answer (the general path
    /// of [`ConsumedRecord::masked_general`] then does).
    fn shown_canonical(
        &self,
        policies: &Policies,
        topics: &TopicMap,
    ) -> Option<domain::shown::Shown> {
        if !self.policies_may_apply(policies) {
            return None;
        }
        domain::shown::mask_canonical(
            self.value.as_deref()?,
            &self.headers,
            self.key.as_deref(),
            &self.topic,
            topics,
            policies,
            SUMMARY_CHARS,
        )
    }

    /// False when no policy can apply to this record's topic.
    fn policies_may_apply(&self, policies: &Policies) -> bool {
        !policies.is_empty() && policies.may_apply_to_topic(&self.topic)
    }

    /// [`ConsumedRecord::shown_canonical`] hiding what the policies hide in
    /// this record itself ([`domain::shown::mask_canonical_in_place`]).
    fn shown_canonical_in_place(
        &mut self,
        policies: &Policies,
        topics: &TopicMap,
    ) -> Option<domain::shown::ShownInPlace> {
        if !self.policies_may_apply(policies) {
            return None;
        }
        domain::shown::mask_canonical_in_place(
            self.value.as_mut()?,
            &mut self.headers,
            &mut self.key,
            &self.topic,
            topics,
            policies,
            SUMMARY_CHARS,
        )
    }

    /// This record with what the policies let be shown of its key
    /// (`Some(None)`: removed), value and headers (each `None`: as read).
    fn with_shown(
        &self,
        key: Option<Option<Vec<u8>>>,
        value: Option<Vec<u8>>,
        headers: Option<Headers>,
    ) -> ConsumedRecord {
        ConsumedRecord {
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: key.unwrap_or_else(|| self.key.clone()),
            value: value.or_else(|| self.value.clone()),
            headers: headers.unwrap_or_else(|| self.headers.clone()),
        }
    }

    /// [`ConsumedRecord::masked`]'s record, or this one when nothing is hidden.
    pub fn shown<'a>(
        &'a self,
        policies: &Policies,
        topics: &TopicMap,
        schemas: &dyn domain::schema::SchemaSource,
    ) -> std::borrow::Cow<'a, ConsumedRecord> {
        match self.masked(policies, topics, schemas) {
            Some((shown, _)) => std::borrow::Cow::Owned(shown),
            None => std::borrow::Cow::Borrowed(self),
        }
    }

    /// What lists and graphs keep of the record ([`domain::glance`]).
    pub fn glance(&self) -> Glance {
        domain::glance(self.value.as_deref(), &self.headers)
    }

    /// [`ConsumedRecord::glance`] with the context settled from `topics`
    /// ([`domain::glance_on`]).
    pub fn glance_in(&self, topics: &TopicMap) -> Glance {
        domain::glance_on(self.value.as_deref(), &self.headers, &self.topic, topics)
    }

    /// The record time as UTC, if any.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.timestamp_ms
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    }

    /// The key as text (lossy), for display.
    pub fn key_text(&self) -> Option<String> {
        self.key
            .as_ref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }

    /// The first header with this name, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .flatten()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Headers as a JSON object (UTF-8-lossy values; `null` for a null value; a
    /// name that appears more than once becomes an array, in wire order).
    pub fn headers_json(&self) -> Value {
        let mut map = Map::new();
        for (k, v) in self.headers.iter() {
            let v = v.map_or(Value::Null, |v| {
                Value::String(String::from_utf8_lossy(v).into_owned())
            });
            match map.get_mut(k) {
                None => {
                    map.insert(k.to_string(), v);
                }
                Some(Value::Array(items)) => items.push(v),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, v]);
                }
            }
        }
        Value::Object(map)
    }

    /// The `tail --format json` line for this record. It holds the record
    /// exactly: `key` as text, or `key_base64` when the key is not UTF-8;
    /// `value` as JSON when it parses, else as text, or `value_base64` when it
    /// is not UTF-8; a missing key or value (a tombstone) is `null`.
    /// `context_from` says which rule gave an event that carried no context
    /// its context. A value decoded with its registry schema is that JSON,
    /// with `schema`; a key so decoded likewise, with `key_schema` (and
    /// `key_error`, the key kept as bytes, when it could not be).
    ///
    /// A value nested deeper than a `Value` is built for is written as its
    /// text ([`JsonLine::deep_value`]), so a line holds JSON at any depth.
    pub fn to_json(&self, decoded: &DecodeOutcome) -> JsonLine {
        let mut line = json!({
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.time().map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            "headers": self.headers_json(),
            "kind": decoded.kind(),
            "event": decoded.event_json(),
            "context_from": decoded.context_rule.as_ref().map(ToString::to_string),
            "error": decoded.error,
        });
        if let (Some(schema), Value::Object(obj)) = (&decoded.schema, &mut line) {
            obj.insert("schema".into(), json!(schema));
        }
        let Value::Object(mut obj) = line.take() else {
            return JsonLine::default();
        };
        match &decoded.key {
            // Decoded with its registry schema: the key is what it decoded to.
            Some(domain::SchemaDecoded {
                schema,
                value: Ok(key),
            }) => {
                obj.insert("key".into(), key.clone());
                obj.insert("key_schema".into(), json!(schema));
            }
            Some(domain::SchemaDecoded {
                schema,
                value: Err(why),
            }) => {
                put_bytes(&mut obj, "key", self.key.as_deref());
                obj.insert("key_schema".into(), json!(schema));
                obj.insert("key_error".into(), json!(why));
            }
            None => put_bytes(&mut obj, "key", self.key.as_deref()),
        }
        let mut deep_value = None;
        if let Some(value) = &decoded.schema_value {
            // Decoded with its registry schema: the value is what it decoded to.
            obj.insert("value".into(), value.clone());
            return JsonLine {
                fields: obj,
                deep_value,
            };
        }
        match (&decoded.decoded, self.value.as_deref()) {
            (Decoded::Json(v), _) => {
                obj.insert("value".into(), v.clone());
            }
            (Decoded::DeepJson(deep), bytes) => match deep.to_raw_value() {
                Some(raw) => deep_value = Some(raw),
                None => put_bytes(&mut obj, "value", bytes),
            },
            // Raw: the bytes did not parse as JSON already.
            (Decoded::Raw(_), bytes) | (_, bytes @ None) => put_bytes(&mut obj, "value", bytes),
            (_, Some(bytes)) => match domain::codec::parse_json(bytes) {
                Ok(v) => {
                    obj.insert("value".into(), v);
                }
                Err(_) => put_bytes(&mut obj, "value", Some(bytes)),
            },
        }
        JsonLine {
            fields: obj,
            deep_value,
        }
    }
}

/// One `eventdeck tail --format json` line ([`ConsumedRecord::to_json`]).
#[derive(Debug, Clone, Default)]
pub struct JsonLine {
    /// Every field, in serde_json's (sorted) key order; `value` is here
    /// unless it is [`JsonLine::deep_value`].
    pub fields: Map<String, Value>,
    /// `value` when it is JSON nested deeper than a `Value` goes (128
    /// levels): its compact text, written into the line as it is.
    pub deep_value: Option<Box<RawValue>>,
}

static NULL: Value = Value::Null;

impl JsonLine {
    /// The field `name`, if the line has it as a `Value`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}

impl std::ops::Index<&str> for JsonLine {
    type Output = Value;

    /// The field `name`, or `null` (as `Value` indexing answers).
    fn index(&self, name: &str) -> &Value {
        self.fields.get(name).unwrap_or(&NULL)
    }
}

impl Serialize for JsonLine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let extra = usize::from(self.deep_value.is_some());
        let mut map = serializer.serialize_map(Some(self.fields.len() + extra))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        // `value` sorts after every other field, as it would in `fields`.
        if let Some(raw) = &self.deep_value {
            map.serialize_entry("value", raw)?;
        }
        map.end()
    }
}

impl std::fmt::Display for JsonLine {
    /// The line as compact JSON.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// `name`: the bytes as text, or `name_base64` when they are not UTF-8;
/// `null` when there are none. The one convention for bytes in JSON: tail
/// lines and the bridge's set-aside file both write it.
pub(crate) fn put_bytes(obj: &mut Map<String, Value>, name: &str, bytes: Option<&[u8]>) {
    use base64::Engine as _;
    match bytes.map(|b| (b, std::str::from_utf8(b))) {
        None => {
            obj.insert(name.to_string(), Value::Null);
        }
        Some((_, Ok(text))) => {
            obj.insert(name.to_string(), Value::String(text.to_string()));
        }
        Some((b, Err(_))) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(b);
            obj.insert(format!("{name}_base64"), Value::String(encoded));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_original_kept_whole_gives_back_the_record_absent_parts_and_null_headers_too() {
        let mut headers = Headers::default();
        headers.push("a", Some(b"1"));
        headers.push("null", None);
        headers.push("empty", Some(b""));
        headers.push("a", Some(b"\xff\x00 second a"));
        let full = ConsumedRecord {
            topic: "t".into(),
            partition: 2,
            offset: 9,
            timestamp_ms: Some(5),
            key: Some(b"k".to_vec()),
            value: Some(b"{\"n\":1}".to_vec()),
            headers,
        };
        let bare = ConsumedRecord {
            key: None,
            value: None,
            headers: Headers::default(),
            ..full.clone()
        };
        let empty = ConsumedRecord {
            key: Some(Vec::new()),
            value: Some(Vec::new()),
            ..bare.clone()
        };
        for r in [full, bare, empty] {
            // Kept whole, rebuilt with the shown record's place: here the
            // same record.
            assert_eq!(Original::from(r.clone()).record(&r), r);
        }
    }

    #[test]
    fn a_split_keeps_only_the_parts_it_replaced_and_gives_back_the_record_as_read() {
        let read = ConsumedRecord {
            key: Some(b"card-4242".to_vec()),
            value: Some(b"{\"email\":\"a@b\"}".to_vec()),
            ..record(vec![("token".into(), Some(b"secret".to_vec()))])
        };
        let mut masked = Headers::default();
        masked.push("token", Some(b"***"));
        // The value alone replaced: the original keeps the value as read,
        // the shown record the key and headers as read.
        let (shown, original) = Original::split(read.clone(), None, Some(b"{}".to_vec()), None);
        assert_eq!(shown.value.as_deref(), Some(&b"{}"[..]));
        assert_eq!((&shown.key, &shown.headers), (&read.key, &read.headers));
        assert_eq!(
            original.heap_bytes(),
            read.value.as_ref().map_or(0, Vec::capacity)
        );
        assert_eq!(original.record(&shown), read);
        // Every part replaced, the key removed.
        let (shown, original) = Original::split(
            read.clone(),
            Some(None),
            Some(b"{}".to_vec()),
            Some(masked.clone()),
        );
        assert_eq!((&shown.key, &shown.headers), (&None, &masked));
        assert_eq!(original.record(&shown), read);
    }

    fn record(headers: Vec<crate::domain::Header>) -> ConsumedRecord {
        let headers = headers.into();
        ConsumedRecord {
            topic: "t".into(),
            partition: 1,
            offset: 7,
            timestamp_ms: Some(1_700_000_000_123),
            key: Some(b"k1".to_vec()),
            value: None,
            headers,
        }
    }

    #[test]
    fn repeated_headers_become_arrays_and_null_values_stay_null() {
        let r = record(vec![
            ("a".into(), Some(b"1".to_vec())),
            ("b".into(), None),
            ("a".into(), Some(b"2".to_vec())),
            ("a".into(), Some(vec![0xff])),
        ]);
        assert_eq!(
            r.headers_json(),
            json!({"a": ["1", "2", "\u{fffd}"], "b": null})
        );
    }

    #[test]
    fn a_json_line_carries_json_100_000_levels_deep_as_it_is_on_a_small_stack() {
        for object in [false, true] {
            crate::domain::deep::on_small_stack(move || {
                let source = crate::domain::deep::nested(100_000, object);
                let r = ConsumedRecord {
                    value: Some(source.clone().into_bytes()),
                    ..record(vec![])
                };
                let line = r.to_json(&r.decode());
                assert_eq!(line["kind"], "json");
                assert!(line["error"].is_null());
                let mut out = Vec::new();
                crate::domain::text::write_json(&mut out, &line, false).unwrap();
                let text = String::from_utf8(out).unwrap();
                assert!(text.starts_with(r#"{"context_from":null,"error":null,"#));
                assert!(text.ends_with(&format!(r#""topic":"t","value":{source}}}"#)));
                assert_eq!(text, line.to_string());
                // The line reads back as JSON, without building a tree.
                serde_json::from_str::<&RawValue>(&text).unwrap();
            });
        }
    }

    #[test]
    fn tombstone_json_line_has_every_field() {
        let r = record(vec![]);
        let line = r.to_json(&r.decode());
        assert_eq!(line["kind"], "tombstone");
        assert_eq!(line["timestamp"], "2023-11-14T22:13:20.123Z");
        assert_eq!(line["key"], "k1");
        assert_eq!(line["partition"], 1);
        assert_eq!(line["offset"], 7);
        assert!(line["event"].is_null());
        assert!(line.get("error").is_some());
        assert!(line["value"].is_null() && line.get("value_base64").is_none());
    }

    #[test]
    fn json_line_carries_the_value_and_key_of_every_kind() {
        let line_of = |key: Option<&[u8]>, value: &[u8]| {
            let r = ConsumedRecord {
                key: key.map(<[u8]>::to_vec),
                value: Some(value.to_vec()),
                ..record(vec![])
            };
            r.to_json(&r.decode())
        };
        let json = line_of(Some(b"k"), br#"{"a":[1,2.5,"x"]}"#);
        assert_eq!(json["kind"], "json");
        assert_eq!(json["value"], json!({"a": [1, 2.5, "x"]}));
        assert_eq!(json["key"], "k");
        let text = line_of(None, b"plain, not json");
        assert_eq!(text["kind"], "raw");
        assert_eq!(text["value"], "plain, not json");
        assert!(text["key"].is_null() && text.get("key_base64").is_none());
        let binary = line_of(Some(&[0xff, 0x00]), &[0x00, 0xff, 0x10]);
        assert_eq!(binary["value_base64"], "AP8Q");
        assert_eq!(binary["key_base64"], "/wA=");
        assert!(binary.get("value").is_none() && binary.get("key").is_none());
        let env = crate::domain::Envelope::new("debate", "DecisionMade", "a-1", json!({"n": 1}));
        let enc = crate::domain::encode(&env);
        let r = ConsumedRecord {
            value: Some(enc.value.clone()),
            ..record(vec![])
        };
        let line = r.to_json(&r.decode());
        assert_eq!(line["kind"], "envelope");
        assert_eq!(
            line["value"],
            serde_json::from_slice::<Value>(&enc.value).unwrap()
        );
    }

    /// A registry source whose every schema is still being fetched.
    struct AlwaysPending;

    impl crate::domain::schema::SchemaSource for AlwaysPending {
        fn lookup(&self, _: crate::domain::schema::SchemaId) -> crate::domain::schema::Lookup {
            crate::domain::schema::Lookup::Pending
        }
    }

    fn policies(fields: &[&str], headers: &[&str]) -> Policies {
        let spec = crate::domain::policy::PolicySpec {
            name: "p".into(),
            fields: fields.iter().map(|s| s.to_string()).collect(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        Policies::new(&[spec], Vec::new()).expect("valid")
    }

    #[test]
    fn a_masked_record_is_shown_with_its_hits_and_the_original_kept() {
        let r = ConsumedRecord {
            value: Some(br#"{"a":{"secret":"s3cr3t"},"b":1}"#.to_vec()),
            ..record(vec![("token".into(), Some(b"tok".to_vec()))])
        };
        let ps = policies(&["a.secret"], &["token"]);
        let a = Arrived::read_shown(r.clone(), &TopicMap::default(), None, &ps);
        assert_eq!(a.as_read().as_ref(), Some(&r));
        assert_eq!(a.hits.len(), 2);
        let shown = String::from_utf8_lossy(a.record.value.as_deref().unwrap_or_default());
        assert_eq!(shown, r#"{"a":{"secret":"***"},"b":1}"#);
        assert_eq!(a.record.header("token").as_deref(), Some("***"));
        assert!(!a.summary.contains("s3cr3t"), "{}", a.summary);
        // Nothing hidden: shown as read, nothing kept twice.
        let none = Arrived::read_shown(
            r.clone(),
            &TopicMap::default(),
            None,
            &policies(&["zz"], &[]),
        );
        assert!(none.original.is_none() && none.hits.is_empty());
        assert_eq!(none.record, r);
    }

    #[test]
    fn the_list_keeps_no_copy_of_a_masked_record_but_where_writing_it_back_needs_one() {
        let topics = TopicMap::default();
        let ps = policies(&["a.secret"], &["token", "x-exception-message"]);
        let listed = |r: &ConsumedRecord| Arrived::read_listed(r.clone(), &topics, None, &ps);
        // Masked, with no copy kept: writing it back reads it again.
        let read_again = |a: &Arrived| !a.hits.is_empty() && a.original.is_none();
        // Plain JSON: shown as read_shown shows it, with no copy of it as read.
        let plain = ConsumedRecord {
            value: Some(br#"{"a":{"secret":"s3cr3t"}}"#.to_vec()),
            ..record(vec![("token".into(), Some(b"tok".to_vec()))])
        };
        let shown = Arrived::read_shown(plain.clone(), &topics, None, &ps);
        let a = listed(&plain);
        assert!(a.original.is_none() && read_again(&a));
        assert_eq!(
            (&a.record, &a.hits, &a.summary),
            (&shown.record, &shown.hits, &shown.summary)
        );
        // A dead letter whose dead-letter header a policy hid: that header
        // says where writing it back sends it, so the copy is kept.
        let letter = ConsumedRecord {
            value: plain.value.clone(),
            ..record(vec![
                ("x-original-topic".into(), Some(b"orders".to_vec())),
                (
                    "x-exception-message".into(),
                    Some(b"card 4111 declined".to_vec()),
                ),
            ])
        };
        let a = listed(&letter);
        assert_eq!(a.as_read().as_ref(), Some(&letter));
        assert!(!read_again(&a));
        // A record that names a registry schema (read again once its schema
        // is in): kept.
        let framed = ConsumedRecord {
            value: Some([&[0u8, 0, 0, 0, 7][..], b"\x02s3cr3t"].concat()),
            ..record(vec![])
        };
        let framed_policies = policies(&["a.secret"], &[]);
        let a = Arrived::read_listed(framed.clone(), &topics, None, &framed_policies);
        assert!(!a.hits.is_empty(), "hidden whole");
        assert_eq!(a.as_read().as_ref(), Some(&framed));
        // A key that names a registry schema, hidden by a key policy: kept
        // (the record view names the key's schema from it).
        let keyed = ConsumedRecord {
            key: Some(vec![0, 0, 0, 0, 9, 2]),
            value: plain.value.clone(),
            ..record(vec![])
        };
        let key_policy = Policies::new(
            &[crate::domain::policy::PolicySpec {
                name: "k".into(),
                key: true,
                ..Default::default()
            }],
            Vec::new(),
        )
        .expect("valid");
        let a = Arrived::read_listed(keyed.clone(), &topics, None, &key_policy);
        assert!(!a.hits.is_empty());
        assert_eq!(a.as_read().as_ref(), Some(&keyed));
        // Nothing hidden: nothing to read again.
        let a = listed(&record(vec![]));
        assert!(a.original.is_none() && !read_again(&a));
    }

    #[test]
    fn a_listed_envelope_is_hidden_in_its_own_bytes_as_a_copy_would_show_it() {
        let topics = TopicMap::default();
        let body = br#"{"event_id":"7d3c1a62-2f0e-4a51-9d49-0d1c2f6b8a01","event_type":"OrderPlaced","schema_version":1,"context":"orders","aggregate_id":"o-1","occurred_at":"2026-11-27T10:00:00Z","correlation_id":"0b9c2a4e-7a7e-4b8b-9f3e-2f1c6d5e4a33","causation_id":null,"data":{"card":"4111","n":1}}"#;
        let spec = |name: &str| crate::domain::policy::PolicySpec {
            name: name.into(),
            ..Default::default()
        };
        let ps = |header: &str| {
            let specs = [
                crate::domain::policy::PolicySpec {
                    fields: vec!["data.card".into()],
                    ..spec("card")
                },
                crate::domain::policy::PolicySpec {
                    headers: vec![header.into()],
                    action: Some("hash".into()),
                    ..spec("header")
                },
                crate::domain::policy::PolicySpec {
                    key: true,
                    keep_last: Some(1),
                    ..spec("key")
                },
            ];
            Policies::new(&specs, b"salt".to_vec()).expect("valid")
        };
        let envelope = |headers| ConsumedRecord {
            value: Some(body.to_vec()),
            ..record(headers)
        };
        let plain = envelope(vec![("token".into(), Some(b"tok-1".to_vec()))]);
        let token = ps("token");
        let shown = Arrived::read_shown(plain.clone(), &topics, None, &token);
        let listed = Arrived::read_listed(plain.clone(), &topics, None, &token);
        // All three hidden, as the copy shows them, and no copy kept.
        assert_eq!(shown.hits.len(), 3);
        assert_eq!(shown.as_read().as_ref(), Some(&plain));
        assert!(listed.original.is_none());
        assert_eq!(
            (&listed.record, &listed.hits, &listed.summary),
            (&shown.record, &shown.hits, &shown.summary)
        );
        assert_eq!(listed.glance.event_type.as_deref(), Some("OrderPlaced"));
        assert!(!String::from_utf8_lossy(listed.record.value.as_deref().unwrap()).contains("4111"));
        // A dead letter: where a policy could hide one of its dead-letter
        // headers (a glob), the copy is kept; where none could (a name
        // outside those families), it is not needed.
        let letter = envelope(vec![
            (
                "x-exception-message".into(),
                Some(b"card 4111 declined".to_vec()),
            ),
            ("token".into(), Some(b"tok-1".to_vec())),
        ]);
        let globbed = Arrived::read_listed(letter.clone(), &topics, None, &ps("x-exception-*"));
        assert_eq!(globbed.as_read().as_ref(), Some(&letter));
        let named = Arrived::read_listed(letter.clone(), &topics, None, &token);
        assert!(named.original.is_none() && named.hits.len() == 3);
        // A dead-letter name a policy lists as it is: the copy is kept.
        let exact = Arrived::read_listed(letter.clone(), &topics, None, &ps("x-exception-message"));
        assert_eq!(exact.as_read().as_ref(), Some(&letter));
        // A key that names a registry schema: the copy is kept (the record
        // view names the key's schema from it).
        let keyed = ConsumedRecord {
            key: Some(vec![0, 0, 0, 0, 9, 2]),
            ..plain.clone()
        };
        let a = Arrived::read_listed(keyed.clone(), &topics, None, &token);
        assert_eq!(a.hits.len(), 3);
        assert_eq!(a.as_read().as_ref(), Some(&keyed));
        assert_eq!(
            named.record.headers.get("x-exception-message"),
            Some(Some(&b"card 4111 declined"[..]))
        );
    }

    #[test]
    fn a_tagged_policy_hides_a_framed_record_whole_without_a_registry_and_plain_json_not() {
        let spec = crate::domain::policy::PolicySpec {
            name: "tagged".into(),
            tagged: vec!["PII".into()],
            ..Default::default()
        };
        let ps = Policies::new(&[spec], Vec::new()).expect("valid");
        let mut framed = vec![0, 0, 0, 0, 7];
        framed.extend_from_slice(b"\x0cs3cr3t");
        let r = ConsumedRecord {
            value: Some(framed),
            ..record(vec![])
        };
        let (shown, hits) = r
            .masked(&ps, &TopicMap::default(), &domain::schema::NoRegistry)
            .expect("hidden");
        assert_eq!(shown.value.as_deref(), Some(&b"***"[..]));
        assert_eq!(hits[0].target, Target::Value(Default::default()));
        // JSON without a schema has no tagged fields: shown as read.
        let plain = ConsumedRecord {
            value: Some(br#"{"email":"a@b.c"}"#.to_vec()),
            ..record(vec![])
        };
        assert!(
            plain
                .masked(&ps, &TopicMap::default(), &domain::schema::NoRegistry)
                .is_none()
        );
    }

    #[test]
    fn a_registry_record_whose_schema_is_pending_is_hidden_whole_and_stays_pending() {
        // Confluent framing: magic byte, schema id 7, then Avro bytes that
        // hold the secret as plain UTF-8.
        let mut value = vec![0, 0, 0, 0, 7];
        value.extend_from_slice(b"\x0cs3cr3t");
        let r = ConsumedRecord {
            value: Some(value),
            ..record(vec![])
        };
        let a = Arrived::read_shown(
            r.clone(),
            &TopicMap::default(),
            Some(&AlwaysPending),
            &policies(&["secret"], &[]),
        );
        assert_eq!(a.record.value.as_deref(), Some(&b"***"[..]));
        assert!(a.glance.schema_pending, "read again once the schema is in");
        assert_eq!(a.as_read().as_ref(), Some(&r));
    }
}
