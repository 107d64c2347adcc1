//! The domain: event envelope, bounded contexts and their topics, the event type
//! registry, and record codecs. No Kafka, no UI.

mod cloudevent;
pub mod codec;
pub mod contexts;
pub mod deep;
pub mod envelope;
pub mod headers;
pub mod json_text;
mod lenient;
pub mod policy;
pub mod registry;
pub mod schema;
pub mod shown;
pub mod text;

pub use codec::{
    CloudEvent, ContextFrom, ContextRule, DecodeOutcome, Decoded, Encoded, Glance, Header,
    RecordKind, SCHEMA_PENDING, SchemaDecoded, decode, decode_key_with_schemas, decode_on,
    decode_with_schemas, encode, glance, glance_on, glance_with_summary_on,
    glance_with_summary_schemas, trace_id,
};
pub use contexts::{DEFAULT_CONTEXTS, TopicMap};
pub use envelope::Envelope;
pub use headers::{HeaderView, Headers, NO_HEADERS};
pub use registry::{EventTypeInfo, EventTypeRegistry, UpcastError};
pub use text::{sanitize, sanitize_bytes, sanitize_multiline, sanitize_owned};
