//! The Streams pane: a live tail of several topics at once. Each record arrives
//! decoded by its reader ([`Arrived`]: its glance and one-line summary, made on
//! the reader's thread) and becomes a ring entry holding the row's display text;
//! each topic has its own bounded ring with an evicted counter; the filter is
//! applied on arrival and on each keystroke, never while drawing. Only the
//! record view, copy and export read a record's whole document again, for the
//! records they show.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crossterm::event::MouseEvent;

use super::{Cx, Effect, Pane, View};
use crate::domain::schema::{NoRegistry, SchemaRef, SchemaSource};
use crate::domain::{
    DecodeOutcome, Decoded, Glance, SchemaDecoded, TopicMap, codec::hex_dump, sanitize,
    sanitize_bytes, sanitize_owned,
};
use crate::filter::{Filter, Subject};
use crate::kafka::isolation::Isolation;
use crate::kafka::{Arrived, ConsumedRecord, Original, StartAt, TxnNote, TxnState};
use crate::tui::action::Action;
use crate::tui::event::Command;
use crate::tui::fit::{self, Col};
use crate::tui::json;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;
use crate::tui::widgets::{TableCursor, step};

/// Bytes of a raw value shown as hex in the detail view.
const HEX_BYTES: usize = 4096;
/// Characters of a raw value shown as text in the detail view.
const RAW_TEXT_CHARS: usize = 4096;

/// One record as the list, the filter and the trace use it, taken from what
/// its reader worked out ([`Arrived`]); the time, key and position texts are
/// made from the record when the row is drawn (most rows of a busy stream
/// never are).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The list's sort key ([`Order`]): unique, and increasing down the list.
    pub seq: u64,
    /// Arrival order across every stream.
    pub arrival: u64,
    /// The record as read.
    pub record: ConsumedRecord,
    /// The bounded context (the event's own, else settled from the topic map or
    /// its source: [`crate::domain::DecodeOutcome::settle_context`]), else the
    /// topic's context, or `-`.
    pub context: String,
    /// The event type, or `(raw)`/`(json)`/`(tombstone)`.
    pub event_type: String,
    /// The correlation id, when the record has one.
    pub correlation: Option<String>,
    /// The event id, when the record is an event (the trace starts there).
    pub event_id: Option<String>,
    /// True when the record did not decode as what it claimed to be.
    pub has_error: bool,
    /// True while the registry schema it names is being fetched (it shows
    /// raw, and is read again when the schema is there).
    pub schema_pending: bool,
    /// A schema record's value decoded, as JSON text, once a filter with free
    /// words asked for it ([`Entry::matches`]).
    decoded_text: std::sync::OnceLock<Option<Box<str>>>,
    /// Read at `read_uncommitted`: its transaction was aborted, or was still
    /// open as far as the reader knew (`None`: committed, or not
    /// transactional).
    pub txn: Option<TxnState>,
    /// Bytes it holds, as counted against the memory budget.
    bytes: usize,
    /// The value on one line, as the reader made it.
    summary: String,
    /// The record as read when the data policies hid part of it (`record`
    /// is what may be shown; [`Entry::as_read`]); nothing on screen comes
    /// from it.
    pub original: Option<Original>,
    /// What the policies hid (the record view marks each).
    pub masked: Vec<crate::domain::policy::Hit>,
}

impl Entry {
    /// The record as read, when the data policies hid part of it.
    pub fn as_read(&self) -> Option<ConsumedRecord> {
        self.original.as_ref().map(|o| o.record(&self.record))
    }

    /// Decodes a record into an entry; `seq` is its arrival number, and the
    /// list key too (arrival order).
    pub fn new(seq: u64, record: ConsumedRecord, topics: &TopicMap) -> Self {
        Self::arrived(seq, Arrived::read(record, topics), topics)
    }

    /// An entry from a record its reader decoded (the decode is the costly
    /// part, so the reader does it once, and the Flows graph and the list
    /// share it).
    pub fn arrived(seq: u64, arrived: Arrived, topics: &TopicMap) -> Self {
        let Arrived {
            record,
            glance,
            summary,
            original,
            hits,
        } = arrived;
        // The glance's text is sanitized already.
        let context = glance.context.unwrap_or_else(|| {
            topics
                .context_for_topic(&record.topic)
                .unwrap_or("-")
                .to_string()
        });
        let mut event_type = glance
            .event_type
            .unwrap_or_else(|| format!("({})", glance.kind.as_str()));
        // A dead letter carries its original's context and type: say so.
        if topics.is_dlq(&record.topic) {
            event_type = format!("DLQ {event_type}");
        }
        // The entry (boxed in its ring) and every string it keeps, at the
        // size it was allocated.
        let bytes = std::mem::size_of::<Box<Self>>()
            + std::mem::size_of::<Self>()
            + record.heap_bytes()
            + original.as_ref().map_or(0, |o| o.heap_bytes())
            + context.capacity()
            + event_type.capacity()
            + glance.correlation_id.as_ref().map_or(0, String::capacity)
            + glance.event_id.as_ref().map_or(0, String::capacity)
            + summary.capacity();
        Self {
            seq,
            arrival: seq,
            correlation: glance.correlation_id,
            event_id: glance.event_id,
            has_error: glance.has_error,
            schema_pending: glance.schema_pending,
            decoded_text: std::sync::OnceLock::new(),
            txn: None,
            bytes,
            context,
            event_type,
            record,
            summary,
            original,
            masked: hits,
        }
    }

    /// `HH:MM:SS.mmm` (UTC), or `-`.
    pub fn time(&self) -> String {
        self.record.timestamp_ms.map_or_else(|| "-".into(), clock)
    }

    /// The key as the list shows it: decoded with its registry schema when
    /// it names one `schemas` has (a string as itself, anything else as
    /// compact JSON), else as [`Entry::key`] shows it.
    pub fn key_shown(&self, schemas: &dyn SchemaSource) -> String {
        let decoded = crate::domain::codec::decode_key_with_schemas(
            self.record.key.as_deref(),
            &self.record.headers,
            &self.record.topic,
            schemas,
        );
        match decoded.map(|d| d.value) {
            Some(Ok(serde_json::Value::String(text))) => {
                crate::domain::sanitize(&text).into_owned()
            }
            Some(Ok(other)) => crate::domain::sanitize(&other.to_string()).into_owned(),
            _ => self.key(),
        }
    }

    /// The key as text on one line, sanitized, or `-`.
    pub fn key(&self) -> String {
        self.record
            .key
            .as_deref()
            .map_or_else(|| "-".into(), sanitize_bytes)
    }

    /// `partition@offset`.
    pub fn position(&self) -> String {
        format!("{}@{}", self.record.partition, self.record.offset)
    }

    /// A one-line summary of the value.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// What the filter looks at.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            record: &self.record,
            event_type: &self.event_type,
            context: &self.context,
            correlation: self.correlation.as_deref(),
            decoded: None,
        }
    }

    /// True when `filter` matches, a schema record's free words judged on
    /// its decoded value too (decoded once, the first time a filter with
    /// free words asks, when the record names a schema `schemas` has).
    pub fn matches(
        &self,
        filter: &Filter,
        schemas: Option<&(dyn SchemaSource + Send + Sync)>,
    ) -> bool {
        let decoded = match schemas {
            Some(schemas) if filter.has_text() && crate::find::schema_framed(&self.record) => self
                .decoded_text
                .get_or_init(|| {
                    crate::domain::decode_with_schemas(
                        self.record.value.as_deref(),
                        &self.record.headers,
                        &self.record.topic,
                        &TopicMap::default(),
                        schemas,
                    )
                    .schema_value
                    .map(|v| v.to_string().into_boxed_str())
                })
                .as_deref(),
            _ => None,
        };
        let mut subject = self.subject();
        subject.decoded = decoded;
        filter.matches(&subject)
    }

    /// The record as one `eventdeck tail --format json` line (decoded with
    /// its registry schema when `schemas` has it).
    pub fn to_json_line(&self, topics: &TopicMap, schemas: &dyn SchemaSource) -> String {
        self.record
            .to_json(&self.record.decode_with(topics, schemas))
            .to_string()
    }
}

