//! Transactions as the console shows them, on real Apache Kafka: a transaction
//! the test aborts is invisible at `read_committed` and marked at
//! `read_uncommitted`, in `eventdeck tail` and in the Streams pane (the
//! library's reader, a snapshot, and the console in a terminal toggling with
//! `i`).

mod support;
use support::pty;
use support::tui as fixtures;

use std::time::Duration;

use eventdeck::kafka::consume::{TailEvent, tail_map_reading};
use eventdeck::kafka::isolation::Isolation;
use eventdeck::kafka::{Arrived, Reading, StartAt, TailOptions, TxnState};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;
use tokio::sync::mpsc;

use support::{Sandbox, bootstrap, create_topic, json_lines, run_capped, stdout, unique_topic};

const TXN_TIMEOUT: Duration = Duration::from_secs(30);

/// A transactional producer (its own `transactional.id`), initialised.
fn transactional_producer() -> BaseProducer {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set(
            "transactional.id",
            format!("eventdeck-test-{}", uuid::Uuid::new_v4().simple()),
        )
        .create()
        .expect("transactional producer");
    p.init_transactions(TXN_TIMEOUT).expect("init transactions");
    p
}

/// An envelope value of type `ty` whose `data.n` is `n`.
fn event(ty: &str, n: u32) -> String {
    json!({
        "event_id": uuid::Uuid::new_v4().to_string(),
        "event_type": ty,
        "schema_version": 1,
        "context": "debate",
        "aggregate_id": format!("agg-{n}"),
        "occurred_at": "2026-11-27T10:00:00Z",
        "correlation_id": uuid::Uuid::new_v4().to_string(),
        "causation_id": null,
        "data": {"n": n},
    })
    .to_string()
}

/// Sends `values` to partition 0 of `topic` in one transaction, committed or
/// aborted.
fn transaction(p: &BaseProducer, topic: &str, values: &[String], commit: bool) {
    p.begin_transaction().expect("begin");
    for v in values {
        let key = "k";
        p.send(BaseRecord::to(topic).partition(0).key(key).payload(v))
            .map_err(|(e, _)| e)
            .expect("send");
    }
    p.flush(TXN_TIMEOUT).expect("flush");
    if commit {
        p.commit_transaction(TXN_TIMEOUT).expect("commit");
    } else {
        p.abort_transaction(TXN_TIMEOUT).expect("abort");
    }
}

/// A one-partition topic holding: a committed transaction (`Kept` 1, 2 at
/// offsets 0, 1; marker 2), an aborted one (`Dropped` 3, 4 at 3, 4; marker
/// 5) and a committed one (`Kept` 5 at 6; marker 7).
async fn topic_with_an_aborted_transaction(prefix: &str) -> String {
    let topic = unique_topic(prefix);
    create_topic(&topic, 1).await;
    let p = transactional_producer();
    transaction(&p, &topic, &[event("Kept", 1), event("Kept", 2)], true);
    transaction(
        &p,
        &topic,
        &[event("Dropped", 3), event("Dropped", 4)],
        false,
    );
    transaction(&p, &topic, &[event("Kept", 5)], true);
    topic
}

