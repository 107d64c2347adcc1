//! The DLQ record the bridge writes when a handler still fails after its retries:
//! the original key, value and headers, plus one documented header family
//! (`eventdeck.dlq.*`, UTF-8 values) saying where the record came from and why it
//! failed. An event read from Kafka is named by its topic, partition, offset
//! and timestamp; one that failed in a local handler as it was published has
//! no Kafka position, and its `eventdeck.dlq.original.source` says `local`.

use chrono::{SecondsFormat, Utc};

use super::outbox::OutboxRecord;
use crate::bus::HandlerOutcome;

// The header names live with the reader (`crate::dlq`), so writer and reader
// cannot drift apart.
pub use crate::dlq::ours::{
    ATTEMPTS, CONSUMER_GROUP, ERROR_KIND, ERROR_MESSAGE, FAILED_AT, HANDLER, ORIGINAL_OFFSET,
    ORIGINAL_PARTITION, ORIGINAL_SOURCE, ORIGINAL_TIMESTAMP, ORIGINAL_TOPIC, SOURCE_KAFKA,
    SOURCE_LOCAL,
};

/// Where the failed record came from.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub context: &'a str,
    pub topic: &'a str,
    /// Where Kafka holds it; `None` for an event that failed in a local
    /// handler as it was published.
    pub position: Option<Position>,

    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// Where a record read from Kafka was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
}

/// The DLQ record for a failed handler outcome, bound for `dlq_topic`.
pub(crate) fn record(
    src: &Source<'_>,
    dlq_topic: &str,
    group: &str,
    failed: &HandlerOutcome,
) -> OutboxRecord {
    let mut headers = src.headers.to_vec();
    let mut add = |k: &str, v: String| headers.push((k.to_string(), Some(v.into_bytes())));
    add(ORIGINAL_TOPIC, src.topic.to_string());
    match src.position {
        Some(p) => {
            add(ORIGINAL_SOURCE, SOURCE_KAFKA.to_string());
            add(ORIGINAL_PARTITION, p.partition.to_string());
            add(ORIGINAL_OFFSET, p.offset.to_string());
            // librdkafka reports no timestamp only for pre-0.10 message
            // formats, which Kafka 4 no longer reads or writes.
            if let Some(t) = p.timestamp_ms {
                add(ORIGINAL_TIMESTAMP, t.to_string());
            }
        }
        None => add(ORIGINAL_SOURCE, SOURCE_LOCAL.to_string()),
    }
    add(CONSUMER_GROUP, group.to_string());
    add(HANDLER, failed.handler.clone());
    let (kind, message) = match &failed.result {
        Err(e) => (e.kind.clone(), e.message.clone()),
        Ok(_) => (String::new(), String::new()),
    };
    add(ERROR_KIND, kind);
    add(ERROR_MESSAGE, message);
    add(ATTEMPTS, failed.attempts.to_string());
    let now = Utc::now();
    add(FAILED_AT, now.to_rfc3339_opts(SecondsFormat::Millis, true));
    OutboxRecord {
        context: src.context.to_string(),
        topic: dlq_topic.to_string(),
        key: src.key.map(<[u8]>::to_vec),
        value: src.value.map(<[u8]>::to_vec),
        headers,
        enqueued_ms: now.timestamp_millis(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::HandlerError;
    use std::time::Duration;

    #[test]
    fn keeps_the_original_and_adds_the_family() {
        let headers = vec![("event_id".to_string(), Some(b"e-1".to_vec()))];
        let src = Source {
            context: "debate",
            topic: "debate.events",
            position: Some(Position {
                partition: 2,
                offset: 41,
                timestamp_ms: Some(1_700_000_000_123),
            }),
            key: Some(b"agg"),
            value: Some(b"{}"),
            headers: &headers,
        };
        let failed = HandlerOutcome {
            handler: "h".into(),
            attempts: 4,
            latency: Duration::ZERO,
            result: Err(HandlerError::new("boom", "bad")),
        };
        let r = record(&src, "debate.events.dlq", "g", &failed);
        assert_eq!(r.topic, "debate.events.dlq");
        assert_eq!(r.key.as_deref(), Some(&b"agg"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"{}"[..]));
        let h = |k: &str| {
            r.headers
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.clone())
                .map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(h("event_id").as_deref(), Some("e-1"));
        assert_eq!(h(ORIGINAL_PARTITION).as_deref(), Some("2"));
        assert_eq!(h(ORIGINAL_OFFSET).as_deref(), Some("41"));
        assert_eq!(h(HANDLER).as_deref(), Some("h"));
        assert_eq!(h(ERROR_KIND).as_deref(), Some("boom"));
        assert_eq!(h(ATTEMPTS).as_deref(), Some("4"));
        assert_eq!(h(ORIGINAL_TIMESTAMP).as_deref(), Some("1700000000123"));
        assert_eq!(h(ORIGINAL_SOURCE).as_deref(), Some("kafka"));
        assert!(h(FAILED_AT).is_some());
        let letter = crate::dlq::decode(&r.headers);
        assert_eq!(letter.original_timestamp, Some(1_700_000_000_123));
        assert!(!letter.is_local());

        // Failed in a local handler as it was published: no position, and says so.
        let local = Source {
            position: None,
            ..src
        };
        let r = record(&local, "debate.events.dlq", "g", &failed);
        let letter = crate::dlq::decode(&r.headers);
        assert!(letter.is_local());
        assert_eq!(letter.original_topic.as_deref(), Some("debate.events"));
        assert_eq!(
            (
                letter.original_partition,
                letter.original_offset,
                letter.original_timestamp
            ),
            (None, None, None)
        );
    }
}
