//! The Cluster pane: the cluster's health as `eventdeck cluster` reads it
//! ([`crate::kafka::cluster::cluster_health`]): one health line, the cluster
//! id and controller, the brokers with rack and endpoint (and those seen
//! earlier in the session, or named in a replica set, that are down), the
//! partitions that are offline, under-replicated or under min ISR, and the
//! leader skew per topic. Reports come from the cluster worker; the sections
//! are built when one arrives, and `render` only fits them to the width.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Cx, Pane, View};
use crate::domain::sanitize_owned;
use crate::kafka::cluster::{ClusterHealth, PartitionIssue};
use crate::kafka::ffi::Node;
use crate::tui::action::Action;
use crate::tui::event::{ClusterUpdate, Command, WorkerMsg};
use crate::tui::fit::{Col, Kind, content_widths, cut, fit, width};
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::{Note, frame_block, step, with_note};

/// Rows a section lists before it says how many more there are (the whole
/// list is `eventdeck cluster --json`): a cluster with thousands of
/// under-replicated partitions is one screen, not thousands of lines.
const SECTION_ROWS: usize = 50;
/// Cells each section's rows are indented by.
const INDENT: u16 = 2;

/// The broker table: id, rack, endpoint, state.
static BROKER_COLS: [Col; 4] = [
    Col::whole(0),
    Col::text(3, 4),
    // An address: whole or not at all.
    Col::whole(1),
    Col::whole(0),
];
/// A partition table: topic, partition, leader, replicas, ISR (and min ISR).
static PARTITION_COLS: [Col; 6] = [
    Col::text(0, 8),
    Col::whole(0),
    Col::whole(1),
    Col::whole(2),
    Col::whole(1),
    Col::whole(1),
];
/// The skew table: topic, partitions not on their preferred leader, leaders.
static SKEW_COLS: [Col; 3] = [Col::text(0, 8), Col::whole(0), Col::whole(2)];

/// What the body shows, built when a report arrives.
#[derive(Debug, Clone)]
enum Block {
    /// A line as it is.
    Text(Line<'static>),
    /// A table fitted to the width when drawn.
    Table {
        titles: Vec<&'static str>,
        cols: &'static [Col],
        rows: Vec<Vec<String>>,
    },
}

/// The Cluster pane's state.
#[derive(Debug)]
pub struct ClusterState {
    every: Duration,
    /// Loading, failed, or ready.
    pub note: Note,
    health: Option<ClusterHealth>,
    at: Option<DateTime<Utc>>,
    /// Every broker seen live in this session, so one that dies is still named.
    seen: BTreeMap<i32, Node>,
    /// Broker ids that are not live now.
    down: Vec<i32>,
    headline: (String, bool),
    blocks: Vec<Block>,
    scroll: usize,
    page: std::cell::Cell<usize>,
}

/// The pane before its first report; `every` is the worker's poll interval.
pub fn pane(every: Duration) -> ClusterState {
    ClusterState {
        every,
        note: Note::Idle,
        health: None,
        at: None,
        seen: BTreeMap::new(),
        down: Vec::new(),
        headline: (String::new(), true),
        blocks: Vec::new(),
        scroll: 0,
        page: std::cell::Cell::new(1),
    }
}

impl ClusterState {
    /// The last report, if any.
    pub fn health(&self) -> Option<&ClusterHealth> {
        self.health.as_ref()
    }

    /// Broker ids seen (or named in a replica set) that are not live now.
    pub fn down(&self) -> &[i32] {
        &self.down
    }

    /// True when there is a report and it shows nothing wrong.
    pub fn healthy(&self) -> bool {
        self.health.is_some() && self.headline.1
    }

    /// A worker report arrived.
    pub fn set(&mut self, update: ClusterUpdate) {
        match update.result {
            Err(e) => self.note = Note::Failed(strings::cluster_failed(&e)),
            Ok(h) => {
                self.note = Note::Ready;
                self.at = Some(update.at);
                self.build(*h);
            }
        }
    }

