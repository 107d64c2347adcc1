//! The panes: one file each, every one a component behind [`Pane`]. A pane owns
//! its state, turns the actions routed to it into state changes and
//! [`Effect`]s ([`Pane::handle`]), takes the worker messages that are its own
//! ([`Pane::apply`]) and draws itself ([`Pane::render`]). `App` only routes.
//!
//! Adding a pane:
//! 1. a file here with its state and `impl Pane for …`;
//! 2. one line in `tui::tab::with_panes!` (its tab, key action, field and type);
//! 3. its key mode(s) in `keymap::Mode` with their bindings (list modes
//!    inherit the navigation keys), its strings in `strings.rs`;
//! 4. messages it needs from a worker in `tui::event`, the worker in `tui::workers`.

pub mod acls;
pub mod audit;
pub mod cluster;
pub mod dlq;
pub mod find;
pub mod flows;
pub mod groups;
pub mod inject;
pub mod lag;
pub mod replay;
pub mod schemas;
pub mod streams;
pub mod topics;
pub mod trace;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::dialog::{Dialog, TypedConfirm};
use super::event::{AdminRequest, Command, WorkerMsg};
use super::keymap::Mode;
use super::strings;
use super::tab::Tab;
use super::theme::Theme;
use crate::config::Settings;

/// What every pane's `render` may read besides its own state.
pub struct View<'a> {
    /// The colours.
    pub theme: &'a Theme,
    /// What the brokers can do (a pane without them says so).
    pub caps: crate::kafka::BrokerCaps,
}

/// A tab's content: a component the app routes to.
pub trait Pane {
    /// The tab title.
    fn title(&self) -> &'static str;
    /// The key mode while this pane has focus.
    fn mode(&self) -> Mode;
    /// Draws the pane. A view: no I/O, parsing or sorting here.
    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>);
    /// An action in one of this pane's modes (including `Back` out of them).
    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        let _ = (action, cx);
    }
    /// A worker message: the pane keeps it when it is its own (`None`),
    /// or hands it back for the next pane.
    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let _ = cx;
        Some(msg)
    }
    /// The tab came on screen.
    fn focus(&mut self, cx: &mut Cx<'_>) {
        let _ = cx;
    }
    /// The mouse wheel: `rows` down (negative up). False when nothing scrolls.
    fn scroll(&mut self, rows: isize) -> bool {
        let _ = rows;
        false
    }
    /// A left click inside the pane. True when handled.
    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        let _ = (m, cx);
        false
    }
    /// A key no binding took, in a text mode of this pane.
    fn key(&mut self, ev: KeyEvent) {
        let _ = ev;
    }
    /// Pasted text, in a text mode of this pane.
    fn paste(&mut self, text: &str) {
        let _ = text;
    }
    /// The `/` filter, typed live; false when the pane has none.
    fn set_filter(&mut self, text: &str) -> bool {
        let _ = text;
        false
    }
    /// A palette command (`:verb arg`) this pane answers; false when not its own.
    fn palette(&mut self, verb: &str, arg: &str, cx: &mut Cx<'_>) -> bool {
        let _ = (verb, arg, cx);
        false
    }
}

/// What a pane asks of the rest of the console: everything that is not its
/// own state goes through here, and the app carries it out after the pane
/// returns.
#[derive(Debug)]
pub enum Effect {
    /// A message where the user is looking.
    Toast {
        /// The text (sanitized when shown).
        text: String,
        /// Shown as an error (and logged).
        error: bool,
    },
    /// The toast on screen has been answered; clear it.
    ClearToast,
    /// I/O for the runtime.
    Command(Command),
    /// Bring a tab on screen.
    Go(Tab),
    /// Open the `/` prompt with this filter.
    FilterPrompt(String),
    /// Open the palette with this text typed.
    Palette(String),
    /// Open a confirmation dialog over the panes.
    Dialog(Dialog),
    /// Every stream restarts at this position.
    Seek {
        /// Where.
        start: crate::kafka::StartAt,
        /// How the status line says it.
        label: String,
    },
    /// Streams shows what this filter matches (from Flows).
    ShowInStreams {
        /// The Streams filter.
        filter: String,
        /// What the toast says.
        note: String,
    },
    /// Fill the Inject form from the selected (or opened) Streams record.
    Reinject {
        /// From the opened record rather than the selected row.
        detail: bool,
    },
    /// The Inject form takes the selected Streams record's correlation id.
    ReuseCorrelation,
    /// Open the correlation trace of the selected (or opened) Streams record.
    Trace {
        /// From the opened record rather than the selected row.
        detail: bool,
    },
    /// Find a dead letter's original in Streams.
    OpenOriginal(Original),
    /// A mutation was audited: the Audit pane, once loaded, reads again.
    AuditChanged,
    /// The DLQ pane now holds this many bytes of the shared record memory.
    DlqHeld(usize),
}

