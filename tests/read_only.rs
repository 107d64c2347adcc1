//! Read-only mode on real Kafka: every mutating action — inject, DLQ redrive,
//! replay, topic create/delete/config/add-partitions/empty, group
//! reset-offsets --execute/delete — is refused with a non-zero exit and a clear
//! message, and nothing changed: checked on the cluster with kcat and Kafka's
//! tools, and in the audit log. Where it is cheap, the same command without
//! `--read-only` is run too, to show the check would have seen the change.

mod support;
use support::admin;

use admin::*;
use chrono::{SecondsFormat, Utc};
use support::*;

/// Runs eventdeck `--read-only` and asserts the refusal: non-zero exit, the
/// message naming read-only mode and the action, no audit line.
fn refused(sandbox: &Sandbox, args: &[&str], action: &str) {
    let mut all = vec!["--read-only"];
    all.extend_from_slice(args);
    let out = eventdeck(sandbox, &all);
    assert!(!out.status.success(), "{all:?} must fail in read-only mode");
    let err = stderr(&out);
    assert!(
        err.contains("read-only mode") && err.contains(action) && err.contains("refused"),
        "{all:?}: {err}"
    );
    assert!(
        audit_lines(sandbox).is_empty(),
        "a refused action leaves no audit line"
    );
}

fn overrides(topic: &str) -> usize {
    kafka_tool(
        "configs",
        &[
            "--entity-type",
            "topics",
            "--entity-name",
            topic,
            "--describe",
        ],
    )
    .lines()
    .skip(1)
    .filter(|l| !l.trim().is_empty())
    .count()
}

#[tokio::test]
async fn inject_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-inject");
    create_topic(&topic, 1).await;
    let sandbox = Sandbox::new();
    let args = ["inject", "--topic", &topic, "-t", "DecisionMade"];
    refused(&sandbox, &args, "inject");
    assert_eq!(count_records(&topic), 0);
    eventdeck_ok(&sandbox, &args);
    assert_eq!(
        count_records(&topic),
        1,
        "control: without --read-only it writes"
    );
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 1, "one audit line: {lines:#?}");
    assert_eq!(lines[0]["action"], "inject");
    assert_eq!(lines[0]["params"]["topic"], topic.as_str());
    assert_eq!(lines[0]["outcome"]["offset"], 0);
    for field in ["time", "os_user", "principal", "profile", "cluster"] {
        assert!(
            lines[0][field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
}

#[tokio::test]
async fn dlq_redrive_is_refused_in_read_only_mode() {
    let original = unique_topic("ro-orig");
    let dlq = format!("{original}.dlq");
    create_topic(&original, 1).await;
    create_topic(&dlq, 1).await;
    let out = kcat_with_stdin(
        &[
            "-P",
            "-t",
            &dlq,
            "-H",
            &format!("eventdeck.dlq.original.topic={original}"),
            "-H",
            "eventdeck.dlq.error.message=boom",
        ],
        Some(b"{\"n\":1}"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let sandbox = Sandbox::new();
    let args = ["dlq", "redrive", &dlq];
    refused(&sandbox, &args, "dlq.redrive");
    assert_eq!(count_records(&original), 0);
    eventdeck_ok(&sandbox, &args);
    assert_eq!(count_records(&original), 1, "control: redrive writes");
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 1, "one audit line: {lines:#?}");
    assert_eq!(lines[0]["action"], "dlq.redrive");
}

#[tokio::test]
async fn replay_is_refused_in_read_only_mode() {
    let src = unique_topic("ro-replay-src");
    let dst = unique_topic("ro-replay-dst");
    create_topic(&src, 1).await;
    create_topic(&dst, 1).await;
    let from =
        (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339_opts(SecondsFormat::Millis, true);
    produce(&src, 0, 3);
    let sandbox = Sandbox::new();
    let args = [
        "replay",
        "--topic",
        &src,
        "--from",
        &from,
        "--to-topic",
        &dst,
    ];
    refused(&sandbox, &args, "replay");
    assert_eq!(count_records(&dst), 0);
    eventdeck_ok(&sandbox, &args);
    assert_eq!(count_records(&dst), 3, "control: replay writes");
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 1, "one audit line: {lines:#?}");
    assert_eq!(lines[0]["action"], "replay");
}

#[tokio::test]
async fn topic_create_is_refused_in_read_only_mode_also_from_a_profile() {
    let topic = unique_topic("ro-create");
    let sandbox = Sandbox::new();
    refused(&sandbox, &["topics", "create", &topic], "topics.create");
    // The same through a profile marked read_only in the config file.
    let cfg = sandbox.dir.path().join("eventdeck.toml");
    std::fs::write(&cfg, "[profiles.prod]\nread_only = true\n").expect("config");
    let out = eventdeck(
        &sandbox,
        &[
            "--config",
            cfg.to_str().unwrap_or_default(),
            "--profile",
            "prod",
            "topics",
            "create",
            &topic,
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("read-only mode"), "{}", stderr(&out));
    assert!(!topic_listed(&topic));
    // Reads still work in read-only mode.
    eventdeck_ok(&sandbox, &["--read-only", "topics", "list"]);
}

#[tokio::test]
async fn topic_delete_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-delete");
    create_topic(&topic, 1).await;
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        &["topics", "delete", &topic, "--yes"],
        "topics.delete",
    );
    assert!(topic_listed(&topic));
}

#[tokio::test]
async fn topic_config_change_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-config");
    create_topic(&topic, 1).await;
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        &["topics", "config", &topic, "--set", "retention.ms=1000"],
        "topics.config",
    );
    assert_eq!(overrides(&topic), 0);
    // Showing the configs is a read and is allowed.
    eventdeck_ok(&sandbox, &["--read-only", "topics", "config", &topic]);
    eventdeck_ok(
        &sandbox,
        &["topics", "config", &topic, "--set", "retention.ms=1000"],
    );
    assert_eq!(overrides(&topic), 1, "control: the change is visible");
}

