//! Replay to the local handlers on real Kafka: exactly the events of a time
//! range are handed to the handlers (counted by event id), the reactions publish
//! their effects (same correlation, causation = the replayed event), and
//! `eventdeck replay --to-handlers` does the same from the command line, with a
//! dry run that changes nothing, progress, an audit entry, and read-only refusal.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use eventdeck::bridge;
use eventdeck::bus::{Bus, Filter, handler_fn};
use eventdeck::config::Settings;
use eventdeck::domain::Envelope;
use eventdeck::kafka::EventProducer;
use eventdeck::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use eventdeck::publish::{DirectPublisher, PublishRequest, Publisher};
use eventdeck::replay::{self, Request, Sink, Target};
use serde_json::json;
use support::*;

/// Settings for the test cluster, with `debate` and `implementation` mapped to
/// fresh topics so nothing else's events count.
fn settings(dir: &std::path::Path, debate: &str, implementation: &str) -> Settings {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[topics.contexts]\ndebate = \"{debate}\"\nimplementation = \"{implementation}\"\n"
        ),
    )
    .expect("config");
    settings_from_config(&config, &dir.join("data"))
}

async fn publish_decisions(s: &Settings, topic: &str, label: &str, n: usize) -> Vec<String> {
    let publisher =
        DirectPublisher::new(EventProducer::new(s, DEFAULT_DELIVERY_TIMEOUT).expect("producer"));
    publish_with(&publisher, topic, label, n).await
}

async fn publish_with(
    publisher: &dyn Publisher,
    topic: &str,
    label: &str,
    n: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let env = Envelope::new(
            "debate",
            "DecisionMade",
            format!("{label}-{i}"),
            json!({"decision": label, "i": i}),
        );
        ids.push(env.event_id.to_string());
        publisher
            .publish(PublishRequest {
                topic: topic.to_string(),
                envelope: env,
                key: None,
                headers: vec![],
                value: None,
            })
            .await
            .expect("publish");
    }
    ids
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Publishes 3 before, 5 inside (through `inside_via` when given) and 2 after
/// a time range; returns the range and the ids inside it.
async fn three_periods(
    s: &Settings,
    topic: &str,
    inside_via: Option<&dyn Publisher>,
) -> (DateTime<Utc>, DateTime<Utc>, Vec<String>) {
    publish_decisions(s, topic, "before", 3).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let from = Utc::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut inside = match inside_via {
        Some(p) => publish_with(p, topic, "inside", 5).await,
        None => publish_decisions(s, topic, "inside", 5).await,
    };
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let to = Utc::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    publish_decisions(s, topic, "after", 2).await;
    inside.sort();
    (from, to, inside)
}

