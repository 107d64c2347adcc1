//! The DLQ pane: dead letters of every `*.dlq` topic, grouped by cause (error kind
//! and message) with counts; a cause's records; one record's detail with every
//! header family decoded and a collapsible stack trace; and redrive — a dry-run
//! preview, confirm, progress, outcome. Records arrive decoded from the DLQ reader
//! worker; grouping and formatting happen then, so `render` only draws.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use chrono::{TimeZone, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Row, Wrap};

use crossterm::event::MouseEvent;

use super::{Cx, Effect, Original, Pane, View};
use crate::dlq::Family;
use crate::dlq::redrive::{DlqRecord, Outcome, Plan, matches_filter, plan};
use crate::domain::json_text::Parsed;
use crate::domain::{sanitize, sanitize_bytes, sanitize_owned};
use crate::tui::action::Action;
use crate::tui::event::{Command, RedriveRequest, WorkerMsg};
use crate::tui::fit::{Col, Fitted};
use crate::tui::json;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{TableCursor, frame_block, render_table, step};

/// Dead letters kept; older ones are evicted and counted. A DLQ that grows past
/// this is a fire to put out elsewhere; the pane stays bounded.
pub const MAX_DEAD_LETTERS: usize = 50_000;
/// The cause list's columns: the count is never cut and goes last.
const CAUSE_COLUMNS: [Col; 5] = [
    Col::whole(0),
    Col::text(1, 6),
    Col::text(2, 8).grow(),
    Col::text(3, 6),
    Col::text(4, 4),
];

/// A cause's records: mark, where it is, where it came from, key, handler,
/// attempts, when it failed (a time is a number: whole or dropped).
const RECORD_COLUMNS: [Col; 7] = [
    Col::whole(0),
    Col::whole(0),
    Col::text(1, 8).grow(),
    Col::text(2, 6).at_most(24),
    Col::text(4, 6).at_most(20),
    Col::whole(3),
    Col::whole(5),
];

/// Failures listed in the outcome dialog.
const FAILURES_SHOWN: usize = 5;

/// A record's place: (DLQ topic, partition, offset).
pub type Coords = (String, i32, i64);

/// The redrive dialog's stage.
#[derive(Debug, Clone)]
pub enum RedriveStage {
    /// The dry run: nothing sent yet.
    Preview(Plan),
    /// Sending.
    Running {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// Finished (or could not start).
    Done(Result<Outcome, String>),
}

/// Which list the pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlqView {
    /// Causes with counts.
    Causes,
    /// One cause's records.
    Records,
    /// One record.
    Detail,
}

/// Dead letters sharing a cause.
#[derive(Debug, Clone)]
struct Cause {
    kind: String,
    message: String,
    /// Indices into `records`, oldest first.
    members: Vec<usize>,
    cells: [String; 5],
}

/// The DLQ pane's state.
#[derive(Debug)]
pub struct DlqState {
    records: VecDeque<DlqRecord>,
    /// Coordinates of `records`: a reader that restarts from the beginning
    /// after an error does not duplicate what is already shown.
    seen: HashSet<Coords>,
    evicted: u64,
    /// Bytes `records` and `seen` hold, and the most they may.
    held_bytes: usize,
    budget_bytes: usize,
    topics: Vec<String>,
    filter: String,
    causes: Vec<Cause>,
    matching: usize,
    view: DlqView,
    /// The cursor in the causes.
    cause_cur: TableCursor,
    /// The cursor in one cause's records.
    rec_cur: TableCursor,
    marks: BTreeSet<Coords>,
    /// Records a redrive from this console delivered.
    redriven: HashSet<Coords>,
    /// The records of the redrive running now.
    in_flight: Vec<Coords>,
    open: Option<Coords>,
    stack_open: bool,
    detail: Vec<Line<'static>>,
    detail_scroll: usize,
    redrive: Option<RedriveStage>,
    dialog: bool,
    problem: Option<String>,
    rate: u32,
    read_only: bool,
    /// Lines of the opened dead letter on one screen, as last drawn.
    detail_page: Cell<usize>,
}

/// The DLQ pane before any dead letter; `rate` is the redrive rate limit.
pub fn pane(rate: u32, read_only: bool) -> DlqState {
    DlqState {
        records: VecDeque::new(),
        seen: HashSet::new(),
        evicted: 0,
        held_bytes: 0,
        budget_bytes: usize::MAX,
        topics: Vec::new(),
        filter: String::new(),
        causes: Vec::new(),
        matching: 0,
        view: DlqView::Causes,
        cause_cur: TableCursor::default(),
        rec_cur: TableCursor::default(),
        marks: BTreeSet::new(),
        redriven: HashSet::new(),
        in_flight: Vec::new(),
        open: None,
        stack_open: false,
        detail: Vec::new(),
        detail_scroll: 0,
        redrive: None,
        dialog: false,
        problem: None,
        rate: rate.max(1),
        read_only,
        detail_page: Cell::new(10),
    }
}

fn coords(r: &DlqRecord) -> Coords {
    (r.record.topic.clone(), r.record.partition, r.record.offset)
}

