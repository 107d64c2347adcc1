//! The Flows pane and the Trace view, fed a scripted set of events the way the
//! console is fed (`App::ingest`): snapshots at 120×40 and 80×24, and the key
//! sequences a user presses (select an edge → Enter → Streams filtered to it;
//! `t` on a record → its trace).

mod support;
use eventdeck::dlq::ours;
use eventdeck::dlq::redrive::DlqRecord;
use eventdeck::domain::{Envelope, encode};
use eventdeck::kafka::ConsumedRecord;
use eventdeck::tui::App;
use eventdeck::tui::event::WorkerMsg;
use eventdeck::tui::keymap::Mode;
use eventdeck::tui::tabs::Tab;
use fixtures::{app, at, screen, snap};
use serde_json::json;
use support::tui as fixtures;
use uuid::Uuid;

/// Builds records with stable ids: `id(n)` is the n-th event's id.
struct Script {
    records: Vec<ConsumedRecord>,
    offset: i64,
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0xe000 + n)
}

impl Script {
    fn new() -> Self {
        Self {
            records: Vec::new(),
            offset: 0,
        }
    }

    fn record(&mut self, env: &Envelope, topic: String, extra: Vec<(String, Vec<u8>)>) {
        let enc = encode(env);
        let mut headers: Vec<(String, Option<Vec<u8>>)> =
            enc.headers.into_iter().map(|(k, v)| (k, Some(v))).collect();
        headers.extend(extra.into_iter().map(|(k, v)| (k, Some(v))));
        self.records.push(ConsumedRecord {
            topic,
            partition: 0,
            offset: self.offset,
            timestamp_ms: Some(env.occurred_at.timestamp_millis()),
            key: Some(env.aggregate_id.clone().into_bytes()),
            value: Some(enc.value),
            headers: headers.into(),
        });
        self.offset += 1;
    }

    /// A root event `n` at `ms` after the base time.
    fn root(&mut self, n: u128, ctx: &str, ty: &str, ms: i64) -> Envelope {
        let mut env = Envelope::new(ctx, ty, format!("agg-{n}"), json!({"n": n as u64}))
            .with_occurred_at(at(0) + chrono::Duration::milliseconds(ms));
        env.event_id = id(n);
        env.correlation_id = Some(Uuid::from_u128(0xc000 + n));
        self.record(&env, format!("{ctx}.events"), vec![]);
        env
    }

    /// Effect `n` of `cause`, `after_ms` later.
    fn effect(
        &mut self,
        cause: &Envelope,
        n: u128,
        ctx: &str,
        ty: &str,
        after_ms: i64,
    ) -> Envelope {
        let mut env =
            Envelope::caused_by(cause, ctx, ty, format!("agg-{n}"), json!({"n": n as u64}))
                .with_occurred_at(cause.occurred_at + chrono::Duration::milliseconds(after_ms));
        env.event_id = id(n);
        self.record(&env, format!("{ctx}.events"), vec![]);
        env
    }

    /// The bridge's dead letter of `env` (our header family).
    fn dead_letter(&mut self, env: &Envelope, handler: &str, message: &str) {
        let h = |k: &str, v: &str| (k.to_string(), v.as_bytes().to_vec());
        let topic = format!("{}.events", env.context);
        let extra = vec![
            h(ours::ORIGINAL_TOPIC, &topic),
            h(ours::HANDLER, handler),
            h(ours::ERROR_KIND, "handler"),
            h(ours::ERROR_MESSAGE, message),
        ];
        self.record(env, format!("{topic}.dlq"), extra);
    }
}

/// All four flows of DESIGN.md, `rounds` times each, with one dead-lettered
/// task in the first round (the demo's flaky `audit-log` handler).
fn scripted(rounds: u128) -> Vec<ConsumedRecord> {
    let mut s = Script::new();
    for r in 0..rounds {
        let base = (r * 100) as i64 * 10;
        let n = r * 100;
        let d = s.root(n + 1, "debate", "DecisionMade", base);
        s.effect(&d, n + 2, "implementation", "TaskCreated", 25);
        let k2 = s.effect(&d, n + 3, "implementation", "TaskCreated", 40);
        if r == 0 {
            s.dead_letter(&k2, "audit-log", "simulated failure");
        }
        let t = s.root(n + 10, "testing", "TestRunCompleted", base + 100);
        s.effect(&t, n + 11, "performance", "MetricRecorded", 30);
        let b = s.root(n + 20, "performance", "ThresholdBreached", base + 200);
        s.effect(&b, n + 21, "evolution", "ImprovementTriggered", 50);
        let e = s.root(n + 30, "evolution", "EvolutionApplied", base + 300);
        s.effect(&e, n + 31, "implementation", "PullRequestOpened", 80);
    }
    s.records
}

