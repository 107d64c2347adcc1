//! The App's handlers for the Topics, Groups and Audit panes: their actions, the
//! `:topic`/`:reset`/`:group`/`:audit` palette commands, the confirmation
//! dialogs, the ops worker's replies, and [`App::gate`]: the console's side of
//! the one read-only gate (`audit::authorize`) every mutation passes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Prompt, Tab};
use crate::audit::{self, action};
use crate::kafka::admin::NewTopicSpec;
use crate::mutate::groups::ResetRequest;
use crate::tui::action::Action;
use crate::tui::event::Command;
use crate::tui::ops_workers::{OpsReply, OpsRequest};
use crate::tui::panes::opsview::{Note, OpsDialog, TypedConfirm};
use crate::tui::strings;

impl App {
    /// Lets a mutating action through, or says plainly why not (read-only
    /// mode). Every console mutation asks here first; the workers ask
    /// `audit::authorize` again before touching Kafka.
    pub(super) fn gate(&mut self, name: &str) -> bool {
        match audit::authorize(&self.settings, name) {
            Ok(()) => true,
            Err(e) => {
                self.toast_error(strings::read_only_refused(&e));
                false
            }
        }
    }

    fn ops(&mut self, req: OpsRequest) {
        if req.mutation().is_some() && !self.admin_apis() {
            return;
        }
        if req.mutation().is_some() || matches!(req, OpsRequest::PlanReset { .. }) {
            self.topics.problem = None;
            self.groups.problem = None;
        }
        self.commands.push(Command::Ops(Box::new(req)));
    }

    /// False (with a plain toast) when the broker has no admin APIs (its
    /// caps, decided when the brokers were chosen, say so).
    fn admin_apis(&mut self) -> bool {
        if !self.settings.caps.admin_apis {
            self.toast_error(strings::NO_ADMIN_API);
            return false;
        }
        true
    }

    /// The first visit to an ops tab loads it.
    pub(super) fn on_ops_tab(&mut self, tab: Tab) {
        match tab {
            Tab::Topics if self.topics.note == Note::Idle => self.refresh_topics(),
            Tab::Groups if self.groups.note == Note::Idle => self.refresh_groups(),
            Tab::Audit => self.refresh_audit(),
            _ => {}
        }
    }

    fn refresh_topics(&mut self) {
        self.topics.note = Note::Loading;
        self.ops(OpsRequest::ListTopics);
        if let Some(name) = self.topics.browse.open.as_ref().map(|o| o.name.clone()) {
            self.ops(OpsRequest::DescribeTopic(name));
        }
    }

    fn refresh_groups(&mut self) {
        // Without admin APIs there is nothing to ask; say so once, do not retry.
        if !self.settings.caps.admin_apis {
            return;
        }
        self.groups.note = Note::Loading;
        self.ops(OpsRequest::ListGroups);
        if let Some(name) = self.groups.browse.open.as_ref().map(|o| o.name.clone()) {
            self.ops(OpsRequest::DescribeGroup(name));
        }
    }

    fn refresh_audit(&mut self) {
        self.audit.note = Note::Loading;
        self.ops(OpsRequest::ReadAudit);
    }

    /// A mutation happened somewhere (inject, redrive, ops): the audit view,
    /// once loaded, reads the log again.
    pub(super) fn audit_changed(&mut self) {
        if self.audit.note != Note::Idle {
            self.ops(OpsRequest::ReadAudit);
        }
    }

