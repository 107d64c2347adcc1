//! The durable outbox: every record bound for Kafka (events and DLQ records) is
//! appended to a log on disk and fsynced before anyone is told it was accepted,
//! and counts as done only once Kafka acknowledged it. Bounded: a full outbox
//! refuses new records.
//!
//! The log is a directory of segment files (`<first seq>.seg`) of checksummed
//! frames, written by one thread that group-commits whatever callers appended
//! meanwhile: one `write` and one `fdatasync` per batch. Acknowledgements arrive
//! out of order (partitions answer independently); the outbox keeps the set of
//! unacknowledged sequence numbers in memory and persists only the position
//! below which everything was acknowledged (the `acked` file), and deletes a
//! segment once all of it lies below that position. After a crash, records past
//! the persisted position are sent again: duplicates, never losses, which is
//! what at-least-once allows. (An embedded B-tree store with a transaction per
//! batch cost 30–250 ms per commit here; an append is one sequential write.)

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::kafka::Delivery;

/// What a record's waiter learns: where Kafka put it, or why it was set aside
/// instead ([`Outbox::set_aside`]).
pub type Outcome = Result<Delivery, String>;

/// Appends group-committed in one write and one fsync at most.
const MAX_BATCH: usize = 4096;

/// A new segment is started once the current one is this large, so disk space
/// is given back in segment-sized steps as Kafka acknowledges.
const SEGMENT_BYTES: u64 = 64 << 20;

/// Segment file suffix; the stem is the first sequence number, zero-padded.
const SEGMENT_SUFFIX: &str = "seg";

/// The file holding the acknowledged position.
pub const ACKED_FILE: &str = "acked";

/// Records Kafka refused for good, one JSON object a line
/// ([`Outbox::set_aside`]).
pub const SET_ASIDE_FILE: &str = "set-aside.jsonl";

/// A frame: payload length (u32), CRC-32 of sequence number and payload (u32),
/// sequence number (u64), all little-endian, then the payload.
const FRAME_HEADER: usize = 16;

/// Bytes of committed records also kept in memory for the relay ([`Outbox::take_hot`]),
/// so a record on its way to Kafka is not read back from disk and decoded again.
/// Past this the relay reads from the log, as it does after a restart.
const HOT_BYTES: usize = 32 << 20;

/// The highest sequence number a frame or the acknowledged position may
/// hold. The writer starts at 1 and counts up by one a record, so it never gets
/// near (at a million records a second, in 292,000 years); a larger one is
/// damage, and would leave the writer no room to count on.
const MAX_SEQ: u64 = i64::MAX as u64;

/// Mixed into the acknowledged position's check word, so a zeroed or garbage
/// `acked` file is not read as a position.
const ACKED_MAGIC: u64 = 0x6576_656e_7464_6563;

/// One record waiting for Kafka.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
        /// The outbox directory or file.
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
    waiter: Option<oneshot::Sender<Outcome>>,
    reply: oneshot::Sender<Result<u64, OutboxError>>,
}

#[derive(Default)]
struct State {
    /// Records committed or being committed, not yet acknowledged by Kafka.
    depth: u64,
    per_context: BTreeMap<String, u64>,
}

impl OutboxRecord {
    /// The record as the producer sends it.
    pub(crate) fn as_raw(&self) -> crate::kafka::RawRecord<'_> {
        crate::kafka::RawRecord {
            topic: &self.topic,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: &self.headers,
        }
    }

    /// Roughly what it holds in memory, for [`HOT_BYTES`].
    fn weight(&self) -> usize {
        let bytes = |b: &Option<Vec<u8>>| b.as_ref().map_or(0, Vec::len);
        64 + self.context.len()
            + self.topic.len()
            + bytes(&self.key)
            + bytes(&self.value)
            + self
                .headers
                .iter()
                .map(|(k, v)| 32 + k.len() + bytes(v))
                .sum::<usize>()
    }
}

/// Committed records not yet taken by the relay, by sequence number (a copy of
/// the log's newest part, up to [`HOT_BYTES`]).
#[derive(Default)]
struct Hot {
    records: BTreeMap<u64, OutboxRecord>,
    bytes: usize,
}

impl Hot {
    fn remove(&mut self, seq: u64) -> Option<OutboxRecord> {
        let r = self.records.remove(&seq)?;
        self.bytes -= r.weight();
        Some(r)
    }
}

/// Where a committed record's payload lies.
#[derive(Debug, Clone, Copy)]
struct Loc {
    /// The segment (its first sequence number).
    segment: u64,
    /// Offset of the payload in the segment file.
    pos: u64,
    /// Payload length.
    len: u32,
}

