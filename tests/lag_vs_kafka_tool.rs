//! `eventdeck lag` agrees with Apache Kafka's own `kafka-consumer-groups
//! --describe` on real Kafka: CURRENT-OFFSET, LOG-END-OFFSET and LAG per partition,
//! a partition that never committed, and a commit below the log-start offset
//! after DeleteRecords (flagged by eventdeck).

mod support;
use support::admin;

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use support::*;

/// (topic, partition) → (current, log-end, lag) as strings, "-" when missing.
type Rows = admin::GroupRows;

fn eventdeck_lag(group: &str) -> (Rows, Value) {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["lag", "--group", group, "--json", "--samples", "1"]);
    let out = run(cmd);
    assert!(out.status.success(), "eventdeck lag: {}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let g = report["groups"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["group"] == group))
        .cloned()
        .unwrap_or_else(|| panic!("group {group} missing in {report:#}"));
    let s = |v: &Value| {
        if v.is_null() {
            "-".to_string()
        } else {
            v.to_string()
        }
    };
    let mut rows = Rows::new();
    for p in g["partitions"].as_array().expect("partitions") {
        rows.insert(
            (
                p["topic"].as_str().unwrap_or_default().to_string(),
                p["partition"].as_i64().unwrap_or(-1) as i32,
            ),
            (
                s(&p["current_offset"]),
                s(&p["log_end_offset"]),
                s(&p["lag"]),
            ),
        );
    }
    (rows, g)
}

#[tokio::test]
async fn lag_matches_kafka_consumer_groups_tool_with_a_never_committed_partition() {
    let topic = unique_topic("lag-eq");
    create_topic(&topic, 3).await;
    admin::produce(&topic, 0, 10);
    admin::produce(&topic, 1, 7);
    admin::produce(&topic, 2, 5);
    let group = unique_topic("lag-eq-group");
    // A live member owns all three partitions but committed only two: the third
    // shows "-" in both tools. Nothing consumes, so the numbers hold still.
    let member: rdkafka::consumer::StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("client.id", "lag-test-member")
        .set("enable.auto.commit", "false")
        .create()
        .expect("member");
    member.subscribe(&[&topic]).expect("subscribe");
    // Joining happens inside poll; wait until the assignment arrives.
    for _ in 0..100 {
        let _ = tokio::time::timeout(Duration::from_millis(200), member.recv()).await;
        if member.assignment().map(|a| a.count()).unwrap_or(0) == 3 {
            break;
        }
    }
    assert_eq!(
        member.assignment().expect("assignment").count(),
        3,
        "member got all partitions"
    );
    member
        .pause(&member.assignment().expect("assignment"))
        .expect("pause");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(4))
        .expect("tpl");
    tpl.add_partition_offset(&topic, 1, Offset::Offset(7))
        .expect("tpl");
    member.commit(&tpl, CommitMode::Sync).expect("commit");

    let theirs = admin::tool_group_rows(&group);
    let (ours, g) = eventdeck_lag(&group);
    assert_eq!(theirs.len(), 3, "the tool lists all three: {theirs:?}");
    assert_eq!(ours, theirs, "eventdeck and kafka-consumer-groups disagree");
    assert_eq!(
        theirs[&(topic.clone(), 2)],
        ("-".into(), "5".into(), "-".into())
    );
    assert_eq!(g["total_lag"], 6);
    assert_eq!(g["members"], 1);
    let p0 = &g["partitions"][0];
    assert_eq!(p0["client_id"], "lag-test-member");
    assert!(
        p0["consumer_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("lag-test-member"))
    );
    drop(member);
}

