//! The DLQ record the bridge writes when a handler still fails after its retries:
//! the original key, value and headers, plus one documented header family
//! (`eventdeck.dlq.*`, UTF-8 values) saying where the record came from and why it
//! failed.

use chrono::{SecondsFormat, Utc};

use super::outbox::OutboxRecord;
use crate::bus::HandlerOutcome;

// The header names live with the reader (`crate::dlq`), so writer and reader
// cannot drift apart.
pub use crate::dlq::ours::{
    ATTEMPTS, CONSUMER_GROUP, ERROR_KIND, ERROR_MESSAGE, FAILED_AT, HANDLER, ORIGINAL_OFFSET,
    ORIGINAL_PARTITION, ORIGINAL_TIMESTAMP, ORIGINAL_TOPIC,
};

/// Where the failed record came from.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub context: &'a str,
    pub topic: &'a str,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub timestamp_ms: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
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
    if let Some(p) = src.partition {
        add(ORIGINAL_PARTITION, p.to_string());
    }
    if let Some(o) = src.offset {
        add(ORIGINAL_OFFSET, o.to_string());
    }
    if let Some(t) = src.timestamp_ms {
        add(ORIGINAL_TIMESTAMP, t.to_string());
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
            partition: Some(2),
            offset: Some(41),
            timestamp_ms: None,
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
        assert!(h(ORIGINAL_TIMESTAMP).is_none());
        assert!(h(FAILED_AT).is_some());
    }
}
