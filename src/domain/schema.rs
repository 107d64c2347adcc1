//! Records in a schema registry's wire format: the framing (Confluent's magic
//! byte 0 and a 4-byte schema id, then the payload), the schemas a registry
//! hands out, and decoding a payload with its writer's schema into JSON, which
//! then goes through the same lenient envelope detection as any JSON record.
//!
//! Pure: no HTTP here. Whoever decodes passes a [`SchemaSource`] that answers
//! from what it already has ([`Lookup::Pending`] while a schema is being
//! fetched elsewhere); `crate::schema_registry` fetches and caches.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::Schema as AvroSchema;
use apache_avro::schema::{Name, ResolvedSchema};
use apache_avro::types::Value as Avro;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use serde_json::{Map, Number, Value};

/// Confluent's magic byte: the first byte of a schema-framed record.
pub const MAGIC_BYTE: u8 = 0;
/// Magic byte and schema id.
const CONFLUENT_HEADER_LEN: usize = 5;

/// A schema's language, as a registry names it (`schemaType`; none means Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaFormat {
    /// Apache Avro.
    Avro,
    /// Protocol Buffers.
    Protobuf,
    /// JSON Schema.
    Json,
}

impl SchemaFormat {
    /// From a registry's `schemaType` (`AVRO`, `PROTOBUF`, `JSON`; absent is Avro).
    pub fn from_schema_type(schema_type: Option<&str>) -> Option<Self> {
        match schema_type.map(str::to_ascii_uppercase).as_deref() {
            None | Some("AVRO") => Some(Self::Avro),
            Some("PROTOBUF") => Some(Self::Protobuf),
            Some("JSON") => Some(Self::Json),
            Some(_) => None,
        }
    }

    /// `avro`, `protobuf` or `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avro => "avro",
            Self::Protobuf => "protobuf",
            Self::Json => "json",
        }
    }
}

/// The schema a record names: what `tail --format json` prints as `schema`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaRef {
    /// The id in the record's framing.
    pub id: u32,
    /// Its language, once the schema is known.
    pub format: Option<SchemaFormat>,
    /// A subject the registry files it under, once known.
    pub subject: Option<String>,
    /// That subject's version of it.
    pub version: Option<u32>,
}

/// The schema id and payload of a Confluent-framed value: `None` unless it
/// starts with the magic byte and is long enough to hold an id.
pub fn confluent_frame(bytes: &[u8]) -> Option<(u32, &[u8])> {
    if bytes.len() < CONFLUENT_HEADER_LEN || bytes[0] != MAGIC_BYTE {
        return None;
    }
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Some((id, &bytes[CONFLUENT_HEADER_LEN..]))
}

/// Message indexes longer than this are taken for a corrupt payload (a
/// schema nests messages a few levels deep, not thousands).
const MAX_MESSAGE_INDEXES: usize = 100;

/// The message indexes that open a Confluent Protobuf payload, and the
/// message after them. They name which message of the schema file the
/// payload is (`[0]`: the first top-level message; `[1, 0]`: the first
/// message nested in the second): a zigzag varint count, then that many
/// zigzag varints; a count of 0 is the shorthand for `[0]`.
pub fn protobuf_message_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8]), String> {
    let corrupt = || "not a Protobuf payload: its message indexes are cut short".to_string();
    let mut rest = payload;
    let count = zigzag_varint(&mut rest).ok_or_else(corrupt)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    let count = usize::try_from(count)
        .ok()
        .filter(|&c| c <= MAX_MESSAGE_INDEXES)
        .ok_or_else(|| format!("not a Protobuf payload: {count} message indexes"))?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let index = zigzag_varint(&mut rest).ok_or_else(corrupt)?;
        indexes.push(i32::try_from(index).map_err(|_| corrupt())?);
    }
    Ok((indexes, rest))
}

/// One zigzag-encoded varint (at most 64 bits) from the front of `bytes`.
fn zigzag_varint(bytes: &mut &[u8]) -> Option<i64> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            // Zigzag: 0, -1, 1, -2, … as 0, 1, 2, 3, …
            let magnitude = i64::try_from(value >> 1).ok()?;
            return Some(if value & 1 == 0 {
                magnitude
            } else {
                -magnitude - 1
            });
        }
    }
    None
}

