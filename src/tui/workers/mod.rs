//! The console's background workers, off the UI task. Each reads or changes
//! the cluster and reports over the worker channel with the messages in
//! [`super::event`]; none imports a pane, and no pane imports a worker.

pub mod admin;
pub mod cluster;
pub mod dlq;
pub mod find;
pub mod lag;
pub mod schemas;
