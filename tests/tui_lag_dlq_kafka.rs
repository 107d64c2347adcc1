//! The Lag and DLQ panes on real Apache Kafka, fed by the same workers the
//! console runs (lag poller, DLQ reader, redrive runner) and driven by keys:
//! the Lag pane's per-partition numbers equal `kafka-consumer-groups --describe`
//! (a never-committed partition and a commit below the log start included); a
//! dead letter written by kcat in Kafka Connect's header family shows decoded
//! with its stack trace; a redrive confirmed in the pane delivers the original
//! key, value and headers to the original topic (read back with kcat), leaves an
//! audit entry, and is refused by the worker in read-only mode.

mod support;
use support::admin;
use support::tui as fixtures;

use std::time::Duration;

use eventdeck::audit;
use eventdeck::config::Settings;
use eventdeck::lag::LagTracker;
use eventdeck::tui::App;
use eventdeck::tui::event::RedriveRequest;
use eventdeck::tui::event::{Command, WorkerMsg};
use eventdeck::tui::panes::dlq::{DlqView, RedriveStage};
use eventdeck::tui::panes::lag::SortColumn;
use eventdeck::tui::workers::dlq::{dlq_reader, run_redrive};
use eventdeck::tui::workers::lag::poll_once;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use support::*;
use tokio::sync::mpsc;

/// (topic, partition) → (current, log-end, lag), `-` when missing.
type Rows = admin::GroupRows;

fn settings(data_dir: &std::path::Path) -> Settings {
    let mut s = fixtures::settings();
    s.brokers = bootstrap();
    s.data_dir = data_dir.to_path_buf();
    s
}

#[tokio::test]
async fn lag_pane_numbers_equal_kafka_consumer_groups_describe() {
    let topic = unique_topic("tui-lag");
    create_topic(&topic, 3).await;
    admin::produce(&topic, 0, 10);
    admin::produce(&topic, 1, 7);
    admin::produce(&topic, 2, 5);
    let group = unique_topic("tui-lag-group");
    // A live member owns all three partitions and commits two: the third shows
    // `-` in both tools. It is paused, so the numbers hold still.
    let member: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("client.id", "tui-lag-member")
        .set("enable.auto.commit", "false")
        .create()
        .expect("member");
    member.subscribe(&[&topic]).expect("subscribe");
    for _ in 0..100 {
        let _ = tokio::time::timeout(Duration::from_millis(200), member.recv()).await;
        if member.assignment().map(|a| a.count()).unwrap_or(0) == 3 {
            break;
        }
    }
    let assigned = member.assignment().expect("assignment");
    assert_eq!(assigned.count(), 3, "member got all partitions");
    member.pause(&assigned).expect("pause");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(2))
        .expect("tpl");
    tpl.add_partition_offset(&topic, 1, Offset::Offset(4))
        .expect("tpl");
    member.commit(&tpl, CommitMode::Sync).expect("commit");
    // Retention (DeleteRecords) removes p0's records before 6: the group's
    // committed 2 is now below the log start.
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("admin");
    let mut before = TopicPartitionList::new();
    before
        .add_partition_offset(&topic, 0, Offset::Offset(6))
        .expect("tpl");
    admin
        .delete_records(&before, &AdminOptions::new())
        .await
        .expect("delete records");

    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let mut app = App::new(&fixtures::services_with(settings.clone()).0);
    let mut tracker = LagTracker::default();
    app.apply_lag(
        poll_once(
            &settings,
            &[],
            &mut tracker,
            &mut eventdeck::kafka::groups::GroupPoller::default(),
        )
        .await,
    );
    app.press("2");
    while app.panes.lag.sort().0 != SortColumn::Group {
        app.press("s");
    }
    let index = app
        .panes
        .lag
        .groups()
        .iter()
        .position(|g| *g == group)
        .unwrap_or_else(|| panic!("{group} not in {:?}", app.panes.lag.groups()));
    app.press("g");
    for _ in 0..index {
        app.press("j");
    }
    assert_eq!(app.panes.lag.selected_group(), Some(group.as_str()));
    app.press("enter");
    assert_eq!(app.panes.lag.drilled(), Some(group.as_str()));

    let mut ours = Rows::new();
    for cells in app.panes.lag.partition_cells() {
        let lag = cells[4].trim_end_matches(" ⚠").to_string();
        ours.insert(
            (cells[0].clone(), cells[1].parse().expect("partition")),
            (cells[2].clone(), cells[3].clone(), lag),
        );
        assert!(
            cells[6].starts_with("tui-lag-member"),
            "CONSUMER-ID {:?}",
            cells[6]
        );
        assert_eq!(cells[8], "tui-lag-member", "CLIENT-ID");
    }
    let theirs = admin::tool_group_rows(&group);
    assert_eq!(theirs.len(), 3, "the tool lists all three: {theirs:?}");
    assert_eq!(
        ours, theirs,
        "the Lag pane and kafka-consumer-groups disagree"
    );
    assert_eq!(
        theirs[&(topic.clone(), 2)],
        ("-".into(), "5".into(), "-".into())
    );
    assert_eq!(
        theirs[&(topic.clone(), 0)],
        ("2".into(), "10".into(), "8".into())
    );
    let text = fixtures::screen(&app, 160, 40);
    assert!(
        text.contains(&format!(
            "{topic}[0]: 4 records deleted by retention before this group read them"
        )),
        "{text}"
    );
    // Closing a consumer whose partitions are paused waits on a rebalance this
    // single-threaded test runtime never serves; let it close on its own thread.
    std::thread::spawn(move || drop(member));
}

