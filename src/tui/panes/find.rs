//! The Find pane: a search over whole topics or a range (`:find …`, `F` in
//! Streams), with the grammar of `eventdeck find`. A progress bar says records
//! read of the total (from the watermarks), the rate, the time left and the
//! matches; `esc` cancels at once; matches stream into a list that opens into
//! the record view, the trace and re-inject as Streams rows do (the list is a
//! [`StreamsState`] of its own). The search runs in a worker; this pane only
//! sends it a request and takes its messages.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::streams::StreamsState;
use super::{Cx, Effect, Pane, View};
use crate::domain::TopicMap;
use crate::domain::json_text::truncate_chars;
use crate::kafka::find::{FindSummary, Progress};
use crate::tui::action::Action;
use crate::tui::event::{Command, FindJob, FindUpdate, WorkerMsg};
use crate::tui::keymap::Mode;
use crate::tui::strings;

/// Where a search is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindStatus {
    /// No search yet.
    Idle,
    /// Reading.
    Running,
    /// Read to its end (or its limit).
    Done(FindSummary),
    /// Cancelled by the user.
    Cancelled,
    /// Failed with this error.
    Failed(String),
}

/// The Find pane's state.
pub struct FindState {
    /// The search's words, as typed.
    pub query: String,
    /// The current search; messages of another are stale.
    pub generation: u64,
    /// Where it is.
    pub status: FindStatus,
    /// The last progress report.
    pub progress: Progress,
    /// What the plan said (a key lookup's partitions).
    pub note: String,
    /// The search's limit.
    pub limit: usize,
    /// The matches: a list like Streams', with its record view and trace.
    pub results: StreamsState,
    topics: TopicMap,
}

impl FindState {
    /// An empty pane; contexts resolve through `topics`.
    pub fn new(topics: TopicMap) -> Self {
        Self {
            query: String::new(),
            generation: 0,
            status: FindStatus::Idle,
            progress: Progress::default(),
            note: String::new(),
            limit: crate::find::DEFAULT_LIMIT,
            results: Self::empty_results(&topics, crate::find::DEFAULT_LIMIT),
            topics,
        }
    }

    fn empty_results(topics: &TopicMap, limit: usize) -> StreamsState {
        let mut r = StreamsState::new(&[], limit, topics.clone()).starting_at("find".into());
        r.follow = false;
        r
    }

    /// Starts the search `line` (`eventdeck find`'s words) in a worker.
    pub fn start(&mut self, line: &str, cx: &mut Cx<'_>) {
        let request = crate::find::request::parse_palette(line)
            .and_then(|args| crate::find::request::request(&args, &self.topics));
        let request = match request {
            Ok(r) => r,
            Err(e) => return cx.error(e),
        };
        if self.status == FindStatus::Running {
            cx.command(Command::CancelFind(self.generation));
        }
        self.generation += 1;
        self.query = line.trim().to_string();
        self.status = FindStatus::Running;
        self.progress = Progress::default();
        self.note.clear();
        self.limit = request.limit;
        self.results = Self::empty_results(&self.topics, request.limit);
        cx.command(Command::Find(Box::new(FindJob {
            generation: self.generation,
            request,
        })));
        cx.go(crate::tui::tab::Tab::Find);
    }

    /// Cancels the running search at once: its later messages are ignored.
    pub fn cancel(&mut self, cx: &mut Cx<'_>) {
        if self.status != FindStatus::Running {
            return;
        }
        cx.command(Command::CancelFind(self.generation));
        self.generation += 1;
        self.status = FindStatus::Cancelled;
    }

    /// A worker's report for search `generation`.
    pub fn update(&mut self, generation: u64, update: FindUpdate) {
        if generation != self.generation {
            return;
        }
        match update {
            FindUpdate::Planned(plan) => {
                self.progress.total = plan.total;
                if !plan.key_partitions.is_empty() {
                    let parts: Vec<String> = plan
                        .key_partitions
                        .iter()
                        .map(|k| {
                            let by: Vec<&str> = k.by.iter().map(|p| p.name()).collect();
                            format!("{}[{}] ({})", k.topic, k.partition, by.join(", "))
                        })
                        .collect();
                    self.note = strings::find_key_plan(&parts.join(", "), plan.second_pass);
                }
            }
            FindUpdate::SecondPass { partitions, .. } => {
                self.note = strings::find_second_pass(partitions);
            }
            FindUpdate::Progress(p) => self.progress = p,
            FindUpdate::Matches(found) => {
                self.progress.matches += found.len() as u64;
                self.results.append(found);
            }
            FindUpdate::Warning(w) => self.note = w,
            FindUpdate::Done(Ok(summary)) => {
                self.progress.scanned = summary.scanned;
                self.progress.total = summary.total;
                self.progress.matches = summary.matches;
                self.progress.elapsed = summary.elapsed;
                if summary.capped {
                    self.note = strings::find_capped(self.limit);
                }
                self.status = FindStatus::Done(summary);
            }
            FindUpdate::Done(Err(e)) => self.status = FindStatus::Failed(e),
        }
    }