fn flows_app(rounds: u128) -> App {
    let mut app = app();
    // Rates are counted over the ten seconds before this clock.
    app.panes.flows.freeze_clock(at(5).timestamp_millis());
    app.ingest(scripted(rounds));
    app
}

#[test]
fn flows_empty_shows_the_five_contexts_and_says_what_makes_an_edge() {
    let mut app = app();
    app.press("4");
    assert_eq!(app.mode(), Mode::Flows);
    snap("flows_empty", &app);
}

#[test]
fn flows_populated_shows_all_four_edges_with_counts_rates_and_dead_letters() {
    let mut app = flows_app(3);
    app.press("4");
    let rows = app.panes.flows.rows();
    let edges: Vec<(&str, &str, u64, u64)> = rows
        .iter()
        .map(|r| (r.from.as_str(), r.to.as_str(), r.count, r.dead_letters))
        .collect();
    assert_eq!(
        edges,
        [
            ("debate", "implementation", 6, 1),
            ("evolution", "implementation", 3, 0),
            ("performance", "evolution", 3, 0),
            ("testing", "performance", 3, 0),
        ]
    );
    // Three effects per edge within the ten seconds before the frozen clock.
    assert!((rows[1].rate - 0.3).abs() < 1e-9, "{}", rows[1].rate);
    snap("flows_populated", &app);
}

#[test]
fn re_reading_from_the_beginning_counts_each_record_once_in_title_edges_and_dlq() {
    let mut app = flows_app(3);
    let dead: Vec<DlqRecord> = scripted(3)
        .into_iter()
        .filter(|r| r.topic.ends_with(".dlq"))
        .map(|record| DlqRecord {
            letter: eventdeck::dlq::decode(&record.headers),
            record,
            original: None,
        })
        .collect();
    app.apply(WorkerMsg::DeadLetters(dead));
    let counts = |app: &App| {
        let rows = app.panes.flows.rows();
        (
            app.panes.flows.events_seen(),
            app.panes.flows.dead_letters_seen(),
            rows.iter().map(|r| r.count).sum::<u64>(),
            rows.iter().map(|r| r.dead_letters).sum::<u64>(),
            app.panes.dlq.len() as u64,
        )
    };
    app.press("4");
    let first = counts(&app);
    // `b` twice: the same records come again from offset 0.
    for _ in 0..2 {
        app.ingest(scripted(3));
        app.panes.flows.refresh_now(true);
    }
    assert_eq!(
        counts(&app),
        first,
        "(events, dead letters, edge effects, edge ✗, DLQ tab)"
    );
    let (_, title_dead, _, edge_dead, dlq_tab) = first;
    assert_eq!((title_dead, edge_dead, dlq_tab), (1, 1, 1));
    let events = scripted(3)
        .iter()
        .filter(|r| !r.topic.ends_with(".dlq"))
        .count();
    assert_eq!(first.0, events as u64);
    let text = screen(&app, 120, 40);
    assert!(text.contains(&format!("{events} events")), "{text}");
    assert!(text.contains("1 dead-lettered"), "{text}");
}

#[test]
fn flows_selected_edge_is_highlighted_in_graph_and_table() {
    let mut app = flows_app(2);
    app.press("4 j j");
    let sel = app.panes.flows.selected().expect("an edge");
    assert_eq!(
        (sel.from.as_str(), sel.to.as_str()),
        ("performance", "evolution")
    );
    snap("flows_selected_edge", &app);
}

#[test]
fn enter_on_an_edge_shows_its_effects_in_streams() {
    let mut app = flows_app(2);
    app.press("4 j enter");
    assert_eq!(app.tab(), Tab::Streams);
    assert_eq!(
        app.panes.streams.filter_text(),
        "ctx:implementation type:PullRequestOpened"
    );
    let shown: Vec<String> = app
        .panes
        .streams
        .rows_from(0)
        .map(|e| e.event_type.clone())
        .collect();
    assert_eq!(shown, ["PullRequestOpened", "PullRequestOpened"]);
    // k moves back up; the first edge's effects include the dead letter's row.
    app.press("4 k enter");
    assert_eq!(
        app.panes.streams.filter_text(),
        "ctx:implementation type:TaskCreated"
    );
    assert_eq!(
        app.panes.streams.visible_len(),
        5,
        "4 tasks and 1 dead letter"
    );
}

#[test]
fn t_on_a_record_opens_its_trace_and_esc_goes_back() {
    let mut app = flows_app(1);
    // Follow mode: the newest record (PullRequestOpened, correlation of e1).
    app.press("t");
    assert_eq!(app.mode(), Mode::Trace);
    let trace = app.panes.streams.trace.as_ref().expect("trace open");
    assert_eq!(trace.correlation, Uuid::from_u128(0xc000 + 30).to_string());
    assert_eq!(trace.events, 2);
    app.press("esc");
    assert_eq!(app.mode(), Mode::Streams);
    assert!(app.panes.streams.trace.is_none());
}

