//! The DLQ functions on real Kafka: dead letters written by kcat in every foreign
//! header family (and Spring's binary numbers by a Kafka client) decode; a dry run
//! changes nothing; a redrive delivers the originals — key, value, headers — to
//! the original topic, leaves an audit entry, and is refused in read-only mode.

mod support;

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;
use support::*;

fn end_offset(topic: &str) -> i64 {
    let out = kcat(&["-Q", "-t", &format!("{topic}:0:-1")]);
    stdout(&out)
        .split_whitespace()
        .last()
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1)
}

#[tokio::test]
async fn foreign_families_decode_and_redrive_restores_the_originals() {
    let original = unique_topic("dlq-orig");
    let dlq = format!("{original}.dlq");
    create_topic(&original, 1).await;
    create_topic(&dlq, 1).await;

    kcat_produce(
        &dlq,
        "k-connect",
        r#"{"id":1}"#,
        &[
            ("__connect.errors.topic", &original),
            ("__connect.errors.partition", "0"),
            ("__connect.errors.offset", "11"),
            ("__connect.errors.connector.name", "pg-sink"),
            (
                "__connect.errors.exception.class.name",
                "org.apache.kafka.connect.errors.DataException",
            ),
            ("__connect.errors.exception.message", "bad schema"),
        ],
    );
    kcat_produce(
        &dlq,
        "k-scs",
        r#"{"id":2}"#,
        &[
            ("x-original-topic", &original),
            ("x-exception-fqcn", "java.lang.NullPointerException"),
            ("x-exception-message", "amount"),
            ("trace", "t-2"),
        ],
    );
    kcat_produce(
        &dlq,
        "k-smallrye",
        r#"{"id":3}"#,
        &[
            ("dead-letter-reason", "price missing"),
            ("dead-letter-topic", &original),
            ("dead-letter-partition", "0"),
            ("dead-letter-offset", "13"),
            ("dead-letter-exception-class-name", "java.io.IOException"),
        ],
    );
    kcat_produce(
        &dlq,
        "k-ours",
        r#"{"id":4}"#,
        &[
            ("eventdeck.dlq.original.topic", &original),
            ("eventdeck.dlq.original.partition", "0"),
            ("eventdeck.dlq.original.offset", "14"),
            ("eventdeck.dlq.handler", "auditor"),
            ("eventdeck.dlq.error.kind", "handler"),
            ("eventdeck.dlq.error.message", "timed out"),
            ("eventdeck.dlq.attempts", "3"),
            ("correlation_id", "c-4"),
        ],
    );
    // Spring Kafka writes partition and offset as binary ints: kcat cannot.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("producer");
    let part = 0i32.to_be_bytes();
    let off = 15i64.to_be_bytes();
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "kafka_dlt-original-topic",
            value: Some(original.as_bytes()),
        })
        .insert(Header {
            key: "kafka_dlt-original-partition",
            value: Some(&part[..]),
        })
        .insert(Header {
            key: "kafka_dlt-original-offset",
            value: Some(&off[..]),
        })
        .insert(Header {
            key: "kafka_dlt-exception-fqcn",
            value: Some(
                &b"org.springframework.kafka.listener.ListenerExecutionFailedException"[..],
            ),
        })
        .insert(Header {
            key: "kafka_dlt-exception-cause-fqcn",
            value: Some(&b"java.lang.IllegalStateException"[..]),
        })
        .insert(Header {
            key: "kafka_dlt-exception-message",
            value: Some(&b"no price"[..]),
        })
        .insert(Header {
            key: "kafka_dlt-exception-stacktrace",
            value: Some(&b"java.lang.IllegalStateException: no price\n\tat A.b(A.java:1)"[..]),
        });
    producer
        .send(
            FutureRecord::to(&dlq)
                .key("k-spring")
                .payload(r#"{"id":5}"#)
                .headers(headers),
            Duration::from_secs(10),
        )
        .await
        .expect("spring-style dead letter");

    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["dlq", "list", &dlq, "--json"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let listing: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let t = &listing["topics"][0];
    assert_eq!(t["count"], 5);
    let recs = t["records"].as_array().expect("records");
    let fams: Vec<&str> = recs
        .iter()
        .map(|r| r["family"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        fams,
        [
            "kafka-connect",
            "spring-cloud-stream",
            "smallrye",
            "eventdeck",
            "spring-kafka"
        ]
    );
    for r in recs {
        assert_eq!(
            r["dead_letter"]["original_topic"],
            original.as_str(),
            "{r:#}"
        );
    }
    assert_eq!(recs[0]["dead_letter"]["original_offset"], 11);
    assert_eq!(recs[0]["dead_letter"]["handler"], "pg-sink");
    assert_eq!(recs[2]["dead_letter"]["error_message"], "price missing");
    assert_eq!(recs[3]["dead_letter"]["attempts"], 3);
    assert_eq!(
        recs[4]["dead_letter"]["original_offset"], 15,
        "binary long decoded"
    );
    assert_eq!(
        recs[4]["dead_letter"]["original_partition"], 0,
        "binary int decoded"
    );
    assert_eq!(
        recs[4]["dead_letter"]["error_kind"], "java.lang.IllegalStateException",
        "cause first"
    );
    assert!(t["causes"].as_array().is_some_and(|c| c.len() == 5));

    // Read-only: refused, nothing written.
    let mut cmd = sandbox.eventdeck();
    cmd.args(["--read-only", "dlq", "redrive", &dlq]);
    let out = run(cmd);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(end_offset(&original), 0);

    // Dry run: the plan, and nothing written.
    let mut cmd = sandbox.eventdeck();
    cmd.args(["dlq", "redrive", &dlq, "--dry-run"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("would redrive 5 record(s)"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(&format!("5 -> {original}")),
        "{}",
        stdout(&out)
    );
    assert_eq!(end_offset(&original), 0, "a dry run changes nothing");

    // Redrive two chosen records: the originals come back as they were.
    let mut cmd = sandbox.eventdeck();
    cmd.args(["dlq", "redrive", &dlq, "--record", "0:1", "--record", "0:3"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kcat(&["-C", "-t", &original, "-o", "beginning", "-e", "-q", "-J"]);
    let back: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("kcat json"))
        .collect();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0]["key"], "k-scs");
    assert_eq!(back[0]["payload"], r#"{"id":2}"#);
    assert_eq!(
        back[0]["headers"],
        serde_json::json!(["trace", "t-2"]),
        "DLQ headers stripped, others kept"
    );
    assert_eq!(back[1]["key"], "k-ours");
    assert_eq!(
        back[1]["headers"],
        serde_json::json!(["correlation_id", "c-4"])
    );

    let audit = std::fs::read_to_string(sandbox.data_dir().join("audit.jsonl")).expect("audit log");
    let last: Value = serde_json::from_str(audit.lines().last().expect("a line")).expect("json");
    assert_eq!(last["action"], "dlq.redrive");
    assert_eq!(last["outcome"]["delivered"], 2);
    assert_eq!(last["params"]["dlq_topics"], serde_json::json!([dlq]));
    assert_eq!(last["source"], "headless");
}
