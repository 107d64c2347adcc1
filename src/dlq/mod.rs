//! Dead letters: what a DLQ record says about the record that failed, decoded
//! from whichever header family wrote it — ours, Kafka Connect's, Spring Kafka's,
//! Spring Cloud Stream's or SmallRye's — so eventdeck can inspect any team's DLQ.
//! Pure logic: records in, [`DeadLetter`]s and cause groups out.

pub mod redrive;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::HeaderView;

/// Our own DLQ header family, written by the bridge (UTF-8 values).
pub mod ours {
    /// Topic the failed record came from.
    pub const ORIGINAL_TOPIC: &str = "eventdeck.dlq.original.topic";
    /// Its partition.
    pub const ORIGINAL_PARTITION: &str = "eventdeck.dlq.original.partition";
    /// Its offset.
    pub const ORIGINAL_OFFSET: &str = "eventdeck.dlq.original.offset";
    /// Its timestamp (ms since the epoch).
    pub const ORIGINAL_TIMESTAMP: &str = "eventdeck.dlq.original.timestamp";
    /// How the failed event reached the handler: [`SOURCE_KAFKA`] or
    /// [`SOURCE_LOCAL`].
    pub const ORIGINAL_SOURCE: &str = "eventdeck.dlq.original.source";
    /// Read from Kafka: topic, partition, offset and timestamp are those of the
    /// record read.
    pub const SOURCE_KAFKA: &str = "kafka";
    /// Published through the bridge and failed in a local handler, which ran
    /// on the publish itself, not on a record read from Kafka: there is no
    /// partition, offset or timestamp to name.
    pub const SOURCE_LOCAL: &str = "local";
    /// The consumer group that failed to handle it.
    pub const CONSUMER_GROUP: &str = "eventdeck.dlq.consumer.group";
    /// The handler that failed.
    pub const HANDLER: &str = "eventdeck.dlq.handler";
    /// The kind of error.
    pub const ERROR_KIND: &str = "eventdeck.dlq.error.kind";
    /// The error message.
    pub const ERROR_MESSAGE: &str = "eventdeck.dlq.error.message";
    /// Attempts made before giving up.
    pub const ATTEMPTS: &str = "eventdeck.dlq.attempts";
    /// When it was dead-lettered (RFC 3339).
    pub const FAILED_AT: &str = "eventdeck.dlq.failed.at";
}

/// Which convention wrote a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// eventdeck's bridge.
    Eventdeck,
    /// Kafka Connect's errors.tolerance DLQ.
    KafkaConnect,
    /// Spring Kafka's DeadLetterPublishingRecoverer.
    SpringKafka,
    /// Spring Cloud Stream's Kafka binder.
    SpringCloudStream,
    /// SmallRye Reactive Messaging (Quarkus).
    Smallrye,
    /// No known headers.
    Unknown,
}

impl Family {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Eventdeck => "eventdeck",
            Self::KafkaConnect => "kafka-connect",
            Self::SpringKafka => "spring-kafka",
            Self::SpringCloudStream => "spring-cloud-stream",
            Self::Smallrye => "smallrye",
            Self::Unknown => "unknown",
        }
    }
}

/// What a DLQ record's headers say about the failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// The convention that wrote it.
    pub family: Option<Family>,
    /// Topic of the original record.
    pub original_topic: Option<String>,
    /// Its partition.
    pub original_partition: Option<i32>,
    /// Its offset.
    pub original_offset: Option<i64>,
    /// Its timestamp (ms since the epoch).
    pub original_timestamp: Option<i64>,
    /// eventdeck's bridge: `kafka` when the failed event was read from Kafka,
    /// `local` when it failed in a local handler as it was published (so no
    /// Kafka position names it).
    pub original_source: Option<String>,
    /// The consumer group that failed.
    pub consumer_group: Option<String>,
    /// The handler, connector or listener that failed.
    pub handler: Option<String>,
    /// The error kind or exception class; for Spring, the cause's class first.
    pub error_kind: Option<String>,
    /// The error message.
    pub error_message: Option<String>,
    /// The stack trace, when one was sent.
    pub stacktrace: Option<String>,
    /// Attempts before giving up.
    pub attempts: Option<u32>,
    /// When it failed (as written).
    pub failed_at: Option<String>,
    /// Anything else the family carries (stage, task id, timestamp type...).
    pub extra: BTreeMap<String, String>,
}

