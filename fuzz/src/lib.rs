//! The byte layouts the fuzz targets read their input in, and the writers the
//! seed corpus is made with (`examples/seeds.rs`). Plain layouts, so a seed can
//! be read in a hex dump and libFuzzer's mutations stay meaningful.

/// Separates the parts of a record input: `topic[@ms] 1E key 1E headers 1E value`.
pub const PART: u8 = 0x1e;
/// Separates headers inside the headers part.
pub const HEADER: u8 = 0x1d;
/// Separates a header's name from its value (no separator: a null value).
pub const NAME_VALUE: u8 = 0x1f;
/// A key part that is this one byte: no key.
pub const NO_KEY: &[u8] = &[0];

/// A Kafka record as a fuzz input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordInput {
    /// Topic (the text before `@` in the first part).
    pub topic: String,
    /// Record timestamp (the number after `@`).
    pub timestamp_ms: Option<i64>,
    /// Key; `None` is written as [`NO_KEY`].
    pub key: Option<Vec<u8>>,
    /// Headers in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Value; `None` (a tombstone) when the input has no fourth part. It is the
    /// rest of the input, so it may hold any byte.
    pub value: Option<Vec<u8>>,
}

impl RecordInput {
    /// The record as a reader hands it on: partition 0, offset 0.
    pub fn into_record(self) -> eventdeck::kafka::ConsumedRecord {
        let mut headers = eventdeck::domain::Headers::default();
        for (name, value) in &self.headers {
            headers.push(name, value.as_deref());
        }
        eventdeck::kafka::ConsumedRecord {
            topic: self.topic,
            partition: 0,
            offset: 0,
            timestamp_ms: self.timestamp_ms,
            key: self.key,
            value: self.value,
            headers,
        }
    }

    /// Reads any bytes as a record (missing parts are empty or absent).
    pub fn parse(data: &[u8]) -> Self {
        let mut parts = data.splitn(4, |b| *b == PART);
        let head = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let (topic, timestamp_ms) = match head.split_once('@') {
            Some((t, ms)) => (t.to_string(), ms.parse().ok()),
            None => (head, None),
        };
        let key = parts.next().filter(|k| *k != NO_KEY).map(<[u8]>::to_vec);
        let headers = parts
            .next()
            .filter(|h| !h.is_empty())
            .map(|h| {
                h.split(|b| *b == HEADER)
                    .map(|pair| {
                        let mut nv = pair.splitn(2, |b| *b == NAME_VALUE);
                        let name = String::from_utf8_lossy(nv.next().unwrap_or_default());
                        (name.into_owned(), nv.next().map(<[u8]>::to_vec))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let value = parts.next().map(<[u8]>::to_vec);
        Self {
            topic,
            timestamp_ms,
            key,
            headers,
            value,
        }
    }

    /// The input bytes that [`RecordInput::parse`] reads back as `self` (when
    /// no name, key or header holds a separator byte).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.topic.as_bytes().to_vec();
        if let Some(ms) = self.timestamp_ms {
            out.extend_from_slice(format!("@{ms}").as_bytes());
        }
        out.push(PART);
        out.extend_from_slice(self.key.as_deref().unwrap_or(NO_KEY));
        out.push(PART);
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if i > 0 {
                out.push(HEADER);
            }
            out.extend_from_slice(name.as_bytes());
            if let Some(v) = value {
                out.push(NAME_VALUE);
                out.extend_from_slice(v);
            }
        }
        if let Some(v) = &self.value {
            out.push(PART);
            out.extend_from_slice(v);
        }
        out
    }
}

/// The first byte of an outbox input: the rest is a segment file as it is.
pub const OUTBOX_RAW: u8 = b'R';
/// The first byte of an outbox input: the rest is frames to be checksummed
/// ([`OutboxInput`]), so mutations reach the record decoder behind the CRC.
pub const OUTBOX_FRAMES: u8 = b'F';

/// An outbox directory as a fuzz input: one segment file and the acknowledged
/// position.
///
/// Layout: mode byte ([`OUTBOX_RAW`] or [`OUTBOX_FRAMES`]), the segment's
/// first sequence number (u64 LE, its file name), the acknowledged position
/// (u64 LE, written to the `acked` file with its check word; 0: no file),
/// then the segment. In frames mode the segment is a list of
/// `seq (u64 LE), len (u16 LE), payload`, each made a whole, checksummed
/// frame; a last one shorter than its `len` is written torn (its header says
/// `len`, its payload is cut short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxInput {
    /// The segment's file name (its first sequence number).
    pub first: u64,
    /// The acknowledged position (0: no `acked` file).
    pub acked: u64,
    /// The segment file's bytes.
    pub segment: Vec<u8>,
}

/// A frame as the outbox writes it: payload length, CRC-32 of sequence number
/// and payload, sequence number (all little-endian), payload. `declared_len`
/// is the length the header states (the payload's own for a whole frame).
pub fn frame(seq: u64, payload: &[u8], declared_len: u32) -> Vec<u8> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&seq.to_le_bytes());
    crc.update(payload);
    let mut out = Vec::with_capacity(16 + payload.len());
    out.extend_from_slice(&declared_len.to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

impl OutboxInput {
    /// Reads any bytes as an outbox directory (`None`: too short to say).
    pub fn parse(data: &[u8]) -> Option<Self> {
        let (&mode, rest) = data.split_first()?;
        let word =
            |b: &[u8]| -> Option<u64> { Some(u64::from_le_bytes(b.get(..8)?.try_into().ok()?)) };
        let first = word(rest)?;
        let acked = word(&rest[8..])?;
        let body = &rest[16..];
        let segment = if mode == OUTBOX_FRAMES {
            let mut out = Vec::new();
            let mut at = body;
            while at.len() >= 10 {
                let seq = word(at)?;
                let len = u16::from_le_bytes([at[8], at[9]]) as usize;
                let payload = &at[10..];
                let take = len.min(payload.len());
                out.extend(frame(seq, &payload[..take], len as u32));
                at = &payload[take..];
            }
            out
        } else {
            body.to_vec()
        };
        Some(Self {
            first,
            acked,
            segment,
        })
    }

    /// The input bytes for a segment file as it is.
    pub fn raw_bytes(first: u64, acked: u64, segment: &[u8]) -> Vec<u8> {
        let mut out = vec![OUTBOX_RAW];
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&acked.to_le_bytes());
        out.extend_from_slice(segment);
        out
    }

    /// The input bytes for frames `(seq, payload)` to be checksummed.
    pub fn frames_bytes(first: u64, acked: u64, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut out = vec![OUTBOX_FRAMES];
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&acked.to_le_bytes());
        for (seq, payload) in frames {
            out.extend_from_slice(&seq.to_le_bytes());
            out.extend_from_slice(&(payload.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
            out.extend_from_slice(payload);
        }
        out
    }
}
