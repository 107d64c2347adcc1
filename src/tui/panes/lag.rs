//! The Lag pane: consumer groups with lag in messages and seconds, a Burrow-style
//! status, a trend and the time to drain, sortable by any column; Enter drills
//! into a group's partitions in `kafka-consumer-groups --describe` vocabulary.
//! Reports arrive from the lag worker ([`LagUpdate`]); sorting and formatting
//! happen then, so `render` only draws.

use std::cmp::Ordering;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crossterm::event::MouseEvent;

use super::{Cx, Pane, View};
use crate::domain::{sanitize, sanitize_owned};
use crate::lag::{GroupLag, PartitionLag, Status};
use crate::tui::action::Action;
use crate::tui::event::LagUpdate;
use crate::tui::fit::{Col, Fitted};
use crate::tui::keymap::Mode;
use crate::tui::strings::{self, age, duration};
use crate::tui::theme::Theme;
use crate::tui::widgets::{TableCursor, frame_block, render_table};

/// Trend points drawn per row.
const SPARK_WIDTH: usize = 16;
/// Trend points drawn per row on narrow screens.
const SPARK_NARROW: usize = 8;
/// Below this width the tables use short column titles.
const WIDE: u16 = 110;

/// The group list's columns, in [`SortColumn`] order then the trend: the
/// group, its lag and its status last to go; numbers are never cut.
const GROUP_COLUMNS: [Col; 10] = [
    Col::text(0, 8).grow(),
    // `classic`, `consumer`: a word, whole or not at all; the first to go
    // on a narrow screen (the group's detail names it too).
    Col::whole(9),
    Col::text(5, 5),
    Col::whole(6),
    Col::whole(1),
    Col::whole(4),
    Col::whole(2),
    // A status word (`STALL`): whole or not at all.
    Col::whole(3),
    Col::whole(7),
    Col::whole(8),
];

/// The partition table's columns, as `kafka-consumer-groups --describe`.
const PARTITION_COLUMNS: [Col; 9] = [
    Col::text(0, 8),
    Col::whole(0),
    Col::whole(3),
    Col::whole(2),
    Col::whole(1),
    Col::whole(2),
    Col::text(5, 8).grow(),
    // An address: whole or not at all.
    Col::whole(6),
    Col::text(7, 6),
];

/// A column of the group list, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Group id.
    Group,
    /// Group type (classic, consumer, share).
    Type,
    /// Group state.
    State,
    /// Members.
    Members,
    /// Total lag.
    TotalLag,
    /// Max partition lag.
    MaxLag,
    /// Lag in seconds.
    LagSeconds,
    /// Status.
    Status,
    /// Time to drain.
    Drain,
}

impl SortColumn {
    const ALL: [SortColumn; 9] = [
        SortColumn::Group,
        SortColumn::Type,
        SortColumn::State,
        SortColumn::Members,
        SortColumn::TotalLag,
        SortColumn::MaxLag,
        SortColumn::LagSeconds,
        SortColumn::Status,
        SortColumn::Drain,
    ];

    /// Column title (a shorter one for narrow screens).
    pub fn title(self, wide: bool) -> &'static str {
        if wide {
            strings::LAG_COLUMNS[self as usize]
        } else {
            strings::LAG_COLUMNS_SHORT[self as usize]
        }
    }

    /// Numbers read best largest first; names A to Z.
    fn descending_by_default(self) -> bool {
        !matches!(
            self,
            SortColumn::Group | SortColumn::Type | SortColumn::State
        )
    }

    fn compare(self, a: &GroupLag, b: &GroupLag) -> Ordering {
        // `None` (unknown) sorts below every known value.
        let f = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        };
        match self {
            SortColumn::Group => a.group.cmp(&b.group),
            SortColumn::Type => a.group_type.cmp(&b.group_type),
            SortColumn::State => a.state.cmp(&b.state),
            SortColumn::Members => a.members.cmp(&b.members),
            SortColumn::TotalLag => a.total_lag.cmp(&b.total_lag),
            SortColumn::MaxLag => a.max_lag.cmp(&b.max_lag),
            SortColumn::LagSeconds => f(a.lag_seconds, b.lag_seconds),
            SortColumn::Status => a.status.cmp(&b.status),
            SortColumn::Drain => f(a.drain_seconds, b.drain_seconds),
        }
    }
}

