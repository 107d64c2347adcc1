//! The dialogs that guard mutations, drawn over the panes: type-the-name
//! confirmation and the offset-reset plan preview. The app owns the open one;
//! panes ask for it with `Effect::Dialog`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::event::AdminRequest;
use super::fit::cut as clip;
use super::keymap::Mode;
use super::strings;
use super::theme::Theme;
use super::widgets::centered;
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
