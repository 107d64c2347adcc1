//! The Trace view: every event sharing one correlation id, across every topic the
//! console has read, as a tree of cause → effects with the time between hops,
//! where each was read, and dead-lettered branches marked. Opened from a record
//! in Streams (list or detail); the lines are built when it opens and once a
//! second while it is open, never while drawing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::View;

/// Lines a trace keeps at most: a correlation id shared by thousands of events
/// (a producer reusing one) still opens at once.
const MAX_LINES: usize = 2_000;
use crate::flows::{FlowGraph, TraceNode};
use crate::tui::strings;
use crate::tui::theme::Theme;

/// The open trace.
#[derive(Debug, Clone)]
pub struct TraceState {
    /// The correlation id traced.
    pub correlation: String,
    /// The event the trace was opened from (marked in the tree).
    pub focus: Option<String>,
    /// Events in the tree.
    pub events: usize,
    /// Dead-lettered events in the tree.
    pub dead: usize,
    /// What to draw, top to bottom.
    pub lines: Vec<Line<'static>>,
    /// First line shown.
    pub scroll: usize,
}

impl TraceState {
    /// The trace of `correlation` as the graph knows it now.
    pub fn open(
        graph: &FlowGraph,
        correlation: &str,
        focus: Option<String>,
        theme: &Theme,
    ) -> Self {
        let mut s = Self {
            correlation: correlation.to_string(),
            focus,
            events: 0,
            dead: 0,
            lines: Vec::new(),
            scroll: 0,
        };
        s.rebuild(graph, theme);
        s
    }

    /// Rebuilds the lines (new events of the same correlation, a theme change).
    pub fn rebuild(&mut self, graph: &FlowGraph, theme: &Theme) {
        let roots = graph.trace(&self.correlation);
        let mut lines = Vec::new();
        let (mut events, mut dead) = (0, 0);
        for r in &roots {
            self.walk(r, "", true, true, theme, &mut lines, &mut events, &mut dead);
        }
        self.events = events;
        self.dead = dead;
        self.lines = lines;
        self.scroll = self.scroll.min(self.lines.len().saturating_sub(1));
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        n: &TraceNode,
        prefix: &str,
        last: bool,
        root: bool,
        theme: &Theme,
        out: &mut Vec<Line<'static>>,
        events: &mut usize,
        dead: &mut usize,
    ) {
        *events += 1;
        if out.len() >= MAX_LINES {
            if n.dead.is_some() {
                *dead += 1;
            }
            for (i, c) in n.children.iter().enumerate() {
                let last = i + 1 == n.children.len();
                self.walk(c, prefix, last, false, theme, out, events, dead);
            }
            return;
        }
        let branch = match (root, last) {
            (true, _) => "",
            (false, true) => "└─ ",
            (false, false) => "├─ ",
        };
        let ev = &n.event;
        let mut spans = vec![
            Span::styled(format!("{prefix}{branch}"), theme.dimmed()),
            Span::styled(
                ev.context.clone(),
                Style::new()
                    .fg(theme.context_color(&ev.context))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" {}", ev.event_type), theme.text()),
        ];
        if let Some(ms) = n.since_cause_ms {
            spans.push(Span::styled(
                format!("  +{ms} ms"),
                Style::new().fg(theme.accent),
            ));
        }
        if let Some(d) = &n.dead {
            *dead += 1;
            spans.push(Span::styled(
                format!("  {}", d.label()),
                Style::new().fg(theme.error).add_modifier(Modifier::BOLD),
            ));
        }
        if self.focus.as_deref() == Some(ev.event_id.as_str()) {
            spans.push(Span::styled(
                format!("  {}", strings::TRACE_FOCUS),
                Style::new().fg(theme.accent).add_modifier(Modifier::BOLD),
            ));
        }
        if let Some((topic, p, o)) = &ev.coordinates {
            spans.push(Span::styled(format!("  {topic} {p}@{o}"), theme.dimmed()));
        }
        out.push(Line::from(spans));
        let child_prefix = match (root, last) {
            (true, _) => prefix.to_string(),
            (false, true) => format!("{prefix}   "),
            (false, false) => format!("{prefix}│  "),
        };
        for (i, c) in n.children.iter().enumerate() {
            let last = i + 1 == n.children.len();
            self.walk(c, &child_prefix, last, false, theme, out, events, dead);
        }
    }

    /// Scrolls by `delta` lines.
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.lines.len().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }

    /// Draws the trace.
    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let theme = view.theme;
        let title = format!(
            " {} {} · {} events · {} dead-lettered ",
            strings::TRACE_TITLE,
            self.correlation,
            self.events,
            self.dead
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(Style::new().fg(theme.accent))
            .title(Span::styled(title, theme.strong()))
            .title_bottom(Span::styled(strings::TRACE_FOOTER, theme.dimmed()));
        let mut lines: Vec<Line<'_>> = if self.lines.is_empty() {
            vec![Line::styled(strings::TRACE_EMPTY, theme.dimmed())]
        } else {
            self.lines
                .iter()
                .skip(self.scroll)
                .take(usize::from(area.height))
                .cloned()
                .collect()
        };
        if self.events > self.lines.len() && !self.lines.is_empty() {
            lines.push(Line::styled(
                strings::trace_more(self.events - self.lines.len()),
                theme.dimmed(),
            ));
        }
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::Observed;

    fn ev(id: String, cause: Option<&str>, t: i64) -> Observed {
        Observed {
            event_id: id,
            context: "debate".into(),
            event_type: "DecisionMade".into(),
            correlation_id: Some("hot".into()),
            causation_id: cause.map(str::to_string),
            time_ms: t,
            coordinates: None,
        }
    }

    #[test]
    fn a_huge_trace_keeps_a_bounded_number_of_lines_but_counts_every_event() {
        let mut g = FlowGraph::default();
        g.observe(ev("root".into(), None, 0));
        for i in 0..3_000 {
            g.observe(ev(format!("e{i}"), Some("root"), i));
        }
        let t = TraceState::open(&g, "hot", None, &Theme::dark());
        assert_eq!(t.lines.len(), MAX_LINES);
        assert_eq!(t.events, 3_001);
    }
}
