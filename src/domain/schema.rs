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
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::{DynamicMessage, FileDescriptor, MessageDescriptor, SerializeOptions};
use serde::Serialize;
use serde_json::{Map, Number, Value};

mod encode;
mod tags;
pub use encode::{Problem, WriteSchema, confluent_framed, parse_subject_version};

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
    /// The registry's id of the schema (Confluent's id; Apicurio's contentId),
    /// `null` while a record that names it by [`SchemaId::GlobalId`] has not
    /// been looked up.
    pub id: Option<u32>,
    /// Apicurio's globalId, when the record names its schema by one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_id: Option<u64>,
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

/// Magic byte and Apicurio's 8-byte globalId (its 2.x serializers' default).
const APICURIO_LEGACY_HEADER_LEN: usize = 9;

/// Which of a record's fields a schema is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The key.
    Key,
    /// The value.
    Value,
}

impl Field {
    /// `key` or `value`, as subject names (`<topic>-value`) and headers say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Value => "value",
        }
    }
}

/// How a record names the schema of its key or value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaId {
    /// The registry's schema id: Confluent's, which Apicurio 3 calls the
    /// contentId (its Confluent-compatible API serves schemas by it).
    Id(u32),
    /// Apicurio's globalId: one per version of an artifact.
    GlobalId(u64),
}

impl std::fmt::Display for SchemaId {
    /// `schema id 5`, `schema globalId 5`: how errors name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "schema id {id}"),
            Self::GlobalId(id) => write!(f, "schema globalId {id}"),
        }
    }
}

impl SchemaId {
    /// What is known of the schema before it is looked up.
    pub fn unresolved(self) -> SchemaRef {
        let (id, global_id) = match self {
            Self::Id(id) => (Some(id), None),
            Self::GlobalId(g) => (None, Some(g)),
        };
        SchemaRef {
            id,
            global_id,
            format: None,
            subject: None,
            version: None,
        }
    }
}

/// A key or value that names its registry schema, and the bytes to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed<'a> {
    /// The schema it names.
    pub id: SchemaId,
    /// The bytes after the framing (the whole key or value when the id came
    /// in a header).
    pub payload: &'a [u8],
    /// Protobuf message indexes carried in Confluent's schema-id header,
    /// `None` when they open the payload (or the id came from elsewhere).
    pub indexes: Option<&'a [u8]>,
}

/// Confluent's headers that carry a schema id instead of the payload's first
/// bytes (`header.schema.id.serializer`): magic byte 0 and a 4-byte id, or
/// magic byte 1 and a 16-byte GUID; then, for Protobuf, the message indexes.
pub const CONFLUENT_KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";
/// [`CONFLUENT_KEY_SCHEMA_ID_HEADER`] for the value.
pub const CONFLUENT_VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";

/// Confluent's header magic byte for a schema named by GUID.
const MAGIC_BYTE_GUID: u8 = 1;

/// True when a value may be in a registry's wire format: its first byte is
/// the magic byte, or a header names its schema (Confluent's, or any of
/// Apicurio's value headers). Wider than [`framing`] (which reads what it
/// can): a value this says no to is plain.
pub fn may_name_schema(
    value: Option<&[u8]>,
    headers: &(impl super::headers::HeaderView + ?Sized),
) -> bool {
    may_name(value, headers, Field::Value)
}

/// [`may_name_schema`] for a key (Confluent's or Apicurio's key headers).
pub fn may_name_key_schema(
    key: Option<&[u8]>,
    headers: &(impl super::headers::HeaderView + ?Sized),
) -> bool {
    may_name(key, headers, Field::Key)
}

/// Whether `field`'s `bytes` may name a registry schema.
fn may_name(
    bytes: Option<&[u8]>,
    headers: &(impl super::headers::HeaderView + ?Sized),
    field: Field,
) -> bool {
    let apicurio = match field {
        Field::Key => "apicurio.key.",
        Field::Value => "apicurio.value.",
    };
    bytes.is_some_and(|b| b.first() == Some(&MAGIC_BYTE))
        || headers
            .pairs()
            .any(|(k, _)| k == confluent_header(field) || k.starts_with(apicurio))
}

/// Confluent's header that names `field`'s schema.
fn confluent_header(field: Field) -> &'static str {
    match field {
        Field::Key => CONFLUENT_KEY_SCHEMA_ID_HEADER,
        Field::Value => CONFLUENT_VALUE_SCHEMA_ID_HEADER,
    }
}

