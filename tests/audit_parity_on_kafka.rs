//! One function per mutation, proven from the outside: every change is made
//! once with the headless command (the `eventdeck` binary) and once from the
//! console (keys and palette commands, answered by the workers the console
//! runs), on real Kafka, over the same topics, groups and records — and the
//! two audit lines of each change are equal field for field, apart from
//! `time` and `source` (and an injected event's id: each inject is a new event).

mod support;
use support::admin;
use support::tui as fixtures;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use eventdeck::audit;
use eventdeck::config::Settings;
use eventdeck::kafka::EventProducer;
use eventdeck::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use eventdeck::publish::DirectPublisher;
use eventdeck::tui::App;
use eventdeck::tui::event::{Command, WorkerMsg};
use eventdeck::tui::keymap::Mode;
use eventdeck::tui::runtime::{perform_publish, perform_replay};
use eventdeck::tui::workers::dlq::{dlq_reader, run_redrive};
use serde_json::Value;
use support::*;
use tokio::sync::mpsc;

/// The five contexts, each mapped to a topic of this run, so `topics init`
/// creates topics no other test touches.
const CONTEXTS: [&str; 5] = [
    "debate",
    "implementation",
    "performance",
    "testing",
    "evolution",
];

/// The replay's range: wide enough for every record of the run, and fixed, so
/// both runs ask for the same.
const REPLAY_FROM: &str = "2020-01-01T00:00:00Z";
const REPLAY_TO: &str = "2100-01-01T00:00:00Z";
/// Key of the injected event (so both land on the same partition).
const INJECT_KEY: &str = "parity-key";
/// The first event type of the debate context, which the console's inject
/// form starts with.
const INJECT_TYPE: &str = "DebateStarted";

/// What both runs share: the config file (topic map), the topic and group names.
struct Case {
    config: PathBuf,
    topic: String,
    group: String,
    init_topics: Vec<String>,
    /// The debate context's topic (made by `topics init`): inject, redrive
    /// and replay go there.
    debate: String,
    /// Where the replay copies to (also made by `topics init`).
    evolution: String,
    /// In the dead letters' error messages: the redrive's filter.
    marker: String,
}

impl Case {
    fn new(dir: &Path) -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        let mut text = String::from("[topics.contexts]\n");
        let mut init_topics = Vec::new();
        for c in CONTEXTS {
            let t = format!("parity-{run}-{c}.events");
            text.push_str(&format!("{c} = \"{t}\"\n"));
            init_topics.push(format!("{t}.dlq"));
            init_topics.push(t);
        }
        let config = dir.join("config.toml");
        std::fs::write(&config, text).expect("config");
        Self {
            config,
            topic: format!("parity-{run}-orders"),
            group: format!("parity-{run}-billing"),
            init_topics,
            debate: format!("parity-{run}-debate.events"),
            evolution: format!("parity-{run}-evolution.events"),
            marker: format!("parity-{run}"),
        }
    }

    fn dlq(&self) -> String {
        format!("{}.dlq", self.debate)
    }

    /// Two dead letters of the debate topic, in partition 0 of its DLQ.
    fn dead_letters(&self) {
        for n in 0..2 {
            let mut args = vec![
                "-P".to_string(),
                "-t".into(),
                self.dlq(),
                "-p".into(),
                "0".into(),
                "-k".into(),
                format!("order-{n}"),
            ];
            for (k, v) in [
                ("eventdeck.dlq.original.topic", self.debate.clone()),
                ("eventdeck.dlq.original.partition", "0".into()),
                ("eventdeck.dlq.original.offset", n.to_string()),
                ("eventdeck.dlq.handler", "billing".into()),
                ("eventdeck.dlq.error.kind", "timeout".into()),
                (
                    "eventdeck.dlq.error.message",
                    format!("no answer ({})", self.marker),
                ),
            ] {
                args.push("-H".into());
                args.push(format!("{k}={v}"));
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let body = format!("{{\"n\":{n}}}");
            let out = kcat_with_stdin(&args, Some(body.as_bytes()));
            assert!(out.status.success(), "kcat -P: {}", stderr(&out));
        }
    }

    /// The console's settings: the same config file and brokers as the binary.
    fn settings(&self, data_dir: &Path) -> Settings {
        settings_from_config(&self.config, data_dir)
    }

    /// Records and committed offsets the reset and the empty act on; the
    /// same before each run.
    fn seed(&self) {
        admin::produce(&self.topic, 0, 5);
        admin::produce(&self.topic, 1, 3);
        admin::commit(&self.group, &[(&self.topic, 0, 4), (&self.topic, 1, 2)]);
    }
}