/// A group row, formatted when the report arrived.
#[derive(Debug, Clone)]
struct GroupRow {
    lag: GroupLag,
    cells: [String; 9],
    trend: String,
    trend_narrow: String,
}

/// A partition row, formatted when the report arrived.
#[derive(Debug, Clone)]
struct PartitionRow {
    cells: [String; 9],
    status: Status,
    flagged: bool,
}

/// The Lag pane's state.
#[derive(Debug)]
pub struct LagState {
    interval_ms: u64,
    note: Option<String>,
    error: Option<String>,
    polls: u64,
    rows: Vec<GroupRow>,
    sort: SortColumn,
    descending: bool,
    /// The cursor in the group list.
    groups: TableCursor,
    /// The group drilled into, by id (it survives re-sorting).
    drill: Option<String>,
    partitions: Vec<PartitionRow>,
    flags: Vec<String>,
    /// The drilled group's transaction markers, when some partition's lag is
    /// only those (a note, not a warning).
    markers: Option<String>,
    /// The cursor in the drilled group's partitions.
    parts: TableCursor,
}

/// The Lag pane before its first report; `interval_ms` is the poll interval.
pub fn pane(interval_ms: u64) -> LagState {
    LagState {
        interval_ms,
        note: None,
        error: None,
        polls: 0,
        rows: Vec::new(),
        sort: SortColumn::TotalLag,
        descending: true,
        groups: TableCursor::default(),
        drill: None,
        partitions: Vec::new(),
        flags: Vec::new(),
        markers: None,
        parts: TableCursor::default(),
    }
}

impl LagState {
    /// Applies a worker update; returns the error text when a poll failed.
    pub fn apply(&mut self, update: LagUpdate) -> Option<String> {
        match update {
            LagUpdate::Failed(e) => {
                let first = self.error.is_none();
                self.error = Some(e.clone());
                first.then_some(e)
            }
            LagUpdate::Report(report) => {
                self.error = None;
                self.polls += 1;
                self.note = report.note.clone();
                let keep = self.selected_group().map(str::to_string);
                self.rows = report.groups.into_iter().map(group_row).collect();
                self.resort(keep.as_deref());
                self.refresh_drill();
                None
            }
        }
    }

