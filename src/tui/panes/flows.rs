//! The Flows pane: the causation graph between bounded contexts, fed by every
//! record the console reads. Contexts are boxes at fixed places (the five of
//! DESIGN.md first, any other after them); an observed edge A → B is a line with
//! an arrow and its count; a table under the graph lists every edge with its
//! event types, count, rate and dead letters. Enter on an edge filters Streams
//! to it.
//!
//! The graph is updated per record ([`FlowsState::observe`]); what the screen
//! shows (rows, node counts) is rebuilt by [`FlowsState::refresh`] once per
//! record batch and once a second, so `render` only reads.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::{Cx, Effect, Pane, View};
use crate::domain::{Glance, TopicMap};
use crate::flows::{DeadMark, FlowGraph, Observed, SeenOffsets};
use crate::kafka::ConsumedRecord;
use crate::tui::action::Action;
use crate::tui::fit::{self, Col};
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::TableCursor;

/// The contexts of DESIGN.md, in the order the layout places them.
pub const KNOWN_CONTEXTS: [&str; 5] = [
    "debate",
    "implementation",
    "testing",
    "performance",
    "evolution",
];

/// Grid slots (column, row) of [`KNOWN_CONTEXTS`]: the four flows of DESIGN.md
/// become straight lines (debate → implementation along the top, testing →
/// performance → evolution along the bottom, evolution → implementation up).
const KNOWN_SLOTS: [(u16, u16); 5] = [(0, 0), (2, 0), (0, 1), (1, 1), (2, 1)];
/// The edge table: route, event types, count, rate, dead letters (numbers
/// whole or dropped; the types take what is left).
const EDGE_COLUMNS: [Col; 5] = [
    Col::text(0, 10),
    Col::text(4, 6).grow(),
    Col::whole(1),
    Col::whole(3),
    Col::whole(2),
];
/// Columns of the node grid.
const GRID_COLUMNS: u16 = 3;
/// Height of a node box.
const NODE_HEIGHT: u16 = 3;
/// Widest node box.
const NODE_MAX_WIDTH: u16 = 24;
/// Event-type pairs named in an edge row before "+N more".
const TYPES_SHOWN: usize = 2;

/// One edge as the table shows it, built by [`FlowsState::refresh`].
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeRow {
    /// Cause context.
    pub from: String,
    /// Effect context.
    pub to: String,
    /// `Cause → Effect` type pairs, most frequent first.
    pub types: String,
    /// The most frequent effect type (what Enter filters on).
    pub effect_type: String,
    /// Effects observed.
    pub count: u64,
    /// Effects per second over the last ten seconds.
    pub rate: f64,
    /// Dead letters on this edge.
    pub dead_letters: u64,
}

/// A context box: name, events seen, grid slot.
#[derive(Debug, Clone, PartialEq)]
struct NodeView {
    name: String,
    count: u64,
    slot: (u16, u16),
}

/// The Flows pane's state.
#[derive(Debug)]
pub struct FlowsState {
    graph: FlowGraph,
    topics: TopicMap,
    rows: Vec<EdgeRow>,
    nodes: Vec<NodeView>,
    cursor: TableCursor,
    changed: bool,
    observed: u64,
    dead_seen: u64,
    /// Records already fed, so a re-read does not count them again.
    seen: SeenOffsets,
    clock: Option<i64>,
}

impl FlowsState {
    /// An empty graph; `topics` says which topics are dead-letter queues.
    pub fn new(topics: TopicMap) -> Self {
        let mut s = Self {
            graph: FlowGraph::default(),
            topics,
            rows: Vec::new(),
            nodes: Vec::new(),
            cursor: TableCursor::default(),
            changed: true,
            observed: 0,
            dead_seen: 0,
            seen: SeenOffsets::default(),
            clock: None,
        };
        s.refresh(0);
        s
    }

