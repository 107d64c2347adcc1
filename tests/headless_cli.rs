//! The headless commands as a script or a person meets them: a closed pipe
//! (`| head`) ends every command quietly with status 0; `demo` without a
//! terminal, with `--brokers` or with `-X` says what to do instead; an unknown
//! librdkafka property is named plainly; the headless demo's bridge counts add
//! up; `tail --format json` carries every record's key and value exactly;
//! `tail --format raw` writes values as they are, warning once on a terminal.

mod support;
use support::pty;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

/// Runs `cmd` with its stdout a pipe whose reader is closed before the
/// command writes anything (it is closed as soon as the process starts).
fn run_into_closed_pipe(mut cmd: Command) -> std::process::Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn eventdeck");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

#[test]
fn a_closed_pipe_ends_every_command_quietly_with_status_0() {
    let sandbox = Sandbox::new();
    // More than a pipe holds, in case the reader is not gone yet.
    // Private, as eventdeck makes it (an open one draws a warning on stderr).
    eventdeck::private::create_dir_all(&sandbox.data_dir()).expect("data dir");
    let mut log = std::fs::File::create(sandbox.data_dir().join("audit.jsonl")).expect("audit");
    for i in 0..2_000 {
        let entry = json!({
            "time": "2026-12-01T22:00:00.000Z", "os_user": "tester",
            "principal": "User:ANONYMOUS", "profile": "default", "cluster": "k:9092",
            "action": "topics.create", "params": {"topic": format!("t-{i}")}, "outcome": "ok",
        });
        writeln!(log, "{entry}").expect("write");
    }
    drop(log);
    for args in [
        &["audit", "--json"][..],
        &["audit"][..],
        &["topics", "list"][..],
        &["groups", "list", "--json"][..],
    ] {
        let mut cmd = sandbox.eventdeck();
        cmd.args(args);
        let out = run_into_closed_pipe(cmd);
        assert!(
            out.status.success(),
            "eventdeck {args:?}: {:?}, stderr: {}",
            out.status,
            stderr(&out)
        );
        assert_eq!(stderr(&out), "", "eventdeck {args:?} says nothing");
    }
}

/// The binary without `--brokers` (the demo refuses it).
fn eventdeck_bare(sandbox: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eventdeck"));
    cmd.env("XDG_CONFIG_HOME", sandbox.dir.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.dir.path().join("data"))
        .env("HOME", sandbox.dir.path())
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("EVENTDECK_PROFILE");
    cmd
}

#[test]
fn demo_without_a_terminal_says_to_use_headless() {
    let sandbox = Sandbox::new();
    // setsid: a new session has no controlling terminal at all, as under
    // cron or a service manager; stdout is a pipe.
    let bare = eventdeck_bare(&sandbox);
    let mut cmd = Command::new("setsid");
    cmd.arg("-w")
        .arg(bare.get_program())
        .arg("demo")
        .envs(bare.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("setsid (util-linux) runs eventdeck");
    // A cap for a console drawing into the pipe, not a time budget.
    let mut status = None;
    for _ in 0..600 {
        if let Some(s) = child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if status.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("output");
    assert!(status.is_some(), "demo kept running without a terminal");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no terminal; use --headless"), "{err}");
    assert!(!err.contains("os error"), "{err}");
}

#[test]
fn demo_refuses_cluster_flags_it_would_ignore() {
    let sandbox = Sandbox::new();
    for flags in [&["--brokers", "10.1.2.3:9092"][..], &["-X", "acks=1"][..]] {
        let mut cmd = eventdeck_bare(&sandbox);
        cmd.args(flags).args(["demo", "--headless", "--for", "1s"]);
        let out = run(cmd);
        assert!(!out.status.success(), "{flags:?} accepted");
        let err = stderr(&out);
        assert!(err.contains("embedded broker"), "{err}");
        assert!(err.contains(&format!("does not use {}", flags[0])), "{err}");
        assert_eq!(stdout(&out), "", "nothing ran");
    }
}

#[test]
fn an_unknown_librdkafka_property_is_named_plainly() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["-X", "foo=bar", "topics", "list"]);
    let out = run(cmd);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(
        err.trim(),
        "eventdeck: error: unknown librdkafka property 'foo'"
    );
}