    fn build(&mut self, h: ClusterHealth) {
        for n in &h.brokers {
            self.seen.insert(n.id, n.clone());
        }
        let live: BTreeSet<i32> = h.brokers.iter().map(|n| n.id).collect();
        let named = h
            .offline
            .iter()
            .chain(&h.under_replicated)
            .flat_map(|p| p.replicas.iter().copied());
        let down: BTreeSet<i32> = self
            .seen
            .keys()
            .copied()
            .chain(named)
            .filter(|id| *id >= 0 && !live.contains(id))
            .collect();
        self.down = down.into_iter().collect();
        let healthy = self.down.is_empty()
            && h.offline.is_empty()
            && h.under_replicated.is_empty()
            && h.under_min_isr.is_empty();
        self.headline = if healthy {
            (strings::CLUSTER_HEALTHY.to_string(), true)
        } else {
            (
                strings::cluster_unhealthy(
                    h.offline.len(),
                    h.under_replicated.len(),
                    h.under_min_isr.len(),
                    self.down.len(),
                ),
                false,
            )
        };
        let mut b = vec![text(String::new())];
        let node = |n: &Node| format!("{} ({}:{})", n.id, n.host, n.port);
        b.push(text(format!(
            "{:<11} {}",
            strings::CLUSTER_ID,
            h.cluster_id.as_deref().unwrap_or(strings::CLUSTER_UNKNOWN)
        )));
        b.push(text(format!(
            "{:<11} {}",
            strings::CLUSTER_CONTROLLER,
            h.controller
                .as_ref()
                .map_or_else(|| strings::CLUSTER_UNKNOWN.to_string(), node)
        )));
        b.push(text(String::new()));
        b.push(heading(strings::CLUSTER_BROKERS));
        let mut brokers: Vec<Vec<String>> = h
            .brokers
            .iter()
            .map(|n| broker_row(n, strings::CLUSTER_BROKER_UP))
            .collect();
        for id in &self.down {
            match self.seen.get(id) {
                Some(n) => brokers.push(broker_row(n, strings::CLUSTER_BROKER_DOWN)),
                None => brokers.push(vec![
                    id.to_string(),
                    "-".into(),
                    "-".into(),
                    strings::CLUSTER_BROKER_DOWN.into(),
                ]),
            }
        }
        brokers.sort_by_key(|r| r[0].parse::<i32>().unwrap_or(i32::MAX));
        b.push(Block::Table {
            titles: strings::CLUSTER_BROKER_COLUMNS.to_vec(),
            cols: &BROKER_COLS,
            rows: brokers,
        });
        partitions(&mut b, strings::CLUSTER_OFFLINE, &h.offline, false);
        partitions(
            &mut b,
            strings::CLUSTER_UNDER_REPLICATED,
            &h.under_replicated,
            false,
        );
        partitions(
            &mut b,
            strings::CLUSTER_UNDER_MIN_ISR,
            &h.under_min_isr,
            true,
        );
        b.push(text(String::new()));
        b.push(heading(strings::CLUSTER_SKEW));
        if h.leader_skew.is_empty() {
            b.push(text(format!("  {}", strings::CLUSTER_NONE)));
        } else {
            let rows = h
                .leader_skew
                .iter()
                .take(SECTION_ROWS)
                .map(|s| {
                    let leaders: Vec<String> =
                        s.leaders.iter().map(|(b, n)| format!("{b}:{n}")).collect();
                    vec![
                        s.topic.clone(),
                        s.not_preferred.to_string(),
                        leaders.join(" "),
                    ]
                })
                .collect();
            b.push(Block::Table {
                titles: strings::CLUSTER_SKEW_COLUMNS.to_vec(),
                cols: &SKEW_COLS,
                rows,
            });
            more(&mut b, h.leader_skew.len());
        }
        self.blocks = b;
        self.health = Some(h);
        self.scroll_by(0);
    }