    /// Feeds one decoded record: an event is observed; a dead letter (a record
    /// of a DLQ topic, carrying its original) marks that event dead too. Runs
    /// per record: no more work than building the [`Observed`].
    pub fn observe(&mut self, rec: &ConsumedRecord, glance: &Glance) {
        let Some(ev) = Observed::from_glance(rec, glance) else {
            return;
        };
        // A record is identified by where it sits: read again (`b`, a seek back),
        // it is the same record and counts once.
        if !self.seen.insert(&rec.topic, rec.partition, rec.offset) {
            return;
        }
        if self.topics.is_dlq(&rec.topic) {
            let dl = crate::dlq::decode(&rec.headers);
            let error = match (dl.error_kind, dl.error_message) {
                (Some(k), Some(m)) if !k.is_empty() => Some(format!("{k}: {m}")),
                (_, Some(m)) => Some(m),
                (k, None) => k,
            };
            self.graph.mark_dead(
                &ev.event_id,
                DeadMark {
                    handler: dl.handler,
                    error,
                },
            );
            self.dead_seen += 1;
        } else {
            self.observed += 1;
        }
        self.graph.observe(ev);
        self.changed = true;
    }

    /// Events counted (the title's figure).
    pub fn events_seen(&self) -> u64 {
        self.observed
    }

    /// Dead letters counted (the title's figure).
    pub fn dead_letters_seen(&self) -> u64 {
        self.dead_seen
    }

    /// The graph (for the trace view and tests).
    pub fn graph(&self) -> &FlowGraph {
        &self.graph
    }

    /// Uses this time (ms since the epoch) instead of the wall clock for rates
    /// (tests, so snapshots do not depend on when they run).
    pub fn freeze_clock(&mut self, now_ms: i64) {
        self.clock = Some(now_ms);
        self.changed = true;
    }

    /// Rebuilds the rows and nodes when the graph changed, or always when
    /// `force` (rates decay with time even when nothing arrives).
    pub fn refresh_now(&mut self, force: bool) {
        if !force && !self.changed {
            return;
        }
        let now = self
            .clock
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        self.refresh(now);
    }

    fn refresh(&mut self, now_ms: i64) {
        self.changed = false;
        self.rows = self
            .graph
            .edges()
            .iter()
            .map(|((from, to), stats)| {
                let mut pairs: Vec<(&(String, String), &u64)> = stats.event_types.iter().collect();
                pairs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
                let mut types: Vec<String> = pairs
                    .iter()
                    .take(TYPES_SHOWN)
                    .map(|((c, e), _)| format!("{c} → {e}"))
                    .collect();
                if pairs.len() > TYPES_SHOWN {
                    types.push(format!("+{} more", pairs.len() - TYPES_SHOWN));
                }
                EdgeRow {
                    from: from.clone(),
                    to: to.clone(),
                    types: types.join(", "),
                    effect_type: pairs
                        .first()
                        .map(|((_, e), _)| e.clone())
                        .unwrap_or_default(),
                    count: stats.count,
                    rate: stats.rate(now_ms),
                    dead_letters: stats.dead_letters,
                }
            })
            .collect();
        let seen = self.graph.nodes();
        let mut nodes: Vec<NodeView> = KNOWN_CONTEXTS
            .iter()
            .zip(KNOWN_SLOTS)
            .map(|(name, slot)| NodeView {
                name: name.to_string(),
                count: seen.get(*name).copied().unwrap_or(0),
                slot,
            })
            .collect();
        let first_free_row = KNOWN_SLOTS.iter().map(|s| s.1).max().unwrap_or(0) + 1;
        let unknown = seen
            .iter()
            .filter(|(n, _)| !KNOWN_CONTEXTS.contains(&n.as_str()));
        for (i, (name, count)) in unknown.enumerate() {
            let i = i as u16;
            nodes.push(NodeView {
                name: name.clone(),
                count: *count,
                slot: (i % GRID_COLUMNS, first_free_row + i / GRID_COLUMNS),
            });
        }
        self.nodes = nodes;
        let i = self.cursor.selected();
        self.cursor.select(i, self.rows.len());
    }

    /// The edges as the table lists them.
    pub fn rows(&self) -> &[EdgeRow] {
        &self.rows
    }

    /// The selected edge, if there is one.
    pub fn selected(&self) -> Option<&EdgeRow> {
        self.rows.get(self.cursor.selected())
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        self.cursor.move_by(delta, self.rows.len());
    }