#[tokio::test]
async fn add_partitions_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-grow");
    create_topic(&topic, 1).await;
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        &["topics", "add-partitions", &topic, "--count", "3"],
        "topics.add-partitions",
    );
    assert_eq!(kcat_partitions(&topic).len(), 1);
}

#[tokio::test]
async fn topic_empty_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-empty");
    create_topic(&topic, 1).await;
    produce(&topic, 0, 4);
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        &["topics", "empty", &topic, "--yes"],
        "topics.empty",
    );
    assert_eq!(count_records(&topic), 4);
}

#[tokio::test]
async fn group_reset_offsets_execute_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-reset");
    let group = unique_topic("ro-group");
    create_topic(&topic, 1).await;
    produce(&topic, 0, 5);
    commit(&group, &[(&topic, 0, 3)]);
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "-g",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
            "--execute",
        ],
        "groups.reset-offsets",
    );
    assert_eq!(
        tool_committed(&group)
            .get(&(topic.clone(), 0))
            .map(String::as_str),
        Some("3")
    );
    // The dry run is a read: allowed, and it shows the plan.
    let out = eventdeck_ok(
        &sandbox,
        &[
            "--read-only",
            "groups",
            "reset-offsets",
            "-g",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
        ],
    );
    assert!(stdout(&out).contains("NEW-OFFSET"), "{}", stdout(&out));
    assert_eq!(
        tool_committed(&group)
            .get(&(topic.clone(), 0))
            .map(String::as_str),
        Some("3")
    );
}

#[tokio::test]
async fn group_delete_is_refused_in_read_only_mode() {
    let topic = unique_topic("ro-gdel");
    let group = unique_topic("ro-group");
    create_topic(&topic, 1).await;
    commit(&group, &[(&topic, 0, 0)]);
    let sandbox = Sandbox::new();
    refused(
        &sandbox,
        &["groups", "delete", &group, "--yes"],
        "groups.delete",
    );
    assert!(
        kafka_tool("consumer-groups", &["--list"])
            .lines()
            .any(|l| l.trim() == group)
    );
}
