//! The console's replay: `:replay ctx=debate from=TIME [to=TIME]
//! [to-topic=T|to-handlers] [rate=N]` reads the range first (a dry run: how
//! many records, per partition), asks for confirmation, then shows progress and
//! the outcome in a popup. The work is [`crate::replay`]'s, the same functions
//! `eventdeck replay` calls.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Cx, View};
use crate::domain::TopicMap;
use crate::replay::{DEFAULT_RATE, Outcome, Plan, Request, Target};
use crate::tui::event::{Command, WorkerMsg};
use crate::tui::strings;

/// Partitions listed in the popup before "+N more".
const PARTITIONS_SHOWN: usize = 6;
/// Width of the progress bar in cells.
const BAR_WIDTH: usize = 40;

/// Where a console replay is.
#[derive(Debug, Clone)]
pub enum ReplayState {
    /// Reading the range (the dry run).
    Planning(Request),
    /// The dry run's answer, waiting for `y`.
    Preview(Arc<Plan>),
    /// Replaying.
    Running {
        /// What runs.
        plan: Arc<Plan>,
        /// Records done.
        done: usize,
    },
    /// Finished (or failed before it could start).
    Done {
        /// The plan, when there was one.
        plan: Option<Arc<Plan>>,
        /// How it went.
        outcome: Result<Outcome, String>,
    },
}

/// `:replay …`: the request read (after the gate) and its dry run asked for;
/// `None` (with the toast saying why) when it cannot start.
pub fn start(
    args: &str,
    topics: &TopicMap,
    has_handlers: bool,
    cx: &mut Cx<'_>,
) -> Option<ReplayState> {
    if !cx.gate(crate::audit::action::REPLAY) {
        return None;
    }
    let request = match parse_request(args, topics, Utc::now()) {
        Ok(r) => r,
        Err(e) => {
            cx.error(e);
            return None;
        }
    };
    if request.target == Target::Handlers && !has_handlers {
        cx.error(strings::REPLAY_NO_HANDLERS);
        return None;
    }
    cx.command(Command::ReplayPlan(request.clone()));
    Some(ReplayState::Planning(request))
}

/// `y` on the preview: the replay runs (after the gate); an empty preview
/// just closes.
pub fn confirm(state: &mut Option<ReplayState>, cx: &mut Cx<'_>) {
    let Some(ReplayState::Preview(plan)) = state else {
        return;
    };
    if plan.records.is_empty() {
        *state = None;
        return;
    }
    let plan = plan.clone();
    if cx.gate(crate::audit::action::REPLAY) {
        cx.command(Command::ReplayRun(plan.clone()));
        *state = Some(ReplayState::Running { plan, done: 0 });
    }
}

/// The replay worker's reports: the preview, progress, the outcome (which
/// opens the popup again if it was closed).
pub fn apply(state: &mut Option<ReplayState>, msg: WorkerMsg, cx: &mut Cx<'_>) {
    match msg {
        WorkerMsg::ReplayPlanned(Ok(plan)) => *state = Some(ReplayState::Preview(plan)),
        WorkerMsg::ReplayPlanned(Err(e)) => {
            cx.error(format!("{} {e}", strings::REPLAY_FAILED));
            *state = Some(ReplayState::Done {
                plan: None,
                outcome: Err(e),
            });
        }
        WorkerMsg::ReplayProgress { done, .. } => {
            if let Some(ReplayState::Running { done: d, .. }) = state.as_mut() {
                *d = done;
            }
        }
        WorkerMsg::ReplayDone(outcome) => {
            let plan = match state.take() {
                Some(ReplayState::Running { plan, .. } | ReplayState::Preview(plan)) => Some(plan),
                _ => None,
            };
            match &outcome {
                Ok(o) if o.failed == 0 => {
                    cx.info(format!("{} {}", strings::REPLAY_DONE, o.summary()))
                }
                Ok(o) => cx.error(format!("{} {}", strings::REPLAY_DONE, o.summary())),
                Err(e) => cx.error(format!("{} {e}", strings::REPLAY_FAILED)),
            }
            *state = Some(ReplayState::Done { plan, outcome });
        }
        _ => {}
    }
}

/// Parses the palette's arguments into a request (rate defaults to
/// [`DEFAULT_RATE`]). Times are RFC 3339 or relative to `now` (`-15m`, `-30s`,
/// `-2h`).
pub fn parse_request(args: &str, topics: &TopicMap, now: DateTime<Utc>) -> Result<Request, String> {
    let (mut topic, mut from, mut to, mut target, mut rate) =
        (None, None, None, None, DEFAULT_RATE);
    for word in args.split_whitespace() {
        let (k, v) = word.split_once('=').unwrap_or((word, ""));
        match (k, v) {
            ("ctx" | "context", c) if !c.is_empty() => {
                topic = Some(
                    topics
                        .topic_for(c)
                        .ok_or_else(|| strings::unknown_context(c))?
                        .to_string(),
                );
            }
            ("topic", t) if !t.is_empty() => topic = Some(t.to_string()),
            ("from", t) => from = Some(parse_time(t, now)?),
            ("to", t) => to = Some(parse_time(t, now)?),
            ("to-topic", t) if !t.is_empty() => target = Some(Target::Topic(t.to_string())),
            ("to-handlers", "") => target = Some(Target::Handlers),
            ("rate", n) => {
                rate = n
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| strings::replay_bad_rate(n))?;
            }
            _ => {
                return Err(strings::replay_not_understood(word));
            }
        }
    }
    let topic = topic.ok_or_else(|| strings::replay_missing(strings::REPLAY_NO_WHAT))?;
    let from = from.ok_or_else(|| strings::replay_missing(strings::REPLAY_NO_FROM))?;
    let target = target.ok_or_else(|| strings::replay_missing(strings::REPLAY_NO_WHERE))?;
    if to.is_some_and(|t| t <= from) {
        return Err(strings::REPLAY_TO_BEFORE_FROM.into());
    }
    Ok(Request {
        topic,
        from,
        to,
        target,
        rate,
    })
}

fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(rel) = text.strip_prefix('-') {
        let (n, unit) = rel.split_at(rel.len().saturating_sub(1));
        let n: i64 = n.parse().map_err(|_| strings::not_relative_time(text))?;
        let secs = match unit {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            _ => return Err(strings::not_relative_time(text)),
        };
        return Ok(now - chrono::Duration::seconds(secs));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| strings::not_a_time(text, &e))
}

impl ReplayState {
    fn plan(&self) -> Option<&Plan> {
        match self {
            ReplayState::Planning(_) => None,
            ReplayState::Preview(p) | ReplayState::Running { plan: p, .. } => Some(p),
            ReplayState::Done { plan, .. } => plan.as_deref(),
        }
    }

    /// Draws the popup over `area`.
    pub fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let t = view.theme;
        let mut lines: Vec<Line<'static>> = Vec::new();
        match self.plan() {
            Some(plan) => {
                lines.push(Line::styled(plan.summary(), t.strong()));
                let parts = plan.partition_lines();
                for l in parts.iter().take(PARTITIONS_SHOWN) {
                    lines.push(Line::styled(format!("  {l}"), t.text()));
                }
                if parts.len() > PARTITIONS_SHOWN {
                    lines.push(Line::styled(
                        strings::replay_more_partitions(parts.len() - PARTITIONS_SHOWN),
                        t.dimmed(),
                    ));
                }
            }
            None => {
                if let ReplayState::Planning(r) = self {
                    lines.push(Line::styled(
                        format!("{} {} → {}", strings::REPLAY_PLANNING, r.topic, r.target),
                        t.text(),
                    ));
                }
            }
        }
        lines.push(Line::raw(""));
        match self {
            ReplayState::Planning(_) => {}
            ReplayState::Preview(p) if p.records.is_empty() => {
                lines.push(Line::styled(strings::REPLAY_NOTHING, t.dimmed()));
            }
            ReplayState::Preview(p) => {
                lines.push(Line::from(vec![
                    Span::styled("y", Style::new().fg(t.accent).add_modifier(Modifier::BOLD)),
                    Span::styled(
                        format!(
                            " replay {} record(s) at most {}/s   ",
                            p.records.len(),
                            p.request.rate
                        ),
                        t.text(),
                    ),
                    Span::styled(
                        "esc",
                        Style::new().fg(t.accent).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(" cancel", t.text()),
                ]));
            }
            ReplayState::Running { plan, done } => {
                let total = plan.records.len().max(1);
                let filled = done * BAR_WIDTH / total;
                lines.push(Line::from(vec![
                    Span::styled("█".repeat(filled), Style::new().fg(t.accent)),
                    Span::styled("░".repeat(BAR_WIDTH - filled), t.dimmed()),
                    Span::styled(format!(" {done}/{}", plan.records.len()), t.text()),
                ]));
            }
            ReplayState::Done { outcome, .. } => match outcome {
                Ok(o) => lines.push(Line::styled(
                    format!("{} {}", strings::REPLAY_DONE, o.summary()),
                    Style::new().fg(if o.failed == 0 { t.ok } else { t.error }),
                )),
                Err(e) => lines.push(Line::styled(
                    format!("{} {}", strings::REPLAY_FAILED, crate::domain::sanitize(e)),
                    Style::new().fg(t.error),
                )),
            },
        }
        let width = area.width.saturating_sub(4).min(100);
        // Rows after wrapping at the inner width, so the last line always shows.
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
        let height = (rows as u16 + 2).min(area.height.saturating_sub(2));
        let popup = super::centered(area, width, height);
        frame.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(Style::new().fg(t.accent))
            .title(Span::styled(strings::REPLAY_TITLE, t.strong()));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            popup,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn topics() -> TopicMap {
        TopicMap::new(
            BTreeMap::from([("debate".to_string(), "debate.events".to_string())]),
            ".dlq",
        )
    }

    #[test]
    fn palette_arguments_become_a_request() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap();
        let r = parse_request("ctx=debate from=-15m to-handlers", &topics(), now).unwrap();
        assert_eq!(r.topic, "debate.events");
        assert_eq!(r.from, now - chrono::Duration::minutes(15));
        assert_eq!(
            (r.to, r.target, r.rate),
            (None, Target::Handlers, DEFAULT_RATE)
        );
        let r = parse_request(
            "topic=t from=2026-11-27T09:00:00Z to=2026-11-27T09:30:00Z to-topic=u rate=5",
            &topics(),
            now,
        )
        .unwrap();
        assert_eq!(r.target, Target::Topic("u".into()));
        assert_eq!(r.rate, 5);
        for bad in [
            "from=-1m to-handlers",
            "ctx=nope from=-1m to-handlers",
            "ctx=debate to-handlers",
            "ctx=debate from=-1m",
            "ctx=debate from=yesterday to-handlers",
            "ctx=debate from=-1m to=-2m to-handlers",
            "ctx=debate from=-1m to-handlers rate=0",
            "ctx=debate from=-1m to-handlers please",
        ] {
            assert!(parse_request(bad, &topics(), now).is_err(), "{bad}");
        }
    }
}