/// `HH:MM:SS.mmm` (UTC) of a timestamp in milliseconds; arithmetic rather than
/// chrono's formatter, which is measurably slower per record.
fn clock(ms: i64) -> String {
    let ms_of_day = ms.rem_euclid(86_400_000);
    let (s, milli) = (ms_of_day / 1000, ms_of_day % 1000);
    format!(
        "{:02}:{:02}:{:02}.{milli:03}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// By record timestamp: with several partitions records arrive out of
    /// time order, and a late one is placed where it belongs (causes above
    /// their effects). Equal timestamps keep arrival order.
    #[default]
    Time,
    /// In the order the records arrived.
    Arrival,
}

/// Low bits of a time key that hold the arrival number, so keys are unique
/// and equal timestamps keep arrival order (4M records per millisecond).
const TIE_BITS: u32 = 22;

impl Order {
    /// The list key of a record that arrived `arrival`th with this timestamp
    /// (a record without one sorts at `now_ms`).
    fn key(self, arrival: u64, timestamp_ms: Option<i64>, now_ms: i64) -> u64 {
        match self {
            Self::Arrival => arrival,
            Self::Time => {
                let ms = timestamp_ms.unwrap_or(now_ms).max(0) as u64;
                (ms << TIE_BITS) | (arrival & ((1 << TIE_BITS) - 1))
            }
        }
    }

    /// What the stream bar says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Time => strings::STREAMS_BY_TIME,
            Self::Arrival => strings::STREAMS_BY_ARRIVAL,
        }
    }
}

/// One topic's ring: its newest records, how many it evicted, and (while a
/// filter is set) which of its records match.
#[derive(Debug, Clone)]
pub struct StreamRing {
    /// The topic.
    pub topic: String,
    /// Boxed: a late record is inserted mid-ring (by time), and moving
    /// pointers there instead of whole entries made reading a backlog of
    /// several partitions from the beginning many times faster.
    entries: VecDeque<Box<Entry>>,
    /// Sequence numbers of the matching entries (`None`: no filter).
    matches: Option<VecDeque<u64>>,
    /// Records dropped from this ring to stay within its size.
    pub evicted: u64,
    /// Records received since the stream (re)started.
    pub received: u64,
    /// The last problem reading this topic, if it has not recovered.
    pub problem: Option<String>,
}

impl StreamRing {
    fn new(topic: String) -> Self {
        Self {
            topic,
            entries: VecDeque::new(),
            matches: None,
            evicted: 0,
            received: 0,
            problem: None,
        }
    }

    /// Records kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rows this ring contributes to the list (after the filter).
    fn view_len(&self) -> usize {
        match &self.matches {
            Some(m) => m.len(),
            None => self.entries.len(),
        }
    }

    /// The sequence number of this ring's `j`th row.
    fn view_seq(&self, j: usize) -> Option<u64> {
        match &self.matches {
            Some(m) => m.get(j).copied(),
            None => self.entries.get(j).map(|e| e.seq),
        }
    }

    /// Places an entry by its key: a late record goes where it belongs (a
    /// search from the back, since most arrive in order).
    fn insert(&mut self, entry: Entry, matches: bool) {
        if let Some(m) = self.matches.as_mut()
            && matches
        {
            let at = m.partition_point(|s| *s < entry.seq);
            m.insert(at, entry.seq);
        }
        let entry = Box::new(entry);
        match self.entries.back() {
            Some(last) if last.seq > entry.seq => {
                let at = self.entries.partition_point(|e| e.seq < entry.seq);
                self.entries.insert(at, entry);
            }
            _ => self.entries.push_back(entry),
        }
    }

    /// How many of this ring's rows come before `seq`.
    fn view_rank(&self, seq: u64) -> usize {
        match &self.matches {
            Some(m) => m.partition_point(|s| *s < seq),
            None => self.entries.partition_point(|e| e.seq < seq),
        }
    }

    fn entry(&self, seq: u64) -> Option<&Entry> {
        let i = self.entries.binary_search_by_key(&seq, |e| e.seq).ok()?;
        self.entries.get(i).map(|e| &**e)
    }
}

/// A record's detail view: lines built when it opened.
#[derive(Debug, Clone)]
pub struct DetailState {
    /// The record's entry sequence number.
    pub seq: u64,
    /// What to draw, top to bottom.
    pub lines: Vec<Line<'static>>,
    /// First line shown.
    pub scroll: usize,
}

/// Everything the Streams pane shows.
///
/// Records live in one ring per topic, so evicting the oldest record of a full
/// ring is O(1) whatever the other topics do. The list is the merge of the rings
/// by arrival order (`seq`): a row index maps to a record by a binary search over
/// sequence numbers, and the visible rows are read by a k-way merge from there.
#[derive(Debug)]
pub struct StreamsState {
    capacity: usize,
    streams: Vec<StreamRing>,
    /// Arrival number of the next record.
    next_seq: u64,
    /// Bytes the kept records hold, and the most they may.
    held_bytes: usize,
    budget_bytes: usize,
    /// One past the largest list key given out.
    key_end: u64,
    order: Order,
    filter_text: String,
    filter: Filter,
    selected: Option<u64>,
    /// The newest record stays selected.
    pub follow: bool,
    /// Reading is paused: records wait in Kafka, nothing is lost.
    pub paused: bool,
    /// Where the current streams started ("end", "beginning", "offset 42", …).
    pub start_label: String,
    /// Where the current streams started, to start again there at the other
    /// isolation level.
    pub start: StartAt,
    /// The isolation level the streams read at.
    pub isolation: Isolation,
    /// The open detail view.
    pub detail: Option<DetailState>,
    /// Records received in total.
    pub total_received: u64,
    /// The open correlation trace, over the list.
    pub trace: Option<super::trace::TraceState>,
    topics: TopicMap,
    /// Where registry schemas are found (`None`: no registry). Asked without
    /// waiting: a schema not fetched yet reads as pending.
    schemas: Option<Arc<dyn SchemaSource + Send + Sync>>,
    /// Records kept whose schema was pending when they arrived.
    schema_pending: usize,
    /// The window the list is drawn through (the selection is the pane's
    /// own: a record, by sequence, so it survives records arriving).
    view: TableCursor,
}

/// Records read again at most per schema fetch (the rest wait for the next
/// round: one round is one message, however many records are pending).
pub const REDECODE_BATCH: usize = 10_000;

impl StreamsState {
    /// The same pane, labelled as started from `label`.
    pub fn starting_at(mut self, label: String) -> Self {
        self.start_label = label;
        self
    }

    /// The same pane, its streams started at `start`.
    pub fn started(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// Marks the records these notes name (read at `read_uncommitted`: their
    /// transactions were aborted, or still open); true when one was kept.
    pub fn mark_txn(&mut self, notes: &[TxnNote]) -> bool {
        let mut marked = false;
        for n in notes {
            let Some(s) = self.streams.iter_mut().find(|s| s.topic == n.topic) else {
                continue;
            };
            // A note comes just after its record: look from the newest.
            if let Some(e) = s
                .entries
                .iter_mut()
                .rev()
                .find(|e| e.record.partition == n.partition && e.record.offset == n.offset)
            {
                e.txn = Some(n.state);
                marked = true;
            }
        }
        marked
    }

    /// An empty pane over `topics`, keeping `capacity` records per topic.
    pub fn new(topics: &[String], capacity: usize, topic_map: TopicMap) -> Self {
        Self {
            capacity: capacity.max(1),
            streams: topics.iter().cloned().map(StreamRing::new).collect(),
            next_seq: 0,
            held_bytes: 0,
            budget_bytes: usize::MAX,
            key_end: 0,
            order: Order::default(),
            filter_text: String::new(),
            filter: Filter::default(),
            selected: None,
            follow: true,
            paused: false,
            start_label: "end".into(),
            start: StartAt::End,
            isolation: Isolation::ReadCommitted,
            detail: None,
            total_received: 0,
            trace: None,
            topics: topic_map,
            schemas: None,
            schema_pending: 0,
            view: TableCursor::default(),
        }
    }

    /// Reads schema-framed records with `schemas` from now on (the record
    /// view, copy and export too).
    pub fn set_schemas(&mut self, schemas: Option<Arc<dyn SchemaSource + Send + Sync>>) {
        self.schemas = schemas;
    }

    /// The registry schemas records are read with ([`NoRegistry`] when none).
    pub fn schemas(&self) -> &dyn SchemaSource {
        match &self.schemas {
            Some(s) => s.as_ref(),
            None => &NoRegistry,
        }
    }

    /// True while some record kept arrived before its schema did.
    pub fn has_schema_pending(&self) -> bool {
        self.schema_pending > 0
    }

    /// Up to `max` records kept while their schema was pending, with their
    /// arrival numbers: to read again when a fetch ends ([`Self::redecoded`]).
    pub fn pending_schema_records(&self, max: usize) -> Vec<(u64, ConsumedRecord)> {
        if self.schema_pending == 0 {
            return Vec::new();
        }
        self.streams
            .iter()
            .flat_map(|r| r.entries.iter())
            .filter(|e| e.schema_pending)
            .take(max)
            // As read: it is masked again once decoded (`runtime::redecode_shown`).
            .map(|e| (e.arrival, e.as_read().unwrap_or_else(|| e.record.clone())))
            .collect()
    }

    /// Puts records read again ([`Self::pending_schema_records`], by arrival
    /// number) in place of what they were, where they still are (one may have
    /// been evicted, the list reordered): same place in the list, the filter
    /// asked again.
    pub fn redecoded(&mut self, records: Vec<(u64, Arrived)>) {
        let mut records: std::collections::HashMap<u64, Arrived> = records.into_iter().collect();
        for ring in &mut self.streams {
            let mut changed = false;
            for slot in ring.entries.iter_mut() {
                if records.is_empty() {
                    break;
                }
                let Some(arrived) = records.remove(&slot.arrival) else {
                    continue;
                };
                let mut entry = Entry::arrived(slot.arrival, arrived, &self.topics);
                entry.seq = slot.seq;
                self.held_bytes = self.held_bytes - slot.bytes + entry.bytes;
                self.schema_pending = self.schema_pending - usize::from(slot.schema_pending)
                    + usize::from(entry.schema_pending);
                **slot = entry;
                changed = true;
            }
            if changed && ring.matches.is_some() {
                let filter = &self.filter;
                let schemas = self.schemas.as_deref();
                ring.matches = Some(
                    ring.entries
                        .iter()
                        .filter(|e| e.matches(filter, schemas))
                        .map(|e| e.seq)
                        .collect(),
                );
            }
        }
    }

    /// The same pane, holding at most `bytes` of records across every
    /// stream (the oldest are evicted first, and counted).
    pub fn with_memory_budget(mut self, bytes: usize) -> Self {
        self.budget_bytes = bytes.max(1);
        self
    }

    /// Changes the budget (the console's budget less what other panes hold),
    /// evicting the oldest records at once when they are over it.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.budget_bytes = bytes.max(1);
        while self.held_bytes > self.budget_bytes && self.len() > 1 {
            self.evict_oldest();
        }
    }