/// One schema as a registry gives it, references already fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaText {
    /// Its id.
    pub id: u32,
    /// Its language.
    pub format: SchemaFormat,
    /// The schema document.
    pub text: String,
    /// The documents it references (Avro named types, Protobuf imports),
    /// dependencies before what depends on them.
    pub references: Vec<String>,
    /// The subjects and versions the registry files it under, as it said
    /// (one schema may be filed under several: a registry keeps one id per
    /// distinct schema text).
    pub subjects: Vec<(String, u32)>,
}

/// A schema ready to decode with.
#[derive(Debug)]
pub struct Schema {
    /// Which schema this is (its first subject, as the registry listed them).
    pub reference: SchemaRef,
    /// Every subject and version it is filed under.
    pub subjects: Vec<(String, u32)>,
    parsed: Parsed,
}

#[derive(Debug)]
enum Parsed {
    /// Boxed: much larger than the other variants.
    Avro(Box<AvroParsed>),
    Json,
    /// Known, but not decoded here yet.
    Unsupported,
}

#[derive(Debug)]
struct AvroParsed {
    schema: AvroSchema,
    /// The referenced schemata, for the reader to resolve names with.
    references: Vec<AvroSchema>,
    /// Every named type, to follow a reference while turning a value into JSON.
    names: HashMap<Name, AvroSchema>,
}

impl Schema {
    /// Parses a registry's schema. An Avro schema that does not parse is an
    /// error naming the schema id.
    pub fn parse(text: &SchemaText) -> Result<Self, String> {
        let parsed = match text.format {
            SchemaFormat::Avro => {
                let (schema, references) =
                    AvroSchema::parse_str_with_list(&text.text, &text.references)
                        .map_err(|e| format!("schema id {} is not valid Avro: {e}", text.id))?;
                let names = {
                    let mut all: Vec<&AvroSchema> = references.iter().collect();
                    all.push(&schema);
                    ResolvedSchema::new_with_schemata(all)
                        .map_err(|e| format!("schema id {}: {e}", text.id))?
                        .get_names()
                        .iter()
                        .map(|(name, schema)| (name.clone(), (*schema).clone()))
                        .collect()
                };
                Parsed::Avro(Box::new(AvroParsed {
                    schema,
                    references,
                    names,
                }))
            }
            SchemaFormat::Json => Parsed::Json,
            SchemaFormat::Protobuf => Parsed::Unsupported,
        };
        Ok(Self {
            reference: SchemaRef {
                id: text.id,
                format: Some(text.format),
                subject: text.subjects.first().map(|(s, _)| s.clone()),
                version: text.subjects.first().map(|(_, v)| *v),
            },
            subjects: text.subjects.clone(),
            parsed,
        })
    }

    /// Which schema a record of `topic` names: the subject the default
    /// naming strategy gives it (`<topic>-value`, or `<topic>-key` for a
    /// key) when the schema is filed under it, else its first subject.
    pub fn reference_on(&self, topic: &str, field: &str) -> SchemaRef {
        let wanted = format!("{topic}-{field}");
        match self.subjects.iter().find(|(s, _)| *s == wanted) {
            Some((subject, version)) => SchemaRef {
                subject: Some(subject.clone()),
                version: Some(*version),
                ..self.reference.clone()
            },
            None => self.reference.clone(),
        }
    }

    /// The payload (after the framing) as JSON, or why it cannot be read with
    /// this schema.
    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        match &self.parsed {
            Parsed::Avro(avro) => {
                let AvroParsed {
                    schema,
                    references,
                    names,
                } = avro.as_ref();
                let reader = apache_avro::reader::datum::GenericDatumReader::builder(schema)
                    // The references first: names resolve in order.
                    .writer_schemata(references.iter().chain([schema]).collect())
                    .map_err(|e| e.to_string())?
                    .build()
                    .map_err(|e| e.to_string())?;
                let mut rest = payload;
                let value = reader
                    .read_value(&mut rest)
                    .map_err(|e| format!("not Avro of this schema: {e}"))?;
                if !rest.is_empty() {
                    return Err(format!(
                        "not Avro of this schema: {} bytes left after the value",
                        rest.len()
                    ));
                }
                avro_to_json(value, schema, names)
            }
            Parsed::Json => match super::json_text::parse_any_json(payload)? {
                super::json_text::Parsed::Tree(json) => Ok(json),
                super::json_text::Parsed::Deep(deep) => Err(format!(
                    "JSON nested {} levels deep, deeper than read here",
                    deep.depth()
                )),
            },
            Parsed::Unsupported => {
                let (indexes, _) = protobuf_message_indexes(payload)?;
                Err(format!(
                    "protobuf records are not decoded yet (message indexes {indexes:?})"
                ))
            }
        }
    }
}

