//! The Schemas pane: the schema registry's subjects, one row each — latest
//! version, schema id, format, compatibility level, the topics named after
//! the subject (`<topic>-value`, `<topic>-key`) and the topics whose records
//! carried one of its schema ids (seen by Streams). Enter opens the latest
//! version's text pretty-printed; ←/→ step through the versions, `d` shows
//! the diff with the version before. The registry is asked by the schemas
//! worker ([`crate::tui::workers::schemas`]), through the functions
//! `eventdeck schemas` calls ([`crate::schemas`]). Without a registry the
//! pane says how to configure one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crossterm::event::MouseEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Cx, Effect, Pane, View};
use crate::domain::headers::HeaderView;
use crate::domain::schema::{Field, SchemaId, framing};
use crate::kafka::ConsumedRecord;
use crate::schemas::{DiffOp, SubjectSummary, VersionView, diff};
use crate::tui::action::Action;
use crate::tui::event::{Command, OpenedSchema, SchemaReply, SchemaRequest, WorkerMsg};
use crate::tui::fit::Col;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{Browse, Note, TextView, frame_block, step, with_note};

/// Distinct schema ids remembered from the wire at most: each is one
/// registry request when the tab resolves them, and a topic with records of
/// more schemas than this is a test harness, not a system to read.
const MAX_WIRE_IDS: usize = 1_000;

/// What the pane keeps of the open subject.
#[derive(Debug, Clone, Default)]
pub struct OpenSubject {
    /// The version asked for (`None`: the latest).
    asked: Option<u32>,
    /// What arrived.
    opened: Option<OpenedSchema>,
    /// The schema text's lines and the diff's, built when they arrived.
    text: Vec<Line<'static>>,
    diff: Option<Vec<Line<'static>>>,
    /// The diff is on screen.
    showing_diff: bool,
}

/// The Schemas pane's state.
#[derive(Debug, Clone, Default)]
pub struct SchemasState {
    /// The registry's URL (`None`: no registry configured).
    url: Option<String>,
    /// Every subject, sorted.
    all: Vec<SubjectSummary>,
    /// Indices into `all` of the rows shown (the filter's matches).
    shown: Vec<usize>,
    /// The list, and the subject opened over it.
    browse: Browse<OpenSubject>,
    /// The `/` filter (any case, on the subject).
    filter: String,
    /// The list's status.
    pub note: Note,
    /// Schema ids seen on the wire, each with the topics that carried it.
    wire: BTreeMap<u32, BTreeSet<String>>,
    /// What the registry said of those ids: the subjects and versions.
    resolved: HashMap<u32, Vec<(String, u32)>>,
    /// Ids asked about (answered or not): each is asked once.
    asked: BTreeSet<u32>,
}

/// The pane; `url` is the configured registry's.
pub fn pane(url: Option<&str>) -> SchemasState {
    SchemasState {
        url: url.map(str::to_string),
        ..SchemasState::default()
    }
}

/// Subject, version, id, format, compatibility, topics by name, seen on.
/// On a narrow screen the wire topics go first, then the topics by name and
/// the compatibility; the subject is cut with `…` last.
const COLUMNS: [Col; 7] = [
    Col::text(0, 10).grow(),
    Col::whole(1),
    Col::whole(2),
    Col::text(3, 4),
    Col::text(4, 6),
    Col::text(5, 6),
    Col::text(6, 6),
];

impl SchemasState {
    /// The key mode.
    pub fn mode(&self) -> Mode {
        if self.browse.open.is_some() {
            Mode::SchemaVersion
        } else {
            Mode::Schemas
        }
    }

