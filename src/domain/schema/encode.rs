//! Writing a JSON value with a registry schema: the reverse of decoding, for
//! injecting events in a topic's own format. Every way the value does not
//! fit the schema is a [`Problem`] naming where (`data.votes`) and what
//! (``missing field `votes` (int)``), so a form can show them all at once.
//!
//! The JSON accepted is what decoding gives back: Avro unions as the chosen
//! branch's plain value, logical types as text (RFC 3339 timestamps,
//! `YYYY-MM-DD` dates, exact decimals, uuids), bytes as one character per
//! byte; Protobuf in its JSON mapping with either field name; JSON Schema
//! documents as they are, checked against the schema.

use std::collections::HashMap;
use std::fmt;

use apache_avro::Schema as AvroSchema;
use apache_avro::schema::{Name, UnionSchema};
use apache_avro::types::Value as Avro;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use prost_reflect::prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage};
use serde_json::Value;

use super::{AvroParsed, MAGIC_BYTE, Parsed, Schema};

/// One way a value does not fit a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a dotted path into the value (`data.items[2].sku`); empty for
    /// the value itself.
    pub path: String,
    /// What, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A payload in Confluent's framing: magic byte 0, the schema id (4 bytes,
/// big-endian), then the payload (for Protobuf, its message indexes first,
/// as [`Schema::encode`] writes them).
pub fn confluent_framed(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A subject's schema, chosen to write events with
/// (`eventdeck inject --schema SUBJECT[:VERSION]`, the inject form).
#[derive(Debug, Clone)]
pub struct WriteSchema {
    /// The subject.
    pub subject: String,
    /// Its version.
    pub version: u32,
    /// The schema id the records carry.
    pub id: u32,
    /// The schema.
    pub schema: std::sync::Arc<Schema>,
}

impl WriteSchema {
    /// What is written for `envelope`: the whole envelope when the schema
    /// describes one ([`Schema::wants_envelope`]), else its `data`.
    pub fn value_of(&self, envelope: &crate::domain::Envelope) -> Value {
        if self.schema.wants_envelope() {
            envelope.to_json()
        } else {
            envelope.data.clone()
        }
    }

    /// The record value for `envelope`, in Confluent's framing; every problem
    /// with it otherwise, paths from the value written (`votes`, or
    /// `data.votes` for an envelope schema).
    pub fn encode_event(
        &self,
        envelope: &crate::domain::Envelope,
    ) -> Result<Vec<u8>, Vec<Problem>> {
        let payload = self.schema.encode(&self.value_of(envelope))?;
        Ok(confluent_framed(self.id, &payload))
    }

    /// `subject:version (format, id N)`, for messages and the form.
    pub fn label(&self) -> String {
        format!(
            "{}:{} ({}, id {})",
            self.subject,
            self.version,
            self.schema
                .reference
                .format
                .map_or("?", super::SchemaFormat::as_str),
            self.id
        )
    }
}

/// `SUBJECT[:VERSION]` (VERSION a number or `latest`): the subject and the
/// version, `None` for the latest.
pub fn parse_subject_version(spec: &str) -> Result<(String, Option<u32>), String> {
    let spec = spec.trim();
    let (subject, version) = match spec.rsplit_once(':') {
        Some((subject, "latest")) => (subject, None),
        Some((subject, v)) if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) => (
            subject,
            Some(
                v.parse()
                    .map_err(|_| format!("version `{v}` of `{subject}` is too large"))?,
            ),
        ),
        _ => (spec, None),
    };
    if subject.is_empty() {
        return Err(format!(
            "`{spec}` names no subject (SUBJECT or SUBJECT:VERSION)"
        ));
    }
    Ok((subject.to_string(), version))
}

/// Fields an event envelope has; a schema whose top level has the first two
/// is written the whole envelope, any other schema only the event's data.
const ENVELOPE_FIELDS: [&str; 2] = ["event_id", "event_type"];

