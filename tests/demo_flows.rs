//! `eventdeck demo` feeds all four cross-context flows of DESIGN.md into the
//! Flows pane: the demo's library (embedded broker, bridge with its reactions,
//! scenario at its default rate) and the console's `App`, fed the way the
//! console feeds it (every context topic and DLQ from the beginning). The wait
//! has a generous cap so a broken demo fails rather than hangs; how fast the
//! flows appear is not measured.

mod support;
use std::time::Duration;
use support::tui as fixtures;

use eventdeck::demo::{DEFAULT_RATE, Demo};
use eventdeck::kafka::consume::{TailEvent, tail};
use eventdeck::kafka::{StartAt, TailOptions};
use eventdeck::tui::{App, AppServices};
use tokio::sync::mpsc;
use tokio::time::Instant;

const FLOWS: [(&str, &str); 4] = [
    ("debate", "implementation"),
    ("performance", "evolution"),
    ("testing", "performance"),
    ("evolution", "implementation"),
];

/// How long the flows may take to appear before the test fails: generous,
/// since a debug build shares two cores with the rest of the suite.
const CAP: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_shows_all_four_flows_in_the_flows_pane() {
    let demo = Demo::start(&fixtures::settings(), DEFAULT_RATE)
        .await
        .expect("demo starts");
    let mut topics: Vec<String> = demo.settings.topics.topics().map(str::to_string).collect();
    let dlqs: Vec<String> = topics
        .iter()
        .map(|t| demo.settings.topics.dlq_topic(t))
        .collect();
    topics.extend(dlqs);
    let services = AppServices {
        settings: demo.settings.clone(),
        publisher: demo.publisher.clone(),
        raw_publisher: Some(demo.raw_publisher.clone()),
        topics: topics.clone(),
        status: None,
        scenario_rate: None,
        start: StartAt::Beginning,
        title: "demo (embedded broker)".into(),
        handlers: None,
        known_groups: Vec::new(),
    };
    let mut app = App::new(&services);
    let (tx, mut rx) = mpsc::channel(1024);
    let mut reader = {
        let settings = demo.settings.clone();
        let opts = TailOptions {
            topics,
            start: StartAt::Beginning,
            count: None,
            exit_at_end: false,
        };
        tokio::spawn(async move { tail(&settings, opts, tx).await })
    };
    let missing = |app: &App| -> Vec<(&str, &str)> {
        FLOWS
            .into_iter()
            .filter(|(a, b)| {
                !app.panes
                    .flows
                    .rows()
                    .iter()
                    .any(|r| r.from == *a && r.to == *b && r.count > 0)
            })
            .collect()
    };
    let started = Instant::now();
    let deadline = started + CAP;
    let mut failure = None;
    while !missing(&app).is_empty() {
        // Checked on every pass, not only when a receive times out.
        if Instant::now() >= deadline {
            failure = Some(format!(
                "after {CAP:?} these flows are still missing: {:?}\n{}",
                missing(&app),
                fixtures::screen(&app, 120, 40)
            ));
            break;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(TailEvent::Records(rs))) => app.ingest(rs),
            Ok(Some(TailEvent::Warning(_) | TailEvent::Txn(_))) | Err(_) => {}
            Ok(None) => {
                failure = Some(format!("the reader ended: {:?}", (&mut reader).await));
                break;
            }
        }
    }
    if let Some(failure) = failure {
        // Stop the demo first: its tasks would keep the runtime (and the
        // test) from ending.
        drop(rx);
        reader.abort();
        demo.stop().await;
        panic!("{failure}");
    }
    let took = started.elapsed();
    // And the pane draws them.
    app.press("4");
    let screen = fixtures::screen(&app, 120, 40);
    for (a, b) in FLOWS {
        assert!(screen.contains(&format!("{a} → {b}")), "{screen}");
    }
    eprintln!("all four flows in the Flows pane after {took:?}");
    drop(rx);
    reader.abort();
    demo.stop().await;
}
