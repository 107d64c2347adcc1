//! The only place that touches rdkafka: client configuration, producing,
//! consuming, and converting what Kafka hands us into owned domain-side records
//! before anything else sees them.

pub mod acls;
pub mod admin;
pub mod caps;
pub mod client;
pub mod cluster;
pub mod consume;
pub mod embedded;
pub mod find;
// The one module allowed `unsafe` (the crate denies it everywhere else): the
// librdkafka admin calls rust-rdkafka does not wrap. See its own header.
#[allow(unsafe_code)]
pub mod ffi;
pub mod groups;
pub mod isolation;
pub mod list_offsets;
pub mod member;
pub mod offsets_topic;
pub mod paced;
pub mod produce;
pub mod record;
pub mod record_times;
pub mod txn;

pub use caps::BrokerCaps;
pub use client::{KafkaError, check_reachable};
pub use consume::{Reading, StartAt, TailOptions, TxnNote, TxnState};
pub use produce::{Delivery, EventProducer, RawRecord};
pub use record::{Arrived, ConsumedRecord, Original};
