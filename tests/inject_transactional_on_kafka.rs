//! Kafka transactions on real Apache Kafka: `eventdeck inject --transactional
//! FILE.jsonl` publishes every event of the file or none, as a
//! `read_committed` reader (kcat) sees it.

mod support;
use support::tui as fixtures;

use std::collections::HashSet;
use std::time::Duration;

use std::sync::Arc;

use eventdeck::domain::Envelope;
use eventdeck::kafka::EventProducer;
use eventdeck::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use eventdeck::publish::DirectPublisher;
use eventdeck::tui::App;
use eventdeck::tui::event::{Command, Route};
use eventdeck::tui::panes::inject::Field;
use eventdeck::tui::runtime::perform_publish_transaction;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use serde_json::json;
use support::admin::{audit_lines, eventdeck};
use support::bridge::{read_committed, read_topic_with};
use support::{Sandbox, create_topic, stderr, stdout, unique_topic};
use tokio::sync::mpsc;

fn jsonl(events: &[Envelope]) -> String {
    events
        .iter()
        .map(|e| format!("{}\n", e.to_json()))
        .collect()
}

fn decisions(n: usize, data: impl Fn(usize) -> serde_json::Value) -> Vec<Envelope> {
    (0..n)
        .map(|i| Envelope::new("debate", "DecisionMade", format!("d-{i}"), data(i)))
        .collect()
}

/// A topic whose records may be at most `max_bytes` (the broker refuses larger).
async fn create_small_record_topic(name: &str, max_bytes: usize) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", support::bootstrap())
        .create()
        .expect("admin client");
    let bytes = max_bytes.to_string();
    let topic = NewTopic::new(name, 3, TopicReplication::Fixed(1)).set("max.message.bytes", &bytes);
    for r in admin
        .create_topics(
            &[topic],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(20))),
        )
        .await
        .expect("create_topics")
    {
        r.unwrap_or_else(|(t, e)| panic!("creating {t}: {e}"));
    }
    // Ready once kcat sees a leader for every partition.
    for _ in 0..100 {
        let out = support::kcat(&["-L", "-t", name, "-J"]);
        let md: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let parts = md["topics"][0]["partitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| p["leader"].as_i64().unwrap_or(-1) >= 0)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} did not become ready");
}