/// What one kept dead letter costs: the record, its entry in `seen` (a copy of
/// its coordinates plus the set's slot) and its index in a cause.
fn held_by(r: &DlqRecord) -> usize {
    r.heap_bytes() + r.record.topic.capacity() + std::mem::size_of::<Coords>() * 2 + 8
}

impl DlqState {
    /// The same pane, holding at most `bytes` of dead letters (the oldest are
    /// evicted first, and counted).
    pub fn with_memory_budget(mut self, bytes: usize) -> Self {
        self.budget_bytes = bytes.max(1);
        self
    }

    /// Bytes the kept dead letters hold now.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Adds dead letters read from the DLQ topics.
    pub fn ingest(&mut self, batch: Vec<DlqRecord>) {
        if batch.is_empty() {
            return;
        }
        for r in batch {
            if !self.topics.contains(&r.record.topic) {
                self.topics.push(r.record.topic.clone());
                self.topics.sort();
            }
            if self.seen.insert(coords(&r)) {
                self.held_bytes += held_by(&r);
                self.records.push_back(r);
            }
        }
        while self.records.len() > MAX_DEAD_LETTERS
            || (self.held_bytes > self.budget_bytes && self.records.len() > 1)
        {
            let Some(old) = self.records.pop_front() else {
                break;
            };
            self.seen.remove(&coords(&old));
            self.held_bytes = self.held_bytes.saturating_sub(held_by(&old));
            self.evicted += 1;
        }
        self.problem = None;
        self.regroup();
    }

    /// The DLQ topics being read (from the reader, even before any record).
    pub fn set_topics(&mut self, topics: Vec<String>) {
        for t in topics {
            if !self.topics.contains(&t) {
                self.topics.push(t);
            }
        }
        self.topics.sort();
    }

    /// Shows the reader's problem.
    pub fn set_problem(&mut self, problem: Option<String>) {
        self.problem = problem;
    }

    /// Dead letters kept.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True before any dead letter.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The view shown.
    pub fn view(&self) -> DlqView {
        self.view
    }

    /// Causes as displayed: (kind, message, count).
    pub fn causes(&self) -> Vec<(String, String, usize)> {
        self.causes
            .iter()
            .map(|c| (c.kind.clone(), c.message.clone(), c.members.len()))
            .collect()
    }

    /// The filter text.
    pub fn filter_text(&self) -> &str {
        &self.filter
    }

    /// Marked records.
    pub fn marks(&self) -> &BTreeSet<Coords> {
        &self.marks
    }

    /// True when a redrive from this console delivered the record.
    pub fn is_redriven(&self, r: &DlqRecord) -> bool {
        self.redriven.contains(&coords(r))
    }

    /// The redrive dialog's stage, if one is open or running.
    pub fn redrive(&self) -> Option<&RedriveStage> {
        self.redrive.as_ref()
    }

    /// True while the stack trace is expanded.
    pub fn stack_open(&self) -> bool {
        self.stack_open
    }

    /// The record under the cursor (Records view) or open (Detail view).
    pub fn current(&self) -> Option<&DlqRecord> {
        match self.view {
            DlqView::Causes => None,
            DlqView::Records => {
                let c = self.causes.get(self.cause_cur.selected())?;
                c.members
                    .get(self.rec_cur.selected())
                    .and_then(|&i| self.records.get(i))
            }
            DlqView::Detail => {
                let open = self.open.as_ref()?;
                self.records.iter().find(|r| &coords(r) == open)
            }
        }
    }

    /// Rows per page, as last drawn.
    pub fn page(&self) -> usize {
        match self.view {
            DlqView::Causes => self.cause_cur.page(),
            DlqView::Records => self.rec_cur.page(),
            DlqView::Detail => self.detail_page.get().max(1),
        }
    }

    /// Sets the filter (the `/` prompt, typed live).
    pub fn set_filter(&mut self, text: &str) {
        if text == self.filter {
            return;
        }
        self.filter = text.to_string();
        self.cause_cur.reset();
        self.rec_cur.reset();
        if self.view != DlqView::Causes {
            self.view = DlqView::Causes;
        }
        self.regroup();
    }

