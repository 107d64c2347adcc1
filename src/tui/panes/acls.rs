//! The ACLs pane: every access control list of the cluster, one row each —
//! principal, host, operation, permission and the resource (type, name,
//! pattern), in the words of Kafka's own `kafka-acls`. `/` filters on the
//! principal or the resource name; `D` deletes the selected ACL after its
//! principal is typed, and `:acl create OPTIONS` (the options of `eventdeck
//! acls create`) creates ACLs after their first principal is typed, through
//! the same gate and audit lines as the headless commands
//! ([`crate::mutate::acls`]). The list is read by the admin worker.

use crossterm::event::MouseEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use super::{Cx, Effect, Pane, View};
use crate::cli::PaletteAclArgs;
use crate::kafka::ffi::{AclBinding, acl_line};
use crate::tui::action::Action;
use crate::tui::event::{AdminReply, AdminRequest, WorkerMsg};
use crate::tui::fit::Col;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::tab::Tab;
use crate::tui::widgets::{ListView, Note, frame_block, step, with_note, with_problem};

/// The ACLs pane's state.
#[derive(Debug, Clone, Default)]
pub struct AclsState {
    /// Every ACL, as the worker sorted them.
    all: Vec<AclBinding>,
    /// Indices into `all` of the rows shown (the filter's matches).
    shown: Vec<usize>,
    /// The shown rows, formatted.
    list: ListView,
    /// The `/` filter (any case; principal or resource name).
    filter: String,
    /// The list's status.
    pub note: Note,
    /// The last change that failed, in full, until the next one or a refresh.
    pub problem: Option<String>,
}

/// The pane.
pub fn pane() -> AclsState {
    AclsState::default()
}

/// Principal, host, operation, permission, resource type, name, pattern. On
/// a narrow screen the host, then the pattern and the resource type go first;
/// the principal and the name are cut with `…` last.
const COLUMNS: [Col; 7] = [
    Col::text(0, 10).grow(),
    Col::text(6, 1),
    Col::text(2, 9),
    Col::text(3, 5),
    Col::text(4, 5),
    Col::text(1, 8).grow(),
    Col::text(5, 7),
];

impl AclsState {
    /// The ACL list arrived, or failed (the last list stays).
    pub fn set_acls(&mut self, result: Result<Vec<AclBinding>, String>) {
        match result {
            Ok(acls) => {
                self.all = acls;
                self.note = Note::Ready;
                self.rebuild();
            }
            Err(e) => self.note = Note::Failed(e),
        }
    }

    /// Applies the filter and formats the rows (here, not in `render`).
    fn rebuild(&mut self) {
        let want = self.filter.to_lowercase();
        self.shown = self
            .all
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                want.is_empty()
                    || a.principal.to_lowercase().contains(&want)
                    || a.resource_name.to_lowercase().contains(&want)
            })
            .map(|(i, _)| i)
            .collect();
        let rows = self
            .shown
            .iter()
            .map(|&i| {
                let a = &self.all[i];
                vec![
                    a.principal.clone(),
                    a.host.clone(),
                    a.operation.to_string(),
                    a.permission.to_string(),
                    a.resource_type.to_string(),
                    a.resource_name.clone(),
                    a.pattern_type.to_string(),
                ]
            })
            .collect();
        self.list.set_rows(rows);
    }

    /// The selected ACL.
    pub fn selected(&self) -> Option<&AclBinding> {
        let row = self.list.selected()?;
        self.shown.get(row).and_then(|&i| self.all.get(i))
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        // Without admin APIs there is nothing to ask; the note says so once.
        if !cx.settings.caps.admin_apis {
            return;
        }
        self.note = Note::Loading;
        cx.admin(AdminRequest::ListAcls);
    }

    fn ask_delete(&self, cx: &mut Cx<'_>) {
        let Some(acl) = self.selected() else {
            return cx.info(strings::NO_ACL_SELECTED);
        };
        cx.ask(
            &acl.principal,
            strings::delete_acl_title(&acl.principal),
            strings::delete_acl_lines(&acl_line(acl)),
            AdminRequest::DeleteAcls(vec![acl.clone()]),
        );
    }
}