/// What a [`SchemaSource`] knows of a schema id.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// No registry is configured: framed records are read as any other.
    NoRegistry,
    /// The schema, ready.
    Ready(Arc<Schema>),
    /// Being fetched; ask again later.
    Pending,
    /// It could not be had: the registry is down, or does not know the id, or
    /// the schema does not parse. The text says which.
    Failed(String),
}

/// Where decoding finds the schema of an id. It answers from what it has and
/// never waits for the network (a source that may block says so itself).
pub trait SchemaSource {
    /// The schema of `id`.
    fn lookup(&self, id: u32) -> Lookup;
}

/// The source when no registry is configured.
pub struct NoRegistry;

impl SchemaSource for NoRegistry {
    fn lookup(&self, _id: u32) -> Lookup {
        Lookup::NoRegistry
    }
}

/// An Avro value as JSON, the way Confluent's Python deserializer hands it
/// over and a JSON encoder would then write it: unions as the chosen branch's
/// value (no `{"type": value}` wrapper), records and maps as objects, enums as
/// their symbol, bytes and fixed as text with one character per byte (Avro's
/// own JSON encoding); logical types as text a person reads: timestamps as
/// RFC 3339 UTC (`…Z`), local timestamps without the `Z`, dates
/// `YYYY-MM-DD`, times `HH:MM:SS.ffffff`, decimals exact (`"12.34"`), uuids
/// as text, durations as `{months, days, millis}`.
fn avro_to_json(
    value: Avro,
    schema: &AvroSchema,
    names: &HashMap<Name, AvroSchema>,
) -> Result<Value, String> {
    let schema = match schema {
        AvroSchema::Ref { name } => names
            .get(name)
            .ok_or_else(|| format!("the schema names {name} but does not define it"))?,
        other => other,
    };
    Ok(match value {
        // apache-avro reads a string or bytes cut short by the end of the
        // payload as null instead of failing: a null the schema does not
        // allow is that.
        Avro::Null if !matches!(schema, AvroSchema::Null) => {
            return Err("not Avro of this schema: the payload ends inside a value".into());
        }
        Avro::Null => Value::Null,
        Avro::Boolean(b) => Value::Bool(b),
        Avro::Int(i) => Value::from(i),
        Avro::Long(i) => Value::from(i),
        Avro::Float(f) => float(f64::from(f)),
        Avro::Double(f) => float(f),
        Avro::Bytes(bytes) | Avro::Fixed(_, bytes) => Value::String(latin1(&bytes)),
        Avro::String(s) => Value::String(s),
        Avro::Enum(_, symbol) => Value::String(symbol),
        Avro::Union(index, inner) => {
            let AvroSchema::Union(union) = schema else {
                return Err("a union value where the schema has no union".into());
            };
            let branch = usize::try_from(index)
                .ok()
                .and_then(|i| union.variants().get(i))
                .ok_or_else(|| format!("union branch {index} is not in the schema"))?;
            avro_to_json(*inner, branch, names)?
        }
        Avro::Array(items) => {
            let AvroSchema::Array(array) = schema else {
                return Err("an array value where the schema has no array".into());
            };
            Value::Array(
                items
                    .into_iter()
                    .map(|item| avro_to_json(item, &array.items, names))
                    .collect::<Result<_, _>>()?,
            )
        }
        Avro::Map(entries) => {
            let AvroSchema::Map(map) = schema else {
                return Err("a map value where the schema has no map".into());
            };
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k, avro_to_json(v, &map.types, names)?);
            }
            Value::Object(out)
        }
        Avro::Record(fields) => {
            let AvroSchema::Record(record) = schema else {
                return Err("a record value where the schema has no record".into());
            };
            let mut out = Map::new();
            for ((name, v), field) in fields.into_iter().zip(&record.fields) {
                out.insert(name, avro_to_json(v, &field.schema, names)?);
            }
            Value::Object(out)
        }
        Avro::Date(days) => Value::String(
            NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days.into())))
                .map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string()),
        ),
        Avro::TimeMillis(ms) => time_of_day(i64::from(ms) * 1_000),
        Avro::TimeMicros(us) => time_of_day(us),
        Avro::TimestampMillis(ms) => timestamp(DateTime::from_timestamp_millis(ms), true, ms),
        Avro::TimestampMicros(us) => timestamp(DateTime::from_timestamp_micros(us), true, us),
        Avro::TimestampNanos(ns) => timestamp(Some(DateTime::from_timestamp_nanos(ns)), true, ns),
        Avro::LocalTimestampMillis(ms) => timestamp(DateTime::from_timestamp_millis(ms), false, ms),
        Avro::LocalTimestampMicros(us) => timestamp(DateTime::from_timestamp_micros(us), false, us),
        Avro::LocalTimestampNanos(ns) => {
            timestamp(Some(DateTime::from_timestamp_nanos(ns)), false, ns)
        }
        Avro::Uuid(uuid) => Value::String(uuid.to_string()),
        Avro::Decimal(decimal) => {
            let AvroSchema::Decimal(d) = schema else {
                return Err("a decimal value where the schema has no decimal".into());
            };
            let bytes = Vec::<u8>::try_from(&decimal).map_err(|e| e.to_string())?;
            Value::String(decimal_text(&bytes, d.scale)?)
        }
        Avro::BigDecimal(big) => Value::String(big.to_string()),
        Avro::Duration(d) => serde_json::json!({
            "months": u32::from(d.months()),
            "days": u32::from(d.days()),
            "millis": u32::from(d.millis()),
        }),
    })
}

