//! The Topics pane: every topic with partitions, replication factor and an
//! estimated record count; Enter describes one (partitions with leader,
//! replicas, ISR and watermarks, then its configs, overrides first). Replies
//! arrive from the ops worker and are formatted then, so `render` only draws.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::opsview::{Browse, Note, clip, frame_block, with_note, with_problem};
use super::{Pane, View};
use crate::kafka::admin::{ConfigValue, TopicDetail};
use crate::tui::fit::Col;
use crate::tui::keymap::Mode;
use crate::tui::ops_workers::{NoConfigs, TopicView};
use crate::tui::strings;
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
const COLUMNS: [Col; 5] = [
    Col::text(0, 10).grow(),
    Col::whole(1),
    Col::whole(3),
    Col::whole(2),
    Col::whole(4),
];

impl Pane for TopicsState {
    fn title(&self) -> &'static str {
        strings::TAB_TOPICS
    }

    fn mode(&self) -> Mode {
        TopicsState::mode(self)
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