impl Schema {
    /// True when the schema describes a whole event envelope (its top level
    /// has `event_id` and `event_type`): injecting writes the envelope with
    /// it. Otherwise only the event's `data` is written, and the envelope's
    /// fields travel in headers as always.
    pub fn wants_envelope(&self) -> bool {
        let has = |names: &dyn Fn(&str) -> bool| ENVELOPE_FIELDS.iter().all(|f| names(f));
        match &self.parsed {
            Parsed::Avro(avro) => match avro.schema() {
                AvroSchema::Record(record) => has(&|f| record.lookup.contains_key(f)),
                _ => false,
            },
            Parsed::Protobuf(file) => file
                .messages()
                .next()
                .is_some_and(|m| has(&|f| m.get_field_by_name(f).is_some())),
            Parsed::Json(json) => json
                .schema
                .as_ref()
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .is_some_and(|props| has(&|f| props.contains_key(f))),
        }
    }

    /// What is written: for Protobuf the message's full name, else the
    /// schema's own name where it has one.
    pub fn type_name(&self) -> Option<String> {
        match &self.parsed {
            Parsed::Avro(avro) => match avro.schema() {
                AvroSchema::Record(r) => Some(r.name.fullname(None)),
                AvroSchema::Enum(e) => Some(e.name.fullname(None)),
                AvroSchema::Fixed(f) => Some(f.name.fullname(None)),
                _ => None,
            },
            Parsed::Protobuf(file) => file.messages().next().map(|m| m.full_name().to_string()),
            Parsed::Json(json) => json
                .schema
                .as_ref()
                .and_then(|s| s.get("title"))
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// The payload (without the framing's magic byte and id) that writes
    /// `value` with this schema; every problem with it otherwise. Protobuf
    /// writes the schema's first top-level message, its message indexes
    /// (`[0]`, one zero byte) first.
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, Vec<Problem>> {
        match &self.parsed {
            Parsed::Avro(avro) => encode_avro(avro, value),
            Parsed::Protobuf(file) => {
                let Some(message) = file.messages().next() else {
                    return Err(vec![problem("", "the Protobuf schema has no message")]);
                };
                let text = value.to_string();
                let mut de = serde_json::Deserializer::from_str(&text);
                let decoded = DynamicMessage::deserialize_with_options(
                    message.clone(),
                    &mut de,
                    &DeserializeOptions::new(),
                )
                .map_err(|e| {
                    vec![problem(
                        "",
                        &format!("not a {}: {}", message.full_name(), protobuf_reason(&e)),
                    )]
                })?;
                // The message indexes: `[0]` in the shorthand, one zero byte.
                let mut out = vec![0];
                decoded
                    .encode(&mut out)
                    .map_err(|e| vec![problem("", &e.to_string())])?;
                Ok(out)
            }
            Parsed::Json(json) => {
                let schema = json.schema.as_ref().ok_or_else(|| {
                    vec![problem(
                        "",
                        "the JSON Schema is not JSON, so nothing is checked against it",
                    )]
                })?;
                let validator = jsonschema::validator_for(schema).map_err(|e| {
                    vec![problem("", &format!("the JSON Schema is not valid: {e}"))]
                })?;
                let problems: Vec<Problem> = validator
                    .iter_errors(value)
                    .map(|e| Problem {
                        path: pointer_path(e.instance_path().as_str()),
                        message: e.to_string(),
                    })
                    .collect();
                if problems.is_empty() {
                    Ok(value.to_string().into_bytes())
                } else {
                    Err(problems)
                }
            }
        }
    }
}

/// serde's text for a Protobuf JSON mismatch, without the line and column
/// of the one-line document it was written into.
fn protobuf_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A JSON pointer (`/data/items/2/sku`) as a dotted path (`data.items[2].sku`).
fn pointer_path(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

fn problem(path: &str, message: &str) -> Problem {
    Problem {
        path: path.to_string(),
        message: message.to_string(),
    }
}

fn encode_avro(avro: &AvroParsed, value: &Value) -> Result<Vec<u8>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut writer = AvroWriter {
        names: &avro.names,
        problems: &mut problems,
    };
    let datum = writer.value(value, avro.schema(), "");
    if !problems.is_empty() {
        return Err(problems);
    }
    let datum = datum.ok_or_else(|| vec![problem("", "does not fit the schema")])?;
    apache_avro::writer::datum::GenericDatumWriter::builder(avro.schema())
        .resolved_schemata(avro.cell.borrow_dependent().resolved.clone())
        .build()
        .map_err(|e| vec![problem("", &e.to_string())])?
        .write_value_to_vec(datum)
        .map_err(|e| vec![problem("", &format!("Avro refused the value: {e}"))])
}

/// JSON to an Avro value, guided by the schema, collecting every problem.
struct AvroWriter<'a> {
    names: &'a HashMap<Name, AvroSchema>,
    problems: &'a mut Vec<Problem>,
}

/// A schema's name as a person reads it in a message: `int`, `string`,
/// `record Order`, `timestamp-millis`.
fn avro_type(schema: &AvroSchema) -> String {
    match schema {
        AvroSchema::Null => "null".into(),
        AvroSchema::Boolean => "boolean".into(),
        AvroSchema::Int => "int".into(),
        AvroSchema::Long => "long".into(),
        AvroSchema::Float => "float".into(),
        AvroSchema::Double => "double".into(),
        AvroSchema::Bytes => "bytes".into(),
        AvroSchema::String => "string".into(),
        AvroSchema::Array(a) => format!("array of {}", avro_type(&a.items)),
        AvroSchema::Map(m) => format!("map of {}", avro_type(&m.types)),
        AvroSchema::Union(u) => u
            .variants()
            .iter()
            .map(avro_type)
            .collect::<Vec<_>>()
            .join(" or "),
        AvroSchema::Record(r) => format!("record {}", r.name.name()),
        AvroSchema::Enum(e) => format!("enum {}", e.name.name()),
        AvroSchema::Fixed(f) => format!("fixed {} ({} bytes)", f.name.name(), f.size),
        AvroSchema::Decimal(_) | AvroSchema::BigDecimal => "decimal".into(),
        AvroSchema::Uuid(_) => "uuid".into(),
        AvroSchema::Date => "date".into(),
        AvroSchema::TimeMillis => "time-millis".into(),
        AvroSchema::TimeMicros => "time-micros".into(),
        AvroSchema::TimestampMillis => "timestamp-millis".into(),
        AvroSchema::TimestampMicros => "timestamp-micros".into(),
        AvroSchema::TimestampNanos => "timestamp-nanos".into(),
        AvroSchema::LocalTimestampMillis => "local-timestamp-millis".into(),
        AvroSchema::LocalTimestampMicros => "local-timestamp-micros".into(),
        AvroSchema::LocalTimestampNanos => "local-timestamp-nanos".into(),
        AvroSchema::Duration(_) => "duration".into(),
        AvroSchema::Ref { name } => name.name().to_string(),
    }
}

/// A JSON value's kind and, when short, the value, for messages.
fn json_shown(value: &Value) -> String {
    let text = value.to_string();
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => return "an array".into(),
        Value::Object(_) => return "an object".into(),
    };
    if text.chars().count() <= 40 {
        format!("{kind} {text}")
    } else {
        kind.to_string()
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

impl AvroWriter<'_> {
    fn wrong(&mut self, path: &str, schema: &AvroSchema, value: &Value) -> Option<Avro> {
        self.problems.push(problem(
            path,
            &format!("expected {}, got {}", avro_type(schema), json_shown(value)),
        ));
        None
    }

    fn say(&mut self, path: &str, message: String) -> Option<Avro> {
        self.problems.push(problem(path, &message));
        None
    }

    /// `value` as an Avro value of `schema`; `None` after recording why not.
    fn value(&mut self, value: &Value, schema: &AvroSchema, path: &str) -> Option<Avro> {
        let schema = match schema {
            AvroSchema::Ref { name } => match self.names.get(name) {
                Some(s) => s,
                None => {
                    return self.say(
                        path,
                        format!("the schema names {name} but does not define it"),
                    );
                }
            },
            other => other,
        };
        match (schema, value) {
            (AvroSchema::Null, Value::Null) => Some(Avro::Null),
            (AvroSchema::Boolean, Value::Bool(b)) => Some(Avro::Boolean(*b)),
            (AvroSchema::Int, Value::Number(n)) => match n.as_i64().map(i32::try_from) {
                Some(Ok(i)) => Some(Avro::Int(i)),
                _ => self.say(
                    path,
                    format!("expected int, got {n} (not a 32-bit whole number)"),
                ),
            },
            (AvroSchema::Long, Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(Avro::Long(i)),
                None => self.say(
                    path,
                    format!("expected long, got {n} (not a 64-bit whole number)"),
                ),
            },
            #[allow(clippy::cast_possible_truncation)]
            (AvroSchema::Float, v) => match float(v) {
                Some(f) if f.is_finite() && !(f as f32).is_finite() => self.say(
                    path,
                    format!("expected float, got {f}, beyond a float's range"),
                ),
                Some(f) => Some(Avro::Float(f as f32)),
                None => self.wrong(path, schema, v),
            },
            (AvroSchema::Double, v) => float(v)
                .map(Avro::Double)
                .or_else(|| self.wrong(path, schema, v)),
            (AvroSchema::Bytes, Value::String(s)) => self.latin1(s, path).map(Avro::Bytes),
            (AvroSchema::String, Value::String(s)) => Some(Avro::String(s.clone())),
            (AvroSchema::Fixed(f), Value::String(s)) => {
                let bytes = self.latin1(s, path)?;
                if bytes.len() == f.size {
                    Some(Avro::Fixed(f.size, bytes))
                } else {
                    self.say(
                        path,
                        format!(
                            "expected {} bytes for fixed {}, got {}",
                            f.size,
                            f.name.name(),
                            bytes.len()
                        ),
                    )
                }
            }
            (AvroSchema::Enum(e), Value::String(s)) => {
                match e.symbols.iter().position(|x| x == s) {
                    Some(i) => Some(Avro::Enum(u32::try_from(i).unwrap_or(u32::MAX), s.clone())),
                    None => self.say(
                        path,
                        format!(
                            "`{s}` is not a symbol of enum {} ({})",
                            e.name.name(),
                            e.symbols.join(", ")
                        ),
                    ),
                }
            }
            (AvroSchema::Union(u), v) => self.union(u, v, schema, path),
            (AvroSchema::Array(a), Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.value(item, &a.items, &format!("{path}[{i}]")));
                }
                out.into_iter().collect::<Option<Vec<_>>>().map(Avro::Array)
            }
            (AvroSchema::Map(m), Value::Object(entries)) => {
                let mut out = HashMap::with_capacity(entries.len());
                let mut ok = true;
                for (k, v) in entries {
                    match self.value(v, &m.types, &join(path, k)) {
                        Some(v) => {
                            out.insert(k.clone(), v);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(Avro::Map(out))
            }
            (AvroSchema::Record(r), Value::Object(fields)) => {
                let mut out = Vec::with_capacity(r.fields.len());
                let mut ok = true;
                for field in &r.fields {
                    let at = join(path, &field.name);
                    let given = fields.get(&field.name);
                    let written = match (given, &field.default) {
                        (Some(v), _) => self.value(v, &field.schema, &at),
                        (None, Some(default)) => self.value(default, &field.schema, &at),
                        (None, None) => self.say(
                            path,
                            format!(
                                "missing field `{}` ({})",
                                field.name,
                                avro_type(&field.schema)
                            ),
                        ),
                    };
                    match written {
                        Some(v) => out.push((field.name.clone(), v)),
                        None => ok = false,
                    }
                }
                for (name, v) in fields {
                    // A null where the schema has no such field says nothing at
                    // the top (an envelope's optional ids are written as null):
                    // an envelope's optional ids are written as null.
                    let ignored = v.is_null() && path.is_empty();
                    if !r.lookup.contains_key(name) && !ignored {
                        ok = false;
                        self.problems.push(problem(
                            path,
                            &format!("`{name}` is not a field of {}", r.name.name()),
                        ));
                    }
                }
                ok.then_some(Avro::Record(out))
            }
            (AvroSchema::Decimal(d), v) => {
                let text = number_text(v)
                    .or_else(|| self.wrong(path, schema, v).map(|_| String::new()))?;
                let bytes = match decimal_bytes(&text, d.scale, d.precision) {
                    Ok(bytes) => bytes,
                    Err(why) => return self.say(path, why),
                };
                match &d.inner {
                    apache_avro::schema::InnerDecimalSchema::Fixed(f) if bytes.len() > f.size => {
                        self.say(
                            path,
                            format!(
                                "decimal `{text}` needs {} bytes, wider than its fixed {} bytes",
                                bytes.len(),
                                f.size
                            ),
                        )
                    }
                    _ => Some(Avro::Decimal(bytes.into())),
                }
            }
            (AvroSchema::BigDecimal, v) => {
                let text = number_text(v)
                    .or_else(|| self.wrong(path, schema, v).map(|_| String::new()))?;
                match text.parse() {
                    Ok(big) => Some(Avro::BigDecimal(big)),
                    Err(e) => self.say(path, format!("expected decimal, got `{text}`: {e}")),
                }
            }
            (AvroSchema::Uuid(_), Value::String(s)) => match uuid::Uuid::parse_str(s) {
                Ok(u) => Some(Avro::Uuid(u)),
                Err(e) => self.say(path, format!("expected uuid, got `{s}`: {e}")),
            },
            (AvroSchema::Date, Value::String(s)) => {
                match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(d) => {
                        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                        i32::try_from((d - epoch).num_days()).ok().map(Avro::Date)
                    }
                    Err(e) => self.say(path, format!("expected date (YYYY-MM-DD), got `{s}`: {e}")),
                }
            }
            (AvroSchema::Date, Value::Number(n)) => n
                .as_i64()
                .and_then(|d| i32::try_from(d).ok())
                .map(Avro::Date)
                .or_else(|| self.wrong(path, schema, value)),
            (AvroSchema::TimeMillis | AvroSchema::TimeMicros, Value::String(s)) => {
                match NaiveTime::parse_from_str(s, "%H:%M:%S%.f") {
                    Ok(t) => {
                        let micros = i64::from(t.num_seconds_from_midnight()) * 1_000_000
                            + i64::from(t.nanosecond() / 1_000);
                        if matches!(schema, AvroSchema::TimeMillis) {
                            i32::try_from(micros / 1_000).ok().map(Avro::TimeMillis)
                        } else {
                            Some(Avro::TimeMicros(micros))
                        }
                    }
                    Err(e) => self.say(
                        path,
                        format!("expected {} (HH:MM:SS), got `{s}`: {e}", avro_type(schema)),
                    ),
                }
            }
            (AvroSchema::TimeMillis, Value::Number(n)) => n
                .as_i64()
                .and_then(|t| i32::try_from(t).ok())
                .map(Avro::TimeMillis)
                .or_else(|| self.wrong(path, schema, value)),
            (AvroSchema::TimeMicros, Value::Number(n)) => n
                .as_i64()
                .map(Avro::TimeMicros)
                .or_else(|| self.wrong(path, schema, value)),
            (
                AvroSchema::TimestampMillis
                | AvroSchema::TimestampMicros
                | AvroSchema::TimestampNanos
                | AvroSchema::LocalTimestampMillis
                | AvroSchema::LocalTimestampMicros
                | AvroSchema::LocalTimestampNanos,
                v,
            ) => self.timestamp(v, schema, path),
            (AvroSchema::Duration(_), Value::Object(d)) => {
                let part = |k: &str| {
                    d.get(k)
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                };
                match (part("months"), part("days"), part("millis")) {
                    (Some(m), Some(days), Some(ms)) => {
                        Some(Avro::Duration(apache_avro::Duration::new(
                            apache_avro::Months::new(m),
                            apache_avro::Days::new(days),
                            apache_avro::Millis::new(ms),
                        )))
                    }
                    _ => self.say(
                        path,
                        "expected duration {months, days, millis} (whole numbers)".into(),
                    ),
                }
            }
            (schema, v) => self.wrong(path, schema, v),
        }
    }

    /// A union's value: null for null, else the first branch that takes the
    /// plain value, or the branch a one-key `{"type": value}` wrapper names.
    fn union(
        &mut self,
        u: &UnionSchema,
        value: &Value,
        schema: &AvroSchema,
        path: &str,
    ) -> Option<Avro> {
        let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        for (i, branch) in u.variants().iter().enumerate() {
            let mut trial = Vec::new();
            let mut probe = AvroWriter {
                names: self.names,
                problems: &mut trial,
            };
            if let Some(v) = probe.value(value, branch, path)
                && trial.is_empty()
            {
                return Some(Avro::Union(index(i), Box::new(v)));
            }
        }
        if let Value::Object(wrapper) = value
            && wrapper.len() == 1
            && let Some((name, inner)) = wrapper.iter().next()
            && let Some((i, branch)) = u
                .variants()
                .iter()
                .enumerate()
                .find(|(_, b)| branch_name(b) == *name || avro_type(b) == *name)
        {
            return self
                .value(inner, branch, path)
                .map(|v| Avro::Union(index(i), Box::new(v)));
        }
        // The common optional value (`["null", T]`): T's own reasons, each
        // with its path, say more than "expected null or T".
        let mut others = u
            .variants()
            .iter()
            .enumerate()
            .filter(|(_, b)| !matches!(b, AvroSchema::Null));
        if let (Some((i, only)), None) = (others.next(), others.next())
            && !value.is_null()
        {
            return self
                .value(value, only, path)
                .map(|v| Avro::Union(index(i), Box::new(v)));
        }
        self.wrong(path, schema, value)
    }

    fn latin1(&mut self, s: &str, path: &str) -> Option<Vec<u8>> {
        let bytes = s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>();
        if bytes.is_none() {
            self.say(
                path,
                "bytes are written one character per byte (U+0000 to U+00FF); this text has others"
                    .into(),
            );
        }
        bytes
    }

    fn timestamp(&mut self, value: &Value, schema: &AvroSchema, path: &str) -> Option<Avro> {
        let local = matches!(
            schema,
            AvroSchema::LocalTimestampMillis
                | AvroSchema::LocalTimestampMicros
                | AvroSchema::LocalTimestampNanos
        );
        let nanos: Option<i128> = match value {
            Value::Number(n) => {
                let Some(raw) = n.as_i64() else {
                    return self.wrong(path, schema, value);
                };
                return Some(match schema {
                    AvroSchema::TimestampMillis => Avro::TimestampMillis(raw),
                    AvroSchema::TimestampMicros => Avro::TimestampMicros(raw),
                    AvroSchema::TimestampNanos => Avro::TimestampNanos(raw),
                    AvroSchema::LocalTimestampMillis => Avro::LocalTimestampMillis(raw),
                    AvroSchema::LocalTimestampMicros => Avro::LocalTimestampMicros(raw),
                    _ => Avro::LocalTimestampNanos(raw),
                });
            }
            Value::String(s) if local => NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
                .map(|t| {
                    i128::from(t.timestamp()) * 1_000_000_000
                        + i128::from(t.timestamp_subsec_nanos())
                }),
            Value::String(s) => DateTime::parse_from_rfc3339(s).ok().map(|t| {
                i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
            }),
            _ => None,
        };
        let Some(nanos) = nanos else {
            let form = if local {
                "YYYY-MM-DDTHH:MM:SS"
            } else {
                "RFC 3339, e.g. 2026-12-02T10:00:00Z"
            };
            return self.say(
                path,
                format!(
                    "expected {} ({form}), got {}",
                    avro_type(schema),
                    json_shown(value)
                ),
            );
        };
        let scaled = |per: i128| i64::try_from(nanos.div_euclid(per)).ok();
        let out = match schema {
            AvroSchema::TimestampMillis => scaled(1_000_000).map(Avro::TimestampMillis),
            AvroSchema::TimestampMicros => scaled(1_000).map(Avro::TimestampMicros),
            AvroSchema::TimestampNanos => scaled(1).map(Avro::TimestampNanos),
            AvroSchema::LocalTimestampMillis => scaled(1_000_000).map(Avro::LocalTimestampMillis),
            AvroSchema::LocalTimestampMicros => scaled(1_000).map(Avro::LocalTimestampMicros),
            _ => scaled(1).map(Avro::LocalTimestampNanos),
        };
        out.or_else(|| self.say(path, format!("{} out of range", avro_type(schema))))
    }
}

/// The name a `{"name": value}` union wrapper uses for a branch: a named
/// type's full name, else the primitive's name.
fn branch_name(schema: &AvroSchema) -> String {
    match schema {
        AvroSchema::Record(r) => r.name.fullname(None),
        AvroSchema::Enum(e) => e.name.fullname(None),
        AvroSchema::Fixed(f) => f.name.fullname(None),
        other => avro_type(other),
    }
}

/// A JSON number, or the text `NaN`, `Infinity`, `-Infinity` (how decoding
/// writes those), as a float.
fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// A decimal given as text (`"12.34"`, exact) or as a JSON number.
fn number_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A decimal's text as Avro's unscaled big-endian two's complement bytes at
/// `scale` digits after the point; more digits than the scale is an error
/// (rounding would change the value).
pub(super) fn decimal_bytes(text: &str, scale: usize, precision: usize) -> Result<Vec<u8>, String> {
    let bad =
        || format!("expected decimal with at most {scale} digits after the point, got `{text}`");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    // Zeros past the scale change nothing (`12.340` at scale 2 is exact).
    let frac = match frac.get(scale..) {
        Some(past) if past.chars().all(|c| c == '0') => &frac[..scale],
        _ => frac,
    };
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        || frac.len() > scale
    {
        return Err(bad());
    }
    let unscaled_text = format!("{int}{frac:0<scale$}");
    let unscaled: i128 = unscaled_text
        .trim_start_matches('0')
        .parse::<i128>()
        .or_else(|e| {
            if unscaled_text.chars().all(|c| c == '0') {
                Ok(0)
            } else {
                Err(e)
            }
        })
        .map_err(|_| format!("decimal `{text}` is wider than the 128 bits written here"))?;
    let significant = unscaled.to_string().len();
    if unscaled != 0 && significant > precision {
        return Err(format!(
            "decimal `{text}` has {significant} digits, more than its precision {precision}"
        ));
    }
    let unscaled = if negative { -unscaled } else { unscaled };
    // The shortest two's complement form.
    let bytes = unscaled.to_be_bytes();
    let fill = if unscaled < 0 { 0xff } else { 0 };
    let mut start = 0;
    while start < 15 && bytes[start] == fill && (bytes[start + 1] & 0x80 == fill & 0x80) {
        start += 1;
    }
    Ok(bytes[start..].to_vec())
}