/// The log's index: what is waiting, and in which files.
struct Log {
    /// Committed, not yet acknowledged records.
    pending: BTreeMap<u64, Loc>,
    /// Segment files by first sequence number; the last is being appended to.
    segments: BTreeMap<u64, (PathBuf, Arc<File>)>,
    /// The sequence number after the last committed batch.
    committed_next: u64,
    /// The acknowledged position last written to the `acked` file.
    acked_written: u64,
}

/// What the writer thread shares with the handles.
struct Shared {
    dir: PathBuf,
    log: Mutex<Log>,
    acked: File,
    state: Mutex<State>,
    hot: Mutex<Hot>,
    /// [`HOT_BYTES`], smaller in tests.
    hot_limit: usize,
    waiters: Mutex<HashMap<u64, oneshot::Sender<Outcome>>>,
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
    /// previous process left in it is kept, to be delivered first; a frame torn
    /// by a crash mid-write (never acknowledged to anyone) is cut off.
    pub fn open(dir: &Path, capacity: u64) -> Result<Self, OutboxError> {
        Self::open_with_hot_limit(dir, capacity, HOT_BYTES)
    }

    /// [`Outbox::open`] keeping at most `hot_limit` bytes of records in memory.
    fn open_with_hot_limit(
        dir: &Path,
        capacity: u64,
        hot_limit: usize,
    ) -> Result<Self, OutboxError> {
        let store_err = |path: &Path, e: std::io::Error| OutboxError::Store {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        crate::private::create_dir_all(dir).map_err(|e| store_err(dir, e))?;
        let acked_path = dir.join(ACKED_FILE);
        let acked = crate::private::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&acked_path)
            .map_err(|e| store_err(&acked_path, e))?;
        let watermark = read_acked(&acked);

        // Set aside since the acknowledged position was last written: not to be
        // sent (and set aside) again.
        let set_aside = set_aside_seqs(&dir.join(SET_ASIDE_FILE), watermark);
        let mut state = State::default();
        let mut pending = BTreeMap::new();
        let mut max_seq = watermark;
        let mut found: Vec<(u64, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| store_err(dir, e))? {
            let path = entry.map_err(|e| store_err(dir, e))?.path();
            if path.extension().is_some_and(|x| x == SEGMENT_SUFFIX)
                && let Some(first) = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse::<u64>().ok())
            {
                found.push((first, path));
            }
        }
        found.sort();
        let mut segments = BTreeMap::new();
        let last_found = found.len().checked_sub(1);
        for (i, (first, path)) in found.into_iter().enumerate() {
            let bytes = std::fs::read(&path).map_err(|e| store_err(&path, e))?;
            let (frames, valid_len) = parse_frames(&bytes);
            if valid_len < bytes.len() {
                tracing::warn!(
                    path = %path.display(),
                    cut = bytes.len() - valid_len,
                    "outbox segment ends in a torn or damaged frame; cutting it off"
                );
                if Some(i) == last_found {
                    let f = OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(|e| store_err(&path, e))?;
                    f.set_len(valid_len as u64)
                        .and_then(|()| f.sync_all())
                        .map_err(|e| store_err(&path, e))?;
                }
            }
            for (seq, pos, payload) in frames {
                max_seq = max_seq.max(seq);
                if seq <= watermark || set_aside.contains(&seq) {
                    continue;
                }
                if pending.contains_key(&seq) {
                    // The writer numbers each record once: a number met again
                    // is damage. The first frame keeps it, so the waiting
                    // count is the records waiting.
                    tracing::warn!(seq, "skipping an outbox record numbered twice");
                    continue;
                }
                let Some(rec) = decode_record(payload) else {
                    // Checksummed, so a format from another version; skip
                    // rather than wedge the relay.
                    tracing::warn!(seq, "skipping an unreadable outbox record");
                    continue;
                };
                state.depth += 1;
                *state.per_context.entry(rec.context).or_default() += 1;
                pending.insert(
                    seq,
                    Loc {
                        segment: first,
                        pos: pos as u64,
                        len: payload.len() as u32,
                    },
                );
            }
            let file = File::open(&path).map_err(|e| store_err(&path, e))?;
            segments.insert(first, (path, Arc::new(file)));
        }
        let next_seq = max_seq + 1;
        let (append_file, append_len) = open_segment(dir, next_seq, &mut segments)?;
        let mut log = Log {
            pending,
            segments,
            committed_next: next_seq,
            acked_written: watermark,
        };
        log.drop_acknowledged_segments();
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            log: Mutex::new(log),
            acked,
            state: Mutex::new(state),
            hot: Mutex::default(),
            hot_limit,
            waiters: Mutex::default(),
            appended: Notify::new(),
        });
        // Twice a batch: callers beyond that wait, which is the back-pressure.
        let (tx, rx) = mpsc::channel(MAX_BATCH * 2);
        let writer = shared.clone();
        let handle = std::thread::Builder::new()
            .name("outbox-writer".into())
            .spawn(move || {
                writer.run_writer(
                    rx,
                    Appender {
                        file: append_file,
                        len: append_len,
                        segment: next_seq,
                        next_seq,
                    },
                )
            })
            .map_err(|e| store_err(dir, e))?;
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
        // Makes the acknowledged position durable.
        if let Err(e) = self.acknowledge(&[], true) {
            tracing::warn!(error = %e, "final outbox acknowledgement");
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
        waiter: Option<oneshot::Sender<Outcome>>,
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
        let (_, rec) = self.read_from(0, 1).ok()?.into_iter().next()?;
        let age_ms = chrono::Utc::now().timestamp_millis() - rec.enqueued_ms;
        Some(Duration::from_millis(age_ms.max(0) as u64))
    }

    /// Like [`Outbox::read_from`] without touching the disk: the waiting records
    /// from `from` on that are still in memory, up to `limit`, handed over (a
    /// second call does not return them again). Stops at the first one that is
    /// not in memory; empty when that is the first, and then `read_from` reads it.
    pub(crate) fn take_hot(&self, from: u64, limit: usize) -> Vec<(u64, OutboxRecord)> {
        let seqs: Vec<u64> = match self.shared.log.lock() {
            Ok(log) => log
                .pending
                .range(from..)
                .take(limit)
                .map(|(s, _)| *s)
                .collect(),
            Err(_) => return Vec::new(),
        };
        let Ok(mut hot) = self.shared.hot.lock() else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let Some(r) = hot.remove(seq) else { break };
            out.push((seq, r));
        }
        out
    }

    /// Up to `limit` waiting records with sequence number ≥ `from`, in order,
    /// read from the log.
    pub(crate) fn read_from(
        &self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, OutboxRecord)>, OutboxError> {
        // Runs of records lying back to back in one file, read with one call each.
        let mut runs: Vec<Run> = Vec::new();
        {
            let log = self.shared.log.lock().map_err(|_| OutboxError::Closed)?;
            for (&seq, &loc) in log.pending.range(from..).take(limit) {
                if let Some((_, _, _, run)) = runs.last_mut()
                    && let Some((_, prev)) = run.last()
                    && prev.segment == loc.segment
                    && prev.pos + u64::from(prev.len) + FRAME_HEADER as u64 == loc.pos
                {
                    run.push((seq, loc));
                    continue;
                }
                let Some((path, file)) = log.segments.get(&loc.segment) else {
                    continue;
                };
                runs.push((file.clone(), path.clone(), loc.pos, vec![(seq, loc)]));
            }
        }
        let mut out = Vec::with_capacity(limit.min(4096));
        for (file, path, start, run) in runs {
            let Some((_, last)) = run.last() else {
                continue;
            };
            let mut buf = vec![0u8; (last.pos + u64::from(last.len) - start) as usize];
            file.read_exact_at(&mut buf, start)
                .map_err(|e| OutboxError::Store {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            for (seq, loc) in run {
                let at = (loc.pos - start) as usize;
                let Some(payload) = buf.get(at..at + loc.len as usize) else {
                    continue;
                };
                match decode_record(payload) {
                    Some(rec) => out.push((seq, rec)),
                    None => tracing::warn!(seq, "skipping an unreadable outbox record"),
                }
            }
        }
        Ok(out)
    }

    /// Marks records Kafka acknowledged as done and tells their waiters where
    /// they went.
    ///
    /// Not `durable`: the new acknowledged position is written without an
    /// fsync; it becomes durable with a later durable call (the relay makes one
    /// every second, and close does). A crash before then only re-sends records
    /// Kafka already has — duplicates, never losses.
    pub(crate) fn acknowledge(
        &self,
        delivered: &[(u64, String, Delivery)],
        durable: bool,
    ) -> Result<(), OutboxError> {
        self.retire(
            delivered.iter().map(|(seq, ctx, _)| (*seq, ctx.as_str())),
            durable,
        )?;
        if let Ok(mut ws) = self.shared.waiters.lock() {
            for (seq, _, d) in delivered {
                if let Some(w) = ws.remove(seq) {
                    let _ = w.send(Ok(d.clone()));
                }
            }
        }
        Ok(())
    }

    /// Takes a record Kafka refused for good (too large for the topic, say)
    /// out of the way, so the records behind it are not held up forever: it is
    /// first appended, with `reason`, to [`SET_ASIDE_FILE`] in the outbox
    /// directory (fsynced: nothing the outbox accepted is lost), then removed
    /// from the log. Its waiter learns `reason`. Returns the file's path.
    pub(crate) fn set_aside(
        &self,
        seq: u64,
        record: &OutboxRecord,
        reason: &str,
    ) -> Result<PathBuf, OutboxError> {
        let path = self.shared.dir.join(SET_ASIDE_FILE);
        let store_error = |e: std::io::Error| OutboxError::Store {
            path: path.clone(),
            reason: e.to_string(),
        };
        let mut line = set_aside_line(seq, record, reason).to_string();
        line.push('\n');
        let mut file = crate::private::open_append(&path).map_err(store_error)?;
        file.write_all(line.as_bytes()).map_err(store_error)?;
        file.sync_data().map_err(store_error)?;
        // The file's name too, or a power cut could lose a new file whose
        // record has already left the log.
        sync_dir(&self.shared.dir).map_err(store_error)?;
        // Set aside from here on: reopening skips it (`set_aside_seqs`), so a
        // failure to move the acknowledged position only delays that write.
        if let Err(e) = self.retire(std::iter::once((seq, record.context.as_str())), true) {
            tracing::warn!(error = %e, seq, "moving the acknowledged position past a set-aside record");
        }
        if let Ok(mut ws) = self.shared.waiters.lock()
            && let Some(w) = ws.remove(&seq)
        {
            let _ = w.send(Err(format!(
                "Kafka refused the event for {} for good ({reason}); it was moved out of the outbox to {}",
                record.topic,
                path.display()
            )));
        }
        Ok(path)
    }

    /// Removes records from the log and moves the acknowledged position past
    /// them (see [`Outbox::acknowledge`] for `durable`).
    fn retire<'a>(
        &self,
        done: impl Iterator<Item = (u64, &'a str)> + Clone,
        durable: bool,
    ) -> Result<(), OutboxError> {
        let mut removed: BTreeMap<&str, u64> = BTreeMap::new();
        {
            let mut log = self.shared.log.lock().map_err(|_| OutboxError::Closed)?;
            for (seq, ctx) in done.clone() {
                if log.pending.remove(&seq).is_some() {
                    *removed.entry(ctx).or_default() += 1;
                }
            }
            // Done after a read from disk while still in memory.
            if let Ok(mut hot) = self.shared.hot.lock()
                && !hot.records.is_empty()
            {
                for (seq, _) in done {
                    hot.remove(seq);
                }
            }
            let position = log
                .pending
                .first_key_value()
                .map_or(log.committed_next, |(seq, _)| *seq)
                - 1;
            if position > log.acked_written || durable {
                write_acked(&self.shared.acked, position, durable).map_err(|e| {
                    OutboxError::Store {
                        path: self.shared.dir.join(ACKED_FILE),
                        reason: e.to_string(),
                    }
                })?;
                log.acked_written = position;
                log.drop_acknowledged_segments();
            }
        }
        for (ctx, n) in removed {
            self.shared.release(ctx, n);
        }
        Ok(())
    }

    /// Waits until something was appended (or `timeout`).
    pub(crate) async fn wait_appended(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.shared.appended.notified()).await;
    }
}

