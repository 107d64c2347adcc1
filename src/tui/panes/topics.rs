//! The Topics pane: every topic with partitions, replication factor and an
//! estimated record count; Enter describes one (partitions with leader,
//! replicas, ISR and watermarks, then its configs, overrides first). Replies
//! arrive from the ops worker and are formatted then, so `render` only draws.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::tui::widgets::{Browse, Note, clip, frame_block, step, with_note, with_problem};
use crossterm::event::MouseEvent;

use super::{Cx, Effect, Pane, View};
use crate::audit::action;
use crate::kafka::admin::NewTopicSpec;
use crate::kafka::admin::{ConfigValue, TopicDetail};
use crate::tui::action::Action;
use crate::tui::event::{AdminReply, AdminRequest, WorkerMsg};
use crate::tui::event::{NoConfigs, TopicView};
use crate::tui::fit::Col;
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;

/// The Topics pane's state.
#[derive(Debug, Clone, Default)]
pub struct TopicsState {
    /// The list, and the topic being described (its extra: the partition
    /// count once known, for `P`).
    pub browse: Browse<Option<usize>>,
    names: Vec<String>,
    /// The list's status.
    pub note: Note,
    /// The last change that failed, in full (the toast line may cut it); shown
    /// until the next change or refresh.
    pub problem: Option<String>,
}

/// The pane.
pub fn pane() -> TopicsState {
    TopicsState::default()
}

impl TopicsState {
    /// The key mode.
    pub fn mode(&self) -> Mode {
        if self.browse.open.is_some() {
            Mode::TopicDetail
        } else {
            Mode::Topics
        }
    }

    /// The topic list arrived (sorted by name), or failed.
    pub fn set_topics(&mut self, result: Result<Vec<TopicDetail>, String>) {
        match result {
            Ok(mut topics) => {
                topics.sort_by(|a, b| a.name.cmp(&b.name));
                self.names = topics.iter().map(|t| t.name.clone()).collect();
                self.browse.list.set_rows(topics.iter().map(row).collect());
                self.note = Note::Ready;
            }
            Err(e) => self.note = Note::Failed(e),
        }
    }

    /// The selected topic's name.
    pub fn selected(&self) -> Option<&str> {
        if let Some(o) = &self.browse.open {
            return Some(&o.name);
        }
        self.browse.list.selected().map(|i| self.names[i].as_str())
    }

    /// Topic names as listed.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// A describe reply; one for another topic than the open one is stale.
    pub fn set_topic(&mut self, name: &str, result: Result<Box<TopicView>, String>) {
        // The extra is the partition count, once known (for `P`).
        self.browse.set_open(
            name,
            result.map(|v| (describe_lines(&v), Some(v.detail.partitions.len()))),
        );
    }
}

fn row(t: &TopicDetail) -> Vec<String> {
    let under = t.under_replicated();
    vec![
        t.name.clone(),
        t.partitions.len().to_string(),
        t.replication_factor.to_string(),
        t.estimated_count.to_string(),
        if under == 0 {
            "-".into()
        } else {
            under.to_string()
        },
        t.last_record_ms
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
    ]
}

