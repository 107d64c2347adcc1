//! The one key table: `(mode, key) → Action`, defaults overlaid by the config
//! file's `[ui.keys]`. The hint bar and the help overlay are generated from this
//! table, so what they say is what the keys do.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where the keyboard is. Text modes (filter, palette, edit) pass unbound keys to
/// their text field; the others fall back to the global bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Bindings that apply in every non-text mode.
    Global,
    /// Moving in a list or a scrolled view: every list mode inherits these
    /// (`list.j = "down"` rebinds them everywhere at once).
    List,
    /// The Streams list.
    Streams,
    /// A record's detail view.
    Detail,
    /// The Inject form, moving between fields.
    Inject,
    /// Typing in an Inject form field.
    Edit,
    /// Typing a Streams filter.
    Filter,
    /// Typing in the command palette.
    Palette,
    /// The help overlay.
    Help,
    /// The Lag pane's group list.
    Lag,
    /// One group's partitions.
    LagGroup,
    /// The DLQ pane's causes.
    Dlq,
    /// The dead letters of one cause.
    DlqRecords,
    /// One dead letter.
    DlqDetail,
    /// The redrive dialog: preview, progress, outcome.
    Redrive,
    /// The Topics pane's list.
    Topics,
    /// One topic described.
    TopicDetail,
    /// The Groups pane's list.
    Groups,
    /// One group described.
    GroupDetail,
    /// The Audit view.
    Audit,
    /// One audit entry opened.
    AuditEntry,
    /// Typing a name to confirm a destructive action.
    TypeConfirm,
    /// The offset-reset plan preview.
    ResetPlan,
    /// The Flows pane's edge list.
    Flows,
    /// A correlation trace.
    Trace,
    /// The replay popup.
    Replay,
    /// The Find pane's results.
    Find,
    /// The Cluster pane's health report.
    Cluster,
    /// The ACLs pane's list.
    Acls,
    /// The Schemas pane's subject list.
    Schemas,
    /// One version of a subject opened (its text, or a diff).
    SchemaVersion,
}

impl Mode {
    /// Every mode, in help order.
    pub const ALL: [Mode; 31] = [
        Mode::Global,
        Mode::List,
        Mode::Streams,
        Mode::Detail,
        Mode::Inject,
        Mode::Edit,
        Mode::Filter,
        Mode::Palette,
        Mode::Help,
        Mode::Lag,
        Mode::LagGroup,
        Mode::Dlq,
        Mode::DlqRecords,
        Mode::DlqDetail,
        Mode::Redrive,
        Mode::Topics,
        Mode::TopicDetail,
        Mode::Groups,
        Mode::GroupDetail,
        Mode::Audit,
        Mode::AuditEntry,
        Mode::TypeConfirm,
        Mode::ResetPlan,
        Mode::Flows,
        Mode::Trace,
        Mode::Replay,
        Mode::Find,
        Mode::Cluster,
        Mode::Acls,
        Mode::Schemas,
        Mode::SchemaVersion,
    ];

