//! The console's state and its handlers: terminal events and worker messages
//! become [`Action`]s and state changes; I/O leaves as [`Command`]s for the runtime;
//! `render` only reads. Tests drive this directly (`app.press("j")`).

use std::cell::{Cell, RefCell};

use chrono::Utc;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::AppServices;
use super::action::Action;
use super::event::{Command, Event, WorkerMsg};
use super::keymap::{Key, KeyMap, Mode};
use super::panes::audit::AuditState;
use super::panes::dlq::DlqState;
use super::panes::flows::FlowsState;
use super::panes::groups::GroupsState;
use super::panes::inject::{InjectState, Route};
use super::panes::lag::LagState;
use super::panes::opsview::OpsDialog;
use super::panes::replay::{ReplayState, parse_request};
use super::panes::streams::{Order, StreamsState};
use super::panes::topics::TopicsState;
use super::panes::trace::TraceState;
use super::panes::{Pane, View, dlq, lag};
use super::strings;
use super::theme::Theme;
use crate::domain::EventTypeRegistry;
use crate::kafka::StartAt;

mod lagdlq;
mod ops;

/// Seconds a toast stays up.
const TOAST_TICKS: u8 = 6;
/// Ticks the start-up problems stay unless a key is pressed.
const STARTUP_TOAST_TICKS: u8 = 15;
/// Rows the mouse wheel scrolls.
const WHEEL_ROWS: isize = 3;
/// The DLQ pane holds at most this fraction (1/N) of the record memory.
const DLQ_SHARE_OF_MEMORY: usize = 4;

/// The tabs, in number-key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Live records.
    Streams,
    /// Consumer lag.
    Lag,
    /// Dead-letter queues.
    Dlq,
    /// Flows between contexts.
    Flows,
    /// The inject form.
    Inject,
    /// Topic administration.
    Topics,
    /// Consumer-group administration.
    Groups,
    /// The audit log.
    Audit,
}

/// Every tab, in order.
pub const TABS: [Tab; 8] = [
    Tab::Streams,
    Tab::Lag,
    Tab::Dlq,
    Tab::Flows,
    Tab::Inject,
    Tab::Topics,
    Tab::Groups,
    Tab::Audit,
];

/// The cluster connection as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// No answer yet.
    Connecting,
    /// The last probe or read succeeded.
    Connected,
    /// The last probe failed; the client keeps retrying.
    Disconnected(String),
}

/// A short message where the user is looking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
    ticks_left: u8,
    /// Start-up problems: not replaced by other toasts until a key is pressed
    /// or it times out (they are logged all the same).
    pinned: bool,
}

/// A prompt typed in the bottom line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Prompt {
    /// `/` filter, typed live; `previous` comes back on Esc.
    Filter { text: String, previous: String },
    /// `:` command palette.
    Palette(String),
}

/// The help overlay, built when it opens.
#[derive(Debug, Clone)]
struct Help {
    mode: Mode,
    /// Keys, description, and the action a click on the line runs (none for
    /// section titles).
    entries: Vec<(String, String, Option<Action>)>,
    /// Where the popup and each entry were last drawn, for mouse clicks.
    layout: RefCell<HelpLayout>,
}

#[derive(Debug, Clone, Default)]
struct HelpLayout {
    popup: Rect,
    /// Entry index by screen cell range.
    lines: Vec<(Rect, usize)>,
}

/// The whole console state.
pub struct App {
    /// The console's record memory (`ui.memory_mb`), shared by Streams and DLQ.
    memory_bytes: usize,
    keymap: KeyMap,
    theme: Theme,
    config_theme: String,
    config_colors: std::collections::BTreeMap<String, String>,
    tab: Tab,
    /// The Streams pane.
    pub streams: StreamsState,
    /// The Inject pane.
    pub inject: InjectState,
    /// The Lag pane.
    pub lag: LagState,
    /// The DLQ pane.
    pub dlq: DlqState,
    /// The Flows pane (and the graph the trace reads).
    pub flows: FlowsState,
    /// The open correlation trace (over Streams).
    pub trace: Option<TraceState>,
    /// The replay popup, while a replay is previewed, runs or has just ended.
    pub replay: Option<ReplayState>,
    has_handlers: bool,
    topic_map: crate::domain::TopicMap,
    /// The Topics pane.
    pub topics: TopicsState,
    /// The Groups pane.
    pub groups: GroupsState,
    /// The Audit view.
    pub audit: AuditState,
    ops_dialog: Option<OpsDialog>,
    /// What `audit::authorize` decides with (read-only comes from here).
    settings: crate::config::Settings,
    prompt: Option<Prompt>,
    help: Option<Help>,
    toast: Option<Toast>,
    connection: Connection,
    title: String,
    read_only: bool,
    status_text: String,
    scenario_rate: Option<u32>,
    has_raw: bool,
    rate: u64,
    last_total: u64,
    generation: u64,
    commands: Vec<Command>,
    dirty: bool,
    quit: bool,
    fatal: Option<String>,
    tabs_area: Cell<Rect>,
    /// The status line's row (where the prompt is typed), as last drawn.
    status_row: Cell<u16>,
}

impl App {
    /// A console over the services; nothing starts until the runtime runs it.
    pub fn new(services: &AppServices) -> Self {
        let ui = &services.settings.ui;
        let (keymap, key_errors) = KeyMap::with_overrides(&ui.keys);
        let (theme, color_errors) = Theme::from_config(&ui.theme, &ui.colors);
        let registry = EventTypeRegistry::with_defaults();
        let topics = services.settings.topics.clone();
        let memory_bytes = (ui.memory_mb as usize).saturating_mul(1024 * 1024);
        let mut app = Self {
            memory_bytes,
            keymap,
            theme,
            config_theme: ui.theme.clone(),
            config_colors: ui.colors.clone(),
            tab: Tab::Streams,
            streams: StreamsState::new(&services.topics, ui.ring_size, topics.clone())
                .with_memory_budget(memory_bytes)
                .starting_at(start_label(services.start)),
            inject: InjectState::new(
                topics,
                registry,
                services.publisher.name(),
                services.raw_publisher.is_some(),
            ),
            lag: lag::pane(ui.lag_poll_ms),
            dlq: dlq::pane(ui.redrive_rate, services.settings.read_only)
                .with_memory_budget(memory_bytes / DLQ_SHARE_OF_MEMORY),
            flows: FlowsState::new(services.settings.topics.clone()),
            trace: None,
            replay: None,
            has_handlers: services.handlers.is_some(),
            topic_map: services.settings.topics.clone(),
            topics: super::panes::topics::pane(),
            groups: super::panes::groups::pane(),
            audit: super::panes::audit::pane(),
            ops_dialog: None,
            settings: services.settings.clone(),
            prompt: None,
            help: None,
            toast: None,
            connection: Connection::Connecting,
            title: services.title.clone(),
            read_only: services.settings.read_only,
            status_text: services
                .status
                .as_ref()
                .map(|s| s.borrow().clone())
                .unwrap_or_default(),
            scenario_rate: services.scenario_rate.as_ref().map(|s| *s.borrow()),
            has_raw: services.raw_publisher.is_some(),
            rate: 0,
            last_total: 0,
            generation: 0,
            commands: Vec::new(),
            dirty: true,
            quit: false,
            fatal: None,
            tabs_area: Cell::new(Rect::default()),
            status_row: Cell::new(u16::MAX),
        };
        let problems: Vec<String> = key_errors
            .into_iter()
            .map(|e| e.0)
            .chain(color_errors)
            .chain(services.settings.warnings.iter().cloned())
            .collect();
        if !problems.is_empty() {
            app.toast_startup(problems.join("; "));
        }
        app
    }