/// Causation ids of the TaskCreated effects on `topic`, sorted, as kcat reads
/// them (not eventdeck's own reader).
fn task_causes(topic: &str) -> Vec<String> {
    let mut causes: Vec<String> = kcat_values(topic)
        .iter()
        .filter_map(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .filter(|e| e["event_type"] == "TaskCreated")
        .filter_map(|e| e["causation_id"].as_str().map(str::to_string))
        .collect();
    causes.sort();
    causes
}

async fn wait_for_tasks(topic: &str, n: usize) -> Vec<String> {
    let start = std::time::Instant::now();
    loop {
        let t = topic.to_string();
        let causes = tokio::task::spawn_blocking(move || task_causes(&t))
            .await
            .expect("join");
        if causes.len() >= n || start.elapsed() > Duration::from_secs(20) {
            return causes;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_to_handlers_hands_exactly_the_range_to_the_handlers_and_reactions_fire() {
    let src = unique_topic("replay-h-debate");
    let effects = unique_topic("replay-h-impl");
    create_topic(&src, 2).await;
    create_topic(&effects, 1).await;
    let dir = tempfile::tempdir().expect("dir");
    let s = settings(dir.path(), &src, &effects);

    let bus = Bus::new(1024);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    bus.subscribe(handler_fn(
        "counter",
        Filter::any().context("debate"),
        move |env, _| {
            let seen = seen2.clone();
            async move {
                seen.lock().expect("lock").push(env.event_id.to_string());
                Ok(vec![])
            }
        },
    ));
    let mut cfg = eventdeck::cmd::replay::handlers_bridge_config(&s);
    cfg.outbox_dir = dir.path().join("outbox");
    let handle = bridge::start(&s, cfg, bus).await.expect("bridge");
    // The records of the range are published by this very bridge (as in the
    // demo): its handlers ran once then; the replay runs them again, which the
    // consumer's loop prevention alone would not.
    let publisher = handle.publisher();
    let (from, to, inside) = three_periods(&s, &src, Some(publisher.as_ref())).await;
    let mut first_run = seen.lock().expect("lock").clone();
    first_run.sort();
    assert_eq!(first_run, inside, "the handlers ran once at publish");
    seen.lock().expect("lock").clear();
    let plan = {
        let s = s.clone();
        let req = Request {
            topic: src.clone(),
            from,
            to: Some(to),
            target: Target::Handlers,
            rate: 1000,
        };
        tokio::task::spawn_blocking(move || replay::plan(&s, req))
            .await
            .expect("join")
            .expect("plan")
    };
    assert_eq!(plan.records.len(), 5, "{}", plan.summary());
    let mut progress = Vec::new();
    let outcome = replay::execute(&plan, Sink::Handlers(&handle.redeliverer()), |d, t| {
        progress.push((d, t))
    })
    .await;
    assert_eq!(outcome.delivered, 5, "{outcome:?}");
    assert_eq!((outcome.failed, outcome.skipped), (0, 0));
    assert_eq!(progress.last(), Some(&(5, 5)));
    // Exactly the range, each once, counted by event id.
    let mut got = seen.lock().expect("lock").clone();
    got.sort();
    assert_eq!(got, inside);
    // The reaction ran for each again: one more TaskCreated per replayed
    // decision (ten in all), on the implementation topic, caused by it.
    assert!(handle.shutdown_report().await.expect("shutdown") == 0);
    let mut twice: Vec<String> = inside.iter().chain(&inside).cloned().collect();
    twice.sort();
    assert_eq!(wait_for_tasks(&effects, 10).await, twice);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_command_to_handlers_dry_run_then_effects_audit_and_read_only() {
    let src = unique_topic("replay-c-debate");
    let effects = unique_topic("replay-c-impl");
    create_topic(&src, 2).await;
    create_topic(&effects, 1).await;
    let sandbox = Sandbox::new();
    let conf_dir = sandbox.dir.path().join("config").join("eventdeck");
    std::fs::create_dir_all(&conf_dir).expect("config dir");
    let s = settings(&conf_dir, &src, &effects);
    let (from, to, inside) = three_periods(&s, &src, None).await;
    let (from, to) = (rfc3339(from), rfc3339(to));
    let args = |extra: &[&str]| {
        let mut cmd = sandbox.eventdeck();
        cmd.args(extra).args([
            "replay",
            "--context",
            "debate",
            "--from",
            &from,
            "--to",
            &to,
            "--to-handlers",
        ]);
        cmd
    };

    let mut dry = args(&[]);
    dry.arg("--dry-run");
    let out = run(dry);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("would replay 5 record(s) of {src}")),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("-> the local handlers"),
        "{}",
        stdout(&out)
    );
    assert!(
        task_causes(&effects).is_empty(),
        "a dry run changes nothing"
    );

    let out = run(args(&["--read-only"]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));

    let out = run(args(&[]));
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("replay: 5/5"), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("delivered 5, failed 0"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("handlers: 5 effect(s) published"),
        "{}",
        stdout(&out)
    );
    assert_eq!(wait_for_tasks(&effects, 5).await, inside);
    let audit = std::fs::read_to_string(sandbox.data_dir().join("audit.jsonl")).expect("audit");
    let last: serde_json::Value =
        serde_json::from_str(audit.lines().last().expect("an entry")).expect("json");
    assert_eq!(last["action"], "replay");
    assert_eq!(last["params"]["to_handlers"], true);
    assert_eq!(last["outcome"]["delivered"], 5);
}