/// How a key or value names its schema, the first that applies:
/// 1. Confluent's header (`__key_schema_id` / `__value_schema_id`);
/// 2. Apicurio's headers (`apicurio.key.globalId` / `apicurio.value.globalId`,
///    or `…contentId`: 8-byte big-endian longs; its serializers' header mode);
/// 3. the payload's own framing: magic byte 0, then Confluent's 4-byte id
///    (Apicurio 3's default, where it is the contentId), or Apicurio's legacy
///    8-byte globalId. The two cannot be told apart by their bytes alone: a
///    4-byte id of 0 is taken for the top half of an 8-byte globalId, since
///    neither registry gives out id 0 (both count from 1) and a globalId
///    below 2^32 starts with four zero bytes.
///
/// `Ok(None)`: the field names no schema. An error: it names one in a way not
/// read here (a schema GUID) or names it wrongly (a header cut short).
pub fn framing<'a>(
    bytes: &'a [u8],
    headers: &'a (impl super::headers::HeaderView + ?Sized),
    field: Field,
) -> Result<Option<Framed<'a>>, String> {
    let confluent = confluent_header(field);
    let header = |name: &str| {
        headers
            .pairs()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v)
    };
    if let Some(id) = header(confluent) {
        return match id.split_first() {
            Some((&MAGIC_BYTE, rest)) if rest.len() >= 4 => Ok(Some(Framed {
                id: SchemaId::Id(u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]])),
                payload: bytes,
                indexes: Some(&rest[4..]),
            })),
            Some((&MAGIC_BYTE_GUID, rest)) if rest.len() >= 16 => Err(format!(
                "header {confluent} names the schema by GUID {}, which is not looked up here (only by id)",
                uuid::Uuid::from_slice(&rest[..16]).unwrap_or_default()
            )),
            _ => Err(format!(
                "header {confluent} is not a schema id ({} bytes)",
                id.len()
            )),
        };
    }
    let apicurio = match field {
        Field::Key => [
            ("apicurio.key.globalId", true),
            ("apicurio.key.contentId", false),
        ],
        Field::Value => [
            ("apicurio.value.globalId", true),
            ("apicurio.value.contentId", false),
        ],
    };
    for (name, global) in apicurio {
        let Some(id) = header(name) else { continue };
        let id = <[u8; 8]>::try_from(id)
            .map(u64::from_be_bytes)
            .map_err(|_| format!("header {name} is not an 8-byte id ({} bytes)", id.len()))?;
        let id = if global {
            SchemaId::GlobalId(id)
        } else {
            SchemaId::Id(
                u32::try_from(id)
                    .map_err(|_| format!("header {name}: contentId {id} is beyond 32 bits"))?,
            )
        };
        return Ok(Some(Framed {
            id,
            payload: bytes,
            indexes: None,
        }));
    }
    let Some((id, payload)) = confluent_frame(bytes) else {
        return Ok(None);
    };
    if id == 0 && bytes.len() >= APICURIO_LEGACY_HEADER_LEN {
        let mut global = [0; 8];
        global.copy_from_slice(&bytes[1..APICURIO_LEGACY_HEADER_LEN]);
        return Ok(Some(Framed {
            id: SchemaId::GlobalId(u64::from_be_bytes(global)),
            payload: &bytes[APICURIO_LEGACY_HEADER_LEN..],
            indexes: None,
        }));
    }
    Ok(Some(Framed {
        id: SchemaId::Id(id),
        payload,
        indexes: None,
    }))
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
    pub references: Vec<Referenced>,
    /// The subjects and versions the registry files it under, as it said
    /// (one schema may be filed under several: a registry keeps one id per
    /// distinct schema text).
    pub subjects: Vec<(String, u32)>,
}

/// A document a schema references, fetched from the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referenced {
    /// The name the schema refers to it by: the path a Protobuf schema
    /// imports (`shop/common.proto`), an Avro type's full name.
    pub name: String,
    /// The document.
    pub text: String,
}

/// A schema ready to decode with.
#[derive(Debug)]
pub struct Schema {
    /// Which schema this is (its first subject, as the registry listed them).
    pub reference: SchemaRef,
    /// Every subject and version it is filed under.
    pub subjects: Vec<(String, u32)>,
    /// The fields it tags (`confluent:tags`, `x-sensitive`), worked out once
    /// here: what data policies' `tagged` names.
    tagged: Vec<crate::domain::policy::TaggedField>,
    parsed: Parsed,
}

#[derive(Debug)]
enum Parsed {
    /// Boxed: much larger than the other variants.
    Avro(Box<AvroParsed>),
    Json(Box<JsonParsed>),
    /// The compiled file (it holds its descriptor pool, imports included).
    Protobuf(FileDescriptor),
}

/// A JSON Schema: decoding needs none of it, writing checks against it.
#[derive(Debug)]
struct JsonParsed {
    /// The schema document; `None` when it is not JSON (decoding still works).
    schema: Option<Value>,
}

struct AvroParsed {
    /// The schema and its references, with their names resolved once.
    cell: AvroCell,
    /// Every named type, to follow a reference while turning a value into JSON.
    names: HashMap<Name, AvroSchema>,
}

/// An Avro schema and the documents it references.
#[derive(Debug)]
struct AvroSchemata {
    schema: AvroSchema,
    /// The referenced schemata, for the reader to resolve names with.
    references: Vec<AvroSchema>,
}

/// What reading and writing values of an [`AvroSchemata`] need, made once:
/// its names resolved (the references first: names resolve in order), and
/// the reader built over them (building one per record cost a copy of the
/// resolved names and the builder's checks on every record).
struct AvroIo<'a> {
    /// For the writer (`inject --schema`, the Inject form).
    resolved: ResolvedSchema<'a>,
    /// For every record read.
    reader: apache_avro::reader::datum::GenericDatumReader<'a>,
}

