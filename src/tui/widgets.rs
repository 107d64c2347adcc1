//! Parts the list panes share: a selectable table whose cells are formatted
//! when data arrives ([`ListView`]), a list with one item opened over it
//! ([`Browse`]), a scrolled text view ([`TextView`]), and the framing and
//! notes around them.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState, Wrap};

use crate::domain::{sanitize, sanitize_owned};
use crate::tui::action::Action;
use crate::tui::fit::{Col, Fitted};
use crate::tui::strings;
use crate::tui::theme::Theme;

/// Rows of pre-formatted cells with a cursor.
#[derive(Debug, Clone, Default)]
pub struct ListView {
    rows: Vec<Vec<String>>,
    cursor: TableCursor,
}

impl ListView {
    /// Replaces the rows, keeping the cursor in range. Cells name things in
    /// the cluster, so they are sanitized.
    pub fn set_rows(&mut self, rows: Vec<Vec<String>>) {
        self.rows = rows
            .into_iter()
            .map(|cells| cells.into_iter().map(sanitize_owned).collect())
            .collect();
        let (i, n) = (self.cursor.selected(), self.rows.len());
        self.cursor.select(i, n);
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Moves the cursor, clamped.
    pub fn move_by(&mut self, d: isize) {
        self.cursor.move_by(d, self.rows.len());
    }

    /// The cursor's row, if there are rows.
    pub fn selected(&self) -> Option<usize> {
        (!self.rows.is_empty()).then_some(self.cursor.selected())
    }

    /// Rows on one screen (as last drawn).
    pub fn page(&self) -> usize {
        self.cursor.page()
    }

    /// Moves the cursor to row `i` (clamped).
    pub fn select_index(&mut self, i: usize) {
        self.cursor.select(i, self.rows.len());
    }

    /// The row drawn at screen line `y`, if any (the header line is none).
    pub fn row_at(&self, y: u16) -> Option<usize> {
        self.cursor.row_at(y, self.rows.len())
    }

    /// Draws the visible rows with `header` over them, the columns fitted to
    /// the width (numbers whole, text cut with `…`, lowest priority dropped).
    pub(crate) fn render(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        header: &[&str],
        cols: &[Col],
        t: &Theme,
    ) {
        let height = usize::from(area.height.saturating_sub(1)).max(1);
        let start = self.cursor.window(area, 1, self.rows.len());
        let selected = self.cursor.selected();
        let shown = || self.rows.iter().skip(start).take(height);
        let fitted = Fitted::new(
            cols,
            header,
            shown().map(|r| r.iter().map(String::as_str)),
            area.width,
        );
        let rows = self
            .rows
            .iter()
            .enumerate()
            .skip(start)
            .take(height)
            .map(|(i, cells)| {
                let style = if i == selected {
                    Style::new()
                        .fg(t.bar)
                        .bg(t.accent)
                        .add_modifier(Modifier::BOLD)
                } else {
                    t.text()
                };
                fitted
                    .row(cells.iter().map(|c| (c.clone(), Style::new())))
                    .style(style)
            });
        let head = fitted.header(header).style(t.strong());
        frame.render_widget(
            Table::new(rows, fitted.constraints())
                .header(head)
                .column_spacing(1),
            area,
        );
    }
}

/// A list's cursor and the window it is drawn through: the selected row, the
/// first row shown, the rows that fit, and where the table was drawn (for
/// mouse clicks). Every list in the console moves with one of these, and the
/// navigation keys mean the same everywhere ([`TableCursor::navigate`]).
#[derive(Debug, Clone, Default)]
pub struct TableCursor {
    selected: usize,
    offset: Cell<usize>,
    page: Cell<usize>,
    /// The table's area as last drawn, its header line included.
    area: Cell<Rect>,
}

impl TableCursor {
    /// The selected row (0 in an empty list).
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Selects row `i` of `len` (clamped).
    pub fn select(&mut self, i: usize, len: usize) {
        self.selected = i.min(len.saturating_sub(1));
    }

    /// Moves the selection by `delta` rows of `len` (clamped).
    pub fn move_by(&mut self, delta: isize, len: usize) {
        let last = len.saturating_sub(1) as isize;
        self.selected = (self.selected as isize)
            .saturating_add(delta)
            .clamp(0, last) as usize;
    }