    fn lines(&self, w: u16, t: &Theme) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Text(l) => out.push(l.clone()),
                Block::Table { titles, cols, rows } => {
                    table_lines(&mut out, titles, cols, rows, w, t);
                }
            }
        }
        out
    }

    fn line_count(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Text(_) => 1,
                Block::Table { rows, .. } => rows.len() + 1,
            })
            .sum()
    }

    fn scroll_by(&mut self, d: isize) {
        let last = self.line_count().saturating_sub(1) as isize;
        self.scroll = (self.scroll as isize).saturating_add(d).clamp(0, last) as usize;
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        // Without admin APIs (the demo's broker) there is no DescribeCluster:
        // the caps say so once, nothing is asked.
        if !cx.settings.caps.admin_apis {
            return;
        }
        if self.note != Note::Ready {
            self.note = Note::Loading;
        }
        cx.command(Command::RefreshCluster);
    }
}

fn text(s: String) -> Block {
    Block::Text(Line::raw(sanitize_owned(s)))
}

fn heading(s: &str) -> Block {
    Block::Text(Line::styled(
        s.to_string(),
        Style::new().add_modifier(Modifier::BOLD),
    ))
}

fn more(b: &mut Vec<Block>, total: usize) {
    if total > SECTION_ROWS {
        b.push(text(format!(
            "  {}",
            strings::cluster_more(total - SECTION_ROWS)
        )));
    }
}

fn broker_row(n: &Node, state: &str) -> Vec<String> {
    vec![
        n.id.to_string(),
        n.rack.clone().unwrap_or_else(|| "-".into()),
        format!("{}:{}", n.host, n.port),
        state.to_string(),
    ]
}

fn ids(v: &[i32]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

fn partitions(b: &mut Vec<Block>, title: &'static str, v: &[PartitionIssue], min_isr: bool) {
    b.push(text(String::new()));
    b.push(heading(title));
    if v.is_empty() {
        b.push(text(format!("  {}", strings::CLUSTER_NONE)));
        return;
    }
    let mut titles = strings::CLUSTER_PARTITION_COLUMNS.to_vec();
    if min_isr {
        titles.push(strings::CLUSTER_MIN_ISR);
    }
    let rows = v
        .iter()
        .take(SECTION_ROWS)
        .map(|p| {
            let mut row = vec![
                p.topic.clone(),
                p.partition.to_string(),
                if p.leader < 0 {
                    "-".into()
                } else {
                    p.leader.to_string()
                },
                ids(&p.replicas),
                ids(&p.isr),
            ];
            if min_isr {
                row.push(p.min_isr.map_or_else(|| "-".into(), |m| m.to_string()));
            }
            row
        })
        .collect();
    let cols: &'static [Col] = if min_isr {
        &PARTITION_COLS
    } else {
        &PARTITION_COLS[..5]
    };
    b.push(Block::Table { titles, cols, rows });
    more(b, v.len());
}

/// A table's header and rows as lines, fitted to `w` cells: numbers whole
/// (right-aligned) or their column dropped, text cut with `…`.
fn table_lines(
    out: &mut Vec<Line<'static>>,
    titles: &[&str],
    cols: &[Col],
    rows: &[Vec<String>],
    w: u16,
    t: &Theme,
) {
    let title_w: Vec<usize> = titles.iter().map(|s| width(s)).collect();
    let cells = content_widths(
        &vec![""; titles.len()],
        rows.iter().map(|r| r.iter().map(String::as_str)),
    );
    let widths = fit(cols, &title_w, &cells, w.saturating_sub(INDENT), 1);
    // A column of numbers reads right-aligned, its title too.
    let numeric = |c: &str| c.starts_with(|ch: char| ch.is_ascii_digit());
    let right: Vec<bool> = (0..cols.len())
        .map(|i| {
            matches!(cols[i].kind, Kind::Whole)
                && rows.iter().any(|r| r.get(i).is_some_and(|c| numeric(c)))
        })
        .collect();
    let layout = Layout {
        widths: &widths,
        right: &right,
    };
    out.push(Line::styled(layout.row(titles), t.strong()));
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        out.push(Line::raw(layout.row(&cells)));
    }
}

