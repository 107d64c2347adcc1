//! The durable outbox: every record bound for Kafka (events and DLQ records) is
//! committed to an embedded store (redb, fsync on commit) before anyone is told it
//! was accepted, and leaves it only once Kafka acknowledged it. Appends from many
//! callers are group-committed by one writer thread, so durability costs one
//! fsync per batch, not per event. Bounded: a full outbox refuses new records.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redb::{Database, ReadableTable, TableDefinition};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::kafka::Delivery;

/// seq → encoded [`OutboxRecord`]. Sequence numbers only grow, so key order is
/// publish order.
const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// File name of the store inside the outbox directory.
pub const STORE_FILE: &str = "outbox.redb";

/// Appends group-committed in one transaction at most.
const MAX_BATCH: usize = 4096;

/// One record waiting for Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Bounded context it counts against (metrics).
    pub context: String,
    /// Target topic.
    pub topic: String,
    /// Record key.
    pub key: Option<Vec<u8>>,
    /// Record value.
    pub value: Option<Vec<u8>>,
    /// Record headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// When it entered the outbox, ms since the epoch.
    pub enqueued_ms: i64,
}

/// Why the outbox refused or lost track of a record.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// At capacity: Kafka has been unreachable for a while.
    #[error(
        "the outbox is full ({capacity} records wait for Kafka); new events are refused until Kafka is reachable again"
    )]
    Full {
        /// The configured capacity.
        capacity: u64,
    },
    /// The store failed.
    #[error("outbox store at {path}: {reason}")]
    Store {
        /// Store file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The writer thread is gone (shutting down).
    #[error("the outbox is closed")]
    Closed,
}

enum WriterMsg {
    Append(AppendReq),
    /// Finish the batch at hand and exit.
    Stop,
}

struct AppendReq {
    record: OutboxRecord,
    waiter: Option<oneshot::Sender<Delivery>>,
    reply: oneshot::Sender<Result<u64, OutboxError>>,
}

#[derive(Default)]
struct State {
    /// Records committed or being committed, not yet acknowledged by Kafka.
    depth: u64,
    per_context: BTreeMap<String, u64>,
}

/// What the writer thread shares with the handles.
struct Shared {
    db: Database,
    path: PathBuf,
    state: Mutex<State>,
    waiters: Mutex<HashMap<u64, oneshot::Sender<Delivery>>>,
    appended: Notify,
}

