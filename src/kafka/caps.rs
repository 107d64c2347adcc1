//! What the connected brokers can do, decided once when the brokers are chosen
//! and carried in [`Settings`](crate::config::Settings) to every client.
//!
//! Kafka code asks these instead of guessing from addresses or error text: the
//! demo's embedded broker has no admin APIs and no time index; any other
//! cluster is taken to have both (a broker that still refuses an admin API
//! answers with [`KafkaError::Unsupported`]).

use super::client::KafkaError;

/// The broker capabilities eventdeck adapts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerCaps {
    /// CreateTopics, DescribeConfigs, ListGroups, DescribeGroups and the rest
    /// of the admin APIs.
    pub admin_apis: bool,
    /// ListOffsets by timestamp (offsets-for-times) finds the first record at
    /// or after a time; without it, readers of a time range scan the records.
    pub time_index: bool,
    /// The group coordinator answers a JoinGroup while the member refreshes
    /// its metadata; the mock cluster's left such joins unanswered, so group
    /// members there keep librdkafka's default (rare) refresh.
    pub refresh_during_join: bool,
}

impl BrokerCaps {
    /// A Kafka cluster: everything.
    pub const KAFKA: Self = Self {
        admin_apis: true,
        time_index: true,
        refresh_during_join: true,
    };

    /// The embedded (mock) broker: no admin APIs, no time index, no metadata
    /// refresh during a join.
    pub const EMBEDDED: Self = Self {
        admin_apis: false,
        time_index: false,
        refresh_during_join: false,
    };

    /// `Ok` when the admin APIs may be asked; otherwise the typed refusal,
    /// without asking the broker. `api` says what was wanted ("listing
    /// consumer groups").
    pub fn admin(&self, api: &str) -> Result<(), KafkaError> {
        if self.admin_apis {
            Ok(())
        } else {
            Err(KafkaError::Unsupported { api: api.into() })
        }
    }
}

impl Default for BrokerCaps {
    fn default() -> Self {
        Self::KAFKA
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_admin_apis_the_refusal_is_typed() {
        assert!(BrokerCaps::KAFKA.admin("ListGroups").is_ok());
        let e = BrokerCaps::EMBEDDED.admin("ListGroups").unwrap_err();
        assert!(matches!(&e, KafkaError::Unsupported { api } if api == "ListGroups"));
    }

    #[test]
    fn settings_start_with_a_real_clusters_caps() {
        let dir = tempfile::tempdir().expect("dir");
        let s = crate::config::Settings::for_tests(None, dir.path());
        assert_eq!(
            (s.caps.admin_apis, s.caps.time_index),
            (true, true),
            "a real cluster has both"
        );
    }

    /// Brokers at a closed port: a request that went out would fail with
    /// "unreachable" or a timeout, never with `Unsupported`.
    #[tokio::test]
    async fn without_admin_apis_admin_calls_are_refused_without_asking() {
        use crate::kafka::admin;
        let dir = tempfile::tempdir().expect("dir");
        let mut s = crate::config::Settings::for_tests(Some("127.0.0.1:1"), dir.path());
        s.caps = BrokerCaps::EMBEDDED;
        let spec = admin::NewTopicSpec {
            name: "x".into(),
            partitions: 1,
            replication_factor: 1,
            configs: vec![],
        };
        let unsupported = |r: Result<(), KafkaError>, what: &str| {
            assert!(
                matches!(r, Err(KafkaError::Unsupported { .. })),
                "{what}: {r:?}"
            );
        };
        unsupported(admin::create_topic(&s, &spec).await, "create");
        unsupported(admin::delete_topic(&s, "x").await, "delete");
        unsupported(admin::topic_configs(&s, "x").await.map(drop), "configs");
        let set = [("retention.ms".to_string(), "1".to_string())];
        let alter = admin::alter_topic_configs(&s, "x", &set, &[]).await;
        unsupported(alter.map(drop), "alter configs");
        unsupported(
            admin::add_partitions(&s, "x", 2).await.map(drop),
            "partitions",
        );
        unsupported(admin::empty_topic(&s, "x").await.map(drop), "empty");
        unsupported(admin::list_consumer_groups(&s).await.map(drop), "groups");
        unsupported(
            admin::describe_consumer_group(&s, "g").await.map(drop),
            "group",
        );
        unsupported(admin::delete_consumer_group(&s, "g").await, "delete group");
    }
}