/// Column widths (`None`: dropped) and alignments of a fitted table.
struct Layout<'a> {
    widths: &'a [Option<u16>],
    right: &'a [bool],
}

impl Layout<'_> {
    fn row(&self, cells: &[&str]) -> String {
        let mut s = " ".repeat(usize::from(INDENT));
        let mut first = true;
        for ((cell, w), right) in cells.iter().zip(self.widths).zip(self.right) {
            let Some(w) = w else { continue };
            let w = usize::from(*w);
            if !first {
                s.push(' ');
            }
            first = false;
            let c = cut(cell, w);
            let gap = " ".repeat(w.saturating_sub(width(&c)));
            if *right {
                s.push_str(&gap);
                s.push_str(&c);
            } else {
                s.push_str(&c);
                s.push_str(&gap);
            }
        }
        s.trim_end().to_string()
    }
}

impl Pane for ClusterState {
    fn title(&self) -> &'static str {
        strings::TAB_CLUSTER
    }

    fn mode(&self) -> Mode {
        Mode::Cluster
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if let Some(rows) = step(action, self.page.get().max(1)) {
            return self.scroll_by(rows);
        }
        if action == Action::Refresh {
            self.refresh(cx);
        }
    }

    fn apply(&mut self, msg: WorkerMsg, _cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        match msg {
            WorkerMsg::Cluster(update) => {
                self.set(update);
                None
            }
            other => Some(other),
        }
    }

    fn focus(&mut self, cx: &mut Cx<'_>) {
        if self.note == Note::Idle {
            self.refresh(cx);
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.scroll_by(rows);
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let counts = self
            .health
            .as_ref()
            .map(|h| (h.brokers.len(), h.topics, h.partitions));
        let inner = frame_block(frame, area, strings::cluster_title(counts), t);
        let note = if view.caps.admin_apis {
            &self.note
        } else {
            &Note::NoAdmin
        };
        let mut body = with_note(frame, inner, note, t);
        let Some(h) = &self.health else {
            if matches!(self.note, Note::Idle | Note::Loading) && view.caps.admin_apis {
                frame.render_widget(
                    Paragraph::new(strings::CLUSTER_WAITING).style(t.dimmed()),
                    body,
                );
            }
            return;
        };
        let mut top = vec![Line::from(Span::styled(
            self.headline.0.clone(),
            Style::new()
                .fg(if self.headline.1 { t.ok } else { t.error })
                .add_modifier(Modifier::BOLD),
        ))];
        if let Some(at) = self.at {
            top.push(Line::styled(
                strings::cluster_as_of(&at.format("%H:%M:%S").to_string(), self.every.as_secs()),
                t.dimmed(),
            ));
        }
        if let Some(n) = &h.note {
            top.push(Line::styled(
                sanitize_owned(n.clone()),
                Style::new().fg(t.warn),
            ));
        }
        // The health line wraps rather than lose a count at a narrow width.
        let w = usize::from(body.width);
        let rows: usize = top
            .iter()
            .map(|l| l.width().div_ceil(w.max(1)).max(1))
            .sum();
        let n = u16::try_from(rows).unwrap_or(u16::MAX).min(body.height);
        frame.render_widget(
            Paragraph::new(top).wrap(Wrap { trim: false }),
            Rect { height: n, ..body },
        );
        body.y += n;
        body.height -= n;
        self.page.set(usize::from(body.height));
        let lines: Vec<Line<'static>> = self
            .lines(body.width, t)
            .into_iter()
            .skip(self.scroll)
            .take(usize::from(body.height))
            .map(|l| crate::tui::fit::line(l, w))
            .collect();
        frame.render_widget(Paragraph::new(lines), body);
    }
}
