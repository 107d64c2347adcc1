//! ListConsumerGroups and DescribeConsumerGroups: groups of both protocols,
//! classic and KIP-848 `consumer`, with their type as the broker reports it.

use std::ffi::CString;

use rdkafka::bindings as sys;
use rdkafka::types::RDKafkaErrorCode;
use serde::Serialize;

use super::{AdminHandle, Event, Node, error, node, owned, partitions, pointers, request};
use crate::kafka::client::KafkaError;

/// A group's protocol, as the broker reports it. librdkafka 2.12 knows
/// `classic` and `consumer`; anything else (a share group) reads as `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupType {
    /// The classic protocol (JoinGroup/SyncGroup), and groups of older brokers.
    Classic,
    /// The consumer protocol of KIP-848 (`group.protocol=consumer`).
    Consumer,
    /// A type librdkafka does not know, or none reported.
    Unknown,
}

impl GroupType {
    fn from_sys(t: sys::rd_kafka_consumer_group_type_t) -> Self {
        use sys::rd_kafka_consumer_group_type_t as T;
        match t {
            T::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => Self::Classic,
            T::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => Self::Consumer,
            _ => Self::Unknown,
        }
    }

    /// The broker's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classic => "classic",
            Self::Consumer => "consumer",
            Self::Unknown => "unknown",
        }
    }
}

/// A group as ListGroups lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupListing {
    /// Group id.
    pub group_id: String,
    /// Protocol.
    pub group_type: GroupType,
    /// State (librdkafka's names: Stable, Empty, Dead, PreparingRebalance, ...).
    pub state: String,
    /// A group with no protocol type (offsets committed by a client that never
    /// joined, or an admin tool).
    pub simple: bool,
}

/// Every group the brokers listed, and the brokers that could not answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedGroups {
    /// The groups.
    pub groups: Vec<GroupListing>,
    /// One message per broker that failed to list its groups.
    pub errors: Vec<(RDKafkaErrorCode, String)>,
}

/// A member of a group, from DescribeConsumerGroups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberDescription {
    /// CONSUMER-ID (member id).
    pub consumer_id: String,
    /// CLIENT-ID.
    pub client_id: String,
    /// HOST, as the broker reports it (`/127.0.0.1`).
    pub host: String,
    /// `group.instance.id` of a static member.
    pub instance_id: Option<String>,
    /// The partitions the member holds now.
    pub assignment: Vec<(String, i32)>,
    /// For the consumer protocol: the partitions the coordinator is moving the
    /// member to (equal to `assignment` once reconciled).
    pub target_assignment: Option<Vec<(String, i32)>>,
}

/// A group from DescribeConsumerGroups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupDescription {
    /// Group id.
    pub group_id: String,
    /// The error describing this group, if it failed.
    pub error: Option<String>,
    /// Protocol.
    pub group_type: GroupType,
    /// State, in librdkafka's names. librdkafka 2.12 maps the consumer
    /// protocol's own words it does not know (Assigning, Reconciling) to
    /// `Unknown`; it is shown as it comes.
    pub state: String,
    /// The classic protocol's assignor (`range`, ...) or the consumer
    /// protocol's server-side assignor (`uniform`, ...).
    pub assignor: String,
    /// No protocol type.
    pub simple: bool,
    /// The group's coordinator.
    pub coordinator: Option<Node>,
    /// Members.
    pub members: Vec<MemberDescription>,
}

/// Lists every group of every broker (ListGroups), with types. Blocking.
pub fn list_consumer_groups(handle: &AdminHandle) -> Result<ListedGroups, KafkaError> {
    request(
        handle,
        "listing consumer groups",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        sys::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call (owned by
            // `request`); librdkafka copies the options.
            unsafe { sys::rd_kafka_ListConsumerGroups(rk, options, queue) }
        },
        read_listing,
    )
}

fn read_listing(event: &Event) -> ListedGroups {
    // SAFETY: the event is a live LISTCONSUMERGROUPS_RESULT (checked by
    // `request`); the result, its arrays and strings live as long as the event
    // and are copied before this returns.
    unsafe {
        let result = sys::rd_kafka_event_ListConsumerGroups_result(event.as_ptr());
        if result.is_null() {
            return ListedGroups::default();
        }
        let mut n = 0;
        let valid = sys::rd_kafka_ListConsumerGroups_result_valid(result, &mut n);
        let groups = pointers(valid.cast_const(), n)
            .into_iter()
            .filter(|g| !g.is_null())
            .map(|g| GroupListing {
                group_id: owned(sys::rd_kafka_ConsumerGroupListing_group_id(g)).unwrap_or_default(),
                group_type: GroupType::from_sys(sys::rd_kafka_ConsumerGroupListing_type(g)),
                state: state_name(sys::rd_kafka_ConsumerGroupListing_state(g)),
                simple: sys::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
            })
            .collect();
        let mut n = 0;
        let errs = sys::rd_kafka_ListConsumerGroups_result_errors(result, &mut n);
        let errors = pointers(errs.cast_const(), n)
            .into_iter()
            .filter_map(|e| error(e))
            .collect();
        ListedGroups { groups, errors }
    }
}

