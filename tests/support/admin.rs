//! Helpers for the operations tests: Kafka's own tools, producing and
//! committing with independent clients, and reading the audit log. Include
//! with `mod support;` (then `support::admin`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Command, Output};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

use super::{Sandbox, bootstrap, kcat, kcat_read, kcat_with_stdin, run, stderr, stdout};

/// Runs one of Kafka's CLI tools (`scripts/kafka tool NAME ARGS`) against the
/// test cluster; fails the test when it exits non-zero.
pub fn kafka_tool(name: &str, args: &[&str]) -> String {
    let out = kafka_tool_output(name, args);
    assert!(
        out.status.success(),
        "scripts/kafka tool {name} {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Like [`kafka_tool`], returning the output whatever the status.
pub fn kafka_tool_output(name: &str, args: &[&str]) -> Output {
    kafka_tool_output_at(&bootstrap(), name, args)
}

/// [`kafka_tool`] against other brokers (the secured cluster's admin listener).
pub fn kafka_tool_at(brokers: &str, name: &str, args: &[&str]) -> String {
    let out = kafka_tool_output_at(brokers, name, args);
    assert!(
        out.status.success(),
        "scripts/kafka tool {name} {args:?} at {brokers}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// [`kafka_tool_output`] against other brokers.
pub fn kafka_tool_output_at(brokers: &str, name: &str, args: &[&str]) -> Output {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka");
    Command::new(script)
        .args(["tool", name, "--bootstrap-server", brokers])
        .args(args)
        .output()
        .expect("scripts/kafka tool")
}

/// Produces `n` keyed records (compacted topics refuse unkeyed ones) to one
/// partition with kcat.
pub fn produce(topic: &str, partition: i32, n: usize) {
    let body: String = (0..n).map(|i| format!("k{i}|{{\"n\":{i}}}\n")).collect();
    let out = kcat_with_stdin(
        &["-P", "-t", topic, "-p", &partition.to_string(), "-K", "|"],
        Some(body.as_bytes()),
    );
    assert!(out.status.success(), "kcat -P: {}", stderr(&out));
}

/// Records in a topic, counted by consuming it with kcat.
pub fn count_records(topic: &str) -> usize {
    // One fixed line per record, whatever the values hold.
    kcat_read(topic, "x\n").lines().count()
}

/// Commits offsets for a group with a plain librdkafka consumer (not eventdeck).
pub fn commit(group: &str, offsets: &[(&str, i32, i64)]) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for (t, p, o) in offsets {
        tpl.add_partition_offset(t, *p, Offset::Offset(*o))
            .expect("tpl");
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// `kafka-consumer-groups --describe`: (topic, partition) → CURRENT-OFFSET.
pub fn tool_committed(group: &str) -> BTreeMap<(String, i32), String> {
    let out = kafka_tool("consumer-groups", &["--describe", "--group", group]);
    let mut rows = BTreeMap::new();
    for line in out.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 4 || cols[0] != group {
            continue;
        }
        if let Ok(p) = cols[2].parse::<i32>() {
            rows.insert((cols[1].to_string(), p), cols[3].to_string());
        }
    }
    rows
}

/// Partition count and leaders as kcat sees them (`kcat -L -J`).
pub fn kcat_partitions(topic: &str) -> Vec<(i64, i64)> {
    let out = kcat(&["-L", "-t", topic, "-J"]);
    let md: Value = serde_json::from_slice(&out.stdout).expect("kcat -L -J");
    let mut parts: Vec<(i64, i64)> = md["topics"][0]["partitions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap_or(-1),
                p["leader"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    parts.sort();
    parts
}

/// Whether Kafka's `kafka-topics --list` shows the topic.
pub fn topic_listed(topic: &str) -> bool {
    kafka_tool("topics", &["--list"])
        .lines()
        .any(|l| l.trim() == topic)
}

/// The audit log's lines, parsed.
pub fn audit_lines(sandbox: &Sandbox) -> Vec<Value> {
    let path = sandbox.data_dir().join("audit.jsonl");
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).expect("every audit line is JSON"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Runs eventdeck with these arguments and asserts it succeeded.
pub fn eventdeck_ok(sandbox: &Sandbox, args: &[&str]) -> Output {
    let mut cmd = sandbox.eventdeck();
    cmd.args(args);
    let out = run(cmd);
    assert!(
        out.status.success(),
        "eventdeck {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Runs eventdeck with these arguments, whatever the outcome.
pub fn eventdeck(sandbox: &Sandbox, args: &[&str]) -> Output {
    let mut cmd = sandbox.eventdeck();
    cmd.args(args);
    run(cmd)
}

/// One group's rows of `kafka-consumer-groups --describe`: (topic,
/// partition) → (CURRENT-OFFSET, LOG-END-OFFSET, LAG).
pub type GroupRows = BTreeMap<(String, i32), (String, String, String)>;

/// [`tool_describe`] for one group, keyed by (topic, partition).
pub fn tool_group_rows(group: &str) -> GroupRows {
    tool_describe(&[group.to_string()])
        .into_iter()
        .map(|((_, topic, partition), row)| ((topic, partition), row))
        .collect()
}

/// `kafka-consumer-groups --describe` for `groups`, as (group, topic,
/// partition) → (CURRENT-OFFSET, LOG-END-OFFSET, LAG), `-` where the tool
/// prints one.
pub fn tool_describe(
    groups: &[String],
) -> BTreeMap<(String, String, i32), (String, String, String)> {
    let mut args = vec!["--describe"];
    for g in groups {
        args.extend(["--group", g.as_str()]);
    }
    let mut rows = BTreeMap::new();
    for line in kafka_tool("consumer-groups", &args).lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 6 || !groups.iter().any(|g| g == cols[0]) {
            continue;
        }
        let Ok(partition) = cols[2].parse::<i32>() else {
            continue;
        };
        rows.insert(
            (cols[0].to_string(), cols[1].to_string(), partition),
            (
                cols[3].to_string(),
                cols[4].to_string(),
                cols[5].to_string(),
            ),
        );
    }
    rows
}