    /// Notes the schema ids a record's key and value carry (Streams calls
    /// this for every record it keeps). Only when a registry is configured:
    /// without one there is nothing to match them with.
    pub fn observe(&mut self, rec: &ConsumedRecord) {
        if self.url.is_none() {
            return;
        }
        // Most records name no schema: neither a header that may carry an
        // id (Confluent's `__…_schema_id`, Apicurio's `apicurio.…`) nor the
        // magic byte. They cost this scan, not `framing`'s lookups.
        let id_header = rec
            .headers
            .pairs()
            .any(|(k, _)| k.starts_with("__") || k.starts_with("apicurio."));
        for (field, bytes) in [(Field::Value, &rec.value), (Field::Key, &rec.key)] {
            let Some(bytes) = bytes else { continue };
            if !id_header && bytes.first() != Some(&0) {
                continue;
            }
            // A globalId (Apicurio's legacy framing) names no subject
            // version by itself: those records are not counted here.
            let Ok(Some(framed)) = framing(bytes, &rec.headers, field) else {
                continue;
            };
            let SchemaId::Id(id) = framed.id else {
                continue;
            };
            if !self.wire.contains_key(&id) && self.wire.len() >= MAX_WIRE_IDS {
                continue;
            }
            let topics = self.wire.entry(id).or_default();
            if !topics.contains(&rec.topic) {
                topics.insert(rec.topic.clone());
            }
        }
    }

    /// The subject list arrived, or failed (the last list stays).
    pub fn set_subjects(&mut self, result: Result<Vec<SubjectSummary>, String>) {
        match result {
            Ok(mut subjects) => {
                subjects.sort_by(|a, b| a.subject.cmp(&b.subject));
                self.all = subjects;
                self.note = Note::Ready;
                self.rebuild();
            }
            Err(e) => self.note = Note::Failed(e),
        }
    }

    /// The topics that carried one of `subject`'s schema ids.
    fn wire_topics(&self, subject: &str) -> BTreeSet<&str> {
        self.resolved
            .iter()
            .filter(|(_, filed)| filed.iter().any(|(s, _)| s == subject))
            .filter_map(|(id, _)| self.wire.get(id))
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// Applies the filter and formats the rows (here, not in `render`).
    fn rebuild(&mut self) {
        let want = self.filter.to_lowercase();
        self.shown = self
            .all
            .iter()
            .enumerate()
            .filter(|(_, s)| want.is_empty() || s.subject.to_lowercase().contains(&want))
            .map(|(i, _)| i)
            .collect();
        let rows = self
            .shown
            .iter()
            .map(|&i| {
                let s = &self.all[i];
                vec![
                    s.subject.clone(),
                    s.latest.to_string(),
                    s.id.to_string(),
                    s.format.as_str().to_string(),
                    s.compatibility.clone(),
                    by_name(s),
                    joined(self.wire_topics(&s.subject)),
                ]
            })
            .collect();
        self.browse.list.set_rows(rows);
    }

    /// The selected subject.
    pub fn selected(&self) -> Option<&SubjectSummary> {
        let row = self.browse.list.selected()?;
        self.shown.get(row).and_then(|&i| self.all.get(i))
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if self.url.is_none() {
            return;
        }
        self.note = Note::Loading;
        cx.command(Command::Schemas(SchemaRequest::List));
        self.resolve(cx);
    }

    /// Asks which subjects the ids seen on the wire belong to (each id once).
    fn resolve(&mut self, cx: &mut Cx<'_>) {
        let new: Vec<u32> = self
            .wire
            .keys()
            .filter(|id| !self.asked.contains(id))
            .copied()
            .collect();
        if new.is_empty() {
            return;
        }
        self.asked.extend(&new);
        cx.command(Command::Schemas(SchemaRequest::Resolve(new)));
    }

    fn open(&mut self, subject: String, version: Option<u32>, cx: &mut Cx<'_>) {
        self.browse.open(subject.clone());
        if let Some(o) = self.browse.open.as_mut() {
            o.extra.asked = version;
        }
        cx.command(Command::Schemas(SchemaRequest::Open { subject, version }));
    }

    /// A version arrived for `subject`; one for another subject or version
    /// than the one asked is stale.
    fn set_opened(
        &mut self,
        subject: &str,
        result: Result<Box<OpenedSchema>, String>,
        theme: &Theme,
    ) {
        let Some(open) = self.browse.open.as_ref() else {
            return;
        };
        if let Ok(o) = &result
            && open.extra.asked.is_some_and(|v| v != o.view.version)
        {
            return;
        }
        let showing_diff = open.extra.showing_diff;
        let built = result.map(|o| {
            let text = self.text_lines(&o.view, theme);
            let diff = o.previous.as_ref().map(|p| diff_lines(p, &o.view, theme));
            let extra = OpenSubject {
                asked: Some(o.view.version),
                opened: Some(*o),
                text: text.clone(),
                showing_diff: showing_diff && diff.is_some(),
                diff,
            };
            let lines = match (&extra.diff, extra.showing_diff) {
                (Some(d), true) => d.clone(),
                _ => text,
            };
            (lines, extra)
        });
        self.browse.set_open(subject, built);
    }

    /// The open version's facts, then its text.
    fn text_lines(&self, v: &VersionView, theme: &Theme) -> Vec<Line<'static>> {
        let versions: Vec<String> = v.versions.iter().map(u32::to_string).collect();
        let refs = v.references_text();
        let summary = self.all.iter().find(|s| s.subject == v.subject);
        let by_name = summary.map_or_else(|| "-".to_string(), by_name);
        let mut out = vec![
            Line::styled(
                strings::schema_facts(
                    v.version,
                    &versions.join(", "),
                    v.id,
                    v.format.as_str(),
                    &v.compatibility,
                ),
                theme.strong(),
            ),
            Line::styled(strings::schema_references(&refs), theme.dimmed()),
            Line::styled(
                strings::schema_topics(&by_name, &joined(self.wire_topics(&v.subject))),
                theme.dimmed(),
            ),
            Line::raw(""),
        ];
        out.extend(v.schema.lines().map(|l| Line::raw(l.to_string())));
        out
    }

