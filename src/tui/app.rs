//! The console's router: terminal events become [`Action`]s for the pane on
//! screen, worker messages go to the pane they belong to, and what a pane asks
//! of the rest of the console ([`Effect`]) is carried out here. The app owns
//! only what is global: the tabs, the header, the prompt and palette, the help
//! overlay, dialogs, the replay popup and the status line. I/O leaves as
//! [`Command`]s for the runtime; `render` only reads. Tests drive this
//! directly (`app.press("j")`).

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::AppServices;
use super::action::Action;
use super::dialog::Dialog;
use super::event::{Command, LagUpdate, WorkerMsg};
use super::help::Help;
use super::keymap::{KeyMap, Mode};
use super::panes::dlq;
use super::panes::find::FindState;
use super::panes::flows::FlowsState;
use super::panes::inject::InjectState;
use super::panes::replay::{self, ReplayState};
use super::panes::streams::StreamsState;
use super::panes::{Cx, Effect, View, acls, audit, cluster, groups, lag, schemas, topics};
use super::strings;
use super::tabs::{Panes, TABS, Tab};
use super::theme::Theme;
use crate::domain::EventTypeRegistry;
use crate::kafka::StartAt;

mod chrome;
mod cross;
mod input;
mod prompt;
mod toast;

/// Seconds a toast stays up.
const TOAST_TICKS: u8 = 6;
/// Ticks the start-up problems stay unless a key is pressed.
const STARTUP_TOAST_TICKS: u8 = 15;
/// Rows the mouse wheel scrolls.
const WHEEL_ROWS: isize = 3;
/// The DLQ pane holds at most this fraction (1/N) of the record memory.
const DLQ_SHARE_OF_MEMORY: usize = 4;

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

/// The whole console state.
pub struct App {
    /// The console's record memory (`ui.memory_mb`), shared by Streams and DLQ.
    memory_bytes: usize,
    keymap: KeyMap,
    theme: Theme,
    tab: Tab,
    /// Every pane, one per tab.
    pub panes: Panes,
    /// The replay popup, while a replay is previewed, runs or has just ended.
    pub replay: Option<ReplayState>,
    has_handlers: bool,
    topic_map: crate::domain::TopicMap,
    dialog: Option<Dialog>,
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
        let topics = services.settings.topics.clone();
        let memory_bytes = (ui.memory_mb as usize).saturating_mul(1024 * 1024);
        let panes = Panes {
            streams: StreamsState::new(&services.topics, ui.ring_size, topics.clone())
                .with_memory_budget(memory_bytes)
                .starting_at(start_label(services.start))
                .started(services.start),
            lag: lag::pane(ui.lag_poll_ms),
            dlq: dlq::pane(ui.redrive_rate, services.settings.read_only)
                .with_memory_budget(memory_bytes / DLQ_SHARE_OF_MEMORY),
            flows: FlowsState::new(topics.clone()),
            inject: InjectState::new(
                topics.clone(),
                EventTypeRegistry::with_defaults(),
                services.publisher.name(),
                services.raw_publisher.is_some(),
            ),
            topics: topics::pane(),
            groups: groups::pane(),
            audit: audit::pane(),
            find: FindState::new(topics.clone()),
            cluster: cluster::pane(super::workers::cluster::CLUSTER_POLL_EVERY),
            acls: acls::pane(),
            schemas: schemas::pane(services.settings.schema_registry.url.as_deref()),
        };
        let mut app = Self {
            memory_bytes,
            keymap,
            theme,
            tab: Tab::Streams,
            panes,
            replay: None,
            has_handlers: services.handlers.is_some(),
            topic_map: topics,
            dialog: None,
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

    /// The data policies records are shown through (none under `--unmask`).
    pub fn policies(&self) -> &crate::domain::policy::Policies {
        &self.settings.policies
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
        if let Some(spec) = self.panes.inject.take_schema_request() {
            self.commands.push(Command::FetchWriteSchema(spec));
        }
        std::mem::take(&mut self.commands)
    }

    /// Replaces the header's extra status text (the bridge's figures).
    pub fn set_status_text(&mut self, text: String) {
        if text != self.status_text {
            self.status_text = text;
            self.dirty = true;
        }
    }

    /// Where the keyboard is now: a prompt, the help, a dialog or the replay
    /// popup over the panes, else the pane on screen.
    pub fn mode(&self) -> Mode {
        match &self.prompt {
            Some(Prompt::Palette(_)) => return Mode::Palette,
            Some(Prompt::Filter { .. }) => return Mode::Filter,
            None => {}
        }
        if self.help.is_some() {
            return Mode::Help;
        }
        if let Some(d) = &self.dialog {
            return d.mode();
        }
        if self.replay.is_some() {
            return Mode::Replay;
        }
        self.panes.get(self.tab).mode()
    }

    /// True for the modes the app itself answers (the rest are the panes').
    fn is_app_mode(mode: Mode) -> bool {
        matches!(
            mode,
            Mode::Global
                | Mode::Help
                | Mode::Palette
                | Mode::Filter
                | Mode::TypeConfirm
                | Mode::ResetPlan
                | Mode::Replay
        )
    }

    /// Appends records read from Kafka, decoding them here with the data
    /// policies applied (tests; the console's readers decode:
    /// [`App::ingest_arrived`]).
    pub fn ingest<I: IntoIterator<Item = crate::kafka::ConsumedRecord>>(&mut self, records: I) {
        let arrived = self
            .panes
            .streams
            .arrive_shown(records, &self.settings.policies);
        self.ingest_arrived(arrived);
    }

    /// Marks Streams records of aborted (or still open) transactions.
    pub fn mark_txn(&mut self, notes: &[crate::kafka::TxnNote]) {
        if self.panes.streams.mark_txn(notes) {
            self.dirty = true;
        }
    }

    /// Appends records their readers decoded (already a drained batch).
    pub fn ingest_arrived<I: IntoIterator<Item = crate::kafka::Arrived>>(&mut self, arrived: I) {
        let streams = &mut self.panes.streams;
        let flows = &mut self.panes.flows;
        let schemas = &mut self.panes.schemas;
        let before = streams.total_received;
        streams.append_with(arrived, |rec, glance| {
            flows.observe(rec, glance);
            schemas.observe(rec);
        });
        flows.refresh_now(false);
        if streams.total_received != before {
            self.connection = Connection::Connected;
            self.dirty = true;
        }
    }

    /// Applies the lag worker's latest snapshot.
    pub fn apply_lag(&mut self, update: LagUpdate) {
        self.dirty = true;
        if let Some(e) = self.panes.lag.apply(update) {
            self.toast_error(strings::lag_error(&e));
        }
    }

    fn switch_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.help = None;
        self.dirty = true;
        let mut cx = Cx::new(&self.theme, &self.settings);
        self.panes.get_mut(tab).focus(&mut cx);
        let effects = cx.take();
        self.run(effects);
    }

