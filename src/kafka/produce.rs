//! Producing: envelopes (encoded with the codec, metadata mirrored in headers) and
//! raw records, with delivery reports awaited so the caller learns the partition
//! and offset — or exactly why it failed.

use std::time::Duration;

use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use rdkafka::error::KafkaError as RdError;
use rdkafka::types::RDKafkaErrorCode;

use super::client::{KafkaError, SecurityContext, client_config, describe_error};
use crate::config::Settings;
use crate::domain::{Envelope, Header, encode};

/// How long a send waits before trying again while librdkafka's queue is full.
const QUEUE_FULL_PAUSE: Duration = Duration::from_millis(10);

/// A record to send as it is (see [`EventProducer::send_all`]).
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Key bytes.
    pub key: Option<&'a [u8]>,
    /// Value bytes; `None` is a tombstone.
    pub value: Option<&'a [u8]>,
    /// Headers in order.
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

impl<'a> RawRecord<'a> {
    /// As rdkafka takes it (the headers are copied).
    pub(crate) fn to_future_record(self) -> FutureRecord<'a, [u8], [u8]> {
        let mut headers = OwnedHeaders::new_with_capacity(self.headers.len());
        for (k, v) in self.headers {
            headers = headers.insert(KafkaHeader {
                key: k,
                value: v.as_deref(),
            });
        }
        let mut record = FutureRecord::to(self.topic).headers(headers);
        if let Some(k) = self.key {
            record = record.key(k);
        }
        if let Some(v) = self.value {
            record = record.payload(v);
        }
        record
    }
}

/// Why a record after a refused one was held back.
const NOT_SENT: &str = "not sent: an earlier record of the same batch could not be queued";

/// Records handed to librdkafka by [`EventProducer::enqueue_all`], each with its
/// topic and how its delivery will be reported.
pub struct Queued {
    items: Vec<(String, Pending)>,
}

enum Pending {
    Queued(rdkafka::producer::DeliveryFuture),
    Refused(RdError),
    NotSent,
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
}

/// The value and headers of an envelope's record: the canonical JSON, then the
/// mirrored metadata followed by `extra_headers`.
pub fn envelope_record(
    env: &Envelope,
    extra_headers: &[(String, String)],
) -> (Vec<u8>, Vec<Header>) {
    let encoded = encode(env);
    let mut headers: Vec<Header> = encoded
        .headers
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    headers.extend(
        extra_headers
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone().into_bytes()))),
    );
    (encoded.value, headers)
}

/// A producer for envelopes and raw records. Idempotent, `acks=all`, so a retried
/// send cannot duplicate or reorder an aggregate's events.
#[derive(Clone)]
pub struct EventProducer {
    inner: FutureProducer<SecurityContext>,
    delivery_timeout: Duration,
    /// `sasl.username` and `sasl.mechanism`, to name them when the brokers
    /// refuse the credentials.
    sasl: (Option<String>, Option<String>),
    /// Shares its state with the producer's context (the wrapper rdkafka puts
    /// around it does not hand it back).
    security: SecurityContext,
    /// `message.max.bytes`: the largest record librdkafka will queue.
    max_message_bytes: usize,
}

/// librdkafka's `message.max.bytes` when it is not set.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_000_000;

/// What librdkafka adds to a record's key, value and headers when it checks
/// `message.max.bytes` (`RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD`: the length,
/// attributes, timestamp and offset deltas, key and value lengths and header
/// count, each at its widest varint).
const RECORD_MAX_OVERHEAD: usize = 5 + 1 + 10 + 5 + 5 + 5 + 5;

/// True for errors about the record itself, which no retry can mend: larger
/// than the producer or the topic accepts, or invalid for the topic (a
/// compacted topic refuses a record without a key).
fn is_permanent(e: &RdError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidRecord
        )
    )
}

/// Bytes of a zigzag varint, as record headers encode their lengths.
fn varint_len(n: i64) -> usize {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    let mut len = 1;
    while z >= 0x80 {
        z >>= 7;
        len += 1;
    }
    len
}

/// The size librdkafka compares with `message.max.bytes` before it queues a
/// record: key, value, serialized headers and the widest record overhead.
fn record_wire_size(record: &RawRecord<'_>) -> usize {
    let len = |b: Option<&[u8]>| b.map_or(0, <[u8]>::len);
    let headers: usize = record
        .headers
        .iter()
        .map(|(k, v)| {
            let v_len = v.as_deref().map_or(-1, |v| v.len() as i64);
            varint_len(k.len() as i64) + k.len() + varint_len(v_len) + v_len.max(0) as usize
        })
        .sum();
    RECORD_MAX_OVERHEAD + len(record.key) + len(record.value) + headers
}