impl Log {
    /// Deletes segments whose every record lies at or below the acknowledged
    /// position; the last segment stays (it is being appended to).
    fn drop_acknowledged_segments(&mut self) {
        let firsts: Vec<u64> = self.segments.keys().copied().collect();
        for pair in firsts.windows(2) {
            let (first, next_first) = (pair[0], pair[1]);
            if next_first - 1 > self.acked_written {
                break;
            }
            if let Some((path, _)) = self.segments.remove(&first)
                && let Err(e) = std::fs::remove_file(&path)
            {
                tracing::warn!(path = %path.display(), error = %e, "deleting a delivered outbox segment");
            }
        }
    }
}

/// Records lying back to back in one segment: its file and path, the offset of
/// the first payload, and each record's sequence number and place.
type Run = (Arc<File>, PathBuf, u64, Vec<(u64, Loc)>);

/// A parsed frame: sequence number, payload offset, payload.
type Frame<'a> = (u64, usize, &'a [u8]);

/// The writer thread's end of the log.
struct Appender {
    file: File,
    len: u64,
    segment: u64,
    next_seq: u64,
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

    fn run_writer(self: Arc<Self>, mut rx: mpsc::Receiver<WriterMsg>, mut app: Appender) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut buf = Vec::new();
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
            let first_seq = app.next_seq;
            match self.commit_batch(&mut app, &mut batch, &mut buf) {
                Ok(()) => {
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
                            path: self.dir.clone(),
                            reason: reason.clone(),
                        }));
                    }
                }
            }
        }
    }

    /// Writes a batch as frames, fsyncs it, then indexes it. On failure the
    /// segment is cut back to where the batch began, so no half-written frame
    /// sits in front of later ones.
    fn commit_batch(
        &self,
        app: &mut Appender,
        batch: &mut [AppendReq],
        buf: &mut Vec<u8>,
    ) -> Result<(), String> {
        if app.len >= SEGMENT_BYTES {
            let mut log = self.log.lock().map_err(|_| "outbox index poisoned")?;
            let (file, len) = open_segment(&self.dir, app.next_seq, &mut log.segments)
                .map_err(|e| e.to_string())?;
            *app = Appender {
                file,
                len,
                segment: app.next_seq,
                next_seq: app.next_seq,
            };
        }
        buf.clear();
        let mut locs = Vec::with_capacity(batch.len());
        for (i, req) in batch.iter().enumerate() {
            let seq = app.next_seq + i as u64;
            let start = buf.len();
            buf.extend_from_slice(&[0u8; FRAME_HEADER]);
            encode_record_into(&req.record, buf);
            let len = buf.len() - start - FRAME_HEADER;
            let mut crc = crc32fast::Hasher::new();
            crc.update(&seq.to_le_bytes());
            crc.update(&buf[start + FRAME_HEADER..]);
            buf[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
            buf[start + 4..start + 8].copy_from_slice(&crc.finalize().to_le_bytes());
            buf[start + 8..start + 16].copy_from_slice(&seq.to_le_bytes());
            locs.push((
                seq,
                Loc {
                    segment: app.segment,
                    pos: app.len + (start + FRAME_HEADER) as u64,
                    len: len as u32,
                },
            ));
        }
        // fdatasync: the data and the file's new length, which is all a reader
        // after a crash needs.
        if let Err(e) = app.file.write_all(buf).and_then(|()| app.file.sync_data()) {
            let _ = app.file.set_len(app.len);
            return Err(e.to_string());
        }
        app.len += buf.len() as u64;
        app.next_seq += batch.len() as u64;
        // In memory for the relay before it can see them in the index.
        if let Ok(mut hot) = self.hot.lock() {
            for ((seq, _), req) in locs.iter().zip(batch.iter_mut()) {
                let weight = req.record.weight();
                if hot.bytes + weight > self.hot_limit {
                    break;
                }
                hot.bytes += weight;
                hot.records.insert(*seq, std::mem::take(&mut req.record));
            }
        }
        let mut log = self.log.lock().map_err(|_| "outbox index poisoned")?;
        log.pending.extend(locs);
        log.committed_next = app.next_seq;
        Ok(())
    }
}