/// The outbox. Cheap to clone; the writer thread ends when the last clone is
/// dropped (or [`Outbox::close`]d).
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
    capacity: u64,
    tx: mpsc::Sender<WriterMsg>,
    writer: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir` and starts its writer thread. What a
    /// previous process left in it is kept, to be delivered first.
    pub fn open(dir: &Path, capacity: u64) -> Result<Self, OutboxError> {
        let path = dir.join(STORE_FILE);
        let store_err = |reason: String| OutboxError::Store {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| store_err(e.to_string()))?;
        let db = Database::create(&path).map_err(|e| store_err(e.to_string()))?;
        let mut state = State::default();
        let mut next_seq = 1;
        {
            let w = db.begin_write().map_err(|e| store_err(e.to_string()))?;
            w.open_table(TABLE).map_err(|e| store_err(e.to_string()))?;
            w.commit().map_err(|e| store_err(e.to_string()))?;
            let r = db.begin_read().map_err(|e| store_err(e.to_string()))?;
            let t = r.open_table(TABLE).map_err(|e| store_err(e.to_string()))?;
            for item in t.iter().map_err(|e| store_err(e.to_string()))? {
                let (k, v) = item.map_err(|e| store_err(e.to_string()))?;
                next_seq = k.value() + 1;
                state.depth += 1;
                if let Some(rec) = decode_record(v.value()) {
                    *state.per_context.entry(rec.context).or_default() += 1;
                }
            }
        }
        let shared = Arc::new(Shared {
            db,
            path: path.clone(),
            state: Mutex::new(state),
            waiters: Mutex::default(),
            appended: Notify::new(),
        });
        // Twice a batch: callers beyond that wait, which is the back-pressure.
        let (tx, rx) = mpsc::channel(MAX_BATCH * 2);
        let writer = shared.clone();
        let handle = std::thread::Builder::new()
            .name("outbox-writer".into())
            .spawn(move || writer.run_writer(rx, next_seq))
            .map_err(|e| store_err(e.to_string()))?;
        Ok(Self {
            shared,
            capacity,
            tx,
            writer: Arc::new(Mutex::new(Some(handle))),
        })
    }

    /// Stops taking appends (later ones fail with [`OutboxError::Closed`]) and
    /// waits for the writer thread to finish its last commit.
    pub fn close(self) {
        // Makes earlier non-durable removals durable.
        if let Err(e) = self.acknowledge(&[], true) {
            tracing::warn!(error = %e, "final outbox commit");
        }
        let handle = self.shared_writer();
        let mut msg = WriterMsg::Stop;
        // Works inside and outside a runtime: the queue drains within a commit.
        while let Err(mpsc::error::TrySendError::Full(m)) = self.tx.try_send(msg) {
            msg = m;
            std::thread::sleep(Duration::from_millis(1));
        }
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    fn shared_writer(&self) -> Option<std::thread::JoinHandle<()>> {
        self.writer.lock().ok().and_then(|mut h| h.take())
    }

    /// Appends a record durably and returns its sequence number. `waiter`, if
    /// given, learns where Kafka put it once it is delivered.
    pub async fn append(
        &self,
        record: OutboxRecord,
        waiter: Option<oneshot::Sender<Delivery>>,
    ) -> Result<u64, OutboxError> {
        {
            let mut st = self.shared.state.lock().map_err(|_| OutboxError::Closed)?;
            if st.depth >= self.capacity {
                return Err(OutboxError::Full {
                    capacity: self.capacity,
                });
            }
            st.depth += 1;
            *st.per_context.entry(record.context.clone()).or_default() += 1;
        }
        let context = record.context.clone();
        let (reply, rx) = oneshot::channel();
        let sent = self
            .tx
            .send(WriterMsg::Append(AppendReq {
                record,
                waiter,
                reply,
            }))
            .await;
        let result = match sent {
            Ok(()) => rx.await.unwrap_or(Err(OutboxError::Closed)),
            Err(_) => Err(OutboxError::Closed),
        };
        if result.is_err() {
            self.shared.release(&context, 1);
        }
        result
    }

    /// Records waiting for Kafka.
    pub fn depth(&self) -> u64 {
        self.shared.state.lock().map(|s| s.depth).unwrap_or(0)
    }

    /// Records waiting for Kafka, per context.
    pub fn depth_per_context(&self) -> BTreeMap<String, u64> {
        self.shared
            .state
            .lock()
            .map(|s| s.per_context.clone())
            .unwrap_or_default()
    }

    /// The configured capacity.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// How long the oldest waiting record has waited.
    pub fn oldest_age(&self) -> Option<Duration> {
        let r = self.shared.db.begin_read().ok()?;
        let t = r.open_table(TABLE).ok()?;
        let (_, v) = t.first().ok()??;
        let rec = decode_record(v.value())?;
        let age_ms = chrono::Utc::now().timestamp_millis() - rec.enqueued_ms;
        Some(Duration::from_millis(age_ms.max(0) as u64))
    }

    /// Up to `limit` records with sequence number ≥ `from`, in order.
    pub(crate) fn read_from(
        &self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, OutboxRecord)>, OutboxError> {
        let store_err = |reason: String| OutboxError::Store {
            path: self.shared.path.clone(),
            reason,
        };
        let r = self
            .shared
            .db
            .begin_read()
            .map_err(|e| store_err(e.to_string()))?;
        let t = r.open_table(TABLE).map_err(|e| store_err(e.to_string()))?;
        let mut out = Vec::new();
        for item in t.range(from..).map_err(|e| store_err(e.to_string()))? {
            let (k, v) = item.map_err(|e| store_err(e.to_string()))?;
            match decode_record(v.value()) {
                Some(rec) => out.push((k.value(), rec)),
                // Written by us and checksummed by the store: unreadable means a
                // format from another version; keep going rather than wedge.
                None => tracing::warn!(seq = k.value(), "skipping an unreadable outbox record"),
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Removes records Kafka acknowledged and tells their waiters where they went.
    ///
    /// Not `durable`: the removal skips the fsync and becomes durable with the
    /// next durable commit (an append, a durable acknowledge, or close). A crash
    /// before then only re-sends records Kafka already has — duplicates, never
    /// losses — which is what at-least-once allows, and it halves the fsyncs.
    pub(crate) fn acknowledge(
        &self,
        delivered: &[(u64, String, Delivery)],
        durable: bool,
    ) -> Result<(), OutboxError> {
        if delivered.is_empty() && !durable {
            return Ok(());
        }
        let store_err = |reason: String| OutboxError::Store {
            path: self.shared.path.clone(),
            reason,
        };
        let mut w = self
            .shared
            .db
            .begin_write()
            .map_err(|e| store_err(e.to_string()))?;
        if !durable {
            w.set_durability(redb::Durability::None);
        }
        {
            let mut t = w.open_table(TABLE).map_err(|e| store_err(e.to_string()))?;
            for (seq, _, _) in delivered {
                t.remove(seq).map_err(|e| store_err(e.to_string()))?;
            }
        }
        w.commit().map_err(|e| store_err(e.to_string()))?;
        let mut per_ctx: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, ctx, _) in delivered {
            *per_ctx.entry(ctx).or_default() += 1;
        }
        for (ctx, n) in per_ctx {
            self.shared.release(ctx, n);
        }
        if let Ok(mut ws) = self.shared.waiters.lock() {
            for (seq, _, d) in delivered {
                if let Some(w) = ws.remove(seq) {
                    let _ = w.send(d.clone());
                }
            }
        }
        Ok(())
    }

    /// Waits until something was appended (or `timeout`).
    pub(crate) async fn wait_appended(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.shared.appended.notified()).await;
    }
}

impl Shared {
    fn release(&self, context: &str, n: u64) {
        if let Ok(mut st) = self.state.lock() {
            st.depth = st.depth.saturating_sub(n);
            if let Some(c) = st.per_context.get_mut(context) {
                *c = c.saturating_sub(n);
            }
        }
    }

    fn run_writer(self: Arc<Self>, mut rx: mpsc::Receiver<WriterMsg>, mut next_seq: u64) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut stop = false;
        while !stop {
            match rx.blocking_recv() {
                Some(WriterMsg::Append(first)) => batch.push(first),
                Some(WriterMsg::Stop) | None => break,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(WriterMsg::Append(req)) => batch.push(req),
                    Ok(WriterMsg::Stop) => {
                        stop = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            let first_seq = next_seq;
            match self.commit_batch(&batch, first_seq) {
                Ok(()) => {
                    next_seq += batch.len() as u64;
                    for (i, req) in batch.drain(..).enumerate() {
                        let seq = first_seq + i as u64;
                        if let Some(w) = req.waiter
                            && let Ok(mut ws) = self.waiters.lock()
                        {
                            ws.insert(seq, w);
                        }
                        let _ = req.reply.send(Ok(seq));
                    }
                    self.appended.notify_one();
                }
                Err(reason) => {
                    tracing::error!(%reason, "outbox commit failed");
                    for req in batch.drain(..) {
                        let _ = req.reply.send(Err(OutboxError::Store {
                            path: self.path.clone(),
                            reason: reason.clone(),
                        }));
                    }
                }
            }
        }
    }

    fn commit_batch(&self, batch: &[AppendReq], first_seq: u64) -> Result<(), String> {
        let w = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut t = w.open_table(TABLE).map_err(|e| e.to_string())?;
            for (i, req) in batch.iter().enumerate() {
                let bytes = encode_record(&req.record);
                t.insert(first_seq + i as u64, bytes.as_slice())
                    .map_err(|e| e.to_string())?;
            }
        }
        // Durability::Immediate (redb's default): fsynced when commit returns.
        w.commit().map_err(|e| e.to_string())
    }
}

/// Version byte of the record encoding, so a later format can be told apart.
const FORMAT: u8 = 1;

/// Length-prefixed binary: value bytes need not be UTF-8 (a DLQ record keeps
/// whatever the original record held), which rules out JSON strings.
fn encode_record(r: &OutboxRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + r.value.as_ref().map_or(0, Vec::len));
    out.push(FORMAT);
    out.extend_from_slice(&r.enqueued_ms.to_be_bytes());
    put(&mut out, Some(r.context.as_bytes()));
    put(&mut out, Some(r.topic.as_bytes()));
    put(&mut out, r.key.as_deref());
    put(&mut out, r.value.as_deref());
    out.extend_from_slice(&(r.headers.len() as u32).to_be_bytes());
    for (k, v) in &r.headers {
        put(&mut out, Some(k.as_bytes()));
        put(&mut out, v.as_deref());
    }
    out
}

/// `u32::MAX` marks an absent value (a tombstone, no key, a null header).
fn put(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
        Some(b) => {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
    }
}

fn decode_record(bytes: &[u8]) -> Option<OutboxRecord> {
    let mut cur = Cursor { bytes, pos: 0 };
    if cur.take(1)? != [FORMAT] {
        return None;
    }
    let enqueued_ms = i64::from_be_bytes(cur.take(8)?.try_into().ok()?);
    let context = String::from_utf8(cur.field()??).ok()?;
    let topic = String::from_utf8(cur.field()??).ok()?;
    let key = cur.field()?;
    let value = cur.field()?;
    let n = u32::from_be_bytes(cur.take(4)?.try_into().ok()?);
    let mut headers = Vec::new();
    for _ in 0..n {
        let k = String::from_utf8(cur.field()??).ok()?;
        headers.push((k, cur.field()?));
    }
    Some(OutboxRecord {
        context,
        topic,
        key,
        value,
        headers,
        enqueued_ms,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    /// `None`: truncated; `Some(None)`: an absent value.
    fn field(&mut self) -> Option<Option<Vec<u8>>> {
        let len = u32::from_be_bytes(self.take(4)?.try_into().ok()?);
        if len == u32::MAX {
            return Some(None);
        }
        Some(Some(self.take(len as usize)?.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ctx: &str, n: u8) -> OutboxRecord {
        OutboxRecord {
            context: ctx.into(),
            topic: format!("{ctx}.events"),
            key: Some(vec![n]),
            value: if n.is_multiple_of(2) {
                Some(vec![0xff, n])
            } else {
                None
            },
            headers: vec![("a".into(), Some(b"1".to_vec())), ("b".into(), None)],
            enqueued_ms: 1_700_000_000_000 + i64::from(n),
        }
    }

    #[test]
    fn records_round_trip_and_truncation_is_detected() {
        for n in 0..4 {
            let r = rec("debate", n);
            let bytes = encode_record(&r);
            assert_eq!(decode_record(&bytes), Some(r));
            assert_eq!(decode_record(&bytes[..bytes.len() - 1]), None);
        }
    }

    #[tokio::test]
    async fn appends_survive_reopening_in_order_and_acks_remove_them() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ob = Outbox::open(dir.path(), 100).unwrap();
            for n in 0..5 {
                assert_eq!(
                    ob.append(rec("debate", n), None).await.unwrap(),
                    u64::from(n) + 1
                );
            }
            assert_eq!(ob.depth(), 5);
            ob.close();
        }
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(ob.depth(), 5);
        assert_eq!(ob.depth_per_context()["debate"], 5);
        let all = ob.read_from(0, 100).unwrap();
        let keys: Vec<_> = all.iter().map(|(_, r)| r.key.clone().unwrap()[0]).collect();
        assert_eq!(keys, vec![0, 1, 2, 3, 4]);
        let d = Delivery {
            topic: "t".into(),
            partition: 0,
            offset: 0,
        };
        ob.acknowledge(
            &[(1, "debate".into(), d.clone()), (2, "debate".into(), d)],
            false,
        )
        .unwrap();
        assert_eq!(ob.depth(), 3);
        assert_eq!(ob.read_from(0, 100).unwrap()[0].0, 3);
        assert_eq!(ob.append(rec("debate", 9), None).await.unwrap(), 6);
        assert!(ob.oldest_age().is_some());
        ob.close();
        // The non-durable removal was made durable by the appends and close.
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(ob.depth(), 4);
    }

    #[tokio::test]
    async fn a_full_outbox_refuses_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path(), 2).unwrap();
        ob.append(rec("a", 0), None).await.unwrap();
        ob.append(rec("a", 1), None).await.unwrap();
        let err = ob.append(rec("a", 2), None).await.unwrap_err();
        assert!(matches!(err, OutboxError::Full { capacity: 2 }));
        assert!(err.to_string().contains("outbox is full"));
        assert_eq!(ob.depth(), 2);
    }
}