    fn regroup(&mut self) {
        let keep = self
            .causes
            .get(self.cause_cur.selected())
            .map(|c| (c.kind.clone(), c.message.clone()));
        let mut by_cause: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        let mut matching = 0;
        for (i, r) in self.records.iter().enumerate() {
            if !matches_filter(r, &self.filter) {
                continue;
            }
            matching += 1;
            by_cause.entry(r.letter.cause()).or_default().push(i);
        }
        self.matching = matching;
        let mut causes: Vec<Cause> = by_cause
            .into_iter()
            .map(|((kind, message), members)| {
                let mut topics: Vec<&str> = Vec::new();
                let mut families: Vec<&str> = Vec::new();
                for &i in &members {
                    let r = &self.records[i];
                    if !topics.contains(&r.record.topic.as_str()) {
                        topics.push(&r.record.topic);
                    }
                    let f = r.letter.family.unwrap_or(Family::Unknown).label();
                    if !families.contains(&f) {
                        families.push(f);
                    }
                }
                let cells = [
                    members.len().to_string(),
                    sanitize(short_kind(&kind)).into_owned(),
                    sanitize(&message).into_owned(),
                    topics.join(", "),
                    families.join(", "),
                ];
                Cause {
                    kind,
                    message,
                    members,
                    cells,
                }
            })
            .collect();
        causes.sort_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.causes = causes;
        if let Some(k) = keep
            && let Some(i) = self
                .causes
                .iter()
                .position(|c| c.kind == k.0 && c.message == k.1)
        {
            self.cause_cur.select(i, self.causes.len());
        }
        let i = self.cause_cur.selected();
        self.cause_cur.select(i, self.causes.len());
        let n = self
            .causes
            .get(self.cause_cur.selected())
            .map_or(0, |c| c.members.len());
        let i = self.rec_cur.selected();
        self.rec_cur.select(i, n);
    }

    /// The records of the selected cause.
    fn cause_len(&self) -> usize {
        self.causes
            .get(self.cause_cur.selected())
            .map_or(0, |c| c.members.len())
    }

    /// Moves the cursor (or scrolls the detail) by `delta`.
    pub fn move_by(&mut self, delta: isize) {
        match self.view {
            DlqView::Causes => self.cause_cur.move_by(delta, self.causes.len()),
            DlqView::Records => {
                let n = self.cause_len();
                self.rec_cur.move_by(delta, n);
            }
            DlqView::Detail => {
                let last = self.detail.len().saturating_sub(1) as isize;
                self.detail_scroll = (self.detail_scroll as isize + delta).clamp(0, last) as usize;
            }
        }
    }

    /// Selects row `i` of the list shown.
    pub fn select_index(&mut self, i: usize) {
        match self.view {
            DlqView::Causes => self.cause_cur.select(i, self.causes.len()),
            DlqView::Records => {
                let n = self.cause_len();
                self.rec_cur.select(i, n);
            }
            DlqView::Detail => {}
        }
    }

    /// The list row at screen line `y`, if any.
    pub fn row_at(&self, y: u16) -> Option<usize> {
        match self.view {
            DlqView::Causes => self.cause_cur.row_at(y, self.causes.len()),
            DlqView::Records => self.rec_cur.row_at(y, self.cause_len()),
            DlqView::Detail => None,
        }
    }

    /// The selected row's index in the list shown.
    pub fn selected_index(&self) -> usize {
        match self.view {
            DlqView::Causes => self.cause_cur.selected(),
            _ => self.rec_cur.selected(),
        }
    }

    /// Enter: a cause opens its records, a record opens its detail.
    pub fn open(&mut self, theme: &Theme) -> bool {
        match self.view {
            DlqView::Causes => {
                if self.causes.get(self.cause_cur.selected()).is_none() {
                    return false;
                }
                self.view = DlqView::Records;
                self.rec_cur.reset();
                true
            }
            DlqView::Records => {
                let Some(r) = self.current() else {
                    return false;
                };
                self.open = Some(coords(r));
                self.view = DlqView::Detail;
                self.detail_scroll = 0;
                self.stack_open = false;
                self.refresh_detail(theme);
                true
            }
            DlqView::Detail => false,
        }
    }

    /// Esc: one level up.
    pub fn back(&mut self) {
        match self.view {
            DlqView::Detail => {
                self.view = DlqView::Records;
                self.open = None;
            }
            DlqView::Records => self.view = DlqView::Causes,
            DlqView::Causes => {}
        }
    }

    /// Space: marks or unmarks the record under the cursor, then moves down.
    pub fn toggle_mark(&mut self) -> bool {
        let Some(c) = self.current().map(coords) else {
            return false;
        };
        if !self.marks.remove(&c) {
            self.marks.insert(c);
        }
        self.move_by(1);
        true
    }

    /// Expands or collapses the stack trace of the open record.
    pub fn toggle_stack(&mut self, theme: &Theme) {
        self.stack_open = !self.stack_open;
        self.refresh_detail(theme);
    }

    /// Rebuilds the detail lines (after a theme change, too).
    pub fn refresh_detail(&mut self, theme: &Theme) {
        let Some(r) = self.current() else {
            self.detail.clear();
            return;
        };
        let mut lines = detail_lines(r, self.stack_open, theme);
        if self.redriven.contains(&coords(r)) {
            lines.insert(
                1,
                Line::from(vec![
                    Span::styled(format!("{:<16}", "Redriven"), Style::new().fg(theme.dim)),
                    Span::styled(
                        format!("{} {}", strings::DLQ_REDRIVEN_MARK, strings::DLQ_REDRIVEN),
                        Style::new().fg(theme.ok),
                    ),
                ]),
            );
        }
        self.detail = lines;
    }

    /// The records a redrive of "the selection" means: the marked ones if any,
    /// else the record under the cursor or open.
    pub fn selection(&self) -> Vec<DlqRecord> {
        if self.view != DlqView::Detail && !self.marks.is_empty() {
            return self
                .records
                .iter()
                .filter(|r| self.marks.contains(&coords(r)))
                .cloned()
                .collect();
        }
        self.current().cloned().into_iter().collect()
    }