    /// Bytes the kept records hold now.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// The streams, in the order they were asked for.
    pub fn streams(&self) -> &[StreamRing] {
        &self.streams
    }

    /// Records kept across every stream.
    pub fn len(&self) -> usize {
        self.streams.iter().map(StreamRing::len).sum()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.streams.iter().all(StreamRing::is_empty)
    }

    /// The filter as typed.
    pub fn filter_text(&self) -> &str {
        &self.filter_text
    }

    /// Decodes records here and appends them (tests, and callers without a
    /// reader of their own: the console's readers decode, [`Self::append`]).
    pub fn ingest<I: IntoIterator<Item = ConsumedRecord>>(&mut self, records: I) {
        let arrived: Vec<Arrived> = self.arrive(records);
        self.append(arrived);
    }

    /// What a reader would hand on for these records ([`Arrived::read`] with
    /// the pane's topic map).
    pub fn arrive<I: IntoIterator<Item = ConsumedRecord>>(&self, records: I) -> Vec<Arrived> {
        self.arrive_shown(records, &crate::domain::policy::Policies::default())
    }

    /// [`StreamsState::arrive`] with the data policies applied, as the
    /// console's readers apply them ([`Arrived::read_listed`]).
    pub fn arrive_shown<I: IntoIterator<Item = ConsumedRecord>>(
        &self,
        records: I,
        policies: &crate::domain::policy::Policies,
    ) -> Vec<Arrived> {
        records
            .into_iter()
            .map(|r| match &self.schemas {
                Some(schemas) => {
                    Arrived::read_listed(r, &self.topics, Some(schemas.as_ref()), policies)
                }
                None => Arrived::read_listed(r, &self.topics, None, policies),
            })
            .collect()
    }

    /// Appends records their reader decoded, evicting the oldest of a full
    /// stream. No decoding happens here.
    pub fn append<I: IntoIterator<Item = Arrived>>(&mut self, arrived: I) {
        self.append_with(arrived, |_, _| {});
    }

    /// [`StreamsState::append`], showing each record and its glance to `also`
    /// first (the Flows graph reads the same decode).
    pub fn append_with<I, F>(&mut self, arrived: I, mut also: F)
    where
        I: IntoIterator<Item = Arrived>,
        F: FnMut(&ConsumedRecord, &Glance),
    {
        let now_ms = chrono::Utc::now().timestamp_millis();
        for a in arrived {
            let arrival = self.next_seq;
            self.next_seq += 1;
            also(&a.record, &a.glance);
            let mut entry = Entry::arrived(arrival, a, &self.topics);
            entry.seq = self.order.key(arrival, entry.record.timestamp_ms, now_ms);
            self.push(entry);
        }
    }

    /// How the list is ordered now.
    pub fn order(&self) -> Order {
        self.order
    }

    /// Orders the list by time or by arrival; the selection and the open
    /// record stay on the same records.
    pub fn set_order(&mut self, order: Order) {
        if order == self.order {
            return;
        }
        let selected = self
            .selected
            .and_then(|s| self.entry_by_seq(s))
            .map(|e| e.arrival);
        let detail = self.detail_entry().map(|e| e.arrival);
        self.order = order;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut key_end = 0;
        let mut rekeyed: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
        for ring in &mut self.streams {
            for e in ring.entries.iter_mut() {
                e.seq = order.key(e.arrival, e.record.timestamp_ms, now_ms);
                key_end = key_end.max(e.seq + 1);
                if Some(e.arrival) == selected || Some(e.arrival) == detail {
                    rekeyed.insert(e.arrival, e.seq);
                }
            }
            ring.entries.make_contiguous().sort_by_key(|e| e.seq);
        }
        self.key_end = key_end;
        self.selected = selected.and_then(|a| rekeyed.get(&a).copied());
        if let Some(d) = self.detail.as_mut() {
            match detail.and_then(|a| rekeyed.get(&a)) {
                Some(&seq) => d.seq = seq,
                None => self.detail = None,
            }
        }
        let text = self.filter_text.clone();
        self.set_filter(&text);
    }

    fn push(&mut self, entry: Entry) {
        self.total_received += 1;
        let idx = match self
            .streams
            .iter()
            .position(|s| s.topic == entry.record.topic)
        {
            Some(i) => i,
            None => {
                // A record from a topic we did not ask for by name (a context
                // resolved differently): give it its own stream.
                let mut ring = StreamRing::new(entry.record.topic.clone());
                if !self.filter.is_empty() {
                    ring.matches = Some(VecDeque::new());
                }
                self.streams.push(ring);
                self.streams.len() - 1
            }
        };
        let matches =
            !self.filter.is_empty() && entry.matches(&self.filter, self.schemas.as_deref());
        let capacity = self.capacity;
        self.key_end = self.key_end.max(entry.seq + 1);
        self.held_bytes += entry.bytes;
        self.schema_pending += usize::from(entry.schema_pending);
        let ring = &mut self.streams[idx];
        ring.received += 1;
        ring.problem = None;
        ring.insert(entry, matches);
        if ring.entries.len() > capacity
            && let Some(old) = ring.entries.pop_front()
        {
            ring.evicted += 1;
            self.held_bytes -= old.bytes;
            self.schema_pending -= usize::from(old.schema_pending);
            if let Some(m) = ring.matches.as_mut()
                && m.front() == Some(&old.seq)
            {
                m.pop_front();
            }
        }
        while self.held_bytes > self.budget_bytes && self.len() > 1 {
            self.evict_oldest();
        }
    }

    /// Drops the oldest record kept in any stream (the smallest list key).
    fn evict_oldest(&mut self) {
        let Some(ring) = self
            .streams
            .iter_mut()
            .filter(|r| !r.entries.is_empty())
            .min_by_key(|r| r.entries.front().map_or(u64::MAX, |e| e.seq))
        else {
            return;
        };
        let Some(old) = ring.entries.pop_front() else {
            return;
        };
        ring.evicted += 1;
        self.held_bytes -= old.bytes;
        self.schema_pending -= usize::from(old.schema_pending);
        if let Some(m) = ring.matches.as_mut()
            && m.front() == Some(&old.seq)
        {
            m.pop_front();
        }
    }

    /// Forgets every record (a seek starts over); counters restart too.
    pub fn clear(&mut self, start_label: impl Into<String>) {
        self.held_bytes = 0;
        self.schema_pending = 0;
        for s in &mut self.streams {
            s.entries.clear();
            if let Some(m) = s.matches.as_mut() {
                m.clear();
            }
            s.evicted = 0;
            s.received = 0;
            s.problem = None;
        }
        self.selected = None;
        self.follow = true;
        self.detail = None;
        self.view.reset();
        self.start_label = start_label.into();
    }

