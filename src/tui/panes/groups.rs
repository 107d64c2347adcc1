//! The Groups pane: consumer groups with state and members; Enter describes one
//! (members with their assignments, then per partition the committed offset,
//! log end and lag, in `kafka-consumer-groups --describe` vocabulary). Resets
//! and deletes go through the dialogs in [`super::opsview`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::opsview::{ListView, Note, TextView, clip, frame_block, with_note};
use super::{Pane, View};
use crate::kafka::admin::{GroupDetail, GroupSummary};
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::theme::Theme;

/// The describe view of one group.
#[derive(Debug, Clone)]
pub struct GroupOpen {
    /// The group.
    pub name: String,
    /// What the worker said (`None` while loading).
    pub view: Option<TextView>,
    note: Note,
}

/// The Groups pane's state.
#[derive(Debug, Clone, Default)]
pub struct GroupsState {
    list: ListView,
    names: Vec<String>,
    /// The list's status.
    pub note: Note,
    /// The last change that failed, in full (the toast line may cut it); shown
    /// until the next change or refresh.
    pub problem: Option<String>,
    /// The group being described, if any.
    pub open: Option<GroupOpen>,
}

/// The pane.
pub fn pane() -> GroupsState {
    GroupsState::default()
}

impl GroupsState {
    /// The key mode.
    pub fn mode(&self) -> Mode {
        if self.open.is_some() {
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
                self.list.set_rows(
                    groups
                        .iter()
                        .map(|g| {
                            vec![
                                g.name.clone(),
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
            Err(e) => self.note = Note::failed(&e),
        }
    }

    /// The selected (or open) group's name.
    pub fn selected(&self) -> Option<&str> {
        if let Some(o) = &self.open {
            return Some(&o.name);
        }
        self.list.selected().map(|i| self.names[i].as_str())
    }

    /// Opens the describe view of `name`.
    pub fn open(&mut self, name: String) {
        self.open = Some(GroupOpen {
            name,
            view: None,
            note: Note::Loading,
        });
    }

    /// Closes the describe view.
    pub fn close(&mut self) {
        self.open = None;
    }

    /// A describe reply; one for another group is stale.
    pub fn set_group(&mut self, name: &str, result: Result<Box<GroupDetail>, String>) {
        let Some(open) = self.open.as_mut().filter(|o| o.name == name) else {
            return;
        };
        match result {
            Ok(d) => {
                open.view = Some(TextView::new(describe_lines(&d)));
                open.note = Note::Ready;
            }
            Err(e) => open.note = Note::failed(&e),
        }
    }

    /// The list row at screen line `y` (none while one item is open).
    pub fn row_at(&self, y: u16) -> Option<usize> {
        if self.open.is_some() {
            return None;
        }
        self.list.row_at(y)
    }

    /// The list's cursor row.
    pub fn selected_index(&self) -> Option<usize> {
        self.list.selected()
    }

    /// Moves the list's cursor to row `i`.
    pub fn select_index(&mut self, i: usize) {
        self.list.select_index(i);
    }

    /// Moves the cursor, or scrolls the describe view.
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
}

fn describe_lines(d: &GroupDetail) -> Vec<Line<'static>> {
    let info = &d.info;
    let mut out = vec![
        Line::raw(strings::group_summary(
            &info.state,
            info.members.len(),
            &info.protocol_type,
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

const WIDTHS: [Constraint; 4] = [
    Constraint::Min(24),
    Constraint::Length(20),
    Constraint::Length(8),
    Constraint::Length(10),
];

impl GroupsState {
    fn with_problem(&self, frame: &mut Frame<'_>, inner: Rect, t: &Theme) -> Rect {
        match &self.problem {
            Some(p) => with_note(frame, inner, &Note::Failed(p.clone()), t),
            None => inner,
        }
    }
}

impl Pane for GroupsState {
    fn title(&self) -> &'static str {
        strings::TAB_GROUPS
    }

    fn mode(&self) -> Mode {
        GroupsState::mode(self)
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t: &Theme = view.theme;
        if let Some(open) = &self.open {
            let inner = frame_block(frame, area, strings::group_title(&open.name), t);
            let inner = self.with_problem(frame, inner, t);
            let body = with_note(frame, inner, &open.note, t);
            if let Some(v) = &open.view {
                v.render(frame, body);
            }
            return;
        }
        let inner = frame_block(frame, area, strings::groups_title(self.names.len()), t);
        let inner = self.with_problem(frame, inner, t);
        let body = with_note(frame, inner, &self.note, t);
        if self.list.rows().is_empty() {
            if self.note == Note::Ready {
                frame.render_widget(
                    Paragraph::new(strings::GROUPS_EMPTY).style(Style::new().fg(t.dim)),
                    body,
                );
            }
            return;
        }
        self.list
            .render(frame, body, &strings::GROUP_COLUMNS, &WIDTHS, t);
    }
}
