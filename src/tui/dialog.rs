//! The dialogs that guard mutations, drawn over the panes: type-the-name
//! confirmation and the offset-reset plan preview. The app owns the open one;
//! panes ask for it with `Effect::Dialog`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::event::{AdminRequest, Command};
use super::fit::cut as clip;
use super::keymap::Mode;
use super::panes::Cx;
use super::panes::centered;
use super::strings;
use super::theme::Theme;
use crate::domain::{sanitize, sanitize_owned};
use crate::reset::ResetPlan;

/// A mutation that asks the user to type a name before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedConfirm {
    /// Dialog title.
    pub title: String,
    /// What will happen, one line each.
    pub lines: Vec<String>,
    /// The name to type.
    pub expected: String,
    /// What was typed so far.
    pub typed: String,
    /// What runs once the name matches.
    pub request: AdminRequest,
}

impl TypedConfirm {
    /// True when the typed text is exactly the name.
    pub fn matches(&self) -> bool {
        self.typed == self.expected
    }
}

/// A dialog over the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Type the name to confirm.
    Typed(TypedConfirm),
    /// An offset-reset plan (dry run) awaiting confirmation.
    Plan(ResetPlan),
}

impl Dialog {
    /// Keys typed into the type-the-name dialog.
    pub fn key(&mut self, ev: KeyEvent) {
        let Dialog::Typed(c) = self else {
            return;
        };
        match ev.code {
            KeyCode::Char('u') if ev.modifiers.contains(KeyModifiers::CONTROL) => c.typed.clear(),
            KeyCode::Char(ch) if !ev.modifiers.contains(KeyModifiers::CONTROL) => c.typed.push(ch),
            KeyCode::Backspace => {
                c.typed.pop();
            }
            _ => {}
        }
    }

    /// Enter (or `y`): runs the request once the typed name matches / the
    /// plan is confirmed, after the gate. The dialog stays open (returned)
    /// while the name does not match.
    pub fn confirm(self, cx: &mut Cx<'_>) -> Option<Dialog> {
        match self {
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
                cx.info(strings::ops_started(&c.title));
                send(cx, c.request);
            }
            Dialog::Plan(plan) => {
                if !cx.gate(crate::audit::action::GROUP_RESET_OFFSETS) {
                    return None;
                }
                cx.info(strings::ops_started(&format!(
                    "committing the new offsets of {}",
                    plan.group
                )));
                send(cx, AdminRequest::ExecuteReset(plan));
            }
        }
        None
    }

    /// The key mode while it is open.
    pub fn mode(&self) -> Mode {
        match self {
            Dialog::Typed(_) => Mode::TypeConfirm,
            Dialog::Plan(_) => Mode::ResetPlan,
        }
    }

    /// Draws the dialog centred over `area`.
    pub(crate) fn render(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        let mut lines: Vec<Line<'static>> = Vec::new();
        let title = match self {
            Dialog::Typed(c) => {
                for l in &c.lines {
                    lines.push(Line::styled(l.clone(), t.text()));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    strings::type_to_confirm(&c.expected),
                    t.strong(),
                ));
                lines.push(Line::from(vec![
                    Span::styled("> ", Style::new().fg(t.accent)),
                    Span::styled(c.typed.clone(), t.text()),
                    Span::styled("█", Style::new().fg(t.accent)),
                ]));
                lines.push(Line::raw(""));
                if c.matches() {
                    lines.push(Line::styled(
                        strings::CONFIRM_READY,
                        Style::new().fg(t.error).add_modifier(Modifier::BOLD),
                    ));
                } else {
                    lines.push(Line::styled(strings::CONFIRM_DISABLED, t.dimmed()));
                }
                sanitize_owned(c.title.clone())
            }
            Dialog::Plan(plan) => {
                lines.push(Line::styled(strings::RESET_DRY_RUN, t.text()));
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "{:<16} {:<18} {:>9} {:>14} {:>10}",
                        "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"
                    ),
                    t.strong(),
                ));
                // A plan taller than the screen shows the rows that fit and
                // counts the rest, so the keys line is always there. Around the
                // rows: the lines so far, then a blank and the keys; outside,
                // the borders and the margin the popup keeps.
                let around = lines.len() + 2;
                let room = usize::from(area.height.saturating_sub(2 + 2)).saturating_sub(around);
                let shown = if plan.rows.len() > room {
                    room.saturating_sub(1)
                } else {
                    plan.rows.len()
                };
                for r in &plan.rows[..shown] {
                    lines.push(Line::styled(
                        format!(
                            "{:<16} {:<18} {:>9} {:>14} {:>10}",
                            clip(&sanitize(&plan.group), 16),
                            clip(&r.topic, 18),
                            r.partition,
                            r.current_offset
                                .map_or_else(|| "-".to_string(), |o| o.to_string()),
                            r.new_offset
                        ),
                        t.text(),
                    ));
                }
                if shown < plan.rows.len() {
                    lines.push(Line::styled(
                        strings::reset_rows_not_shown(plan.rows.len() - shown, plan.rows.len()),
                        t.dimmed(),
                    ));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled(strings::RESET_CONFIRM_KEYS, t.dimmed()));
                strings::reset_title(&sanitize(&plan.group))
            }
        };
        let width = area.width.saturating_sub(4).min(84);
        let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
        let popup = centered(area, width, height);
        frame.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(Style::new().fg(t.warn))
            .title(Span::styled(title, t.strong()));
        // The plan is a table: cut, never wrapped, so its columns stay aligned.
        let para = Paragraph::new(lines).block(block);
        let para = match self {
            Dialog::Typed(_) => para.wrap(Wrap { trim: false }),
            Dialog::Plan(_) => para,
        };
        frame.render_widget(para, popup);
    }
}

/// Sends an admin request to the worker; a mutation only when the brokers
/// have admin APIs (else the toast says so).
pub fn send(cx: &mut Cx<'_>, req: AdminRequest) {
    if req.mutation().is_some() && !cx.admin_apis() {
        return;
    }
    cx.command(Command::Admin(Box::new(req)));
}

/// Opens the type-the-name dialog for a mutation, after the gate (and only
/// when the brokers have admin APIs).
pub fn ask(cx: &mut Cx<'_>, name: &str, title: String, lines: Vec<String>, request: AdminRequest) {
    if let Some(a) = request.mutation()
        && !cx.gate(a)
    {
        return;
    }
    if !cx.admin_apis() {
        return;
    }
    cx.effect(super::panes::Effect::Dialog(Dialog::Typed(TypedConfirm {
        title: format!(" {title} "),
        lines,
        expected: name.to_string(),
        typed: String::new(),
        request,
    })));
}