    /// True when something changed since the last frame.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Called after drawing.
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    /// True once the user asked to quit (or a task failed).
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The error the app ends with, if a task failed.
    pub fn fatal(&self) -> Option<&str> {
        self.fatal.as_deref()
    }

    /// Asks the app to end (signals).
    pub fn request_quit(&mut self) {
        self.quit = true;
    }

    /// The current stream set's generation (bumped by every seek).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The focused tab.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The header's connection state.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The toast on screen, if any.
    pub fn toast(&self) -> Option<&Toast> {
        self.toast.as_ref()
    }

    /// The theme in use.
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// The key table in use.
    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    /// I/O requested since the last call, in order.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    /// Replaces the header's extra status text (the bridge's figures).
    pub fn set_status_text(&mut self, text: String) {
        if text != self.status_text {
            self.status_text = text;
            self.dirty = true;
        }
    }

    /// Where the keyboard is now.
    pub fn mode(&self) -> Mode {
        match &self.prompt {
            Some(Prompt::Palette(_)) => return Mode::Palette,
            Some(Prompt::Filter { .. }) => return Mode::Filter,
            None => {}
        }
        if self.help.is_some() {
            return Mode::Help;
        }
        if let Some(d) = &self.ops_dialog {
            return d.mode();
        }
        if self.replay.is_some() {
            return Mode::Replay;
        }
        if self.tab == Tab::Streams && self.trace.is_some() {
            return Mode::Trace;
        }
        match self.tab {
            Tab::Streams => self.streams.mode(),
            Tab::Inject => self.inject.mode(),
            Tab::Lag => self.lag.mode(),
            Tab::Dlq => self.dlq.mode(),
            Tab::Flows => self.flows.mode(),
            Tab::Topics => self.topics.mode(),
            Tab::Groups => self.groups.mode(),
            Tab::Audit => self.audit.mode(),
        }
    }

    // Toasts quote names and broker errors: sanitized once, here.
    fn toast_info(&mut self, text: impl Into<String>) {
        if self.toast_pinned() {
            return;
        }
        self.toast = Some(Toast {
            text: crate::domain::sanitize_owned(text.into()),
            error: false,
            ticks_left: TOAST_TICKS,
            pinned: false,
        });
        self.dirty = true;
    }

    fn toast_error(&mut self, text: impl Into<String>) {
        let text = crate::domain::sanitize_owned(text.into());
        tracing::warn!("{text}");
        if self.toast_pinned() {
            return;
        }
        self.toast = Some(Toast {
            text,
            error: true,
            ticks_left: TOAST_TICKS,
            pinned: false,
        });
        self.dirty = true;
    }

    /// Start-up problems (config, keys, files others can read): they stay
    /// until a key is pressed, or for [`STARTUP_TOAST_TICKS`].
    fn toast_startup(&mut self, text: String) {
        tracing::warn!("{text}");
        self.toast = Some(Toast {
            text: crate::domain::sanitize_owned(text),
            error: true,
            ticks_left: STARTUP_TOAST_TICKS,
            pinned: true,
        });
        self.dirty = true;
    }

    fn toast_pinned(&self) -> bool {
        self.toast.as_ref().is_some_and(|t| t.pinned)
    }

    /// Appends records read from Kafka, decoding them here (tests; the
    /// console's readers decode: [`App::ingest_arrived`]).
    pub fn ingest<I: IntoIterator<Item = crate::kafka::ConsumedRecord>>(&mut self, records: I) {
        let arrived = self.streams.arrive(records);
        self.ingest_arrived(arrived);
    }

    /// Appends records their readers decoded (already a drained batch).
    pub fn ingest_arrived<I: IntoIterator<Item = crate::kafka::Arrived>>(&mut self, arrived: I) {
        let before = self.streams.total_received;
        let flows = &mut self.flows;
        self.streams
            .append_with(arrived, |rec, glance| flows.observe(rec, glance));
        self.flows.refresh_now(false);
        if self.streams.total_received != before {
            self.connection = Connection::Connected;
            self.dirty = true;
        }
    }

    /// Applies a terminal event or timer.
    pub fn handle_event(&mut self, event: Event) {
        match event {
            Event::Key(key) => self.handle_key(key),
            Event::Mouse(m) => self.handle_mouse(m),
            Event::Paste(text) => self.handle_paste(&text),
            Event::Resize(..) => self.dirty = true,
            Event::Tick => self.handle_tick(),
        }
    }

    fn handle_tick(&mut self) {
        let total = self.streams.total_received;
        let rate = total - self.last_total;
        self.last_total = total;
        if rate != self.rate {
            self.rate = rate;
            self.dirty = true;
        }
        // Rates decay with time even when nothing arrives.
        self.flows.refresh_now(true);
        if self.tab == Tab::Flows {
            self.dirty = true;
        }
        if let Some(trace) = self.trace.as_mut() {
            let before = trace.events;
            trace.rebuild(self.flows.graph(), &self.theme);
            if trace.events != before {
                self.dirty = true;
            }
        }
        if let Some(t) = self.toast.as_mut() {
            t.ticks_left = t.ticks_left.saturating_sub(1);
            if t.ticks_left == 0 {
                self.toast = None;
                self.dirty = true;
            }
        }
    }

    fn handle_key(&mut self, ev: KeyEvent) {
        // A key press: what the user does next is said, even over start-up
        // problems.
        if let Some(t) = self.toast.as_mut() {
            t.pinned = false;
        }
        if ev.kind == KeyEventKind::Release {
            return;
        }
        self.dirty = true;
        let mode = self.mode();
        if let Some(action) = Key::from_event(&ev).and_then(|k| self.keymap.lookup(mode, k)) {
            self.update(action);
            return;
        }
        match mode {
            Mode::Filter | Mode::Palette => self.edit_prompt(ev),
            Mode::Edit => self.inject.handle_key(ev),
            Mode::TypeConfirm => self.edit_ops_dialog(ev),
            _ => {}
        }
    }