    /// Records a problem reading `topic` (shown in the stream bar until it recovers).
    pub fn set_problem(&mut self, topic: &str, problem: Option<String>) {
        if let Some(s) = self.streams.iter_mut().find(|s| s.topic == topic) {
            s.problem = problem;
        }
    }

    /// Sets the filter and recomputes the matches over what is kept.
    pub fn set_filter(&mut self, text: &str) {
        self.filter_text = text.to_string();
        self.filter = Filter::parse(text);
        let filter = &self.filter;
        let schemas = self.schemas.as_deref();
        for ring in &mut self.streams {
            ring.matches = (!filter.is_empty()).then(|| {
                ring.entries
                    .iter()
                    .filter(|e| e.matches(filter, schemas))
                    .map(|e| e.seq)
                    .collect()
            });
        }
    }

    /// How many rows the list has (after the filter).
    pub fn visible_len(&self) -> usize {
        self.streams.iter().map(StreamRing::view_len).sum()
    }

    /// Rows before `seq` in the list.
    fn rank(&self, seq: u64) -> usize {
        self.streams.iter().map(|r| r.view_rank(seq)).sum()
    }

    /// The sequence number of row `i`: the smallest `s` with more than `i` rows
    /// at or before it, by binary search over sequence numbers.
    fn seq_at(&self, i: usize) -> Option<u64> {
        if i >= self.visible_len() {
            return None;
        }
        let mut lo = self.streams.iter().filter_map(|r| r.view_seq(0)).min()?;
        let mut hi = self.key_end;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.rank(mid + 1) > i {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo)
    }

    fn entry_by_seq(&self, seq: u64) -> Option<&Entry> {
        self.streams.iter().find_map(|r| r.entry(seq))
    }

