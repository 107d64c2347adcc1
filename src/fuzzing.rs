//! Entry points for the fuzz targets in `fuzz/` (not an API: hidden from the
//! docs, free to change). Each one drives a path through the crate's own code
//! that is not public otherwise.
#![doc(hidden)]

use std::path::Path;

use crate::bridge::outbox::{Outbox, OutboxError, OutboxRecord};
use crate::kafka::Delivery;

/// What reopening an outbox directory found.
#[derive(Debug, Default)]
pub struct Reopened {
    /// The waiting records the relay reads back, in order.
    pub records: Vec<(u64, OutboxRecord)>,
    /// [`Outbox::depth`] after opening.
    pub depth: u64,
    /// The records still waiting after every one read was acknowledged and
    /// the outbox opened again.
    pub after_ack: Vec<(u64, OutboxRecord)>,
    /// [`Outbox::depth`] after acknowledging them all (before reopening).
    pub depth_after_ack: u64,
}

/// Opens the outbox in `dir` as the bridge does after a restart, reads what
/// waits the way the relay does, acknowledges it all (as Kafka would), and
/// opens it once more to read what is left.
pub fn outbox_reopen(dir: &Path) -> Result<Reopened, OutboxError> {
    let outbox = Outbox::open(dir, u64::MAX)?;
    let records = outbox.read_from(0, usize::MAX)?;
    let depth = outbox.depth();
    let delivered: Vec<(u64, String, Delivery)> = records
        .iter()
        .map(|(seq, r)| {
            let at = Delivery {
                topic: r.topic.clone(),
                partition: 0,
                offset: 0,
            };
            (*seq, r.context.clone(), at)
        })
        .collect();
    outbox.acknowledge(&delivered, true)?;
    let depth_after_ack = outbox.depth();
    outbox.close();
    let outbox = Outbox::open(dir, u64::MAX)?;
    let after_ack = outbox.read_from(0, usize::MAX)?;
    outbox.close();
    Ok(Reopened {
        records,
        depth,
        after_ack,
        depth_after_ack,
    })
}