#[test]
fn trace_of_a_dead_lettered_branch_from_the_detail_view() {
    let mut app = flows_app(1);
    // The dead letter is the fourth record; open its detail, then trace.
    app.press("g j j j enter");
    assert_eq!(app.mode(), Mode::Detail);
    app.press("t");
    let trace = app.panes.streams.trace.as_ref().expect("trace open");
    assert_eq!(trace.correlation, Uuid::from_u128(0xc000 + 1).to_string());
    assert_eq!((trace.events, trace.dead), (3, 1));
    snap("trace_dead_letter", &app);
    // Esc goes back to the detail it came from.
    app.press("esc");
    assert_eq!(app.mode(), Mode::Detail);
}

/// A plan as the dry run would answer it: the scripted records of debate.events.
fn debate_plan(request: eventdeck::replay::Request) -> eventdeck::replay::Plan {
    let records: Vec<ConsumedRecord> = scripted(3)
        .into_iter()
        .filter(|r| r.topic == "debate.events")
        .enumerate()
        .map(|(i, mut r)| {
            r.partition = (i % 2) as i32;
            r.offset = 40 + i as i64;
            r
        })
        .collect();
    let mut per_partition = std::collections::BTreeMap::new();
    for r in &records {
        let e = per_partition
            .entry(r.partition)
            .or_insert((r.offset, r.offset, 0));
        e.1 = r.offset;
        e.2 += 1;
    }
    eventdeck::replay::Plan {
        request,
        records,
        per_partition,
    }
}

#[test]
fn replay_palette_previews_the_dry_run_then_confirms_and_shows_progress_and_outcome() {
    use eventdeck::replay::{Outcome, Target};
    use eventdeck::tui::event::{Command, WorkerMsg};
    use std::sync::Arc;

    let mut app = app();
    app.press(":");
    app.type_text("replay ctx=debate from=2026-11-27T10:00:00Z to=2026-11-27T10:05:00Z to-topic=debate.replayed");
    app.press("enter");
    let mut cmds = app.take_commands();
    let Some(Command::ReplayPlan(req)) = cmds.pop() else {
        panic!("a dry run is asked for first: {cmds:?}");
    };
    assert_eq!(req.topic, "debate.events");
    assert_eq!(req.target, Target::Topic("debate.replayed".into()));
    assert_eq!(req.from, at(0));
    assert_eq!(req.to, Some(at(300)));
    assert_eq!(app.mode(), Mode::Replay);

    app.apply(WorkerMsg::ReplayPlanned(Ok(Arc::new(debate_plan(req)))));
    snap("replay_preview", &app);
    let hint_bar = |app: &App| {
        screen(app, 120, 40)
            .lines()
            .last()
            .unwrap_or("")
            .to_string()
    };
    assert!(hint_bar(&app).contains("y replay"), "{}", hint_bar(&app));
    // Nothing runs before y.
    assert!(app.take_commands().is_empty());
    app.press("y");
    let mut cmds = app.take_commands();
    let Some(Command::ReplayRun(plan)) = cmds.pop() else {
        panic!("y runs the previewed plan: {cmds:?}");
    };
    assert_eq!(plan.records.len(), 3);
    app.apply(WorkerMsg::ReplayProgress { done: 2, total: 3 });
    snap("replay_progress", &app);
    // Once it runs, y does nothing, and the hint bar no longer offers it.
    assert!(!hint_bar(&app).contains("y replay"), "{}", hint_bar(&app));
    app.apply(WorkerMsg::ReplayDone(Ok(Outcome {
        delivered: 3,
        ..Outcome::default()
    })));
    snap("replay_outcome", &app);
    app.press("esc");
    assert!(app.replay.is_none());
}

#[test]
fn replay_is_refused_read_only_and_to_handlers_where_none_run() {
    let mut settings = fixtures::settings();
    settings.read_only = true;
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.press(":");
    app.type_text("replay ctx=debate from=-5m to-topic=x");
    app.press("enter");
    assert!(app.take_commands().is_empty());
    assert!(app.replay.is_none());
    let toast = app.toast().expect("a toast");
    assert!(toast.error && toast.text.contains("Read-only"), "{toast:?}");

    let mut app = fixtures::app();
    app.press(":");
    app.type_text("replay ctx=debate from=-5m to-handlers");
    app.press("enter");
    assert!(app.take_commands().is_empty());
    let toast = app.toast().expect("a toast");
    assert!(toast.text.contains("No local handlers"), "{toast:?}");

    app.press(":");
    app.type_text("replay ctx=debate to-handlers");
    app.press("enter");
    let toast = app.toast().expect("a toast");
    assert!(toast.text.contains("say from when"), "{toast:?}");
}