    /// The Streams filter showing the selected edge's effects.
    pub fn selected_filter(&self) -> Option<String> {
        let row = self.selected()?;
        let mut f = format!("ctx:{}", row.to);
        if !row.effect_type.is_empty() {
            f.push_str(&format!(" type:{}", row.effect_type));
        }
        Some(f)
    }

    fn grid_rows(&self) -> u16 {
        self.nodes.iter().map(|n| n.slot.1).max().unwrap_or(0) + 1
    }

    fn render_graph(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        let rows = self.grid_rows();
        if area.width < 12 || area.height < NODE_HEIGHT {
            return;
        }
        let col_w = area.width / GRID_COLUMNS;
        let node_w = NODE_MAX_WIDTH.min(col_w.saturating_sub(4)).max(8);
        let free = area.height.saturating_sub(rows * NODE_HEIGHT);
        let gap = if rows > 1 {
            (free / (rows - 1)).clamp(1, 3)
        } else {
            0
        };
        let used = rows * NODE_HEIGHT + rows.saturating_sub(1) * gap;
        let top = area.y + area.height.saturating_sub(used) / 2;
        let rect_of = |slot: (u16, u16)| -> Option<Rect> {
            let y = top + slot.1 * (NODE_HEIGHT + gap);
            if y + NODE_HEIGHT > area.y + area.height {
                return None;
            }
            let cx = area.x + col_w * slot.0 + col_w / 2;
            Some(Rect {
                x: cx.saturating_sub(node_w / 2),
                y,
                width: node_w,
                height: NODE_HEIGHT,
            })
        };
        let placed: Vec<(&NodeView, Rect)> = self
            .nodes
            .iter()
            .filter_map(|n| rect_of(n.slot).map(|r| (n, r)))
            .collect();
        let rect_for = |name: &str| placed.iter().find(|(n, _)| n.name == name).map(|(_, r)| *r);
        let boxes: Vec<Rect> = placed.iter().map(|(_, r)| *r).collect();
        // Edges first, the selected one last so it is drawn on top.
        let sel = self.cursor.selected();
        let others = (0..self.rows.len()).filter(|i| *i != sel);
        let selected = (sel < self.rows.len()).then_some(sel);
        for i in others.chain(selected) {
            let row = &self.rows[i];
            let (Some(a), Some(b)) = (rect_for(&row.from), rect_for(&row.to)) else {
                continue;
            };
            let style = if i == sel {
                Style::new().fg(theme.accent).add_modifier(Modifier::BOLD)
            } else {
                theme.dimmed()
            };
            draw_edge(buf, area, a, b, &boxes, row, style, theme);
        }
        for (n, r) in &placed {
            let color = theme.context_color(&n.name);
            let style = if n.count == 0 {
                theme.dimmed()
            } else {
                Style::new().fg(color)
            };
            let block = Block::default().borders(Borders::ALL).border_style(style);
            let inner = block.inner(*r);
            block.render(*r, buf);
            // The count stays whole; a name too long for the box is cut.
            let count = format!(" {}", n.count);
            let room = usize::from(inner.width).saturating_sub(fit::width(&count));
            let label = Line::from(vec![
                Span::styled(
                    fit::cut(&n.name, room),
                    Style::new().fg(color).add_modifier(Modifier::BOLD),
                ),
                Span::styled(count, theme.dimmed()),
            ]);
            Paragraph::new(label).centered().render(inner, buf);
        }
    }

