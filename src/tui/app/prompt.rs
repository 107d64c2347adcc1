//! The bottom line's prompts: the `/` filter (typed live into the pane on
//! screen) and the `:` palette (the app's own verbs, then the panes', then any
//! action by name); Esc and Enter out of what the app owns.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Prompt};
use crate::tui::action::Action;
use crate::tui::dialog::Dialog;
use crate::tui::event::AdminRequest;
use crate::tui::keymap::Mode;
use crate::tui::panes::Cx;
use crate::tui::panes::replay::{self, ReplayState};
use crate::tui::strings;

impl App {
    pub(super) fn edit_prompt(&mut self, ev: KeyEvent) {
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
        self.filter_typed();
    }

    /// The `/` prompt's text, as typed so far, goes to the pane on screen.
    pub(super) fn filter_typed(&mut self) {
        if let Some(Prompt::Filter { text, .. }) = &self.prompt {
            let t = text.clone();
            self.set_tab_filter(&t);
        }
    }

    /// The `/` filter goes to the pane on screen, or to Streams when that pane
    /// has none.
    pub(super) fn set_tab_filter(&mut self, text: &str) {
        if !self.panes.get_mut(self.tab).set_filter(text) {
            self.panes.streams.set_filter(text);
        }
    }

    /// Esc out of what the app owns (the panes handle their own `Back`).
    pub(super) fn back(&mut self, mode: Mode) {
        match mode {
            Mode::Help => self.help = None,
            Mode::Palette => self.prompt = None,
            Mode::Filter => {
                if let Some(Prompt::Filter { previous, .. }) = self.prompt.take() {
                    self.set_tab_filter(&previous);
                }
            }
            Mode::Replay => {
                // Closing the popup does not stop a running replay: its outcome
                // opens it again.
                if matches!(self.replay, Some(ReplayState::Running { .. })) {
                    self.toast_info(strings::REPLAY_BACKGROUND);
                }
                self.replay = None;
            }
            Mode::TypeConfirm | Mode::ResetPlan => self.dialog = None,
            _ => {}
        }
    }

    pub(super) fn confirm(&mut self) {
        match self.prompt.take() {
            Some(Prompt::Filter { text, .. }) => self.set_tab_filter(&text),
            Some(Prompt::Palette(text)) => self.run_palette(&text),
            None => {
                if let Some(d) = self.dialog.take() {
                    let mut cx = Cx::new(&self.theme, &self.settings);
                    self.dialog = confirm_dialog(d, &mut cx);
                    let effects = cx.take();
                    self.run(effects);
                }
            }
        }
    }

    /// `:verb arg`: the app's own verbs, a tab's name, then the panes' verbs
    /// (`seek`, `topic`, `reset`, …), then any action by name.
    pub(super) fn run_palette(&mut self, text: &str) {
        let text = text.trim();
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        let arg = arg.trim();
        match verb {
            "" => return,
            "theme" if arg == "dark" || arg == "light" => return self.set_theme(arg),
            "tab" => {
                return match self.panes.tab_named(arg) {
                    Some(t) => self.switch_tab(t),
                    None => self.toast_error(strings::no_such_tab(arg)),
                };
            }
            "replay" => {
                let mut cx = Cx::new(&self.theme, &self.settings);
                if let Some(r) = replay::start(arg, &self.topic_map, self.has_handlers, &mut cx) {
                    self.replay = Some(r);
                }
                let effects = cx.take();
                return self.run(effects);
            }
            "q" | "quit" => return self.quit = true,
            _ => {}
        }
        // `:cluster`, `:lag`, …: a tab's name alone brings it on screen (with
        // words after it, it is that pane's verb: `:topic create …`).
        if arg.is_empty()
            && let Some(t) = self.panes.tab_named(verb)
        {
            return self.switch_tab(t);
        }
        let mut cx = Cx::new(&self.theme, &self.settings);
        let taken = self
            .panes
            .each_mut()
            .into_iter()
            .any(|pane| pane.palette(verb, arg, &mut cx));
        let effects = cx.take();
        self.run(effects);
        if taken {
            return;
        }
        match Action::from_name(verb) {
            Some(a) => self.update(a),
            None => self.toast_error(strings::unknown_command(verb)),
        }
    }
}

/// Enter (or `y`) in a dialog: runs its request once the typed name matches
/// / the plan is confirmed, after the gate. The dialog stays open (returned)
/// while the name does not match.
fn confirm_dialog(dialog: Dialog, cx: &mut Cx<'_>) -> Option<Dialog> {
    match dialog {
        Dialog::Typed(c) => {
            if !c.matches() {
                cx.error(strings::CONFIRM_MISMATCH);
                return Some(Dialog::Typed(c));
            }
            if let Some(name) = c.request.mutation()
                && !cx.gate(name)
            {
                return None;
            }
            cx.info(strings::admin_started(&c.title));
            cx.admin(c.request);
        }
        Dialog::Plan(plan) => {
            if !cx.gate(crate::audit::action::GROUP_RESET_OFFSETS) {
                return None;
            }
            cx.info(strings::admin_started(&strings::committing_reset(
                &plan.group,
            )));
            cx.admin(AdminRequest::ExecuteReset(plan));
        }
    }
    None
}
