//! The wire format end to end on real Kafka: what `eventdeck inject` writes, kcat
//! reads; what kcat writes in every shape, `eventdeck tail --format json` decodes.

mod support;

use serde_json::Value;
use support::*;

fn parse_kv(line: &str) -> std::collections::HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn inject_writes_an_envelope_that_kcat_reads_with_mirrored_headers() {
    let topic = unique_topic("wire-inject");
    create_topic(&topic, 3).await;
    let sandbox = Sandbox::new();
    let corr = uuid::Uuid::new_v4().to_string();
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "inject",
        "--context",
        "debate",
        "--topic",
        &topic,
        "--type",
        "DecisionMade",
        "--data",
        r#"{"question":"Adopt Kafka?","decision":"yes","votes":[3,1]}"#,
        "--key",
        "debate-42",
        "--header",
        "source=test",
        "--correlation-id",
        &corr,
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "inject failed: {}", stderr(&out));
    let printed = parse_kv(stdout(&out).trim());
    assert_eq!(printed["topic"], topic);
    let partition: i32 = printed["partition"].parse().expect("partition");
    let offset: i64 = printed["offset"].parse().expect("offset");
    assert_eq!(offset, 0, "first record of a new topic");
    let event_id = printed["event_id"].clone();

    let out = kcat(&[
        "-C",
        "-t",
        &topic,
        "-p",
        &partition.to_string(),
        "-o",
        "beginning",
        "-e",
        "-q",
        "-J",
    ]);
    assert!(out.status.success(), "kcat: {}", stderr(&out));
    let line = stdout(&out);
    let rec: Value =
        serde_json::from_str(line.lines().next().expect("one record")).expect("kcat json");
    assert_eq!(rec["key"], "debate-42");
    let env: Value =
        serde_json::from_str(rec["payload"].as_str().expect("payload")).expect("envelope");
    assert_eq!(env["event_id"], event_id.as_str());
    assert_eq!(env["event_type"], "DecisionMade");
    assert_eq!(env["schema_version"], 1);
    assert_eq!(env["context"], "debate");
    assert_eq!(env["aggregate_id"], "debate-42");
    assert_eq!(env["correlation_id"], corr.as_str());
    assert!(env["causation_id"].is_null());
    assert_eq!(env["data"]["votes"], serde_json::json!([3, 1]));
    chrono::DateTime::parse_from_rfc3339(env["occurred_at"].as_str().expect("occurred_at"))
        .expect("occurred_at is RFC 3339");

    // kcat -J gives headers as a flat [k, v, k, v, ...] array.
    let flat = rec["headers"].as_array().expect("headers");
    let headers: std::collections::HashMap<&str, &str> = flat
        .chunks(2)
        .map(|kv| {
            (
                kv[0].as_str().unwrap_or_default(),
                kv[1].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(headers["event_id"], event_id);
    assert_eq!(headers["event_type"], "DecisionMade");
    assert_eq!(headers["context"], "debate");
    assert_eq!(headers["correlation_id"], corr);
    assert_eq!(headers["aggregate_id"], "debate-42");
    assert_eq!(headers["schema_version"], "1");
    assert_eq!(
        headers["occurred_at"],
        env["occurred_at"].as_str().unwrap_or_default()
    );
    assert_eq!(headers["source"], "test");
}

#[tokio::test]
async fn tail_json_decodes_every_kind_kcat_writes() {
    let topic = unique_topic("wire-kinds");
    create_topic(&topic, 1).await;
    let envelope = serde_json::json!({
        "event_id": uuid::Uuid::new_v4(), "event_type": "TaskCreated", "schema_version": 1,
        "context": "implementation", "aggregate_id": "task-1",
        "occurred_at": "2026-11-27T10:00:00.123456Z", "correlation_id": uuid::Uuid::new_v4(),
        "causation_id": null, "data": {"title": "write tests"}
    })
    .to_string();
    let structured = serde_json::json!({
        "specversion": "1.0", "id": "ce-2", "type": "com.example.order.created",
        "source": "/orders", "time": "2026-11-27T10:00:00Z", "correlationid": "corr-9",
        "datacontenttype": "application/json", "data": {"order": 7}
    })
    .to_string();
    // Each produced separately so the offsets follow this order.
    let produce = |value: &[u8], extra: &[&str]| {
        let mut args = vec!["-P", "-t", topic.as_str(), "-k", "k"];
        args.extend_from_slice(extra);
        let out = kcat_with_stdin(&args, Some(value));
        assert!(out.status.success(), "kcat -P: {}", stderr(&out));
    };
    produce(envelope.as_bytes(), &[]);
    produce(
        br#"{"order":7}"#,
        &[
            "-H",
            "ce_id=ce-1",
            "-H",
            "ce_type=com.example.order.created",
            "-H",
            "ce_source=/orders",
            "-H",
            "ce_specversion=1.0",
            "-H",
            "content-type=application/json",
        ],
    );
    produce(
        structured.as_bytes(),
        &["-H", "content-type=application/cloudevents+json"],
    );
    produce(br#"{"hello":"world","n":[1,2]}"#, &[]);
    produce(&[0xff, 0xfe, 0x00, 0x41], &[]);
    produce(br#"{"event_id":"x","data":{"a":"#, &[]);
    // -Z turns an empty value into a NULL value: a tombstone (key "gone", via -K).
    let out = kcat_with_stdin(&["-P", "-Z", "-K:", "-t", &topic], Some(b"gone:\n"));
    assert!(out.status.success(), "kcat tombstone: {}", stderr(&out));

    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "tail",
        &topic,
        "--from",
        "beginning",
        "--exit",
        "--format",
        "json",
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "tail failed: {}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(
        lines.len(),
        7,
        "every record printed, none skipped: {lines:#?}"
    );
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["topic"], topic.as_str());
        assert_eq!(line["offset"], i as i64);
        assert_eq!(line["partition"], 0);
        assert!(line["timestamp"].is_string());
    }
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        kinds,
        [
            "envelope",
            "cloudevent",
            "cloudevent",
            "json",
            "raw",
            "raw",
            "tombstone"
        ]
    );
    assert_eq!(lines[0]["event"]["event_type"], "TaskCreated");
    assert_eq!(lines[0]["event"]["data"]["title"], "write tests");
    assert!(lines[0]["error"].is_null());
    assert_eq!(lines[1]["event"]["id"], "ce-1");
    assert_eq!(lines[1]["event"]["type"], "com.example.order.created");
    assert_eq!(lines[1]["event"]["data"]["order"], 7);
    assert_eq!(lines[1]["event"]["datacontenttype"], "application/json");
    assert_eq!(lines[1]["headers"]["ce_source"], "/orders");
    assert_eq!(lines[2]["event"]["id"], "ce-2");
    assert_eq!(lines[2]["event"]["correlationid"], "corr-9");
    assert!(lines[3]["event"].is_null());
    assert!(lines[3]["error"].is_null());
    let raw_err = lines[4]["error"]
        .as_str()
        .expect("invalid UTF-8 has an error");
    assert!(raw_err.to_lowercase().contains("utf-8"), "{raw_err}");
    let trunc_err = lines[5]["error"]
        .as_str()
        .expect("truncated JSON has an error");
    assert!(trunc_err.contains("line 1 column"), "{trunc_err}");
    assert_eq!(lines[6]["key"], "gone");
    assert!(lines[6]["event"].is_null());
}

