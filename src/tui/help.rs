//! The help overlay: every key of the mode on screen and the global ones, read
//! from the key table when it opens, in as many columns as the screen needs. A
//! click on a line runs that line's action.

use std::cell::RefCell;

use crossterm::event::MouseEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear};

use super::action::Action;
use super::fit::{cut, width};
use super::keymap::{KeyMap, Mode};
use super::strings;
use super::theme::Theme;

/// Widest key list the help overlay gives its own column (`g/home` fits).
const HELP_KEYS_MAX: usize = 12;

/// The help overlay, built when it opens.
#[derive(Debug, Clone)]
pub struct Help {
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

/// What a click on the overlay means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpClick {
    /// A line: run its action (the overlay closes).
    Run(Action),
    /// Outside the popup: close it.
    Close,
    /// Inside, on nothing.
    Nothing,
}

impl Help {
    /// The keys of `mode` (its own and inherited ones), then the global keys.
    pub fn new(keymap: &KeyMap, mode: Mode) -> Self {
        let mut entries: Vec<(String, String, Option<Action>)> = Vec::new();
        let mode = if mode == Mode::Help {
            Mode::Global
        } else {
            mode
        };
        if mode != Mode::Global {
            entries.push((String::new(), format!("— {} —", mode.name()), None));
            push_mode(keymap, mode, &mut entries);
        }
        if !mode.is_text() {
            entries.push((String::new(), "— global —".to_string(), None));
            push_mode(keymap, Mode::Global, &mut entries);
        }
        Self {
            mode,
            entries,
            layout: RefCell::default(),
        }
    }

    /// What a left click at `m` means, as last drawn.
    pub fn click(&self, m: MouseEvent) -> HelpClick {
        let layout = self.layout.borrow();
        let at = |r: &Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let hit = layout
            .lines
            .iter()
            .find(|(r, _)| at(r))
            .and_then(|(_, i)| self.entries.get(*i))
            .and_then(|(_, _, a)| *a);
        match (hit, at(&layout.popup)) {
            (Some(action), _) => HelpClick::Run(action),
            (None, false) => HelpClick::Close,
            (None, true) => HelpClick::Nothing,
        }
    }

    /// Entries in as many columns as the screen needs to show them all, each
    /// cut with `…` to its column (never into the next one).
    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        const GAP: usize = 2;
        const MAX_COLS: usize = 3;
        let title = format!(" help: {} (esc closes) ", self.mode.name());
        let bottom = strings::HELP_REBIND;
        let n = self.entries.len().max(1);
        let key_w = self
            .entries
            .iter()
            .map(|(k, _, _)| width(k))
            .max()
            .unwrap_or(0)
            .min(HELP_KEYS_MAX);
        let entry_w = self
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
        let mut layout = self.layout.borrow_mut();
        layout.popup = popup;
        layout.lines.clear();
        // What does not fit is said in the last cell, never dropped silently.
        let shown = if self.entries.len() > cols * rows {
            cols * rows - 1
        } else {
            self.entries.len()
        };
        let key_style = Style::new().fg(t.accent).add_modifier(Modifier::BOLD);
        for (i, (keys, desc, _)) in self.entries.iter().enumerate().take(shown) {
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
        if shown < self.entries.len() {
            let i = shown;
            let x = inner.x + ((i / rows) * (col_w + GAP)) as u16;
            let y = inner.y + (i % rows) as u16;
            let more = strings::help_more(self.entries.len() - shown);
            buf.set_string(x, y, cut(&more, col_w), t.dimmed());
        }
    }
}

/// The keys of one mode, one entry per action (its keys joined), in the
/// order the help lists actions.
fn push_mode(keymap: &KeyMap, m: Mode, entries: &mut Vec<(String, String, Option<Action>)>) {
    let mut by_action: Vec<(Action, Vec<String>)> = Vec::new();
    for b in keymap.bindings_of(m) {
        match by_action.iter_mut().find(|(a, _)| *a == b.action) {
            Some((_, keys)) => keys.push(b.key.to_string()),
            None => by_action.push((b.action, vec![b.key.to_string()])),
        }
    }
    by_action.sort_by_key(|(a, _)| Action::ALL.iter().position(|x| x == a));
    for (a, keys) in by_action {
        entries.push((
            keys.join("/"),
            strings::describe_in(m, a).to_string(),
            Some(a),
        ));
    }
}