    /// Groups listed.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True before any group is known.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Group ids in display order.
    pub fn groups(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r.lag.group.as_str()).collect()
    }

    /// The group under the cursor.
    pub fn selected_group(&self) -> Option<&str> {
        self.rows
            .get(self.groups.selected())
            .map(|r| r.lag.group.as_str())
    }

    /// The group drilled into.
    pub fn drilled(&self) -> Option<&str> {
        self.drill.as_deref()
    }

    /// The sort column and whether it is descending.
    pub fn sort(&self) -> (SortColumn, bool) {
        (self.sort, self.descending)
    }

    /// The partition rows of the drilled group, as displayed (cells).
    pub fn partition_cells(&self) -> Vec<Vec<String>> {
        self.partitions.iter().map(|p| p.cells.to_vec()).collect()
    }

    /// The deleted-unread lines of the drilled group.
    pub fn flags(&self) -> &[String] {
        &self.flags
    }

    /// The drilled group's transaction-marker note, if it has one.
    pub fn markers_note(&self) -> Option<&str> {
        self.markers.as_deref()
    }

    /// The list on screen (groups, or the drilled group's partitions), its
    /// cursor and its length.
    fn cursor(&mut self) -> (&mut TableCursor, usize) {
        if self.drill.is_some() {
            (&mut self.parts, self.partitions.len())
        } else {
            (&mut self.groups, self.rows.len())
        }
    }

    /// Rows per page, as last drawn.
    pub fn page(&self) -> usize {
        if self.drill.is_some() {
            self.parts.page()
        } else {
            self.groups.page()
        }
    }

    /// Moves the cursor by `delta` rows (list or partitions).
    pub fn move_by(&mut self, delta: isize) {
        let (c, len) = self.cursor();
        c.move_by(delta, len);
    }

    /// The selected row of the group list.
    pub fn selected_index(&self) -> usize {
        self.groups.selected()
    }

    /// The selected partition row.
    pub fn part_selected(&self) -> usize {
        self.parts.selected()
    }

    /// Selects a row of the group list.
    pub fn select_index(&mut self, i: usize) {
        self.groups.select(i, self.rows.len());
    }

    /// The list row at screen line `y`, if any.
    pub fn row_at(&self, y: u16) -> Option<usize> {
        if self.drill.is_some() {
            self.parts.row_at(y, self.partitions.len())
        } else {
            self.groups.row_at(y, self.rows.len())
        }
    }

    /// Sorts by the next (`step` 1) or previous (-1) column.
    pub fn cycle_sort(&mut self, step: isize) {
        let n = SortColumn::ALL.len() as isize;
        let i = SortColumn::ALL
            .iter()
            .position(|c| *c == self.sort)
            .unwrap_or(0) as isize;
        self.sort = SortColumn::ALL[((i + step).rem_euclid(n)) as usize];
        self.descending = self.sort.descending_by_default();
        let keep = self.selected_group().map(str::to_string);
        self.resort(keep.as_deref());
    }

    /// Reverses the order.
    pub fn reverse(&mut self) {
        self.descending = !self.descending;
        let keep = self.selected_group().map(str::to_string);
        self.resort(keep.as_deref());
    }

    /// Opens the selected group's partitions; false when there is none.
    pub fn open(&mut self) -> bool {
        let Some(g) = self.selected_group().map(str::to_string) else {
            return false;
        };
        self.drill = Some(g);
        self.parts.reset();
        self.refresh_drill();
        true
    }

    /// Back to the group list.
    pub fn close(&mut self) {
        self.drill = None;
        self.partitions.clear();
        self.flags.clear();
        self.markers = None;
    }

    fn resort(&mut self, keep: Option<&str>) {
        let (col, desc) = (self.sort, self.descending);
        self.rows.sort_by(|a, b| {
            let o = col.compare(&a.lag, &b.lag);
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| a.lag.group.cmp(&b.lag.group))
        });
        if let Some(k) = keep
            && let Some(i) = self.rows.iter().position(|r| r.lag.group == k)
        {
            self.groups.select(i, self.rows.len());
        }
        let i = self.groups.selected();
        self.groups.select(i, self.rows.len());
    }

    fn refresh_drill(&mut self) {
        let Some(name) = &self.drill else { return };
        let Some(row) = self.rows.iter().find(|r| &r.lag.group == name) else {
            self.partitions.clear();
            self.flags.clear();
            self.markers = None;
            return;
        };
        self.partitions = row.lag.partitions.iter().map(partition_row).collect();
        self.flags = row
            .lag
            .partitions
            .iter()
            .filter_map(|p| {
                p.deleted_unread
                    .map(|n| strings::lag_deleted_unread(&p.topic, p.partition, n))
            })
            .collect();
        let marked: Vec<i64> = row
            .lag
            .partitions
            .iter()
            .filter_map(|p| p.txn_markers)
            .collect();
        self.markers = (!marked.is_empty())
            .then(|| strings::lag_txn_markers(marked.iter().sum(), marked.len()));
        let i = self.parts.selected();
        self.parts.select(i, self.partitions.len());
    }

    fn render_list(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        let arrow = if self.descending { "▼" } else { "▲" };
        let wide = area.width >= WIDE;
        let titles: Vec<String> = SortColumn::ALL
            .iter()
            .map(|c| {
                if *c == self.sort {
                    format!("{}{arrow}", c.title(wide))
                } else {
                    c.title(wide).to_string()
                }
            })
            .chain(std::iter::once(strings::LAG_TREND.to_string()))
            .collect();
        let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
        let trend = |r: &GroupRow| {
            if wide {
                r.trend.clone()
            } else {
                r.trend_narrow.clone()
            }
        };
        let cells = |r: &GroupRow| -> Vec<String> {
            r.cells
                .iter()
                .cloned()
                .chain(std::iter::once(trend(r)))
                .collect()
        };
        let all: Vec<Vec<String>> = self.rows.iter().map(cells).collect();
        let fitted = Fitted::new(
            &GROUP_COLUMNS,
            &titles,
            all.iter().map(|r| r.iter().map(String::as_str)),
            area.width,
        );
        let header = fitted.header(&titles).style(t.strong());
        let rows = self.rows.iter().zip(all).map(|(r, cells)| {
            let styled = cells.into_iter().enumerate().map(|(i, c)| {
                let style = if i == SortColumn::Status as usize {
                    status_style(r.lag.status, t)
                } else if i == SortColumn::ALL.len() {
                    Style::new().fg(t.accent)
                } else {
                    Style::new()
                };
                (c, style)
            });
            fitted.row(styled)
        });
        render_table(
            frame,
            area,
            t,
            header,
            rows.collect(),
            &fitted.constraints(),
            &self.groups,
            self.groups.selected(),
        );
    }

    fn render_partitions(&self, frame: &mut Frame<'_>, area: Rect, t: &Theme) {
        let titles = if area.width >= WIDE {
            strings::LAG_PARTITION_COLUMNS
        } else {
            strings::LAG_PARTITION_COLUMNS_SHORT
        };
        let fitted = Fitted::new(
            &PARTITION_COLUMNS,
            &titles,
            self.partitions
                .iter()
                .map(|p| p.cells.iter().map(String::as_str)),
            area.width,
        );
        let header = fitted.header(&titles).style(t.strong());
        let rows = self.partitions.iter().map(|p| {
            let lag_style = if p.flagged {
                Style::new().fg(t.error).add_modifier(Modifier::BOLD)
            } else {
                status_style(p.status, t)
            };
            fitted.row(
                p.cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.clone(), if i == 4 { lag_style } else { Style::new() })),
            )
        });
        render_table(
            frame,
            area,
            t,
            header,
            rows.collect(),
            &fitted.constraints(),
            &self.parts,
            self.parts.selected(),
        );
    }
}