#[test]
fn the_headless_demo_says_how_published_and_delivered_add_up() {
    let sandbox = Sandbox::new();
    let mut cmd = eventdeck_bare(&sandbox);
    cmd.args([
        "demo",
        "--headless",
        "--for",
        "3s",
        "--rate",
        "30",
        "--json",
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let b = &summary["bridge"];
    let n = |k: &str| {
        b[k].as_u64()
            .unwrap_or_else(|| panic!("bridge.{k} in {summary:#}"))
    };
    assert!(n("published") > 0, "{summary:#}");
    assert_eq!(
        n("published") + n("dead_lettered"),
        n("delivered") + n("outbox_depth") + n("set_aside"),
        "every event and dead letter is delivered, in the outbox or set aside: {summary:#}"
    );

    let mut cmd = eventdeck_bare(&sandbox);
    cmd.args(["demo", "--headless", "--for", "2s"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("bridge: "))
        .unwrap_or_else(|| panic!("no bridge line in {text}"));
    // "bridge: P events published + D dead letters = R records for Kafka: X delivered, ..."
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(line.contains("records for Kafka"), "{line}");
    assert_eq!(nums[0] + nums[1], nums[2], "{line}");
}

/// Produces one record with kcat (`-Z`: an empty value is a tombstone).
fn kcat_produce(topic: &str, key: &[u8], value: &[u8]) {
    let line = [key, b"\x01", value, b"\n"].concat();
    let out = kcat_with_stdin(&["-P", "-Z", "-t", topic, "-K", "\x01"], Some(&line));
    assert!(out.status.success(), "kcat: {}", stderr(&out));
}

#[test]
fn tail_json_carries_the_key_and_value_of_every_kind_exactly() {
    use base64::Engine as _;
    let sandbox = Sandbox::new();
    let topic = unique_topic("tail-json-values");
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(create_topic(&topic, 1));
    let envelope = r#"{"event_id":"0b5c4a8e-9d3c-4f7e-8a51-3c2d1e0f9a7b","event_type":"DecisionMade","schema_version":1,"context":"debate","aggregate_id":"a-1","occurred_at":"2026-12-01T22:00:00Z","correlation_id":"5f0e3a43-8b8e-4c7e-9f7d-1b2c3d4e5f60","causation_id":null,"data":{"n":1}}"#;
    kcat_produce(&topic, b"k-json", br#"{"a":[1,2.5,"x"],"b":null}"#);
    kcat_produce(&topic, b"k-text", b"plain text, not json");
    kcat_produce(&topic, &[0xff, 0x00, 0x02], &[0x00, 0xff, 0xfe, 0x10]);
    kcat_produce(&topic, b"k-gone", b"");
    kcat_produce(&topic, b"k-env", envelope.as_bytes());
    let out = tail_json(&sandbox, &[&topic], "beginning");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 5, "{}", stdout(&out));
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);

    assert_eq!(lines[0]["kind"], "json");
    assert_eq!(lines[0]["value"], json!({"a": [1, 2.5, "x"], "b": null}));
    assert_eq!(lines[0]["key"], "k-json");

    assert_eq!(lines[1]["kind"], "raw");
    assert_eq!(lines[1]["value"], "plain text, not json");

    assert_eq!(lines[2]["kind"], "raw");
    assert_eq!(lines[2]["value_base64"], b64(&[0x00, 0xff, 0xfe, 0x10]));
    assert_eq!(lines[2]["key_base64"], b64(&[0xff, 0x00, 0x02]));
    assert!(lines[2].get("value").is_none() && lines[2].get("key").is_none());

    assert_eq!(lines[3]["kind"], "tombstone");
    assert!(lines[3]["value"].is_null(), "{:#}", lines[3]);
    assert_eq!(lines[3]["key"], "k-gone");

    assert_eq!(lines[4]["kind"], "envelope");
    assert_eq!(
        lines[4]["value"],
        serde_json::from_str::<Value>(envelope).expect("envelope JSON")
    );
    assert_eq!(lines[4]["event"]["event_type"], "DecisionMade");
    // What kcat reads is what the lines hold.
    assert_eq!(
        kcat_values(&topic)[..2],
        [
            r#"{"a":[1,2.5,"x"],"b":null}"#.to_string(),
            "plain text, not json".to_string()
        ]
    );
}

/// `tail -e` over several topics ends when every partition is at its end,
/// empty partitions too (it used to wait forever: an empty partition's EOF
/// names only its number, and its position is never known).
#[test]
fn tail_exit_over_several_topics_ends_with_empty_partitions() {
    let sandbox = Sandbox::new();
    let (a, b) = (unique_topic("tail-exit-a"), unique_topic("tail-exit-b"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(create_topic(&a, 2));
    rt.block_on(create_topic(&b, 2));
    // One record in a's partition 0; a's partition 1 and all of b are empty.
    let out = kcat_with_stdin(&["-P", "-t", &a, "-p", "0"], Some(b"only one\n"));
    assert!(out.status.success(), "kcat: {}", stderr(&out));
    let out = tail_json(&sandbox, &[&a, &b], "beginning");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stdout(&out));
    assert_eq!(lines[0]["value"], "only one");
    // From the end, nothing is read and it ends all the same.
    let out = tail_json(&sandbox, &[&a, &b], "end");
    assert_eq!(stdout(&out), "");
}

#[test]
fn tail_raw_writes_values_as_they_are_and_warns_once_on_a_terminal() {
    let sandbox = Sandbox::new();
    let topic = unique_topic("tail-raw");
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(create_topic(&topic, 1));
    let value: &[u8] = b"bell\x07 and \x1b[1mbold\x1b[0m \xff";
    kcat_produce(&topic, b"k1", value);
    kcat_produce(&topic, b"k2", b"second");
    let args = [
        "tail",
        &topic,
        "--from",
        "beginning",
        "-e",
        "--format",
        "raw",
    ];

    // Into a pipe: the bytes exactly, no warning.
    let mut cmd = sandbox.eventdeck();
    cmd.args(args);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, [value, b"\n", b"second\n"].concat());
    assert_eq!(stderr(&out), "");

    // On a terminal: one warning on stderr, whatever the record count.
    let mut cmd = sandbox.eventdeck();
    cmd.args(args);
    let session = pty::Session::spawn(&cmd, 200, 20);
    // Caps for a slow machine, not time budgets.
    assert_eq!(session.wait_exit(Duration::from_secs(60)), 0);
    let screen = session.wait_for("second", Duration::from_secs(10));
    assert_eq!(
        screen
            .matches("may hold terminal control sequences")
            .count(),
        1,
        "{screen}"
    );
}