/// `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels around `0`.
fn nested(depth: usize, object: bool) -> String {
    let (open, close) = if object {
        (r#"{"a":"#, "}")
    } else {
        ("[", "]")
    };
    format!("{}0{}", open.repeat(depth), close.repeat(depth))
}

#[tokio::test]
async fn tail_json_carries_json_nested_200_and_100_000_levels_deep_as_json() {
    let topic = unique_topic("wire-deep");
    create_topic(&topic, 1).await;
    let documents = [
        nested(200, true),
        nested(100_000, false),
        nested(100_000, true),
    ];
    for doc in &documents {
        // One record each: kcat splits its input at newlines, and these have none.
        let out = kcat_with_stdin(&["-P", "-t", &topic, "-k", "deep"], Some(doc.as_bytes()));
        assert!(out.status.success(), "kcat -P: {}", stderr(&out));
    }
    let sandbox = Sandbox::new();
    let text = stdout(&tail_json(&sandbox, &[&topic], "beginning"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), documents.len(), "one line per record");
    for (line, doc) in lines.iter().zip(&documents) {
        // Read back without building a tree (which would stop at 128 levels).
        serde_json::from_str::<&serde_json::value::RawValue>(line).expect("each line is JSON");
        assert!(line.contains(r#""kind":"json""#), "{}", &line[..200]);
        assert!(line.contains(r#""error":null"#), "{}", &line[..200]);
        // The value is the document, byte for byte, not text or base64.
        assert!(
            line.ends_with(&format!(r#""value":{doc}}}"#)),
            "{}",
            &line[..200]
        );
    }
}

#[tokio::test]
async fn tail_count_and_offset_and_time_positions() {
    let topic = unique_topic("wire-seek");
    create_topic(&topic, 1).await;
    let sandbox = Sandbox::new();
    for i in 0..5 {
        let mut cmd = sandbox.eventdeck();
        cmd.args([
            "inject",
            "--context",
            "testing",
            "--topic",
            &topic,
            "--type",
            "TestRunCompleted",
            "--data",
            &format!(r#"{{"suite":"s{i}","passed":{i},"failed":0,"duration_ms":1}}"#),
        ]);
        let out = run(cmd);
        assert!(out.status.success(), "inject: {}", stderr(&out));
    }
    let tail = |from: &str, count: Option<&str>| {
        let mut cmd = sandbox.eventdeck();
        cmd.args(["tail", &topic, "--from", from, "--exit", "--format", "json"]);
        if let Some(n) = count {
            cmd.args(["--count", n]);
        }
        let out = run(cmd);
        assert!(out.status.success(), "tail: {}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("json")["offset"]
                    .as_i64()
                    .unwrap_or(-1)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(tail("beginning", None), [0, 1, 2, 3, 4]);
    assert_eq!(tail("beginning", Some("2")), [0, 1]);
    assert_eq!(tail("3", None), [3, 4]);
    assert_eq!(tail("-2", None), [3, 4]);
    assert_eq!(tail("end", None), Vec::<i64>::new());
    assert_eq!(tail("2000-01-01T00:00:00Z", None), [0, 1, 2, 3, 4]);
    assert_eq!(tail("2999-01-01T00:00:00Z", None), Vec::<i64>::new());
}

#[tokio::test]
async fn inject_rejects_bad_input_with_one_line_and_writes_nothing() {
    // debate points at a fresh topic, so no other test's records count.
    let debate = unique_topic("wire-reject");
    create_topic(&debate, 1).await;
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("config").join("eventdeck");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("config.toml"),
        format!("[topics.contexts]\ndebate = \"{debate}\"\n"),
    )
    .expect("config");
    let check = |args: &[&str], expect: &str| {
        let before = end_offsets(&debate);
        let mut cmd = sandbox.eventdeck();
        cmd.arg("inject").args(args);
        let out = run(cmd);
        assert_eq!(
            end_offsets(&debate),
            before,
            "{args:?} wrote to {debate} (end offsets per partition); stderr: {}",
            stderr(&out)
        );
        assert!(!out.status.success(), "{args:?} should fail");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(expect),
            "{args:?}: expected '{expect}' in: {err}"
        );
        assert!(stdout(&out).is_empty());
    };
    check(
        &["--context", "debate", "--type", "X", "--data", "{\"a\":"],
        "line 1 column 5",
    );
    check(
        &["--context", "marketing", "--type", "X"],
        "unknown context 'marketing'",
    );
    check(
        &[
            "--context",
            "debate",
            "--type",
            "X",
            "--correlation-id",
            "nope",
        ],
        "not a UUID",
    );
}

#[test]
fn inject_to_an_unreachable_broker_fails_clearly() {
    let sandbox = Sandbox::new();
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut cmd = sandbox.eventdeck_at(&format!("127.0.0.1:{port}"));
    cmd.args(["inject", "--context", "debate", "--type", "DecisionMade"]);
    let out = run(cmd);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("cannot reach Kafka at 127.0.0.1:"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[tokio::test]
async fn tail_of_a_missing_topic_fails_and_mentions_it() {
    let sandbox = Sandbox::new();
    let topic = unique_topic("wire-missing");
    let mut cmd = sandbox.eventdeck();
    cmd.args(["tail", &topic, "--from", "beginning", "--exit"]);
    let out = run(cmd);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&topic), "{}", stderr(&out));
}
