//! Fitting text into the cells a terminal has. Text that does not fit is cut
//! and ends in `…`; a number is never cut. Table columns shrink by priority
//! and drop whole, lowest priority first; header fields drop whole the same way.

use ratatui::text::{Line, Span};
use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

/// Cells `s` takes on screen.
pub(crate) fn width(s: &str) -> usize {
    s.width()
}

/// `s` cut to at most `w` cells; a cut ends in `…`.
pub(crate) fn cut(s: &str, w: usize) -> String {
    if s.width() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let (head, _) = s.unicode_truncate(w - 1);
    format!("{head}…")
}

/// How a column may shrink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Never cut (numbers, offsets, times, durations): shown whole or dropped.
    Whole,
    /// Text: cut with `…`, down to `min` cells.
    Text {
        /// The fewest cells it may shrink to.
        min: u16,
    },
}

/// One column of a table to fit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    /// How it may shrink.
    pub kind: Kind,
    /// 0 is the most important; the highest drops first.
    pub priority: u8,
    /// Takes the cells left over once every column has what it wants.
    pub grow: bool,
    /// Wants no more than this many cells on an 80-column table, and as many
    /// more as the table is wider: a long key does not starve the columns
    /// after it.
    pub cap: Option<u16>,
}

impl Col {
    /// A number column.
    pub(crate) const fn whole(priority: u8) -> Self {
        Self {
            kind: Kind::Whole,
            priority,
            grow: false,
            cap: None,
        }
    }

    /// A text column that shrinks down to `min` cells.
    pub(crate) const fn text(priority: u8, min: u16) -> Self {
        Self {
            kind: Kind::Text { min },
            priority,
            grow: false,
            cap: None,
        }
    }

    /// The same column, wanting at most `cells` (at 80 columns, in proportion
    /// on wider tables) before the spare is shared.
    pub(crate) const fn at_most(self, cells: u16) -> Self {
        Self {
            cap: Some(cells),
            ..self
        }
    }

    /// The same column, taking the spare cells.
    pub(crate) const fn grow(self) -> Self {
        Self { grow: true, ..self }
    }
}

/// The widest cell of each column: the titles and the rows given (pass the
/// rows on screen, not every row kept).
pub(crate) fn content_widths<'a, R, C>(titles: &[&str], rows: R) -> Vec<usize>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = &'a str>,
{
    let mut out: Vec<usize> = titles.iter().map(|t| width(t)).collect();
    for row in rows {
        for (i, cell) in row.into_iter().enumerate() {
            if let Some(w) = out.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
    }
    out
}

/// The table width a column's cap is given for.
const CAP_WIDTH: u16 = 80;

/// The width of each column (`None`: dropped) so that the table fits `total`
/// cells with `spacing` between columns. `titles` and `cells` are the widest
/// title and the widest cell of each column: a number column needs its widest
/// cell (its title is cut if it must be), a text column wants its widest of both.
pub(crate) fn fit(
    cols: &[Col],
    titles: &[usize],
    cells: &[usize],
    total: u16,
    spacing: u16,
) -> Vec<Option<u16>> {
    let n = cols.len();
    let at = |v: &[usize], i: usize| v.get(i).copied().unwrap_or(0) as u16;
    let want: Vec<u16> = (0..n)
        .map(|i| {
            let w = at(titles, i).max(at(cells, i));
            match (cols[i].kind, cols[i].cap) {
                (Kind::Text { .. }, Some(cap)) => {
                    let scaled =
                        u32::from(cap) * u32::from(total.max(CAP_WIDTH)) / u32::from(CAP_WIDTH);
                    w.min(u16::try_from(scaled).unwrap_or(u16::MAX))
                }
                _ => w,
            }
        })
        .collect();
    let min: Vec<u16> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| match c.kind {
            Kind::Whole => at(cells, i).max(1),
            Kind::Text { min } => min.min(want[i]).max(1),
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| cols[i].priority);
    let mut widths: Vec<Option<u16>> = vec![None; n];
    let mut used: u16 = 0;
    for &i in &order {
        let extra = if used == 0 { 0 } else { spacing };
        let need = min[i].saturating_add(extra);
        if used.saturating_add(need) <= total {
            widths[i] = Some(min[i]);
            used += need;
        }
    }
    let mut spare = total.saturating_sub(used);
    for &i in &order {
        if let Some(w) = widths[i].as_mut() {
            let more = want[i].saturating_sub(*w).min(spare);
            *w += more;
            spare -= more;
        }
    }
    if let Some(i) = order
        .iter()
        .copied()
        .find(|&i| cols[i].grow && widths[i].is_some())
        && let Some(w) = widths[i].as_mut()
    {
        *w += spare;
    }
    widths
}

/// A table's columns fitted to a width: which are kept, how wide, and the
/// cells cut to them.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    widths: Vec<Option<u16>>,
}