impl DeadLetter {
    /// Bytes its strings hold on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        opt(&self.original_topic)
            + opt(&self.original_source)
            + opt(&self.consumer_group)
            + opt(&self.handler)
            + opt(&self.error_kind)
            + opt(&self.error_message)
            + opt(&self.stacktrace)
            + opt(&self.failed_at)
            + self
                .extra
                .iter()
                .map(|(k, v)| k.capacity() + v.capacity() + 3 * std::mem::size_of::<usize>())
                .sum::<usize>()
    }

    /// True when eventdeck's bridge wrote it for an event that failed in a
    /// local handler as it was published, not for a record read from Kafka.
    pub fn is_local(&self) -> bool {
        self.original_source.as_deref() == Some(ours::SOURCE_LOCAL)
    }

    /// The "cause" used to group dead letters: kind and message.
    pub fn cause(&self) -> (String, String) {
        (
            self.error_kind.clone().unwrap_or_else(|| "-".into()),
            self.error_message.clone().unwrap_or_else(|| "-".into()),
        )
    }
}

fn get<'a>(headers: &'a (impl HeaderView + ?Sized), name: &str) -> Option<&'a [u8]> {
    // The last header of a name wins, as Kafka clients read them.
    headers
        .pairs()
        .filter(|(k, _)| *k == name)
        .last()
        .and_then(|(_, v)| v)
}

fn text(headers: &(impl HeaderView + ?Sized), name: &str) -> Option<String> {
    get(headers, name).map(|v| String::from_utf8_lossy(v).into_owned())
}

/// A number written either as text or as a big-endian binary int/long (Spring).
fn number(headers: &(impl HeaderView + ?Sized), name: &str) -> Option<i64> {
    let v = get(headers, name)?;
    if let Ok(s) = std::str::from_utf8(v)
        && let Ok(n) = s.trim().parse::<i64>()
    {
        return Some(n);
    }
    match v.len() {
        4 => Some(i64::from(i32::from_be_bytes([v[0], v[1], v[2], v[3]]))),
        8 => Some(i64::from_be_bytes([
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
        ])),
        _ => None,
    }
}

fn has_prefix(headers: &(impl HeaderView + ?Sized), prefix: &str) -> bool {
    headers.pairs().any(|(k, _)| k.starts_with(prefix))
}