/// Opens (creating if needed) the segment starting at `first` for appending,
/// registers a read handle for it, and makes its directory entry durable.
fn open_segment(
    dir: &Path,
    first: u64,
    segments: &mut BTreeMap<u64, (PathBuf, Arc<File>)>,
) -> Result<(File, u64), OutboxError> {
    let path = dir.join(format!("{first:020}.{SEGMENT_SUFFIX}"));
    let store_err = |e: std::io::Error| OutboxError::Store {
        path: path.clone(),
        reason: e.to_string(),
    };
    let file = crate::private::open_append(&path).map_err(store_err)?;
    let len = file.metadata().map_err(store_err)?.len();
    sync_dir(dir).map_err(store_err)?;
    let reader = File::open(&path).map_err(store_err)?;
    segments.insert(first, (path.clone(), Arc::new(reader)));
    Ok((file, len))
}

/// The frames of a segment as (seq, payload offset, payload), and how many
/// bytes of it are whole, checksum-correct frames with a sequence number up
/// to [`MAX_SEQ`].
fn parse_frames(bytes: &[u8]) -> (Vec<Frame<'_>>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(header) = bytes.get(pos..pos + FRAME_HEADER) {
        let word =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let (len, crc) = (word(0) as usize, word(4));
        let seq_bytes = &header[8..16];
        let start = pos + FRAME_HEADER;
        let Some(payload) = bytes.get(start..start.saturating_add(len)) else {
            break;
        };
        let mut h = crc32fast::Hasher::new();
        h.update(seq_bytes);
        h.update(payload);
        let mut seq = [0u8; 8];
        seq.copy_from_slice(seq_bytes);
        let seq = u64::from_le_bytes(seq);
        if h.finalize() != crc || seq > MAX_SEQ {
            break;
        }
        out.push((seq, start, payload));
        pos = start + len;
    }
    (out, pos)
}