    fn edit_prompt(&mut self, ev: KeyEvent) {
        let Some(prompt) = self.prompt.as_mut() else {
            return;
        };
        let text = match prompt {
            Prompt::Filter { text, .. } | Prompt::Palette(text) => text,
        };
        match ev.code {
            KeyCode::Char('u') if ev.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            KeyCode::Backspace => {
                text.pop();
            }
            _ => return,
        }
        if let Some(Prompt::Filter { text, .. }) = &self.prompt {
            let t = text.clone();
            self.set_tab_filter(&t);
        }
    }

    fn handle_paste(&mut self, text: &str) {
        self.dirty = true;
        match self.mode() {
            Mode::Edit => self.inject.handle_paste(text),
            Mode::Filter | Mode::Palette => {
                if let Some(Prompt::Filter { text: t, .. } | Prompt::Palette(t)) =
                    self.prompt.as_mut()
                {
                    t.push_str(&text.replace(['\n', '\r'], " "));
                }
                if let Some(Prompt::Filter { text, .. }) = &self.prompt {
                    let t = text.clone();
                    self.set_tab_filter(&t);
                }
            }
            _ => {}
        }
    }

    fn handle_mouse(&mut self, m: MouseEvent) {
        if self.help.is_some() {
            self.handle_mouse_help(m);
            return;
        }
        // A click away from the prompt line closes the prompt, as Esc would,
        // and then does what it does anywhere else.
        if matches!(m.kind, MouseEventKind::Down(_))
            && self.prompt.is_some()
            && m.row != self.status_row.get()
        {
            self.back(self.mode());
            self.dirty = true;
        }
        if let Some(rows) = wheel_rows(m.kind) {
            self.scroll(rows);
            return;
        }
        if m.kind != MouseEventKind::Down(MouseButton::Left)
            || self.click_lag_dlq(m)
            || self.click_lists(m)
        {
            return;
        }
        let tabs = self.tabs_area.get();
        if m.row == tabs.y {
            if let Some(tab) = tab_at(m.column.saturating_sub(tabs.x)) {
                self.switch_tab(tab);
            }
            return;
        }
        if self.tab == Tab::Inject && self.inject.click(m.row) {
            self.dirty = true;
            return;
        }
        if self.tab == Tab::Streams
            && self.streams.detail.is_none()
            && let Some(i) = self.streams.row_at(m.row)
        {
            if self.streams.selected_index() == Some(i) {
                self.update(Action::Open);
            } else {
                self.streams.follow = false;
                self.streams.select_index(i);
            }
            self.dirty = true;
        }
    }

    /// The wheel in the current tab: moves its list's cursor, or scrolls what
    /// is open. Not while a dialog of the Topics, Groups or DLQ tab is up.
    fn scroll(&mut self, rows: isize) {
        match self.tab {
            Tab::Topics | Tab::Groups | Tab::Audit | Tab::Flows if self.ops_dialog.is_some() => {
                return;
            }
            Tab::Dlq if self.dlq.dialog_open() => return,
            Tab::Streams if self.streams.detail.is_some() => self.streams.scroll_detail(rows),
            Tab::Streams => self.streams.move_by(rows),
            Tab::Lag => self.lag.move_by(rows),
            Tab::Dlq => self.dlq.move_by(rows),
            Tab::Topics => self.topics.browse.move_by(rows),
            Tab::Groups => self.groups.browse.move_by(rows),
            Tab::Audit => self.audit.move_by(rows),
            Tab::Flows => self.flows.move_by(rows),
            Tab::Inject => return,
        }
        self.dirty = true;
    }

    /// A click in the Topics, Groups or Audit list selects a row; a click on
    /// the selected row opens it. The tab line is left to the general handler.
    fn click_lists(&mut self, m: MouseEvent) -> bool {
        let tab = self.tab;
        if m.kind != MouseEventKind::Down(MouseButton::Left)
            || !matches!(tab, Tab::Topics | Tab::Groups | Tab::Audit)
            || self.ops_dialog.is_some()
        {
            return false;
        }
        let (hit, selected) = match tab {
            Tab::Topics => (
                self.topics.browse.row_at(m.row),
                self.topics.browse.list.selected(),
            ),
            Tab::Groups => (
                self.groups.browse.row_at(m.row),
                self.groups.browse.list.selected(),
            ),
            _ => (self.audit.row_at(m.row), None),
        };
        let Some(i) = hit else { return false };
        if selected == Some(i) {
            self.update(Action::Open);
        } else {
            match tab {
                Tab::Topics => self.topics.browse.list.select_index(i),
                Tab::Groups => self.groups.browse.list.select_index(i),
                _ => self.audit.select_index(i),
            }
        }
        self.dirty = true;
        true
    }

    /// The help overlay takes the mouse while it is open: a click on a line
    /// runs that action (as its key would), a click outside closes it.
    fn handle_mouse_help(&mut self, m: MouseEvent) {
        if m.kind != MouseEventKind::Down(MouseButton::Left) {
            return;
        }
        let Some(help) = &self.help else { return };
        let (hit, inside) = {
            let layout = help.layout.borrow();
            let at = |r: &Rect| {
                m.column >= r.x
                    && m.column < r.x + r.width
                    && m.row >= r.y
                    && m.row < r.y + r.height
            };
            let hit = layout
                .lines
                .iter()
                .find(|(r, _)| at(r))
                .and_then(|(_, i)| help.entries.get(*i))
                .and_then(|(_, _, a)| *a);
            (hit, at(&layout.popup))
        };
        match (hit, inside) {
            (Some(action), _) => {
                self.help = None;
                self.update(action);
            }
            (None, false) => self.help = None,
            (None, true) => {}
        }
        self.dirty = true;
    }