/// Decodes the dead-letter headers of a record; `family` is `None` when no known
/// family's headers are present.
pub fn decode(headers: &(impl HeaderView + ?Sized)) -> DeadLetter {
    if has_prefix(headers, "eventdeck.dlq.") {
        return DeadLetter {
            family: Some(Family::Eventdeck),
            original_topic: text(headers, ours::ORIGINAL_TOPIC),
            original_partition: number(headers, ours::ORIGINAL_PARTITION).map(|n| n as i32),
            original_offset: number(headers, ours::ORIGINAL_OFFSET),
            original_timestamp: number(headers, ours::ORIGINAL_TIMESTAMP),
            original_source: text(headers, ours::ORIGINAL_SOURCE),
            consumer_group: text(headers, ours::CONSUMER_GROUP),
            handler: text(headers, ours::HANDLER),
            error_kind: text(headers, ours::ERROR_KIND),
            error_message: text(headers, ours::ERROR_MESSAGE),
            stacktrace: None,
            attempts: number(headers, ours::ATTEMPTS)
                .map(|n| n.clamp(0, i64::from(u32::MAX)) as u32),
            failed_at: text(headers, ours::FAILED_AT),
            extra: BTreeMap::new(),
        };
    }
    if has_prefix(headers, "__connect.errors.") {
        let c = |s: &str| format!("__connect.errors.{s}");
        let mut extra = BTreeMap::new();
        for k in ["task.id", "stage", "class.name"] {
            if let Some(v) = text(headers, &c(k)) {
                extra.insert(k.to_string(), v);
            }
        }
        return DeadLetter {
            family: Some(Family::KafkaConnect),
            original_topic: text(headers, &c("topic")),
            original_partition: number(headers, &c("partition")).map(|n| n as i32),
            original_offset: number(headers, &c("offset")),
            handler: text(headers, &c("connector.name")),
            error_kind: text(headers, &c("exception.class.name")),
            error_message: text(headers, &c("exception.message")),
            stacktrace: text(headers, &c("exception.stacktrace")),
            extra,
            ..Default::default()
        };
    }
    if has_prefix(headers, "kafka_dlt-") {
        let s = |x: &str| format!("kafka_dlt-{x}");
        let mut extra = BTreeMap::new();
        if let Some(t) = text(headers, &s("original-timestamp-type")) {
            extra.insert("timestamp-type".into(), t);
        }
        let cause = text(headers, &s("exception-cause-fqcn"));
        if let Some(outer) = text(headers, &s("exception-fqcn")) {
            extra.insert("exception-fqcn".into(), outer.clone());
        }
        return DeadLetter {
            family: Some(Family::SpringKafka),
            original_topic: text(headers, &s("original-topic")),
            original_partition: number(headers, &s("original-partition")).map(|n| n as i32),
            original_offset: number(headers, &s("original-offset")),
            original_timestamp: number(headers, &s("original-timestamp")),
            consumer_group: text(headers, &s("original-consumer-group")),
            // The cause names what really went wrong; the outer class is usually
            // Spring's ListenerExecutionFailedException.
            error_kind: cause.or_else(|| text(headers, &s("exception-fqcn"))),
            error_message: text(headers, &s("exception-message")),
            stacktrace: text(headers, &s("exception-stacktrace")),
            extra,
            ..Default::default()
        };
    }
    if has_prefix(headers, "x-original-") || has_prefix(headers, "x-exception-") {
        return DeadLetter {
            family: Some(Family::SpringCloudStream),
            original_topic: text(headers, "x-original-topic"),
            original_partition: number(headers, "x-original-partition").map(|n| n as i32),
            original_offset: number(headers, "x-original-offset"),
            original_timestamp: number(headers, "x-original-timestamp"),
            error_kind: text(headers, "x-exception-fqcn"),
            error_message: text(headers, "x-exception-message"),
            stacktrace: text(headers, "x-exception-stacktrace"),
            ..Default::default()
        };
    }
    if has_prefix(headers, "dead-letter-") {
        let mut extra = BTreeMap::new();
        if let Some(c) = text(headers, "dead-letter-cause") {
            extra.insert("cause".into(), c);
        }
        return DeadLetter {
            family: Some(Family::Smallrye),
            original_topic: text(headers, "dead-letter-topic"),
            original_partition: number(headers, "dead-letter-partition").map(|n| n as i32),
            original_offset: number(headers, "dead-letter-offset"),
            error_kind: text(headers, "dead-letter-exception-class-name"),
            error_message: text(headers, "dead-letter-reason"),
            extra,
            ..Default::default()
        };
    }
    DeadLetter::default()
}

/// Dead letters grouped by cause (kind and message), largest group first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseGroup {
    /// Error kind.
    pub kind: String,
    /// Error message.
    pub message: String,
    /// How many dead letters share it.
    pub count: usize,
}