/// How long librdkafka waits to fill a batch. Each millisecond is added to every
/// event's publish → handler latency at a low rate (p99 budget 20 ms); at a high
/// rate batches fill while the previous requests are in flight anyway.
const PRODUCER_LINGER_MS: &str = "2";

/// Default time a send may take, retries included, before it counts as failed.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

impl EventProducer {
    /// A producer configured from the settings.
    pub fn new(settings: &Settings, delivery_timeout: Duration) -> Result<Self, KafkaError> {
        let mut cfg = client_config(settings);
        cfg.set("enable.idempotence", "true");
        cfg.set("acks", "all");
        cfg.set("compression.type", "zstd");
        // zstd's fastest level: compressing is the producer's largest single
        // cost in the bridge bench (4 alternating rounds: 35.0 µs of CPU per
        // event at level 1, 37.8 µs at the default 3).
        cfg.set("compression.level", "1");
        cfg.set("linger.ms", PRODUCER_LINGER_MS);
        cfg.set(
            "message.timeout.ms",
            delivery_timeout.as_millis().to_string(),
        );
        // `-X` still wins: re-apply the pass-through properties last.
        for (k, v) in &settings.properties {
            cfg.set(k, v.expose());
        }
        let security = SecurityContext::default();
        let inner = cfg
            .create_with_context(security.clone())
            .map_err(|e| KafkaError::client("creating the producer", e))?;
        let sasl = (
            cfg.get("sasl.username").map(str::to_string),
            cfg.get("sasl.mechanism").map(str::to_string),
        );
        let max_message_bytes = cfg
            .get("message.max.bytes")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        Ok(Self {
            inner,
            delivery_timeout,
            sasl,
            security,
            max_message_bytes,
        })
    }

    /// Refuses a record this producer could never queue because it is larger
    /// than `message.max.bytes`, with both sizes in the message; checked
    /// before a record is accepted, so it is refused up front rather than
    /// failing later.
    pub(crate) fn check_size(&self, record: &RawRecord<'_>) -> Result<(), KafkaError> {
        let size = record_wire_size(record);
        if size <= self.max_message_bytes {
            return Ok(());
        }
        Err(KafkaError::TooLarge {
            topic: record.topic.to_string(),
            size,
            limit: self.max_message_bytes,
        })
    }

    /// Sends an envelope: key = `key` or the aggregate id, headers = the mirrored
    /// metadata followed by `extra_headers`.
    pub async fn send_envelope(
        &self,
        topic: &str,
        env: &Envelope,
        key: Option<&str>,
        extra_headers: &[(String, String)],
    ) -> Result<Delivery, KafkaError> {
        let (value, headers) = envelope_record(env, extra_headers);
        let key = key.unwrap_or(&env.aggregate_id);
        self.send_raw(topic, Some(key.as_bytes()), Some(&value), &headers)
            .await
    }

