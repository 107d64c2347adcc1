//! The App's handlers for the Lag and DLQ panes: their actions, the lag worker's
//! snapshots, the DLQ reader's and the redrive's reports, and their mouse input.
//! State lives in the panes; this file only routes.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::{App, Prompt, Tab};
use crate::kafka::StartAt;
use crate::tui::action::Action;
use crate::tui::event::{Command, WorkerMsg};
use crate::tui::panes::dlq::DlqView;
use crate::tui::panes::lag::LagUpdate;
use crate::tui::strings;

impl App {
    /// Applies the lag worker's latest snapshot.
    pub fn apply_lag(&mut self, update: LagUpdate) {
        self.dirty = true;
        if let Some(e) = self.lag.apply(update) {
            self.toast_error(strings::lag_error(&e));
        }
    }

    pub(super) fn apply_dlq(&mut self, msg: WorkerMsg) {
        match msg {
            WorkerMsg::DeadLetters(batch) => {
                self.dlq.ingest(batch);
                // One budget: the streams get what the dead letters leave.
                self.streams
                    .set_memory_budget(self.memory_bytes.saturating_sub(self.dlq.held_bytes()));
            }
            WorkerMsg::DlqProblem(p) => self.dlq.set_problem(Some(p)),
            WorkerMsg::DlqTopics(topics) => self.dlq.set_topics(topics),
            WorkerMsg::RedriveProgress { done, total } => self.dlq.progress(done, total),
            WorkerMsg::RedriveDone(result) => {
                self.audit_changed();
                match &result {
                    Ok(o) if o.failed.is_empty() => {
                        self.toast_info(strings::redrive_outcome(o.delivered, 0));
                    }
                    Ok(o) => {
                        self.toast_error(strings::redrive_outcome(o.delivered, o.failed.len()))
                    }
                    Err(e) => self.toast_error(strings::redrive_failed(e)),
                }
                self.dlq.finish(result);
            }
            _ => {}
        }
    }

    /// The `/` filter goes to the pane on screen.
    pub(super) fn set_tab_filter(&mut self, text: &str) {
        if self.tab == Tab::Dlq {
            self.dlq.set_filter(text);
        } else {
            self.streams.set_filter(text);
        }
    }

    pub(super) fn update_lag(&mut self, action: Action) {
        let page = self.lag.page() as isize;
        match action {
            Action::Up => self.lag.move_by(-1),
            Action::Down => self.lag.move_by(1),
            Action::PageUp => self.lag.move_by(-page),
            Action::PageDown => self.lag.move_by(page),
            Action::Top => self.lag.move_by(isize::MIN / 2),
            Action::Bottom => self.lag.move_by(isize::MAX / 2),
            Action::SortNext => self.lag.cycle_sort(1),
            Action::SortPrev => self.lag.cycle_sort(-1),
            Action::SortReverse => self.lag.reverse(),
            Action::Open if !self.lag.open() => self.toast_info(strings::LAG_NOTHING_SELECTED),
            _ => {}
        }
    }

    pub(super) fn update_dlq(&mut self, action: Action) {
        let page = self.dlq.page() as isize;
        match action {
            Action::Up => self.dlq.move_by(-1),
            Action::Down => self.dlq.move_by(1),
            Action::PageUp => self.dlq.move_by(-page),
            Action::PageDown => self.dlq.move_by(page),
            Action::Top => self.dlq.move_by(isize::MIN / 2),
            Action::Bottom => {
                self.dlq.move_by(isize::MAX / 2);
                // A dead letter's last page, not its last line alone.
                if self.dlq.view() == DlqView::Detail {
                    self.dlq.move_by(1 - page);
                }
            }
            Action::Open if !self.dlq.open(&self.theme) => {
                self.toast_info(strings::NOTHING_SELECTED)
            }
            Action::Filter => {
                let previous = self.dlq.filter_text().to_string();
                self.prompt = Some(Prompt::Filter {
                    text: previous.clone(),
                    previous,
                });
            }
            Action::ClearFilter => self.dlq.set_filter(""),
            Action::Mark if !self.dlq.toggle_mark() => self.toast_info(strings::NOTHING_SELECTED),
            Action::ToggleStack => match self.dlq.current() {
                Some(r) if r.letter.stacktrace.is_none() => {
                    self.toast_info(strings::DLQ_NO_STACK_TO_TOGGLE)
                }
                _ => self.dlq.toggle_stack(&self.theme),
            },
            Action::Redrive => {
                let picked = self.dlq.selection();
                if !self.dlq.preview(picked) {
                    self.toast_info(strings::REDRIVE_NONE);
                }
            }
            Action::RedriveAll => {
                let all = self.dlq.matching();
                if !self.dlq.preview(all) {
                    self.toast_info(strings::REDRIVE_NONE);
                }
            }
            Action::OpenOriginal => self.open_original(),
            _ => {}
        }
    }