fn ids(reads: &[support::bridge::Read]) -> HashSet<String> {
    reads
        .iter()
        .filter_map(|r| r.value["event_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inject_transactional_publishes_every_event_of_a_file_or_none() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path();
    let topic = unique_topic("debate.events.txn");
    create_topic(&topic, 3).await;

    // A good file: all five, visible to a read_committed reader.
    let good = decisions(5, |i| json!({ "n": i }));
    let file = dir.join("good.jsonl");
    std::fs::write(&file, jsonl(&good)).unwrap();
    let path = file.to_string_lossy().to_string();
    let out = eventdeck(
        &sandbox,
        &[
            "inject",
            "--transactional",
            &path,
            "--topic",
            &topic,
            "--json",
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let answer: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(answer["committed"], 5, "{answer}");
    let want: HashSet<String> = good.iter().map(|e| e.event_id.to_string()).collect();
    assert_eq!(ids(&read_committed(&topic)), want);

    // A line that is no envelope: refused before anything is sent.
    let mut text = jsonl(&decisions(2, |i| json!({ "n": i })));
    text.push_str("{not json\n");
    text.push_str(&jsonl(&decisions(1, |_| json!({}))));
    let file = dir.join("bad-line.jsonl");
    std::fs::write(&file, text).unwrap();
    let path = file.to_string_lossy().to_string();
    let out = eventdeck(
        &sandbox,
        &["inject", "--transactional", &path, "--topic", &topic],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("line 3") && err.contains("nothing was published"),
        "{err}"
    );
    assert_eq!(ids(&read_committed(&topic)), want, "nothing more");

    // Kafka refuses one record of the file (over the topic's
    // max.message.bytes): the transaction is aborted and none of the others
    // becomes visible, though they may be in the log.
    let small = unique_topic("debate.events.txn-small");
    create_small_record_topic(&small, 2_000).await;
    let mut events = decisions(6, |i| json!({ "n": i }));
    // Random hex: it stays larger than the limit after zstd, which the
    // broker checks the compressed batch against.
    let blob: String = (0..600)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    events[3] = Envelope::new("debate", "DecisionMade", "d-big", json!({ "blob": blob }));
    let file = dir.join("refused.jsonl");
    std::fs::write(&file, jsonl(&events)).unwrap();
    let path = file.to_string_lossy().to_string();
    let out = eventdeck(
        &sandbox,
        &["inject", "--transactional", &path, "--topic", &small],
    );
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("aborted"), "{err}");
    assert!(
        read_committed(&small).is_empty(),
        "an aborted transaction is invisible"
    );
    let uncommitted = read_topic_with(
        &support::bootstrap(),
        &small,
        &["-X", "isolation.level=read_uncommitted"],
    );
    eprintln!(
        "the aborted transaction left {} record(s) in the log that read_uncommitted sees",
        uncommitted.len()
    );
    let audit = audit_lines(&sandbox);
    let last = audit.last().expect("an audit line per inject");
    assert_eq!(last["action"], "inject", "{last}");
    assert!(last.to_string().contains("error"), "{last}");
}

/// Sends what the inject form holds as the app loop does (`^S`, then the
/// runtime's transaction worker); the history's last outcome.
async fn send_all_or_none(
    app: &mut App,
    settings: &eventdeck::config::Settings,
) -> Result<String, String> {
    app.press("ctrl+s");
    let mut sent = 0;
    for cmd in app.take_commands() {
        if let Command::Publish(req) = cmd {
            assert_eq!(req.route, Route::Transaction, "the all-or-none route");
            let (tx, mut rx) = mpsc::channel(4);
            perform_publish_transaction(settings.clone(), *req, tx).await;
            while let Ok(m) = rx.try_recv() {
                app.apply(m);
            }
            sent += 1;
        }
    }
    assert_eq!(sent, 1, "one send for the whole list");
    let last = app.panes.inject.history().back().expect("a history line");
    last.outcome.clone().expect("finished")
}

/// The inject form's list: `v` twice picks "all or none", the data field's
/// JSON array becomes that many events (one flow: one correlation id) in one
/// Kafka transaction; a list Kafka refuses one record of leaves none visible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inject_forms_all_or_none_route_commits_a_list_or_nothing() {
    let sandbox = Sandbox::new();
    let tag = support::bridge::tag();
    let settings = support::bridge::settings(sandbox.dir.path(), &tag);
    let topic = settings.topics.resolve("debate");
    create_topic(&topic, 3).await;
    let (mut services, _) = fixtures::services_with(settings.clone());
    let producer = EventProducer::new(&settings, DEFAULT_DELIVERY_TIMEOUT).expect("producer");
    services.raw_publisher = Some(Arc::new(DirectPublisher::new(producer)));
    let mut app = App::new(&services);

    app.press("5 v v");
    assert_eq!(app.panes.inject.route, Route::Transaction);
    app.panes.inject.set_field(Field::Target, &topic);
    app.panes
        .inject
        .set_data(r#"[{"n": 0}, {"n": 1, "why": "second"}, {"n": 2}]"#);
    let outcome = send_all_or_none(&mut app, &settings).await;
    assert!(
        outcome
            .as_ref()
            .is_ok_and(|t| t.contains("committed 3 events in one transaction")),
        "{outcome:?}"
    );
    let reads = read_committed(&topic);
    assert_eq!(
        reads.len(),
        3,
        "{:?}",
        reads.iter().map(|r| &r.value).collect::<Vec<_>>()
    );
    let mut ns: Vec<i64> = reads
        .iter()
        .filter_map(|r| r.value["data"]["n"].as_i64())
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, [0, 1, 2]);
    let flows: HashSet<&str> = reads
        .iter()
        .filter_map(|r| r.value["correlation_id"].as_str())
        .collect();
    assert_eq!(flows.len(), 1, "one flow: {flows:?}");

    // Not a list: the form says so and sends nothing.
    app.panes.inject.set_data(r#"{"n": 9}"#);
    app.press("ctrl+s");
    assert!(
        !app.take_commands()
            .iter()
            .any(|c| matches!(c, Command::Publish(_))),
        "no send without a list"
    );

    // Kafka refuses the second record (over max.message.bytes): nothing of
    // the list is visible to a read_committed reader.
    let small = unique_topic("debate.events.form-txn-small");
    create_small_record_topic(&small, 2_000).await;
    app.panes.inject.set_field(Field::Target, &small);
    let blob: String = (0..600)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    app.panes
        .inject
        .set_data(&json!([{ "n": 0 }, { "blob": blob }, { "n": 2 }]).to_string());
    let outcome = send_all_or_none(&mut app, &settings).await;
    assert!(
        outcome
            .as_ref()
            .is_err_and(|e| e.contains("nothing was published")),
        "{outcome:?}"
    );
    assert!(
        read_committed(&small).is_empty(),
        "an aborted list is invisible"
    );
    let audit = std::fs::read_to_string(settings.data_dir.join("audit.jsonl")).unwrap_or_default();
    let injects: Vec<serde_json::Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["action"] == "inject")
        .collect();
    assert_eq!(injects.len(), 2, "each send is audited once: {audit}");
    assert_eq!(injects[0]["params"]["events"], 3, "{}", injects[0]);
    assert!(injects[1].to_string().contains("error"), "{}", injects[1]);
}
