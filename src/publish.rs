//! The seam between whoever wants an event published (the console's inject form,
//! the demo scenario, `eventdeck inject`) and whatever publishes it: straight to a
//! topic ([`DirectPublisher`]) or through the bridge, so local handlers and
//! reactions run too.

use std::future::Future;
use std::pin::Pin;

use serde_json::json;

use crate::audit::{self, action};
use crate::config::Settings;
use crate::domain::Envelope;
use crate::kafka::txn::TxnProducer;
use crate::kafka::{Delivery, EventProducer, KafkaError};

/// The outcome of a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Kafka acknowledged it here.
    Delivered(Delivery),
    /// Kafka is unreachable; the event waits in the bridge's durable outbox.
    Queued {
        /// Events in the outbox, this one included.
        outbox_depth: u64,
    },
}

/// Why a publish failed. Worded for the person reading it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PublishError(pub String);

impl From<KafkaError> for PublishError {
    fn from(e: KafkaError) -> Self {
        Self(e.to_string())
    }
}

/// What a publish call returns.
pub type PublishFuture = Pin<Box<dyn Future<Output = Result<Published, PublishError>> + Send>>;

/// One event to publish.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// Target topic.
    pub topic: String,
    /// The event.
    pub envelope: Envelope,
    /// Record key; `None` means the aggregate id.
    pub key: Option<String>,
    /// Extra headers besides the mirrored metadata.
    pub headers: Vec<(String, String)>,
    /// The record's value already written (a schema registry's wire
    /// format: `eventdeck inject --schema`); `None` writes the envelope as
    /// JSON. The envelope's fields still travel in headers.
    pub value: Option<Vec<u8>>,
}

/// Something that publishes events.
pub trait Publisher: Send + Sync {
    /// Publishes one event.
    fn publish(&self, req: PublishRequest) -> PublishFuture;
    /// A short name for the UI ("bridge", "direct").
    fn name(&self) -> &'static str;
}

/// Publishes one event on a person's behalf — the console's inject form and
/// `eventdeck inject` both call this: the read-only gate first, then the
/// publish, then one audit line with the outcome. (The demo scenario and the
/// bridge publish through [`Publisher`] directly: they are not user actions.)
pub async fn inject(
    settings: &Settings,
    source: audit::Source,
    publisher: &dyn Publisher,
    req: PublishRequest,
) -> Result<Published, PublishError> {
    audit::authorize(settings, action::INJECT).map_err(|e| PublishError(e.to_string()))?;
    let params = json!({
        "topic": req.topic, "event_id": req.envelope.event_id,
        "event_type": req.envelope.event_type, "context": req.envelope.context,
        "via": publisher.name(),
    });
    let result = publisher.publish(req).await;
    let outcome = match &result {
        Ok(Published::Delivered(d)) => json!({"partition": d.partition, "offset": d.offset}),
        Ok(Published::Queued { outbox_depth }) => json!({"queued": outbox_depth}),
        Err(e) => json!({"error": e.0}),
    };
    if let Err(e) = audit::record(settings, source, action::INJECT, params, outcome) {
        let done = if result.is_ok() {
            "published"
        } else {
            "not published"
        };
        return Err(PublishError(format!(
            "{done}, but the audit log could not be written: {e}"
        )));
    }
    result
}

/// A request's record value and headers: the envelope as JSON, or the value
/// written with a registry schema, framed (then without the JSON
/// content-type header).
fn record_value(req: &PublishRequest) -> (Vec<u8>, Vec<crate::domain::Header>) {
    let (json, mut headers) = crate::kafka::produce::envelope_record(&req.envelope, &req.headers);
    match &req.value {
        None => (json, headers),
        Some(value) => {
            headers.retain(|(k, _)| k != crate::domain::headers::HEADER_CONTENT_TYPE);
            (value.clone(), headers)
        }
    }
}

/// What a transactional inject committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The producer's `transactional.id` (one per inject).
    pub transactional_id: String,
    /// The events, in the order they were written.
    pub event_ids: Vec<uuid::Uuid>,
}

/// Reads one envelope per non-blank line into publish requests (to `topic`,
/// else each envelope's context topic). The first line that is not an
/// envelope is an error naming it: nothing is published then.
pub fn parse_jsonl(
    settings: &Settings,
    text: &str,
    topic: Option<&str>,
) -> Result<Vec<PublishRequest>, PublishError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let crate::domain::Decoded::Envelope(mut env) =
            crate::domain::decode(Some(line.as_bytes()), &[]).decoded
        else {
            return Err(PublishError(format!(
                "line {} is not an eventdeck envelope",
                n + 1
            )));
        };
        // Published by us, so it starts a flow if it names none (as
        // `Envelope::new` does).
        env.correlation_id.get_or_insert_with(uuid::Uuid::new_v4);
        out.push(PublishRequest {
            topic: topic.map_or_else(|| settings.topics.resolve(&env.context), str::to_string),
            envelope: env,
            key: None,
            headers: Vec::new(),
            value: None,
        });
    }
    if out.is_empty() {
        return Err(PublishError("no events (every line is blank)".into()));
    }
    Ok(out)
}

