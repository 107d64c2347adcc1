//! The Audit view: the audit log (time, user, principal, action, parameters,
//! outcome), newest first, re-read whenever the console makes a mutation;
//! its title marks the log's hash chain ✓ or ✗.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use crate::tui::widgets::{ListView, Note, TextView, frame_block, step, with_note};
use crossterm::event::MouseEvent;

use super::{Cx, Pane, View};
use crate::audit::{AuditEntry, Verdict};
use crate::tui::action::Action;
use crate::tui::event::{AdminReply, AdminRequest, Command, WorkerMsg};
use crate::tui::fit::Col;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::tab::Tab;

/// The Audit view's state.
#[derive(Debug, Clone, Default)]
pub struct AuditState {
    list: ListView,
    /// The same rows for narrow screens (time of day only), kept in step.
    narrow: ListView,
    /// The log's status.
    pub note: Note,
    /// The entries, newest first, as the rows show them.
    entries: Vec<AuditEntry>,
    /// The entry opened with Enter: every field, parameters in full.
    open: Option<TextView>,
    /// The hash chain's verdict as of the last read.
    chain: Option<Verdict>,
}

/// The pane.
pub fn pane() -> AuditState {
    AuditState::default()
}

impl AuditState {
    /// The log arrived (oldest first, as stored), or could not be read.
    pub fn set_entries(&mut self, result: Result<Vec<AuditEntry>, String>) {
        match result {
            Ok(mut entries) => {
                self.chain = entries.last().and_then(|e| e.chain.clone());
                entries.reverse();
                let rows: Vec<Vec<String>> = entries.iter().map(row).collect();
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
                self.entries = entries;
                self.note = Note::Ready;
            }
            Err(e) => self.note = Note::Failed(e),
        }
    }

    /// Entries shown.
    pub fn len(&self) -> usize {
        self.list.rows().len()
    }

    /// The hash chain's verdict as of the last read.
    pub fn chain(&self) -> Option<&Verdict> {
        self.chain.as_ref()
    }

    /// True with no entries.
    pub fn is_empty(&self) -> bool {
        self.list.rows().is_empty()
    }

    /// Moves the cursor, or scrolls the open entry.
    pub fn move_by(&mut self, d: isize) {
        if let Some(v) = self.open.as_mut() {
            v.scroll_by(d);
            return;
        }
        self.list.move_by(d);
        self.narrow.move_by(d);
    }

    /// To the first row (or line of the open entry).
    pub fn top(&mut self) {
        self.move_by(isize::MIN / 2);
    }

    /// To the last row (or line of the open entry).
    pub fn bottom(&mut self) {
        self.move_by(isize::MAX / 2);
    }

    /// Rows (or lines) on one screen.
    pub fn page(&self) -> usize {
        match &self.open {
            Some(v) => v.page(),
            None => self.list.page(),
        }
    }

    /// The selected row, if there are rows.
    pub fn selected(&self) -> Option<usize> {
        self.list.selected()
    }

    /// Opens the selected entry; false when there is none.
    pub fn open(&mut self, theme: &crate::tui::theme::Theme) -> bool {
        let Some(e) = self.list.selected().and_then(|i| self.entries.get(i)) else {
            return false;
        };
        let value = serde_json::to_value(e).unwrap_or_default();
        self.open = Some(TextView::new(crate::tui::json::highlight(&value, theme)));
        true
    }

    /// Back to the list.
    pub fn close(&mut self) {
        self.open = None;
    }

    /// True while an entry is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The row at screen line `y` (whichever of the wide or narrow tables was drawn).
    pub fn row_at(&self, y: u16) -> Option<usize> {
        if self.open.is_some() {
            return None;
        }
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

/// Time, user, principal, action, parameters, outcome: the time and the
/// action last to go; parameters take the room left (enter shows them whole).
const COLUMNS: [Col; 6] = [
    Col::whole(0),
    Col::text(3, 6),
    Col::text(4, 8),
    Col::text(1, 10),
    Col::text(5, 8).grow(),
    Col::text(2, 6),
];

impl Pane for AuditState {
    fn title(&self) -> &'static str {
        strings::TAB_AUDIT
    }

    fn mode(&self) -> Mode {
        if self.open.is_some() {
            Mode::AuditEntry
        } else {
            Mode::Audit
        }
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if let Some(rows) = step(action, self.page()) {
            return self.move_by(rows);
        }
        match action {
            Action::Back => self.close(),
            Action::Open if !self.open(cx.theme) => cx.info(strings::NOTHING_SELECTED),
            Action::Refresh => self.refresh(cx),
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, _cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let WorkerMsg::Admin(reply) = msg else {
            return Some(msg);
        };
        match *reply {
            AdminReply::Audit(r) => self.set_entries(r),
            other => return Some(WorkerMsg::Admin(Box::new(other))),
        }
        None
    }

    fn focus(&mut self, cx: &mut Cx<'_>) {
        self.refresh(cx);
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.move_by(rows);
        true
    }

    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        let Some(i) = self.row_at(m.row) else {
            return false;
        };
        if self.selected() == Some(i) {
            self.handle(Action::Open, cx);
        } else {
            self.select_index(i);
        }
        true
    }

    fn palette(&mut self, verb: &str, _arg: &str, cx: &mut Cx<'_>) -> bool {
        if verb != "audit" {
            return false;
        }
        cx.go(Tab::Audit);
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        if let Some(v) = &self.open {
            let inner = frame_block(frame, area, strings::AUDIT_ENTRY_TITLE.to_string(), t);
            v.render(frame, inner);
            return;
        }
        let inner = frame_block(
            frame,
            area,
            strings::audit_title(self.len(), self.chain.as_ref()),
            t,
        );
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
                .render(frame, body, &strings::AUDIT_COLUMNS, &COLUMNS, t);
        } else {
            self.narrow
                .render(frame, body, &strings::AUDIT_COLUMNS_SHORT, &COLUMNS, t);
        }
    }
}

impl AuditState {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        self.note = Note::Loading;
        cx.command(Command::Admin(Box::new(AdminRequest::ReadAudit)));
    }

    /// A mutation happened somewhere (inject, redrive, admin): the view, once
    /// loaded, reads the log again.
    pub fn changed(&mut self, cx: &mut Cx<'_>) {
        if self.note != Note::Idle {
            cx.command(Command::Admin(Box::new(AdminRequest::ReadAudit)));
        }
    }
}