    /// Applies a worker's report: the app's own first, then each pane in
    /// turn until one keeps it.
    pub fn apply(&mut self, msg: WorkerMsg) {
        self.dirty = true;
        let msg = match msg {
            WorkerMsg::StreamProblem {
                generation,
                topic,
                problem,
            } => {
                if generation == self.generation {
                    let first = self
                        .panes
                        .streams
                        .streams()
                        .iter()
                        .any(|s| s.topic == topic && s.problem.is_none());
                    if first {
                        self.toast_error(format!("{topic}: {problem} (retrying)"));
                    }
                    self.panes.streams.set_problem(&topic, Some(problem));
                }
                return;
            }
            WorkerMsg::StreamWarning(w) => return self.toast_error(w),
            // A masked record sent again as read (Streams' re-inject).
            WorkerMsg::Admin(reply)
                if matches!(&*reply, crate::tui::event::AdminReply::Done { action, .. }
                    if *action == crate::audit::action::INJECT) =>
            {
                if let crate::tui::event::AdminReply::Done { result, .. } = *reply {
                    match result {
                        Ok(text) => self.toast_info(text),
                        Err(e) => self.toast_error(e),
                    }
                }
                return;
            }
            WorkerMsg::SchemaRedecoded {
                generation,
                records,
            } => {
                if generation == self.generation {
                    self.panes.streams.redecoded(records);
                    self.panes.streams.refresh_detail(&self.theme);
                }
                return;
            }
            WorkerMsg::Connection(Ok(())) => return self.connection = Connection::Connected,
            WorkerMsg::Connection(Err(e)) => {
                if !matches!(self.connection, Connection::Disconnected(_)) {
                    tracing::warn!("cluster unreachable: {e}");
                }
                self.connection = Connection::Disconnected(e);
                return;
            }
            WorkerMsg::Exported(Ok((path, n))) => {
                return self.toast_info(strings::exported(n, &path));
            }
            WorkerMsg::Exported(Err(e)) => return self.toast_error(strings::export_failed(&e)),
            WorkerMsg::TaskFailed(e) => {
                tracing::error!("{e}");
                self.fatal = Some(e);
                self.quit = true;
                return;
            }
            msg @ (WorkerMsg::ReplayPlanned(_)
            | WorkerMsg::ReplayProgress { .. }
            | WorkerMsg::ReplayDone(_)) => {
                return self.with_replay(|r, cx| replay::apply(r, msg, cx));
            }
            msg => msg,
        };
        let mut cx = Cx::new(&self.theme, &self.settings);
        let mut left = Some(msg);
        for pane in self.panes.each_mut() {
            match left.take() {
                Some(m) => left = pane.apply(m, &mut cx),
                None => break,
            }
        }
        let effects = cx.take();
        if let Some(m) = left {
            tracing::debug!("no pane took {m:?}");
        }
        self.run(effects);
    }