impl Fitted {
    /// Fits `cols` (titled `titles`) to `total` cells, one cell between
    /// columns, from the widest of `rows` (pass the rows on screen).
    pub(crate) fn new<'a, R, C>(cols: &[Col], titles: &[&str], rows: R, total: u16) -> Self
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator<Item = &'a str>,
    {
        let title_w: Vec<usize> = titles.iter().map(|t| width(t)).collect();
        let cells = content_widths(&vec![""; titles.len()], rows);
        Self {
            widths: fit(cols, &title_w, &cells, total, 1),
        }
    }

    /// The kept columns' widths, for `Table::new`.
    pub(crate) fn constraints(&self) -> Vec<ratatui::layout::Constraint> {
        self.widths
            .iter()
            .flatten()
            .map(|w| ratatui::layout::Constraint::Length(*w))
            .collect()
    }

    /// The kept cells of a row, each cut to its column (numbers fit by
    /// construction; text ends in `…` when cut).
    pub(crate) fn row(
        &self,
        cells: impl IntoIterator<Item = (String, ratatui::style::Style)>,
    ) -> ratatui::widgets::Row<'static> {
        ratatui::widgets::Row::new(cells.into_iter().zip(&self.widths).filter_map(
            |((text, style), w)| {
                w.map(|w| {
                    ratatui::widgets::Cell::from(Span::styled(cut(&text, usize::from(w)), style))
                })
            },
        ))
    }

    /// The kept titles, each cut to its column.
    pub(crate) fn header(&self, titles: &[&str]) -> ratatui::widgets::Row<'static> {
        self.row(
            titles
                .iter()
                .map(|t| (t.to_string(), ratatui::style::Style::new())),
        )
    }
}

/// One field of a one-line bar: drops whole, or (when `shrink` is set) is cut
/// with `…` down to that many cells first.
#[derive(Debug, Clone)]
pub(crate) struct Field<'a> {
    /// 0 is kept longest; the highest drops first (the rightmost of equals).
    pub priority: u8,
    /// Cut down to this many cells before anything of a higher priority drops.
    pub shrink: Option<usize>,
    /// Follows the field before it without the separator (its spans carry
    /// their own): the parts of one group.
    pub joined: bool,
    /// What it shows.
    pub spans: Vec<Span<'a>>,
}

impl<'a> Field<'a> {
    /// A field that is shown whole or not at all.
    pub(crate) fn new(priority: u8, spans: Vec<Span<'a>>) -> Self {
        Self {
            priority,
            shrink: None,
            joined: false,
            spans,
        }
    }

    /// A field that follows the one before it with its own separator in
    /// `spans` instead of the line's.
    pub(crate) fn joined(priority: u8, spans: Vec<Span<'a>>) -> Self {
        Self {
            joined: true,
            ..Self::new(priority, spans)
        }
    }

    /// A text field that may be cut (with `…`) down to `min` cells.
    pub(crate) fn shrinking(priority: u8, min: usize, spans: Vec<Span<'a>>) -> Self {
        Self {
            priority,
            shrink: Some(min),
            joined: false,
            spans,
        }
    }

    fn width(&self) -> usize {
        self.spans.iter().map(|s| width(&s.content)).sum()
    }
}