/// Runs the console's DLQ reader until `want` dead letters of `topic` arrived;
/// every message is applied to `app`, as the app loop does.
async fn read_dead_letters(app: &mut App, settings: &Settings, topic: &str, want: usize) {
    let (tx, mut rx) = mpsc::channel(256);
    let reader = tokio::spawn(dlq_reader(settings.clone(), tx));
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen < want {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {seen} of {want} dead letters from {topic} in 60 s"))
            .expect("reader channel");
        if let WorkerMsg::DeadLetters(batch) = &msg {
            seen += batch.iter().filter(|r| r.record.topic == topic).count();
        }
        app.apply(msg);
    }
    reader.abort();
}

#[tokio::test]
async fn a_kafka_connect_dead_letter_written_by_kcat_shows_decoded_with_its_stack_trace() {
    let original = unique_topic("tui-connect");
    let dlq = format!("{original}.dlq");
    create_topic(&dlq, 1).await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    let message = format!("Converting byte[] failed ({marker})");
    kcat_produce(
        &dlq,
        "row-7",
        "not json",
        &[
            ("__connect.errors.topic", &original),
            ("__connect.errors.partition", "0"),
            ("__connect.errors.offset", "9"),
            ("__connect.errors.connector.name", "jdbc-sink"),
            ("__connect.errors.stage", "VALUE_CONVERTER"),
            (
                "__connect.errors.exception.class.name",
                "org.apache.kafka.connect.errors.DataException",
            ),
            ("__connect.errors.exception.message", &message),
            (
                "__connect.errors.exception.stacktrace",
                "org.apache.kafka.connect.errors.DataException: boom\n\tat Converter.toConnectData(Converter.java:12)\n\tat WorkerSinkTask.convert(WorkerSinkTask.java:540)",
            ),
        ],
    );
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let mut app = App::new(&fixtures::services_with(settings.clone()).0);
    read_dead_letters(&mut app, &settings, &dlq, 1).await;
    app.press("3 /");
    app.type_text(&marker);
    app.press("enter");
    assert_eq!(app.panes.dlq.causes().len(), 1);
    app.press("enter enter");
    assert_eq!(app.panes.dlq.view(), DlqView::Detail);
    let text = fixtures::screen(&app, 140, 60);
    for want in [
        "kafka-connect",
        &format!("{original}[0]@9"),
        "org.apache.kafka.connect.errors.DataException",
        &message,
        "jdbc-sink",
        "VALUE_CONVERTER",
        "▸ Stack trace (3 lines; t expands)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(
        !text.contains("at WorkerSinkTask.convert"),
        "collapsed:\n{text}"
    );
    app.press("t");
    let text = fixtures::screen(&app, 140, 60);
    assert!(
        text.contains("at WorkerSinkTask.convert(WorkerSinkTask.java:540)"),
        "expanded:\n{text}"
    );
}

