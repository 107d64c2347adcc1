//! Offsets the consumer API cannot give, through ListOffsets
//! ([`ffi::list_offsets`](super::ffi::list_offsets)): each partition's last
//! record time (the record with the largest timestamp, KIP-734) and its end
//! offset at `read_committed` (the last stable offset: records of open
//! transactions do not count, so lag in an exactly-once pipeline is measured
//! against what its consumers can read).

use std::collections::BTreeMap;

use super::client::KafkaError;
use super::ffi::{self, AdminHandle, Isolation, OffsetSpec};
use crate::config::Settings;

/// A partition.
pub type Partition = (String, i32);

/// One ListOffsets request for `partitions`; a partition that failed is an
/// error naming it. Blocking.
fn list(
    settings: &Settings,
    action: &str,
    partitions: &[Partition],
    spec: OffsetSpec,
    isolation: Isolation,
) -> Result<Vec<ffi::ListedOffset>, KafkaError> {
    let handle = AdminHandle::connect(settings, action)?;
    let listed = ffi::list_offsets(&handle, partitions, spec, isolation)?;
    if let Some(bad) = listed.iter().find(|l| l.error.is_some()) {
        return Err(KafkaError::Admin {
            action: format!("{action} ({}[{}])", bad.topic, bad.partition),
            reason: bad.error.clone().unwrap_or_default(),
        });
    }
    Ok(listed)
}

/// Each partition's newest record time (ms since the epoch), by the largest
/// timestamp in the partition; `None` for an empty partition. Blocking.
pub fn last_record_times(
    settings: &Settings,
    partitions: &[Partition],
) -> Result<BTreeMap<Partition, Option<i64>>, KafkaError> {
    Ok(list(
        settings,
        "reading last record times",
        partitions,
        OffsetSpec::MaxTimestamp,
        Isolation::ReadUncommitted,
    )?
    .into_iter()
    .map(|l| ((l.topic, l.partition), l.timestamp_ms))
    .collect())
}

/// Each partition's end offset at `read_committed`: the last stable offset,
/// below the first record of a transaction still open. Blocking.
pub fn committed_end_offsets(
    settings: &Settings,
    partitions: &[Partition],
) -> Result<BTreeMap<Partition, i64>, KafkaError> {
    end_offsets(settings, partitions, Isolation::ReadCommitted)
}

/// Each partition's end offset at `isolation`. Blocking.
pub fn end_offsets(
    settings: &Settings,
    partitions: &[Partition],
    isolation: Isolation,
) -> Result<BTreeMap<Partition, i64>, KafkaError> {
    Ok(list(
        settings,
        "reading end offsets",
        partitions,
        OffsetSpec::Latest,
        isolation,
    )?
    .into_iter()
    .filter_map(|l| Some(((l.topic, l.partition), l.offset?)))
    .collect())
}