fn describe_lines(v: &TopicView) -> Vec<Line<'static>> {
    let d = &v.detail;
    let mut out = vec![
        Line::raw(strings::topic_summary(d)),
        Line::raw(""),
        Line::raw(format!(
            "{:>9}  {:>6}  {:<14} {:<14} {:>12} {:>12}",
            "PARTITION", "LEADER", "REPLICAS", "ISR", "LOW", "HIGH"
        )),
    ];
    for p in &d.partitions {
        out.push(Line::raw(format!(
            "{:>9}  {:>6}  {:<14} {:<14} {:>12} {:>12}",
            p.partition,
            p.leader,
            ids(&p.replicas),
            ids(&p.isr),
            p.low,
            p.high
        )));
    }
    out.push(Line::raw(""));
    match &v.configs {
        Ok(configs) => {
            let overrides = configs.iter().filter(|c| c.source == "topic").count();
            out.push(Line::raw(strings::topic_configs_head(
                configs.len(),
                overrides,
            )));
            out.push(Line::raw(format!(
                "  {:<40} {:<24} {}",
                "NAME", "VALUE", "SOURCE"
            )));
            let mut sorted: Vec<&ConfigValue> = configs.iter().collect();
            sorted.sort_by_key(|c| (c.source != "topic", c.name.clone()));
            for c in sorted {
                let mark = if c.source == "topic" { "*" } else { " " };
                out.push(Line::raw(format!(
                    "{mark} {:<40} {:<24} {}",
                    clip(&c.name, 40),
                    clip(c.value.as_deref().unwrap_or("-"), 24),
                    c.source
                )));
            }
        }
        Err(NoConfigs::Unsupported) => out.push(Line::raw(strings::NO_ADMIN_CONFIGS.to_string())),
        Err(NoConfigs::Failed(e)) => out.push(Line::raw(format!("✗ configs: {e}"))),
    }
    out
}

fn ids(v: &[i32]) -> String {
    let s: Vec<String> = v.iter().map(i32::to_string).collect();
    s.join(",")
}

/// Topic, partitions, replication factor, estimated records, under-replicated.
const COLUMNS: [Col; 6] = [
    Col::text(0, 10).grow(),
    Col::whole(1),
    Col::whole(3),
    Col::whole(2),
    Col::whole(4),
    // A time: whole or not at all.
    Col::whole(5),
];