self_cell::self_cell!(
    /// [`AvroSchemata`] with its [`AvroIo`].
    struct AvroCell {
        owner: AvroSchemata,
        #[covariant]
        dependent: AvroIo,
    }
);

impl std::fmt::Debug for AvroParsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroParsed")
            .field("schema", self.schema())
            .field("names", &self.names.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AvroParsed {
    fn schema(&self) -> &AvroSchema {
        &self.cell.borrow_owner().schema
    }
}

impl Schema {
    /// Parses a registry's schema. An Avro schema that does not parse is an
    /// error naming the schema id.
    pub fn parse(text: &SchemaText) -> Result<Self, String> {
        let parsed = match text.format {
            SchemaFormat::Avro => {
                let documents: Vec<&str> =
                    text.references.iter().map(|r| r.text.as_str()).collect();
                let (schema, references) = AvroSchema::parse_str_with_list(&text.text, &documents)
                    .map_err(|e| format!("schema id {} is not valid Avro: {e}", text.id))?;
                let mut names = HashMap::new();
                let cell = AvroCell::try_new(AvroSchemata { schema, references }, |o| {
                    let resolved = ResolvedSchema::new_with_schemata(
                        o.references.iter().chain([&o.schema]).collect(),
                    )
                    .map_err(|e| e.to_string())?;
                    names = resolved
                        .get_names()
                        .iter()
                        .map(|(name, schema)| (name.clone(), (*schema).clone()))
                        .collect();
                    let reader = apache_avro::reader::datum::GenericDatumReader::builder(&o.schema)
                        .resolved_writer_schemata(resolved.clone())
                        .build()
                        .map_err(|e| e.to_string())?;
                    Ok::<_, String>(AvroIo { resolved, reader })
                })
                .map_err(|e| format!("schema id {}: {e}", text.id))?;
                Parsed::Avro(Box::new(AvroParsed { cell, names }))
            }
            SchemaFormat::Json => Parsed::Json(Box::new(JsonParsed {
                schema: serde_json::from_str(&text.text).ok(),
            })),
            SchemaFormat::Protobuf => Parsed::Protobuf(compile_protobuf(text)?),
        };
        let tagged = match &parsed {
            Parsed::Avro(_) => {
                let documents: Vec<&str> =
                    text.references.iter().map(|r| r.text.as_str()).collect();
                tags::avro(&text.text, &documents)
            }
            Parsed::Json(json) => json
                .schema
                .as_ref()
                .map(tags::json_schema)
                .unwrap_or_default(),
            // Protobuf field options are not read.
            Parsed::Protobuf(_) => Vec::new(),
        };
        Ok(Self {
            reference: SchemaRef {
                id: Some(text.id),
                global_id: None,
                format: Some(text.format),
                subject: text.subjects.first().map(|(s, _)| s.clone()),
                version: text.subjects.first().map(|(_, v)| *v),
            },
            subjects: text.subjects.clone(),
            tagged,
            parsed,
        })
    }

    /// The fields this schema tags, with where each is in a decoded value.
    pub fn tagged(&self) -> &[crate::domain::policy::TaggedField] {
        &self.tagged
    }

    /// Which schema a record of `topic` names: the subject the default
    /// naming strategy gives it (`<topic>-value`, or `<topic>-key` for a
    /// key) when the schema is filed under it, else its first subject.
    pub fn reference_on(&self, topic: &str, field: &str) -> SchemaRef {
        // `<topic>-<field>`, compared without writing it (once per record).
        let wanted = |s: &str| {
            s.strip_prefix(topic)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|rest| rest == field)
        };
        match self.subjects.iter().find(|(s, _)| wanted(s)) {
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
        self.decode_framed(payload, None)
    }

    /// [`Schema::decode`], with the Protobuf message indexes taken from
    /// `indexes` when the framing carried them apart from the payload.
    pub fn decode_framed(&self, payload: &[u8], indexes: Option<&[u8]>) -> Result<Value, String> {
        match &self.parsed {
            Parsed::Avro(avro) => {
                let schema = avro.schema();
                let mut rest = payload;
                let value = avro
                    .cell
                    .borrow_dependent()
                    .reader
                    .read_value(&mut rest)
                    .map_err(|e| format!("not Avro of this schema: {e}"))?;
                if !rest.is_empty() {
                    return Err(format!(
                        "not Avro of this schema: {} bytes left after the value",
                        rest.len()
                    ));
                }
                avro_to_json(value, schema, &avro.names)
            }
            Parsed::Json(_) => match super::json_text::parse_any_json(payload)? {
                super::json_text::Parsed::Tree(json) => Ok(json),
                super::json_text::Parsed::Deep(deep) => Err(format!(
                    "JSON nested {} levels deep, deeper than read here",
                    deep.depth()
                )),
            },
            Parsed::Protobuf(file) => decode_protobuf(file, payload, indexes),
        }
    }
}

/// The name the schema being compiled is given among its imports (a
/// registry gives the schema itself no file name; its references have the
/// names they are imported by, which this one is not likely to be).
const PROTOBUF_MAIN_FILE: &str = "eventdeck/registry-schema.proto";

/// Compiles a Protobuf schema and its references into one descriptor pool.
/// Each document is either `.proto` source (what Confluent's registry hands
/// out, and what Java clients register) or a base64 `FileDescriptorProto`
/// (what confluent-kafka's Python serializer registers, and Apicurio hands
/// back as it was given). An import no reference names is looked for among
/// the well-known types (`google/protobuf/*.proto`, which serializers do not
/// register by default: `skip.known.types`).
fn compile_protobuf(text: &SchemaText) -> Result<FileDescriptor, String> {
    let invalid =
        |e: &dyn std::fmt::Display| format!("schema id {} is not valid Protobuf: {e}", text.id);
    let mut files: HashMap<String, String> = text
        .references
        .iter()
        .map(|r| (r.name.clone(), r.text.clone()))
        .collect();
    files.insert(PROTOBUF_MAIN_FILE.into(), text.text.clone());
    let mut resolver = protox::file::ChainFileResolver::new();
    resolver.add(RegistryFiles(files));
    resolver.add(protox::file::GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler
        .open_file(PROTOBUF_MAIN_FILE)
        .map_err(|e| invalid(&e))?;
    compiler
        .descriptor_pool()
        .get_file_by_name(PROTOBUF_MAIN_FILE)
        .ok_or_else(|| invalid(&"it compiled to nothing"))
}

/// The registry's documents by the name they are imported as.
struct RegistryFiles(HashMap<String, String>);

impl protox::file::FileResolver for RegistryFiles {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        let Some(text) = self.0.get(name) else {
            return Err(protox::Error::file_not_found(name));
        };
        match descriptor_in_base64(text) {
            Some(mut descriptor) => {
                // Filed under the name it is imported as, whatever it called
                // itself when it was registered.
                descriptor.name = Some(name.to_string());
                Ok(protox::file::File::from_file_descriptor_proto(descriptor))
            }
            None => protox::file::File::from_source(name, text),
        }
    }
}

/// A `FileDescriptorProto` written in base64, or `None` when `text` is not
/// one (`.proto` source never is: it has spaces and semicolons).
fn descriptor_in_base64(text: &str) -> Option<FileDescriptorProto> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    FileDescriptorProto::decode(bytes.as_slice()).ok()
}

