//! eventdeck: a terminal console, embedded event bus and Kafka bridge for
//! event-driven systems built as DDD bounded contexts on Apache Kafka.
//!
//! Everything here is a library the console and the headless commands share.
// deny, not forbid: kafka::ffi (and only it) allows unsafe code, for the
// librdkafka admin calls rust-rdkafka does not wrap.
#![deny(unsafe_code)]

pub mod alloc;
pub mod audit;
pub mod bridge;
pub mod bus;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod demo;
pub mod dlq;
pub mod domain;
pub mod filter;
pub mod find;
pub mod flows;
#[doc(hidden)]
pub mod fuzzing;
pub mod kafka;
pub mod lag;
pub mod logging;
pub mod mutate;
pub mod private;
pub mod provision;
pub mod publish;
pub mod replay;
pub mod reset;
pub mod schema_registry;
pub mod schemas;
pub mod task_name;
pub mod tui;