    /// Every record matching the filter.
    pub fn matching(&self) -> Vec<DlqRecord> {
        self.records
            .iter()
            .filter(|r| matches_filter(r, &self.filter))
            .cloned()
            .collect()
    }

    /// Opens the dry-run preview for `records`; false when there are none.
    pub fn preview(&mut self, records: Vec<DlqRecord>) -> bool {
        if records.is_empty() {
            return false;
        }
        if matches!(self.redrive, Some(RedriveStage::Running { .. })) {
            self.dialog = true;
            return true;
        }
        self.redrive = Some(RedriveStage::Preview(plan(records, None)));
        self.dialog = true;
        true
    }

    /// True while the dialog is on screen.
    pub fn dialog_open(&self) -> bool {
        self.dialog && self.redrive.is_some()
    }

    /// Confirm in the dialog: a preview becomes a request (the caller has checked
    /// read-only); an outcome closes.
    pub fn confirm(&mut self) -> Option<RedriveRequest> {
        match self.redrive.take() {
            Some(RedriveStage::Preview(plan)) if !plan.items.is_empty() => {
                let total = plan.items.len();
                self.in_flight = plan.items.iter().map(|(r, _)| coords(r)).collect();
                self.redrive = Some(RedriveStage::Running { done: 0, total });
                Some(RedriveRequest {
                    plan,
                    rate: self.rate,
                    filter: Some(self.filter.clone()).filter(|f| !f.trim().is_empty()),
                })
            }
            Some(RedriveStage::Running { done, total }) => {
                self.redrive = Some(RedriveStage::Running { done, total });
                None
            }
            _ => {
                self.dialog = false;
                None
            }
        }
    }

    /// Esc in the dialog: a preview is cancelled; a running redrive keeps going
    /// with the dialog hidden (its progress stays in the title); an outcome closes.
    pub fn cancel(&mut self) {
        self.dialog = false;
        if !matches!(self.redrive, Some(RedriveStage::Running { .. })) {
            self.redrive = None;
        }
    }

    /// A redrive's progress.
    pub fn progress(&mut self, done: usize, total: usize) {
        self.redrive = Some(RedriveStage::Running { done, total });
    }

    /// A redrive ended; the outcome dialog opens and the marks are cleared.
    pub fn finish(&mut self, result: Result<Outcome, String>) {
        let sent = std::mem::take(&mut self.in_flight);
        if let Ok(o) = &result {
            self.marks.clear();
            // A failure is reported as `topic[p]@offset: why`.
            for c in sent {
                let at = format!("{}[{}]@{}:", c.0, c.1, c.2);
                if !o.failed.iter().any(|f| f.starts_with(&at)) {
                    self.redriven.insert(c);
                }
            }
        }
        self.redrive = Some(RedriveStage::Done(result));
        self.dialog = true;
    }

    fn render_causes(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        let titles = strings::DLQ_CAUSE_COLUMNS;
        let fitted = Fitted::new(
            &CAUSE_COLUMNS,
            &titles,
            self.causes
                .iter()
                .map(|c| c.cells.iter().map(String::as_str)),
            area.width,
        );
        let header = fitted.header(&titles).style(t.strong());
        let rows: Vec<Row> = self
            .causes
            .iter()
            .map(|c| {
                fitted.row(c.cells.iter().enumerate().map(|(i, text)| {
                    let style = match i {
                        0 => Style::new().fg(t.error).add_modifier(Modifier::BOLD),
                        1 => Style::new().fg(t.warn),
                        _ => Style::new(),
                    };
                    (text.clone(), style)
                }))
            })
            .collect();
        render_table(
            frame,
            area,
            t,
            header,
            rows,
            &fitted.constraints(),
            &self.cause_cur,
            self.cause_cur.selected(),
        );
    }

    fn render_records(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        let Some(cause) = self.causes.get(self.cause_cur.selected()) else {
            return;
        };
        let titles = strings::DLQ_RECORD_COLUMNS;
        let cells: Vec<[String; 7]> = cause
            .members
            .iter()
            .filter_map(|&i| self.records.get(i))
            .map(|r| {
                let l = &r.letter;
                let c = coords(r);
                let mark = if self.marks.contains(&c) {
                    "✓"
                } else if self.redriven.contains(&c) {
                    strings::DLQ_REDRIVEN_MARK
                } else {
                    " "
                };
                [
                    mark.to_string(),
                    format!("{}@{}", r.record.partition, r.record.offset),
                    sanitize_owned(original_label(l)),
                    r.record.key.as_deref().map_or("-".into(), sanitize_bytes),
                    sanitize_owned(
                        l.handler
                            .clone()
                            .or_else(|| l.consumer_group.clone())
                            .unwrap_or_else(|| "-".into()),
                    ),
                    l.attempts.map_or("-".into(), |a| a.to_string()),
                    l.failed_at
                        .as_deref()
                        .map_or("-".into(), |f| sanitize(f).into_owned()),
                ]
            })
            .collect();
        let fitted = Fitted::new(
            &RECORD_COLUMNS,
            &titles,
            cells.iter().map(|r| r.iter().map(String::as_str)),
            area.width,
        );
        let header = fitted.header(&titles).style(t.strong());
        let rows: Vec<Row> = cells
            .into_iter()
            .map(|r| {
                fitted.row(r.into_iter().enumerate().map(|(i, text)| {
                    let style = if i == 0 {
                        Style::new().fg(t.accent)
                    } else {
                        Style::new()
                    };
                    (text, style)
                }))
            })
            .collect();
        render_table(
            frame,
            area,
            t,
            header,
            rows,
            &fitted.constraints(),
            &self.rec_cur,
            self.rec_cur.selected(),
        );
    }