/// Reads the acknowledged position; 0 (everything is sent again) when the file
/// is new, short or does not check out, or names a position past [`MAX_SEQ`].
fn read_acked(file: &File) -> u64 {
    let mut buf = [0u8; 16];
    if file.read_exact_at(&mut buf, 0).is_err() {
        return 0;
    }
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&buf[..8]);
    b.copy_from_slice(&buf[8..]);
    let (pos, check) = (u64::from_le_bytes(a), u64::from_le_bytes(b));
    if pos ^ ACKED_MAGIC == check && pos <= MAX_SEQ {
        pos
    } else {
        0
    }
}

/// Makes a directory's entries durable (a file created in it survives a power
/// cut once this returns).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir).and_then(|d| d.sync_all())
}

/// The sequence numbers above `watermark` in the set-aside file (an unreadable
/// line is skipped: at worst that record is sent, and set aside, again).
fn set_aside_seqs(path: &Path, watermark: u64) -> std::collections::HashSet<u64> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Default::default();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v["seq"].as_u64())
        .filter(|seq| *seq > watermark)
        .collect()
}

/// A set-aside record as one JSON object that holds it exactly: bytes that are
/// UTF-8 as text (`key`, `value`, each header's `value`), any others as
/// base64 under `*_base64`; a missing key or value is `null`.
fn set_aside_line(seq: u64, r: &OutboxRecord, reason: &str) -> serde_json::Value {
    use crate::kafka::record::put_bytes as put;
    use serde_json::{Map, Value};
    let mut obj = Map::new();
    obj.insert(
        "set_aside_at".into(),
        Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    obj.insert("reason".into(), reason.into());
    obj.insert("seq".into(), seq.into());
    obj.insert("context".into(), r.context.clone().into());
    obj.insert("topic".into(), r.topic.clone().into());
    put(&mut obj, "key", r.key.as_deref());
    put(&mut obj, "value", r.value.as_deref());
    let headers = r
        .headers
        .iter()
        .map(|(k, v)| {
            let mut h = Map::new();
            h.insert("name".into(), k.clone().into());
            put(&mut h, "value", v.as_deref());
            Value::Object(h)
        })
        .collect();
    obj.insert("headers".into(), Value::Array(headers));
    obj.insert("enqueued_ms".into(), r.enqueued_ms.into());
    Value::Object(obj)
}

/// Writes the acknowledged position in place (16 bytes: within one sector, so
/// never torn), fsynced when `durable`.
fn write_acked(file: &File, position: u64, durable: bool) -> std::io::Result<()> {
    let mut buf = [0u8; 16];
    buf[..8].copy_from_slice(&position.to_le_bytes());
    buf[8..].copy_from_slice(&(position ^ ACKED_MAGIC).to_le_bytes());
    file.write_all_at(&buf, 0)?;
    if durable {
        file.sync_data()?;
    }
    Ok(())
}

/// Version byte of the record encoding, so a later format can be told apart.
const FORMAT: u8 = 1;

/// Length-prefixed binary: value bytes need not be UTF-8 (a DLQ record keeps
/// whatever the original record held), which rules out JSON strings.
#[cfg(test)]
fn encode_record(r: &OutboxRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + r.value.as_ref().map_or(0, Vec::len));
    encode_record_into(r, &mut out);
    out
}

