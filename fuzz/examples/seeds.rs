//! Writes the seed corpus under `fuzz/seeds/` from real data: envelopes as
//! the encoder writes them, CloudEvents and DLQ header sets from the tests,
//! config files from the README and `assets/`, and outbox segments written
//! by the outbox itself. `scripts/fuzz --seeds` builds and runs it (from the
//! repository root).

use std::path::{Path, PathBuf};

use eventdeck::bridge::outbox::{Outbox, OutboxRecord};
use eventdeck::domain::{Envelope, encode};
use eventdeck_fuzz::{OutboxInput, RecordInput};
use serde_json::json;
// The fuzz build instruments every crate; libFuzzer's runtime provides the
// instrumentation's callbacks (this program's own `main` is the one linked).
use libfuzzer_sys as _;

/// Control and escape sequences as the hostile-text tests send them.
const HOSTILE: &str = "\x1b[2J\x1b]0;x\x07\x1b]52;c;Zm9v\x07\u{9b}\u{7f}";

fn main() -> std::io::Result<()> {
    let root = PathBuf::from("fuzz/seeds");
    records(&root.join("record"))?;
    dlq(&root.join("dlq"))?;
    config(&root.join("config"))?;
    outbox(&root.join("outbox"))?;
    filter(&root.join("filter"))?;
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)
}

fn rec(
    topic: &str,
    key: Option<&[u8]>,
    headers: &[(&str, &[u8])],
    value: Option<&[u8]>,
) -> Vec<u8> {
    RecordInput {
        topic: topic.into(),
        timestamp_ms: Some(1_795_000_000_123),
        key: key.map(<[u8]>::to_vec),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_vec())))
            .collect(),
        value: value.map(<[u8]>::to_vec),
    }
    .to_bytes()
}

fn envelope() -> Envelope {
    let cause = Envelope::new(
        "debate",
        "ArgumentSubmitted",
        "debate-7",
        json!({"by": "ana", "text": "yes"}),
    );
    Envelope::caused_by(
        &cause,
        "decision",
        "DecisionMade",
        "debate-7",
        json!({"outcome": "accepted", "votes": [3, 1]}),
    )
}

