//! The Audit view: the audit log (time, user, principal, action, parameters,
//! outcome), newest first, re-read whenever the console makes a mutation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use super::opsview::{ListView, Note, frame_block, with_note};
use super::{Pane, View};
use crate::audit::AuditEntry;
use crate::tui::keymap::Mode;
use crate::tui::strings;

/// The Audit view's state.
#[derive(Debug, Clone, Default)]
pub struct AuditState {
    list: ListView,
    /// The same rows for narrow screens (time of day only), kept in step.
    narrow: ListView,
    /// The log's status.
    pub note: Note,
}

/// The pane.
pub fn pane() -> AuditState {
    AuditState::default()
}

impl AuditState {
    /// The log arrived (oldest first, as stored), or could not be read.
    pub fn set_entries(&mut self, result: Result<Vec<AuditEntry>, String>) {
        match result {
            Ok(entries) => {
                let rows: Vec<Vec<String>> = entries.iter().rev().map(row).collect();
                self.narrow.set_rows(
                    rows.iter()
                        .map(|r| {
                            let mut r = r.clone();
                            r[0] = r[0].get(11..).unwrap_or(&r[0]).to_string();
                            r
                        })
                        .collect(),
                );
                self.list.set_rows(rows);
                self.note = Note::Ready;
            }
            Err(e) => self.note = Note::Failed(e),
        }
    }

    /// Entries shown.
    pub fn len(&self) -> usize {
        self.list.rows().len()
    }

    /// True with no entries.
    pub fn is_empty(&self) -> bool {
        self.list.rows().is_empty()
    }

    /// Moves the cursor.
    pub fn move_by(&mut self, d: isize) {
        self.list.move_by(d);
        self.narrow.move_by(d);
    }

    /// Rows on one screen.
    pub fn page(&self) -> usize {
        self.list.page()
    }

    /// The row at screen line `y` (whichever of the wide or narrow tables was drawn).
    pub fn row_at(&self, y: u16) -> Option<usize> {
        self.list.row_at(y).or_else(|| self.narrow.row_at(y))
    }

    /// Moves the cursor to row `i`.
    pub fn select_index(&mut self, i: usize) {
        self.list.select_index(i);
        self.narrow.select_index(i);
    }
}

fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn row(e: &AuditEntry) -> Vec<String> {
    // `2026-11-27T10:00:00.123Z` → `2026-11-27 10:00:00`: the second is enough here.
    let time = e.time.get(..19).unwrap_or(&e.time).replace('T', " ");
    vec![
        time,
        e.os_user.clone(),
        e.principal.clone(),
        e.action.clone(),
        compact(&e.params),
        compact(&e.outcome),
    ]
}

/// Below this width the time column shows the time of day only.
const WIDE: u16 = 110;

const WIDTHS: [Constraint; 6] = [
    Constraint::Length(19),
    Constraint::Length(10),
    Constraint::Length(16),
    Constraint::Length(21),
    Constraint::Fill(1),
    Constraint::Length(14),
];

const NARROW_WIDTHS: [Constraint; 6] = [
    Constraint::Length(8),
    Constraint::Length(8),
    Constraint::Length(14),
    Constraint::Length(16),
    Constraint::Fill(1),
    Constraint::Length(10),
];

impl Pane for AuditState {
    fn title(&self) -> &'static str {
        strings::TAB_AUDIT
    }

    fn mode(&self) -> Mode {
        Mode::Audit
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let inner = frame_block(frame, area, strings::audit_title(self.len()), t);
        let body = with_note(frame, inner, &self.note, t);
        if self.list.rows().is_empty() {
            if self.note == Note::Ready {
                frame.render_widget(
                    Paragraph::new(strings::AUDIT_EMPTY).style(Style::new().fg(t.dim)),
                    body,
                );
            }
            return;
        }
        if area.width >= WIDE {
            self.list
                .render(frame, body, &strings::AUDIT_COLUMNS, &WIDTHS, t);
        } else {
            self.narrow.render(
                frame,
                body,
                &strings::AUDIT_COLUMNS_SHORT,
                &NARROW_WIDTHS,
                t,
            );
        }
    }
}
