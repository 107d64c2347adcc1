//! Side by side with the Python system eventdeck succeeds: DecisionMade events
//! written by confluent-kafka (tests/python/legacy_producer.py) in that system's
//! shape — ids and source in `metadata`, no `context` — on real Apache Kafka.
//! `eventdeck bridge --reactions` turns each into a TaskCreated carrying the
//! cause's correlation id (or a new one, marked as such) and causation; `tail`
//! shows the context `debate` and which rule gave it; the Flows edge
//! debate → implementation counts both.
//!
//! Needs the Python client: `scripts/py-venv` makes the venv (scripts/test runs
//! it); `EVENTDECK_TEST_PYTHON` names another interpreter.

mod support;
use support::tui as fixtures;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventdeck::kafka::consume::read_from_beginning;
use eventdeck::tui::App;
use serde_json::Value;
use support::{
    Sandbox, bootstrap, create_topic, json_lines, kcat_read, python_with, stderr, stdout,
    tail_json, unique_topic,
};

/// Writes one legacy DecisionMade with confluent-kafka; the event as written.
fn python_writes(
    python: &PathBuf,
    topic: &str,
    aggregate: &str,
    correlation: Option<&str>,
) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/legacy_producer.py");
    let out = Command::new(python)
        .arg(script)
        .args([&bootstrap(), topic, aggregate, correlation.unwrap_or("-")])
        .output()
        .expect("run the Python producer");
    assert!(
        out.status.success(),
        "the Python producer failed: {}",
        stderr(&out)
    );
    serde_json::from_str(stdout(&out).trim()).expect("the written event")
}

/// Kills the bridge if the test ends before it was stopped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Every record of `topic` as (value JSON, headers), as kcat reads them.
fn records_with_headers(topic: &str) -> Vec<(Value, BTreeMap<String, String>)> {
    kcat_read(topic, "%s\t%h\n")
        .lines()
        .filter_map(|line| {
            let (value, headers) = line.split_once('\t')?;
            let headers = headers
                .split(',')
                .filter_map(|h| h.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Some((serde_json::from_str(value).ok()?, headers))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_python_events_react_trace_and_count_like_our_own() {
    let python = python_with("confluent_kafka");
    let debate = unique_topic("legacy-debate");
    let implementation = unique_topic("legacy-impl");
    // One partition each: `tail --exit` over several topics does not end
    // while one of them has an empty partition.
    create_topic(&debate, 1).await;
    create_topic(&implementation, 1).await;
    let sandbox = Sandbox::new();
    let config_dir = sandbox.dir.path().join("config").join("eventdeck");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "[topics.contexts]\ndebate = \"{debate}\"\nimplementation = \"{implementation}\"\n"
        ),
    )
    .expect("config");

    // Written before the bridge starts: a new group reads from the earliest offset.
    let correlation = uuid::Uuid::new_v4().to_string();
    let with = python_writes(&python, &debate, "debate-legacy-1", Some(&correlation));
    let without = python_writes(&python, &debate, "debate-legacy-2", None);
    assert!(with.get("context").is_none() && without.get("context").is_none());
    let with_id = with["event_id"].as_str().expect("id").to_string();
    let without_id = without["event_id"].as_str().expect("id").to_string();

    let log = sandbox.dir.path().join("bridge.log");
    let mut cmd = sandbox.eventdeck();
    cmd.env("KAFKA_CONSUMER_GROUP", unique_topic("legacy-group"))
        .args(["bridge", "--reactions", "--contexts", "debate"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    let mut bridge = Reaped(cmd.spawn().expect("start eventdeck bridge"));

    // Each decision becomes one TaskCreated on the implementation topic.
    let deadline = Instant::now() + Duration::from_secs(60);
    let tasks = loop {
        let tasks = records_with_headers(&implementation);
        if tasks.len() >= 2 {
            break tasks;
        }
        assert!(
            Instant::now() < deadline,
            "{} of 2 tasks after 60 s; bridge said: {}",
            tasks.len(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let task_of = |cause: &str| {
        tasks
            .iter()
            .find(|(v, _)| v["causation_id"] == cause)
            .unwrap_or_else(|| panic!("no task caused by {cause}: {tasks:?}"))
    };
    let (task, headers) = task_of(&with_id);
    assert_eq!(task["event_type"], "TaskCreated");
    assert_eq!(task["context"], "implementation");
    assert_eq!(task["correlation_id"], correlation.as_str());
    assert!(!headers.contains_key("eventdeck-correlation-started"));
    // No correlation id on the cause: a new one, recorded as such — never the
    // cause's event id.
    let (task, headers) = task_of(&without_id);
    assert_eq!(task["event_type"], "TaskCreated");
    let new = task["correlation_id"].as_str().expect("a correlation id");
    assert!(uuid::Uuid::parse_str(new).is_ok(), "{new}");
    assert_ne!(new, without_id);
    assert_eq!(
        headers
            .get("eventdeck-correlation-started")
            .map(String::as_str),
        Some(format!("new: cause {without_id} carried none").as_str())
    );

    // tail shows the context debate, which rule gave it, and no made-up correlation.
    let out = tail_json(&sandbox, &[&debate], "beginning");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    for line in &lines {
        assert_eq!(line["event"]["context"], "debate", "{line}");
        assert_eq!(
            line["context_from"],
            format!("context from topic {debate}").as_str()
        );
        let id = line["event"]["event_id"].as_str().expect("id");
        let want = if id == with_id {
            Value::from(correlation.as_str())
        } else {
            Value::Null
        };
        assert_eq!(line["event"]["correlation_id"], want, "{line}");
    }

    // The console's Flows graph counts both on the edge debate → implementation.
    let mut settings = fixtures::settings();
    settings.brokers = bootstrap();
    settings.topics.set_topic("debate", &debate);
    settings.topics.set_topic("implementation", &implementation);
    let records = read_from_beginning(&settings, &[debate.clone(), implementation.clone()], None)
        .await
        .expect("read both topics");
    assert_eq!(records.len(), 4);
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.ingest(records);
    app.press("4");
    let edges: Vec<(&str, &str, u64)> = app
        .panes
        .flows
        .rows()
        .iter()
        .map(|r| (r.from.as_str(), r.to.as_str(), r.count))
        .collect();
    assert_eq!(edges, [("debate", "implementation", 2)]);

    let _ = Command::new("kill")
        .args(["-TERM", &bridge.0.id().to_string()])
        .status();
    let status = bridge.0.wait().expect("bridge exit");
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{said}");
}