    /// Confirm in the redrive dialog: refused in read-only mode (the runtime's
    /// `audit::authorize` refuses too), else the request goes to the runtime.
    pub(super) fn confirm_redrive(&mut self) {
        if !self.dlq.dialog_open() {
            return;
        }
        let previewing = matches!(
            self.dlq.redrive(),
            Some(crate::tui::panes::dlq::RedriveStage::Preview(_))
        );
        if previewing && !self.gate(crate::audit::action::DLQ_REDRIVE) {
            self.dlq.cancel();
            return;
        }
        if let Some(req) = self.dlq.confirm() {
            self.commands.push(Command::Redrive(Box::new(req)));
        }
    }

    fn open_original(&mut self) {
        let Some(r) = self.dlq.current() else {
            self.toast_info(strings::NOTHING_SELECTED);
            return;
        };
        let l = &r.letter;
        let Some(topic) = l.original_topic.clone() else {
            self.toast_error(strings::NO_ORIGINAL);
            return;
        };
        if !self.streams.streams().iter().any(|s| s.topic == topic) {
            self.toast_error(strings::original_not_tailed(&topic));
            return;
        }
        let key = r.record.key_text();
        let partition = l.original_partition.unwrap_or(0);
        // Our bridge's local handlers run on the publish itself, so the dead
        // letter names no offset; its event id (kept in the dead letter's
        // body and headers) finds the original among what Streams read.
        let event_id = l.is_local().then(|| r.record.decode().event_id()).flatten();
        match (l.original_offset, event_id, key) {
            (Some(offset), _, _) => {
                self.switch_tab(Tab::Streams);
                self.seek(StartAt::Offset(offset), &format!("offset {offset}"));
                self.streams.set_filter(&format!("topic:{topic}"));
                self.toast_info(strings::original_opened(&topic, partition, offset));
            }
            (None, Some(id), _) => {
                // What the filter below matches, on the exact topic (the
                // filter's `topic:` also matches the DLQ's longer name).
                let in_memory = self.streams.holds(|e| {
                    e.record.topic == topic
                        && e.record
                            .value
                            .as_deref()
                            .is_some_and(|v| v.windows(id.len()).any(|w| w == id.as_bytes()))
                });
                self.switch_tab(Tab::Streams);
                self.streams.set_filter(&format!("topic:{topic} {id}"));
                self.toast_info(strings::original_local(in_memory));
            }
            (None, None, Some(key)) => {
                let in_memory = self.streams.holds(|e| {
                    e.record.topic == topic && e.record.key_text().as_deref() == Some(&key)
                });
                self.switch_tab(Tab::Streams);
                self.streams.set_filter(&format!("topic:{topic} key:{key}"));
                self.toast_info(strings::original_by_key(&topic, &key, in_memory));
            }
            (None, None, None) => self.toast_error(strings::NO_ORIGINAL),
        }
    }

    /// A click in the Lag or DLQ pane selects a row, and a click on the
    /// selected row opens it. True when handled.
    pub(super) fn click_lag_dlq(&mut self, m: MouseEvent) -> bool {
        if !matches!(self.tab, Tab::Lag | Tab::Dlq) || self.help.is_some() {
            return false;
        }
        if self.tab == Tab::Dlq && self.dlq.dialog_open() {
            return false;
        }
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if self.tab == Tab::Lag {
                    let Some(i) = self.lag.row_at(m.row) else {
                        return false;
                    };
                    if self.lag.drilled().is_some() {
                        let cur = self.lag_part_selected();
                        self.lag.move_by(i as isize - cur as isize);
                    } else if self.lag.selected_index() == i {
                        self.update(Action::Open);
                    } else {
                        self.lag.select_index(i);
                    }
                } else {
                    if self.dlq.view() == DlqView::Detail {
                        return false;
                    }
                    let Some(i) = self.dlq.row_at(m.row) else {
                        return false;
                    };
                    if self.dlq.selected_index() == i {
                        self.update(Action::Open);
                    } else {
                        self.dlq.select_index(i);
                    }
                }
                self.dirty = true;
                true
            }
            _ => false,
        }
    }

    fn lag_part_selected(&self) -> usize {
        self.lag.part_selected()
    }
}
