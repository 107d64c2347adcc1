//! Search whole topics or time ranges for a key, field values or text: the
//! query and its matching ([`query`]) and the partitions a key can be in
//! ([`partitioner`]). The reading is `kafka::find`'s; the headless
//! `eventdeck find` and the console's search both call it.

pub mod partitioner;
pub mod query;
pub mod request;

pub use partitioner::{Partitioner, key_partitions};
pub use query::{Query, RawView, Where, schema_framed};

/// Matches kept at most unless `--limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 1000;