    fn render_table(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        if area.height == 0 {
            return;
        }
        let w = usize::from(area.width);
        let title_style = theme.dimmed().add_modifier(Modifier::BOLD);
        let visible = usize::from(area.height.saturating_sub(1));
        let offset = self.cursor.window(area, 1, self.rows.len());
        let cells: Vec<[String; 5]> = self
            .rows
            .iter()
            .skip(offset)
            .take(visible)
            .map(|row| {
                [
                    format!(" {} → {}", row.from, row.to),
                    row.types.clone(),
                    row.count.to_string(),
                    format!("{:.1}/s", row.rate),
                    if row.dead_letters > 0 {
                        format!("✗ {}", row.dead_letters)
                    } else {
                        "0".to_string()
                    },
                ]
            })
            .collect();
        let titles = strings::FLOWS_COLUMNS;
        let title_w: Vec<usize> = titles.iter().map(|t| fit::width(t)).collect();
        let cell_w =
            fit::content_widths(&[""; 5], cells.iter().map(|r| r.iter().map(String::as_str)));
        let widths = fit::fit(&EDGE_COLUMNS, &title_w, &cell_w, area.width, 1);
        let mut cols = [(0usize, 0usize); 5];
        let mut x = 0usize;
        for (c, wd) in widths.iter().enumerate() {
            if let Some(wd) = wd {
                cols[c] = (x, usize::from(*wd));
                x += usize::from(*wd) + 1;
            }
        }
        let put = |buf: &mut Buffer, y: u16, c: usize, text: &str, style: Style, right: bool| {
            let (x, width) = cols[c];
            if width == 0 || x >= w {
                return;
            }
            let width = width.min(w - x);
            let text = fit::cut(text, width);
            let pad = if right { width - fit::width(&text) } else { 0 };
            buf.set_string(area.x + (x + pad) as u16, y, text, style);
        };
        for (c, t) in strings::FLOWS_COLUMNS.iter().enumerate() {
            put(buf, area.y, c, t, title_style, c >= 2);
        }
        if self.rows.is_empty() {
            if area.height > 1 {
                buf.set_stringn(area.x, area.y + 1, strings::FLOWS_EMPTY, w, theme.dimmed());
            }
            return;
        }
        for (k, row) in self.rows.iter().enumerate().skip(offset).take(visible) {
            let y = area.y + 1 + (k - offset) as u16;
            let selected = k == self.cursor.selected();
            let base = if selected {
                Style::new().bg(theme.selection).fg(theme.fg)
            } else {
                theme.text()
            };
            if selected {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..area
                    },
                    base,
                );
            }
            let marker = if selected { "▸" } else { " " };
            let route = format!("{marker}{} → {}", row.from, row.to);
            let route = route.as_str();
            put(buf, y, 0, route, base.add_modifier(Modifier::BOLD), false);
            put(buf, y, 1, &row.types, base, false);
            put(buf, y, 2, &row.count.to_string(), base, true);
            put(buf, y, 3, &format!("{:.1}/s", row.rate), base, true);
            let (dead, style) = if row.dead_letters > 0 {
                (format!("✗ {}", row.dead_letters), base.fg(theme.error))
            } else {
                ("0".to_string(), base)
            };
            put(buf, y, 4, &dead, style, true);
        }
    }
}

