//! ListOffsets: per partition, the offset a spec names (the log end, the log
//! start, or the record with the largest timestamp) and that record's
//! timestamp, at the isolation level asked for. `read_committed` end offsets
//! stop at the first open transaction (the last stable offset), which the
//! consumer API's watermarks cannot say.

use std::ffi::CString;
use std::ptr::NonNull;

use rdkafka::bindings as sys;
use rdkafka::types::RDKafkaErrorCode;

use super::{AdminHandle, Event, Options, owned, pointers, request_with};
use crate::kafka::client::KafkaError;

/// Which offset of each partition to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log end (at `read_committed`: the last stable offset).
    Latest,
    /// The log start.
    Earliest,
    /// The record with the largest timestamp (KIP-734, Kafka 3.0+): the
    /// partition's last record time, whatever order the records came in.
    MaxTimestamp,
}

impl OffsetSpec {
    fn raw(self) -> i64 {
        let spec = match self {
            OffsetSpec::Latest => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST,
            OffsetSpec::Earliest => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_EARLIEST,
            OffsetSpec::MaxTimestamp => {
                sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_MAX_TIMESTAMP
            }
        };
        i64::from(spec as i32)
    }
}

/// Which records count: all of them, or only those of committed transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Every record (the high watermark).
    ReadUncommitted,
    /// Up to the first open transaction (the last stable offset).
    ReadCommitted,
}

/// One partition's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOffset {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The offset; `None` when the partition has none for the spec (an empty
    /// partition asked for its max timestamp).
    pub offset: Option<i64>,
    /// The record's timestamp (ms since the epoch), when the broker gives one.
    pub timestamp_ms: Option<i64>,
    /// The partition's own error, if it failed.
    pub error: Option<String>,
}

/// A topic-partition list of our own, freed on drop.
struct PartitionList(NonNull<sys::rd_kafka_topic_partition_list_t>);

impl PartitionList {
    fn new(parts: &[(CString, i32)], offset: i64) -> Result<Self, KafkaError> {
        let n = std::ffi::c_int::try_from(parts.len()).unwrap_or(std::ffi::c_int::MAX);
        // SAFETY: plain constructor; the list is owned by the returned value
        // and freed by its Drop.
        let raw = unsafe { sys::rd_kafka_topic_partition_list_new(n) };
        let list = Self(NonNull::new(raw).ok_or_else(|| {
            KafkaError::Invalid("librdkafka could not make a partition list".into())
        })?);
        for (topic, partition) in parts {
            // SAFETY: the list is live; `topic` is NUL-terminated and copied by
            // librdkafka; the element returned belongs to the list, which is
            // live while it is written.
            unsafe {
                let e = sys::rd_kafka_topic_partition_list_add(
                    list.0.as_ptr(),
                    topic.as_ptr(),
                    *partition,
                );
                if let Some(mut e) = NonNull::new(e) {
                    e.as_mut().offset = offset;
                }
            }
        }
        Ok(list)
    }
}

impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_topic_partition_list_new, freed exactly once
        // here; rd_kafka_ListOffsets copies the partitions it is given.
        unsafe { sys::rd_kafka_topic_partition_list_destroy(self.0.as_ptr()) }
    }
}

/// Lists `spec`'s offset of each partition at `isolation`. Blocking.
pub fn list_offsets(
    handle: &AdminHandle,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
    isolation: Isolation,
) -> Result<Vec<ListedOffset>, KafkaError> {
    let mut wanted: Vec<(String, i32)> = partitions.to_vec();
    // librdkafka refuses a list with a partition twice.
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let names = wanted
        .iter()
        .map(|(t, p)| CString::new(t.as_str()).map(|t| (t, *p)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| KafkaError::Invalid("a topic name cannot hold a NUL byte".into()))?;
    let list = PartitionList::new(&names, spec.raw())?;
    request_with(
        handle,
        "listing offsets",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        sys::RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
        |options: &Options| options.set_isolation(isolation),
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call (owned by
            // `request_with`); the list is live (owned above) and
            // librdkafka copies its partitions before returning.
            unsafe { sys::rd_kafka_ListOffsets(rk, list.0.as_ptr(), options, queue) }
        },
        read_offsets,
    )
}

fn read_offsets(event: &Event) -> Vec<ListedOffset> {
    // SAFETY: the event is a live LISTOFFSETS_RESULT (checked by `request`);
    // the infos, their partitions and topic strings live as long as the event
    // and are copied before this returns.
    unsafe {
        let result = sys::rd_kafka_event_ListOffsets_result(event.as_ptr());
        if result.is_null() {
            return Vec::new();
        }
        let mut n = 0;
        let infos = sys::rd_kafka_ListOffsets_result_infos(result, &mut n);
        let mut out: Vec<ListedOffset> = pointers(infos.cast_const(), n)
            .into_iter()
            .filter_map(|info| {
                let tp = sys::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
                let tp = tp.as_ref()?;
                let ts = sys::rd_kafka_ListOffsetsResultInfo_timestamp(info);
                let error = (tp.err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
                    .then(|| RDKafkaErrorCode::from(tp.err).to_string());
                Some(ListedOffset {
                    topic: owned(tp.topic).unwrap_or_default(),
                    partition: tp.partition,
                    offset: (tp.offset >= 0 && error.is_none()).then_some(tp.offset),
                    timestamp_ms: (ts >= 0 && error.is_none()).then_some(ts),
                    error,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        out
    }
}
