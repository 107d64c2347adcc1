//! The console's search: `F` in Streams opens `:find`, the request goes to
//! the worker as a command, and the Find pane shows the plan, a progress bar
//! (records read of the total, rate, ETA, matches) and the matches as they
//! stream in; `esc` cancels at once (later reports of that search are
//! ignored); a match opens into the record view and re-injects like a
//! Streams row. Snapshots at fixed sizes.

mod support;
use support::tui as fixtures;

use std::time::Duration;

use eventdeck::domain::TopicMap;
use eventdeck::find::Partitioner;
use eventdeck::kafka::Arrived;
use eventdeck::kafka::find::{FindSummary, KeyPartition, Plan, Progress};
use eventdeck::tui::App;
use eventdeck::tui::event::{Command, FindUpdate, WorkerMsg};
use eventdeck::tui::keymap::Mode;
use fixtures::{app, envelope};
use serde_json::json;

fn snap(name: &str, app: &App) {
    fixtures::snap(name, app);
}

/// Starts `:find …` from Streams with `F`; returns the search's generation.
fn start(app: &mut App, words: &str) -> u64 {
    app.press("F");
    app.type_text(words);
    app.press("enter");
    let job = app
        .take_commands()
        .into_iter()
        .find_map(|c| match c {
            Command::Find(job) => Some(job),
            _ => None,
        })
        .expect("a search was started");
    assert_eq!(job.request.query.key.as_deref(), Some(&b"agg-1"[..]));
    job.generation
}

fn update(app: &mut App, generation: u64, update: FindUpdate) {
    app.apply(WorkerMsg::Find { generation, update });
}

fn matches() -> Vec<Arrived> {
    (0..3)
        .map(|i| {
            Arrived::read(
                envelope(
                    i * 4 + 1,
                    "debate",
                    "DecisionMade",
                    "agg-1",
                    json!({"title": format!("decision {i}")}),
                ),
                &TopicMap::default(),
            )
        })
        .collect()
}

fn running(app: &mut App) -> u64 {
    let generation = start(app, "debate --key agg-1");
    update(
        app,
        generation,
        FindUpdate::Planned(Plan {
            key_partitions: vec![
                KeyPartition {
                    topic: "debate.events".into(),
                    partition: 2,
                    by: vec![Partitioner::Murmur2],
                },
                KeyPartition {
                    topic: "debate.events".into(),
                    partition: 5,
                    by: vec![Partitioner::Crc32],
                },
            ],
            first_pass: 2,
            second_pass: 10,
            total: 20_000,
        }),
    );
    update(app, generation, FindUpdate::Matches(matches()));
    update(
        app,
        generation,
        FindUpdate::Progress(Progress {
            scanned: 5_000,
            total: 20_000,
            matches: 3,
            elapsed: Duration::from_secs(2),
        }),
    );
    generation
}

#[test]
fn find_from_streams_shows_plan_progress_and_streaming_matches() {
    let mut app = app();
    running(&mut app);
    assert_eq!(app.mode(), Mode::Find);
    snap("find_running", &app);
}

#[test]
fn esc_cancels_at_once_and_later_reports_are_ignored() {
    let mut app = app();
    let generation = running(&mut app);
    app.press("esc");
    let cancelled = app
        .take_commands()
        .into_iter()
        .any(|c| matches!(c, Command::CancelFind(g) if g == generation));
    assert!(cancelled, "the worker is told to stop");
    // The worker's reports still in flight change nothing.
    update(&mut app, generation, FindUpdate::Matches(matches()));
    update(
        &mut app,
        generation,
        FindUpdate::Done(Ok(FindSummary::default())),
    );
    snap("find_cancelled", &app);
}

#[test]
fn a_match_opens_into_the_record_view_and_reinjects_like_a_streams_row() {
    let mut app = app();
    let generation = running(&mut app);
    update(
        &mut app,
        generation,
        FindUpdate::Done(Ok(FindSummary {
            scanned: 20_000,
            total: 20_000,
            matches: 3,
            partitions: 2,
            capped: false,
            cancelled: false,
            elapsed: Duration::from_secs(4),
        })),
    );
    snap("find_done", &app);
    app.press("enter");
    assert_eq!(app.mode(), Mode::Detail);
    snap("find_detail", &app);
    app.press("r");
    assert_eq!(app.tab(), eventdeck::tui::tabs::Tab::Inject);
}

#[test]
fn a_bad_search_says_why_and_starts_nothing() {
    let mut app = app();
    app.press("F");
    app.type_text("debate --where nonsense");
    app.press("enter");
    assert!(
        !app.take_commands()
            .iter()
            .any(|c| matches!(c, Command::Find(_)))
    );
}

#[test]
fn a_search_that_matched_nothing_says_so_not_that_it_waits_for_records() {
    let mut app = app();
    let generation = start(&mut app, "debate --key agg-1");
    update(
        &mut app,
        generation,
        FindUpdate::Progress(Progress {
            scanned: 1,
            total: 42,
            matches: 0,
            elapsed: Duration::from_millis(5),
        }),
    );
    assert!(fixtures::screen(&app, 120, 40).contains("No match yet."));
    update(
        &mut app,
        generation,
        FindUpdate::Done(Ok(FindSummary {
            scanned: 42,
            total: 42,
            matches: 0,
            partitions: 2,
            capped: false,
            cancelled: false,
            elapsed: Duration::from_millis(40),
        })),
    );
    let screen = fixtures::screen(&app, 120, 40);
    assert!(screen.contains("No match in 42 records read."), "{screen}");
    assert!(!screen.contains("Waiting for new records"), "{screen}");
}