    /// Rows from `start` on, in list order (a k-way merge of the rings).
    pub fn rows_from(&self, start: usize) -> impl Iterator<Item = &Entry> + '_ {
        let first = self.seq_at(start);
        let mut pos: Vec<usize> = match first {
            Some(s) => self.streams.iter().map(|r| r.view_rank(s)).collect(),
            None => self.streams.iter().map(StreamRing::view_len).collect(),
        };
        std::iter::from_fn(move || {
            let (k, seq) = self
                .streams
                .iter()
                .enumerate()
                .filter_map(|(k, r)| r.view_seq(pos[k]).map(|s| (k, s)))
                .min_by_key(|(_, s)| *s)?;
            pos[k] += 1;
            self.streams[k].entry(seq)
        })
    }

    /// The `i`th row of the list (after the filter).
    pub fn visible(&self, i: usize) -> Option<&Entry> {
        self.seq_at(i).and_then(|s| self.entry_by_seq(s))
    }

    /// The selected row's index, if any row exists.
    pub fn selected_index(&self) -> Option<usize> {
        let n = self.visible_len();
        if n == 0 {
            return None;
        }
        if self.follow {
            return Some(n - 1);
        }
        let i = self.selected.map_or(n - 1, |s| self.rank(s));
        Some(i.min(n - 1))
    }

    /// The selected record.
    pub fn selected_entry(&self) -> Option<&Entry> {
        self.selected_index().and_then(|i| self.visible(i))
    }

    /// Selects the row at `i` (clamped); leaves follow mode unless it is the last.
    pub fn select_index(&mut self, i: usize) {
        let n = self.visible_len();
        if n == 0 {
            return;
        }
        let i = i.min(n - 1);
        self.selected = self.seq_at(i);
        self.follow = i == n - 1 && self.follow;
    }

    /// Moves the selection by `delta` rows.
    pub fn move_by(&mut self, delta: isize) {
        let Some(cur) = self.selected_index() else {
            return;
        };
        let n = self.visible_len();
        let next = cur.saturating_add_signed(delta).min(n.saturating_sub(1));
        self.follow = false;
        self.selected = self.seq_at(next);
    }

    /// Rows in one page of the list, as last drawn.
    pub fn page(&self) -> usize {
        self.view.page()
    }

    /// The list row under screen row `y`, if any.
    pub fn row_at(&self, y: u16) -> Option<usize> {
        self.view.row_at(y, self.visible_len())
    }

    /// Opens the selected record's detail view.
    pub fn open_detail(&mut self, theme: &Theme) -> bool {
        let Some(e) = self.selected_entry() else {
            return false;
        };
        self.detail = Some(DetailState {
            seq: e.seq,
            lines: detail_lines(e, &self.topics, self.schemas(), theme),
            scroll: 0,
        });
        true
    }

    /// Rebuilds the open detail view (after a theme change).
    pub fn refresh_detail(&mut self, theme: &Theme) {
        let Some(seq) = self.detail.as_ref().map(|d| d.seq) else {
            return;
        };
        let scroll = self.detail.as_ref().map_or(0, |d| d.scroll);
        if let Some(e) = self.entry_by_seq(seq) {
            let lines = detail_lines(e, &self.topics, self.schemas(), theme);
            self.detail = Some(DetailState { seq, lines, scroll });
        }
    }

    /// The record the detail view shows (it may have been evicted since).
    pub fn detail_entry(&self) -> Option<&Entry> {
        self.entry_by_seq(self.detail.as_ref()?.seq)
    }

    /// Scrolls the detail view.
    pub fn scroll_detail(&mut self, delta: isize) {
        if let Some(d) = self.detail.as_mut() {
            let max = d.lines.len().saturating_sub(1);
            d.scroll = d.scroll.saturating_add_signed(delta).min(max);
        }
    }

    /// True when any record in memory (in any stream, filtered or not)
    /// satisfies `f`.
    pub fn holds(&self, f: impl Fn(&Entry) -> bool) -> bool {
        self.streams.iter().any(|s| s.entries.iter().any(|e| f(e)))
    }

    /// The context → topic map the streams are read with.
    pub fn topic_map(&self) -> &TopicMap {
        &self.topics
    }

    /// Every row the filter lets through, as JSON lines (for export).
    pub fn visible_json_lines(&self) -> Vec<String> {
        self.rows_from(0)
            .map(|e| e.to_json_line(&self.topics, self.schemas()))
            .collect()
    }

    fn render_bar(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        // A narrow screen drops whole fields: the last topics' counts first,
        // then where reading started; the state and the filter stay.
        let mut fields: Vec<fit::Field<'_>> = Vec::new();
        if self.paused {
            fields.push(fit::Field::new(
                0,
                vec![Span::styled(
                    "⏸ PAUSED ",
                    Style::new().fg(theme.warn).add_modifier(Modifier::BOLD),
                )],
            ));
        } else if self.follow {
            fields.push(fit::Field::new(
                0,
                vec![Span::styled("▼ follow ", Style::new().fg(theme.ok))],
            ));
        }
        // read_committed is the default and goes unsaid, as following does
        // not say "not paused".
        if self.isolation == Isolation::ReadUncommitted {
            fields.push(fit::Field::new(
                0,
                vec![Span::styled(
                    "read_uncommitted ",
                    Style::new().fg(theme.warn).add_modifier(Modifier::BOLD),
                )],
            ));
        }
        fields.push(fit::Field::new(
            2,
            vec![Span::styled(
                format!("from {} · {} ", self.start_label, self.order.label()),
                theme.dimmed(),
            )],
        ));
        let mut spans = Vec::new();
        if !self.filter.unknown_fields().is_empty() {
            spans.push(Span::styled(
                format!(
                    "filter: {} ({}) ",
                    self.filter_text,
                    strings::filter_unknown_fields(self.filter.unknown_fields())
                ),
                Style::new().fg(theme.error),
            ));
        } else if !self.filter_text.is_empty() {
            spans.push(Span::styled(
                format!(
                    "filter: {} ({} match) ",
                    self.filter_text,
                    self.visible_len()
                ),
                Style::new().fg(theme.accent),
            ));
        }
        if !spans.is_empty() {
            fields.push(fit::Field::shrinking(1, 12, std::mem::take(&mut spans)));
        }
        for (i, s) in self.streams.iter().enumerate() {
            let mut spans = Vec::new();
            if i > 0 {
                spans.push(Span::styled(" · ", theme.dimmed()));
            } else {
                spans.push(Span::styled("│ ", theme.dimmed()));
            }
            let color = self
                .topics
                .context_for_topic(&s.topic)
                .map_or(theme.fg, |c| theme.context_color(c));
            spans.push(Span::styled(s.topic.clone(), Style::new().fg(color)));
            let mut info = format!(" {}", s.len());
            if s.evicted > 0 {
                info.push_str(&format!(" (-{} evicted)", s.evicted));
            }
            spans.push(Span::styled(info, theme.dimmed()));
            if let Some(p) = &s.problem {
                // The full text is in the toast and the log; the bar stays one line.
                let short = if p.contains("does not exist") {
                    strings::STREAM_MISSING
                } else {
                    strings::STREAM_RETRYING
                };
                spans.push(Span::styled(
                    format!(" ⚠ {short}"),
                    Style::new().fg(theme.warn),
                ));
            }
            let priority = 3u8.saturating_add(u8::try_from(i).unwrap_or(u8::MAX));
            fields.push(fit::Field::new(priority, spans));
        }
        // Topics that do not fit are counted at the end, not left out unsaid.
        let width = usize::from(area.width);
        let sep = Span::raw("");
        let (mut line, dropped) = fit::fields_counted(fields.clone(), &sep, width);
        if dropped > 0 {
            let room = fit::width(&strings::streams_not_shown(fields.len()));
            let (fitted, dropped) = fit::fields_counted(fields, &sep, width.saturating_sub(room));
            line = fitted;
            line.spans.push(Span::styled(
                strings::streams_not_shown(dropped),
                theme.dimmed(),
            ));
        }
        line.render_into(area, buf);
    }

    fn render_list(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        let n = self.visible_len();
        // Following, the selection is the newest row: the window ends there.
        let selected = self.selected_index().unwrap_or(0);
        let offset = self.view.window_for(area, 1, selected, n);
        if area.height < 2 {
            return;
        }
        let title_style = theme.dimmed().add_modifier(Modifier::BOLD);
        let y = area.y;
        let rows = usize::from(area.height - 1);
        let shown: Vec<&Entry> = self.rows_from(offset).take(rows).collect();
        let texts: Vec<[String; 6]> = shown
            .iter()
            .map(|e| {
                [
                    e.time(),
                    e.context.clone(),
                    match e.txn {
                        Some(TxnState::Aborted) => {
                            format!("{}{}", strings::TXN_ABORTED_MARK, e.event_type)
                        }
                        Some(TxnState::Open) => {
                            format!("{}{}", strings::TXN_OPEN_MARK, e.event_type)
                        }
                        None => e.event_type.clone(),
                    },
                    e.key_shown(self.schemas()),
                    e.position(),
                    e.summary().to_string(),
                ]
            })
            .collect();
        let cols = Columns::fit(&texts, area);
        // Column titles.
        for (x, w, text) in cols.cells(strings::STREAMS_COLUMNS) {
            buf.set_string(x, y, fit::cut(text, w), title_style);
        }
        if n == 0 {
            let text = if self.is_empty() {
                strings::STREAMS_EMPTY
            } else {
                strings::STREAMS_NO_MATCH
            };
            buf.set_stringn(area.x, y + 1, text, usize::from(area.width), theme.dimmed());
            return;
        }
        for (row, (e, cells)) in shown.iter().zip(&texts).enumerate() {
            let i = offset + row;
            let y = area.y + 1 + row as u16;
            let base = if i == selected {
                Style::new().bg(theme.selection).fg(theme.fg)
            } else {
                theme.text()
            };
            if i == selected {
                buf.set_style(Rect::new(area.x, y, area.width, 1), base);
            }
            let ctx_style = base.fg(theme.context_color(&e.context));
            let summary_style = if e.txn == Some(TxnState::Aborted) {
                base.fg(theme.dim).add_modifier(Modifier::CROSSED_OUT)
            } else if e.has_error {
                base.fg(theme.error)
            } else {
                base
            };
            let type_style = if e.txn == Some(TxnState::Aborted) {
                base.fg(theme.warn).add_modifier(Modifier::BOLD)
            } else {
                base.add_modifier(Modifier::BOLD)
            };
            let styles = [
                base.fg(theme.dim),
                ctx_style,
                type_style,
                base,
                base.fg(theme.dim),
                summary_style,
            ];
            let texts: [&str; 6] = std::array::from_fn(|k| cells[k].as_str());
            for ((x, w, text), style) in cols.cells(texts).zip(styles) {
                buf.set_string(x, y, fit::cut(text, w), style);
            }
        }
    }

    fn render_detail(&self, frame: &mut Frame<'_>, area: Rect, d: &DetailState, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.dimmed())
            .title(Span::styled(strings::DETAIL_TITLE, theme.strong()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let rows = usize::from(inner.height);
        let w = usize::from(inner.width);
        let lines: Vec<Line<'static>> = d
            .lines
            .iter()
            .skip(d.scroll)
            .take(rows)
            .map(|l| fit::line(l.clone(), w))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

/// Column layout of the list for a width: `(width of each fixed column)`.
struct Columns {
    /// `(x, width)` of each kept column.
    kept: [Option<(u16, usize)>; 6],
}

/// Time, context, type, key, partition@offset, summary: the time and the
/// position are numbers (whole or dropped); the summary takes what is left.
const COLUMNS: [Col; 6] = [
    Col::whole(0),
    Col::text(4, 5),
    Col::text(1, 8).at_most(20),
    Col::text(2, 6).at_most(16),
    Col::whole(3),
    Col::text(5, 8).grow(),
];

impl Columns {
    /// The columns fitted to `area` for the rows on screen.
    fn fit(texts: &[[String; 6]], area: Rect) -> Self {
        let titles: Vec<usize> = strings::STREAMS_COLUMNS
            .iter()
            .map(|t| fit::width(t))
            .collect();
        let cells =
            fit::content_widths(&[""; 6], texts.iter().map(|r| r.iter().map(String::as_str)));
        let widths = fit::fit(&COLUMNS, &titles, &cells, area.width, 1);
        let mut kept = [None; 6];
        let mut x = area.x;
        for (k, w) in widths.iter().enumerate() {
            if let Some(w) = w {
                kept[k] = Some((x, usize::from(*w)));
                x += w + 1;
            }
        }
        Self { kept }
    }

    /// `(x, width, text)` of each kept column.
    fn cells<'a>(
        &'a self,
        texts: [&'a str; 6],
    ) -> impl Iterator<Item = (u16, usize, &'a str)> + 'a {
        self.kept
            .iter()
            .zip(texts)
            .filter_map(|(k, t)| k.map(|(x, w)| (x, w, t)))
    }
}

impl Pane for StreamsState {
    fn title(&self) -> &'static str {
        strings::TAB_STREAMS
    }

    fn mode(&self) -> Mode {
        if self.trace.is_some() {
            Mode::Trace
        } else if self.detail.is_some() {
            Mode::Detail
        } else {
            Mode::Streams
        }
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        match self.mode() {
            Mode::Trace => self.handle_trace(action),
            Mode::Detail => self.handle_detail(action, cx),
            _ => self.handle_list(action, cx),
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        match (&mut self.trace, &self.detail) {
            (Some(t), _) => t.scroll_by(rows),
            (None, Some(_)) => self.scroll_detail(rows),
            (None, None) => self.move_by(rows),
        }
        true
    }

    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        if self.trace.is_some() || self.detail.is_some() {
            return false;
        }
        let Some(i) = self.row_at(m.row) else {
            return false;
        };
        if self.selected_index() == Some(i) {
            self.handle(Action::Open, cx);
        } else {
            self.follow = false;
            self.select_index(i);
        }
        true
    }

    fn set_filter(&mut self, text: &str) -> bool {
        StreamsState::set_filter(self, text);
        true
    }

    fn palette(&mut self, verb: &str, arg: &str, cx: &mut Cx<'_>) -> bool {
        match verb {
            "seek" => match arg.parse::<StartAt>() {
                Ok(start) => cx.effect(Effect::Seek {
                    start,
                    label: arg.to_string(),
                }),
                Err(e) => cx.error(e),
            },
            "filter" => {
                StreamsState::set_filter(self, arg);
                cx.go(Tab::Streams);
            }
            _ => return false,
        }
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        if area.height == 0 {
            return;
        }
        if let Some(trace) = &self.trace {
            trace.render(frame, area, view);
            return;
        }
        if let Some(d) = &self.detail {
            self.render_detail(frame, area, d, view.theme);
            return;
        }
        let buf = frame.buffer_mut();
        self.render_bar(buf, Rect { height: 1, ..area }, view.theme);
        let list = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        self.render_list(buf, list, view.theme);
    }
}

trait RenderInto {
    fn render_into(self, area: Rect, buf: &mut Buffer);
}

impl RenderInto for Line<'_> {
    fn render_into(self, area: Rect, buf: &mut Buffer) {
        buf.set_line(area.x, area.y, &self, area.width);
    }
}

/// The detail view's lines for an entry.
fn detail_lines(
    e: &Entry,
    topics: &TopicMap,
    schemas: &dyn SchemaSource,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let r = &e.record;
    let decoded: DecodeOutcome = r.decode_with(topics, schemas);
    let label = theme.dimmed();
    let heading = theme.strong();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("topic ", label),
            Span::raw(r.topic.clone()),
            Span::styled("  partition ", label),
            Span::raw(r.partition.to_string()),
            Span::styled("  offset ", label),
            Span::raw(r.offset.to_string()),
        ]),
        Line::from(vec![
            Span::styled("time  ", label),
            Span::raw(
                r.time()
                    .map(|t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true))
                    .unwrap_or_else(|| "-".into()),
            ),
            Span::styled("  key ", label),
            Span::raw(e.key()),
            Span::styled("  kind ", label),
            Span::raw(decoded.kind().as_str()),
        ]),
    ];
    match e.txn {
        Some(TxnState::Aborted) => lines.push(Line::from(Span::styled(
            strings::DETAIL_TXN_ABORTED,
            Style::new().fg(theme.warn).add_modifier(Modifier::BOLD),
        ))),
        Some(TxnState::Open) => lines.push(Line::from(Span::styled(
            strings::DETAIL_TXN_OPEN,
            Style::new().fg(theme.warn),
        ))),
        None => {}
    }
    // What the data policies hid: the values below show `***`, a hash or
    // nothing in their place; each is marked with its policy.
    for hit in &e.masked {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", strings::DETAIL_MASKED), label),
            // Paths are made of the record's keys, chosen by its producer.
            Span::raw(sanitize_owned(hit.target.to_string())),
            Span::raw("  "),
            Span::styled(sanitize_owned(hit.mark()), Style::new().fg(theme.warn)),
        ]));
    }
    if matches!(
        decoded.decoded,
        Decoded::Envelope(_) | Decoded::CloudEvent(_)
    ) {
        lines.extend(links_lines(r, &decoded, theme));
    }
    // A registry record the policies masked is shown as the JSON left of
    // it: which schemas it was written with is read from the record as
    // read (their names only, nothing of its values).
    let (read_schema, read_key_schema) = (decoded.schema.is_none() && decoded.key.is_none())
        .then(|| e.as_read())
        .flatten()
        .map_or((None, None), |read| read.schema_names(schemas));
    if let Some(schema) = decoded.schema.as_ref().or(read_schema.as_ref()) {
        lines.push(schema_line(strings::DETAIL_SCHEMA, schema, theme));
    }
    if let Some(key) = &decoded.key {
        lines.extend(key_schema_lines(key, theme));
    } else if let Some(key) = &read_key_schema {
        lines.push(schema_line(strings::DETAIL_KEY_SCHEMA, key, theme));
    }
    if let Some(err) = &decoded.error {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}: ", strings::DETAIL_DECODE_ERROR),
                Style::new().fg(theme.error).add_modifier(Modifier::BOLD),
            ),
            Span::styled(sanitize_owned(err.clone()), Style::new().fg(theme.error)),
        ]));
    }
    lines.push(Line::raw(""));
    let body = match &decoded.decoded {
        Decoded::Json(v) => Some(v.clone()),
        Decoded::DeepJson(deep) => {
            lines.push(Line::from(vec![
                Span::styled(strings::DETAIL_EVENT, heading),
                Span::styled(strings::detail_deep_json(deep.depth()), label),
            ]));
            lines.extend(json::highlight_deep(deep, theme));
            lines.push(Line::raw(""));
            None
        }
        _ => decoded.event_json(),
    };
    if let Some(v) = body {
        lines.push(Line::styled(strings::DETAIL_EVENT, heading));
        lines.extend(json::highlight(&v, theme));
        lines.push(Line::raw(""));
    }
    // An event read from a schema record: the value as its schema decoded
    // it too (the event above is its canonical form).
    if let Some(v) = decoded
        .schema_value
        .as_ref()
        .filter(|_| !matches!(decoded.decoded, Decoded::Json(_)))
    {
        lines.push(Line::styled(strings::DETAIL_SCHEMA_VALUE, heading));
        lines.extend(json::highlight(v, theme));
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(strings::DETAIL_HEADERS, heading));
    if r.headers.is_empty() {
        lines.push(Line::styled("  (none)", label));
    }
    for (k, v) in r.headers.iter() {
        let v = v.map_or_else(|| "null".to_string(), sanitize_bytes);
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {}: ", sanitize(k)),
                Style::new().fg(theme.json_key),
            ),
            Span::raw(v),
        ]));
    }
    if let Decoded::Raw(bytes) = &decoded.decoded {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("{} ({} bytes)", strings::DETAIL_RAW, bytes.len()),
            heading,
        ));
        let text: String = String::from_utf8_lossy(bytes)
            .chars()
            .take(RAW_TEXT_CHARS)
            .collect();
        for l in text.split('\n') {
            lines.push(Line::raw(format!("  {}", sanitize(l))));
        }
        lines.push(Line::raw(""));
        for l in hex_dump(bytes, HEX_BYTES).lines() {
            lines.push(Line::styled(l.to_string(), label));
        }
    }
    lines
}