#[tokio::test]
async fn lag_matches_the_tool_after_delete_records_and_flags_the_deleted_unread() {
    let topic = unique_topic("lag-del");
    create_topic(&topic, 2).await;
    admin::produce(&topic, 0, 10);
    admin::produce(&topic, 1, 4);
    let group = unique_topic("lag-del-group");
    admin::commit(&group, &[(&topic, 0, 2), (&topic, 1, 4)]);
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

    let theirs = admin::tool_group_rows(&group);
    let (ours, g) = eventdeck_lag(&group);
    assert_eq!(ours, theirs, "eventdeck and kafka-consumer-groups disagree");
    assert_eq!(
        theirs[&(topic.clone(), 0)],
        ("2".into(), "10".into(), "8".into())
    );
    let p0 = &g["partitions"][0];
    assert_eq!(p0["log_start_offset"], 6);
    assert_eq!(
        p0["deleted_unread"], 4,
        "records 2..6 were deleted before the group read them"
    );
    assert!(g["partitions"][1]["deleted_unread"].is_null());
    assert_eq!(g["members"], 0);

    // The table shows the flag too.
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["lag", "--group", &group, "--samples", "1"]);
    let out = run(cmd);
    assert!(
        stdout(&out).contains("8 (4 deleted unread)"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn lag_thresholds_set_the_exit_code() {
    let topic = unique_topic("lag-exit");
    create_topic(&topic, 1).await;
    admin::produce(&topic, 0, 20);
    let group = unique_topic("lag-exit-group");
    admin::commit(&group, &[(&topic, 0, 5)]);
    let sandbox = Sandbox::new();
    let code = |args: &[&str]| {
        let mut cmd = sandbox.eventdeck();
        cmd.args(["lag", "--group", &group, "--samples", "1", "--json"])
            .args(args);
        run(cmd).status.code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["--fail-above-lag", "20"]), Some(0));
    assert_eq!(code(&["--fail-above-lag", "14"]), Some(3));
}

#[tokio::test]
async fn a_stalled_consumer_shows_stall_or_stop_and_lag_in_seconds() {
    let topic = unique_topic("lag-stall");
    create_topic(&topic, 1).await;
    admin::produce(&topic, 0, 5);
    let group = unique_topic("lag-stall-group");
    admin::commit(&group, &[(&topic, 0, 2)]);
    // Producers go on while the group's offset stays put.
    let t = topic.clone();
    let producer = std::thread::spawn(move || {
        for _ in 0..12 {
            admin::produce(&t, 0, 3);
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "lag",
        "--group",
        &group,
        "--json",
        "--samples",
        "4",
        "--interval",
        "1s",
    ]);
    let out = run(cmd);
    producer.join().expect("producer thread");
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let g = &report["groups"][0];
    let status = g["status"].as_str().unwrap_or_default();
    assert!(
        status == "STALL" || status == "STOP",
        "status {status}: {g:#}"
    );
    let secs = g["lag_seconds"]
        .as_f64()
        .expect("lag seconds known after several polls");
    assert!(secs > 0.5, "the committed record is seconds old: {secs}");
}

/// More groups than OffsetFetch-per-group serves: committed offsets come from
/// `__consumer_offsets` (the 1,000-group budget's path), and must still equal
/// what Kafka's tool prints; a deleted group's commits disappear on the next
/// poll of the same poller (the tombstones are read).
#[tokio::test]
async fn lag_of_many_groups_read_from_the_offsets_topic_matches_the_tool() {
    use eventdeck::kafka::groups::{CommitSource, GroupPoller};
    use eventdeck::lag::LagTracker;

    let topic = unique_topic("lag-many");
    create_topic(&topic, 3).await;
    for p in 0..3 {
        admin::produce(&topic, p, 10);
    }
    let prefix = unique_topic("lag-many-g");
    let groups: Vec<String> = (0..20).map(|i| format!("{prefix}-{i:02}")).collect();
    for (i, g) in groups.iter().enumerate() {
        let i = i as i64;
        let mut offsets = vec![
            (topic.as_str(), 0, i % 11),
            (topic.as_str(), 1, (i * 3) % 11),
        ];
        if i % 2 == 0 {
            // Odd groups never commit partition 2.
            offsets.push((topic.as_str(), 2, 10 - i % 11));
        }
        admin::commit(g, &offsets);
    }

    let tool = admin::tool_describe(&groups);
    let dir = tempfile::tempdir().expect("dir");
    let settings = kafka_settings(dir.path());
    let mut poller = GroupPoller::default();
    let s = settings.clone();
    let only = groups.clone();
    let (poll, mut poller) = tokio::task::spawn_blocking(move || {
        let poll = poller.poll(&s, &only, &[]).expect("poll");
        (poll, poller)
    })
    .await
    .expect("join");
    assert_eq!(
        poller.last_source(),
        Some(CommitSource::OffsetsTopic),
        "20 groups are read from __consumer_offsets, not OffsetFetch per group"
    );
    // eventdeck's own LAG column: the report the lag command and pane show.
    let report = LagTracker::default().apply(&poll);
    let mut ours = BTreeMap::new();
    for g in &report.groups {
        for p in &g.partitions {
            let dash = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
            ours.insert(
                (g.group.clone(), p.topic.clone(), p.partition),
                (
                    dash(p.current_offset),
                    p.log_end_offset.to_string(),
                    dash(p.lag),
                ),
            );
        }
    }
    // The tool lists a group's never-committed partitions only while it has
    // members; these groups have none, so both sides list committed ones.
    assert_eq!(
        ours, tool,
        "eventdeck (offsets topic) vs kafka-consumer-groups"
    );
    assert_eq!(ours.len(), 20 * 2 + 10, "every commit seen");

    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("admin");
    let deleted = groups[0].clone();
    let res = admin
        .delete_groups(&[deleted.as_str()], &AdminOptions::new())
        .await
        .expect("delete group");
    assert!(res.iter().all(|r| r.is_ok()), "{res:?}");
    let only = groups.clone();
    let (poll, poller) = tokio::task::spawn_blocking(move || {
        let poll = poller.poll(&settings, &only, &[]).expect("poll");
        (poll, poller)
    })
    .await
    .expect("join");
    assert_eq!(
        poller.last_source(),
        Some(CommitSource::OffsetsTopic),
        "the second poll reads the offsets topic too"
    );
    let gone = poll
        .groups
        .iter()
        .find(|g| g.group == deleted)
        .expect("asked-for group listed");
    assert!(
        gone.partitions.iter().all(|p| p.current_offset.is_none()),
        "deleted group still has commits: {:?}",
        gone.partitions
    );
    let kept = poll
        .groups
        .iter()
        .find(|g| g.group == groups[1])
        .expect("group 1");
    assert_eq!(
        kept.partitions
            .iter()
            .filter(|p| p.current_offset.is_some())
            .count(),
        2
    );
}