/// Topic names in the cluster's metadata (`kcat -L`, every topic: asking for
/// one by name could create it again).
fn listed() -> Vec<String> {
    let out = kcat(&["-L", "-J"]);
    let md: Value = serde_json::from_slice(&out.stdout).expect("kcat -L -J");
    md["topics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t["topic"].as_str().map(str::to_string))
        .collect()
}

/// Deletes what is left of `topics` and waits until metadata lists none of them.
async fn gone(topics: &[String]) {
    let admin_client: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .create()
            .expect("admin client");
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    // Errors are expected here: most of them were deleted by the run itself.
    let _ = admin_client
        .delete_topics(&names, &rdkafka::admin::AdminOptions::new())
        .await;
    for _ in 0..300 {
        let now = listed();
        if !topics.iter().any(|t| now.contains(t)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("still listed after a minute: {topics:?}");
}

fn headless(sandbox: &Sandbox, case: &Case, args: &[&str]) {
    let mut full = vec!["--config", case.config.to_str().expect("UTF-8 path")];
    full.extend_from_slice(args);
    admin::eventdeck_ok(sandbox, &full);
}

/// Every change, headless.
fn run_headless(sandbox: &Sandbox, case: &Case) {
    let (t, g) = (case.topic.as_str(), case.group.as_str());
    headless(sandbox, case, &["topics", "init"]);
    headless(
        sandbox,
        case,
        &[
            "inject",
            "-c",
            "debate",
            "-t",
            INJECT_TYPE,
            "-k",
            INJECT_KEY,
        ],
    );
    case.dead_letters();
    headless(
        sandbox,
        case,
        &[
            "dlq",
            "redrive",
            &case.dlq(),
            "--filter",
            &case.marker,
            "--rate",
            "100",
        ],
    );
    headless(
        sandbox,
        case,
        &[
            "replay",
            "--topic",
            &case.debate,
            "--from",
            REPLAY_FROM,
            "--to",
            REPLAY_TO,
            "--to-topic",
            &case.evolution,
            "--rate",
            "1000",
        ],
    );
    headless(
        sandbox,
        case,
        &[
            "topics",
            "create",
            t,
            "--partitions",
            "1",
            "--replication-factor",
            "1",
            "--set",
            "cleanup.policy=delete",
            "--set",
            "retention.ms=86400000",
        ],
    );
    headless(
        sandbox,
        case,
        &["topics", "config", t, "--set", "retention.ms=3600000"],
    );
    headless(
        sandbox,
        case,
        &["topics", "config", t, "--delete", "retention.ms"],
    );
    headless(
        sandbox,
        case,
        &["topics", "add-partitions", t, "--count", "2"],
    );
    case.seed();
    headless(
        sandbox,
        case,
        &[
            "groups",
            "reset-offsets",
            "-g",
            g,
            "--topic",
            t,
            "--shift-by",
            "-2",
            "--execute",
        ],
    );
    headless(sandbox, case, &["groups", "delete", g, "--yes"]);
    headless(sandbox, case, &["topics", "empty", t, "--yes"]);
    headless(sandbox, case, &["topics", "delete", t, "--yes"]);
}

/// Every change, from the console: palette commands, confirmations typed
/// into the dialogs, each admin request answered by the console's worker.
async fn run_console(settings: &Settings, case: &Case) {
    let (t, g) = (case.topic.as_str(), case.group.as_str());
    let (mut services, _) = fixtures::services_with(settings.clone());
    // The console's main route publishes straight to Kafka, as the headless
    // inject does (with the bridge running it would go through the bridge).
    let producer = EventProducer::new(settings, DEFAULT_DELIVERY_TIMEOUT).expect("producer");
    services.publisher = Arc::new(DirectPublisher::new(producer));
    let mut app = App::new(&services);
    let palette = |app: &mut App, line: &str| {
        app.press(":");
        app.type_text(&format!("{line}\n"));
    };
    let confirm = |app: &mut App, name: &str| {
        assert_eq!(app.mode(), Mode::TypeConfirm, "a type-the-name dialog");
        app.type_text(&format!("{name}\n"));
    };
    palette(&mut app, "topic init");
    confirm(&mut app, "init");
    fixtures::drive_ops(&mut app, settings).await;

    // Inject: the form, from its first context, with a key; sent as the app loop sends it.
    app.press("5 down down enter");
    app.type_text(INJECT_KEY);
    app.press("enter ctrl+s");
    for cmd in app.take_commands() {
        if let Command::Publish(req) = cmd {
            assert_eq!(req.request.envelope.event_type, INJECT_TYPE);
            let (tx, mut rx) = mpsc::channel(4);
            perform_publish(settings.clone(), services.publisher.clone(), *req, tx).await;
            while let Ok(m) = rx.try_recv() {
                app.apply(m);
            }
        }
    }

    // Redrive: the DLQ pane reads the dead letters, `/` filters, `A` previews
    // every match, `y` sends them through the console's redrive worker.
    case.dead_letters();
    read_dead_letters(&mut app, settings, &case.dlq(), 2).await;
    app.press("3 /");
    app.type_text(&case.marker);
    app.press("enter A y");
    for cmd in app.take_commands() {
        if let Command::Redrive(req) = cmd {
            let (tx, mut rx) = mpsc::channel(64);
            run_redrive(settings.clone(), *req, tx).await;
            while let Ok(m) = rx.try_recv() {
                app.apply(m);
            }
        }
    }
    assert_eq!(app.mode(), Mode::Redrive, "the outcome is shown");
    app.press("esc");

    // Replay: the palette's dry run, then `y`, through the runtime's replay worker.
    palette(
        &mut app,
        &format!(
            "replay topic={} from={REPLAY_FROM} to={REPLAY_TO} to-topic={} rate=1000",
            case.debate, case.evolution
        ),
    );
    replay_steps(&mut app, settings).await;
    assert_eq!(app.mode(), Mode::Replay, "the dry run is shown first");
    app.press("y");
    replay_steps(&mut app, settings).await;
    app.press("esc");
    palette(
        &mut app,
        &format!("topic create {t} partitions=1 rf=1 cleanup.policy=delete retention.ms=86400000"),
    );
    fixtures::drive_ops(&mut app, settings).await;
    palette(&mut app, &format!("topic config {t} retention.ms=3600000"));
    fixtures::drive_ops(&mut app, settings).await;
    palette(&mut app, &format!("topic config {t} retention.ms="));
    fixtures::drive_ops(&mut app, settings).await;
    palette(&mut app, &format!("topic partitions {t} 2"));
    fixtures::drive_ops(&mut app, settings).await;
    case.seed();
    palette(&mut app, &format!("reset {g} --shift-by -2 {t}"));
    fixtures::drive_ops(&mut app, settings).await;
    assert_eq!(app.mode(), Mode::ResetPlan, "the plan is shown first");
    app.press("y");
    fixtures::drive_ops(&mut app, settings).await;
    palette(&mut app, &format!("group delete {g}"));
    confirm(&mut app, g);
    fixtures::drive_ops(&mut app, settings).await;
    palette(&mut app, &format!("topic empty {t}"));
    confirm(&mut app, t);
    fixtures::drive_ops(&mut app, settings).await;
    palette(&mut app, &format!("topic delete {t}"));
    confirm(&mut app, t);
    fixtures::drive_ops(&mut app, settings).await;
}

/// Feeds the DLQ pane what the console's DLQ reader reads, until `want`
/// records of `topic` arrived.
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

/// Runs the replay commands the app asked for through the runtime's replay
/// worker and applies what it reports.
async fn replay_steps(app: &mut App, settings: &Settings) {
    for cmd in app.take_commands() {
        if !matches!(cmd, Command::ReplayPlan(_) | Command::ReplayRun(_)) {
            continue;
        }
        let (tx, mut rx) = mpsc::channel(64);
        let worker = tokio::spawn(perform_replay(settings.clone(), None, cmd, tx));
        while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the replay worker answers")
        {
            app.apply(msg);
        }
        worker.await.expect("replay worker");
    }
}

/// An audit line as JSON without the fields that may differ: time and
/// source, the line's place in its log's hash chain, and the id of an injected
/// event (each inject makes a new event).
fn comparable(mut line: Value) -> Value {
    let obj = line.as_object_mut().expect("an object");
    obj.remove("time");
    obj.remove("source");
    // Each log has its own hash chain: where a line sits in it differs.
    for chain in ["genesis", "prev", "seq", "hash"] {
        obj.remove(chain);
    }
    if obj["action"] == "inject" {
        let params = obj["params"].as_object_mut().expect("params");
        assert!(params.remove("event_id").is_some(), "an event id");
    }
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_audited_alike_from_the_console_and_headless() {
    let dir = tempfile::tempdir().expect("dir");
    let case = Case::new(dir.path());
    let sandbox = Sandbox::new();
    run_headless(&sandbox, &case);
    let headless_lines = admin::audit_lines(&sandbox);

    let mut leftovers = case.init_topics.clone();
    leftovers.push(case.topic.clone());
    gone(&leftovers).await;

    let console_dir = dir.path().join("console");
    let settings = case.settings(&console_dir);
    run_console(&settings, &case).await;
    let console_lines: Vec<Value> = audit::read(&settings)
        .expect("audit log")
        .into_iter()
        .map(|e| serde_json::to_value(e).expect("JSON"))
        .collect();
    gone(&leftovers).await;

    let actions = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l["action"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        actions(&headless_lines),
        [
            "topics.init",
            "inject",
            "dlq.redrive",
            "replay",
            "topics.create",
            "topics.config",
            "topics.config",
            "topics.add-partitions",
            "groups.reset-offsets",
            "groups.delete",
            "topics.empty",
            "topics.delete",
        ],
        "{headless_lines:#?}"
    );
    assert_eq!(actions(&console_lines), actions(&headless_lines));
    for (h, c) in headless_lines.iter().zip(&console_lines) {
        assert_eq!(h["source"], "headless", "{h}");
        assert_eq!(c["source"], "console", "{c}");
        assert!(h["outcome"].get("error").is_none(), "it worked: {h}");
        assert_eq!(comparable(c.clone()), comparable(h.clone()));
    }
}