/// Where a dead letter's original is, as far as the dead letter says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    /// The original topic.
    pub topic: String,
    /// Its partition (0 when unknown).
    pub partition: i32,
    /// Its offset, when the dead letter names it.
    pub offset: Option<i64>,
    /// The event id, for local handlers' dead letters (no offset).
    pub event_id: Option<String>,
    /// The record key.
    pub key: Option<String>,
}

/// What a pane's handlers may read and ask: the theme, the settings (for the
/// read-only gate), and the effects it asks for.
pub struct Cx<'a> {
    /// The colours (opened views are coloured when built).
    pub theme: &'a Theme,
    /// The settings (read-only, broker caps).
    pub settings: &'a Settings,
    effects: Vec<Effect>,
}

impl<'a> Cx<'a> {
    /// A context with no effects yet.
    pub fn new(theme: &'a Theme, settings: &'a Settings) -> Self {
        Self {
            theme,
            settings,
            effects: Vec::new(),
        }
    }

    /// Asks for an effect.
    pub fn effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    /// An informational toast.
    pub fn info(&mut self, text: impl Into<String>) {
        self.effect(Effect::Toast {
            text: text.into(),
            error: false,
        });
    }

    /// An error toast.
    pub fn error(&mut self, text: impl Into<String>) {
        self.effect(Effect::Toast {
            text: text.into(),
            error: true,
        });
    }

    /// I/O for the runtime.
    pub fn command(&mut self, c: Command) {
        self.effect(Effect::Command(c));
    }

    /// Brings a tab on screen.
    pub fn go(&mut self, tab: Tab) {
        self.effect(Effect::Go(tab));
    }

    /// Lets a mutating action through, or says plainly why not (read-only
    /// mode). Every console mutation asks here first; the mutation functions
    /// ask `audit::authorize` again before touching Kafka.
    pub fn gate(&mut self, name: &str) -> bool {
        match crate::audit::authorize(self.settings, name) {
            Ok(()) => true,
            Err(e) => {
                self.error(strings::read_only_refused(&e));
                false
            }
        }
    }

    /// False (with a plain toast) when the broker has no admin APIs (its
    /// caps, decided when the brokers were chosen, say so).
    pub fn admin_apis(&mut self) -> bool {
        if !self.settings.caps.admin_apis {
            self.error(strings::NO_ADMIN_API);
            return false;
        }
        true
    }

    /// Sends an admin request to the worker; a mutation only when the brokers
    /// have admin APIs (else the toast says so).
    pub fn admin(&mut self, req: AdminRequest) {
        // A re-inject sends a record: no admin API needed.
        let sends = matches!(req, AdminRequest::ReinjectOriginal { .. });
        if req.mutation().is_some() && !sends && !self.admin_apis() {
            return;
        }
        self.command(Command::Admin(Box::new(req)));
    }

    /// Opens the type-the-name dialog for a mutation, after the gate (and
    /// only when the brokers have admin APIs).
    pub fn ask(&mut self, name: &str, title: String, lines: Vec<String>, request: AdminRequest) {
        if let Some(a) = request.mutation()
            && !self.gate(a)
        {
            return;
        }
        if !self.admin_apis() {
            return;
        }
        self.effect(Effect::Dialog(Dialog::Typed(TypedConfirm {
            title: format!(" {title} "),
            lines,
            expected: name.to_string(),
            typed: String::new(),
            request,
        })));
    }

    /// The effects asked for, in order.
    pub fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}

pub(crate) use super::widgets::centered;