/// Publishes several events on a person's behalf in one Kafka transaction:
/// a `read_committed` reader sees all of them or none. Gate, publish, one
/// audit line, as [`inject`].
pub async fn inject_transactional(
    settings: &Settings,
    source: audit::Source,
    requests: Vec<PublishRequest>,
) -> Result<Committed, PublishError> {
    audit::authorize(settings, action::INJECT).map_err(|e| PublishError(e.to_string()))?;
    let transactional_id = format!("eventdeck-inject-{}", uuid::Uuid::new_v4());
    let event_ids: Vec<uuid::Uuid> = requests.iter().map(|r| r.envelope.event_id).collect();
    let topics: std::collections::BTreeSet<&str> =
        requests.iter().map(|r| r.topic.as_str()).collect();
    let params = json!({
        "transactional": transactional_id, "events": requests.len(),
        "topics": topics, "event_ids": event_ids, "via": "transaction",
    });
    let records: Vec<OwnedRecord> = requests
        .iter()
        .map(|r| {
            let (value, headers) = record_value(r);
            let key = r
                .key
                .clone()
                .unwrap_or_else(|| r.envelope.aggregate_id.clone());
            (r.topic.clone(), key.into_bytes(), value, headers)
        })
        .collect();
    let (s, id) = (settings.clone(), transactional_id.clone());
    let result = crate::task_name::spawn_blocking(move || {
        let producer = TxnProducer::new(&s, &id, TRANSACTION_TIMEOUT)?;
        let raw: Vec<crate::kafka::RawRecord<'_>> = records
            .iter()
            .map(|(topic, key, value, headers)| crate::kafka::RawRecord {
                topic,
                key: Some(key),
                value: Some(value),
                headers,
            })
            .collect();
        producer.write(&raw, &[], None)
    })
    .await
    .map_err(|e| PublishError(e.to_string()))
    .and_then(|r| r.map_err(|e| PublishError(e.to_string())));
    let outcome = match &result {
        Ok(_) => json!({"committed": event_ids.len()}),
        Err(e) => json!({"error": e.0}),
    };
    if let Err(e) = audit::record(settings, source, action::INJECT, params, outcome) {
        let done = if result.is_ok() {
            "committed"
        } else {
            "not published"
        };
        return Err(PublishError(format!(
            "{done}, but the audit log could not be written: {e}"
        )));
    }
    result.map(|_| Committed {
        transactional_id,
        event_ids,
    })
}

/// A record's topic, key, value and headers, owned (to move to a blocking task).
type OwnedRecord = (String, Vec<u8>, Vec<u8>, Vec<crate::domain::Header>);

/// `transaction.timeout.ms` of a transactional inject: it writes and commits
/// at once, so the broker need not wait long for a client that died mid-way.
const TRANSACTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Publishes straight to Kafka with an [`EventProducer`]: no local handlers.
#[derive(Clone)]
pub struct DirectPublisher {
    producer: EventProducer,
}

impl DirectPublisher {
    /// Wraps a producer.
    pub fn new(producer: EventProducer) -> Self {
        Self { producer }
    }
}

impl Publisher for DirectPublisher {
    fn publish(&self, req: PublishRequest) -> PublishFuture {
        let producer = self.producer.clone();
        Box::pin(async move {
            let d = match &req.value {
                None => {
                    producer
                        .send_envelope(&req.topic, &req.envelope, req.key.as_deref(), &req.headers)
                        .await?
                }
                Some(_) => {
                    let (value, headers) = record_value(&req);
                    let key = req.key.as_deref().unwrap_or(&req.envelope.aggregate_id);
                    producer
                        .send_raw(&req.topic, Some(key.as_bytes()), Some(&value), &headers)
                        .await?
                }
            };
            Ok(Published::Delivered(d))
        })
    }
    fn name(&self) -> &'static str {
        "direct"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Counting(Arc<AtomicUsize>);

    impl Publisher for Counting {
        fn publish(&self, req: PublishRequest) -> PublishFuture {
            let n = self.0.fetch_add(1, Ordering::SeqCst) as i64;
            Box::pin(async move {
                Ok(Published::Delivered(Delivery {
                    topic: req.topic,
                    partition: 0,
                    offset: n,
                }))
            })
        }
        fn name(&self) -> &'static str {
            "counting"
        }
    }

    fn settings(dir: &std::path::Path, read_only: bool) -> Settings {
        let mut s = Settings::for_tests(None, dir);
        s.read_only = read_only;
        s
    }

    fn request() -> PublishRequest {
        PublishRequest {
            topic: "debate.events".into(),
            envelope: Envelope::new("debate", "DecisionMade", "a-1", serde_json::json!({})),
            key: None,
            headers: Vec::new(),
            value: None,
        }
    }

    #[tokio::test]
    async fn inject_passes_the_read_only_gate_and_leaves_one_audit_line() {
        let dir = tempfile::tempdir().expect("dir");
        let calls = Arc::new(AtomicUsize::new(0));
        let publisher = Counting(calls.clone());

        let ro = settings(dir.path(), true);
        let err = inject(&ro, audit::Source::Headless, &publisher, request())
            .await
            .expect_err("refused");
        assert!(err.0.contains("read-only mode"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing published");
        assert!(audit::read(&ro).expect("read").is_empty());

        let rw = settings(dir.path(), false);
        inject(&rw, audit::Source::Headless, &publisher, request())
            .await
            .expect("published");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let lines = audit::read(&rw).expect("read");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].action, action::INJECT);
        assert_eq!(lines[0].params["via"], "counting");
        assert_eq!(lines[0].params["topic"], "debate.events");
        assert_eq!(lines[0].outcome["offset"], 0);
    }
}
