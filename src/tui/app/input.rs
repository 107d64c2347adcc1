//! Terminal input: keys through the key table to actions (unbound keys into
//! the text field of a text mode), the mouse (wheel, clicks on the tab line,
//! the help overlay and the pane), pasted text, and the once-a-second tick.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::{App, Prompt, WHEEL_ROWS};
use crate::tui::event::Event;
use crate::tui::help::HelpClick;
use crate::tui::keymap::{Key, Mode, char_key, key_event};
use crate::tui::panes::Cx;
use crate::tui::tab::Tab;

impl App {
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

    pub(super) fn handle_tick(&mut self) {
        let total = self.panes.streams.total_received;
        let rate = total - self.last_total;
        self.last_total = total;
        if rate != self.rate {
            self.rate = rate;
            self.dirty = true;
        }
        // Rates decay with time even when nothing arrives.
        self.panes.flows.refresh_now(true);
        if self.tab == Tab::Flows {
            self.dirty = true;
        }
        if let Some(trace) = self.panes.streams.trace.as_mut() {
            let before = trace.events;
            trace.rebuild(self.panes.flows.graph(), &self.theme);
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

    pub(super) fn handle_key(&mut self, ev: KeyEvent) {
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
            Mode::TypeConfirm => {
                if let Some(d) = self.dialog.as_mut() {
                    d.key(ev);
                }
            }
            m if m.is_text() => self.panes.get_mut(self.tab).key(ev),
            _ => {}
        }
    }

    pub(super) fn handle_paste(&mut self, text: &str) {
        self.dirty = true;
        match self.mode() {
            Mode::Filter | Mode::Palette => {
                if let Some(Prompt::Filter { text: t, .. } | Prompt::Palette(t)) =
                    self.prompt.as_mut()
                {
                    t.push_str(&text.replace(['\n', '\r'], " "));
                }
                self.filter_typed();
            }
            m if m.is_text() && !Self::is_app_mode(m) => self.panes.get_mut(self.tab).paste(text),
            _ => {}
        }
    }

    pub(super) fn handle_mouse(&mut self, m: MouseEvent) {
        if let Some(help) = &self.help {
            if m.kind == MouseEventKind::Down(MouseButton::Left) {
                match help.click(m) {
                    HelpClick::Run(action) => {
                        self.help = None;
                        self.update(action);
                    }
                    HelpClick::Close => self.help = None,
                    HelpClick::Nothing => {}
                }
                self.dirty = true;
            }
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
        // The panes stay still under a dialog.
        let covered = self.dialog.is_some();
        if let Some(rows) = wheel_rows(m.kind) {
            if !covered && self.panes.get_mut(self.tab).scroll(rows) {
                self.dirty = true;
            }
            return;
        }
        if m.kind != MouseEventKind::Down(MouseButton::Left) {
            return;
        }
        let tabs = self.tabs_area.get();
        if m.row == tabs.y {
            if let Some(tab) = self.tab_at(m.column.saturating_sub(tabs.x)) {
                self.switch_tab(tab);
            }
            return;
        }
        if !covered {
            let mut cx = Cx::new(&self.theme, &self.settings);
            if self.panes.get_mut(self.tab).click(m, &mut cx) {
                self.dirty = true;
            }
            let effects = cx.take();
            self.run(effects);
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
}

/// Rows one notch of the mouse wheel moves (up negative); `None` for other events.
fn wheel_rows(kind: MouseEventKind) -> Option<isize> {
    match kind {
        MouseEventKind::ScrollUp => Some(-WHEEL_ROWS),
        MouseEventKind::ScrollDown => Some(WHEEL_ROWS),
        _ => None,
    }
}