    /// Runs `f` on the replay popup with a context, then its effects.
    fn with_replay(&mut self, f: impl FnOnce(&mut Option<ReplayState>, &mut Cx<'_>)) {
        let mut cx = Cx::new(&self.theme, &self.settings);
        f(&mut self.replay, &mut cx);
        let effects = cx.take();
        self.run(effects);
    }

    /// Carries out what the panes asked for, in order (an effect may ask for
    /// more: a tab brought on screen loads itself).
    fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            self.dirty = true;
            match effect {
                Effect::Toast { text, error: true } => self.toast_error(text),
                Effect::Toast { text, error: false } => self.toast_info(text),
                Effect::ClearToast => self.toast = None,
                Effect::Command(c) => self.commands.push(c),
                Effect::Go(tab) => self.switch_tab(tab),
                Effect::FilterPrompt(previous) => {
                    self.prompt = Some(Prompt::Filter {
                        text: previous.clone(),
                        previous,
                    });
                }
                Effect::Palette(text) => self.prompt = Some(Prompt::Palette(text)),
                Effect::Dialog(d) => self.dialog = Some(d),
                Effect::Seek { start, label } => self.seek(start, &label),
                Effect::ShowInStreams { filter, note } => {
                    let streams = &mut self.panes.streams;
                    streams.trace = None;
                    streams.detail = None;
                    streams.set_filter(&filter);
                    self.switch_tab(Tab::Streams);
                    self.toast_info(note);
                }
                Effect::Reinject { detail } => self.reinject(detail),
                Effect::ReuseCorrelation => {
                    match self
                        .panes
                        .streams
                        .selected_entry()
                        .and_then(|e| e.correlation.clone())
                    {
                        Some(id) => self.panes.inject.reuse_correlation(&id),
                        None => self.toast_info(strings::NOTHING_SELECTED),
                    }
                }
                Effect::Trace { detail } => self.open_trace(detail),
                Effect::OpenOriginal(o) => self.open_original(o),
                Effect::AuditChanged => {
                    let mut cx = Cx::new(&self.theme, &self.settings);
                    self.panes.audit.changed(&mut cx);
                    let more = cx.take();
                    self.run(more);
                }
                Effect::DlqHeld(bytes) => {
                    // One budget: the streams get what the dead letters leave.
                    self.panes
                        .streams
                        .set_memory_budget(self.memory_bytes.saturating_sub(bytes));
                }
            }
        }
    }

    /// Applies an action: the app's own, or the pane on screen's.
    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        let mode = self.mode();
        if let Some(tab) = Tab::for_action(action) {
            return self.switch_tab(tab);
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = Some(Help::new(&self.keymap, mode)),
            Action::Palette => self.prompt = Some(Prompt::Palette(String::new())),
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
            Action::Back if Self::is_app_mode(mode) => self.back(mode),
            Action::RunReplay => self.with_replay(replay::confirm),
            Action::Confirm if self.prompt.is_some() || self.dialog.is_some() => self.confirm(),
            _ if Self::is_app_mode(mode) => {}
            _ => {
                let mut cx = Cx::new(&self.theme, &self.settings);
                self.panes.get_mut(self.tab).handle(action, &mut cx);
                let effects = cx.take();
                self.run(effects);
            }
        }
    }

    fn set_theme(&mut self, name: &str) {
        // Colour overrides were written for the configured theme only.
        let colors = if name == self.settings.ui.theme {
            self.settings.ui.colors.clone()
        } else {
            Default::default()
        };
        self.theme = Theme::from_config(name, &colors).0;
        self.panes.streams.refresh_detail(&self.theme);
        self.panes.dlq.refresh_detail(&self.theme);
        if let Some(t) = self.panes.streams.trace.as_mut() {
            t.rebuild(self.panes.flows.graph(), &self.theme);
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
        self.panes.get(self.tab).render(frame, rows[2], &view);
        if let Some(d) = &self.dialog {
            d.render(frame, rows[2], &self.theme);
        }
        self.render_status(frame, rows[3]);
        self.render_hints(frame, rows[4]);
        if let Some(replay) = &self.replay {
            replay.render(frame, rows[2], &view);
        }
        if let Some(help) = &self.help {
            help.render(frame, area, &self.theme);
        }
        self.theme.paint_defaults(frame.buffer_mut());
    }
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
