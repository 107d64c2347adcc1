//! DescribeCluster: the cluster id, the controller and every broker with its
//! rack.

use rdkafka::bindings as sys;
use serde::Serialize;

use super::{AdminHandle, Event, Node, node, owned, pointers, request};
use crate::kafka::client::KafkaError;

/// The cluster as DescribeCluster reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterDescription {
    /// The cluster id (KRaft's or ZooKeeper's).
    pub cluster_id: Option<String>,
    /// The broker the cluster names as controller. On KRaft clusters brokers
    /// answer with a random live broker here, as Kafka's own tools show it.
    pub controller: Option<Node>,
    /// Every live broker.
    pub nodes: Vec<Node>,
}

/// Describes the cluster. Blocking.
pub fn describe_cluster(handle: &AdminHandle) -> Result<ClusterDescription, KafkaError> {
    request(
        handle,
        "describing the cluster",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        sys::RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call (owned by
            // `request`); librdkafka copies the options.
            unsafe { sys::rd_kafka_DescribeCluster(rk, options, queue) }
        },
        read_cluster,
    )
}

fn read_cluster(event: &Event) -> ClusterDescription {
    // SAFETY: the event is a live DESCRIBECLUSTER_RESULT (checked by
    // `request`); the nodes and strings it holds live as long as the event and
    // are copied before this returns.
    unsafe {
        let result = sys::rd_kafka_event_DescribeCluster_result(event.as_ptr());
        if result.is_null() {
            return ClusterDescription::default();
        }
        let mut n = 0;
        let nodes = sys::rd_kafka_DescribeCluster_result_nodes(result, &mut n);
        let mut nodes: Vec<Node> = pointers(nodes.cast_const(), n)
            .into_iter()
            .filter_map(|p| node(p))
            .collect();
        nodes.sort_by_key(|n| n.id);
        ClusterDescription {
            cluster_id: owned(sys::rd_kafka_DescribeCluster_result_cluster_id(result)),
            controller: node(sys::rd_kafka_DescribeCluster_result_controller(result)),
            nodes,
        }
    }
}