    /// The name used in `[ui.keys]` (`streams.p`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::List => "list",
            Mode::Streams => "streams",
            Mode::Detail => "detail",
            Mode::Inject => "inject",
            Mode::Edit => "edit",
            Mode::Filter => "filter",
            Mode::Palette => "palette",
            Mode::Help => "help",
            Mode::Lag => "lag",
            Mode::LagGroup => "lag_group",
            Mode::Dlq => "dlq",
            Mode::DlqRecords => "dlq_records",
            Mode::DlqDetail => "dlq_detail",
            Mode::Redrive => "redrive",
            Mode::Topics => "topics",
            Mode::TopicDetail => "topic",
            Mode::Groups => "groups",
            Mode::GroupDetail => "group",
            Mode::Audit => "audit",
            Mode::AuditEntry => "audit_entry",
            Mode::TypeConfirm => "type_confirm",
            Mode::ResetPlan => "reset_plan",
            Mode::Flows => "flows",
            Mode::Trace => "trace",
            Mode::Replay => "replay",
            Mode::Find => "find",
            Mode::Cluster => "cluster",
            Mode::Acls => "acls",
            Mode::Schemas => "schemas",
            Mode::SchemaVersion => "schema",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }

    /// True for overlays that take every key (global keys do not apply).
    pub fn is_modal(self) -> bool {
        matches!(
            self,
            Mode::Help | Mode::Redrive | Mode::ResetPlan | Mode::Replay
        )
    }

    /// True for the modes that move in a list or a scrolled view: they
    /// inherit the [`Mode::List`] keys.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Mode::Streams
                | Mode::Detail
                | Mode::Lag
                | Mode::LagGroup
                | Mode::Dlq
                | Mode::DlqRecords
                | Mode::DlqDetail
                | Mode::Topics
                | Mode::TopicDetail
                | Mode::Groups
                | Mode::GroupDetail
                | Mode::Audit
                | Mode::AuditEntry
                | Mode::Flows
                | Mode::Trace
                | Mode::Find
                | Mode::Cluster
                | Mode::Acls
                | Mode::Schemas
                | Mode::SchemaVersion
        )
    }

    /// The modes a lookup in this one falls back to, nearest first.
    fn parents(self) -> &'static [Mode] {
        if self.is_list() {
            &[Mode::List, Mode::Global]
        } else if self.is_text() || self.is_modal() || self == Mode::Global {
            &[]
        } else {
            &[Mode::Global]
        }
    }

    /// True when unbound keys are typed into a text field.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Mode::Edit | Mode::Filter | Mode::Palette | Mode::TypeConfirm
        )
    }
}

/// A key with its modifiers, normalised so `P` and `shift+p` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    code: KeyCodeOrd,
    mods: u8,
}

/// `KeyCode` is not `Ord`; this is the subset we bind, ordered for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
}

const CTRL: u8 = 1;
const ALT: u8 = 2;