    fn title(&self) -> String {
        let mut title = match self.view {
            DlqView::Causes => strings::dlq_title(
                self.records.len(),
                &self.topics,
                &self.filter,
                self.matching,
            ),
            DlqView::Records | DlqView::Detail => {
                let c = self.causes.get(self.cause_cur.selected());
                let redriven = c.map_or(0, |c| {
                    c.members
                        .iter()
                        .filter_map(|&i| self.records.get(i))
                        .filter(|r| self.redriven.contains(&coords(r)))
                        .count()
                });
                strings::dlq_cause_title(
                    &sanitize(c.map_or("-", |c| short_kind(&c.kind))),
                    c.map_or(0, |c| c.members.len()),
                    self.marks.len(),
                    redriven,
                )
            }
        };
        if self.evicted > 0 {
            title.push_str(&format!("· {} evicted ", self.evicted));
        }
        if let Some(RedriveStage::Running { done, total }) = &self.redrive {
            title.push_str(&format!("· redrive {done}/{total} "));
        }
        title
    }

    fn render_dialog(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        let Some(stage) = &self.redrive else { return };
        let width = area.width.saturating_sub(4).min(72);
        let mut lines: Vec<Line> = Vec::new();
        let title;
        let mut gauge: Option<(f64, String)> = None;
        match stage {
            RedriveStage::Preview(plan) => {
                title = strings::REDRIVE_PREVIEW_TITLE;
                lines.push(Line::styled(
                    strings::redrive_preview_head(plan.items.len()),
                    t.strong(),
                ));
                for (target, n) in &plan.targets {
                    lines.push(Line::from(vec![
                        Span::styled(
                            format!("  → {}", sanitize(target)),
                            Style::new().fg(t.accent),
                        ),
                        Span::styled(format!("  {n}"), t.text()),
                    ]));
                }
                if plan.skipped > 0 {
                    lines.push(Line::styled(
                        strings::redrive_skipped(plan.skipped),
                        Style::new().fg(t.warn),
                    ));
                }
                lines.push(Line::styled(strings::redrive_kept(self.rate), t.dimmed()));
                if self.read_only {
                    lines.push(Line::styled(
                        strings::REDRIVE_READ_ONLY_NOTE,
                        Style::new().fg(t.error).add_modifier(Modifier::BOLD),
                    ));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    if plan.items.is_empty() {
                        strings::REDRIVE_NOTHING
                    } else {
                        strings::REDRIVE_CONFIRM_KEYS
                    },
                    t.strong(),
                ));
            }
            RedriveStage::Running { done, total } => {
                title = strings::REDRIVE_RUNNING_TITLE;
                lines.push(Line::styled(
                    strings::redrive_running(*total, self.rate),
                    t.text(),
                ));
                lines.push(Line::raw(""));
                lines.push(Line::raw(""));
                lines.push(Line::styled(strings::REDRIVE_RUNNING_KEYS, t.dimmed()));
                let ratio = if *total == 0 {
                    1.0
                } else {
                    *done as f64 / *total as f64
                };
                gauge = Some((ratio, format!("{done}/{total}")));
            }
            RedriveStage::Done(Ok(o)) => {
                title = strings::REDRIVE_DONE_TITLE;
                let style = if o.failed.is_empty() {
                    Style::new().fg(t.ok).add_modifier(Modifier::BOLD)
                } else {
                    Style::new().fg(t.error).add_modifier(Modifier::BOLD)
                };
                lines.push(Line::styled(
                    strings::redrive_outcome(o.delivered, o.failed.len()),
                    style,
                ));
                for f in o.failed.iter().take(FAILURES_SHOWN) {
                    lines.push(Line::styled(
                        format!("  ✗ {}", sanitize(&f.to_string())),
                        Style::new().fg(t.error),
                    ));
                }
                lines.push(Line::styled(strings::REDRIVE_AUDITED, t.dimmed()));
                lines.push(Line::raw(""));
                lines.push(Line::styled(strings::REDRIVE_CLOSE_KEYS, t.strong()));
            }
            RedriveStage::Done(Err(e)) => {
                title = strings::REDRIVE_DONE_TITLE;
                lines.push(Line::styled(
                    sanitize_owned(strings::redrive_failed(e)),
                    Style::new().fg(t.error).add_modifier(Modifier::BOLD),
                ));
                lines.push(Line::raw(""));
                lines.push(Line::styled(strings::REDRIVE_CLOSE_KEYS, t.strong()));
            }
        }
        let inner_w = width.saturating_sub(2).max(1);
        let text_h: u16 = lines
            .iter()
            .map(|l| (l.width() as u16).div_ceil(inner_w).max(1))
            .sum();
        let height = (text_h + 2).min(area.height);
        let popup = super::centered(area, width, height);
        frame.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(Style::new().fg(t.accent))
            .title(Span::styled(title, t.strong()));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        if let Some((ratio, label)) = gauge {
            let g = Rect {
                y: inner.y + 2.min(inner.height.saturating_sub(1)),
                height: 1,
                ..inner
            };
            frame.render_widget(
                Gauge::default()
                    .gauge_style(Style::new().fg(t.accent).bg(t.bar))
                    .ratio(ratio.clamp(0.0, 1.0))
                    .label(label),
                g,
            );
        }
    }
}

