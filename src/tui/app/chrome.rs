//! The frame around the panes: the header (what matters most survives a
//! narrow screen), the tab line, the status line (prompt, toast or the
//! cluster's state) and the hint bar, all read from the app's state.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{App, Connection, Prompt};
use crate::tui::action::Action;
use crate::tui::panes::replay::ReplayState;
use crate::tui::strings;
use crate::tui::tabs::{TABS, Tab};

impl App {
    /// The header: what matters most survives a narrow screen. Fields drop
    /// whole, least important first (a count is never cut); the cluster's name
    /// is cut with `…` before a count drops.
    pub(super) fn render_header(&self, frame: &mut Frame<'_>, area: Rect) {
        use crate::tui::fit::{Field, fields};
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
                format!(
                    "{} ev/s · {} read",
                    self.rate, self.panes.streams.total_received
                ),
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

    pub(super) fn render_tabs(&self, frame: &mut Frame<'_>, area: Rect) {
        self.tabs_area.set(area);
        let t = &self.theme;
        let mut spans = Vec::new();
        for (i, tab) in TABS.iter().enumerate() {
            let label = tab_label(i, self.panes.get(*tab).title());
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

    pub(super) fn render_status(&self, frame: &mut Frame<'_>, area: Rect) {
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
                    crate::tui::fit::cut(&toast.text, usize::from(area.width)),
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
                        crate::tui::fit::cut(
                            &strings::cluster_unreachable(&crate::domain::sanitize(e)),
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
    pub(super) fn render_hints(&self, frame: &mut Frame<'_>, area: Rect) {
        use crate::tui::fit::{Field, fields};
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

fn tab_label(i: usize, title: &str) -> String {
    format!(" {} {title} ", i + 1)
}

impl App {
    /// The tab under column `x` of the tab line (labels separated by one space).
    pub(super) fn tab_at(&self, x: u16) -> Option<Tab> {
        let mut start = 0u16;
        for (i, tab) in TABS.iter().enumerate() {
            let w = tab_label(i, self.panes.get(*tab).title()).chars().count() as u16;
            if x >= start && x < start + w {
                return Some(*tab);
            }
            start += w + 1;
        }
        None
    }
}