    /// Up, Down, PageUp, PageDown, Top and Bottom over `len` rows; false for
    /// any other action.
    pub fn navigate(&mut self, action: Action, len: usize) -> bool {
        match step(action, self.page()) {
            Some(delta) => {
                self.move_by(delta, len);
                true
            }
            None => false,
        }
    }

    /// Rows that fit on one screen, as last drawn.
    pub fn page(&self) -> usize {
        self.page.get().max(1)
    }

    /// Back to the first row, drawn from the top.
    pub fn reset(&mut self) {
        self.selected = 0;
        self.offset.set(0);
    }

    /// The first of `len` rows to draw in `area` under `header` lines, with
    /// the selection in view. The previous window is kept while the selection
    /// stays on screen, so rows do not jump under the mouse.
    pub fn window(&self, area: Rect, header: u16, len: usize) -> usize {
        self.window_for(area, header, self.selected, len)
    }

    /// [`Self::window`] for a list that keeps its selection itself.
    pub fn window_for(&self, area: Rect, header: u16, selected: usize, len: usize) -> usize {
        self.area.set(Rect {
            y: area.y + header.saturating_sub(1),
            height: area.height.saturating_sub(header.saturating_sub(1)),
            ..area
        });
        let visible = usize::from(area.height.saturating_sub(header)).max(1);
        self.page.set(visible);
        let mut offset = self.offset.get();
        if selected < offset {
            offset = selected;
        } else if selected >= offset + visible {
            offset = selected + 1 - visible;
        }
        offset = offset.min(len.saturating_sub(visible));
        self.offset.set(offset);
        offset
    }

    /// The first row drawn, as last drawn.
    pub fn offset(&self) -> usize {
        self.offset.get()
    }

    /// The row of `len` drawn at screen line `y`, if any (the header line is none).
    pub fn row_at(&self, y: u16, len: usize) -> Option<usize> {
        let a = self.area.get();
        if y <= a.y || y >= a.y + a.height {
            return None;
        }
        let i = self.offset.get() + usize::from(y - a.y - 1);
        (i < len).then_some(i)
    }
}

/// The rows a navigation key moves (Top and Bottom: as far as there is), with
/// `page` rows on screen; `None` for any other action. Every list and
/// scrolled view reads its keys through this.
pub fn step(action: Action, page: usize) -> Option<isize> {
    let page = page.max(1) as isize;
    Some(match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::Top => isize::MIN / 2,
        Action::Bottom => isize::MAX / 2,
        _ => return None,
    })
}

/// A table of `rows` under `header` with the cursor's row highlighted, drawn
/// through the cursor's window.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render_table(
    frame: &mut Frame<'_>,
    area: Rect,
    t: &Theme,
    header: Row<'_>,
    rows: Vec<Row<'_>>,
    widths: &[Constraint],
    cursor: &TableCursor,
    selected: usize,
) {
    let offset = cursor.window_for(area, 1, selected, rows.len());
    let table = Table::new(rows, widths.to_vec())
        .header(header)
        .column_spacing(1)
        .row_highlight_style(Style::new().bg(t.selection).add_modifier(Modifier::BOLD));
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut state);
}

/// One list item opened into a scrolled text view: loading until its lines
/// arrive. `extra` is what the pane keeps of the item besides its lines.
#[derive(Debug, Clone)]
pub struct Opened<X> {
    /// The item's name.
    pub name: String,
    /// Its lines (`None` while loading).
    pub view: Option<TextView>,
    /// What else the pane knows of it.
    pub extra: X,
    note: Note,
}

/// A list with at most one item open over it (the Topics and Groups tabs):
/// the cursor and the wheel move in the list, or scroll the open item.
#[derive(Debug, Clone, Default)]
pub struct Browse<X> {
    /// The rows.
    pub list: ListView,
    /// The item open over the list, if any.
    pub open: Option<Opened<X>>,
}

impl<X: Default> Browse<X> {
    /// Opens `name` (loading until [`Self::set_open`]).
    pub fn open(&mut self, name: String) {
        self.open = Some(Opened {
            name,
            view: None,
            extra: X::default(),
            note: Note::Loading,
        });
    }

