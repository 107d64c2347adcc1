//! The Topics pane: every topic with partitions, replication factor and an
//! estimated record count; Enter describes one (partitions with leader,
//! replicas, ISR and watermarks, then its configs, overrides first). Replies
//! arrive from the ops worker and are formatted then, so `render` only draws.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::opsview::{ListView, Note, TextView, clip, frame_block, with_note};
use super::{Pane, View};
use crate::kafka::admin::{ConfigValue, TopicDetail};
use crate::tui::keymap::Mode;
use crate::tui::ops_workers::TopicView;
use crate::tui::strings;
use crate::tui::theme::Theme;

/// The describe view of one topic.
#[derive(Debug, Clone)]
pub struct TopicOpen {
    /// The topic.
    pub name: String,
    /// What the worker said (`None` while loading).
    pub view: Option<TextView>,
    /// Its partition count, once known (for `P`).
    pub partitions: Option<usize>,
    note: Note,
}

/// The Topics pane's state.
#[derive(Debug, Clone, Default)]
pub struct TopicsState {
    list: ListView,
    names: Vec<String>,
    /// The list's status.
    pub note: Note,
    /// The last change that failed, in full (the toast line may cut it); shown
    /// until the next change or refresh.
    pub problem: Option<String>,
    /// The topic being described, if any.
    pub open: Option<TopicOpen>,
    /// The broker has no admin APIs: the list (metadata) still works; configs
    /// and changes do not.
    pub no_admin: bool,
}

/// The pane.
pub fn pane() -> TopicsState {
    TopicsState::default()
}

impl TopicsState {
    /// The key mode.
    pub fn mode(&self) -> Mode {
        if self.open.is_some() {
            Mode::TopicDetail
        } else {
            Mode::Topics
        }
    }

    /// The topic list arrived (sorted by name), or failed.
    pub fn set_topics(&mut self, result: Result<Vec<TopicDetail>, String>) {
        match result {
            Ok(mut topics) => {
                topics.sort_by(|a, b| a.name.cmp(&b.name));
                self.names = topics.iter().map(|t| t.name.clone()).collect();
                self.list.set_rows(topics.iter().map(row).collect());
                self.note = Note::Ready;
            }
            Err(e) => self.note = Note::failed(&e),
        }
    }

    /// The selected topic's name.
    pub fn selected(&self) -> Option<&str> {
        if let Some(o) = &self.open {
            return Some(&o.name);
        }
        self.list.selected().map(|i| self.names[i].as_str())
    }

    /// Topic names as listed.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Opens the describe view of `name` (loading until [`Self::set_topic`]).
    pub fn open(&mut self, name: String) {
        self.open = Some(TopicOpen {
            name,
            view: None,
            partitions: None,
            note: Note::Loading,
        });
    }

    /// Closes the describe view.
    pub fn close(&mut self) {
        self.open = None;
    }

    /// A describe reply; one for another topic than the open one is stale.
    pub fn set_topic(&mut self, name: &str, result: Result<Box<TopicView>, String>) {
        let Some(open) = self.open.as_mut().filter(|o| o.name == name) else {
            return;
        };
        match result {
            Ok(v) => {
                open.partitions = Some(v.detail.partitions.len());
                open.view = Some(TextView::new(describe_lines(&v)));
                open.note = Note::Ready;
            }
            Err(e) => open.note = Note::failed(&e),
        }
    }

    /// The list row at screen line `y` (none while one item is open).
    pub fn row_at(&self, y: u16) -> Option<usize> {
        if self.open.is_some() {
            return None;
        }
        self.list.row_at(y)
    }

    /// The list's cursor row.
    pub fn selected_index(&self) -> Option<usize> {
        self.list.selected()
    }

    /// Moves the list's cursor to row `i`.
    pub fn select_index(&mut self, i: usize) {
        self.list.select_index(i);
    }

    /// Moves the cursor, or scrolls the describe view.
    pub fn move_by(&mut self, d: isize) {
        match self.open.as_mut() {
            Some(o) => {
                if let Some(v) = o.view.as_mut() {
                    v.scroll_by(d);
                }
            }
            None => self.list.move_by(d),
        }
    }

