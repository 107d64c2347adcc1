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
use crate::tui::keymap::Mode;
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
        // `--unmask`: records are shown as read, without the data policies.
        if self.settings.unmasked {
            row.push(Field::new(
                HEADER_ESSENTIAL,
                vec![Span::styled(
                    strings::UNMASKED_BADGE,
                    Style::new()
                        .bg(t.error)
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

    /// The tab line: every tab as `N Title` when they fit; else the tab on
    /// screen whole and the others by their number key alone; narrower
    /// still, a window around the tab on screen with `…` for those left
    /// out. The tab on screen is always shown.
    pub(super) fn render_tabs(&self, frame: &mut Frame<'_>, area: Rect) {
        self.tabs_area.set(area);
        let t = &self.theme;
        let mut spans = Vec::new();
        let mut x = 0u16;
        for seg in self.tab_layout(area.width) {
            if seg.x > x {
                spans.push(Span::raw(" ".repeat(usize::from(seg.x - x))));
            }
            let style = match seg.tab {
                Some(tab) if tab == self.tab => Style::new()
                    .fg(t.bar)
                    .bg(t.accent)
                    .add_modifier(Modifier::BOLD),
                _ => t.dimmed(),
            };
            x = seg.x + seg.width;
            spans.push(Span::styled(seg.text, style));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    /// Each tab's labels: whole (` 1 Streams `) and short (` 1 `), from the
    /// key bound to it (a tab without a key keeps a cut title).
    fn tab_labels(&self) -> Vec<(Tab, String, String)> {
        TABS.iter()
            .map(|tab| {
                let title = self.panes.get(*tab).title();
                match self.keymap.key_for(Mode::Global, tab.action()) {
                    Some(k) => (*tab, format!(" {k} {title} "), format!(" {k} ")),
                    None => (
                        *tab,
                        format!(" {title} "),
                        format!(" {} ", crate::tui::fit::cut(title, TAB_SHORT_TITLE)),
                    ),
                }
            })
            .collect()
    }

    /// Where each tab label (and `…` for tabs left out) goes on a tab line
    /// `width` cells wide.
    pub(super) fn tab_layout(&self, width: u16) -> Vec<TabSegment> {
        use crate::tui::fit::width as cells;
        let labels = self.tab_labels();
        let selected = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
        let total = |v: &[String]| {
            v.iter()
                .map(|l| cells(l) + 1)
                .sum::<usize>()
                .saturating_sub(1)
        };
        let full: Vec<String> = labels.iter().map(|(_, f, _)| f.clone()).collect();
        let chosen = if total(&full) <= usize::from(width) {
            full
        } else {
            // The tab on screen whole, the others by their key; then its
            // neighbours whole again, nearest first, while they fit.
            let mut chosen: Vec<String> = labels
                .iter()
                .enumerate()
                .map(|(i, (_, f, s))| if i == selected { f.clone() } else { s.clone() })
                .collect();
            let near = (1..labels.len()).flat_map(|d| [selected + d, selected.wrapping_sub(d)]);
            for i in near.filter(|i| *i < labels.len()) {
                let short = std::mem::replace(&mut chosen[i], labels[i].1.clone());
                if total(&chosen) > usize::from(width) {
                    chosen[i] = short;
                    break;
                }
            }
            chosen
        };
        // The window of labels shown: all of them when they fit, else grown
        // from the selected one, right first, while it and an `…` for each
        // side left out fit.
        let w = usize::from(width);
        let (mut lo, mut hi) = (selected, selected + 1);
        let fits = |lo: usize, hi: usize| {
            let marks = usize::from(lo > 0) * 2 + usize::from(hi < chosen.len()) * 2;
            total(&chosen[lo..hi]) + marks <= w
        };
        loop {
            if hi < chosen.len() && fits(lo, hi + 1) {
                hi += 1;
            } else if lo > 0 && fits(lo - 1, hi) {
                lo -= 1;
            } else {
                break;
            }
        }
        let mut out = Vec::new();
        let mut x = 0u16;
        let mut push = |text: String, tab: Option<Tab>, out: &mut Vec<TabSegment>| {
            let n = u16::try_from(cells(&text)).unwrap_or(u16::MAX);
            out.push(TabSegment {
                x,
                width: n,
                text,
                tab,
            });
            x = x.saturating_add(n).saturating_add(1);
        };
        if lo > 0 {
            push("…".to_string(), None, &mut out);
        }
        for (label, (tab, _, _)) in chosen[lo..hi].iter().zip(&labels[lo..hi]) {
            push(label.clone(), Some(*tab), &mut out);
        }
        if hi < chosen.len() {
            push("…".to_string(), None, &mut out);
        }
        out
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

/// Cells of a title kept in a short tab label when the tab has no key.
const TAB_SHORT_TITLE: usize = 2;

/// A tab label (or an `…` for tabs left out) on the tab line.
#[derive(Debug, Clone)]
pub(super) struct TabSegment {
    x: u16,
    width: u16,
    text: String,
    tab: Option<Tab>,
}

impl App {
    /// The tab under column `x` of the tab line, as last drawn.
    pub(super) fn tab_at(&self, x: u16) -> Option<Tab> {
        let area = self.tabs_area.get();
        self.tab_layout(area.width)
            .into_iter()
            .find(|s| x >= s.x && x < s.x + s.width)
            .and_then(|s| s.tab)
    }
}