    fn state_label(&self) -> &str {
        match &self.status {
            FindStatus::Idle => "",
            FindStatus::Running => strings::FIND_RUNNING,
            FindStatus::Done(_) => strings::FIND_DONE,
            FindStatus::Cancelled => strings::FIND_CANCELLED,
            FindStatus::Failed(_) => strings::FIND_FAILED,
        }
    }

    /// The progress line's text (rate and time left from the last report).
    pub fn progress_text(&self) -> String {
        let p = &self.progress;
        let secs = p.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            (p.scanned as f64 / secs) as u64
        } else {
            0
        };
        let eta = (rate > 0 && self.status == FindStatus::Running)
            .then(|| p.total.saturating_sub(p.scanned) / rate);
        strings::find_progress(p.scanned, p.total, rate, eta, p.matches)
    }
}

impl Pane for FindState {
    fn title(&self) -> &'static str {
        strings::TAB_FIND
    }

    fn mode(&self) -> Mode {
        match self.results.mode() {
            Mode::Streams => Mode::Find,
            other => other,
        }
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if self.mode() != Mode::Find {
            return self.results.handle(action, cx);
        }
        match action {
            Action::Back => self.cancel(cx),
            Action::Find => cx.effect(Effect::Palette(format!("find {}", self.query))),
            other => self.results.handle(other, cx),
        }
    }

    fn apply(&mut self, msg: WorkerMsg, _cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        match msg {
            WorkerMsg::Find { generation, update } => {
                self.update(generation, update);
                None
            }
            other => Some(other),
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.results.scroll(rows)
    }

    fn palette(&mut self, verb: &str, arg: &str, cx: &mut Cx<'_>) -> bool {
        if verb != "find" {
            return false;
        }
        self.start(arg, cx);
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        if area.height < 3 {
            return;
        }
        if self.results.mode() != Mode::Streams {
            return self.results.render(frame, area, view);
        }
        let theme = view.theme;
        if self.status == FindStatus::Idle {
            frame.render_widget(Paragraph::new(strings::FIND_EMPTY), area);
            return;
        }
        let head = Line::from(vec![
            Span::styled(
                format!("{} ", self.state_label()),
                Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
            ),
            Span::raw(truncate_chars(
                &crate::domain::sanitize(&self.query),
                (area.width as usize).saturating_sub(self.state_label().chars().count() + 1),
            )),
        ]);
        frame.render_widget(Paragraph::new(head), Rect { height: 1, ..area });
        let p = &self.progress;
        let ratio = if p.total == 0 {
            1.0
        } else {
            (p.scanned as f64 / p.total as f64).clamp(0.0, 1.0)
        };
        let gauge = Gauge::default()
            .gauge_style(Style::new().fg(theme.ok))
            .ratio(ratio)
            .label(self.progress_text());
        frame.render_widget(
            gauge,
            Rect {
                y: area.y + 1,
                height: 1,
                ..area
            },
        );
        let note = match &self.status {
            FindStatus::Failed(e) => e.clone(),
            _ => self.note.clone(),
        };
        frame.render_widget(
            Paragraph::new(truncate_chars(
                &crate::domain::sanitize(&note),
                area.width as usize,
            ))
            .style(Style::new().fg(theme.warn)),
            Rect {
                y: area.y + 2,
                height: 1,
                ..area
            },
        );
        let list = Rect {
            y: area.y + 3,
            height: area.height - 3,
            ..area
        };
        if self.results.is_empty() {
            // Not Streams' "waiting for new records": a search reads a fixed range.
            let text = match self.status {
                FindStatus::Running => strings::FIND_NO_MATCH_YET.to_string(),
                _ => strings::find_no_match(p.scanned),
            };
            frame.render_widget(Paragraph::new(text), list);
            return;
        }
        self.results.render(frame, list, view);
    }
}