impl Pane for DlqState {
    fn title(&self) -> &'static str {
        strings::TAB_DLQ
    }

    fn mode(&self) -> Mode {
        if self.dialog_open() {
            return Mode::Redrive;
        }
        match self.view {
            DlqView::Causes => Mode::Dlq,
            DlqView::Records => Mode::DlqRecords,
            DlqView::Detail => Mode::DlqDetail,
        }
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if self.mode() == Mode::Redrive {
            return match action {
                Action::Confirm => self.confirm_redrive(cx),
                Action::Back => self.cancel(),
                _ => {}
            };
        }
        let page = self.page();
        if let Some(rows) = step(action, page) {
            self.move_by(rows);
            // A dead letter's last page, not its last line alone.
            if action == Action::Bottom && self.view() == DlqView::Detail {
                self.move_by(1 - page as isize);
            }
            return;
        }
        match action {
            Action::Back => self.back(),
            Action::Open if !self.open(cx.theme) => cx.info(strings::NOTHING_SELECTED),
            Action::Filter => cx.effect(Effect::FilterPrompt(self.filter_text().to_string())),
            Action::ClearFilter => DlqState::set_filter(self, ""),
            Action::Mark if !self.toggle_mark() => cx.info(strings::NOTHING_SELECTED),
            Action::ToggleStack => match self.current() {
                Some(r) if r.letter.stacktrace.is_none() => {
                    cx.info(strings::DLQ_NO_STACK_TO_TOGGLE)
                }
                _ => self.toggle_stack(cx.theme),
            },
            Action::Redrive => {
                let picked = self.selection();
                if !self.preview(picked) {
                    cx.info(strings::REDRIVE_NONE);
                }
            }
            Action::RedriveAll => {
                let all = self.matching();
                if !self.preview(all) {
                    cx.info(strings::REDRIVE_NONE);
                }
            }
            Action::OpenOriginal => self.open_original(cx),
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        match msg {
            WorkerMsg::DeadLetters(batch) => {
                self.ingest(batch);
                cx.effect(Effect::DlqHeld(self.held_bytes()));
            }
            WorkerMsg::DlqProblem(p) => self.set_problem(Some(p)),
            WorkerMsg::DlqTopics(topics) => self.set_topics(topics),
            WorkerMsg::RedriveProgress { done, total } => self.progress(done, total),
            WorkerMsg::RedriveDone(result) => {
                cx.effect(Effect::AuditChanged);
                match &result {
                    Ok(o) if o.failed.is_empty() => {
                        cx.info(strings::redrive_outcome(o.delivered, 0))
                    }
                    Ok(o) => cx.error(strings::redrive_outcome(o.delivered, o.failed.len())),
                    Err(e) => cx.error(strings::redrive_failed(e)),
                }
                self.finish(result);
            }
            other => return Some(other),
        }
        None
    }

    fn scroll(&mut self, rows: isize) -> bool {
        if self.dialog_open() {
            return false;
        }
        self.move_by(rows);
        true
    }

    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        if self.dialog_open() || self.view() == DlqView::Detail {
            return false;
        }
        let Some(i) = self.row_at(m.row) else {
            return false;
        };
        if self.selected_index() == i {
            self.handle(Action::Open, cx);
        } else {
            self.select_index(i);
        }
        true
    }

    fn set_filter(&mut self, text: &str) -> bool {
        DlqState::set_filter(self, text);
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let inner = frame_block(frame, area, self.title(), t);
        let problem: Vec<Line> = self
            .problem
            .iter()
            .map(|p| Line::styled(strings::dlq_problem(p), Style::new().fg(t.error)))
            .collect();
        let [top, body] =
            Layout::vertical([Constraint::Length(problem.len() as u16), Constraint::Min(1)])
                .areas(inner);
        frame.render_widget(Paragraph::new(problem), top);
        match self.view {
            DlqView::Causes if self.causes.is_empty() => {
                let text = if self.records.is_empty() {
                    strings::dlq_empty(&self.topics)
                } else {
                    strings::DLQ_NO_MATCH.to_string()
                };
                frame.render_widget(
                    Paragraph::new(text)
                        .style(t.dimmed())
                        .wrap(Wrap { trim: true }),
                    body,
                );
            }
            DlqView::Causes => self.render_causes(frame, body, t),
            DlqView::Records => {
                let [head, list] =
                    Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
                if let Some(c) = self.causes.get(self.cause_cur.selected()) {
                    frame.render_widget(
                        Paragraph::new(Line::from(vec![
                            Span::styled(
                                format!("{}: ", sanitize(&c.kind)),
                                Style::new().fg(t.warn),
                            ),
                            Span::styled(sanitize_owned(c.message.clone()), t.text()),
                        ])),
                        head,
                    );
                }
                self.render_records(frame, list, t);
            }
            DlqView::Detail => {
                self.detail_page.set(usize::from(body.height).max(1));
                let lines: Vec<Line> = self
                    .detail
                    .iter()
                    .skip(self.detail_scroll)
                    .take(usize::from(body.height))
                    .map(|l| crate::tui::fit::line(l.clone(), usize::from(body.width)))
                    .collect();
                frame.render_widget(Paragraph::new(lines), body);
            }
        }
        if self.dialog_open() {
            self.render_dialog(frame, area, t);
        }
    }
}