impl Pane for TopicsState {
    fn title(&self) -> &'static str {
        strings::TAB_TOPICS
    }

    fn mode(&self) -> Mode {
        TopicsState::mode(self)
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
                    cx.admin(AdminRequest::DescribeTopic(name));
                }
                None => cx.info(strings::NO_TOPIC_SELECTED),
            },
            Action::CreateTopic if cx.gate(action::TOPIC_CREATE) => {
                cx.effect(Effect::Palette("topic create ".into()));
            }
            Action::Delete | Action::EmptyTopic | Action::AddPartitions | Action::EditConfig => {
                let Some(name) = self.selected().map(str::to_string) else {
                    return cx.info(strings::NO_TOPIC_SELECTED);
                };
                match action {
                    Action::Delete => ask_delete(cx, &name),
                    Action::EmptyTopic => ask_empty(cx, &name),
                    Action::AddPartitions => {
                        if cx.gate(action::TOPIC_ADD_PARTITIONS) {
                            let next = self
                                .browse
                                .open
                                .as_ref()
                                .and_then(|o| o.extra)
                                .map(|n| format!("{}", n + 1))
                                .unwrap_or_default();
                            cx.effect(Effect::Palette(format!("topic partitions {name} {next}")));
                        }
                    }
                    _ => {
                        if cx.gate(action::TOPIC_CONFIG) {
                            cx.effect(Effect::Palette(format!("topic config {name} ")));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let WorkerMsg::Admin(reply) = msg else {
            return Some(msg);
        };
        match *reply {
            AdminReply::Topics(r) => self.set_topics(r),
            AdminReply::Topic { name, result } => self.set_topic(&name, result),
            AdminReply::Done { action, result } if action.starts_with("topics.") => {
                match result {
                    Ok(msg) => {
                        cx.info(format!("✓ {msg}"));
                        self.problem = None;
                        // A deleted topic has nothing left to describe.
                        if action == action::TOPIC_DELETE {
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
        if verb != "topic" && verb != "topics" {
            return false;
        }
        let words: Vec<&str> = arg.split_whitespace().collect();
        if let Err(e) = self.palette_topic(&words, cx) {
            cx.error(format!("{e} ({})", strings::ADMIN_PALETTE_HELP));
        }
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t: &Theme = view.theme;
        let title = |name: &str| strings::topic_title(name);
        if self
            .browse
            .render_open(frame, area, title, self.problem.as_ref(), t)
        {
            return;
        }
        let inner = frame_block(frame, area, strings::topics_title(self.names.len()), t);
        let inner = if !view.caps.admin_apis {
            with_note(frame, inner, &Note::NoAdmin, t)
        } else {
            inner
        };
        let inner = with_problem(frame, inner, self.problem.as_ref(), t);
        let body = with_note(frame, inner, &self.note, t);
        if self.browse.list.rows().is_empty() {
            if self.note == Note::Ready {
                frame.render_widget(
                    Paragraph::new(strings::TOPICS_EMPTY).style(Style::new().fg(t.dim)),
                    body,
                );
            }
            return;
        }
        self.browse
            .list
            .render(frame, body, &strings::TOPIC_COLUMNS, &COLUMNS, t);
    }
}

/// The Topics pane's requests and palette commands.
impl TopicsState {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        self.note = Note::Loading;
        cx.admin(AdminRequest::ListTopics);
        if let Some(name) = self.browse.open.as_ref().map(|o| o.name.clone()) {
            cx.admin(AdminRequest::DescribeTopic(name));
        }
    }

    /// A change: its last failure is no longer the news.
    fn change(&mut self, cx: &mut Cx<'_>, started: String, req: AdminRequest) {
        self.problem = None;
        cx.go(Tab::Topics);
        cx.info(strings::admin_started(&started));
        cx.admin(req);
    }

    /// `:topic init|create|delete|empty|partitions|config …`.
    fn palette_topic(&mut self, words: &[&str], cx: &mut Cx<'_>) -> Result<(), String> {
        match words {
            ["init"] => {
                let topics = crate::provision::wanted_topics(cx.settings);
                cx.go(Tab::Topics);
                cx.ask(
                    "init",
                    strings::INIT_TOPICS_TITLE.to_string(),
                    vec![
                        strings::INIT_TOPICS_WHAT.to_string(),
                        topics.join(" "),
                        strings::INIT_TOPICS_HOW.to_string(),
                    ],
                    AdminRequest::InitTopics,
                );
            }
            ["create", name, rest @ ..] => {
                let spec = NewTopicSpec::from_words(name, rest)?;
                if cx.gate(action::TOPIC_CREATE) {
                    self.change(
                        cx,
                        strings::creating_topic(name),
                        AdminRequest::CreateTopic(spec),
                    );
                }
            }
            ["delete", name] => {
                cx.go(Tab::Topics);
                ask_delete(cx, name);
            }
            ["empty", name] => {
                cx.go(Tab::Topics);
                ask_empty(cx, name);
            }
            ["partitions", name, total] => {
                let total = total
                    .parse::<usize>()
                    .map_err(|_| strings::not_a_partition_count(total))?;
                if cx.gate(action::TOPIC_ADD_PARTITIONS) {
                    self.change(
                        cx,
                        strings::growing_topic(name, total),
                        AdminRequest::AddPartitions {
                            topic: name.to_string(),
                            total,
                        },
                    );
                }
            }
            ["config", name, kv] => {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| strings::not_a_config(kv))?;
                if cx.gate(action::TOPIC_CONFIG) {
                    self.change(
                        cx,
                        strings::setting_config(k, name),
                        AdminRequest::SetConfig {
                            topic: name.to_string(),
                            key: k.to_string(),
                            value: (!v.is_empty()).then(|| v.to_string()),
                        },
                    );
                }
            }
            _ => return Err(strings::TOPIC_PALETTE_UNKNOWN.into()),
        }
        Ok(())
    }
}

fn ask_delete(cx: &mut Cx<'_>, name: &str) {
    cx.ask(
        name,
        strings::delete_topic_title(name),
        strings::delete_topic_lines(name),
        AdminRequest::DeleteTopic(name.to_string()),
    );
}

fn ask_empty(cx: &mut Cx<'_>, name: &str) {
    cx.ask(
        name,
        strings::empty_topic_title(name),
        strings::empty_topic_lines(name),
        AdminRequest::EmptyTopic(name.to_string()),
    );
}