/// A Confluent Protobuf payload (message indexes, then the message) as JSON,
/// in the proto3 JSON mapping with the `.proto`'s own field names: what
/// protobuf's `json_format.MessageToDict(m, preserving_proto_field_name=True)`
/// gives for the message Confluent's deserializer reads. 64-bit integers as
/// strings, enums by name, `Timestamp` and `Duration` as text, bytes in
/// base64, fields at their default value left out. The `.proto` names (not
/// the lowerCamelCase JSON names) so that an envelope written as Protobuf
/// (`event_id`, `correlation_id`) is still an envelope.
fn decode_protobuf(
    file: &FileDescriptor,
    payload: &[u8],
    indexes: Option<&[u8]>,
) -> Result<Value, String> {
    let (indexes, body) = match indexes {
        Some(apart) => (protobuf_message_indexes(apart)?.0, payload),
        None => protobuf_message_indexes(payload)?,
    };
    let descriptor = message_at(file, &indexes)?;
    let message = DynamicMessage::decode(descriptor.clone(), body).map_err(|e| {
        format!(
            "not Protobuf of this schema ({}): {e}",
            descriptor.full_name()
        )
    })?;
    // Written as text, then read: serde_json would turn a `float` field's
    // f32 into the f64 nearest it (0.1 → 0.10000000149011612), the text has
    // the shortest digits that give the f32 back, as protobuf's JSON does.
    let mut text = Vec::new();
    message
        .serialize_with_options(
            &mut serde_json::Serializer::new(&mut text),
            &SerializeOptions::new().use_proto_field_name(true),
        )
        .map_err(|e| format!("{} has no JSON form: {e}", descriptor.full_name()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", descriptor.full_name()))
}

/// The message that Confluent's message indexes name: the first indexes a
/// top-level message of the file (in declaration order), each next one a
/// message nested in the last.
fn message_at(file: &FileDescriptor, indexes: &[i32]) -> Result<MessageDescriptor, String> {
    let no_such = || {
        format!(
            "message indexes {indexes:?} name no message of the schema (it has {} top-level)",
            file.messages().len()
        )
    };
    let mut at = indexes.iter().map(|&i| usize::try_from(i).ok());
    let mut message = at
        .next()
        .flatten()
        .and_then(|i| file.messages().nth(i))
        .ok_or_else(no_such)?;
    for index in at {
        message = index
            .and_then(|i| message.child_messages().nth(i))
            .ok_or_else(no_such)?;
    }
    Ok(message)
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
    fn lookup(&self, id: SchemaId) -> Lookup;

    /// False when there is no registry: framed records are read as any other.
    fn configured(&self) -> bool {
        true
    }
}

/// Shown as its kind only (a source holds schemas and clients, not text).
impl std::fmt::Debug for dyn SchemaSource + Send + Sync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.configured() {
            "SchemaSource"
        } else {
            "NoRegistry"
        })
    }
}

/// The source when no registry is configured.
pub struct NoRegistry;

impl SchemaSource for NoRegistry {
    fn lookup(&self, _id: SchemaId) -> Lookup {
        Lookup::NoRegistry
    }