/// A Java class name's last segment (`java.lang.NullPointerException` →
/// `NullPointerException`), so the cause list stays readable on narrow screens;
/// the detail view shows the full name.
pub fn short_kind(kind: &str) -> &str {
    if kind.contains(' ') {
        return kind;
    }
    kind.rsplit('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(kind)
}

/// Where the original record was: `topic[p]@offset`, the parts the headers
/// leave out omitted, `-` when not even the topic is known; `(local)` after
/// the topic of an event that failed in a local handler as it was published.
pub fn original_label(l: &crate::dlq::DeadLetter) -> String {
    let Some(topic) = &l.original_topic else {
        return "-".into();
    };
    match (l.original_partition, l.original_offset) {
        (None, None) if l.is_local() => format!("{topic} (local)"),
        (Some(p), Some(o)) => format!("{topic}[{p}]@{o}"),
        (None, Some(o)) => format!("{topic}@{o}"),
        (Some(p), None) => format!("{topic}[{p}]"),
        (None, None) => topic.clone(),
    }
}

/// A header value as text when it is printable UTF-8, else hex with the
/// big-endian number it may be (Spring writes partitions and offsets that way).
pub fn header_value(v: Option<&[u8]>) -> String {
    let Some(v) = v else {
        return "(null)".into();
    };
    if let Ok(s) = std::str::from_utf8(v)
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return sanitize_owned(s.replace('\n', "⏎"));
    }
    let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
    match v.len() {
        4 => format!(
            "0x{hex} (int {})",
            i32::from_be_bytes([v[0], v[1], v[2], v[3]])
        ),
        8 => format!(
            "0x{hex} (long {})",
            i64::from_be_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]])
        ),
        _ => format!("0x{hex}"),
    }
}

