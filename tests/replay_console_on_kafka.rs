//! The console's `:replay` on real Kafka, driven as the app loop drives it: the
//! palette asks for a dry run, the runtime's replay worker reads the range, the
//! preview shows the count, `y` replays, progress and the outcome come back —
//! and the target topic then holds exactly the records of the range.

mod support;
use support::tui as fixtures;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use eventdeck::config::Settings;
use eventdeck::tui::App;
use eventdeck::tui::event::{Command, WorkerMsg};
use eventdeck::tui::keymap::Mode;
use eventdeck::tui::panes::replay::ReplayState;
use eventdeck::tui::runtime::perform_replay;
use support::*;
use tokio::sync::mpsc;

fn settings(dir: &std::path::Path) -> Settings {
    kafka_settings(&dir.join("data"))
}

/// Runs every command the app asked for through the runtime's replay worker
/// and applies what it reports, until the app stops asking.
async fn pump(app: &mut App, s: &Settings) -> Vec<WorkerMsg> {
    let mut seen = Vec::new();
    for cmd in app.take_commands() {
        assert!(
            matches!(cmd, Command::ReplayPlan(_) | Command::ReplayRun(_)),
            "{cmd:?}"
        );
        let (tx, mut rx) = mpsc::channel(64);
        let worker = tokio::spawn(perform_replay(s.clone(), None, cmd, tx));
        while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the worker answers")
        {
            seen.push(msg.clone());
            app.apply(msg);
        }
        worker.await.expect("worker");
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_replay_to_a_topic_previews_the_count_then_copies_exactly_the_range() {
    let topic = unique_topic("console-replay-src");
    let target = unique_topic("console-replay-dst");
    create_topic(&topic, 2).await;
    create_topic(&target, 1).await;
    let now = || Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    produce_lines(&topic, 0, "before", 3);
    produce_lines(&topic, 1, "before", 2);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let from = now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    produce_lines(&topic, 0, "inside", 4);
    produce_lines(&topic, 1, "inside", 3);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let to = now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    produce_lines(&topic, 0, "after", 2);

    let dir = tempfile::tempdir().expect("dir");
    let s = settings(dir.path());
    let mut app = App::new(&fixtures::services_with(s.clone()).0);
    app.press(":");
    app.type_text(&format!(
        "replay topic={topic} from={from} to={to} to-topic={target}"
    ));
    app.press("enter");
    assert_eq!(app.mode(), Mode::Replay);
    pump(&mut app, &s).await;
    let Some(ReplayState::Preview(plan)) = &app.replay else {
        panic!("a preview after the dry run: {:?}", app.replay);
    };
    assert_eq!(plan.records.len(), 7, "{}", plan.summary());
    assert!(
        fixtures::screen(&app, 120, 40).contains(&format!("7 record(s) of {topic}")),
        "{}",
        fixtures::screen(&app, 120, 40)
    );
    assert!(
        sorted_values(&target).is_empty(),
        "the dry run writes nothing"
    );

    app.press("y");
    let msgs = pump(&mut app, &s).await;
    assert!(
        msgs.iter()
            .any(|m| matches!(m, WorkerMsg::ReplayProgress { done: 7, total: 7 })),
        "{msgs:?}"
    );
    let Some(ReplayState::Done {
        outcome: Ok(outcome),
        ..
    }) = &app.replay
    else {
        panic!("an outcome: {:?}", app.replay);
    };
    assert_eq!((outcome.delivered, outcome.failed), (7, 0));
    assert!(fixtures::screen(&app, 120, 40).contains("Replayed: delivered 7, failed 0"));

    let mut want: Vec<String> = (0..4).map(|i| format!("inside-0-{i}")).collect();
    want.extend((0..3).map(|i| format!("inside-1-{i}")));
    want.sort();
    assert_eq!(sorted_values(&target), want);
    // Audited like the command.
    let audit = std::fs::read_to_string(s.data_dir.join("audit.jsonl")).expect("audit");
    assert!(audit.contains("\"action\":\"replay\""), "{audit}");
}