/// Appends a record's encoding to `out`.
fn encode_record_into(r: &OutboxRecord, out: &mut Vec<u8>) {
    out.push(FORMAT);
    out.extend_from_slice(&r.enqueued_ms.to_be_bytes());
    put(out, Some(r.context.as_bytes()));
    put(out, Some(r.topic.as_bytes()));
    put(out, r.key.as_deref());
    put(out, r.value.as_deref());
    out.extend_from_slice(&(r.headers.len() as u32).to_be_bytes());
    for (k, v) in &r.headers {
        put(out, Some(k.as_bytes()));
        put(out, v.as_deref());
    }
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
        // The non-durable acknowledgement was made durable by close.
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(ob.depth(), 4);
    }

    #[tokio::test]
    async fn the_relay_takes_fresh_records_from_memory_once_and_the_log_still_has_them() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        for n in 0..4 {
            ob.append(rec("debate", n), None).await.unwrap();
        }
        let taken = ob.take_hot(0, 3);
        assert_eq!(
            taken,
            (0..3)
                .map(|n| (u64::from(n) + 1, rec("debate", n)))
                .collect::<Vec<_>>()
        );
        // Handed over: not again, and the next call goes on after them.
        assert!(
            ob.take_hot(0, 3).is_empty(),
            "the first is taken: read the log"
        );
        assert_eq!(ob.take_hot(4, 10), vec![(4, rec("debate", 3))]);
        // Still waiting for Kafka, so still in the log (a rewind reads it there).
        let on_disk = ob.read_from(0, 10).unwrap();
        assert_eq!(on_disk.len(), 4);
        assert_eq!(on_disk[2], (3, rec("debate", 2)));
        assert_eq!(ob.shared.hot.lock().unwrap().bytes, 0);
    }

    #[tokio::test]
    async fn past_the_memory_budget_records_come_from_the_log_and_acks_free_memory() {
        let dir = tempfile::tempdir().unwrap();
        // Room for two records.
        let limit = rec("debate", 0).weight() * 2;
        let ob = Outbox::open_with_hot_limit(dir.path(), 100, limit).unwrap();
        for n in 0..2 {
            ob.append(rec("debate", n), None).await.unwrap();
        }
        ob.append(rec("debate", 2), None).await.unwrap();
        assert_eq!(ob.shared.hot.lock().unwrap().records.len(), 2);
        // The third was not kept: the relay stops there and reads the log.
        assert_eq!(ob.take_hot(3, 10), vec![]);
        assert_eq!(ob.read_from(3, 10).unwrap(), vec![(3, rec("debate", 2))]);
        // Records delivered from the log are dropped from memory when acknowledged.
        ob.acknowledge(
            &[
                (1, "debate".into(), delivery()),
                (2, "debate".into(), delivery()),
            ],
            false,
        )
        .unwrap();
        let hot = ob.shared.hot.lock().unwrap();
        assert!(hot.records.is_empty());
        assert_eq!(hot.bytes, 0);
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

    #[tokio::test]
    async fn a_record_set_aside_is_kept_exactly_in_the_file_and_leaves_the_log_for_good() {
        use base64::Engine as _;
        let dir = tempfile::tempdir().unwrap();
        {
            let ob = Outbox::open(dir.path(), 100).unwrap();
            let (tx, rx) = oneshot::channel();
            ob.append(rec("debate", 0), None).await.unwrap();
            // Key [1] and value [0xff, 2]: not UTF-8, so base64; a text header stays text.
            let mut refused = rec("debate", 2);
            refused.key = Some(b"agg-7".to_vec());
            let seq = ob.append(refused.clone(), Some(tx)).await.unwrap();
            ob.append(rec("debate", 4), None).await.unwrap();
            let path = ob
                .set_aside(seq, &refused, "Broker: Message size too large")
                .unwrap();
            assert_eq!(path, dir.path().join(SET_ASIDE_FILE));
            let told = rx.await.unwrap().unwrap_err();
            assert!(told.contains("Message size too large"), "{told}");
            assert!(told.contains(SET_ASIDE_FILE), "{told}");
            assert_eq!(ob.depth(), 2);
            assert_eq!(ob.depth_per_context()["debate"], 2);
            let line = std::fs::read_to_string(&path).unwrap();
            assert_eq!(line.lines().count(), 1);
            let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
            assert_eq!(v["seq"], seq);
            assert_eq!(v["topic"], "debate.events");
            assert_eq!(v["context"], "debate");
            assert_eq!(v["reason"], "Broker: Message size too large");
            assert_eq!(v["key"], "agg-7");
            let value = base64::engine::general_purpose::STANDARD
                .decode(v["value_base64"].as_str().unwrap())
                .unwrap();
            assert_eq!(Some(value), refused.value);
            assert_eq!(
                v["headers"],
                serde_json::json!([{"name": "a", "value": "1"}, {"name": "b", "value": null}])
            );
            std::mem::forget(ob);
        }
        // After a crash the set-aside record is not sent again; the others are.
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(waiting(&ob), vec![1, 3]);
    }

    /// The sequence numbers still waiting, as the relay would read them.
    fn waiting(ob: &Outbox) -> Vec<u64> {
        ob.read_from(0, 10)
            .unwrap()
            .iter()
            .map(|(s, _)| *s)
            .collect()
    }

    fn delivery() -> Delivery {
        Delivery {
            topic: "t".into(),
            partition: 0,
            offset: 0,
        }
    }

    #[tokio::test]
    async fn out_of_order_acks_persist_only_the_position_below_all_of_them() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ob = Outbox::open(dir.path(), 100).unwrap();
            for n in 0..6 {
                ob.append(rec("debate", n), None).await.unwrap();
            }
            // 1, 2 and 5 delivered; 3 and 4 not yet (another partition).
            let acks: Vec<_> = [1u64, 2, 5]
                .iter()
                .map(|s| (*s, "debate".to_string(), delivery()))
                .collect();
            ob.acknowledge(&acks, true).unwrap();
            assert_eq!(ob.depth(), 3);
            assert_eq!(waiting(&ob), vec![3, 4, 6]);
            // A crash: no close.
            std::mem::forget(ob);
        }
        let ob = Outbox::open(dir.path(), 100).unwrap();
        let left: Vec<u64> = waiting(&ob);
        // 5 is sent again (a duplicate, allowed); 1 and 2 are not; nothing is lost.
        assert_eq!(left, vec![3, 4, 5, 6]);
        assert_eq!(ob.append(rec("debate", 7), None).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_torn_last_frame_is_cut_off_and_appends_continue_after_it() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ob = Outbox::open(dir.path(), 100).unwrap();
            for n in 0..3 {
                ob.append(rec("debate", n), None).await.unwrap();
            }
            ob.close();
        }
        let seg = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .max_by_key(|p| std::fs::metadata(p).unwrap().len())
            .unwrap();
        let full = std::fs::metadata(&seg).unwrap().len();
        // A crash in the middle of writing the third frame.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&seg)
            .unwrap()
            .set_len(full - 5)
            .unwrap();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        let left: Vec<u64> = waiting(&ob);
        assert_eq!(
            left,
            vec![1, 2],
            "the torn record was never acknowledged to anyone"
        );
        let seq = ob.append(rec("debate", 9), None).await.unwrap();
        ob.close();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        let all = ob.read_from(0, 10).unwrap();
        assert_eq!(all.last().unwrap().0, seq);
        assert_eq!(all.last().unwrap().1, rec("debate", 9));
        assert_eq!(all.len(), 3);
    }

    #[tokio::test]
    async fn a_flipped_byte_is_caught_by_the_checksum() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ob = Outbox::open(dir.path(), 100).unwrap();
            ob.append(rec("debate", 2), None).await.unwrap();
            ob.close();
        }
        let seg = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                std::fs::metadata(p).unwrap().len() > 16
                    && p.extension().is_some_and(|x| x == "seg")
            })
            .unwrap();
        let mut bytes = std::fs::read(&seg).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&seg, bytes).unwrap();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(ob.depth(), 0);
    }

    /// A whole, checksummed frame, as the writer makes it.
    fn frame(seq: u64, payload: &[u8]) -> Vec<u8> {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&seq.to_le_bytes());
        crc.update(payload);
        let mut out = (payload.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// Found by the outbox fuzz target: an `acked` file that checks out but
    /// names position u64::MAX overflowed the next sequence number (a panic
    /// with overflow checks, a wrap to 0 without).
    #[tokio::test]
    async fn an_acknowledged_position_past_max_seq_is_not_read_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut acked = u64::MAX.to_le_bytes().to_vec();
        acked.extend_from_slice(&(u64::MAX ^ ACKED_MAGIC).to_le_bytes());
        std::fs::write(dir.path().join(ACKED_FILE), acked).unwrap();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(ob.append(rec("debate", 1), None).await.unwrap(), 1);
        ob.close();
    }

    /// The same through a segment: a checksummed frame numbered u64::MAX
    /// (which the writer cannot have written) is damage, cut off like a
    /// torn frame; the records before it wait, and appends go on after them.
    #[tokio::test]
    async fn a_frame_numbered_past_max_seq_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = frame(1, &encode_record(&rec("debate", 1)));
        segment.extend(frame(u64::MAX, &encode_record(&rec("debate", 2))));
        std::fs::write(dir.path().join(format!("{:020}.seg", 1)), segment).unwrap();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(waiting(&ob), vec![1]);
        assert_eq!(ob.append(rec("debate", 3), None).await.unwrap(), 2);
        ob.close();
    }

    /// Found by the outbox fuzz target: two checksummed frames with one
    /// sequence number counted twice in the depth but waited as one, so the
    /// outbox never emptied (depth 1 after every record was acknowledged).
    #[test]
    fn a_sequence_number_met_twice_waits_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = frame(1, &encode_record(&rec("debate", 1)));
        segment.extend(frame(1, &encode_record(&rec("testing", 2))));
        segment.extend(frame(2, &encode_record(&rec("debate", 3))));
        std::fs::write(dir.path().join(format!("{:020}.seg", 1)), segment).unwrap();
        let ob = Outbox::open(dir.path(), 100).unwrap();
        let read = ob.read_from(0, 10).unwrap();
        assert_eq!(read, vec![(1, rec("debate", 1)), (2, rec("debate", 3))]);
        assert_eq!(ob.depth(), 2);
        assert_eq!(
            ob.depth_per_context(),
            BTreeMap::from([("debate".to_string(), 2)])
        );
        let done: Vec<_> = read
            .into_iter()
            .map(|(seq, r)| (seq, r.context, delivery()))
            .collect();
        ob.acknowledge(&done, true).unwrap();
        assert_eq!(ob.depth(), 0);
        ob.close();
    }

    #[test]
    fn acknowledged_segments_are_deleted_and_the_last_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut segments = BTreeMap::new();
        for first in [1u64, 11, 21] {
            open_segment(dir.path(), first, &mut segments).unwrap();
        }
        let mut log = Log {
            pending: BTreeMap::new(),
            segments,
            committed_next: 25,
            acked_written: 15,
        };
        log.drop_acknowledged_segments();
        assert_eq!(
            log.segments.keys().copied().collect::<Vec<_>>(),
            vec![11, 21]
        );
        log.acked_written = 24;
        log.drop_acknowledged_segments();
        assert_eq!(log.segments.keys().copied().collect::<Vec<_>>(), vec![21]);
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 1);
    }
}