/// A float as a JSON number; NaN and the infinities, which JSON has no number
/// for, as text (`"NaN"`, `"Infinity"`, `"-Infinity"`, as Python writes them).
fn float(f: f64) -> Value {
    Number::from_f64(f).map_or_else(
        || {
            Value::String(if f.is_nan() {
                "NaN".into()
            } else if f > 0.0 {
                "Infinity".into()
            } else {
                "-Infinity".into()
            })
        },
        Value::Number,
    )
}

/// Bytes as text, one character per byte (U+0000..U+00FF), as Avro's JSON
/// encoding writes `bytes` and `fixed`.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn time_of_day(micros: i64) -> Value {
    let secs = micros.div_euclid(1_000_000);
    let nanos = micros.rem_euclid(1_000_000) * 1_000;
    u32::try_from(secs)
        .ok()
        .zip(u32::try_from(nanos).ok())
        .and_then(|(s, n)| NaiveTime::from_num_seconds_from_midnight_opt(s, n))
        .map_or_else(
            || Value::from(micros),
            |t| Value::String(t.format("%H:%M:%S%.6f").to_string()),
        )
}

/// RFC 3339 with as many fraction digits as needed; with `Z` for an instant,
/// without for a local time; the raw number when out of chrono's range.
fn timestamp(time: Option<DateTime<Utc>>, utc: bool, raw: i64) -> Value {
    let Some(time) = time else {
        return Value::from(raw);
    };
    let text = time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    Value::String(if utc {
        text
    } else {
        text.trim_end_matches('Z').to_string()
    })
}