/// `eventdeck tail TOPIC --from beginning -e` at `isolation`, in `format`.
fn tail(sandbox: &Sandbox, topic: &str, isolation: &str, format: &str) -> std::process::Output {
    let mut cmd = sandbox.eventdeck();
    cmd.args(["tail", topic, "--from", "beginning", "-e"])
        .args(["--format", format, "--isolation", isolation]);
    let out = run_capped(cmd, Duration::from_secs(120));
    assert!(out.status.success(), "tail: {}", support::stderr(&out));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_hides_an_aborted_transaction_at_read_committed_and_marks_it_at_read_uncommitted() {
    let topic = topic_with_an_aborted_transaction("txn-tail").await;
    let sandbox = Sandbox::new();

    let committed = json_lines(&tail(&sandbox, &topic, "read_committed", "json"));
    let offsets: Vec<i64> = committed
        .iter()
        .map(|l| l["offset"].as_i64().expect("offset"))
        .collect();
    assert_eq!(offsets, vec![0, 1, 6], "{committed:?}");
    assert!(committed.iter().all(|l| l.get("aborted").is_none()));

    let all = json_lines(&tail(&sandbox, &topic, "read_uncommitted", "json"));
    let marked: Vec<(i64, bool, &str)> = all
        .iter()
        .map(|l| {
            (
                l["offset"].as_i64().expect("offset"),
                l["aborted"].as_bool().expect("aborted: true or false"),
                l["value"]["event_type"].as_str().expect("event type"),
            )
        })
        .collect();
    assert_eq!(
        marked,
        vec![
            (0, false, "Kept"),
            (1, false, "Kept"),
            (3, true, "Dropped"),
            (4, true, "Dropped"),
            (6, false, "Kept"),
        ]
    );

    let pretty = stdout(&tail(&sandbox, &topic, "read_uncommitted", "pretty"));
    let aborted: Vec<&str> = pretty
        .lines()
        .filter(|l| l.starts_with("ABORTED "))
        .collect();
    assert_eq!(aborted.len(), 2, "{pretty}");
    assert!(aborted.iter().all(|l| l.contains("Dropped")), "{pretty}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_at_read_uncommitted_says_null_for_a_transaction_still_open_at_its_end() {
    let topic = topic_with_an_aborted_transaction("txn-open").await;
    let p = transactional_producer();
    p.begin_transaction().expect("begin");
    let v = event("Pending", 6);
    p.send(BaseRecord::to(&topic).partition(0).key("k").payload(&v))
        .map_err(|(e, _)| e)
        .expect("send");
    p.flush(TXN_TIMEOUT).expect("flush");
    let sandbox = Sandbox::new();
    let all = json_lines(&tail(&sandbox, &topic, "read_uncommitted", "json"));
    let marked: Vec<(i64, serde_json::Value)> = all
        .iter()
        .map(|l| (l["offset"].as_i64().expect("offset"), l["aborted"].clone()))
        .collect();
    assert_eq!(
        marked,
        vec![
            (0, json!(false)),
            (1, json!(false)),
            (3, json!(true)),
            (4, json!(true)),
            (6, json!(false)),
            // Its transaction is open: not known.
            (8, json!(null)),
        ]
    );
    // read_committed stops below it.
    let committed = json_lines(&tail(&sandbox, &topic, "read_committed", "json"));
    assert_eq!(committed.len(), 3);
    p.abort_transaction(TXN_TIMEOUT).expect("abort");
}

/// What the Streams pane's reader sends for `topic` from its beginning at
/// `isolation`, until it has sent `records` records and `notes` transaction
/// notes and nothing else comes for a second.
async fn streams_read(
    topic: &str,
    isolation: Isolation,
    records: usize,
    notes: usize,
) -> Vec<TailEvent<Arrived>> {
    let dir = tempfile::tempdir().expect("dir");
    let settings = support::kafka_settings(dir.path());
    let topics = settings.topics.clone();
    let (tx, mut rx) = mpsc::channel(64);
    let opts = TailOptions {
        topics: vec![topic.to_string()],
        start: StartAt::Beginning,
        count: None,
        exit_at_end: false,
    };
    let reading = Reading {
        isolation,
        hold: false,
    };
    let reader = tokio::spawn(async move {
        tail_map_reading(&settings, opts, reading, tx, move |r| {
            Arrived::read(r, &topics)
        })
        .await
    });
    let mut events = Vec::new();
    let (mut seen, mut noted) = (0, 0);
    loop {
        // A second of quiet once everything expected is in (to catch what
        // should not come); a minute while waiting for it (a loaded machine
        // decides a transaction's records late).
        let wait = if seen >= records && noted >= notes {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(60)
        };
        match tokio::time::timeout(wait, rx.recv()).await {
            Ok(Some(ev)) => {
                match &ev {
                    TailEvent::Records(rs) => seen += rs.len(),
                    TailEvent::Txn(ns) => noted += ns.len(),
                    _ => {}
                }
                events.push(ev);
            }
            Ok(None) => break,
            Err(_) => {
                assert!(
                    seen >= records && noted >= notes,
                    "read {seen} of {records} records and {noted} of {notes} transaction notes: {events:?}"
                );
                break;
            }
        }
    }
    drop(rx);
    let _ = reader.await;
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_streams_pane_marks_the_aborted_records_it_reads_at_read_uncommitted() {
    let topic = topic_with_an_aborted_transaction("txn-streams").await;

    let committed = streams_read(&topic, Isolation::ReadCommitted, 3, 0).await;
    let offsets: Vec<i64> = committed
        .iter()
        .filter_map(|e| match e {
            TailEvent::Records(rs) => Some(rs.iter().map(|a| a.record.offset)),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(offsets, vec![0, 1, 6]);
    assert!(!committed.iter().any(|e| matches!(e, TailEvent::Txn(_))));

    let events = streams_read(&topic, Isolation::ReadUncommitted, 5, 2).await;
    let notes: Vec<(i64, TxnState)> = events
        .iter()
        .filter_map(|e| match e {
            TailEvent::Txn(ns) => Some(ns.iter().map(|n| (n.offset, n.state))),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(notes, vec![(3, TxnState::Aborted), (4, TxnState::Aborted)]);

    // The console as the runtime feeds it: records, then the notes.
    let (mut services, _) = fixtures::services_with(fixtures::settings());
    services.topics = vec![topic.clone()];
    let mut app = eventdeck::tui::App::new(&services);
    app.panes.streams.isolation = Isolation::ReadUncommitted;
    app.panes.streams.start_label = "beginning".into();
    for ev in events {
        match ev {
            TailEvent::Records(rs) => app.ingest_arrived(rs),
            TailEvent::Txn(ns) => app.mark_txn(&ns),
            TailEvent::Warning(w) => panic!("warning: {w}"),
        }
    }
    let screen = fixtures::screen(&app, 120, 20);
    let aborted: Vec<&str> = screen.lines().filter(|l| l.contains("✗ Dropped")).collect();
    assert_eq!(aborted.len(), 2, "{screen}");
    assert!(screen.contains("read_uncommitted"), "{screen}");
    fixtures::snap_filtered(
        "streams_aborted_transaction",
        &app,
        vec![
            (r"txn-streams-[0-9a-f]{32}", "[topic]"),
            (r"\d\d:\d\d:\d\d\.\d\d\d", "[time]"),
        ],
    );
    // The record view says so.
    let aborted_row = 2;
    app.panes.streams.select_index(aborted_row);
    app.press("enter");
    let detail = fixtures::screen(&app, 120, 30);
    assert!(
        detail.contains("ABORTED: its transaction was aborted"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_toggles_to_read_uncommitted_with_i_and_marks_the_aborted_rows() {
    let topic = topic_with_an_aborted_transaction("txn-console").await;
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("config").join("eventdeck");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("config.toml"),
        format!("[topics.contexts]\ndebate = \"{topic}\"\n"),
    )
    .expect("config");
    let wait = Duration::from_secs(30);
    let s = pty::Session::spawn(&sandbox.eventdeck(), 140, 40);
    s.wait_for("● connected", wait);
    // From the beginning at read_committed: the two committed transactions.
    s.type_text("b");
    s.wait_for("0@6", wait);
    let screen = s.screen();
    assert!(!screen.contains("Dropped"), "{screen}");
    s.type_text("i");
    s.wait_for("read_uncommitted", wait);
    let screen = s.wait_for("✗ Dropped", wait);
    let aborted = screen.lines().filter(|l| l.contains("✗ Dropped")).count();
    assert_eq!(aborted, 2, "{screen}");
    // And back: the stream bar no longer says read_uncommitted, and the rows
    // read again are the committed ones only. (The toast that says so lasts
    // 6 s; a loaded CI machine once looked past it, so the test waits for
    // what stays.)
    s.type_text("i");
    let screen = s.wait_until("read_committed rows", wait, |s| {
        !s.contains("read_uncommitted") && !s.contains("Dropped") && s.contains("0@6")
    });
    let rows = screen.lines().filter(|l| l.contains(" debate ")).count();
    assert_eq!(rows, 3, "the committed records, read again: {screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_whose_only_lag_is_commit_markers_is_ok_with_zero_seconds_and_lag_as_the_tool() {
    // Two topics, so partition numbers repeat (an end-of-partition event
    // names only the partition).
    let topics = [unique_topic("txn-lag"), unique_topic("txn-lag")];
    let group = unique_topic("txn-lag-group");
    let p = transactional_producer();
    for topic in &topics {
        create_topic(topic, 2).await;
        // One transaction over both partitions: records 0..2 and its
        // commit marker at 3 in each.
        p.begin_transaction().expect("begin");
        for partition in 0..2 {
            for n in 0..3 {
                let v = event("Kept", n);
                p.send(
                    BaseRecord::to(topic)
                        .partition(partition)
                        .key("k")
                        .payload(&v),
                )
                .map_err(|(e, _)| e)
                .expect("send");
            }
        }
        p.commit_transaction(TXN_TIMEOUT).expect("commit");
        // A consumer that read everything and committed the offset after its
        // last record (what committing a record's offset + 1 does): the
        // marker is left as a "lag" of 1 per partition for good.
        support::admin::commit(&group, &[(topic.as_str(), 0, 3), (topic.as_str(), 1, 3)]);
        // The coordinator writes the markers after the commit returns.
        let start = std::time::Instant::now();
        while support::end_offsets(topic) != vec![(0, 4), (1, 4)] {
            assert!(start.elapsed() < Duration::from_secs(30), "no markers");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    let theirs = support::admin::tool_group_rows(&group);
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["lag", "--group", &group, "--json", "--samples", "1"]);
    let out = support::run(cmd);
    assert!(out.status.success(), "lag: {}", support::stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let g = &report["groups"][0];
    assert_eq!(g["group"], group.as_str(), "{report:#}");
    for part in g["partitions"].as_array().expect("partitions") {
        let key = (
            part["topic"].as_str().expect("topic").to_string(),
            part["partition"].as_i64().expect("partition") as i32,
        );
        let ours = (
            part["current_offset"].to_string(),
            part["log_end_offset"].to_string(),
            part["lag"].to_string(),
        );
        assert_eq!(ours, theirs[&key], "LAG differs from kafka-consumer-groups");
        assert_eq!(part["lag"], 1, "{part:#}");
        assert_eq!(part["txn_markers"], 1, "{part:#}");
        assert_eq!(part["lag_seconds"], 0.0, "{part:#}");
        assert_eq!(part["status"], "OK", "{part:#}");
    }
    assert_eq!(g["partitions"].as_array().map(Vec::len), Some(4));
    assert_eq!(g["total_lag"], 4);
    assert_eq!(g["lag_seconds"], 0.0);
    assert_eq!(g["status"], "OK");

    // The text report says what the lag is.
    let mut cmd = sandbox.eventdeck();
    cmd.args(["lag", "--group", &group, "--samples", "1"]);
    let text = stdout(&support::run(cmd));
    assert_eq!(text.matches("(1 txn marker)").count(), 4, "{text}");
}
