//! The Groups pane: consumer groups with state and members; Enter describes one
//! (members with their assignments, then per partition the committed offset,
//! log end and lag, in `kafka-consumer-groups --describe` vocabulary). Resets
//! and deletes go through the dialogs in [`crate::tui::dialog`].

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::tui::widgets::{Browse, Note, clip, frame_block, step, with_note, with_problem};
use crossterm::event::MouseEvent;

use super::{Cx, Effect, Pane, View};
use crate::audit::action;
use crate::kafka::admin::{GroupDetail, GroupSummary};
use crate::mutate::groups::ResetRequest;
use crate::tui::action::Action;
use crate::tui::dialog::Dialog;
use crate::tui::event::{AdminReply, AdminRequest, WorkerMsg};
use crate::tui::fit::Col;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;

/// The Groups pane's state.
#[derive(Debug, Clone, Default)]
pub struct GroupsState {
    /// The list, and the group being described.
    pub browse: Browse<()>,
    names: Vec<String>,
    /// The list's status.
    pub note: Note,
    /// The last change that failed, in full (the toast line may cut it); shown
    /// until the next change or refresh.
    pub problem: Option<String>,
}

/// The pane.
pub fn pane() -> GroupsState {
    GroupsState::default()
}

impl GroupsState {
    /// The key mode.
    pub fn mode(&self) -> Mode {
        if self.browse.open.is_some() {
            Mode::GroupDetail
        } else {
            Mode::Groups
        }
    }

    /// The group list arrived, or failed.
    pub fn set_groups(&mut self, result: Result<Vec<GroupSummary>, String>) {
        match result {
            Ok(mut groups) => {
                groups.sort_by(|a, b| a.name.cmp(&b.name));
                self.names = groups.iter().map(|g| g.name.clone()).collect();
                self.browse.list.set_rows(
                    groups
                        .iter()
                        .map(|g| {
                            vec![
                                g.name.clone(),
                                g.group_type.clone(),
                                g.state.clone(),
                                g.members.to_string(),
                                if g.protocol_type.is_empty() {
                                    "-".into()
                                } else {
                                    g.protocol_type.clone()
                                },
                            ]
                        })
                        .collect(),
                );
                self.note = Note::Ready;
            }
            Err(e) => self.note = Note::Failed(e),
        }
    }

    /// The selected (or open) group's name.
    pub fn selected(&self) -> Option<&str> {
        if let Some(o) = &self.browse.open {
            return Some(&o.name);
        }
        self.browse.list.selected().map(|i| self.names[i].as_str())
    }

    /// A describe reply; one for another group is stale.
    pub fn set_group(&mut self, name: &str, result: Result<Box<GroupDetail>, String>) {
        self.browse
            .set_open(name, result.map(|d| (describe_lines(&d), ())));
    }
}

fn describe_lines(d: &GroupDetail) -> Vec<Line<'static>> {
    let info = &d.info;
    let mut out = vec![
        Line::raw(strings::group_summary_typed(
            &info.state,
            info.members.len(),
            &info.protocol_type,
            &info.group_type,
            &info.assignor,
        )),
        Line::raw(""),
        Line::raw(strings::GROUP_MEMBERS),
    ];
    if info.members.is_empty() {
        out.push(Line::raw(format!("  {}", strings::GROUP_NO_MEMBERS)));
    }
    for m in &info.members {
        let parts: Vec<String> = m
            .assignment
            .iter()
            .map(|(t, p)| format!("{t}:{p}"))
            .collect();
        out.push(Line::raw(format!(
            "  {:<28} {:<12} {:<12} {}",
            clip(&m.id, 28),
            clip(&m.host, 12),
            clip(&m.client_id, 12),
            if parts.is_empty() {
                "-".to_string()
            } else {
                parts.join(" ")
            }
        )));
    }
    out.push(Line::raw(""));
    out.push(Line::raw(format!(
        "{:<18} {:>9} {:>14} {:>14} {:>8}  {}",
        "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID"
    )));
    for p in &d.offsets.partitions {
        let lag = p
            .current_offset
            .map_or_else(|| "-".to_string(), |c| (p.log_end_offset - c).to_string());
        out.push(Line::raw(format!(
            "{:<18} {:>9} {:>14} {:>14} {:>8}  {}",
            clip(&p.topic, 18),
            p.partition,
            p.current_offset
                .map_or_else(|| "-".to_string(), |o| o.to_string()),
            p.log_end_offset,
            lag,
            p.consumer_id.as_deref().unwrap_or("-")
        )));
    }
    out
}

/// Group, type, state, members, protocol.
const COLUMNS: [Col; 5] = [
    Col::text(0, 10).grow(),
    // `classic`, `consumer`: a word, whole or not at all.
    Col::whole(3),
    Col::text(1, 6),
    Col::whole(2),
    Col::text(3, 6),
];