    /// Sends bytes as they are.
    pub async fn send_raw(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Option<Vec<u8>>)],
    ) -> Result<Delivery, KafkaError> {
        let record = RawRecord {
            topic,
            key,
            value,
            headers,
        };
        self.check_size(&record)?;
        let mut out = self.send_all(std::iter::once(record)).await;
        out.pop().unwrap_or_else(|| {
            Err(KafkaError::Delivery {
                topic: topic.to_string(),
                reason: "nothing was sent".into(),
            })
        })
    }

    /// Sends records in order and then waits for their delivery reports: one
    /// outcome per record, in the same order ([`EventProducer::enqueue_all`],
    /// then [`EventProducer::reports`]).
    pub async fn send_all<'r>(
        &self,
        records: impl IntoIterator<Item = RawRecord<'r>>,
    ) -> Vec<Result<Delivery, KafkaError>> {
        let queued = self.enqueue_all(records).await;
        self.reports(queued).await
    }

    /// Hands records to librdkafka in order, waiting (up to the delivery
    /// timeout in all) while its queue is full. Once one cannot be queued the
    /// rest are not queued either, so nothing after it overtakes it: they are
    /// reported as not sent, and a caller that retries from the first failure
    /// keeps each partition in order. The records' bytes are copied; the
    /// delivery reports are awaited with [`EventProducer::reports`].
    pub async fn enqueue_all<'r>(
        &self,
        records: impl IntoIterator<Item = RawRecord<'r>>,
    ) -> Queued {
        let deadline = std::time::Instant::now() + self.delivery_timeout;
        let mut items = Vec::new();
        let mut stopped = false;
        for r in records {
            if stopped {
                items.push((r.topic.to_string(), Pending::NotSent));
                continue;
            }
            let mut record = r.to_future_record();
            let pending = loop {
                match self.inner.send_result(record) {
                    Ok(delivery) => break Pending::Queued(delivery),
                    Err((RdError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                        if std::time::Instant::now() < deadline =>
                    {
                        record = back;
                        tokio::time::sleep(QUEUE_FULL_PAUSE).await;
                    }
                    Err((e, _)) => break Pending::Refused(e),
                }
            };
            stopped = matches!(pending, Pending::Refused(_));
            items.push((r.topic.to_string(), pending));
        }
        Queued { items }
    }

    /// The delivery reports of queued records, in their order.
    pub async fn reports(&self, queued: Queued) -> Vec<Result<Delivery, KafkaError>> {
        let mut out = Vec::with_capacity(queued.items.len());
        for (topic, pending) in queued.items {
            let reported = match pending {
                Pending::Queued(delivery) => match delivery.await {
                    Ok(Ok(d)) => Ok((d.partition, d.offset)),
                    Ok(Err((e, _))) => Err(e),
                    Err(_) => Err(RdError::Canceled),
                },
                Pending::Refused(e) => Err(e),
                Pending::NotSent => {
                    out.push(Err(KafkaError::Delivery {
                        topic,
                        reason: NOT_SENT.into(),
                    }));
                    continue;
                }
            };
            out.push(self.outcome(&topic, reported));
        }
        out
    }

    /// A delivery report as our result: where the record went, or why it did
    /// not get there (with the security context's explanation when the cause
    /// is a refused login or certificate).
    fn outcome(
        &self,
        topic: &str,
        reported: Result<(i32, i64), RdError>,
    ) -> Result<Delivery, KafkaError> {
        match reported {
            Ok((partition, offset)) => Ok(Delivery {
                topic: topic.to_string(),
                partition,
                offset,
            }),
            Err(e) if is_permanent(&e) => Err(KafkaError::Rejected {
                topic: topic.to_string(),
                reason: describe_error(&e),
            }),
            Err(e) => {
                let failed = KafkaError::Delivery {
                    topic: topic.to_string(),
                    reason: describe_error(&e),
                };
                // A refused password or certificate shows only as a timeout or
                // a transport failure here; the context heard the real reason.
                let unreachable = matches!(
                    e.rdkafka_error_code(),
                    Some(
                        RDKafkaErrorCode::MessageTimedOut
                            | RDKafkaErrorCode::BrokerTransportFailure
                            | RDKafkaErrorCode::AllBrokersDown
                            | RDKafkaErrorCode::Authentication
                    )
                );
                Err(if unreachable {
                    self.security.explain_for(
                        self.sasl.0.as_deref(),
                        self.sasl.1.as_deref(),
                        failed,
                    )
                } else {
                    failed
                })
            }
        }
    }

    /// Waits until everything queued is delivered or `timeout` passes.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.inner
            .flush(timeout)
            .map_err(|e| KafkaError::client("flushing the producer", e))
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::ClientConfig;

    use super::*;

    /// Whether librdkafka queues the record with `message.max.bytes` = `limit`
    /// (queuing is local: no broker is needed).
    fn librdkafka_queues(record: &RawRecord<'_>, limit: usize) -> bool {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("message.max.bytes", limit.to_string())
            .create()
            .unwrap();
        match producer.send_result(record.to_future_record()) {
            Ok(_) => true,
            Err((e, _)) => {
                assert!(is_permanent(&e), "{e}");
                false
            }
        }
    }

    #[test]
    fn the_size_check_draws_the_line_where_librdkafka_does() {
        let long = "v".repeat(1200);
        // Key, value, headers.
        type Case = (Option<&'static [u8]>, Option<Vec<u8>>, Vec<Header>);
        let cases: Vec<Case> = vec![
            (Some(b"agg-1"), Some(vec![b'x'; 2000]), vec![]),
            (None, Some(vec![b'x'; 3000]), vec![("a".into(), None)]),
            (
                Some(b"k"),
                None,
                vec![
                    ("event_id".into(), Some(long.clone().into_bytes())),
                    ("b".into(), Some(Vec::new())),
                ],
            ),
        ];
        for (key, value, headers) in &cases {
            let record = RawRecord {
                topic: "t",
                key: *key,
                value: value.as_deref(),
                headers,
            };
            let size = record_wire_size(&record);
            // librdkafka refuses below 1000 whatever the record.
            let limit = size.max(1000);
            assert!(librdkafka_queues(&record, limit), "fits at {limit}");
            if size > 1000 {
                assert!(
                    !librdkafka_queues(&record, size - 1),
                    "too large at {}",
                    size - 1
                );
            }
        }
    }
}