impl Pane for LagState {
    fn title(&self) -> &'static str {
        strings::TAB_LAG
    }

    fn mode(&self) -> Mode {
        if self.drill.is_some() {
            Mode::LagGroup
        } else {
            Mode::Lag
        }
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        match action {
            Action::Back => self.close(),
            a if {
                let (c, len) = self.cursor();
                c.navigate(a, len)
            } => {}
            Action::SortNext => self.cycle_sort(1),
            Action::SortPrev => self.cycle_sort(-1),
            Action::SortReverse => self.reverse(),
            Action::Open if !self.open() => cx.info(strings::LAG_NOTHING_SELECTED),
            _ => {}
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.move_by(rows);
        true
    }

    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        let Some(i) = self.row_at(m.row) else {
            return false;
        };
        if self.drilled().is_some() {
            let cur = self.part_selected();
            self.move_by(i as isize - cur as isize);
        } else if self.selected_index() == i {
            self.handle(Action::Open, cx);
        } else {
            self.select_index(i);
        }
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let title = match &self.drill {
            Some(g) => strings::lag_group_title(&sanitize(g)),
            None => strings::lag_title(self.rows.len(), self.interval_ms),
        };
        let inner = frame_block(frame, area, title, t);

        let mut top: Vec<Line> = Vec::new();
        if let Some(e) = &self.error {
            top.push(Line::styled(
                strings::lag_error(&sanitize(e)),
                Style::new().fg(t.error),
            ));
        }
        if let Some(n) = &self.note {
            top.push(Line::styled(format!("ⓘ {n}"), Style::new().fg(t.warn)));
        }
        if let Some(name) = &self.drill
            && let Some(r) = self.rows.iter().find(|r| &r.lag.group == name)
        {
            top.push(Line::from(vec![
                Span::styled(sanitize_owned(strings::lag_group_summary(&r.lag)), t.text()),
                Span::styled(r.lag.status.label(), status_style(r.lag.status, t)),
            ]));
        }
        let flags: Vec<Line> = if self.drill.is_some() {
            self.flags
                .iter()
                .map(|f| Line::styled(format!("⚠ {f}"), Style::new().fg(t.error)))
                .chain(
                    self.markers
                        .iter()
                        .map(|m| Line::styled(format!("· {m}"), t.dimmed())),
                )
                .collect()
        } else {
            Vec::new()
        };
        // Notes wrap on narrow screens; give them room for two lines each.
        let top_h = top
            .iter()
            .map(|l| (l.width() as u16).div_ceil(inner.width.max(1)).max(1))
            .sum::<u16>();
        let [top_area, body, flag_area] = Layout::vertical([
            Constraint::Length(top_h),
            Constraint::Min(1),
            Constraint::Length(flags.len().min(6) as u16),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(top).wrap(Wrap { trim: true }), top_area);
        frame.render_widget(Paragraph::new(flags), flag_area);

        if self.drill.is_some() {
            if self.partitions.is_empty() {
                frame.render_widget(
                    Paragraph::new(strings::LAG_GROUP_GONE).style(t.dimmed()),
                    body,
                );
                return;
            }
            self.render_partitions(frame, body, t);
            return;
        }
        if self.rows.is_empty() {
            let text = if self.polls == 0 && self.error.is_none() {
                strings::lag_waiting(self.interval_ms)
            } else {
                strings::LAG_EMPTY.to_string()
            };
            frame.render_widget(
                Paragraph::new(text)
                    .style(t.dimmed())
                    .wrap(Wrap { trim: true }),
                body,
            );
            return;
        }
        self.render_list(frame, body, t);
    }
}