/// The fields that fit in `total` cells, in their order, `sep` between them.
/// Least important first (highest priority number; the rightmost of equals),
/// a field drops whole, or a shrinking one is cut to its least width, until the
/// line fits: a count is shown entire or not at all. Cut text ends in `…`.
pub(crate) fn fields<'a>(fields: Vec<Field<'a>>, sep: &Span<'a>, total: usize) -> Line<'a> {
    fields_counted(fields, sep, total).0
}

/// [`fields`], and how many fields were dropped.
pub(crate) fn fields_counted<'a>(
    fields: Vec<Field<'a>>,
    sep: &Span<'a>,
    total: usize,
) -> (Line<'a>, usize) {
    let sep_w = width(&sep.content);
    let joined: Vec<bool> = fields.iter().map(|f| f.joined).collect();
    let full: Vec<usize> = fields.iter().map(Field::width).collect();
    let least: Vec<usize> = fields
        .iter()
        .zip(&full)
        .map(|(f, w)| f.shrink.map_or(*w, |m| m.min(*w)))
        .collect();
    // Each field's width now; `None` once dropped.
    let mut now: Vec<Option<usize>> = full.iter().copied().map(Some).collect();
    let need = |now: &[Option<usize>]| {
        let mut total = 0;
        let mut first = true;
        for (w, j) in now.iter().zip(&joined) {
            let Some(w) = w else { continue };
            if !first && !j {
                total += sep_w;
            }
            total += w;
            first = false;
        }
        total
    };
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((fields[i].priority, i)));
    for i in order {
        if need(&now) <= total {
            break;
        }
        now[i] = match (fields[i].shrink, now[i]) {
            (Some(_), Some(w)) if w != least[i] => Some(least[i]),
            _ if now.iter().flatten().count() > 1 => None,
            (_, w) => w,
        };
    }
    // What is left over goes back to the fields that were cut.
    let mut spare = total.saturating_sub(need(&now));
    for (w, f) in now.iter_mut().zip(&full) {
        if let Some(w) = w.as_mut() {
            let more = (f - *w).min(spare);
            *w += more;
            spare -= more;
        }
    }
    let dropped = now.iter().filter(|w| w.is_none()).count();
    let mut out: Vec<Span<'a>> = Vec::new();
    for (f, w) in fields.into_iter().zip(now) {
        let Some(w) = w else { continue };
        if !out.is_empty() && !f.joined {
            out.push(sep.clone());
        }
        out.extend(cut_spans(f.spans, w));
    }
    // A single field wider than the line is cut too.
    (Line::from(cut_spans(out, total)), dropped)
}