/// The decimal an Avro `decimal` holds: big-endian two's complement unscaled
/// value, `scale` digits after the point. Exact, as text.
fn decimal_text(bytes: &[u8], scale: usize) -> Result<String, String> {
    if bytes.len() > 16 {
        return Err(format!(
            "a decimal of {} bytes is wider than the 128 bits read here",
            bytes.len()
        ));
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 16] } else { [0; 16] };
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    let unscaled = i128::from_be_bytes(buf);
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return Ok(format!("{sign}{digits}"));
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    Ok(format!("{sign}{int}.{frac}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::types::Record;
    use serde_json::json;

    fn avro_text(id: u32, text: &str) -> SchemaText {
        SchemaText {
            id,
            format: SchemaFormat::Avro,
            text: text.into(),
            references: vec![],
            subjects: vec![("orders-value".into(), 3)],
        }
    }

    fn datum(schema: &AvroSchema, value: Avro) -> Vec<u8> {
        apache_avro::writer::datum::GenericDatumWriter::builder(schema)
            .build()
            .unwrap()
            .write_value_to_vec(value)
            .unwrap()
    }

    const ORDER: &str = r#"{
      "type": "record", "name": "Order", "namespace": "shop",
      "fields": [
        {"name": "id", "type": "string"},
        {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "note", "type": ["null", "string"], "default": null},
        {"name": "line", "type": {"type": "record", "name": "Line", "fields": [
          {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}},
        {"name": "lines", "type": {"type": "array", "items": "Line"}},
        {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["NEW", "PAID"]}},
        {"name": "tags", "type": {"type": "map", "values": "long"}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}}
      ]
    }"#;

    #[test]
    fn confluent_framing_is_magic_zero_and_a_big_endian_id() {
        assert_eq!(
            confluent_frame(&[0, 0, 0, 1, 2, 9, 9]),
            Some((258, &[9u8, 9][..]))
        );
        assert_eq!(confluent_frame(&[0, 0, 0, 0, 7]), Some((7, &[][..])));
        assert_eq!(confluent_frame(&[0, 0, 0, 7]), None, "too short");
        assert_eq!(
            confluent_frame(b"{\"a\":1}"),
            None,
            "JSON never starts with 0"
        );
    }

    #[test]
    fn an_avro_record_with_nesting_unions_and_logical_types_is_json() {
        let schema = Schema::parse(&avro_text(7, ORDER)).unwrap();
        let parsed = AvroSchema::parse_str(ORDER).unwrap();
        let line = |sku: &str, qty: i32| {
            Avro::Record(vec![
                ("sku".into(), Avro::String(sku.into())),
                ("qty".into(), Avro::Int(qty)),
            ])
        };
        let mut record = Record::new(&parsed).unwrap();
        record.put("id", "o-1");
        record.put(
            "total",
            Avro::Decimal(apache_avro::Decimal::from(&(-1234i32).to_be_bytes()[..])),
        );
        record.put("placed", Avro::TimestampMillis(1_714_557_600_123));
        record.put("day", Avro::Date(19_844));
        record.put(
            "note",
            Avro::Union(1, Box::new(Avro::String("rush".into()))),
        );
        record.put("line", line("a", 2));
        record.put("lines", Avro::Array(vec![line("b", 1), line("c", 3)]));
        record.put("state", Avro::Enum(1, "PAID".into()));
        record.put(
            "tags",
            Avro::Map([("x".to_string(), Avro::Long(5))].into_iter().collect()),
        );
        record.put(
            "ref",
            Avro::Uuid("6f1c2b1e-7d1a-4d6e-9c33-0d7e7a1c2b3f".parse().unwrap()),
        );
        let bytes = datum(&parsed, record.into());
        assert_eq!(
            schema.decode(&bytes).unwrap(),
            json!({
                "id": "o-1", "total": "-12.34", "placed": "2024-05-01T10:00:00.123Z",
                "day": "2024-05-01", "note": "rush", "line": {"sku": "a", "qty": 2},
                "lines": [{"sku": "b", "qty": 1}, {"sku": "c", "qty": 3}],
                "state": "PAID", "tags": {"x": 5},
                "ref": "6f1c2b1e-7d1a-4d6e-9c33-0d7e7a1c2b3f"
            })
        );
        assert_eq!(
            schema.reference,
            SchemaRef {
                id: 7,
                format: Some(SchemaFormat::Avro),
                subject: Some("orders-value".into()),
                version: Some(3)
            }
        );
        let mut shared = avro_text(7, ORDER);
        shared.subjects.push(("returns-value".into(), 1));
        let shared = Schema::parse(&shared).unwrap();
        assert_eq!(
            shared.reference_on("returns", "value").subject.as_deref(),
            Some("returns-value")
        );
        assert_eq!(shared.reference_on("returns", "value").version, Some(1));
        assert_eq!(
            shared.reference_on("other", "value").subject.as_deref(),
            Some("orders-value")
        );
    }

    #[test]
    fn a_referenced_avro_type_is_resolved_from_the_references() {
        let money = r#"{"type": "record", "name": "Money", "namespace": "shop",
            "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string"}]}"#;
        let price = r#"{"type": "record", "name": "Price", "namespace": "shop",
            "fields": [{"name": "amount", "type": "shop.Money"}]}"#;
        let mut text = avro_text(9, price);
        text.references = vec![money.into()];
        let schema = Schema::parse(&text).unwrap();
        // cents 250 (zigzag varint 0xf4 0x03), currency "EUR".
        let bytes = [0xf4, 0x03, 0x06, b'E', b'U', b'R'];
        assert_eq!(
            schema.decode(&bytes).unwrap(),
            json!({"amount": {"cents": 250, "currency": "EUR"}})
        );
    }

    #[test]
    fn a_payload_that_is_not_of_the_schema_says_so() {
        let schema = Schema::parse(&avro_text(
            1,
            r#"{"type": "record", "name": "R",
            "fields": [{"name": "s", "type": "string"}]}"#,
        ))
        .unwrap();
        let err = schema.decode(&[0x08, b'a']).unwrap_err();
        assert!(err.starts_with("not Avro of this schema"), "{err}");
        let err = schema.decode(&[0x02, b'a', 0xff]).unwrap_err();
        assert_eq!(err, "not Avro of this schema: 1 bytes left after the value");
        let err = Schema::parse(&avro_text(4, "{nope")).unwrap_err();
        assert!(err.starts_with("schema id 4 is not valid Avro"), "{err}");
    }

    /// A source that answers one id one way.
    struct One(u32, Lookup);

    impl SchemaSource for One {
        fn lookup(&self, id: u32) -> Lookup {
            if id == self.0 {
                self.1.clone()
            } else {
                Lookup::Failed("unknown".into())
            }
        }
    }

    const ENVELOPE: &str = r#"{"type": "record", "name": "E", "fields": [
        {"name": "event_id", "type": "string"}, {"name": "event_type", "type": "string"},
        {"name": "schema_version", "type": "int"}, {"name": "aggregate_id", "type": "string"},
        {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "correlation_id", "type": "string"},
        {"name": "data", "type": {"type": "map", "values": "int"}}]}"#;

    fn envelope_frame(id: u32) -> Vec<u8> {
        let schema = AvroSchema::parse_str(ENVELOPE).unwrap();
        let mut record = Record::new(&schema).unwrap();
        record.put("event_id", "6f1c2b1e-7d1a-4d6e-9c33-0d7e7a1c2b3f");
        record.put("event_type", "DecisionMade");
        record.put("schema_version", 1);
        record.put("aggregate_id", "d-1");
        record.put("occurred_at", Avro::TimestampMillis(1_714_557_600_000));
        record.put("correlation_id", "00000000-0000-4000-8000-000000000001");
        record.put(
            "data",
            Avro::Map([("votes".to_string(), Avro::Int(3))].into_iter().collect()),
        );
        let mut frame = vec![MAGIC_BYTE];
        frame.extend(id.to_be_bytes());
        frame.extend(datum(&schema, record.into()));
        frame
    }

    #[test]
    fn an_envelope_in_avro_is_an_envelope_with_its_topics_context() {
        use crate::domain::{RecordKind, TopicMap, decode_with_schemas};
        let schema = Arc::new(Schema::parse(&avro_text(5, ENVELOPE)).unwrap());
        let source = One(5, Lookup::Ready(Arc::clone(&schema)));
        let frame = envelope_frame(5);
        let outcome = decode_with_schemas(
            Some(&frame),
            &[],
            "debate.events",
            &TopicMap::default(),
            &source,
        );
        assert_eq!(outcome.kind(), RecordKind::Envelope, "{:?}", outcome.error);
        assert_eq!(outcome.context(), Some("debate"));
        assert_eq!(outcome.event_type(), Some("DecisionMade"));
        assert_eq!(
            outcome.correlation_id().as_deref(),
            Some("00000000-0000-4000-8000-000000000001")
        );
        assert_eq!(
            outcome.schema.as_ref(),
            Some(&schema.reference_on("debate.events", "value"))
        );
        assert_eq!(
            outcome.schema_value.as_ref().unwrap()["occurred_at"],
            json!("2024-05-01T10:00:00Z")
        );
        let (glance, summary) = crate::domain::glance_with_summary_schemas(
            Some(&frame),
            &[],
            "debate.events",
            &TopicMap::default(),
            40,
            &source,
        );
        assert_eq!(glance.kind, RecordKind::Envelope);
        assert_eq!(summary, r#"{"votes":3}"#);
    }

    #[test]
    fn pending_failed_and_corrupt_records_are_raw_and_say_which() {
        use crate::domain::{RecordKind, SCHEMA_PENDING, TopicMap, decode_with_schemas};
        let topics = TopicMap::default();
        let frame = envelope_frame(5);
        let decode = |bytes: &[u8], source: &dyn SchemaSource| {
            decode_with_schemas(Some(bytes), &[], "t", &topics, source)
        };
        let pending = decode(&frame, &One(5, Lookup::Pending));
        assert_eq!(pending.kind(), RecordKind::Raw);
        assert_eq!(
            pending.error.as_deref(),
            Some(format!("{SCHEMA_PENDING} (schema id 5)").as_str())
        );
        assert_eq!(pending.schema.as_ref().map(|s| s.id), Some(5));

        let down = decode(
            &frame,
            &One(5, Lookup::Failed("the registry is down".into())),
        );
        assert_eq!(down.kind(), RecordKind::Raw);
        assert_eq!(
            down.error.as_deref(),
            Some("schema id 5: the registry is down")
        );

        let schema = Arc::new(Schema::parse(&avro_text(5, ENVELOPE)).unwrap());
        let corrupt = decode(&frame[..frame.len() - 3], &One(5, Lookup::Ready(schema)));
        assert_eq!(corrupt.kind(), RecordKind::Raw);
        let error = corrupt.error.unwrap();
        assert!(
            error.starts_with("schema id 5: not Avro of this schema"),
            "{error}"
        );
        assert_eq!(corrupt.schema.unwrap().format, Some(SchemaFormat::Avro));

        // No registry: as any record (these bytes are not JSON).
        let plain = decode(&frame, &NoRegistry);
        assert_eq!((plain.kind(), plain.schema), (RecordKind::Raw, None));
        // JSON is never framed: the source is not asked.
        let json_record = decode(br#"{"a":1}"#, &One(5, Lookup::Pending));
        assert_eq!(json_record.kind(), RecordKind::Json);
    }

    #[test]
    fn protobuf_message_indexes_with_the_zero_shorthand() {
        assert_eq!(
            protobuf_message_indexes(&[0x00, 0x08, 0x01]).unwrap(),
            (vec![0], &[0x08u8, 0x01][..]),
            "a count of 0 is [0]"
        );
        // Count 2 (zigzag 4), then 1 (zigzag 2) and 0.
        assert_eq!(
            protobuf_message_indexes(&[0x04, 0x02, 0x00, 0x0a]).unwrap(),
            (vec![1, 0], &[0x0au8][..])
        );
        // Count 1, index 150 (zigzag 300 = 0xac 0x02).
        assert_eq!(
            protobuf_message_indexes(&[0x02, 0xac, 0x02]).unwrap(),
            (vec![150], &[][..])
        );
        assert!(protobuf_message_indexes(&[]).is_err());
        assert!(
            protobuf_message_indexes(&[0x04, 0x02]).is_err(),
            "cut short"
        );
        assert!(
            protobuf_message_indexes(&[0x80; 11]).is_err(),
            "endless varint"
        );
        let err = protobuf_message_indexes(&[0xd0, 0x0f]).unwrap_err();
        assert_eq!(err, "not a Protobuf payload: 1000 message indexes");
        let mut negative: &[u8] = &[0x03];
        assert_eq!(zigzag_varint(&mut negative), Some(-2));
    }

    #[test]
    fn decimals_are_exact_text() {
        assert_eq!(decimal_text(&[0x04, 0xd2], 2).unwrap(), "12.34");
        assert_eq!(decimal_text(&[0xfb, 0x2e], 2).unwrap(), "-12.34");
        assert_eq!(decimal_text(&[0x05], 3).unwrap(), "0.005");
        assert_eq!(decimal_text(&[0x05], 0).unwrap(), "5");
        assert_eq!(decimal_text(&[], 0).unwrap(), "0");
        assert!(decimal_text(&[1; 17], 0).is_err());
    }

    #[test]
    fn times_and_odd_floats_read_as_text() {
        assert_eq!(time_of_day(3_723_000_456), json!("01:02:03.000456"));
        assert_eq!(float(f64::NAN), json!("NaN"));
        assert_eq!(float(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(float(1.5), json!(1.5));
        assert_eq!(latin1(&[0x41, 0xff]), "A\u{ff}");
        assert_eq!(
            timestamp(DateTime::from_timestamp_micros(1), false, 1),
            json!("1970-01-01T00:00:00.000001")
        );
    }
}