/// `schema  id 7  subject orders-value  version 3  format avro`: which
/// registry schema a value (or key) names, as far as it is known.
fn schema_line(title: &str, schema: &SchemaRef, theme: &Theme) -> Line<'static> {
    let label = theme.dimmed();
    let shown =
        |v: Option<String>| v.map_or_else(|| strings::DETAIL_NONE.to_string(), sanitize_owned);
    let mut spans = vec![
        Span::styled(format!("{title} "), label),
        Span::styled("id ", label),
        Span::raw(shown(schema.id.map(|id| id.to_string()))),
    ];
    if let Some(global) = schema.global_id {
        spans.push(Span::styled("  globalId ", label));
        spans.push(Span::raw(global.to_string()));
    }
    spans.extend([
        Span::styled("  subject ", label),
        Span::raw(shown(schema.subject.clone())),
        Span::styled("  version ", label),
        Span::raw(shown(schema.version.map(|v| v.to_string()))),
        Span::styled("  format ", label),
        Span::raw(shown(schema.format.map(|f| f.as_str().to_string()))),
    ]);
    Line::from(spans)
}

/// The key's schema, and the key as it decoded (or why it did not).
fn key_schema_lines(key: &SchemaDecoded, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![schema_line(strings::DETAIL_KEY_SCHEMA, &key.schema, theme)];
    match &key.value {
        Ok(v) => lines.push(Line::from(vec![
            Span::styled(format!("{} ", strings::DETAIL_KEY_DECODED), theme.dimmed()),
            Span::raw(sanitize_owned(v.to_string())),
        ])),
        Err(why) => lines.push(Line::from(vec![
            Span::styled(
                format!("{}: ", strings::DETAIL_KEY_ERROR),
                Style::new().fg(theme.error).add_modifier(Modifier::BOLD),
            ),
            Span::styled(sanitize_owned(why.clone()), Style::new().fg(theme.error)),
        ])),
    }
    lines
}

/// An event's context (and the rule that gave it, when it carried none), and
/// what links it to others: correlation (`none` when it has none: nothing is
/// made up), causation, and the W3C trace it belongs to.
fn links_lines(r: &ConsumedRecord, decoded: &DecodeOutcome, theme: &Theme) -> Vec<Line<'static>> {
    let label = theme.dimmed();
    let mut context = vec![
        Span::styled("context ", label),
        Span::raw(
            decoded
                .context()
                .unwrap_or(strings::DETAIL_NONE)
                .to_string(),
        ),
    ];
    if let Some(rule) = &decoded.context_rule {
        context.push(Span::styled(format!("  ({rule})"), label));
    }
    let traceparent = match &decoded.decoded {
        Decoded::CloudEvent(ce) => ce.traceparent.clone(),
        _ => r.header(crate::domain::codec::HEADER_TRACEPARENT),
    };
    let mut ids = vec![
        Span::styled("correlation ", label),
        Span::raw(
            decoded
                .correlation_id()
                .unwrap_or_else(|| strings::DETAIL_NONE.to_string()),
        ),
        Span::styled("  causation ", label),
        Span::raw(
            decoded
                .causation_id()
                .unwrap_or_else(|| strings::DETAIL_NONE.to_string()),
        ),
    ];
    if let Some(trace) = traceparent.as_deref().and_then(crate::domain::trace_id) {
        ids.push(Span::styled("  trace ", label));
        ids.push(Span::raw(trace.to_string()));
        ids.push(Span::styled(" (traceparent)", label));
    }
    vec![Line::from(context), Line::from(ids)]
}