/// Describes `groups` (DescribeConsumerGroups: ConsumerGroupDescribe, falling
/// back to the classic DescribeGroups for classic groups), one entry per group
/// in the broker's order. A group that does not exist comes back `Dead` with
/// no members, as Kafka reports it. Blocking.
pub fn describe_consumer_groups(
    handle: &AdminHandle,
    groups: &[&str],
) -> Result<Vec<GroupDescription>, KafkaError> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let names = groups
        .iter()
        .map(|g| CString::new(*g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| KafkaError::Invalid("a group id cannot hold a NUL byte".into()))?;
    let mut ptrs: Vec<*const std::ffi::c_char> = names.iter().map(|c| c.as_ptr()).collect();
    request(
        handle,
        "describing consumer groups",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        sys::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call; `ptrs` holds
            // `ptrs.len()` NUL-terminated strings owned by `names`, alive for
            // the call; librdkafka copies the group ids before returning.
            unsafe {
                sys::rd_kafka_DescribeConsumerGroups(
                    rk,
                    ptrs.as_mut_ptr(),
                    ptrs.len(),
                    options,
                    queue,
                )
            }
        },
        read_descriptions,
    )
}

fn read_descriptions(event: &Event) -> Vec<GroupDescription> {
    // SAFETY: the event is a live DESCRIBECONSUMERGROUPS_RESULT (checked by
    // `request`); every description, member, assignment and string it holds
    // lives as long as the event and is copied before this returns.
    unsafe {
        let result = sys::rd_kafka_event_DescribeConsumerGroups_result(event.as_ptr());
        if result.is_null() {
            return Vec::new();
        }
        let mut n = 0;
        let groups = sys::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut n);
        pointers(groups.cast_const(), n)
            .into_iter()
            .filter(|g| !g.is_null())
            .map(|g| description(g))
            .collect()
    }
}

/// Copies one group description.
///
/// # Safety
/// `g` is a live `rd_kafka_ConsumerGroupDescription_t`.
unsafe fn description(g: *const sys::rd_kafka_ConsumerGroupDescription_t) -> GroupDescription {
    // SAFETY: g is live (caller); members and their assignments are owned by
    // it and copied here.
    unsafe {
        let members = (0..sys::rd_kafka_ConsumerGroupDescription_member_count(g))
            .map(|i| sys::rd_kafka_ConsumerGroupDescription_member(g, i))
            .filter(|m| !m.is_null())
            .map(|m| {
                let assigned = sys::rd_kafka_MemberDescription_assignment(m);
                let target = sys::rd_kafka_MemberDescription_target_assignment(m);
                MemberDescription {
                    consumer_id: owned(sys::rd_kafka_MemberDescription_consumer_id(m))
                        .unwrap_or_default(),
                    client_id: owned(sys::rd_kafka_MemberDescription_client_id(m))
                        .unwrap_or_default(),
                    host: owned(sys::rd_kafka_MemberDescription_host(m)).unwrap_or_default(),
                    instance_id: owned(sys::rd_kafka_MemberDescription_group_instance_id(m)),
                    assignment: if assigned.is_null() {
                        Vec::new()
                    } else {
                        partitions(sys::rd_kafka_MemberAssignment_partitions(assigned))
                    },
                    target_assignment: if target.is_null() {
                        None
                    } else {
                        Some(partitions(sys::rd_kafka_MemberAssignment_partitions(
                            target,
                        )))
                    },
                }
            })
            .collect();
        GroupDescription {
            group_id: owned(sys::rd_kafka_ConsumerGroupDescription_group_id(g)).unwrap_or_default(),
            error: error(sys::rd_kafka_ConsumerGroupDescription_error(g)).map(|(c, t)| {
                if t.is_empty() {
                    c.to_string()
                } else {
                    format!("{c}: {t}")
                }
            }),
            group_type: GroupType::from_sys(sys::rd_kafka_ConsumerGroupDescription_type(g)),
            state: state_name(sys::rd_kafka_ConsumerGroupDescription_state(g)),
            assignor: owned(sys::rd_kafka_ConsumerGroupDescription_partition_assignor(g))
                .unwrap_or_default(),
            simple: sys::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0,
            coordinator: node(sys::rd_kafka_ConsumerGroupDescription_coordinator(g)),
            members,
        }
    }
}

/// librdkafka's name of a group state ("Stable", "Empty", ...).
fn state_name(state: sys::rd_kafka_consumer_group_state_t) -> String {
    // SAFETY: returns a pointer into a static table (or null for an
    // out-of-range value); copied at once.
    unsafe { owned(sys::rd_kafka_consumer_group_state_name(state)) }
        .unwrap_or_else(|| "Unknown".into())
}