    /// Applies an ops worker reply.
    pub(super) fn apply_ops(&mut self, reply: OpsReply) {
        match reply {
            OpsReply::Topics(r) => self.topics.set_topics(r),
            OpsReply::Topic { name, result } => self.topics.set_topic(&name, result),
            OpsReply::Groups(r) => self.groups.set_groups(r),
            OpsReply::Group { name, result } => self.groups.set_group(&name, result),
            OpsReply::Audit(r) => self.audit.set_entries(r),
            OpsReply::Plan(Ok(plan)) => {
                // The plan answers the "planning…" note; it would only linger.
                self.toast = None;
                self.ops_dialog = Some(OpsDialog::Plan(plan));
            }
            OpsReply::Plan(Err(e)) => {
                self.toast_error(format!("✗ reset: {e}"));
                self.groups.problem = Some(format!("reset: {e}"));
            }
            OpsReply::Done { action, result } => {
                let ok = result.is_ok();
                match result {
                    Ok(msg) => self.toast_info(format!("✓ {msg}")),
                    Err(e) => {
                        self.toast_error(format!("✗ {e}"));
                        if action.starts_with("groups.") {
                            self.groups.problem = Some(e);
                        } else {
                            self.topics.problem = Some(e);
                        }
                    }
                }
                // A deleted topic or group has nothing left to describe.
                if action.starts_with("topics.") {
                    if ok && action == action::TOPIC_DELETE {
                        self.topics.browse.close();
                    }
                    self.refresh_topics();
                } else if action.starts_with("groups.") {
                    if ok && action == action::GROUP_DELETE {
                        self.groups.browse.close();
                    }
                    self.refresh_groups();
                }
                self.audit_changed();
            }
        }
    }

    /// Keys typed into the type-the-name dialog.
    pub(super) fn edit_ops_dialog(&mut self, ev: KeyEvent) {
        let Some(OpsDialog::Typed(c)) = self.ops_dialog.as_mut() else {
            return;
        };
        match ev.code {
            KeyCode::Char('u') if ev.modifiers.contains(KeyModifiers::CONTROL) => c.typed.clear(),
            KeyCode::Char(ch) if !ev.modifiers.contains(KeyModifiers::CONTROL) => c.typed.push(ch),
            KeyCode::Backspace => {
                c.typed.pop();
            }
            _ => {}
        }
    }

    /// Enter (or `y`) in a dialog: runs it if the typed name matches / the plan
    /// is confirmed, after the gate.
    pub(super) fn confirm_ops_dialog(&mut self) {
        match self.ops_dialog.take() {
            Some(OpsDialog::Typed(c)) => {
                if !c.matches() {
                    self.ops_dialog = Some(OpsDialog::Typed(c));
                    self.toast_error(strings::CONFIRM_MISMATCH);
                    return;
                }
                if let Some(name) = c.request.mutation()
                    && !self.gate(name)
                {
                    return;
                }
                self.toast_info(strings::ops_started(&c.title));
                self.ops(c.request);
            }
            Some(OpsDialog::Plan(plan)) => {
                if !self.gate(action::GROUP_RESET_OFFSETS) {
                    return;
                }
                self.toast_info(strings::ops_started(&format!(
                    "committing the new offsets of {}",
                    plan.group
                )));
                self.ops(OpsRequest::ExecuteReset(plan));
            }
            None => {}
        }
    }

    fn palette_with(&mut self, text: String) {
        self.prompt = Some(Prompt::Palette(text));
    }