fn status_style(s: Status, t: &Theme) -> Style {
    match s {
        Status::Ok => Style::new().fg(t.ok),
        Status::Warn => Style::new().fg(t.warn),
        Status::Stall | Status::Stop | Status::Rewind => {
            Style::new().fg(t.error).add_modifier(Modifier::BOLD)
        }
        Status::Unknown => t.dimmed(),
    }
}

fn dash<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_string(), ToString::to_string)
}

/// The trend as block characters, scaled to its own maximum (last points only).
pub fn sparkline(points: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &points[points.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|&v| {
            if max == 0 {
                BARS[0]
            } else {
                BARS[(v as u128 * 7 / max as u128) as usize]
            }
        })
        .collect()
}

fn group_row(g: GroupLag) -> GroupRow {
    let cells = [
        g.group.clone(),
        g.group_type.clone(),
        g.state.clone(),
        g.members.to_string(),
        dash(&g.total_lag),
        dash(&g.max_lag),
        age(g.lag_seconds, g.lag_seconds_source),
        g.status.label().to_string(),
        if g.total_lag == Some(0) {
            "0s".into()
        } else {
            duration(g.drain_seconds)
        },
    ];
    GroupRow {
        trend: sparkline(&g.trend, SPARK_WIDTH),
        trend_narrow: sparkline(&g.trend, SPARK_NARROW),
        cells: cells.map(sanitize_owned),
        lag: g,
    }
}

fn partition_row(p: &PartitionLag) -> PartitionRow {
    let lag = match (p.deleted_unread, p.txn_markers) {
        (Some(_), _) => format!("{} ⚠", dash(&p.lag)),
        (None, Some(_)) => format!("{} {}", dash(&p.lag), strings::LAG_MARKERS_MARK),
        (None, None) => dash(&p.lag),
    };
    PartitionRow {
        // Consumer, host and client ids are chosen by whoever runs the consumer.
        cells: [
            p.topic.clone(),
            p.partition.to_string(),
            dash(&p.current_offset),
            p.log_end_offset.to_string(),
            lag,
            age(p.lag_seconds, p.lag_seconds_source),
            dash(&p.consumer_id),
            dash(&p.host),
            dash(&p.client_id),
        ]
        .map(sanitize_owned),
        status: p.status,
        flagged: p.deleted_unread.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(duration(None), "-");
        assert_eq!(duration(Some(4.24)), "4.2s");
        assert_eq!(duration(Some(200.0)), "3m20s");
        assert_eq!(duration(Some(7500.0)), "2h05m");
        let estimated = Some(crate::lag::SecondsSource::Interpolated);
        assert_eq!(age(Some(200.0), estimated), "~3m20s");
        assert_eq!(
            age(Some(200.0), Some(crate::lag::SecondsSource::Record)),
            "3m20s"
        );
    }

    #[test]
    fn sparkline_scales_to_its_maximum_and_keeps_the_last_points() {
        assert_eq!(sparkline(&[0, 0], 8), "▁▁");
        assert_eq!(sparkline(&[1, 2, 4, 8], 8), "▁▂▄█");
        assert_eq!(sparkline(&[9, 9, 0, 8], 2), "▁█");
    }
}