/// Groups dead letters by cause, largest first, then by kind.
pub fn group_by_cause<'a>(letters: impl IntoIterator<Item = &'a DeadLetter>) -> Vec<CauseGroup> {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for l in letters {
        *counts.entry(l.cause()).or_default() += 1;
    }
    let mut out: Vec<CauseGroup> = counts
        .into_iter()
        .map(|((kind, message), count)| CauseGroup {
            kind,
            message,
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &[u8])]) -> Vec<crate::domain::Header> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_vec())))
            .collect()
    }

    #[test]
    fn ours() {
        let d = decode(&h(&[
            (ours::ORIGINAL_TOPIC, b"debate.events"),
            (ours::ORIGINAL_PARTITION, b"2"),
            (ours::ORIGINAL_OFFSET, b"41"),
            (ours::HANDLER, b"flaky-auditor"),
            (ours::ERROR_KIND, b"handler"),
            (ours::ERROR_MESSAGE, b"audit store timed out"),
            (ours::ATTEMPTS, b"3"),
        ]));
        assert_eq!(d.family, Some(Family::Eventdeck));
        assert_eq!(d.original_topic.as_deref(), Some("debate.events"));
        assert_eq!(
            (d.original_partition, d.original_offset),
            (Some(2), Some(41))
        );
        assert_eq!(d.handler.as_deref(), Some("flaky-auditor"));
        assert_eq!(d.attempts, Some(3));
    }

    #[test]
    fn spring_kafka_binary_numbers_and_cause_first() {
        let d = decode(&h(&[
            ("kafka_dlt-original-topic", b"orders"),
            ("kafka_dlt-original-partition", &3i32.to_be_bytes()),
            ("kafka_dlt-original-offset", &1234i64.to_be_bytes()),
            (
                "kafka_dlt-original-timestamp",
                &1_700_000_000_000i64.to_be_bytes(),
            ),
            ("kafka_dlt-original-timestamp-type", b"CreateTime"),
            ("kafka_dlt-original-consumer-group", b"billing"),
            (
                "kafka_dlt-exception-fqcn",
                b"org.springframework.kafka.listener.ListenerExecutionFailedException",
            ),
            (
                "kafka_dlt-exception-cause-fqcn",
                b"java.lang.IllegalStateException",
            ),
            ("kafka_dlt-exception-message", b"no price for sku 9"),
            (
                "kafka_dlt-exception-stacktrace",
                b"java.lang.IllegalStateException: no price\n\tat Billing.price(Billing.java:42)",
            ),
        ]));
        assert_eq!(d.family, Some(Family::SpringKafka));
        assert_eq!(d.original_partition, Some(3));
        assert_eq!(d.original_offset, Some(1234));
        assert_eq!(d.original_timestamp, Some(1_700_000_000_000));
        assert_eq!(d.consumer_group.as_deref(), Some("billing"));
        assert_eq!(
            d.error_kind.as_deref(),
            Some("java.lang.IllegalStateException")
        );
        assert!(
            d.stacktrace
                .as_deref()
                .is_some_and(|s| s.contains("Billing.java:42"))
        );
        assert_eq!(d.extra["timestamp-type"], "CreateTime");
    }

    #[test]
    fn connect_cloud_stream_and_smallrye() {
        let d = decode(&h(&[
            ("__connect.errors.topic", b"pg.orders"),
            ("__connect.errors.partition", b"1"),
            ("__connect.errors.offset", b"77"),
            ("__connect.errors.connector.name", b"pg-sink"),
            ("__connect.errors.task.id", b"0"),
            ("__connect.errors.stage", b"VALUE_CONVERTER"),
            (
                "__connect.errors.exception.class.name",
                b"org.apache.kafka.connect.errors.DataException",
            ),
            (
                "__connect.errors.exception.message",
                b"Converting byte[] to Kafka Connect data failed",
            ),
        ]));
        assert_eq!(d.family, Some(Family::KafkaConnect));
        assert_eq!(
            (d.original_partition, d.original_offset),
            (Some(1), Some(77))
        );
        assert_eq!(d.handler.as_deref(), Some("pg-sink"));
        assert_eq!(d.extra["stage"], "VALUE_CONVERTER");

        let d = decode(&h(&[
            ("x-original-topic", b"payments"),
            ("x-original-partition", &0i32.to_be_bytes()),
            ("x-original-offset", &9i64.to_be_bytes()),
            ("x-exception-fqcn", b"java.lang.NullPointerException"),
            ("x-exception-message", b"amount"),
        ]));
        assert_eq!(d.family, Some(Family::SpringCloudStream));
        assert_eq!(
            (d.original_partition, d.original_offset),
            (Some(0), Some(9))
        );

        let d = decode(&h(&[
            ("dead-letter-reason", b"boom"),
            ("dead-letter-cause", b"io timeout"),
            ("dead-letter-topic", b"prices"),
            ("dead-letter-partition", b"4"),
            ("dead-letter-offset", b"12"),
            ("dead-letter-exception-class-name", b"java.io.IOException"),
        ]));
        assert_eq!(d.family, Some(Family::Smallrye));
        assert_eq!(d.error_message.as_deref(), Some("boom"));
        assert_eq!(d.original_partition, Some(4));
        assert_eq!(d.extra["cause"], "io timeout");
    }

    #[test]
    fn unknown_and_malformed_headers_never_panic() {
        assert_eq!(decode(&[]).family, None);
        let d = decode(&[
            ("kafka_dlt-original-partition".into(), Some(vec![1, 2, 3])),
            ("kafka_dlt-original-offset".into(), None),
        ]);
        assert_eq!(d.family, Some(Family::SpringKafka));
        assert_eq!(d.original_partition, None);
        assert_eq!(d.original_offset, None);
    }

    #[test]
    fn grouping_by_cause_counts_and_orders() {
        let mk = |k: &str, m: &str| DeadLetter {
            error_kind: Some(k.into()),
            error_message: Some(m.into()),
            ..Default::default()
        };
        let letters = [mk("A", "x"), mk("B", "y"), mk("A", "x"), mk("A", "z")];
        let groups = group_by_cause(&letters);
        assert_eq!(
            groups[0],
            CauseGroup {
                kind: "A".into(),
                message: "x".into(),
                count: 2
            }
        );
        assert_eq!(groups.len(), 3);
    }
}