impl Pane for GroupsState {
    fn title(&self) -> &'static str {
        strings::TAB_GROUPS
    }

    fn mode(&self) -> Mode {
        GroupsState::mode(self)
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        if let Some(rows) = step(action, self.browse.page()) {
            return self.browse.move_by(rows);
        }
        match action {
            Action::Back => self.browse.close(),
            Action::Refresh => self.refresh(cx),
            Action::Open => match self.selected().map(str::to_string) {
                Some(name) => {
                    self.browse.open(name.clone());
                    cx.admin(AdminRequest::DescribeGroup(name));
                }
                None => cx.info(strings::NO_GROUP_SELECTED),
            },
            Action::ResetOffsets => match self.selected() {
                // The plan itself is a dry run, allowed read-only; confirming it is gated.
                Some(name) => cx.effect(Effect::Palette(format!("reset {name} --to-earliest"))),
                None => cx.info(strings::NO_GROUP_SELECTED),
            },
            Action::Delete => match self.selected().map(str::to_string) {
                Some(name) => ask_delete(cx, &name),
                None => cx.info(strings::NO_GROUP_SELECTED),
            },
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let WorkerMsg::Admin(reply) = msg else {
            return Some(msg);
        };
        match *reply {
            AdminReply::Groups(r) => self.set_groups(r),
            AdminReply::Group { name, result } => self.set_group(&name, result),
            AdminReply::Plan(Ok(plan)) => {
                // The plan answers the "planning…" note; it would only linger.
                cx.effect(Effect::ClearToast);
                cx.effect(Effect::Dialog(Dialog::Plan(plan)));
            }
            AdminReply::Plan(Err(e)) => {
                cx.error(format!("✗ reset: {e}"));
                self.problem = Some(format!("reset: {e}"));
            }
            AdminReply::Done { action, result } if action.starts_with("groups.") => {
                match result {
                    Ok(msg) => {
                        cx.info(format!("✓ {msg}"));
                        self.problem = None;
                        // A deleted group has nothing left to describe.
                        if action == action::GROUP_DELETE {
                            self.browse.close();
                        }
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
        self.browse.move_by(rows);
        true
    }

    fn click(&mut self, m: MouseEvent, cx: &mut Cx<'_>) -> bool {
        match self.browse.click(m.row) {
            Some(true) => self.handle(Action::Open, cx),
            Some(false) => {}
            None => return false,
        }
        true
    }

    fn palette(&mut self, verb: &str, arg: &str, cx: &mut Cx<'_>) -> bool {
        let words: Vec<&str> = arg.split_whitespace().collect();
        let result = match verb {
            "reset" => ResetRequest::from_palette(&words).map(|req| {
                self.problem = None;
                cx.go(Tab::Groups);
                cx.info(strings::admin_started(&strings::planning_reset(&req.group)));
                cx.admin(AdminRequest::PlanReset {
                    group: req.group,
                    spec: req.spec,
                    scope: req.scope,
                });
            }),
            "group" | "groups" => match words.as_slice() {
                ["delete", name] => {
                    cx.go(Tab::Groups);
                    ask_delete(cx, name);
                    Ok(())
                }
                _ => Err(strings::GROUP_PALETTE_USAGE.to_string()),
            },
            _ => return false,
        };
        if let Err(e) = result {
            cx.error(format!("{e} ({})", strings::ADMIN_PALETTE_HELP));
        }
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t: &Theme = view.theme;
        let title = |name: &str| strings::group_title(name);
        if self
            .browse
            .render_open(frame, area, title, self.problem.as_ref(), t)
        {
            return;
        }
        let inner = frame_block(frame, area, strings::groups_title(self.names.len()), t);
        let inner = with_problem(frame, inner, self.problem.as_ref(), t);
        // Without admin APIs nothing is asked: the caps say why, once.
        let note = if view.caps.admin_apis {
            &self.note
        } else {
            &Note::NoAdmin
        };
        let body = with_note(frame, inner, note, t);
        if self.browse.list.rows().is_empty() {
            if self.note == Note::Ready {
                frame.render_widget(
                    Paragraph::new(strings::GROUPS_EMPTY).style(Style::new().fg(t.dim)),
                    body,
                );
            }
            return;
        }
        self.browse
            .list
            .render(frame, body, &strings::GROUP_COLUMNS, &COLUMNS, t);
    }
}

impl GroupsState {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        // Without admin APIs there is nothing to ask; say so once, do not retry.
        if !cx.settings.caps.admin_apis {
            return;
        }
        self.note = Note::Loading;
        cx.admin(AdminRequest::ListGroups);
        if let Some(name) = self.browse.open.as_ref().map(|o| o.name.clone()) {
            cx.admin(AdminRequest::DescribeGroup(name));
        }
    }
}

fn ask_delete(cx: &mut Cx<'_>, name: &str) {
    cx.ask(
        name,
        strings::delete_group_title(name),
        strings::delete_group_lines(name),
        AdminRequest::DeleteGroup(name.to_string()),
    );
}