    fn configured(&self) -> bool {
        false
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
        // Written into a sized buffer: `to_string` goes through the
        // formatting machinery, a noticeable share of an envelope's read.
        Avro::Uuid(uuid) => Value::String(
            uuid.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer())
                .to_string(),
        ),
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
    use crate::domain::Header;
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
    fn framings_in_the_payload_and_in_headers() {
        let none: [Header; 0] = [];
        let value = |bytes: &'static [u8]| framing(bytes, &none, Field::Value);
        // Confluent (and Apicurio 3's default, a contentId): magic 0, 4 bytes.
        assert_eq!(
            value(&[0, 0, 0, 1, 2, 9]).unwrap(),
            Some(Framed {
                id: SchemaId::Id(258),
                payload: &[9],
                indexes: None
            })
        );
        // Apicurio's legacy framing: magic 0, an 8-byte globalId.
        assert_eq!(
            value(&[0, 0, 0, 0, 0, 0, 0, 0, 7, 9, 9]).unwrap(),
            Some(Framed {
                id: SchemaId::GlobalId(7),
                payload: &[9, 9],
                indexes: None
            })
        );
        // Not framed: JSON, text, too short.
        assert_eq!(value(br#"{"a":1}"#).unwrap(), None);
        assert_eq!(value(&[0, 0, 1]).unwrap(), None);

        // Confluent's header: magic 0, the id, then Protobuf's indexes; the
        // whole value is the payload. It wins over the value's own bytes.
        let headers: Vec<Header> = vec![
            ("other".into(), Some(b"x".to_vec())),
            (
                CONFLUENT_VALUE_SCHEMA_ID_HEADER.into(),
                Some(vec![0, 0, 0, 0, 5, 0x02, 0x02]),
            ),
        ];
        let bytes: &[u8] = &[0, 0, 0, 0, 9, 1];
        assert_eq!(
            framing(bytes, &headers, Field::Value).unwrap(),
            Some(Framed {
                id: SchemaId::Id(5),
                payload: bytes,
                indexes: Some(&[0x02, 0x02])
            })
        );
        // The key's header is not the value's.
        assert_eq!(
            framing(b"k", &headers, Field::Key).unwrap(),
            None,
            "no key header, and `k` is not framed"
        );
        let guid: Vec<Header> = vec![(
            CONFLUENT_KEY_SCHEMA_ID_HEADER.into(),
            Some([&[1u8][..], &[0xab; 16]].concat()),
        )];
        let err = framing(b"k", &guid, Field::Key).unwrap_err();
        assert_eq!(
            err,
            "header __key_schema_id names the schema by GUID abababab-abab-abab-abab-abababababab, which is not looked up here (only by id)"
        );
        let short: Vec<Header> = vec![(CONFLUENT_KEY_SCHEMA_ID_HEADER.into(), Some(vec![0, 1]))];
        assert!(framing(b"k", &short, Field::Key).is_err());

        // Apicurio's headers: 8-byte big-endian globalId or contentId.
        let apicurio = |name: &str, id: u64| -> Vec<Header> {
            vec![(name.into(), Some(id.to_be_bytes().to_vec()))]
        };
        assert_eq!(
            framing(b"v", &apicurio("apicurio.value.globalId", 40), Field::Value).unwrap(),
            Some(Framed {
                id: SchemaId::GlobalId(40),
                payload: b"v",
                indexes: None
            })
        );
        assert_eq!(
            framing(b"k", &apicurio("apicurio.key.contentId", 41), Field::Key)
                .unwrap()
                .map(|f| f.id),
            Some(SchemaId::Id(41))
        );
        assert!(
            framing(
                b"k",
                &apicurio("apicurio.key.contentId", 1 << 40),
                Field::Key
            )
            .is_err(),
            "a contentId beyond the 32 bits ids have"
        );
        let cut: Vec<Header> = vec![("apicurio.value.globalId".into(), Some(vec![1, 2]))];
        assert!(framing(b"v", &cut, Field::Value).is_err());
    }

    #[test]
    fn protobuf_indexes_from_the_header_and_keys_decode_too() {
        use crate::domain::decode_key_with_schemas;
        let schema = Arc::new(order_schema());
        // The key as OrderKey ([1]) with its indexes in Confluent's header:
        // the key bytes are the bare message.
        let key_json = json!({"id": "o-1", "region": 3});
        let message = protobuf_payload(&schema, "shop.OrderKey", &[], &key_json);
        let headers: Vec<Header> = vec![(
            CONFLUENT_KEY_SCHEMA_ID_HEADER.into(),
            Some(vec![0, 0, 0, 0, 12, 0x02, 0x02]),
        )];
        let source = One(12, Lookup::Ready(Arc::clone(&schema)));
        let key = decode_key_with_schemas(Some(&message), &headers, "orders", &source).unwrap();
        assert_eq!(key.value, Ok(key_json));
        assert_eq!(key.schema.id, Some(12));
        // The same bytes with no framing name no schema.
        assert_eq!(
            decode_key_with_schemas(Some(b"o-1"), &[] as &[Header], "orders", &source),
            None
        );
        // No registry: nothing is read with a schema.
        assert_eq!(
            decode_key_with_schemas(Some(&message), &headers, "orders", &NoRegistry),
            None
        );
        // A globalId the source does not have is named in the error.
        let mut legacy = vec![0, 0, 0, 0, 0, 0, 0, 0, 99];
        legacy.extend(&message);
        let key = decode_key_with_schemas(Some(&legacy), &[] as &[Header], "t", &source).unwrap();
        assert_eq!(key.value, Err("schema globalId 99: unknown".into()));
        assert_eq!((key.schema.id, key.schema.global_id), (None, Some(99)));
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
                id: Some(7),
                global_id: None,
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
        text.references = vec![Referenced {
            name: "shop.Money".into(),
            text: money.into(),
        }];
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
        fn lookup(&self, id: SchemaId) -> Lookup {
            if id == SchemaId::Id(self.0) {
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
        assert_eq!(pending.schema.as_ref().and_then(|s| s.id), Some(5));

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

    const COMMON_PROTO: &str = r#"syntax = "proto3";
        package shop.common;
        message Money { int64 units = 1; int32 nanos = 2; string currency_code = 3; }
        enum Channel { CHANNEL_UNSPECIFIED = 0; WEB = 1; STORE = 2; }"#;

    const ORDER_PROTO: &str = r#"syntax = "proto3";
        package shop;
        import "google/protobuf/timestamp.proto";
        import "shop/common.proto";
        message Order {
          string id = 1;
          google.protobuf.Timestamp placed = 2;
          shop.common.Money total = 3;
          repeated Line lines = 4;
          shop.common.Channel channel = 5;
          map<string, sint64> tags = 6;
          bytes blob = 7;
          float share = 8;
          oneof ref { string note = 10; int32 code = 11; }
          message Line { string sku = 1; uint32 qty = 2; }
        }
        message OrderKey { string id = 1; int32 region = 2; }"#;

    /// `COMMON_PROTO` as confluent-kafka's Python serializer registers a
    /// file: its `FileDescriptorProto` in base64.
    fn common_in_base64() -> String {
        use base64::Engine as _;
        let mut compiler = protox::Compiler::with_file_resolver(
            protox::file::File::from_source("shop/common.proto", COMMON_PROTO)
                .map(OneFile)
                .unwrap(),
        );
        compiler.open_file("shop/common.proto").unwrap();
        let set = compiler.file_descriptor_set();
        base64::engine::general_purpose::STANDARD.encode(set.file[0].encode_to_vec())
    }

    struct OneFile(protox::file::File);

    impl protox::file::FileResolver for OneFile {
        fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
            if name == self.0.name() {
                Ok(self.0.clone())
            } else {
                Err(protox::Error::file_not_found(name))
            }
        }
    }

    fn order_schema() -> Schema {
        Schema::parse(&SchemaText {
            id: 12,
            format: SchemaFormat::Protobuf,
            text: ORDER_PROTO.into(),
            references: vec![Referenced {
                name: "shop/common.proto".into(),
                text: common_in_base64(),
            }],
            subjects: vec![("orders-value".into(), 2)],
        })
        .unwrap()
    }

    /// A message of `schema` (full name `name`) written from its proto3
    /// JSON, framed after the schema id: message indexes, then the message.
    fn protobuf_payload(schema: &Schema, name: &str, indexes: &[u8], json: &Value) -> Vec<u8> {
        let Parsed::Protobuf(file) = &schema.parsed else {
            panic!("not protobuf")
        };
        let descriptor = file.parent_pool().get_message_by_name(name).unwrap();
        let message = DynamicMessage::deserialize(descriptor, json.clone()).unwrap();
        let mut payload = indexes.to_vec();
        payload.extend(message.encode_to_vec());
        payload
    }

    #[test]
    fn a_protobuf_message_with_imports_decodes_to_its_proto3_json() {
        let schema = order_schema();
        assert_eq!(schema.reference.format, Some(SchemaFormat::Protobuf));
        let order = json!({
            "id": "o-1", "placed": "2024-05-01T10:00:00.123Z",
            "total": {"units": "9007199254740993", "nanos": 500000000, "currency_code": "EUR"},
            "lines": [{"sku": "a", "qty": 2}, {"sku": "b"}],
            "channel": "STORE", "tags": {"x": "5", "y": "-1"}, "blob": "AP9oaQ==",
            "share": 0.1, "note": "rush"
        });
        // [0]: the shorthand, a count of 0.
        let payload = protobuf_payload(&schema, "shop.Order", &[0x00], &order);
        assert_eq!(schema.decode(&payload).unwrap(), order);
        // [0] written out in full: count 1, index 0.
        let payload = protobuf_payload(&schema, "shop.Order", &[0x02, 0x00], &order);
        assert_eq!(schema.decode(&payload).unwrap(), order);
        // [1]: the second top-level message.
        let key = json!({"id": "o-1", "region": 3});
        let payload = protobuf_payload(&schema, "shop.OrderKey", &[0x02, 0x02], &key);
        assert_eq!(schema.decode(&payload).unwrap(), key);
        // [0, 1]: the second message nested in the first (the first is the
        // map's entry type, `TagsEntry`, nested where the map field is
        // declared: before `Line`, as protoc places it too).
        let line = json!({"sku": "z", "qty": 7});
        let payload = protobuf_payload(&schema, "shop.Order.Line", &[0x04, 0x00, 0x02], &line);
        assert_eq!(schema.decode(&payload).unwrap(), line);
        // Defaults are left out; the other oneof branch.
        let bare = json!({"code": -7});
        let payload = protobuf_payload(&schema, "shop.Order", &[0x00], &bare);
        assert_eq!(schema.decode(&payload).unwrap(), bare);
    }

    #[test]
    fn a_bad_index_a_corrupt_payload_and_a_bad_schema_say_which() {
        let schema = order_schema();
        let err = schema.decode(&[0x02, 0x04, 0x0a, 0x01, b'x']).unwrap_err();
        assert_eq!(
            err,
            "message indexes [2] name no message of the schema (it has 2 top-level)"
        );
        let err = schema.decode(&[0x04, 0x02, 0x00]).unwrap_err();
        assert!(
            err.starts_with("message indexes [1, 0] name no message"),
            "{err}"
        );
        let err = schema.decode(&[0x02, 0x01]).unwrap_err();
        assert!(err.starts_with("message indexes [-1]"), "{err}");
        // Field 1 (a string) says 16 bytes follow; 1 does.
        let err = schema.decode(&[0x00, 0x0a, 0x10, b'x']).unwrap_err();
        assert!(
            err.starts_with("not Protobuf of this schema (shop.Order): "),
            "{err}"
        );
        let err = schema.decode(&[]).unwrap_err();
        assert!(err.contains("message indexes are cut short"), "{err}");

        let text = |text: &str, references: Vec<Referenced>| SchemaText {
            id: 13,
            format: SchemaFormat::Protobuf,
            text: text.into(),
            references,
            subjects: vec![],
        };
        let err = Schema::parse(&text("message {", vec![])).unwrap_err();
        assert!(
            err.starts_with("schema id 13 is not valid Protobuf: "),
            "{err}"
        );
        // An import the registry did not give and no well-known type.
        let err = Schema::parse(&text(ORDER_PROTO, vec![])).unwrap_err();
        assert!(
            err.starts_with("schema id 13 is not valid Protobuf: "),
            "{err}"
        );
        assert!(err.contains("shop/common.proto"), "{err}");
    }

    #[test]
    fn an_envelope_in_protobuf_is_an_envelope() {
        use crate::domain::{RecordKind, TopicMap, decode_with_schemas};
        let schema = Arc::new(
            Schema::parse(&SchemaText {
                id: 14,
                format: SchemaFormat::Protobuf,
                text: r#"syntax = "proto3";
                    import "google/protobuf/timestamp.proto";
                    message DecisionMade {
                      string event_id = 1; string event_type = 2; int32 schema_version = 3;
                      string aggregate_id = 4; google.protobuf.Timestamp occurred_at = 5;
                      string correlation_id = 6; map<string, int32> data = 7;
                    }"#
                .into(),
                references: vec![],
                subjects: vec![("debate.events-value".into(), 1)],
            })
            .unwrap(),
        );
        let value = json!({
            "event_id": "6f1c2b1e-7d1a-4d6e-9c33-0d7e7a1c2b3f", "event_type": "DecisionMade",
            "schema_version": 1, "aggregate_id": "d-1", "occurred_at": "2024-05-01T10:00:00Z",
            "correlation_id": "00000000-0000-4000-8000-000000000001", "data": {"votes": 3}
        });
        let mut frame = vec![MAGIC_BYTE, 0, 0, 0, 14];
        frame.extend(protobuf_payload(&schema, "DecisionMade", &[0x00], &value));
        let source = One(14, Lookup::Ready(Arc::clone(&schema)));
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
        assert_eq!(outcome.schema_value, Some(value));
        assert_eq!(
            outcome.schema.and_then(|s| s.format),
            Some(SchemaFormat::Protobuf)
        );
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

    // Writing: the reverse of decoding.

    fn avro_order() -> Schema {
        Schema::parse(&avro_text(7, ORDER)).unwrap()
    }

    fn order_json() -> Value {
        json!({
            "id": "o-1", "total": "12.34", "placed": "2024-05-01T10:00:00.123Z",
            "day": "2024-05-01", "note": "rush",
            "line": {"sku": "a", "qty": 2},
            "lines": [{"sku": "b", "qty": 1}, {"sku": "c", "qty": -3}],
            "state": "PAID", "tags": {"x": 5},
            "ref": "7d444840-9dc0-11d1-b245-5ffdce74fad2"
        })
    }

    #[test]
    fn an_avro_value_written_from_json_reads_back_as_the_same_json() {
        let schema = avro_order();
        let order = order_json();
        let payload = schema.encode(&order).expect("fits");
        assert_eq!(schema.decode(&payload).unwrap(), order);
        // The union's other branch, and a default filled in.
        let mut bare = order.clone();
        bare.as_object_mut().unwrap().remove("note");
        let payload = schema.encode(&bare).expect("fits");
        let mut expected = bare.clone();
        expected["note"] = Value::Null;
        assert_eq!(schema.decode(&payload).unwrap(), expected);
    }

    #[test]
    fn every_avro_problem_is_named_with_its_path() {
        let schema = avro_order();
        let mut order = order_json();
        let fields = order.as_object_mut().unwrap();
        fields.remove("ref");
        fields.insert(
            "lines".into(),
            json!([{"sku": "b", "qty": 1}, {"sku": "c", "qty": "x"}]),
        );
        fields.insert("state".into(), json!("LOST"));
        fields.insert("total".into(), json!("1.234"));
        fields.insert("colour".into(), json!("red"));
        fields.insert("note".into(), json!(5));
        fields.insert("gone".into(), Value::Null);
        let problems = schema.encode(&order).expect_err("does not fit");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "total: expected decimal with at most 2 digits after the point, got `1.234`",
                "note: expected string, got a number 5",
                "lines[1].qty: expected int, got text \"x\"",
                "state: `LOST` is not a symbol of enum State (NEW, PAID)",
                "missing field `ref` (uuid)",
                "`colour` is not a field of Order",
            ],
            "{problems:?}"
        );
    }

    #[test]
    fn avro_decimals_are_written_exactly_in_the_shortest_twos_complement() {
        use super::encode::decimal_bytes;
        assert_eq!(decimal_bytes("12.34", 2, 9).unwrap(), [0x04, 0xd2]);
        assert_eq!(decimal_bytes("12.3", 2, 9).unwrap(), [0x04, 0xce]);
        assert_eq!(
            decimal_bytes("12.340", 2, 9).unwrap(),
            [0x04, 0xd2],
            "zeros past the scale"
        );
        assert_eq!(decimal_bytes("-1", 0, 9).unwrap(), [0xff]);
        assert_eq!(decimal_bytes("128", 0, 9).unwrap(), [0x00, 0x80]);
        assert_eq!(decimal_bytes("-128", 0, 9).unwrap(), [0x80]);
        assert_eq!(decimal_bytes("-129", 0, 9).unwrap(), [0xff, 0x7f]);
        assert_eq!(decimal_bytes("0", 2, 9).unwrap(), [0x00]);
        assert!(decimal_bytes("1.234", 2, 9).is_err());
        assert!(decimal_bytes("1e3", 2, 9).is_err());
        assert!(decimal_bytes("", 2, 9).is_err());
        assert_eq!(
            decimal_bytes("1234567.89", 2, 4).unwrap_err(),
            "decimal `1234567.89` has 9 digits, more than its precision 4"
        );
    }

    #[test]
    fn a_protobuf_message_written_from_json_reads_back_as_the_same_json() {
        let schema = order_schema();
        let order = json!({
            "id": "o-1", "placed": "2024-05-01T10:00:00.123Z",
            "total": {"units": "9007199254740993", "nanos": 500000000, "currency_code": "EUR"},
            "lines": [{"sku": "a", "qty": 2}, {"sku": "b"}],
            "channel": "STORE", "tags": {"x": "5"}, "note": "rush"
        });
        let payload = schema.encode(&order).expect("fits");
        assert_eq!(payload[0], 0, "message indexes [0] in the shorthand");
        assert_eq!(schema.decode(&payload).unwrap(), order);
        assert_eq!(schema.type_name().as_deref(), Some("shop.Order"));
        let problems = schema
            .encode(&json!({"id": "o-1", "colour": 1}))
            .expect_err("no such field");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.starts_with("not a shop.Order: "),
            "{problems:?}"
        );
        assert!(problems[0].message.contains("colour"), "{problems:?}");
    }

    #[test]
    fn a_json_schema_value_is_checked_and_written_as_json() {
        let schema = Schema::parse(&SchemaText {
            id: 3,
            format: SchemaFormat::Json,
            text: r#"{"title": "Vote", "type": "object", "required": ["votes"],
                      "properties": {"votes": {"type": "integer"},
                                     "items": {"type": "array", "items": {"type": "string"}}}}"#
                .into(),
            references: vec![],
            subjects: vec![],
        })
        .unwrap();
        let good = json!({"votes": 3, "items": ["a"]});
        let payload = schema.encode(&good).expect("fits");
        assert_eq!(schema.decode(&payload).unwrap(), good);
        let problems = schema
            .encode(&json!({"items": ["a", 2]}))
            .expect_err("does not fit");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"items[1]"), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.message.contains("votes")),
            "{problems:?}"
        );
        assert_eq!(schema.type_name().as_deref(), Some("Vote"));
    }

    #[test]
    fn an_envelope_shaped_schema_is_written_the_whole_envelope() {
        assert!(!avro_order().wants_envelope());
        let envelope = Schema::parse(&avro_text(
            8,
            r#"{"type": "record", "name": "Envelope", "fields": [
                {"name": "event_id", "type": "string"}, {"name": "event_type", "type": "string"},
                {"name": "data", "type": "string"}]}"#,
        ))
        .unwrap();
        assert!(envelope.wants_envelope());
        assert_eq!(confluent_framed(258, &[9]), [0, 0, 0, 1, 2, 9]);
        assert_eq!(
            confluent_frame(&confluent_framed(7, &[1, 2])),
            Some((7, &[1u8, 2][..]))
        );
    }
}
