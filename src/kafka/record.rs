//! An owned copy of a consumed Kafka record, detached from librdkafka's buffers so
//! it can cross channels to the UI and the headless commands.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rdkafka::Message;
use rdkafka::message::Headers as _;
use serde_json::{Map, Value, json};

use crate::domain::{self, DecodeOutcome, Glance, Headers};

/// One record as read from Kafka.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedRecord {
    /// Topic it came from.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
    /// Record timestamp in milliseconds since the epoch, when the broker gave one.
    pub timestamp_ms: Option<i64>,
    /// Key bytes.
    pub key: Option<Vec<u8>>,
    /// Value bytes; `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    /// Headers in wire order.
    pub headers: Headers,
}

/// Room reserved for header values (our envelope's eight come to ~230 bytes).
const HEADER_BYTES_GUESS: usize = 256;

impl ConsumedRecord {
    /// Copies what we need out of a borrowed rdkafka message.
    pub(crate) fn from_message<M: Message>(m: &M) -> Self {
        let headers = m
            .headers()
            .map(|hs| {
                // One pass: each header read costs a call into librdkafka.
                let mut headers = Headers::with_capacity(hs.count(), HEADER_BYTES_GUESS);
                for h in hs.iter() {
                    headers.push(h.key, h.value);
                }
                headers
            })
            .unwrap_or_default();
        Self {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers,
        }
    }

    /// Bytes this record holds on the heap, and the struct itself.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.topic.capacity()
            + self.key.as_ref().map_or(0, Vec::capacity)
            + self.value.as_ref().map_or(0, Vec::capacity)
            + self.headers.heap_bytes()
    }

    /// Decodes the value with the lenient codec.
    pub fn decode(&self) -> DecodeOutcome {
        domain::decode(self.value.as_deref(), &self.headers)
    }

    /// What lists and graphs keep of the record ([`domain::glance`]).
    pub fn glance(&self) -> Glance {
        domain::glance(self.value.as_deref(), &self.headers)
    }

    /// The record time as UTC, if any.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.timestamp_ms
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
    }

    /// The key as text (lossy), for display.
    pub fn key_text(&self) -> Option<String> {
        self.key
            .as_ref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }

    /// The first header with this name, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .flatten()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Headers as a JSON object (UTF-8-lossy values; `null` for a null value; a
    /// name that appears more than once becomes an array, in wire order).
    pub fn headers_json(&self) -> Value {
        let mut map = Map::new();
        for (k, v) in self.headers.iter() {
            let v = v.map_or(Value::Null, |v| {
                Value::String(String::from_utf8_lossy(v).into_owned())
            });
            match map.get_mut(k) {
                None => {
                    map.insert(k.to_string(), v);
                }
                Some(Value::Array(items)) => items.push(v),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, v]);
                }
            }
        }
        Value::Object(map)
    }

    /// The `tail --format json` line for this record.
    pub fn to_json(&self, decoded: &DecodeOutcome) -> Value {
        json!({
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.time().map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            "key": self.key_text(),
            "headers": self.headers_json(),
            "kind": decoded.kind(),
            "event": decoded.event_json(),
            "error": decoded.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(headers: Vec<crate::domain::Header>) -> ConsumedRecord {
        let headers = headers.into();
        ConsumedRecord {
            topic: "t".into(),
            partition: 1,
            offset: 7,
            timestamp_ms: Some(1_700_000_000_123),
            key: Some(b"k1".to_vec()),
            value: None,
            headers,
        }
    }

    #[test]
    fn repeated_headers_become_arrays_and_null_values_stay_null() {
        let r = record(vec![
            ("a".into(), Some(b"1".to_vec())),
            ("b".into(), None),
            ("a".into(), Some(b"2".to_vec())),
            ("a".into(), Some(vec![0xff])),
        ]);
        assert_eq!(
            r.headers_json(),
            json!({"a": ["1", "2", "\u{fffd}"], "b": null})
        );
    }

    #[test]
    fn tombstone_json_line_has_every_field() {
        let r = record(vec![]);
        let line = r.to_json(&r.decode());
        assert_eq!(line["kind"], "tombstone");
        assert_eq!(line["timestamp"], "2023-11-14T22:13:20.123Z");
        assert_eq!(line["key"], "k1");
        assert_eq!(line["partition"], 1);
        assert_eq!(line["offset"], 7);
        assert!(line["event"].is_null());
        assert!(line.get("error").is_some());
    }
}