    fn switch_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.help = None;
        self.dirty = true;
        self.on_ops_tab(tab);
    }

    /// Applies a worker's report.
    pub fn apply(&mut self, msg: WorkerMsg) {
        self.dirty = true;
        match msg {
            WorkerMsg::StreamProblem {
                generation,
                topic,
                problem,
            } => {
                if generation == self.generation {
                    let first = self
                        .streams
                        .streams()
                        .iter()
                        .any(|s| s.topic == topic && s.problem.is_none());
                    if first {
                        self.toast_error(format!("{topic}: {problem} (retrying)"));
                    }
                    self.streams.set_problem(&topic, Some(problem));
                }
            }
            WorkerMsg::StreamWarning(w) => {
                tracing::warn!("{w}");
                self.toast_error(w);
            }
            WorkerMsg::Published { id, result } => {
                self.audit_changed();
                let line = self.inject.finish(id, &result);
                if result.is_err() {
                    self.toast_error(line);
                } else {
                    self.toast_info(line);
                }
            }
            WorkerMsg::Connection(Ok(())) => self.connection = Connection::Connected,
            WorkerMsg::Connection(Err(e)) => {
                if !matches!(self.connection, Connection::Disconnected(_)) {
                    tracing::warn!("cluster unreachable: {e}");
                }
                self.connection = Connection::Disconnected(e);
            }
            WorkerMsg::Exported(Ok((path, n))) => {
                self.toast_info(format!("Exported {n} records to {}", path.display()));
            }
            WorkerMsg::Exported(Err(e)) => self.toast_error(format!("Export failed: {e}")),
            WorkerMsg::ReplayPlanned(Ok(plan)) => {
                self.replay = Some(ReplayState::Preview(plan));
            }
            WorkerMsg::ReplayPlanned(Err(e)) => {
                self.toast_error(format!("{} {e}", strings::REPLAY_FAILED));
                self.replay = Some(ReplayState::Done {
                    plan: None,
                    outcome: Err(e),
                });
            }
            WorkerMsg::ReplayProgress { done, .. } => {
                if let Some(ReplayState::Running { done: d, .. }) = self.replay.as_mut() {
                    *d = done;
                }
            }
            WorkerMsg::ReplayDone(outcome) => {
                let plan = match self.replay.take() {
                    Some(ReplayState::Running { plan, .. } | ReplayState::Preview(plan)) => {
                        Some(plan)
                    }
                    _ => None,
                };
                match &outcome {
                    Ok(o) if o.failed == 0 => {
                        self.toast_info(format!("{} {}", strings::REPLAY_DONE, o.summary()))
                    }
                    Ok(o) => self.toast_error(format!("{} {}", strings::REPLAY_DONE, o.summary())),
                    Err(e) => self.toast_error(format!("{} {e}", strings::REPLAY_FAILED)),
                }
                self.replay = Some(ReplayState::Done { plan, outcome });
            }
            WorkerMsg::TaskFailed(e) => {
                tracing::error!("{e}");
                self.fatal = Some(e);
                self.quit = true;
            }
            WorkerMsg::Ops(reply) => self.apply_ops(*reply),
            msg @ (WorkerMsg::DeadLetters(_)
            | WorkerMsg::DlqProblem(_)
            | WorkerMsg::DlqTopics(_)
            | WorkerMsg::RedriveProgress { .. }
            | WorkerMsg::RedriveDone(_)) => self.apply_dlq(msg),
        }
    }

    /// Presses keys written as in `[ui.keys]`, separated by spaces
    /// (`"/ t y p e enter"`); a token that is not one key is typed char by char (`"jjk"`).
    pub fn press(&mut self, keys: &str) {
        for token in keys.split_whitespace() {
            match key_event(token) {
                Some(ev) => self.handle_key(ev),
                None => token.chars().for_each(|c| self.handle_key(char_key(c))),
            }
        }
    }

    /// Types text as key presses (every character, spaces included).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let ev = if c == '\n' {
                KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
            } else {
                char_key(c)
            };
            self.handle_key(ev);
        }
    }

    /// Applies an action.
    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        let mode = self.mode();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.open_help(mode),
            Action::Palette => self.prompt = Some(Prompt::Palette(String::new())),
            Action::TabStreams => self.switch_tab(Tab::Streams),
            Action::TabLag => self.switch_tab(Tab::Lag),
            Action::TabDlq => self.switch_tab(Tab::Dlq),
            Action::TabFlows => self.switch_tab(Tab::Flows),
            Action::TabInject => self.switch_tab(Tab::Inject),
            Action::TabTopics => self.switch_tab(Tab::Topics),
            Action::TabGroups => self.switch_tab(Tab::Groups),
            Action::TabAudit => self.switch_tab(Tab::Audit),
            Action::NextTab | Action::PrevTab => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                let d = if action == Action::NextTab {
                    1
                } else {
                    TABS.len() - 1
                };
                self.switch_tab(TABS[(i + d) % TABS.len()]);
            }
            Action::Theme => {
                let light = self.theme.name != "light";
                self.set_theme(if light { "light" } else { "dark" });
            }
            Action::RateUp | Action::RateDown => self.adjust_rate(action == Action::RateUp),
            Action::Back => self.back(mode),
            Action::RunReplay => self.confirm_replay(),
            Action::Confirm => self.confirm(),
            _ => match mode {
                Mode::Streams => self.update_streams(action),
                Mode::Detail => self.update_detail(action),
                Mode::Inject | Mode::Edit => self.update_inject(action),
                Mode::Lag | Mode::LagGroup => self.update_lag(action),
                Mode::Dlq | Mode::DlqRecords | Mode::DlqDetail => self.update_dlq(action),
                Mode::Flows => self.update_flows(action),
                Mode::Trace => self.update_trace(action),
                Mode::Topics | Mode::TopicDetail => self.update_topics(action),
                Mode::Groups | Mode::GroupDetail => self.update_groups(action),
                Mode::Audit | Mode::AuditEntry => self.update_audit(action),
                _ => {}
            },
        }
    }

    fn set_theme(&mut self, name: &str) {
        // Colour overrides were written for the configured theme only.
        let colors = if name == self.config_theme {
            self.config_colors.clone()
        } else {
            Default::default()
        };
        self.theme = Theme::from_config(name, &colors).0;
        self.streams.refresh_detail(&self.theme);
        self.dlq.refresh_detail(&self.theme);
        if let Some(t) = self.trace.as_mut() {
            t.rebuild(self.flows.graph(), &self.theme);
        }
    }

    fn adjust_rate(&mut self, up: bool) {
        let Some(r) = self.scenario_rate else {
            self.toast_info(strings::NO_SCENARIO);
            return;
        };
        let next = if up {
            (r + r / 4).max(r + 1)
        } else {
            (r - r / 5).min(r.saturating_sub(1))
        };
        self.scenario_rate = Some(next);
        self.commands.push(Command::SetRate(next));
        self.toast_info(format!("scenario: {next} events/s"));
    }

    fn open_help(&mut self, mode: Mode) {
        let mut entries: Vec<(String, String, Option<Action>)> = Vec::new();
        let push_mode = |m: Mode, entries: &mut Vec<(String, String, Option<Action>)>| {
            let mut by_action: Vec<(super::action::Action, Vec<String>)> = Vec::new();
            for b in self.keymap.bindings().filter(|b| b.mode == m) {
                match by_action.iter_mut().find(|(a, _)| *a == b.action) {
                    Some((_, keys)) => keys.push(b.key.to_string()),
                    None => by_action.push((b.action, vec![b.key.to_string()])),
                }
            }
            by_action.sort_by_key(|(a, _)| Action::ALL.iter().position(|x| x == a));
            for (a, keys) in by_action {
                entries.push((keys.join("/"), strings::describe(a).to_string(), Some(a)));
            }
        };
        let mode = if mode == Mode::Help {
            Mode::Global
        } else {
            mode
        };
        if mode != Mode::Global {
            entries.push((String::new(), format!("— {} —", mode.name()), None));
            push_mode(mode, &mut entries);
        }
        if !mode.is_text() {
            entries.push((String::new(), "— global —".to_string(), None));
            push_mode(Mode::Global, &mut entries);
        }
        self.help = Some(Help {
            mode,
            entries,
            layout: RefCell::default(),
        });
    }

    fn back(&mut self, mode: Mode) {
        match mode {
            Mode::Help => self.help = None,
            Mode::Palette => self.prompt = None,
            Mode::Filter => {
                if let Some(Prompt::Filter { previous, .. }) = self.prompt.take() {
                    self.set_tab_filter(&previous);
                }
            }
            Mode::Trace => self.trace = None,
            Mode::Replay => {
                // Closing the popup does not stop a running replay: its outcome
                // opens it again.
                if matches!(self.replay, Some(ReplayState::Running { .. })) {
                    self.toast_info(strings::REPLAY_BACKGROUND);
                }
                self.replay = None;
            }
            Mode::Detail => self.streams.detail = None,
            Mode::Edit => self.inject.set_editing(false),
            Mode::LagGroup => self.lag.close(),
            Mode::DlqRecords | Mode::DlqDetail => self.dlq.back(),
            Mode::Redrive => self.dlq.cancel(),
            Mode::TopicDetail => self.topics.browse.close(),
            Mode::GroupDetail => self.groups.browse.close(),
            Mode::TypeConfirm | Mode::ResetPlan => self.ops_dialog = None,
            Mode::AuditEntry => self.audit.close(),
            _ => {}
        }
    }

    fn confirm(&mut self) {
        match self.prompt.take() {
            Some(Prompt::Filter { text, .. }) => self.set_tab_filter(&text),
            Some(Prompt::Palette(text)) => self.run_palette(&text),
            None if self.ops_dialog.is_some() => self.confirm_ops_dialog(),
            None if self.tab == Tab::Dlq => self.confirm_redrive(),
            None => {}
        }
    }

    fn run_palette(&mut self, text: &str) {
        let text = text.trim();
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        let arg = arg.trim();
        match verb {
            "" => {}
            "seek" => match arg.parse::<StartAt>() {
                Ok(start) => self.seek(start, arg),
                Err(e) => self.toast_error(e),
            },
            "filter" => {
                self.switch_tab(Tab::Streams);
                self.streams.set_filter(arg);
            }
            "theme" if arg == "dark" || arg == "light" => self.set_theme(arg),
            "tab" => {
                let tab = TABS
                    .into_iter()
                    .find(|t| tab_title(*t).eq_ignore_ascii_case(arg));
                match tab {
                    Some(t) => self.switch_tab(t),
                    None => self.toast_error(format!("No tab called '{arg}'")),
                }
            }
            "replay" => self.start_replay(arg),
            "q" | "quit" => self.quit = true,
            "topic" | "topics" | "reset" | "group" | "groups" | "audit" => {
                self.run_ops_palette(verb, arg)
            }
            name => match Action::from_name(name) {
                Some(a) => self.update(a),
                None => self.toast_error(format!(
                    "Unknown command '{name}' ({})",
                    strings::PALETTE_HELP
                )),
            },
        }
    }

    fn start_replay(&mut self, args: &str) {
        if !self.gate(crate::audit::action::REPLAY) {
            return;
        }
        let request = match parse_request(args, &self.topic_map, Utc::now()) {
            Ok(r) => r,
            Err(e) => {
                self.toast_error(e);
                return;
            }
        };
        if request.target == crate::replay::Target::Handlers && !self.has_handlers {
            self.toast_error(strings::REPLAY_NO_HANDLERS);
            return;
        }
        self.replay = Some(ReplayState::Planning(request.clone()));
        self.commands.push(Command::ReplayPlan(request));
    }

    fn confirm_replay(&mut self) {
        let Some(ReplayState::Preview(plan)) = &self.replay else {
            return;
        };
        if plan.records.is_empty() {
            self.replay = None;
            return;
        }
        let plan = plan.clone();
        if !self.gate(crate::audit::action::REPLAY) {
            return;
        }
        self.commands.push(Command::ReplayRun(plan.clone()));
        self.replay = Some(ReplayState::Running { plan, done: 0 });
    }

    fn seek(&mut self, start: StartAt, label: &str) {
        self.generation += 1;
        self.streams.clear(label.to_string());
        self.streams.paused = false;
        self.commands.push(Command::Seek(start));
        self.toast_info(format!("Reading every stream from {label}"));
    }

    fn update_streams(&mut self, action: Action) {
        let page = self.streams.page() as isize;
        match action {
            Action::Up => self.streams.move_by(-1),
            Action::Down => self.streams.move_by(1),
            Action::PageUp => self.streams.move_by(-page),
            Action::PageDown => self.streams.move_by(page),
            Action::Top => {
                self.streams.follow = false;
                self.streams.select_index(0);
            }
            Action::Bottom => self.streams.follow = true,
            Action::Follow => self.streams.follow = !self.streams.follow,
            Action::ToggleOrder => {
                let next = match self.streams.order() {
                    Order::Time => Order::Arrival,
                    Order::Arrival => Order::Time,
                };
                self.streams.set_order(next);
                self.toast_info(format!("{}: {}", strings::STREAMS_ORDER, next.label()));
            }
            Action::Pause => {
                self.streams.paused = !self.streams.paused;
                // Paused means the list stops moving, so following makes no sense.
                if self.streams.paused {
                    let i = self.streams.selected_index();
                    self.streams.follow = false;
                    if let Some(i) = i {
                        self.streams.select_index(i);
                    }
                }
            }
            Action::Filter => {
                let previous = self.streams.filter_text().to_string();
                self.prompt = Some(Prompt::Filter {
                    text: previous.clone(),
                    previous,
                });
            }
            Action::ClearFilter => self.streams.set_filter(""),
            Action::SeekBeginning => self.seek(StartAt::Beginning, "beginning"),
            Action::SeekEnd => self.seek(StartAt::End, "end"),
            Action::Seek => self.prompt = Some(Prompt::Palette("seek ".into())),
            Action::Open => self.open_selected(),
            Action::Copy => self.copy_selected(false),
            Action::Export => {
                let lines = self.streams.visible_json_lines();
                if lines.is_empty() {
                    self.toast_info(strings::NOTHING_SELECTED);
                } else {
                    self.commands.push(Command::Export(lines));
                }
            }
            Action::Reinject => self.reinject(false),
            Action::Trace => self.open_trace(false),
            _ => {}
        }
    }

    fn update_flows(&mut self, action: Action) {
        match action {
            Action::Up => self.flows.move_by(-1),
            Action::Down => self.flows.move_by(1),
            Action::ShowInStreams => {
                let (Some(filter), Some(row)) =
                    (self.flows.selected_filter(), self.flows.selected())
                else {
                    self.toast_info(strings::FLOWS_NO_EDGE);
                    return;
                };
                let text = format!("Streams: effects of {} → {} ({filter})", row.from, row.to);
                self.trace = None;
                self.streams.detail = None;
                self.streams.set_filter(&filter);
                self.switch_tab(Tab::Streams);
                self.toast_info(text);
            }
            _ => {}
        }
    }

    fn update_trace(&mut self, action: Action) {
        let Some(trace) = self.trace.as_mut() else {
            return;
        };
        let page = self.streams.page() as isize;
        match action {
            Action::Up => trace.scroll_by(-1),
            Action::Down => trace.scroll_by(1),
            Action::PageUp => trace.scroll_by(-page),
            Action::PageDown => trace.scroll_by(page),
            _ => {}
        }
    }

    fn open_trace(&mut self, detail: bool) {
        let entry = if detail {
            self.streams.detail_entry()
        } else {
            self.streams.selected_entry()
        };
        let Some(e) = entry else {
            self.toast_info(strings::NOTHING_SELECTED);
            return;
        };
        let Some(corr) = e.correlation.clone() else {
            self.toast_info(strings::TRACE_NO_CORRELATION);
            return;
        };
        let focus = e.event_id.clone();
        self.trace = Some(TraceState::open(
            self.flows.graph(),
            &corr,
            focus,
            &self.theme,
        ));
    }

    fn open_selected(&mut self) {
        if !self.streams.open_detail(&self.theme) {
            self.toast_info(strings::NOTHING_SELECTED);
        }
    }

    fn update_detail(&mut self, action: Action) {
        let page = self.streams.page() as isize;
        match action {
            Action::Up => self.streams.scroll_detail(-1),
            Action::Down => self.streams.scroll_detail(1),
            Action::PageUp => self.streams.scroll_detail(-page),
            Action::PageDown => self.streams.scroll_detail(page),
            Action::Top => self.streams.scroll_detail(isize::MIN / 2),
            Action::Bottom => {
                // The last page, not the last line alone.
                self.streams.scroll_detail(isize::MAX / 2);
                self.streams.scroll_detail(1 - page);
            }
            Action::Copy => self.copy_selected(true),
            Action::Reinject => self.reinject(true),
            Action::Trace => self.open_trace(true),
            _ => {}
        }
    }

    fn copy_selected(&mut self, detail: bool) {
        let entry = if detail {
            self.streams.detail_entry()
        } else {
            self.streams.selected_entry()
        };
        match entry.map(|e| e.to_json_line(self.streams.topic_map())) {
            Some(line) => {
                self.commands.push(Command::Copy(line));
                self.toast_info(strings::COPIED);
            }
            None => self.toast_info(strings::NOTHING_SELECTED),
        }
    }

    fn reinject(&mut self, detail: bool) {
        let entry = if detail {
            self.streams.detail_entry()
        } else {
            self.streams.selected_entry()
        };
        let Some(e) = entry.cloned() else {
            self.toast_info(strings::NOTHING_SELECTED);
            return;
        };
        let filled = self.inject.fill_from(&e);
        self.switch_tab(Tab::Inject);
        let from = format!(
            "{}[{}]@{}",
            e.record.topic, e.record.partition, e.record.offset
        );
        let text = strings::reinject_filled(&e.event_type, &filled, &from);
        if filled.dead_letter && !filled.original_known {
            self.toast_error(text);
        } else {
            self.toast_info(text);
        }
    }

    fn update_inject(&mut self, action: Action) {
        match action {
            Action::NextField => self.inject.move_focus(1),
            Action::PrevField => self.inject.move_focus(-1),
            Action::Edit => self.inject.set_editing(true),
            Action::PrevChoice | Action::NextChoice => {
                let delta = if action == Action::NextChoice { 1 } else { -1 };
                if let Some(notice) = self.inject.choose(delta) {
                    self.toast_info(notice);
                }
            }
            Action::ClearField => self.inject.clear_field(),
            Action::Template => self.inject.load_template(),
            Action::Route => {
                if self.has_raw {
                    self.inject.toggle_route();
                } else {
                    self.toast_info(strings::NO_RAW);
                }
            }
            Action::NewCorrelation => self.inject.new_correlation(),
            Action::ReuseCorrelation => {
                match self
                    .streams
                    .selected_entry()
                    .and_then(|e| e.correlation.clone())
                {
                    Some(id) => self.inject.reuse_correlation(&id),
                    None => self.toast_info(strings::NOTHING_SELECTED),
                }
            }
            Action::Send => self.send(),
            _ => {}
        }
    }

    fn send(&mut self) {
        if !self.gate(crate::audit::action::INJECT) {
            return;
        }
        if self.inject.route == Route::Raw && !self.has_raw {
            self.toast_error(strings::NO_RAW);
            return;
        }
        let now = Utc::now().format("%H:%M:%S").to_string();
        match self.inject.begin_send(&now) {
            Ok(req) => {
                self.inject.set_editing(false);
                self.commands.push(Command::Publish(Box::new(req)));
            }
            Err(e) => self.toast_error(e),
        }
    }

    /// Draws the whole screen. Reads state only.
    pub fn render(&self, frame: &mut Frame<'_>) {
        let area = frame.area();
        let rows = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .split(area);
        self.render_header(frame, rows[0]);
        self.render_tabs(frame, rows[1]);
        let view = View {
            theme: &self.theme,
            caps: self.settings.caps,
        };
        match self.tab {
            Tab::Streams => match &self.trace {
                Some(trace) => trace.render(frame, rows[2], &view),
                None => self.streams.render(frame, rows[2], &view),
            },
            Tab::Lag => self.lag.render(frame, rows[2], &view),
            Tab::Dlq => self.dlq.render(frame, rows[2], &view),
            Tab::Flows => self.flows.render(frame, rows[2], &view),
            Tab::Inject => self.inject.render(frame, rows[2], &view),
            Tab::Topics => self.topics.render(frame, rows[2], &view),
            Tab::Groups => self.groups.render(frame, rows[2], &view),
            Tab::Audit => self.audit.render(frame, rows[2], &view),
        }
        if let Some(d) = &self.ops_dialog {
            d.render(frame, rows[2], &self.theme);
        }
        self.render_status(frame, rows[3]);
        self.render_hints(frame, rows[4]);
        if let Some(replay) = &self.replay {
            replay.render(frame, rows[2], &view);
        }
        if let Some(help) = &self.help {
            self.render_help(frame, area, help);
        }
        self.theme.paint_defaults(frame.buffer_mut());
    }

    /// The header: what matters most survives a narrow screen. Fields drop
    /// whole, least important first (a count is never cut); the cluster's name
    /// is cut with `…` before a count drops.
    fn render_header(&self, frame: &mut Frame<'_>, area: Rect) {
        use super::fit::{Field, fields};
        let t = &self.theme;
        let bar = Style::new().bg(t.bar).fg(t.fg);
        let sep = Span::styled(" │ ", Style::new().bg(t.bar).fg(t.dim));
        let (dot, conn_text, conn_color) = match &self.connection {
            Connection::Connecting => ("○", strings::CONN_CONNECTING.to_string(), t.warn),
            Connection::Connected => ("●", strings::CONN_CONNECTED.to_string(), t.ok),
            Connection::Disconnected(_) => ("●", strings::CONN_DISCONNECTED.to_string(), t.error),
        };
        let mut row = vec![
            Field::new(
                HEADER_ESSENTIAL,
                vec![Span::styled(
                    format!(" {} ", strings::APP),
                    Style::new()
                        .bg(t.bar)
                        .fg(t.accent)
                        .add_modifier(Modifier::BOLD),
                )],
            ),
            Field::shrinking(
                HEADER_CLUSTER,
                HEADER_CLUSTER_MIN,
                vec![Span::styled(self.title.clone(), bar)],
            ),
        ];
        if self.read_only {
            row.push(Field::new(
                HEADER_ESSENTIAL,
                vec![Span::styled(
                    strings::READ_ONLY,
                    Style::new()
                        .bg(t.warn)
                        .fg(t.bar)
                        .add_modifier(Modifier::BOLD),
                )],
            ));
        }
        row.push(Field::new(
            HEADER_ESSENTIAL,
            vec![Span::styled(
                format!("{dot} {conn_text}"),
                Style::new().bg(t.bar).fg(conn_color),
            )],
        ));
        // The bridge's fields come most important first (errors, then the DLQ
        // and the outbox); each drops whole, from the last.
        for (i, part) in self
            .status_text
            .split(strings::STATUS_SEPARATOR)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let priority = HEADER_STATUS.saturating_add(u8::try_from(i).unwrap_or(u8::MAX));
            if i == 0 {
                row.push(Field::new(
                    priority,
                    vec![Span::styled(part.to_string(), bar)],
                ));
            } else {
                row.push(Field::joined(
                    priority,
                    vec![Span::styled(
                        format!("{}{part}", strings::STATUS_SEPARATOR),
                        bar,
                    )],
                ));
            }
        }
        row.push(Field::new(
            HEADER_RATE,
            vec![Span::styled(
                format!("{} ev/s · {} read", self.rate, self.streams.total_received),
                bar,
            )],
        ));
        if let Some(r) = self.scenario_rate {
            row.push(Field::new(
                HEADER_SCENARIO,
                vec![Span::styled(format!("scenario {r}/s (+/-)"), bar)],
            ));
        }
        let line = fields(row, &sep, usize::from(area.width));
        frame.render_widget(Paragraph::new(line).style(bar), area);
    }

    fn render_tabs(&self, frame: &mut Frame<'_>, area: Rect) {
        self.tabs_area.set(area);
        let t = &self.theme;
        let mut spans = Vec::new();
        for (i, tab) in TABS.iter().enumerate() {
            let label = tab_label(i, *tab);
            let style = if *tab == self.tab {
                Style::new()
                    .fg(t.bar)
                    .bg(t.accent)
                    .add_modifier(Modifier::BOLD)
            } else {
                t.dimmed()
            };
            spans.push(Span::styled(label, style));
            spans.push(Span::raw(" "));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_status(&self, frame: &mut Frame<'_>, area: Rect) {
        self.status_row.set(area.y);
        let t = &self.theme;
        let line = match &self.prompt {
            Some(Prompt::Filter { text, .. }) => Line::from(vec![
                Span::styled(strings::FILTER_PROMPT, t.strong()),
                Span::styled(text.clone(), t.text()),
                Span::styled("█", Style::new().fg(t.accent)),
                Span::styled(format!("   {}", strings::FILTER_HELP), t.dimmed()),
            ]),
            Some(Prompt::Palette(text)) => Line::from(vec![
                Span::styled(strings::PALETTE_PROMPT, t.strong()),
                Span::styled(text.clone(), t.text()),
                Span::styled("█", Style::new().fg(t.accent)),
                Span::styled(format!("   {}", strings::PALETTE_HELP), t.dimmed()),
            ]),
            // A message longer than the line ends in `…` (errors are logged whole).
            None => match &self.toast {
                Some(toast) => Line::styled(
                    super::fit::cut(&toast.text, usize::from(area.width)),
                    Style::new().fg(if toast.error { t.error } else { t.ok }),
                ),
                None => match &self.connection {
                    Connection::Disconnected(_) if !self.settings.brokers_configured => {
                        Line::styled(
                            strings::no_cluster(&self.settings.brokers),
                            Style::new().fg(t.error),
                        )
                    }
                    Connection::Disconnected(e) => Line::styled(
                        super::fit::cut(
                            &format!("cluster unreachable: {}", crate::domain::sanitize(e)),
                            usize::from(area.width),
                        ),
                        Style::new().fg(t.error),
                    ),
                    _ => Line::raw(""),
                },
            },
        };
        frame.render_widget(Paragraph::new(line), area);
    }

    /// False for a key that would do nothing now (the hint bar leaves it out):
    /// `y` once a replay has started or has nothing to replay.
    fn hint_applies(&self, action: Action) -> bool {
        match action {
            Action::RunReplay => {
                matches!(&self.replay, Some(ReplayState::Preview(plan)) if !plan.records.is_empty())
            }
            _ => true,
        }
    }

    /// The hint bar: the mode's keys first; what does not fit drops whole,
    /// from the end (`?` lists every key).
    fn render_hints(&self, frame: &mut Frame<'_>, area: Rect) {
        use super::fit::{Field, fields};
        let t = &self.theme;
        let mut row = Vec::new();
        for (i, (key, action)) in self.keymap.hints(self.mode()).into_iter().enumerate() {
            if !self.hint_applies(action) {
                continue;
            }
            let priority = u8::try_from(i).unwrap_or(u8::MAX);
            row.push(Field::new(
                priority,
                vec![
                    Span::styled(key, Style::new().fg(t.accent).add_modifier(Modifier::BOLD)),
                    Span::styled(format!(" {}", strings::hint(action)), t.dimmed()),
                ],
            ));
        }
        let line = fields(row, &Span::raw("  "), usize::from(area.width));
        frame.render_widget(Paragraph::new(line), area);
    }

    /// The help overlay: entries in as many columns as the screen needs to show
    /// them all, each cut with `…` to its column (never into the next one).
    fn render_help(&self, frame: &mut Frame<'_>, area: Rect, help: &Help) {
        use super::fit::{cut, width};
        const GAP: usize = 2;
        const MAX_COLS: usize = 3;
        let t = &self.theme;
        let title = format!(" help: {} (esc closes) ", help.mode.name());
        let bottom = strings::HELP_REBIND;
        let n = help.entries.len().max(1);
        let key_w = help
            .entries
            .iter()
            .map(|(k, _, _)| width(k))
            .max()
            .unwrap_or(0)
            .min(HELP_KEYS_MAX);
        let entry_w = help
            .entries
            .iter()
            .map(|(k, d, _)| {
                if k.is_empty() {
                    width(d)
                } else {
                    key_w + 1 + width(d)
                }
            })
            .max()
            .unwrap_or(1);
        // Inside the border, with a margin of one cell on each side of the popup.
        let max_inner = usize::from(area.width.saturating_sub(4)).max(1);
        let max_rows = usize::from(area.height.saturating_sub(4)).max(1);
        let fit_cols = ((max_inner + GAP) / (entry_w + GAP)).clamp(1, MAX_COLS);
        let need_cols = n.div_ceil(max_rows);
        // More columns than fit whole only when the rows would not fit otherwise;
        // each keeps room for its keys and a few cells of description.
        let room_cols = ((max_inner + GAP) / (key_w + 1 + 8 + GAP)).max(1);
        let cols = fit_cols
            .max(need_cols.min(room_cols))
            .min(MAX_COLS.max(fit_cols));
        let col_w = if cols == fit_cols {
            entry_w.min(max_inner)
        } else {
            ((max_inner + GAP) / cols).saturating_sub(GAP).max(1)
        };
        let per_col = n.div_ceil(cols);
        let rows = per_col.min(max_rows);
        let inner_w = (cols * (col_w + GAP) - GAP)
            .max(width(&title).min(max_inner))
            .max(width(bottom).min(max_inner));
        let popup = super::panes::centered(area, inner_w as u16 + 2, rows as u16 + 2);
        frame.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(Style::new().fg(t.accent))
            .title(Span::styled(cut(&title, inner_w), t.strong()))
            .title_bottom(Span::styled(cut(bottom, inner_w), t.dimmed()));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let buf = frame.buffer_mut();
        let mut layout = help.layout.borrow_mut();
        layout.popup = popup;
        layout.lines.clear();
        // What does not fit is said in the last cell, never dropped silently.
        let shown = if help.entries.len() > cols * rows {
            cols * rows - 1
        } else {
            help.entries.len()
        };
        let key_style = Style::new().fg(t.accent).add_modifier(Modifier::BOLD);
        for (i, (keys, desc, _)) in help.entries.iter().enumerate().take(shown) {
            let x = inner.x + ((i / rows) * (col_w + GAP)) as u16;
            let y = inner.y + (i % rows) as u16;
            layout.lines.push((Rect::new(x, y, col_w as u16, 1), i));
            if keys.is_empty() {
                buf.set_string(x, y, cut(desc, col_w), t.dimmed());
                continue;
            }
            let kw = key_w.min(col_w);
            buf.set_string(x, y, cut(keys, kw), key_style);
            let dw = col_w.saturating_sub(key_w + 1);
            if dw > 0 {
                buf.set_string(x + key_w as u16 + 1, y, cut(desc, dw), t.text());
            }
        }
        if shown < help.entries.len() {
            let i = shown;
            let x = inner.x + ((i / rows) * (col_w + GAP)) as u16;
            let y = inner.y + (i % rows) as u16;
            let more = strings::help_more(help.entries.len() - shown);
            buf.set_string(x, y, cut(&more, col_w), t.dimmed());
        }
    }
}

/// Header field priorities (0 is kept longest): the app, the connection and
/// the read-only badge; then the bridge's fields in the order it gives them
/// (errors, the DLQ and the outbox first); the cluster's name is cut to
/// [`HEADER_CLUSTER_MIN`] cells after the bridge's third field drops, ahead of
/// the read rate and the demo's scenario rate.
const HEADER_ESSENTIAL: u8 = 0;
const HEADER_STATUS: u8 = 1;
const HEADER_CLUSTER: u8 = 4;
const HEADER_CLUSTER_MIN: usize = 12;
const HEADER_RATE: u8 = 8;
const HEADER_SCENARIO: u8 = 9;

/// Widest key list the help overlay gives its own column (`g/home` fits).
const HELP_KEYS_MAX: usize = 12;

/// Rows one notch of the mouse wheel moves (up negative); `None` for other events.
fn wheel_rows(kind: MouseEventKind) -> Option<isize> {
    match kind {
        MouseEventKind::ScrollUp => Some(-WHEEL_ROWS),
        MouseEventKind::ScrollDown => Some(WHEEL_ROWS),
        _ => None,
    }
}

fn tab_title(tab: Tab) -> &'static str {
    match tab {
        Tab::Streams => strings::TAB_STREAMS,
        Tab::Lag => strings::TAB_LAG,
        Tab::Dlq => strings::TAB_DLQ,
        Tab::Flows => strings::TAB_FLOWS,
        Tab::Inject => strings::TAB_INJECT,
        Tab::Topics => strings::TAB_TOPICS,
        Tab::Groups => strings::TAB_GROUPS,
        Tab::Audit => strings::TAB_AUDIT,
    }
}