    /// Back to the list.
    pub fn close(&mut self) {
        self.open = None;
    }

    /// A reply for `name`: its lines and extra, or why there are none. A reply
    /// for another item than the open one is stale and dropped.
    pub fn set_open(&mut self, name: &str, result: Result<(Vec<Line<'static>>, X), String>) {
        let Some(open) = self.open.as_mut().filter(|o| o.name == name) else {
            return;
        };
        match result {
            Ok((lines, extra)) => {
                open.view = Some(TextView::new(lines));
                open.extra = extra;
                open.note = Note::Ready;
            }
            Err(e) => open.note = Note::Failed(e),
        }
    }

    /// The list row at screen line `y` (none while an item is open).
    pub fn row_at(&self, y: u16) -> Option<usize> {
        if self.open.is_some() {
            return None;
        }
        self.list.row_at(y)
    }

    /// A click on screen line `y`: on the selected row, `Some(true)` (open
    /// it); on another row, it is selected and `Some(false)`; elsewhere `None`.
    pub fn click(&mut self, y: u16) -> Option<bool> {
        let i = self.row_at(y)?;
        if self.list.selected() == Some(i) {
            return Some(true);
        }
        self.list.select_index(i);
        Some(false)
    }

    /// Moves the cursor, or scrolls the open item.
    pub fn move_by(&mut self, d: isize) {
        match self.open.as_mut() {
            Some(o) => {
                if let Some(v) = o.view.as_mut() {
                    v.scroll_by(d);
                }
            }
            None => self.list.move_by(d),
        }
    }

    /// Rows (or lines) on one screen.
    pub fn page(&self) -> usize {
        match self.open.as_ref().and_then(|o| o.view.as_ref()) {
            Some(v) => v.page(),
            None => self.list.page(),
        }
    }

    /// Draws the open item framed with `title` (its name), `problem` above
    /// it. False when nothing is open.
    pub(crate) fn render_open(
        &self,
        frame: &mut Frame<'_>,
        area: Rect,
        title: impl FnOnce(&str) -> String,
        problem: Option<&String>,
        t: &Theme,
    ) -> bool {
        let Some(open) = &self.open else {
            return false;
        };
        let inner = frame_block(frame, area, title(&sanitize(&open.name)), t);
        let inner = with_problem(frame, inner, problem, t);
        let body = with_note(frame, inner, &open.note, t);
        if let Some(v) = &open.view {
            v.render(frame, body);
        }
        true
    }
}

/// The last failed change, in full, above `inner`; what is left of it.
pub(crate) fn with_problem(
    frame: &mut Frame<'_>,
    inner: Rect,
    problem: Option<&String>,
    t: &Theme,
) -> Rect {
    match problem {
        Some(p) => with_note(frame, inner, &Note::Failed(p.clone()), t),
        None => inner,
    }
}

/// Lines built when data arrives, scrolled.
#[derive(Debug, Clone, Default)]
pub struct TextView {
    lines: Vec<Line<'static>>,
    scroll: usize,
    page: Cell<usize>,
}

impl TextView {
    /// A view of `lines` from the top. The lines quote the cluster (group and
    /// member ids, configs): each line's text is sanitized.
    pub fn new(mut lines: Vec<Line<'static>>) -> Self {
        for span in lines.iter_mut().flat_map(|l| l.spans.iter_mut()) {
            if let std::borrow::Cow::Owned(clean) = sanitize(&span.content) {
                span.content = clean.into();
            }
        }
        Self {
            lines,
            scroll: 0,
            page: Cell::new(1),
        }
    }

    /// Scrolls by `d` lines, clamped.
    pub fn scroll_by(&mut self, d: isize) {
        let last = self.lines.len().saturating_sub(1) as isize;
        self.scroll = (self.scroll as isize).saturating_add(d).clamp(0, last) as usize;
    }

    /// Lines on one screen (as last drawn).
    pub fn page(&self) -> usize {
        self.page.get().max(1)
    }