impl Key {
    /// The normalised key of a terminal key event; `None` for keys we never bind.
    pub fn from_event(ev: &KeyEvent) -> Option<Self> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::Delete => KeyCodeOrd::Delete,
            _ => return None,
        };
        let mut mods = 0;
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            mods |= CTRL;
        }
        if ev.modifiers.contains(KeyModifiers::ALT) {
            mods |= ALT;
        }
        // Shift is already in the character (`P`), and BackTab is shift+tab.
        let code = match code {
            KeyCodeOrd::Char(c) if mods & CTRL != 0 => KeyCodeOrd::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Some(Self { code, mods })
    }

    /// Parses `p`, `P`, `ctrl+s`, `enter`, `esc`, `tab`, `shift+tab`, `up`, `pgdn`,
    /// `home`, `space`, `f1`, `?` …
    pub fn parse(s: &str) -> Option<Self> {
        let mut mods = 0;
        let mut rest = s.trim();
        let mut shift = false;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl+").or(lower.strip_prefix("c-")) {
                mods |= CTRL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt+").or(lower.strip_prefix("m-")) {
                mods |= ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift+") {
                shift = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCodeOrd::Enter,
            "esc" | "escape" => KeyCodeOrd::Esc,
            "tab" if shift => KeyCodeOrd::BackTab,
            "tab" => KeyCodeOrd::Tab,
            "backtab" => KeyCodeOrd::BackTab,
            "backspace" => KeyCodeOrd::Backspace,
            "up" => KeyCodeOrd::Up,
            "down" => KeyCodeOrd::Down,
            "left" => KeyCodeOrd::Left,
            "right" => KeyCodeOrd::Right,
            "pgup" | "pageup" => KeyCodeOrd::PageUp,
            "pgdn" | "pagedown" => KeyCodeOrd::PageDown,
            "home" => KeyCodeOrd::Home,
            "end" => KeyCodeOrd::End,
            "delete" | "del" => KeyCodeOrd::Delete,
            "space" => KeyCodeOrd::Char(' '),
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCodeOrd::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                let c = if mods & CTRL != 0 {
                    c.to_ascii_lowercase()
                } else if shift {
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                KeyCodeOrd::Char(c)
            }
        };
        Some(Self { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods & CTRL != 0 {
            f.write_str("^")?;
        }
        if self.mods & ALT != 0 {
            f.write_str("M-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) if self.mods & CTRL != 0 => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Enter => f.write_str("enter"),
            KeyCodeOrd::Esc => f.write_str("esc"),
            KeyCodeOrd::Tab => f.write_str("tab"),
            KeyCodeOrd::BackTab => f.write_str("S-tab"),
            KeyCodeOrd::Backspace => f.write_str("bksp"),
            KeyCodeOrd::Up => f.write_str("↑"),
            KeyCodeOrd::Down => f.write_str("↓"),
            KeyCodeOrd::Left => f.write_str("←"),
            KeyCodeOrd::Right => f.write_str("→"),
            KeyCodeOrd::PageUp => f.write_str("pgup"),
            KeyCodeOrd::PageDown => f.write_str("pgdn"),
            KeyCodeOrd::Home => f.write_str("home"),
            KeyCodeOrd::End => f.write_str("end"),
            KeyCodeOrd::Delete => f.write_str("del"),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Where it applies.
    pub mode: Mode,
    /// The key.
    pub key: Key,
    /// What it does.
    pub action: Action,
    /// Shown in the hint bar (otherwise only in the help overlay).
    pub hint: bool,
}

/// Default bindings: `(mode, key, action, shown in the hint bar)`.
const DEFAULTS: &[(Mode, &str, Action, bool)] = &[
    (Mode::Global, "q", Action::Quit, true),
    (Mode::Global, "ctrl+c", Action::Quit, false),
    (Mode::Global, "?", Action::Help, true),
    (Mode::Global, ":", Action::Palette, true),
    (Mode::Global, "1", Action::TabStreams, false),
    (Mode::Global, "2", Action::TabLag, false),
    (Mode::Global, "3", Action::TabDlq, false),
    (Mode::Global, "4", Action::TabFlows, false),
    (Mode::Global, "5", Action::TabInject, false),
    (Mode::Global, "tab", Action::NextTab, false),
    (Mode::Global, "shift+tab", Action::PrevTab, false),
    (Mode::Global, "T", Action::Theme, false),
    (Mode::Global, "+", Action::RateUp, false),
    (Mode::Global, "-", Action::RateDown, false),
    // Every list mode inherits these (`Mode::is_list`).
    (Mode::List, "k", Action::Up, false),
    (Mode::List, "up", Action::Up, false),
    (Mode::List, "j", Action::Down, false),
    (Mode::List, "down", Action::Down, false),
    (Mode::List, "pgup", Action::PageUp, false),
    (Mode::List, "pgdn", Action::PageDown, false),
    (Mode::List, "g", Action::Top, false),
    (Mode::List, "home", Action::Top, false),
    (Mode::List, "G", Action::Bottom, false),
    (Mode::List, "end", Action::Bottom, false),
    (Mode::Streams, "enter", Action::Open, true),
    (Mode::Streams, "/", Action::Filter, true),
    (Mode::Streams, "esc", Action::ClearFilter, false),
    (Mode::Streams, "p", Action::Pause, true),
    (Mode::Streams, "f", Action::Follow, true),
    (Mode::Streams, "a", Action::ToggleOrder, false),
    (Mode::Streams, "i", Action::Isolation, false),
    (Mode::Streams, "b", Action::SeekBeginning, true),
    (Mode::Streams, "e", Action::SeekEnd, true),
    (Mode::Streams, "o", Action::Seek, true),
    (Mode::Streams, "y", Action::Copy, false),
    (Mode::Streams, "x", Action::Export, false),
    (Mode::Streams, "r", Action::Reinject, true),
    (Mode::Streams, "F", Action::Find, true),
    (Mode::Global, "9", Action::TabFind, false),
    (Mode::Global, "0", Action::TabCluster, false),
    (Mode::Cluster, "r", Action::Refresh, true),
    (Mode::Find, "enter", Action::Open, true),
    (Mode::Find, "esc", Action::Back, true),
    (Mode::Find, "F", Action::Find, true),
    (Mode::Find, "r", Action::Reinject, true),
    (Mode::Find, "t", Action::Trace, true),
    (Mode::Find, "y", Action::Copy, false),
    (Mode::Detail, "esc", Action::Back, true),
    (Mode::Detail, "y", Action::Copy, true),
    (Mode::Detail, "r", Action::Reinject, true),
    (Mode::Inject, "down", Action::NextField, true),
    (Mode::Inject, "j", Action::NextField, false),
    (Mode::Inject, "up", Action::PrevField, false),
    (Mode::Inject, "k", Action::PrevField, false),
    (Mode::Inject, "enter", Action::Edit, true),
    (Mode::Inject, "left", Action::PrevChoice, false),
    (Mode::Inject, "right", Action::NextChoice, true),
    (Mode::Inject, "s", Action::Send, true),
    (Mode::Inject, "ctrl+s", Action::Send, false),
    (Mode::Inject, "v", Action::Route, true),
    (Mode::Inject, "n", Action::NewCorrelation, false),
    (Mode::Inject, "c", Action::ReuseCorrelation, false),
    (Mode::Inject, "t", Action::Template, false),
    (Mode::Edit, "esc", Action::Back, true),
    (Mode::Edit, "tab", Action::NextField, true),
    (Mode::Edit, "shift+tab", Action::PrevField, false),
    (Mode::Edit, "ctrl+s", Action::Send, true),
    (Mode::Edit, "ctrl+u", Action::ClearField, true),
    (Mode::Filter, "enter", Action::Confirm, true),
    (Mode::Filter, "esc", Action::Back, true),
    (Mode::Palette, "enter", Action::Confirm, true),
    (Mode::Palette, "esc", Action::Back, true),
    (Mode::Help, "esc", Action::Back, true),
    (Mode::Help, "?", Action::Back, false),
    (Mode::Help, "q", Action::Back, false),
    (Mode::Lag, "enter", Action::Open, true),
    (Mode::Lag, "s", Action::SortNext, true),
    (Mode::Lag, "S", Action::SortPrev, false),
    (Mode::Lag, "r", Action::SortReverse, true),
    (Mode::LagGroup, "esc", Action::Back, true),
    (Mode::Dlq, "enter", Action::Open, true),
    (Mode::Dlq, "/", Action::Filter, true),
    (Mode::Dlq, "esc", Action::ClearFilter, false),
    (Mode::Dlq, "A", Action::RedriveAll, true),
    (Mode::DlqRecords, "esc", Action::Back, true),
    (Mode::DlqRecords, "enter", Action::Open, true),
    (Mode::DlqRecords, "space", Action::Mark, true),
    (Mode::DlqRecords, "R", Action::Redrive, true),
    (Mode::DlqRecords, "A", Action::RedriveAll, false),
    (Mode::DlqRecords, "o", Action::OpenOriginal, true),
    (Mode::DlqDetail, "esc", Action::Back, true),
    (Mode::DlqDetail, "t", Action::ToggleStack, true),
    (Mode::DlqDetail, "R", Action::Redrive, true),
    (Mode::DlqDetail, "o", Action::OpenOriginal, true),
    (Mode::Redrive, "y", Action::Confirm, true),
    (Mode::Redrive, "enter", Action::Confirm, false),
    (Mode::Redrive, "n", Action::Back, true),
    (Mode::Redrive, "esc", Action::Back, false),
    (Mode::Global, "6", Action::TabTopics, false),
    (Mode::Global, "7", Action::TabGroups, false),
    (Mode::Global, "8", Action::TabAudit, false),
    (Mode::Topics, "enter", Action::Open, true),
    (Mode::Topics, "r", Action::Refresh, true),
    (Mode::Topics, "n", Action::CreateTopic, true),
    (Mode::Topics, "D", Action::Delete, true),
    (Mode::Topics, "E", Action::EmptyTopic, true),
    (Mode::Topics, "P", Action::AddPartitions, false),
    (Mode::Topics, "c", Action::EditConfig, false),
    (Mode::TopicDetail, "esc", Action::Back, true),
    (Mode::TopicDetail, "r", Action::Refresh, true),
    (Mode::TopicDetail, "D", Action::Delete, true),
    (Mode::TopicDetail, "E", Action::EmptyTopic, true),
    (Mode::TopicDetail, "P", Action::AddPartitions, true),
    (Mode::TopicDetail, "c", Action::EditConfig, true),
    (Mode::Acls, "/", Action::Filter, true),
    (Mode::Acls, "esc", Action::ClearFilter, false),
    (Mode::Acls, "r", Action::Refresh, true),
    (Mode::Acls, "D", Action::Delete, true),
    (Mode::Schemas, "enter", Action::Open, true),
    (Mode::Schemas, "/", Action::Filter, true),
    (Mode::Schemas, "esc", Action::ClearFilter, false),
    (Mode::Schemas, "r", Action::Refresh, true),
    (Mode::SchemaVersion, "esc", Action::Back, true),
    (Mode::SchemaVersion, "d", Action::Diff, true),
    (Mode::SchemaVersion, "left", Action::PrevChoice, false),
    (Mode::SchemaVersion, "right", Action::NextChoice, false),
    (Mode::SchemaVersion, "r", Action::Refresh, false),
    (Mode::Groups, "enter", Action::Open, true),
    (Mode::Groups, "r", Action::Refresh, true),
    (Mode::Groups, "R", Action::ResetOffsets, true),
    (Mode::Groups, "D", Action::Delete, true),
    (Mode::GroupDetail, "esc", Action::Back, true),
    (Mode::GroupDetail, "r", Action::Refresh, true),
    (Mode::GroupDetail, "R", Action::ResetOffsets, true),
    (Mode::GroupDetail, "D", Action::Delete, true),
    (Mode::Audit, "enter", Action::Open, true),
    (Mode::Audit, "r", Action::Refresh, true),
    (Mode::AuditEntry, "esc", Action::Back, true),
    (Mode::TypeConfirm, "enter", Action::Confirm, true),
    (Mode::TypeConfirm, "esc", Action::Back, true),
    (Mode::ResetPlan, "y", Action::Confirm, true),
    (Mode::ResetPlan, "enter", Action::Confirm, false),
    (Mode::ResetPlan, "n", Action::Back, true),
    (Mode::ResetPlan, "esc", Action::Back, false),
    (Mode::Streams, "t", Action::Trace, true),
    (Mode::Detail, "t", Action::Trace, true),
    (Mode::Flows, "j", Action::Down, true),
    (Mode::Flows, "enter", Action::ShowInStreams, true),
    (Mode::Trace, "esc", Action::Back, true),
    (Mode::Replay, "y", Action::RunReplay, true),
    (Mode::Replay, "esc", Action::Back, true),
    // Ctrl-C quits wherever the keyboard is, typing included: the global
    // binding does not reach text fields and dialogs, so each says it again.
    (Mode::Edit, "ctrl+c", Action::Quit, false),
    (Mode::Filter, "ctrl+c", Action::Quit, false),
    (Mode::Palette, "ctrl+c", Action::Quit, false),
    (Mode::TypeConfirm, "ctrl+c", Action::Quit, false),
    (Mode::Help, "ctrl+c", Action::Quit, false),
    (Mode::Redrive, "ctrl+c", Action::Quit, false),
    (Mode::ResetPlan, "ctrl+c", Action::Quit, false),
    (Mode::Replay, "ctrl+c", Action::Quit, false),
];

/// A `[ui.keys]` entry that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError(pub String);

/// The key table.
#[derive(Debug, Clone)]
pub struct KeyMap {
    table: BTreeMap<(Mode, Key), (Action, bool)>,
    /// Keys a mode unbinds (`"streams.k" = "none"`), inherited ones included.
    unbound: std::collections::BTreeSet<(Mode, Key)>,
}

impl KeyMap {
    /// The default bindings.
    pub fn defaults() -> Self {
        let mut table = BTreeMap::new();
        for &(mode, key, action, hint) in DEFAULTS {
            if let Some(k) = Key::parse(key) {
                table.insert((mode, k), (action, hint));
            }
        }
        Self {
            table,
            unbound: Default::default(),
        }
    }

    /// Defaults overlaid by `[ui.keys]` (`"streams.p" = "pause"`; `"none"` unbinds).
    /// Entries that do not parse are skipped and reported, never fatal.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> (Self, Vec<KeymapError>) {
        let mut map = Self::defaults();
        let mut errors = Vec::new();
        for (lhs, rhs) in overrides {
            let (mode, key) = match lhs.split_once('.') {
                Some((m, k)) if !k.is_empty() => (Mode::from_name(m), k),
                _ => (Some(Mode::Global), lhs.as_str()),
            };
            let (Some(mode), Some(key)) = (mode, Key::parse(key)) else {
                errors.push(KeymapError(format!("[ui.keys] \"{lhs}\": not MODE.KEY")));
                continue;
            };
            if rhs == "none" || rhs.is_empty() {
                map.table.remove(&(mode, key));
                map.unbound.insert((mode, key));
                continue;
            }
            let Some(action) = Action::from_name(rhs) else {
                errors.push(KeymapError(format!(
                    "[ui.keys] \"{lhs}\" = \"{rhs}\": no such action"
                )));
                continue;
            };
            // A rebound action keeps its place in the hint bar.
            let hint = DEFAULTS
                .iter()
                .any(|&(m, _, a, h)| m == mode && a == action && h);
            map.unbound.remove(&(mode, key));
            map.table.insert((mode, key), (action, hint));
        }
        (map, errors)
    }

    /// The action for a key in a mode: the mode's own binding, else the
    /// inherited ones (the list keys, then outside text modes and dialogs the
    /// global ones), unless the mode unbinds the key.
    pub fn lookup(&self, mode: Mode, key: Key) -> Option<Action> {
        self.binding(mode, key).map(|(a, _)| a)
    }

    fn binding(&self, mode: Mode, key: Key) -> Option<(Action, bool)> {
        if self.unbound.contains(&(mode, key)) {
            return None;
        }
        std::iter::once(mode)
            .chain(mode.parents().iter().copied())
            .find_map(|m| self.table.get(&(m, key)).copied())
    }

    /// The bindings that apply in `mode` apart from the global ones: its own
    /// and the inherited list keys, by key.
    pub fn bindings_of(&self, mode: Mode) -> Vec<Binding> {
        let mut keys: Vec<Key> = self
            .table
            .keys()
            .filter(|(m, _)| *m == mode || (mode.is_list() && *m == Mode::List))
            .map(|(_, k)| *k)
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter_map(|key| {
                let own = self.table.get(&(mode, key)).copied();
                let inherited = (mode.is_list() && !self.unbound.contains(&(mode, key)))
                    .then(|| self.table.get(&(Mode::List, key)).copied())
                    .flatten();
                own.or(inherited).map(|(action, hint)| Binding {
                    mode,
                    key,
                    action,
                    hint,
                })
            })
            .collect()
    }

    /// Every binding, by mode then key.
    pub fn bindings(&self) -> impl Iterator<Item = Binding> + '_ {
        self.table
            .iter()
            .map(|(&(mode, key), &(action, hint))| Binding {
                mode,
                key,
                action,
                hint,
            })
    }

    /// The first key bound to `action` in `mode` (or globally).
    pub fn key_for(&self, mode: Mode, action: Action) -> Option<Key> {
        let find = |m: Mode| {
            self.table
                .iter()
                .find(|((mm, _), (a, _))| *mm == m && *a == action)
                .map(|((_, k), _)| *k)
        };
        find(mode)
            .or_else(|| mode.is_list().then(|| find(Mode::List)).flatten())
            .or_else(|| find(Mode::Global))
    }

    /// The hint bar entries for a mode: `(keys, action)`, keys of one action joined.
    pub fn hints(&self, mode: Mode) -> Vec<(String, Action)> {
        let mut out: Vec<(String, Action)> = Vec::new();
        let mut modes = vec![mode];
        modes.extend(mode.parents());
        for m in modes {
            for ((mm, key), (action, hint)) in &self.table {
                if *mm != m || !hint {
                    continue;
                }
                // A key the mode rebinds (or unbinds) hides the inherited one.
                if m != mode
                    && (self.table.contains_key(&(mode, *key))
                        || self.unbound.contains(&(mode, *key)))
                {
                    continue;
                }
                if out.iter().any(|(_, a)| a == action) {
                    continue;
                }
                out.push((key.to_string(), *action));
            }
        }
        // Mode keys first, each group in the order the help lists actions.
        let rank = |a: &Action| {
            Action::ALL
                .iter()
                .position(|x| x == a)
                .unwrap_or(usize::MAX)
        };
        let mode_keys: Vec<Action> = out
            .iter()
            .map(|(_, a)| *a)
            .filter(|a| {
                self.table
                    .iter()
                    .any(|((m, _), (x, _))| *m == mode && x == a)
            })
            .collect();
        out.sort_by_key(|(_, a)| (!mode_keys.contains(a), rank(a)));
        out
    }
}

/// The key event of typing `c` (uppercase with shift, as terminals send it).
pub fn char_key(c: char) -> KeyEvent {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn keys_parse_and_match_events() {
        let ev = KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Some(key("P")));
        assert_eq!(key("shift+p"), key("P"));
        let ev = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), Some(key("ctrl+s")));
        assert_eq!(key("shift+tab"), key("backtab"));
        assert_eq!(key("ctrl+s").to_string(), "^S");
        assert!(Key::parse("nonsense").is_none());
    }

    #[test]
    fn overrides_rebind_unbind_and_report_mistakes() {
        let mut o = BTreeMap::new();
        o.insert("streams.space".to_string(), "pause".to_string());
        o.insert("streams.p".to_string(), "none".to_string());
        o.insert("streams.z".to_string(), "fly".to_string());
        let (map, errors) = KeyMap::with_overrides(&o);
        assert_eq!(map.lookup(Mode::Streams, key("space")), Some(Action::Pause));
        assert_eq!(map.lookup(Mode::Streams, key("p")), None);
        assert_eq!(errors.len(), 1);
        assert!(
            map.hints(Mode::Streams)
                .iter()
                .any(|(k, a)| k == "space" && *a == Action::Pause)
        );
    }

    #[test]
    fn text_modes_do_not_fall_back_to_global_keys() {
        let map = KeyMap::defaults();
        assert_eq!(map.lookup(Mode::Streams, key("q")), Some(Action::Quit));
        assert_eq!(map.lookup(Mode::Filter, key("q")), None);
        assert_eq!(map.lookup(Mode::Edit, key("5")), None);
    }

    #[test]
    fn list_modes_inherit_the_list_keys_and_can_unbind_them_one_by_one() {
        let mut o = BTreeMap::new();
        o.insert("list.ctrl+n".to_string(), "down".to_string());
        o.insert("streams.g".to_string(), "none".to_string());
        let (map, errors) = KeyMap::with_overrides(&o);
        assert!(errors.is_empty(), "{errors:?}");
        for mode in [
            Mode::Streams,
            Mode::Topics,
            Mode::Lag,
            Mode::DlqDetail,
            Mode::Trace,
        ] {
            assert_eq!(map.lookup(mode, key("j")), Some(Action::Down), "{mode:?}");
            assert_eq!(
                map.lookup(mode, key("ctrl+n")),
                Some(Action::Down),
                "{mode:?}"
            );
        }
        // Unbound in Streams only; still Top everywhere else.
        assert_eq!(map.lookup(Mode::Streams, key("g")), None);
        assert_eq!(map.lookup(Mode::Topics, key("g")), Some(Action::Top));
        // Not a list: the inject form keeps its own j (next field), no list keys.
        assert_eq!(map.lookup(Mode::Inject, key("j")), Some(Action::NextField));
        assert_eq!(map.lookup(Mode::Inject, key("pgdn")), None);
        // The help lists the inherited keys with the mode's own.
        let of_topics: Vec<Action> = map
            .bindings_of(Mode::Topics)
            .iter()
            .map(|b| b.action)
            .collect();
        assert!(of_topics.contains(&Action::Up) && of_topics.contains(&Action::Refresh));
        assert!(
            !map.bindings_of(Mode::Streams)
                .iter()
                .any(|b| b.key == key("g"))
        );
    }
}