    pub(super) fn update_topics(&mut self, action: Action) {
        let page = self.topics.browse.page() as isize;
        match action {
            Action::Up => self.topics.browse.move_by(-1),
            Action::Down => self.topics.browse.move_by(1),
            Action::PageUp => self.topics.browse.move_by(-page),
            Action::PageDown => self.topics.browse.move_by(page),
            Action::Refresh => self.refresh_topics(),
            Action::Open => match self.topics.selected().map(str::to_string) {
                Some(name) => {
                    self.topics.browse.open(name.clone());
                    self.ops(OpsRequest::DescribeTopic(name));
                }
                None => self.toast_info(strings::NO_TOPIC_SELECTED),
            },
            Action::CreateTopic if self.gate(action::TOPIC_CREATE) => {
                self.palette_with("topic create ".into());
            }
            Action::Delete | Action::EmptyTopic | Action::AddPartitions | Action::EditConfig => {
                let Some(name) = self.topics.selected().map(str::to_string) else {
                    self.toast_info(strings::NO_TOPIC_SELECTED);
                    return;
                };
                match action {
                    Action::Delete => self.ask_delete_topic(&name),
                    Action::EmptyTopic => self.ask_empty_topic(&name),
                    Action::AddPartitions => {
                        if self.gate(action::TOPIC_ADD_PARTITIONS) {
                            let next = self
                                .topics
                                .browse
                                .open
                                .as_ref()
                                .and_then(|o| o.extra)
                                .map(|n| format!("{}", n + 1))
                                .unwrap_or_default();
                            self.palette_with(format!("topic partitions {name} {next}"));
                        }
                    }
                    _ => {
                        if self.gate(action::TOPIC_CONFIG) {
                            self.palette_with(format!("topic config {name} "));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn update_groups(&mut self, action: Action) {
        let page = self.groups.browse.page() as isize;
        match action {
            Action::Up => self.groups.browse.move_by(-1),
            Action::Down => self.groups.browse.move_by(1),
            Action::PageUp => self.groups.browse.move_by(-page),
            Action::PageDown => self.groups.browse.move_by(page),
            Action::Refresh => self.refresh_groups(),
            Action::Open => match self.groups.selected().map(str::to_string) {
                Some(name) => {
                    self.groups.browse.open(name.clone());
                    self.ops(OpsRequest::DescribeGroup(name));
                }
                None => self.toast_info(strings::NO_GROUP_SELECTED),
            },
            Action::ResetOffsets => match self.groups.selected().map(str::to_string) {
                // The plan itself is a dry run, allowed read-only; confirming it is gated.
                Some(name) => self.palette_with(format!("reset {name} --to-earliest")),
                None => self.toast_info(strings::NO_GROUP_SELECTED),
            },
            Action::Delete => match self.groups.selected().map(str::to_string) {
                Some(name) => self.ask_delete_group(&name),
                None => self.toast_info(strings::NO_GROUP_SELECTED),
            },
            _ => {}
        }
    }

    pub(super) fn update_audit(&mut self, action: Action) {
        let page = self.audit.page() as isize;
        match action {
            Action::Up => self.audit.move_by(-1),
            Action::Down => self.audit.move_by(1),
            Action::PageUp => self.audit.move_by(-page),
            Action::PageDown => self.audit.move_by(page),
            Action::Top => self.audit.top(),
            Action::Bottom => self.audit.bottom(),
            Action::Open if !self.audit.open(&self.theme) => {
                self.toast_info(strings::NOTHING_SELECTED)
            }
            Action::Refresh => self.refresh_audit(),
            _ => {}
        }
    }

    fn ask(&mut self, name: &str, title: String, lines: Vec<String>, request: OpsRequest) {
        if let Some(a) = request.mutation()
            && !self.gate(a)
        {
            return;
        }
        if !self.admin_apis() {
            return;
        }
        self.ops_dialog = Some(OpsDialog::Typed(TypedConfirm {
            title: format!(" {title} "),
            lines,
            expected: name.to_string(),
            typed: String::new(),
            request,
        }));
    }

    fn ask_delete_topic(&mut self, name: &str) {
        self.ask(
            name,
            format!("Delete topic {name}"),
            vec![
                format!("Topic {name} and every record in it will be deleted."),
                "Consumers and producers of it will see it vanish.".into(),
            ],
            OpsRequest::DeleteTopic(name.to_string()),
        );
    }

    fn ask_empty_topic(&mut self, name: &str) {
        self.ask(
            name,
            format!("Empty topic {name}"),
            vec![
                format!(
                    "Every record of {name} will be deleted (DeleteRecords up to the log end)."
                ),
                "The topic and its configs stay.".into(),
            ],
            OpsRequest::EmptyTopic(name.to_string()),
        );
    }

    fn ask_delete_group(&mut self, name: &str) {
        self.ask(
            name,
            format!("Delete group {name}"),
            vec![
                format!("Consumer group {name} and its committed offsets will be deleted."),
                "Kafka refuses this while the group has active members.".into(),
            ],
            OpsRequest::DeleteGroup(name.to_string()),
        );
    }

    /// `:topic …`, `:reset …`, `:group …`, `:audit`.
    pub(super) fn run_ops_palette(&mut self, verb: &str, arg: &str) {
        let words: Vec<&str> = arg.split_whitespace().collect();
        let result = match verb {
            "audit" => {
                self.switch_tab(Tab::Audit);
                Ok(())
            }
            "reset" => self.palette_reset(&words),
            "group" | "groups" => match words.as_slice() {
                ["delete", name] => {
                    self.switch_tab(Tab::Groups);
                    self.ask_delete_group(name);
                    Ok(())
                }
                _ => Err("use: group delete NAME".to_string()),
            },
            _ => self.palette_topic(&words),
        };
        if let Err(e) = result {
            self.toast_error(format!("{e} ({})", strings::OPS_PALETTE_HELP));
        }
    }

    fn palette_topic(&mut self, words: &[&str]) -> Result<(), String> {
        match words {
            ["init"] => {
                let topics = crate::provision::wanted_topics(&self.settings);
                self.switch_tab(Tab::Topics);
                self.ask(
                    "init",
                    strings::INIT_TOPICS_TITLE.to_string(),
                    vec![
                        strings::INIT_TOPICS_WHAT.to_string(),
                        topics.join(" "),
                        strings::INIT_TOPICS_HOW.to_string(),
                    ],
                    OpsRequest::InitTopics,
                );
                Ok(())
            }
            ["create", name, rest @ ..] => {
                let mut spec = NewTopicSpec {
                    name: name.to_string(),
                    partitions: 1,
                    replication_factor: 1,
                    configs: Vec::new(),
                };
                for w in rest {
                    let (k, v) = w
                        .split_once('=')
                        .ok_or_else(|| format!("'{w}' is not KEY=VALUE"))?;
                    let n = || {
                        v.parse::<i32>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| format!("{k}: '{v}' is not a positive number"))
                    };
                    match k {
                        "partitions" | "p" => spec.partitions = n()?,
                        "rf" | "replication-factor" | "replication_factor" => {
                            spec.replication_factor = n()?
                        }
                        _ => spec.configs.push((k.to_string(), v.to_string())),
                    }
                }
                if !self.gate(action::TOPIC_CREATE) {
                    return Ok(());
                }
                self.switch_tab(Tab::Topics);
                self.toast_info(strings::ops_started(&format!("creating topic {name}")));
                self.ops(OpsRequest::CreateTopic(spec));
                Ok(())
            }
            ["delete", name] => {
                self.switch_tab(Tab::Topics);
                self.ask_delete_topic(name);
                Ok(())
            }
            ["empty", name] => {
                self.switch_tab(Tab::Topics);
                self.ask_empty_topic(name);
                Ok(())
            }
            ["partitions", name, total] => {
                let total = total
                    .parse::<usize>()
                    .map_err(|_| format!("'{total}' is not a partition count"))?;
                if !self.gate(action::TOPIC_ADD_PARTITIONS) {
                    return Ok(());
                }
                self.toast_info(strings::ops_started(&format!(
                    "growing {name} to {total} partitions"
                )));
                self.ops(OpsRequest::AddPartitions {
                    topic: name.to_string(),
                    total,
                });
                Ok(())
            }
            ["config", name, kv] => {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("'{kv}' is not KEY=VALUE (KEY= removes it)"))?;
                if !self.gate(action::TOPIC_CONFIG) {
                    return Ok(());
                }
                self.toast_info(strings::ops_started(&format!("setting {k} on {name}")));
                self.ops(OpsRequest::SetConfig {
                    topic: name.to_string(),
                    key: k.to_string(),
                    value: (!v.is_empty()).then(|| v.to_string()),
                });
                Ok(())
            }
            _ => Err("unknown topic command".into()),
        }
    }

    fn palette_reset(&mut self, words: &[&str]) -> Result<(), String> {
        let req = ResetRequest::from_palette(words)?;
        self.switch_tab(Tab::Groups);
        self.toast_info(strings::ops_started(&format!(
            "planning the reset of {}",
            req.group
        )));
        self.ops(OpsRequest::PlanReset {
            group: req.group,
            spec: req.spec,
            scope: req.scope,
        });
        Ok(())
    }
}