impl Pane for AclsState {
    fn title(&self) -> &'static str {
        strings::TAB_ACLS
    }

    fn mode(&self) -> Mode {
        Mode::Acls
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if let Some(rows) = step(action, self.list.page()) {
            return self.list.move_by(rows);
        }
        match action {
            Action::Refresh => {
                self.problem = None;
                self.refresh(cx);
            }
            Action::Filter => cx.effect(Effect::FilterPrompt(self.filter.clone())),
            Action::ClearFilter => {
                self.set_filter("");
            }
            Action::Delete => self.ask_delete(cx),
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let WorkerMsg::Admin(reply) = msg else {
            return Some(msg);
        };
        match *reply {
            AdminReply::Acls(r) => self.set_acls(r),
            AdminReply::Done { action, result } if action.starts_with("acls.") => {
                match result {
                    Ok(msg) => {
                        cx.info(format!("✓ {msg}"));
                        self.problem = None;
                    }
                    Err(e) => {
                        cx.error(format!("✗ {e}"));
                        self.problem = Some(e);
                    }
                }
                self.refresh(cx);
                cx.effect(Effect::AuditChanged);
            }
            other => return Some(WorkerMsg::Admin(Box::new(other))),
        }
        None
    }

    fn focus(&mut self, cx: &mut Cx<'_>) {
        if self.note == Note::Idle {
            self.refresh(cx);
        }
    }

    fn scroll(&mut self, rows: isize) -> bool {
        self.list.move_by(rows);
        true
    }

    fn click(&mut self, m: MouseEvent, _cx: &mut Cx<'_>) -> bool {
        match self.list.row_at(m.row) {
            Some(i) => {
                self.list.select_index(i);
                true
            }
            None => false,
        }
    }

    fn palette(&mut self, verb: &str, arg: &str, cx: &mut Cx<'_>) -> bool {
        if !matches!(verb, "acl" | "acls") {
            return false;
        }
        let words: Vec<&str> = arg.split_whitespace().collect();
        let Some((&"create", rest)) = words.split_first() else {
            cx.error(strings::ACL_PALETTE_USAGE);
            return true;
        };
        let parsed = clap::Parser::try_parse_from(rest.iter().copied())
            .map_err(|e: clap::Error| {
                // clap's first line says what is wrong; a toast is one line.
                let text = e.to_string();
                let first = text.lines().next().unwrap_or_default().to_string();
                first.strip_prefix("error: ").unwrap_or(&first).to_string()
            })
            .and_then(|a: PaletteAclArgs| crate::mutate::acls::bindings(&a.acl));
        match parsed {
            Ok(acls) => {
                cx.go(Tab::Acls);
                let rules: Vec<String> = acls.iter().map(acl_line).collect();
                let principal = acls
                    .first()
                    .map(|a| a.principal.clone())
                    .unwrap_or_default();
                cx.ask(
                    &principal,
                    strings::create_acls_title(acls.len()),
                    strings::create_acls_lines(&rules),
                    AdminRequest::CreateAcls(acls),
                );
            }
            Err(e) => cx.error(format!("{e} ({})", strings::ACL_PALETTE_USAGE)),
        }
        true
    }

    fn set_filter(&mut self, text: &str) -> bool {
        self.filter = text.trim().to_string();
        self.rebuild();
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let title = strings::acls_title(self.shown.len(), self.all.len(), &self.filter);
        let inner = frame_block(frame, area, title, t);
        let inner = with_problem(frame, inner, self.problem.as_ref(), t);
        let note = if view.caps.admin_apis {
            &self.note
        } else {
            &Note::NoAdmin
        };
        let body = with_note(frame, inner, note, t);
        if self.list.rows().is_empty() {
            if self.note == Note::Ready {
                let text = if self.all.is_empty() {
                    strings::ACLS_EMPTY
                } else {
                    strings::ACLS_NONE_MATCH
                };
                frame.render_widget(Paragraph::new(text).style(Style::new().fg(t.dim)), body);
            }
            return;
        }
        self.list
            .render(frame, body, &strings::ACL_COLUMNS, &COLUMNS, t);
    }
}