/// Draws a straight line of box-drawing characters from box `a` to box `b`
/// (cells inside any box are skipped), an arrowhead where it enters `b`, and
/// the edge's count (and dead letters) at the middle of the visible part.
#[allow(clippy::too_many_arguments)]
fn draw_edge(
    buf: &mut Buffer,
    area: Rect,
    a: Rect,
    b: Rect,
    boxes: &[Rect],
    row: &EdgeRow,
    style: Style,
    theme: &Theme,
) {
    let center = |r: Rect| (i32::from(r.x + r.width / 2), i32::from(r.y + r.height / 2));
    let ((x0, y0), (x1, y1)) = (center(a), center(b));
    let inside = |r: &Rect, x: i32, y: i32| {
        x >= i32::from(r.x)
            && x < i32::from(r.x + r.width)
            && y >= i32::from(r.y)
            && y < i32::from(r.y + r.height)
    };
    // Bresenham over cells, remembering each step's direction.
    let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
    let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
    let (mut x, mut y, mut err) = (x0, y0, dx + dy);
    let mut cells: Vec<(i32, i32, i32, i32)> = Vec::new();
    while (x, y) != (x1, y1) {
        let e2 = 2 * err;
        let (mut mx, mut my) = (0, 0);
        if e2 >= dy {
            err += dy;
            x += sx;
            mx = sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
            my = sy;
        }
        if inside(&b, x, y) {
            break;
        }
        if boxes.iter().any(|r| inside(r, x, y)) {
            continue;
        }
        cells.push((x, y, mx, my));
    }
    let in_area = |x: i32, y: i32| inside(&area, x, y);
    let vertical = dx < -dy;
    for &(x, y, mx, my) in &cells {
        if in_area(x, y) {
            let symbol = match (mx, my) {
                (0, _) => "│",
                (_, 0) => "─",
                (a, b) if a == b => "╲",
                _ => "╱",
            };
            buf[(x as u16, y as u16)]
                .set_symbol(symbol)
                .set_style(style);
        }
    }
    let n = cells.len();
    if n >= 2 {
        let (mx, my, _, _) = cells[n / 2];
        // Spaced when the line is long enough, tight when not, left to the
        // table when even that does not fit before the arrowhead.
        let dead = (row.dead_letters > 0).then(|| format!("✗{}", row.dead_letters));
        let tight = match &dead {
            Some(d) => format!("{} {d}", row.count),
            None => row.count.to_string(),
        };
        let spaced = format!(" {tight} ");
        let room = if vertical { usize::MAX } else { n - 1 };
        let text = if spaced.chars().count() + 2 <= room {
            Some(spaced)
        } else if tight.chars().count() < room {
            Some(tight)
        } else {
            None
        };
        if let Some(text) = text {
            let width = text.chars().count() as i32;
            let lx = if vertical { mx + 1 } else { mx - width / 2 };
            if in_area(lx, my) {
                let mut spans = vec![Span::styled(text.clone(), style)];
                if let Some(d) = &dead
                    && let Some(cut) = text.find(d.as_str())
                {
                    // The dead-letter count in the error colour.
                    spans = vec![
                        Span::styled(text[..cut].to_string(), style),
                        Span::styled(d.clone(), Style::new().fg(theme.error)),
                        Span::styled(text[cut + d.len()..].to_string(), style),
                    ];
                }
                let max = (area.x + area.width).saturating_sub(lx as u16);
                buf.set_line(lx as u16, my as u16, &Line::from(spans), max);
            }
        }
    }
    // The arrowhead last, so no label covers it.
    if let Some(&(x, y, _, _)) = cells.last()
        && in_area(x, y)
    {
        let symbol = match (vertical, y1 > y0, x1 > x0) {
            (true, true, _) => "▼",
            (true, false, _) => "▲",
            (false, _, true) => "▶",
            (false, _, false) => "◀",
        };
        buf[(x as u16, y as u16)]
            .set_symbol(symbol)
            .set_style(style);
    }
}

impl Pane for FlowsState {
    fn title(&self) -> &'static str {
        strings::TAB_FLOWS
    }

    fn mode(&self) -> Mode {
        Mode::Flows
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        match action {
            a if self.cursor.navigate(a, self.rows.len()) => {}
            Action::ShowInStreams => {
                let (Some(filter), Some(row)) = (self.selected_filter(), self.selected()) else {
                    return cx.info(strings::FLOWS_NO_EDGE);
                };
                let note = strings::flows_show_in_streams(&row.from, &row.to, &filter);
                cx.effect(Effect::ShowInStreams { filter, note });
            }
            _ => {}
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.move_by(rows);
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let theme = view.theme;
        let graph_h = (self.grid_rows() * (NODE_HEIGHT + 2) + 1).min(area.height / 2 + 2);
        let [graph_area, table_area] =
            Layout::vertical([Constraint::Length(graph_h), Constraint::Min(2)]).areas(area);
        let title = format!(
            " {} · {} events · {} edges · {} dead-lettered ",
            strings::FLOWS_TITLE,
            self.observed,
            self.rows.len(),
            self.dead_seen
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.dimmed())
            .title(Span::styled(fit::title(&title, area.width), theme.strong()));
        let inner = block.inner(graph_area);
        frame.render_widget(block, graph_area);
        self.render_graph(frame.buffer_mut(), inner, theme);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.dimmed())
            .title(Span::styled(strings::FLOWS_EDGES_TITLE, theme.strong()));
        let inner = block.inner(table_area);
        frame.render_widget(block, table_area);
        self.render_table(frame.buffer_mut(), inner, theme);
    }
}