    /// Rows (or lines) on one screen.
    pub fn page(&self) -> usize {
        match self.open.as_ref().and_then(|o| o.view.as_ref()) {
            Some(v) => v.page(),
            None => self.list.page(),
        }
    }
}

fn row(t: &TopicDetail) -> Vec<String> {
    let under = t.under_replicated();
    vec![
        t.name.clone(),
        t.partitions.len().to_string(),
        t.replication_factor.to_string(),
        t.estimated_count.to_string(),
        if under == 0 {
            "-".into()
        } else {
            under.to_string()
        },
    ]
}

fn describe_lines(v: &TopicView) -> Vec<Line<'static>> {
    let d = &v.detail;
    let mut out = vec![
        Line::raw(strings::topic_summary(d)),
        Line::raw(""),
        Line::raw(format!(
            "{:>9}  {:>6}  {:<14} {:<14} {:>12} {:>12}",
            "PARTITION", "LEADER", "REPLICAS", "ISR", "LOW", "HIGH"
        )),
    ];
    for p in &d.partitions {
        out.push(Line::raw(format!(
            "{:>9}  {:>6}  {:<14} {:<14} {:>12} {:>12}",
            p.partition,
            p.leader,
            ids(&p.replicas),
            ids(&p.isr),
            p.low,
            p.high
        )));
    }
    out.push(Line::raw(""));
    match &v.configs {
        Ok(configs) => {
            let overrides = configs.iter().filter(|c| c.source == "topic").count();
            out.push(Line::raw(strings::topic_configs_head(
                configs.len(),
                overrides,
            )));
            out.push(Line::raw(format!(
                "  {:<40} {:<24} {}",
                "NAME", "VALUE", "SOURCE"
            )));
            let mut sorted: Vec<&ConfigValue> = configs.iter().collect();
            sorted.sort_by_key(|c| (c.source != "topic", c.name.clone()));
            for c in sorted {
                let mark = if c.source == "topic" { "*" } else { " " };
                out.push(Line::raw(format!(
                    "{mark} {:<40} {:<24} {}",
                    clip(&c.name, 40),
                    clip(c.value.as_deref().unwrap_or("-"), 24),
                    c.source
                )));
            }
        }
        Err(e) if super::opsview::no_admin_api(e) => {
            out.push(Line::raw(strings::NO_ADMIN_CONFIGS.to_string()))
        }
        Err(e) => out.push(Line::raw(format!("✗ configs: {e}"))),
    }
    out
}

fn ids(v: &[i32]) -> String {
    let s: Vec<String> = v.iter().map(i32::to_string).collect();
    s.join(",")
}

const WIDTHS: [Constraint; 5] = [
    Constraint::Min(20),
    Constraint::Length(10),
    Constraint::Length(4),
    Constraint::Length(13),
    Constraint::Length(11),
];

impl TopicsState {
    fn with_problem(&self, frame: &mut Frame<'_>, inner: Rect, t: &Theme) -> Rect {
        match &self.problem {
            Some(p) => with_note(frame, inner, &Note::Failed(p.clone()), t),
            None => inner,
        }
    }
}

impl Pane for TopicsState {
    fn title(&self) -> &'static str {
        strings::TAB_TOPICS
    }

    fn mode(&self) -> Mode {
        TopicsState::mode(self)
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t: &Theme = view.theme;
        if let Some(open) = &self.open {
            let inner = frame_block(frame, area, strings::topic_title(&open.name), t);
            let inner = self.with_problem(frame, inner, t);
            let body = with_note(frame, inner, &open.note, t);
            if let Some(v) = &open.view {
                v.render(frame, body);
            }
            return;
        }
        let inner = frame_block(frame, area, strings::topics_title(self.names.len()), t);
        let inner = if self.no_admin {
            with_note(frame, inner, &Note::NoAdmin, t)
        } else {
            inner
        };
        let inner = self.with_problem(frame, inner, t);
        let body = with_note(frame, inner, &self.note, t);
        if self.list.rows().is_empty() {
            if self.note == Note::Ready {
                frame.render_widget(
                    Paragraph::new(strings::TOPICS_EMPTY).style(Style::new().fg(t.dim)),
                    body,
                );
            }
            return;
        }
        self.list
            .render(frame, body, &strings::TOPIC_COLUMNS, &WIDTHS, t);
    }
}