/// A line cut to `w` cells, the cut marked with `…` (the cell it would have
/// run over says so).
pub(crate) fn line(line: Line<'_>, w: usize) -> Line<'_> {
    let style = line.style;
    let mut out = Line::from(cut_spans(line.spans, w));
    out.style = style;
    out
}

/// A block title (` A · 3 record(s) · 0 marked `) fitted to a block `outer`
/// cells wide: its ` · ` parts drop whole from the last, the first is cut with
/// `…` only when it alone does not fit.
pub(crate) fn title(text: &str, outer: u16) -> String {
    let room = usize::from(outer.saturating_sub(2));
    if width(text) <= room {
        return text.to_string();
    }
    let parts: Vec<Field<'_>> = text
        .trim()
        .split(" · ")
        .enumerate()
        .map(|(i, p)| {
            let spans = vec![Span::raw(p.to_string())];
            if i == 0 {
                Field::shrinking(0, 8, spans)
            } else {
                Field::new(u8::try_from(i).unwrap_or(u8::MAX), spans)
            }
        })
        .collect();
    let line = fields(parts, &Span::raw(" · "), room.saturating_sub(2));
    format!(" {line} ")
}

/// Spans cut to `w` cells in all; the cut ends in `…`.
fn cut_spans<'a>(spans: Vec<Span<'a>>, w: usize) -> Vec<Span<'a>> {
    let all: usize = spans.iter().map(|s| width(&s.content)).sum();
    if all <= w || w == 0 {
        return if w == 0 { Vec::new() } else { spans };
    }
    let mut left = w;
    let mut out = Vec::new();
    for s in spans {
        let sw = width(&s.content);
        if sw < left {
            left -= sw;
            out.push(s);
            continue;
        }
        // Something after this cell is lost: the last cell says so.
        let (head, _) = s.content.unicode_truncate(left - 1);
        out.push(Span::styled(format!("{head}…"), s.style));
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_ends_in_an_ellipsis_and_fits() {
        assert_eq!(cut("debate-12", 9), "debate-12");
        assert_eq!(cut("debate-12", 8), "debate-…");
        assert_eq!(cut("日本語", 4), "日…");
        assert_eq!(cut("abc", 0), "");
    }

    #[test]
    fn numbers_are_never_cut_columns_drop_whole_lowest_priority_first() {
        let cols = [Col::text(0, 4), Col::whole(1), Col::whole(2)];
        let titles = [5, 9, 3];
        let cells = [12, 5, 6];
        // Everything fits as wanted.
        assert_eq!(
            fit(&cols, &titles, &cells, 40, 1),
            vec![Some(12), Some(9), Some(6)]
        );
        // The numbers keep their digits (a title is cut); the text shrinks.
        assert_eq!(
            fit(&cols, &titles, &cells, 17, 1),
            vec![Some(4), Some(5), Some(6)]
        );
        // One cell less: the last number is dropped, not cut.
        assert_eq!(
            fit(&cols, &titles, &cells, 16, 1),
            vec![Some(10), Some(5), None]
        );
        assert_eq!(fit(&cols, &titles, &cells, 9, 1), vec![Some(9), None, None]);
    }

    #[test]
    fn bar_fields_drop_whole_by_priority_and_text_is_cut_first() {
        let f = |p: u8, t: &'static str| Field::new(p, vec![Span::raw(t)]);
        let sep = Span::raw(" | ");
        let line = |fs: Vec<Field<'static>>, w: usize| fields(fs, &sep, w).to_string();
        let all = || {
            vec![
                f(0, "eventdeck"),
                Field::shrinking(3, 6, vec![Span::raw("cluster-one:9092")]),
                f(0, "connected"),
                f(2, "DLQ 19628"),
                f(5, "173 published"),
            ]
        };
        assert_eq!(
            line(all(), 80),
            "eventdeck | cluster-one:9092 | connected | DLQ 19628 | 173 published"
        );
        // The least important count goes whole; the DLQ count stays entire.
        assert_eq!(
            line(all(), 60),
            "eventdeck | cluster-one:9092 | connected | DLQ 19628"
        );
        // The cluster's name is cut before the DLQ count drops.
        assert_eq!(
            line(all(), 48),
            "eventdeck | cluster-one… | connected | DLQ 19628"
        );
        // Then the count drops whole, and the name has room again.
        assert_eq!(line(all(), 40), "eventdeck | cluster-one:9092 | connected");
        // Wider than the line on its own: cut, and marked.
        assert_eq!(line(vec![f(0, "abcdefghij")], 5), "abcd…");
    }

    #[test]
    fn titles_drop_their_last_parts_whole() {
        let t = " Dead letters › timeout · 19628 record(s) · 0 marked ";
        assert_eq!(title(t, 80), t);
        assert_eq!(title(t, 50), " Dead letters › timeout · 19628 record(s) ");
        assert_eq!(title(t, 20), " Dead letters › … ");
    }

    #[test]
    fn a_capped_column_leaves_the_spare_to_the_growing_one() {
        let cols = [Col::text(0, 4).at_most(10), Col::text(1, 4).grow()];
        assert_eq!(
            fit(&cols, &[3, 3], &[36, 20], 40, 1),
            vec![Some(10), Some(29)]
        );
    }

    #[test]
    fn a_growing_column_takes_what_is_left() {
        let cols = [Col::whole(0), Col::text(1, 3).grow()];
        assert_eq!(fit(&cols, &[1, 1], &[4, 5], 30, 1), vec![Some(4), Some(25)]);
    }
}