    /// Shows the diff, or the text again.
    fn toggle_diff(&mut self, cx: &mut Cx<'_>) {
        let Some(open) = self.browse.open.as_mut() else {
            return;
        };
        let Some(opened) = &open.extra.opened else {
            return;
        };
        let Some(diff) = &open.extra.diff else {
            return cx.info(strings::schema_no_previous(opened.view.version));
        };
        open.extra.showing_diff = !open.extra.showing_diff;
        let lines = if open.extra.showing_diff {
            diff.clone()
        } else {
            open.extra.text.clone()
        };
        open.view = Some(TextView::new(lines));
    }

    /// Opens the version before (`older`) or after the one on screen.
    fn step_version(&mut self, older: bool, cx: &mut Cx<'_>) {
        let Some(open) = self.browse.open.as_ref() else {
            return;
        };
        let Some(opened) = &open.extra.opened else {
            return;
        };
        let next = if older {
            opened.view.previous()
        } else {
            opened.view.next()
        };
        let Some(version) = next else {
            return cx.info(strings::SCHEMA_NO_MORE_VERSIONS);
        };
        let subject = open.name.clone();
        let showing_diff = open.extra.showing_diff;
        self.open(subject, Some(version), cx);
        if let Some(o) = self.browse.open.as_mut() {
            o.extra.showing_diff = showing_diff;
        }
    }
}

/// The topics named after a subject, `?` when the cluster's were not read.
fn by_name(s: &SubjectSummary) -> String {
    match &s.topics {
        None => strings::SCHEMAS_TOPICS_UNKNOWN.to_string(),
        Some(t) => joined(t.iter().map(String::as_str)),
    }
}

/// `a,b`, or `-` for none.
fn joined<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<&str> = items.into_iter().collect();
    if all.is_empty() {
        "-".to_string()
    } else {
        all.join(",")
    }
}

