//! Bounded contexts and the Kafka topics (and dead-letter topics) they publish to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The bounded contexts of the system eventdeck grew out of.
pub const DEFAULT_CONTEXTS: [&str; 5] = [
    "debate",
    "implementation",
    "performance",
    "testing",
    "evolution",
];

/// Suffix of a context's default topic: `debate` publishes to `debate.events`.
pub const DEFAULT_TOPIC_SUFFIX: &str = ".events";

/// Suffix that turns a topic into its dead-letter topic: `debate.events.dlq`.
pub const DEFAULT_DLQ_SUFFIX: &str = ".dlq";

/// Context → topic map, plus the suffix naming each topic's dead-letter topic.
///
/// Default: every context in [`DEFAULT_CONTEXTS`] publishes to `<context>.events`,
/// and the DLQ of topic `t` is `t.dlq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicMap {
    topics: BTreeMap<String, String>,
    dlq_suffix: String,
}

impl Default for TopicMap {
    fn default() -> Self {
        let topics = DEFAULT_CONTEXTS
            .iter()
            .map(|context| {
                (
                    context.to_string(),
                    format!("{context}{DEFAULT_TOPIC_SUFFIX}"),
                )
            })
            .collect();
        Self::new(topics, DEFAULT_DLQ_SUFFIX)
    }
}

impl TopicMap {
    /// A map from explicit `context → topic` pairs and a DLQ suffix.
    pub fn new(topics: BTreeMap<String, String>, dlq_suffix: impl Into<String>) -> Self {
        Self {
            topics,
            dlq_suffix: dlq_suffix.into(),
        }
    }

    /// The topic `context` publishes to.
    pub fn topic_for(&self, context: &str) -> Option<&str> {
        self.topics.get(context).map(String::as_str)
    }

    /// The context publishing to `topic`, also when `topic` is that topic's DLQ.
    pub fn context_for_topic(&self, topic: &str) -> Option<&str> {
        self.context_of_exact_topic(topic).or_else(|| {
            let base = self.dlq_base(topic)?;
            self.context_of_exact_topic(base)
        })
    }

    /// The contexts, in name order.
    pub fn contexts(&self) -> impl Iterator<Item = &str> {
        self.topics.keys().map(String::as_str)
    }

    /// The contexts' topics, in context name order.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.values().map(String::as_str)
    }

    /// `(context, topic)` pairs, in context name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.topics.iter().map(|(c, t)| (c.as_str(), t.as_str()))
    }

    /// The dead-letter topic of `topic`.
    pub fn dlq_topic(&self, topic: &str) -> String {
        format!("{topic}{}", self.dlq_suffix)
    }

    /// True when `topic` is named like a dead-letter topic (any topic, not only ours,
    /// so other teams' DLQs are recognised too).
    pub fn is_dlq(&self, topic: &str) -> bool {
        self.dlq_base(topic).is_some()
    }

    /// A context name becomes its topic; anything else is taken as a topic name.
    pub fn resolve(&self, name: &str) -> String {
        self.topic_for(name).unwrap_or(name).to_string()
    }

    /// The suffix appended to a topic to name its DLQ.
    pub fn dlq_suffix(&self) -> &str {
        &self.dlq_suffix
    }

    /// Points `context` at `topic` (adding the context if it is new).
    pub fn set_topic(&mut self, context: impl Into<String>, topic: impl Into<String>) {
        self.topics.insert(context.into(), topic.into());
    }

    /// Replaces the DLQ suffix.
    pub fn set_dlq_suffix(&mut self, suffix: impl Into<String>) {
        self.dlq_suffix = suffix.into();
    }

    fn context_of_exact_topic(&self, topic: &str) -> Option<&str> {
        // A handful of contexts: a scan beats keeping a reverse map in sync.
        self.topics
            .iter()
            .find(|(_, t)| t.as_str() == topic)
            .map(|(c, _)| c.as_str())
    }

    /// The topic a DLQ topic belongs to; `None` when `topic` is not a DLQ name.
    fn dlq_base<'a>(&self, topic: &'a str) -> Option<&'a str> {
        if self.dlq_suffix.is_empty() {
            return None;
        }
        topic
            .strip_suffix(self.dlq_suffix.as_str())
            .filter(|base| !base.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_maps_each_context_to_its_events_topic() {
        let map = TopicMap::default();
        assert_eq!(map.contexts().count(), 5);
        for context in DEFAULT_CONTEXTS {
            let topic = format!("{context}.events");
            assert_eq!(map.topic_for(context), Some(topic.as_str()));
            assert_eq!(map.context_for_topic(&topic), Some(context));
        }
        assert_eq!(map.dlq_suffix(), ".dlq");
        assert_eq!(map.topic_for("billing"), None);
    }

    #[test]
    fn dlq_topics_map_back_to_their_context() {
        let map = TopicMap::default();
        assert_eq!(map.dlq_topic("debate.events"), "debate.events.dlq");
        assert!(map.is_dlq("debate.events.dlq"));
        assert!(map.is_dlq("someone-elses.dlq"));
        assert!(!map.is_dlq("debate.events"));
        assert!(!map.is_dlq(".dlq"));
        assert_eq!(map.context_for_topic("debate.events.dlq"), Some("debate"));
        assert_eq!(map.context_for_topic("someone-elses.dlq"), None);
        assert_eq!(map.context_for_topic("unknown"), None);
    }

    #[test]
    fn resolve_turns_contexts_into_topics_and_keeps_other_names() {
        let map = TopicMap::default();
        assert_eq!(map.resolve("testing"), "testing.events");
        assert_eq!(map.resolve("testing.events"), "testing.events");
        assert_eq!(map.resolve("orders"), "orders");
    }

    #[test]
    fn overrides_change_topic_and_suffix() {
        let mut map = TopicMap::default();
        map.set_topic("debate", "prod.debate.v2");
        map.set_topic("billing", "billing-events");
        map.set_dlq_suffix("-dlt");
        assert_eq!(map.topic_for("debate"), Some("prod.debate.v2"));
        assert_eq!(map.context_for_topic("prod.debate.v2-dlt"), Some("debate"));
        assert_eq!(map.context_for_topic("debate.events"), None);
        assert_eq!(map.contexts().collect::<Vec<_>>()[0], "billing");
        assert_eq!(map.dlq_topic("x"), "x-dlt");
        assert!(map.topics().any(|t| t == "billing-events"));
    }

    #[test]
    fn empty_suffix_means_no_dlq_names() {
        let map = TopicMap::new(BTreeMap::from([("a".into(), "a.events".into())]), "");
        assert!(!map.is_dlq("a.events"));
        assert_eq!(map.context_for_topic("a.events"), Some("a"));
    }

    #[test]
    fn deserialises_partial_config_with_defaults() {
        let map: TopicMap = serde_json::from_str(r#"{"dlq_suffix": "-dlq"}"#).unwrap();
        assert_eq!(map.topic_for("evolution"), Some("evolution.events"));
        assert_eq!(map.dlq_suffix(), "-dlq");
        let back: TopicMap = serde_json::from_value(serde_json::to_value(&map).unwrap()).unwrap();
        assert_eq!(back, map);
    }
}