fn tab_label(i: usize, tab: Tab) -> String {
    format!(" {} {} ", i + 1, tab_title(tab))
}

/// The tab under column `x` of the tab line (labels separated by one space).
fn tab_at(x: u16) -> Option<Tab> {
    let mut start = 0u16;
    for (i, tab) in TABS.iter().enumerate() {
        let w = tab_label(i, *tab).chars().count() as u16;
        if x >= start && x < start + w {
            return Some(*tab);
        }
        start += w + 1;
    }
    None
}

fn char_key(c: char) -> KeyEvent {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}

/// A key event from `[ui.keys]` notation (`j`, `ctrl+s`, `enter`, `shift+tab`).
pub fn key_event(spec: &str) -> Option<KeyEvent> {
    let lower = spec.to_ascii_lowercase();
    let mut mods = KeyModifiers::NONE;
    let mut rest = spec;
    for (p, m) in [
        ("ctrl+", KeyModifiers::CONTROL),
        ("alt+", KeyModifiers::ALT),
        ("shift+", KeyModifiers::SHIFT),
    ] {
        if lower[spec.len() - rest.len()..].starts_with(p) {
            mods |= m;
            rest = &rest[p.len()..];
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" => KeyCode::PageUp,
        "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "space" => KeyCode::Char(' '),
        _ => {
            let mut cs = rest.chars();
            let c = cs.next()?;
            if cs.next().is_some() {
                return None;
            }
            return Some(if mods.is_empty() {
                char_key(c)
            } else {
                KeyEvent::new(KeyCode::Char(c), mods)
            });
        }
    };
    Some(KeyEvent::new(code, mods))
}

/// The label of a start position, as the Streams status line shows it.
fn start_label(start: StartAt) -> String {
    match start {
        StartAt::Beginning => "beginning".into(),
        StartAt::End => "end".into(),
        StartAt::Offset(o) => format!("offset {o}"),
        StartAt::Last(n) => format!("the last {n}"),
        StartAt::Time(t) => t.to_rfc3339(),
    }
}