/// The diff from `from` to `to`: a head line, then every line marked.
fn diff_lines(from: &VersionView, to: &VersionView, t: &Theme) -> Vec<Line<'static>> {
    let lines = diff(&from.schema, &to.schema);
    let count = |op| lines.iter().filter(|l| l.op == op).count();
    let mut out = vec![
        Line::styled(
            strings::schema_diff_head(
                from.version,
                from.id,
                to.version,
                to.id,
                count(DiffOp::Insert),
                count(DiffOp::Delete),
            ),
            t.strong(),
        ),
        Line::raw(""),
    ];
    out.extend(lines.into_iter().map(|l| {
        let style = match l.op {
            DiffOp::Equal => t.text(),
            DiffOp::Delete => Style::new().fg(t.error),
            DiffOp::Insert => Style::new().fg(t.ok),
        };
        Line::from(Span::styled(format!("{}{}", l.op.mark(), l.text), style))
    }));
    out
}

impl Pane for SchemasState {
    fn title(&self) -> &'static str {
        strings::TAB_SCHEMAS
    }

    fn mode(&self) -> Mode {
        SchemasState::mode(self)
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if let Some(rows) = step(action, self.browse.page()) {
            return self.browse.move_by(rows);
        }
        match action {
            Action::Back => self.browse.close(),
            Action::Refresh => match self.browse.open.as_ref() {
                Some(o) => {
                    let (subject, version) = (o.name.clone(), o.extra.asked);
                    self.open(subject, version, cx);
                }
                None => self.refresh(cx),
            },
            Action::Open => match self.selected().map(|s| s.subject.clone()) {
                Some(subject) => self.open(subject, None, cx),
                None => cx.info(strings::NO_SUBJECT_SELECTED),
            },
            Action::Diff => self.toggle_diff(cx),
            Action::PrevChoice => self.step_version(true, cx),
            Action::NextChoice => self.step_version(false, cx),
            Action::Filter => cx.effect(Effect::FilterPrompt(self.filter.clone())),
            Action::ClearFilter => {
                self.set_filter("");
            }
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let WorkerMsg::Schemas(reply) = msg else {
            return Some(msg);
        };
        match *reply {
            SchemaReply::Subjects(r) => self.set_subjects(r),
            SchemaReply::Opened { subject, result } => {
                self.set_opened(&subject, result, cx.theme);
            }
            SchemaReply::Resolved(ids) => {
                self.resolved.extend(ids);
                self.rebuild();
            }
        }
        None
    }

    fn focus(&mut self, cx: &mut Cx<'_>) {
        if self.note == Note::Idle {
            self.refresh(cx);
        } else {
            // Ids seen since the tab was last on screen.
            self.resolve(cx);
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.browse.move_by(rows);
        true
    }

    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        match self.browse.click(m.row) {
            Some(true) => self.handle(Action::Open, cx),
            Some(false) => {}
            None => return false,
        }
        true
    }

    fn set_filter(&mut self, text: &str) -> bool {
        self.filter = text.trim().to_string();
        self.rebuild();
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let Some(url) = &self.url else {
            let inner = frame_block(frame, area, format!(" {} ", strings::TAB_SCHEMAS), t);
            frame.render_widget(
                Paragraph::new(strings::SCHEMAS_NOT_CONFIGURED)
                    .style(Style::new().fg(t.warn))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        };
        let title = |subject: &str| {
            let open = self.browse.open.as_ref();
            let version = open.and_then(|o| o.extra.asked);
            let diff = open.is_some_and(|o| o.extra.showing_diff);
            strings::schema_title(subject, version, diff)
        };
        if self.browse.render_open(frame, area, title, None, t) {
            return;
        }
        let title = strings::schemas_title(self.shown.len(), self.all.len(), &self.filter, url);
        let inner = frame_block(frame, area, title, t);
        let body = with_note(frame, inner, &self.note, t);
        if self.browse.list.rows().is_empty() {
            if self.note == Note::Ready {
                let text = if self.all.is_empty() {
                    strings::SCHEMAS_EMPTY
                } else {
                    strings::SCHEMAS_NONE_MATCH
                };
                frame.render_widget(
                    Paragraph::new(text)
                        .style(Style::new().fg(t.dim))
                        .wrap(Wrap { trim: true }),
                    body,
                );
            }
            return;
        }
        self.browse
            .list
            .render(frame, body, &strings::SCHEMA_COLUMNS, &COLUMNS, t);
    }
}