    /// Draws the lines from the scroll position.
    pub(crate) fn render(&self, frame: &mut Frame<'_>, area: Rect) {
        self.page.set(usize::from(area.height));
        let visible: Vec<Line<'static>> = self
            .lines
            .iter()
            .skip(self.scroll)
            .take(usize::from(area.height))
            .cloned()
            .collect();
        // Describe tables are laid out for 80 columns: narrower, a line wraps
        // rather than lose its last column's digits.
        frame.render_widget(Paragraph::new(visible).wrap(Wrap { trim: false }), area);
    }
}

/// `s` cut to `n` cells (an ellipsis marks the cut).
pub(crate) fn clip(s: &str, n: usize) -> String {
    crate::tui::fit::cut(s, n)
}

/// The pane's frame with its title; returns the inside.
pub(crate) fn frame_block(frame: &mut Frame<'_>, area: Rect, title: String, t: &Theme) -> Rect {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.dimmed())
        .title(Span::styled(
            crate::tui::fit::title(&title, area.width),
            t.strong(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A status note above a list: loading, an error, or why the pane cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Note {
    /// Nothing asked yet.
    #[default]
    Idle,
    /// A request is in flight.
    Loading,
    /// The data on screen is current.
    Ready,
    /// The last request failed; the last data stays.
    Failed(String),
    /// This broker has no admin APIs (the demo's embedded one).
    NoAdmin,
}

impl Note {
    /// The line shown for it, if any.
    pub(crate) fn line(&self, t: &Theme) -> Option<Line<'static>> {
        match self {
            Note::Idle | Note::Ready => None,
            Note::Loading => Some(Line::styled(strings::OPS_LOADING, t.dimmed())),
            Note::Failed(e) => Some(Line::styled(
                format!("✗ {}", sanitize(e)),
                Style::new().fg(t.error),
            )),
            Note::NoAdmin => Some(Line::styled(strings::NO_ADMIN_API, Style::new().fg(t.warn))),
        }
    }
}

/// Draws `note` (if any) at the top of `inner`; returns the rest.
pub(crate) fn with_note(frame: &mut Frame<'_>, inner: Rect, note: &Note, t: &Theme) -> Rect {
    let Some(line) = note.line(t) else {
        return inner;
    };
    let h = (line.width() as u16)
        .div_ceil(inner.width.max(1))
        .clamp(1, 3)
        .min(inner.height);
    let top = Rect { height: h, ..inner };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), top);
    Rect {
        y: inner.y + h,
        height: inner.height.saturating_sub(h),
        ..inner
    }
}

/// A `width` × `height` popup in the middle of `area` (any odd cell goes
/// right and down). Every dialog and overlay opens here.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_keeps_its_window_while_the_selection_is_on_screen() {
        let mut c = TableCursor::default();
        // A table of 100 rows drawn at y = 5, 11 lines high: a header and 10 rows.
        let area = Rect::new(0, 5, 40, 11);
        assert_eq!(c.window(area, 1, 100), 0);
        assert_eq!(c.page(), 10);
        assert!(c.navigate(Action::PageDown, 100));
        assert_eq!(c.selected(), 10);
        // Row 10 is off the first screen: the window follows it down by one.
        assert_eq!(c.window(area, 1, 100), 1);
        // Back up three: still on screen, so the window stays.
        c.move_by(-3, 100);
        assert_eq!(c.window(area, 1, 100), 1);
        // A click on the first row line is row 1 (the header line is none).
        assert_eq!(c.row_at(6, 100), Some(1));
        assert_eq!(c.row_at(5, 100), None);
        assert_eq!(c.row_at(16, 100), None);
        assert!(c.navigate(Action::Bottom, 100));
        assert_eq!(c.selected(), 99);
        assert_eq!(c.window(area, 1, 100), 90);
        assert!(c.navigate(Action::Top, 100));
        assert_eq!(c.selected(), 0);
        assert!(!c.navigate(Action::Open, 100));
        // A list that shrinks under the cursor keeps it in range.
        c.select(50, 3);
        assert_eq!(c.selected(), 2);
        assert_eq!(c.row_at(9, 3), None, "past the last row");
    }

    #[test]
    fn every_navigation_key_is_one_step() {
        assert_eq!(step(Action::Up, 10), Some(-1));
        assert_eq!(step(Action::PageDown, 10), Some(10));
        assert_eq!(
            step(Action::PageUp, 0),
            Some(-1),
            "a page is at least a row"
        );
        assert_eq!(step(Action::Filter, 10), None);
    }
}