#[tokio::test]
async fn redrive_from_the_pane_delivers_key_value_and_headers_to_the_original_topic() {
    let original = unique_topic("tui-redrive");
    let dlq = format!("{original}.dlq");
    create_topic(&original, 1).await;
    create_topic(&dlq, 1).await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    kcat_produce(
        &dlq,
        "order-17",
        r#"{"event_type":"OrderPlaced","data":{"total":42}}"#,
        &[
            ("trace-id", "abc123"),
            ("eventdeck.dlq.original.topic", &original),
            ("eventdeck.dlq.original.partition", "0"),
            ("eventdeck.dlq.original.offset", "5"),
            ("eventdeck.dlq.handler", "billing"),
            ("eventdeck.dlq.error.kind", "timeout"),
            (
                "eventdeck.dlq.error.message",
                &format!("no answer ({marker})"),
            ),
            ("eventdeck.dlq.attempts", "3"),
        ],
    );
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let mut app = App::new(&fixtures::services_with(settings.clone()).0);
    read_dead_letters(&mut app, &settings, &dlq, 1).await;
    app.press("3 /");
    app.type_text(&marker);
    app.press("enter enter enter");
    assert_eq!(app.panes.dlq.view(), DlqView::Detail);
    app.press("R");
    let Some(RedriveStage::Preview(plan)) = app.panes.dlq.redrive() else {
        panic!("no preview: {:?}", app.panes.dlq.redrive());
    };
    assert_eq!(plan.targets.get(&original), Some(&1));
    let out = kcat(&["-Q", "-t", &format!("{original}:0:-1")]);
    assert!(
        stdout(&out).trim().ends_with(" 0"),
        "dry run sent nothing: {}",
        stdout(&out)
    );
    app.press("y");
    let req: RedriveRequest = app
        .take_commands()
        .into_iter()
        .find_map(|c| match c {
            Command::Redrive(r) => Some(*r),
            _ => None,
        })
        .expect("a redrive command");

    // The worker refuses in read-only mode, whatever the app did.
    let mut read_only = settings.clone();
    read_only.read_only = true;
    let (tx, mut rx) = mpsc::channel(64);
    run_redrive(read_only, req.clone(), tx).await;
    let mut refused = None;
    while let Ok(m) = rx.try_recv() {
        if let WorkerMsg::RedriveDone(r) = m {
            refused = Some(r);
        }
    }
    let refused = refused.expect("an outcome");
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("read-only")),
        "{refused:?}"
    );

    let (tx, mut rx) = mpsc::channel(64);
    run_redrive(settings.clone(), req, tx).await;
    while let Ok(m) = rx.try_recv() {
        app.apply(m);
    }
    let Some(RedriveStage::Done(Ok(outcome))) = app.panes.dlq.redrive() else {
        panic!("no outcome: {:?}", app.panes.dlq.redrive());
    };
    assert_eq!((outcome.delivered, outcome.failed.len()), (1, 0));
    let text = fixtures::screen(&app, 120, 40);
    assert!(text.contains("✓ delivered 1 record(s)"), "{text}");

    let out = kcat(&["-C", "-t", &original, "-o", "beginning", "-e", "-q", "-J"]);
    let back: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("kcat json"))
        .collect();
    assert_eq!(back.len(), 1, "{}", stdout(&out));
    assert_eq!(back[0]["key"], "order-17");
    assert_eq!(
        back[0]["payload"],
        r#"{"event_type":"OrderPlaced","data":{"total":42}}"#
    );
    assert_eq!(
        back[0]["headers"],
        serde_json::json!(["trace-id", "abc123"]),
        "dead-letter headers stripped, the others kept"
    );

    let entries = audit::read(&settings).expect("audit log");
    let last = entries.last().expect("an audit entry");
    assert_eq!(last.action, "dlq.redrive");
    assert_eq!(last.outcome["delivered"], 1);
    assert_eq!(last.source, Some(audit::Source::Console));
    assert_eq!(last.params["records"][0], format!("{dlq}[0]@0"));
}