/// The Streams pane's handlers: the list, an opened record, the trace.
impl StreamsState {
    /// The selected row's record, or the opened one's.
    pub fn entry(&self, detail: bool) -> Option<&Entry> {
        if detail {
            self.detail_entry()
        } else {
            self.selected_entry()
        }
    }

    fn handle_list(&mut self, action: Action, cx: &mut Cx<'_>) {
        match action {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                if let Some(rows) = step(action, self.page()) {
                    self.move_by(rows);
                }
            }
            Action::Top => {
                self.follow = false;
                self.select_index(0);
            }
            Action::Bottom => self.follow = true,
            Action::Follow => self.follow = !self.follow,
            Action::ToggleOrder => {
                let next = match self.order() {
                    Order::Time => Order::Arrival,
                    Order::Arrival => Order::Time,
                };
                self.set_order(next);
                cx.info(format!("{}: {}", strings::STREAMS_ORDER, next.label()));
            }
            Action::Pause => {
                self.paused = !self.paused;
                // Paused means the list stops moving, so following makes no sense.
                if self.paused {
                    let i = self.selected_index();
                    self.follow = false;
                    if let Some(i) = i {
                        self.select_index(i);
                    }
                }
            }
            Action::Filter => cx.effect(Effect::FilterPrompt(self.filter_text().to_string())),
            Action::ClearFilter => StreamsState::set_filter(self, ""),
            Action::SeekBeginning => cx.effect(Effect::Seek {
                start: StartAt::Beginning,
                label: "beginning".into(),
            }),
            Action::SeekEnd => cx.effect(Effect::Seek {
                start: StartAt::End,
                label: "end".into(),
            }),
            Action::Isolation => {
                self.isolation = match self.isolation {
                    Isolation::ReadCommitted => Isolation::ReadUncommitted,
                    Isolation::ReadUncommitted => Isolation::ReadCommitted,
                };
                // Records already shown were read at the other level: read
                // again from where these streams started.
                cx.effect(Effect::Seek {
                    start: self.start,
                    label: self.start_label.clone(),
                });
                cx.info(strings::reading_at(crate::kafka::consume::isolation_name(
                    self.isolation,
                )));
            }
            Action::Seek => cx.effect(Effect::Palette("seek ".into())),
            Action::Open if !self.open_detail(cx.theme) => cx.info(strings::NOTHING_SELECTED),
            Action::Copy => self.copy(false, cx),
            Action::Export => {
                let lines = self.visible_json_lines();
                if lines.is_empty() {
                    cx.info(strings::NOTHING_SELECTED);
                } else {
                    cx.command(Command::Export(lines));
                }
            }
            Action::Reinject => cx.effect(Effect::Reinject { detail: false }),
            Action::Trace => cx.effect(Effect::Trace { detail: false }),
            Action::Find => cx.effect(Effect::Palette("find ".into())),
            _ => {}
        }
    }

    fn handle_detail(&mut self, action: Action, cx: &mut Cx<'_>) {
        let page = self.page();
        if let Some(rows) = step(action, page) {
            self.scroll_detail(rows);
            // The last page, not the last line alone.
            if action == Action::Bottom {
                self.scroll_detail(1 - page as isize);
            }
            return;
        }
        match action {
            Action::Back => self.detail = None,
            Action::Copy => self.copy(true, cx),
            Action::Reinject => cx.effect(Effect::Reinject { detail: true }),
            Action::Trace => cx.effect(Effect::Trace { detail: true }),
            _ => {}
        }
    }

    fn handle_trace(&mut self, action: Action) {
        let page = self.page();
        let Some(trace) = self.trace.as_mut() else {
            return;
        };
        match step(action, page) {
            Some(rows) => trace.scroll_by(rows),
            None if action == Action::Back => self.trace = None,
            None => {}
        }
    }

    fn copy(&self, detail: bool, cx: &mut Cx<'_>) {
        match self
            .entry(detail)
            .map(|e| e.to_json_line(self.topic_map(), self.schemas()))
        {
            Some(line) => {
                cx.command(Command::Copy(line));
                cx.info(strings::COPIED);
            }
            None => cx.info(strings::NOTHING_SELECTED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(topic: &str, offset: i64, value: &str) -> ConsumedRecord {
        ConsumedRecord {
            topic: topic.into(),
            partition: 0,
            offset,
            timestamp_ms: Some(1_700_000_000_000 + offset),
            key: Some(format!("k{offset}").into_bytes()),
            value: Some(value.as_bytes().to_vec()),
            headers: vec![("source".into(), Some(b"test".to_vec()))].into(),
        }
    }

    fn state(cap: usize) -> StreamsState {
        StreamsState::new(
            &["a".to_string(), "b".to_string()],
            cap,
            TopicMap::default(),
        )
    }

    /// The pane drawn at `w`×`h`, as text.
    fn screen(s: &StreamsState, w: u16, h: u16) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
        let theme = Theme::dark();
        terminal
            .draw(|f| {
                s.render(
                    f,
                    f.area(),
                    &View {
                        theme: &theme,
                        caps: Default::default(),
                    },
                )
            })
            .expect("draw");
        let buf = terminal.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn json_100_000_levels_deep_passes_through_every_view_on_a_small_stack() {
        for object in [false, true] {
            crate::domain::deep::on_small_stack(move || {
                let source = crate::domain::deep::nested(100_000, object);
                let opening = if object {
                    r#"{"a":{"a":{"a":"#
                } else {
                    "[[[[[["
                };
                let mut s = state(10);
                s.ingest([rec("a", 0, &source), rec("b", 1, "{\"n\":1}")]);
                // The list: its summary is the JSON's start.
                assert!(s.visible(0).unwrap().summary().starts_with(opening));
                let list = screen(&s, 120, 8);
                assert!(list.contains(opening), "{list}");
                // The filter: fields from the glance, text from the bytes.
                for (filter, rows) in [("topic:a", 1), (opening, 1), ("type:x", 0), ("", 2)] {
                    s.set_filter(filter);
                    assert_eq!(s.visible_len(), rows, "{filter}");
                }
                // Copy and export: the line carries the document as it is.
                s.set_filter("topic:a");
                let lines = s.visible_json_lines();
                assert!(lines[0].ends_with(&format!(r#""value":{source}}}"#)));
                assert!(lines[0].contains(r#""kind":"json""#));
                let line = s
                    .selected_entry()
                    .unwrap()
                    .to_json_line(s.topic_map(), s.schemas());
                assert_eq!(line, lines[0]);
                // The record view, at the top and at the bottom.
                assert!(s.open_detail(&Theme::dark()));
                let top = screen(&s, 120, 20);
                assert!(top.contains("kind json"), "{top}");
                assert!(top.contains("nested 100000 levels"), "{top}");
                let nested_line = if object { r#"  "a": {"# } else { "  [" };
                assert!(top.contains(nested_line), "{top}");
                s.scroll_detail(isize::MAX / 2);
                let bottom = screen(&s, 120, 20);
                assert!(bottom.contains("source: test"), "{bottom}");
                s.scroll_detail(-30);
                let closing = screen(&s, 120, 20);
                assert!(
                    closing.contains(if object { "}" } else { "]" }),
                    "{closing}"
                );
                drop(s);
            });
        }
    }

    #[test]
    fn each_stream_keeps_its_own_bounded_ring_and_counts_evictions() {
        let mut s = state(3);
        s.ingest((0..10).map(|i| rec("a", i, "x")));
        s.ingest((0..2).map(|i| rec("b", i, "y")));
        assert_eq!(s.streams()[0].len(), 3);
        assert_eq!(s.streams()[0].evicted, 7);
        assert_eq!(s.streams()[1].len(), 2);
        assert_eq!(s.len(), 5);
        // By time, b's two records (stamped +0 and +1 ms) come before a's 7..9.
        let first = s
            .visible(0)
            .map(|e| (e.record.topic.clone(), e.record.offset));
        assert_eq!(first, Some(("b".into(), 0)));
        s.set_order(Order::Arrival);
        assert_eq!(s.visible(0).map(|e| e.record.offset), Some(7));
    }

    #[test]
    fn one_byte_budget_across_every_stream_evicts_the_oldest_first_and_counts_it() {
        let one = Entry::new(0, rec("a", 0, &"x".repeat(1_000)), &TopicMap::default()).bytes;
        // Room for about ten records, whatever stream they are in.
        let mut s = state(1_000).with_memory_budget(one * 10 + one / 2);
        s.ingest((0..30).map(|i| rec("a", i, &"x".repeat(1_000))));
        assert_eq!(s.len(), 10);
        assert!(s.held_bytes() <= one * 10 + one / 2, "{}", s.held_bytes());
        assert_eq!(s.streams()[0].evicted, 20);
        // Newer records of another stream push out a's oldest, not their own.
        s.ingest((100..105).map(|i| rec("b", i, &"y".repeat(1_000))));
        assert_eq!((s.streams()[0].len(), s.streams()[1].len()), (5, 5));
        assert_eq!(s.streams()[0].evicted, 25);
        assert_eq!(s.visible(0).map(|e| e.record.offset), Some(25));
        // A much larger record takes the room of several small ones.
        s.ingest([rec("b", 200, &"z".repeat(5_000))]);
        assert!(s.held_bytes() <= one * 10 + one / 2);
        assert!(s.len() < 9, "{} kept", s.len());
        let evicted = s.streams()[0].evicted + s.streams()[1].evicted;
        assert_eq!(
            evicted as usize + s.len(),
            36,
            "every record is kept or counted"
        );
        s.clear("beginning");
        assert_eq!(s.held_bytes(), 0);
    }

    #[test]
    fn the_list_runs_by_record_time_a_late_record_goes_where_it_belongs_and_a_toggles() {
        let mut s = state(100);
        let at = |topic: &str, offset: i64, ms: i64| {
            let mut r = rec(topic, offset, "x");
            r.timestamp_ms = Some(ms);
            r
        };
        // Partition 1's records arrive after partition 0's but are older.
        s.ingest([at("a", 0, 1_000), at("a", 1, 3_000), at("b", 0, 5_000)]);
        s.ingest([at("a", 2, 2_000), at("b", 1, 4_000), at("a", 3, 2_000)]);
        let times: Vec<i64> = s
            .rows_from(0)
            .filter_map(|e| e.record.timestamp_ms)
            .collect();
        assert_eq!(times, [1_000, 2_000, 2_000, 3_000, 4_000, 5_000]);
        // Equal times keep arrival order.
        assert_eq!(s.visible(1).map(|e| e.record.offset), Some(2));
        assert_eq!(s.visible(2).map(|e| e.record.offset), Some(3));
        // The filter sees the same order.
        s.set_filter("topic:a");
        let filtered: Vec<i64> = (0..s.visible_len())
            .filter_map(|i| s.visible(i).and_then(|e| e.record.timestamp_ms))
            .collect();
        assert_eq!(filtered, [1_000, 2_000, 2_000, 3_000]);
        s.set_filter("");
        // The selection stays on its record across the toggle.
        s.select_index(1);
        assert_eq!(
            s.selected_entry().map(|e| e.record.timestamp_ms),
            Some(Some(2_000))
        );
        s.set_order(Order::Arrival);
        let arrival: Vec<i64> = s
            .rows_from(0)
            .filter_map(|e| e.record.timestamp_ms)
            .collect();
        assert_eq!(arrival, [1_000, 3_000, 5_000, 2_000, 4_000, 2_000]);
        let sel = s
            .selected_entry()
            .map(|e| (e.record.topic.clone(), e.record.offset));
        assert_eq!(sel, Some(("a".into(), 2)));
        s.set_order(Order::Time);
        let times: Vec<i64> = s
            .rows_from(0)
            .filter_map(|e| e.record.timestamp_ms)
            .collect();
        assert_eq!(times, [1_000, 2_000, 2_000, 3_000, 4_000, 5_000]);
    }

    #[test]
    fn filter_matches_text_in_headers_values_and_keys_and_follows_evictions() {
        let mut s = state(4);
        s.ingest((0..4).map(|i| rec("a", i, if i % 2 == 0 { "even" } else { "odd" })));
        s.set_filter("EVEN");
        assert_eq!(s.visible_len(), 2);
        s.ingest([rec("a", 4, "even")]);
        // Offset 0 was evicted; 2 and 4 remain.
        assert_eq!(s.visible_len(), 2);
        s.set_filter("key:k3");
        assert_eq!(s.visible_len(), 1);
        s.set_filter("test topic:a");
        assert_eq!(s.visible_len(), 4);
        s.set_filter("");
        assert_eq!(s.visible_len(), 4);
    }

    #[test]
    fn selection_survives_new_records_when_not_following() {
        let mut s = state(100);
        s.ingest((0..10).map(|i| rec("a", i, "x")));
        s.move_by(-3);
        assert_eq!(s.selected_entry().map(|e| e.record.offset), Some(6));
        s.ingest((10..20).map(|i| rec("a", i, "x")));
        assert_eq!(s.selected_entry().map(|e| e.record.offset), Some(6));
    }

    #[test]
    fn the_list_is_the_arrival_order_merge_of_rings_filling_at_different_rates() {
        let mut s = state(5);
        for i in 0..40 {
            let topic = if i % 4 == 0 { "b" } else { "a" };
            s.ingest([rec(topic, i, if i % 3 == 0 { "three" } else { "other" })]);
        }
        for filter in ["", "three"] {
            s.set_filter(filter);
            let merged: Vec<u64> = s.rows_from(0).map(|e| e.seq).collect();
            let indexed: Vec<u64> = (0..s.visible_len())
                .filter_map(|i| s.visible(i).map(|e| e.seq))
                .collect();
            assert_eq!(merged, indexed);
            assert!(merged.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(merged.len(), s.visible_len());
            let tail: Vec<u64> = s.rows_from(2).map(|e| e.seq).collect();
            assert_eq!(tail, merged[2.min(merged.len())..]);
        }
        // Ring b kept offsets 20..=36 step 4; ring a its last five.
        s.set_filter("");
        assert_eq!(s.visible(0).map(|e| e.record.offset), Some(20));
        assert_eq!(s.len(), 10);
    }

    /// An arrival as a reader would send it, saying other things than the
    /// record's bytes would decode to: what the pane shows then can only have
    /// come from the reader.
    fn arrived_from_reader(offset: i64, summary: &str) -> Arrived {
        let mut a = Arrived::read(rec("a", offset, "{\"n\":1}"), &TopicMap::default());
        a.glance.event_type = Some("FromReader".into());
        a.glance.context = Some("readers".into());
        a.glance.event_id = Some("e-reader".into());
        a.glance.correlation_id = Some("c-reader".into());
        a.summary = summary.into();
        a
    }

    #[test]
    fn rows_filter_and_trace_use_what_the_reader_worked_out_without_decoding_again() {
        let mut s = state(10);
        s.append([arrived_from_reader(0, "summary from the reader")]);
        let e = s.visible(0).unwrap();
        assert_eq!(e.summary(), "summary from the reader");
        assert_eq!(
            (e.event_type.as_str(), e.context.as_str()),
            ("FromReader", "readers")
        );
        assert_eq!(e.event_id.as_deref(), Some("e-reader"));
        let screen = screen(&s, 120, 6);
        assert!(screen.contains("summary from the reader"), "{screen}");
        assert!(screen.contains("FromReader"), "{screen}");
        for (filter, rows) in [
            ("type:fromreader", 1),
            ("ctx:readers corr:c-rea", 1),
            ("type:x", 0),
        ] {
            s.set_filter(filter);
            assert_eq!(s.visible_len(), rows, "{filter}");
        }
    }

    #[test]
    fn the_summary_counts_against_the_byte_budget_at_its_size() {
        let mut short = state(10);
        short.append([arrived_from_reader(0, "x")]);
        let mut long = state(10);
        let text = "y".repeat(150);
        long.append([arrived_from_reader(0, &text)]);
        assert_eq!(long.held_bytes() - short.held_bytes(), text.capacity() - 1);
        // Every part the entry keeps is counted.
        let e = short.visible(0).unwrap();
        let parts = std::mem::size_of::<Box<Entry>>()
            + std::mem::size_of::<Entry>()
            + e.record.heap_bytes()
            + e.context.capacity()
            + e.event_type.capacity()
            + e.correlation.as_ref().map_or(0, String::capacity)
            + e.event_id.as_ref().map_or(0, String::capacity)
            + e.summary.capacity();
        assert_eq!(short.held_bytes(), parts);
    }

    #[test]
    fn clock_formats_utc_time_of_day() {
        assert_eq!(clock(1_795_773_600_123), "10:00:00.123");
        assert_eq!(clock(-1), "23:59:59.999");
    }
}