fn records(dir: &Path) -> std::io::Result<()> {
    let env = envelope();
    let enc = encode(&env);
    let headers: Vec<(&str, &[u8])> = enc
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    write(
        dir,
        "envelope",
        &rec(
            "decision.events",
            Some(b"debate-7"),
            &headers,
            Some(&enc.value),
        ),
    )?;
    write(
        dir,
        "envelope-no-headers",
        &rec("decision.events", Some(b"debate-7"), &[], Some(&enc.value)),
    )?;
    // Not canonical: keys out of order, metadata.source names the context.
    let loose = json!({"type": "x", "data": {"a": 1}, "event_type": "TaskCreated", "event_id": "9b2f0c59-0c89-4d5e-9f57-0c1d0f7d8a11",
        "occurred_at": "2026-11-27T10:00:00.123456Z", "metadata": {"source": "implementation"}, "aggregate_id": "task-1", "schema_version": 2});
    write(
        dir,
        "envelope-loose",
        &rec("misc", None, &[], Some(loose.to_string().as_bytes())),
    )?;
    let bad_ids = json!({"event_id": "not-a-uuid", "event_type": "TaskCreated", "occurred_at": "yesterday", "correlation_id": 5});
    write(
        dir,
        "envelope-bad-ids",
        &rec(
            "implementation.events",
            None,
            &[],
            Some(bad_ids.to_string().as_bytes()),
        ),
    )?;
    let binary = [
        ("ce_id", b"ce-1".as_slice()),
        ("ce_type", b"com.example.order.created"),
        ("ce_source", b"/orders"),
        ("ce_specversion", b"1.0"),
        ("ce_time", b"2026-11-27T10:00:00Z"),
        ("ce_correlationid", b"corr-9"),
        ("content-type", b"application/json"),
    ];
    write(
        dir,
        "cloudevent-binary",
        &rec("orders", Some(b"k"), &binary, Some(br#"{"order":7}"#)),
    )?;
    write(
        dir,
        "cloudevent-binary-dash",
        &rec(
            "orders",
            None,
            &[
                ("ce-id", b"1"),
                ("ce-type", b"t"),
                ("ce-specversion", b"1.0"),
            ],
            Some(b"plain text"),
        ),
    )?;
    let structured = json!({"specversion": "1.0", "id": "ce-2", "type": "com.example.order.created",
        "source": "/debate", "time": "2026-11-27T10:00:00Z", "correlationid": "corr-9", "causationid": "ce-1",
        "datacontenttype": "application/json", "data": {"order": 7}});
    write(
        dir,
        "cloudevent-structured",
        &rec(
            "orders",
            Some(b"k"),
            &[("content-type", b"application/cloudevents+json")],
            Some(structured.to_string().as_bytes()),
        ),
    )?;
    write(
        dir,
        "cloudevent-structured-sniffed",
        &rec("orders", None, &[], Some(structured.to_string().as_bytes())),
    )?;
    let b64 = json!({"specversion": "1.0", "id": "3", "type": "t", "source": "s", "data_base64": "AAEC/w=="});
    write(
        dir,
        "cloudevent-data-base64",
        &rec("orders", None, &[], Some(b64.to_string().as_bytes())),
    )?;
    write(
        dir,
        "cloudevent-not-object",
        &rec(
            "orders",
            None,
            &[(
                "content-type",
                b"application/cloudevents+json; charset=utf-8",
            )],
            Some(b"[1,2]"),
        ),
    )?;
    write(
        dir,
        "json",
        &rec(
            "misc",
            Some(b"k"),
            &[],
            Some(br#"{"hello":"world","n":[1,2.5e300,-0,null,true]}"#),
        ),
    )?;
    write(
        dir,
        "json-scalar",
        &rec("misc", None, &[], Some(b"\"\\ud83d\\ude00 \\u0000\"")),
    )?;
    write(
        dir,
        "raw",
        &rec(
            "misc",
            Some(&[0xff, 0xfe]),
            &[],
            Some(&[0xff, 0xfe, 0x00, 0x41]),
        ),
    )?;
    write(
        dir,
        "raw-torn-json",
        &rec("misc", None, &[], Some(br#"{"event_id":"x","data":{"a":"#)),
    )?;
    write(
        dir,
        "tombstone",
        &rec("debate.events", Some(b"gone"), &[], None),
    )?;
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    write(
        dir,
        "deep-array",
        &rec("misc", None, &[], Some(deep.as_bytes())),
    )?;
    let deep_event = format!(
        "{{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\",\"data\":{}1{}}}",
        "{\"a\":".repeat(150),
        "}".repeat(150)
    );
    write(
        dir,
        "deep-cloudevent",
        &rec("misc", None, &[], Some(deep_event.as_bytes())),
    )?;
    let hostile_value = format!(
        "{{\"title\":\"t-{}\"}}",
        HOSTILE.replace(['\x1b', '\x07'], "")
    );
    write(
        dir,
        "hostile",
        &rec(
            "debate.events",
            Some(format!("key-{HOSTILE}").as_bytes()),
            &[
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"/x"),
                ("ce_type", format!("type-{HOSTILE}").as_bytes()),
                ("h", HOSTILE.as_bytes()),
            ],
            Some(hostile_value.as_bytes()),
        ),
    )?;
    write(
        dir,
        "traceparent",
        &rec(
            "debate.events",
            None,
            &[(
                "traceparent",
                b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )],
            Some(&enc.value),
        ),
    )?;
    write(
        dir,
        "null-header",
        &RecordInput {
            topic: "t".into(),
            headers: vec![("content-type".into(), None)],
            value: Some(b"{}".to_vec()),
            ..Default::default()
        }
        .to_bytes(),
    )?;
    Ok(())
}

fn dlq(dir: &Path) -> std::io::Result<()> {
    let value = Some(br#"{"id":1}"#.as_slice());
    let sets: [(&str, Vec<(&str, &[u8])>); 6] = [
        (
            "connect",
            vec![
                ("__connect.errors.topic", b"orders".as_slice()),
                ("__connect.errors.partition", b"0"),
                ("__connect.errors.offset", b"11"),
                ("__connect.errors.connector.name", b"pg-sink"),
                ("__connect.errors.task.id", b"0"),
                ("__connect.errors.stage", b"VALUE_CONVERTER"),
                (
                    "__connect.errors.exception.class.name",
                    b"org.apache.kafka.connect.errors.DataException",
                ),
                ("__connect.errors.exception.message", b"bad schema"),
            ],
        ),
        (
            "spring-cloud-stream",
            vec![
                ("x-original-topic", b"orders".as_slice()),
                ("x-exception-fqcn", b"java.lang.NullPointerException"),
                ("x-exception-message", b"amount"),
                ("trace", b"t-2"),
            ],
        ),
        (
            "smallrye",
            vec![
                ("dead-letter-reason", b"price missing".as_slice()),
                ("dead-letter-topic", b"orders"),
                ("dead-letter-partition", b"0"),
                ("dead-letter-offset", b"13"),
                ("dead-letter-exception-class-name", b"java.io.IOException"),
                ("dead-letter-cause", b"java.io.EOFException"),
            ],
        ),
        (
            "eventdeck",
            vec![
                ("eventdeck.dlq.original.topic", b"orders".as_slice()),
                ("eventdeck.dlq.original.partition", b"0"),
                ("eventdeck.dlq.original.offset", b"14"),
                ("eventdeck.dlq.original.timestamp", b"1795000000123"),
                ("eventdeck.dlq.original.source", b"kafka"),
                ("eventdeck.dlq.consumer.group", b"eventdeck-bridge"),
                ("eventdeck.dlq.handler", b"auditor"),
                ("eventdeck.dlq.error.kind", b"handler"),
                ("eventdeck.dlq.error.message", b"timed out"),
                ("eventdeck.dlq.attempts", b"3"),
                ("eventdeck.dlq.failed.at", b"2026-11-27T10:00:00Z"),
                ("correlation_id", b"c-4"),
            ],
        ),
        (
            "eventdeck-local",
            vec![
                ("eventdeck.dlq.original.topic", b"orders".as_slice()),
                ("eventdeck.dlq.original.source", b"local"),
                ("eventdeck.dlq.attempts", b"99999999999"),
            ],
        ),
        (
            "none",
            vec![("content-type", b"application/json".as_slice())],
        ),
    ];
    for (name, headers) in &sets {
        write(dir, name, &rec("timed out", Some(b"k"), headers, value))?;
    }
    // Spring Kafka: partition and offset as big-endian binary ints.
    let part = 0i32.to_be_bytes();
    let off = 15i64.to_be_bytes();
    let ts = 1_795_000_000_123i64.to_be_bytes();
    let spring: Vec<(&str, &[u8])> = vec![
        ("kafka_dlt-original-topic", b"orders"),
        ("kafka_dlt-original-partition", &part),
        ("kafka_dlt-original-offset", &off),
        ("kafka_dlt-original-timestamp", &ts),
        ("kafka_dlt-original-timestamp-type", b"CreateTime"),
        ("kafka_dlt-original-consumer-group", b"billing"),
        (
            "kafka_dlt-exception-fqcn",
            b"org.springframework.kafka.listener.ListenerExecutionFailedException",
        ),
        (
            "kafka_dlt-exception-cause-fqcn",
            b"java.lang.IllegalStateException",
        ),
        ("kafka_dlt-exception-message", b"no price"),
        (
            "kafka_dlt-exception-stacktrace",
            b"java.lang.IllegalStateException: no price\n\tat x.y(Z.java:1)",
        ),
    ];
    write(
        dir,
        "spring-kafka",
        &rec("price", Some(&[0xff]), &spring, Some(&[0xde, 0xad])),
    )?;
    Ok(())
}

fn config(dir: &Path) -> std::io::Result<()> {
    write(
        dir,
        "example",
        include_bytes!("../../assets/config.example.toml"),
    )?;
    // The README's snippets, and the flags a comment line gives.
    let readme = include_str!("../../README.md");
    let mut n = 0;
    let mut block: Option<String> = None;
    for line in readme.lines() {
        match (&mut block, line) {
            (None, "```toml") => block = Some(String::new()),
            (Some(text), "```") => {
                n += 1;
                write(dir, &format!("readme-{n}"), text.as_bytes())?;
                block = None;
            }
            (Some(text), line) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    write(dir, "profile-flags", b"# --profile prod\n# -X linger.ms=5\n# -X sasl.password=hunter2\ndefault_profile = \"staging\"\n[profiles.staging]\nbrokers = \"s:9092\"\n[profiles.prod]\nbrokers = \"p:9093\"\nread_only = true\n[profiles.prod.librdkafka]\n\"fetch.min.bytes\" = \"1\"\n[topics]\ndlq_suffix = \".DLT\"\n[topics.contexts]\ndebate = \"debates.v2\"\n")?;
    write(
        dir,
        "bad-type-secret",
        b"[profiles.p.security]\nsasl_password = 12345678\n",
    )?;
    write(dir, "unknown-key", b"[ui]\nthemes = \"dark\"\n")?;
    write(
        dir,
        "multibyte-error",
        "[ui]\ntheme = \"暗い\"\nring_size = \"éé\"\n".as_bytes(),
    )?;
    Ok(())
}

fn outbox(dir: &Path) -> std::io::Result<()> {
    let tmp = tempfile::tempdir()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ob = Outbox::open(tmp.path(), 1000).map_err(std::io::Error::other)?;
    let env = envelope();
    let enc = encode(&env);
    let records = [
        OutboxRecord {
            context: "decision".into(),
            topic: "decision.events".into(),
            key: Some(b"debate-7".to_vec()),
            value: Some(enc.value.clone()),
            headers: enc
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
            enqueued_ms: 1_795_000_000_123,
        },
        OutboxRecord {
            context: "debate".into(),
            topic: "debate.events.dlq".into(),
            key: None,
            value: Some(vec![0xff, 0x00, 0xfe]),
            headers: vec![
                ("eventdeck.dlq.handler".into(), Some(b"auditor".to_vec())),
                ("null".into(), None),
            ],
            enqueued_ms: -1,
        },
        OutboxRecord {
            context: "debate".into(),
            topic: "debate.events".into(),
            key: Some(b"gone".to_vec()),
            ..Default::default()
        },
    ];
    for r in records {
        rt.block_on(ob.append(r, None))
            .map_err(std::io::Error::other)?;
    }
    ob.close();
    let seg = std::fs::read_dir(tmp.path())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .ok_or_else(|| std::io::Error::other("the outbox wrote no segment"))?;
    let bytes = std::fs::read(&seg)?;
    write(dir, "segment", &OutboxInput::raw_bytes(1, 0, &bytes))?;
    write(
        dir,
        "segment-acked-1",
        &OutboxInput::raw_bytes(1, 1, &bytes),
    )?;
    write(
        dir,
        "segment-torn",
        &OutboxInput::raw_bytes(1, 0, &bytes[..bytes.len() - 5]),
    )?;
    let mut flipped = bytes.clone();
    flipped[40] ^= 0x20;
    write(
        dir,
        "segment-flipped",
        &OutboxInput::raw_bytes(1, 0, &flipped),
    )?;
    write(dir, "empty", &OutboxInput::raw_bytes(1, 0, &[]))?;
    // The same records as frames to be checksummed: mutations of a payload
    // reach the record decoder.
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()) as usize;
        let seq = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap_or_default());
        frames.push((seq, bytes[at + 16..at + 16 + len].to_vec()));
        at += 16 + len;
    }
    write(dir, "frames", &OutboxInput::frames_bytes(1, 0, &frames))?;
    frames.reverse();
    write(
        dir,
        "frames-reversed",
        &OutboxInput::frames_bytes(1, 0, &frames),
    )?;
    Ok(())
}

fn filter(dir: &Path) -> std::io::Result<()> {
    let env = envelope();
    let enc = encode(&env);
    let headers: Vec<(&str, &[u8])> = enc
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let envelope = rec(
        "decision.events",
        Some(b"debate-7"),
        &headers,
        Some(&enc.value),
    );
    let corr = env
        .correlation_id
        .map(|c| c.to_string())
        .unwrap_or_default();
    let binary = rec(
        "orders",
        Some(b"Order-7"),
        &[
            ("ce_id", b"1"),
            ("ce_type", b"com.example.order.created"),
            ("ce_specversion", b"1.0"),
            ("ce_correlationid", b"CORR-9"),
        ],
        Some(br#"{"order":7}"#),
    );
    let raw = rec(
        "misc",
        Some(&[0xff, b'K']),
        &[("h\u{e9}", b"V\xc3\xa9")],
        Some(&[0xde, 0xad, b'x']),
    );
    let cases: [(&str, String, &[u8]); 9] = [
        (
            "type-ctx",
            "type:DecisionMade ctx:decision".into(),
            &envelope,
        ),
        ("corr", format!("corr:{}", &corr[..8]), &envelope),
        (
            "key-topic",
            "key:debate topic:EVENTS accepted".into(),
            &envelope,
        ),
        ("unknown-field", "foo:bar http://x words".into(), &envelope),
        (
            "context-correlation",
            "context:decision correlation:corr-9 ORDER".into(),
            &binary,
        ),
        ("empty-values", "type: ctx: :x".into(), &binary),
        ("unicode", "\u{130}stanbul caf\u{e9} \u{1f600}".into(), &raw),
        ("bytes", "k v\u{e9} xde".into(), &raw),
        ("empty", String::new(), &raw),
    ];
    for (name, text, record) in cases {
        let mut bytes = text.into_bytes();
        bytes.push(eventdeck_fuzz::PART);
        bytes.extend_from_slice(record);
        write(dir, name, &bytes)?;
    }
    Ok(())
}