fn detail_lines(r: &DlqRecord, stack_open: bool, t: &Theme) -> Vec<Line<'static>> {
    let l = &r.letter;
    let label = |s: &str| Span::styled(format!("{:<16}", sanitize(s)), Style::new().fg(t.dim));
    // Every value here may come from the cluster (headers, key).
    let field = |name: &str, value: String, style: Style| {
        Line::from(vec![
            label(name),
            Span::styled(sanitize_owned(value), style),
        ])
    };
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let ms = |v: Option<i64>| {
        v.and_then(|m| Utc.timestamp_millis_opt(m).single())
            .map_or_else(|| "-".into(), |d| d.to_rfc3339())
    };
    let mut out = vec![
        field(
            strings::DLQ_FIELD_DLQ_RECORD,
            format!(
                "{}[{}]@{}",
                r.record.topic, r.record.partition, r.record.offset
            ),
            t.strong(),
        ),
        field(
            strings::DLQ_FIELD_FAMILY,
            l.family.unwrap_or(Family::Unknown).label().to_string(),
            Style::new().fg(t.accent),
        ),
        field(strings::DLQ_FIELD_ORIGINAL, original_label(l), t.strong()),
        field(
            strings::DLQ_FIELD_ORIGINAL_TIME,
            ms(l.original_timestamp),
            t.text(),
        ),
        field(
            strings::DLQ_FIELD_CONSUMER_GROUP,
            dash(l.consumer_group.clone()),
            t.text(),
        ),
        field(
            strings::DLQ_FIELD_HANDLER,
            dash(l.handler.clone()),
            t.text(),
        ),
        field(
            strings::DLQ_FIELD_ERROR_KIND,
            dash(l.error_kind.clone()),
            Style::new().fg(t.warn),
        ),
        field(
            strings::DLQ_FIELD_MESSAGE,
            dash(l.error_message.clone()),
            Style::new().fg(t.error),
        ),
        field(
            strings::DLQ_FIELD_ATTEMPTS,
            dash(l.attempts.map(|a| a.to_string())),
            t.text(),
        ),
        field(
            strings::DLQ_FIELD_FAILED_AT,
            dash(l.failed_at.clone()),
            t.text(),
        ),
        field(strings::DLQ_FIELD_KEY, dash(r.record.key_text()), t.text()),
    ];
    for (k, v) in &l.extra {
        out.push(field(k, v.clone(), t.text()));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        format!("{} ({})", strings::DETAIL_HEADERS, r.record.headers.len()),
        t.strong(),
    ));
    for (k, v) in r.record.headers.iter() {
        out.push(Line::from(vec![
            Span::styled(format!("  {}", sanitize(k)), Style::new().fg(t.json_key)),
            Span::styled(" = ", t.dimmed()),
            Span::styled(header_value(v), t.text()),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(strings::DLQ_VALUE, t.strong()));
    match r.record.value.as_deref() {
        None => out.push(Line::styled("  (tombstone)", t.dimmed())),
        Some(v) => match crate::domain::json_text::parse_any_json(v) {
            Ok(Parsed::Tree(json)) => out.extend(json::highlight(&json, t)),
            Ok(Parsed::Deep(deep)) => out.extend(json::highlight_deep(&deep, t)),
            Err(_) => out.push(Line::styled(format!("  {}", sanitize_bytes(v)), t.text())),
        },
    }
    out.push(Line::raw(""));
    match &l.stacktrace {
        None => out.push(Line::styled(strings::DLQ_NO_STACK, t.dimmed())),
        Some(s) => {
            let n = s.lines().count();
            out.push(Line::styled(strings::dlq_stack(n, stack_open), t.strong()));
            if stack_open {
                for line in s.lines() {
                    out.push(Line::styled(
                        format!("  {}", sanitize(&line.replace('\t', "    "))),
                        Style::new().fg(t.error),
                    ));
                }
            }
        }
    }
    out
}

/// The DLQ pane's handlers that reach outside it.
impl DlqState {
    /// Confirm in the redrive dialog: refused in read-only mode (the redrive
    /// function refuses too), else the request goes to the runtime.
    fn confirm_redrive(&mut self, cx: &mut Cx<'_>) {
        if !self.dialog_open() {
            return;
        }
        let previewing = matches!(self.redrive(), Some(RedriveStage::Preview(_)));
        if previewing && !cx.gate(crate::audit::action::DLQ_REDRIVE) {
            self.cancel();
            return;
        }
        if let Some(req) = self.confirm() {
            cx.command(Command::Redrive(Box::new(req)));
        }
    }

    /// `o`: the dead letter's original, in Streams.
    fn open_original(&self, cx: &mut Cx<'_>) {
        let Some(r) = self.current() else {
            return cx.info(strings::NOTHING_SELECTED);
        };
        let l = &r.letter;
        let Some(topic) = l.original_topic.clone() else {
            return cx.error(strings::NO_ORIGINAL);
        };
        // Our bridge's local handlers run on the publish itself, so the dead
        // letter names no offset; its event id (kept in the dead letter's
        // body and headers) finds the original among what Streams read.
        let event_id = l.is_local().then(|| r.record.decode().event_id()).flatten();
        cx.effect(Effect::OpenOriginal(Original {
            topic,
            partition: l.original_partition.unwrap_or(0),
            offset: l.original_offset,
            event_id,
            key: r.record.key_text(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_100_000_levels_deep_shows_its_value_as_json_on_a_small_stack() {
        for object in [false, true] {
            crate::domain::deep::on_small_stack(move || {
                let source = crate::domain::deep::nested(100_000, object);
                let record = crate::kafka::ConsumedRecord {
                    topic: "x.dlq".into(),
                    partition: 0,
                    offset: 3,
                    timestamp_ms: None,
                    key: None,
                    value: Some(source.into_bytes()),
                    headers: crate::domain::Headers::default(),
                };
                let r = DlqRecord::new(record);
                let lines = detail_lines(&r, false, &Theme::dark());
                let text: Vec<String> = lines
                    .iter()
                    .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                    .collect();
                let at = text.iter().position(|l| l == strings::DLQ_VALUE).unwrap();
                assert_eq!(text[at + 1], if object { "{" } else { "[" });
                assert!(text.len() > 200_000, "pretty-printed, one level a line");
            });
        }
    }

    #[test]
    fn java_class_names_shorten_to_their_last_segment() {
        assert_eq!(
            short_kind("java.lang.NullPointerException"),
            "NullPointerException"
        );
        assert_eq!(short_kind("timeout"), "timeout");
        assert_eq!(short_kind("a b.c"), "a b.c");
    }

    #[test]
    fn header_values_show_text_or_hex_with_the_number() {
        assert_eq!(header_value(Some(b"debate.events")), "debate.events");
        assert_eq!(
            header_value(Some(&42i32.to_be_bytes())),
            "0x0000002a (int 42)"
        );
        assert_eq!(
            header_value(Some(&7i64.to_be_bytes())),
            "0x0000000000000007 (long 7)"
        );
        assert_eq!(header_value(None), "(null)");
    }
}
