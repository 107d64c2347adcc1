//! `eventdeck groups ...` on real Kafka against Kafka's own
//! `kafka-consumer-groups`: a reset dry run plans the same NEW-OFFSET per
//! partition as the tool for every spec (earliest, latest, datetime, duration,
//! shift-by both ways with clamping, to-offset), `--execute` commits what the
//! tool then describes, a group with members is refused, delete needs `--yes`.

mod support;
use support::admin;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use admin::*;
use chrono::{SecondsFormat, Utc};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;
use support::*;

type Plan = BTreeMap<(String, i32), i64>;

fn tool_plan(group: &str, spec: &[&str], scope: &[&str]) -> Plan {
    let mut args = vec!["--group", group, "--reset-offsets", "--dry-run"];
    args.extend_from_slice(spec);
    args.extend_from_slice(scope);
    let out = kafka_tool("consumer-groups", &args);
    let mut plan = Plan::new();
    for line in out.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 4 || cols[0] != group {
            continue;
        }
        if let (Ok(p), Ok(o)) = (cols[2].parse::<i32>(), cols[3].parse::<i64>()) {
            plan.insert((cols[1].to_string(), p), o);
        }
    }
    assert!(
        !plan.is_empty(),
        "no plan from the tool for {spec:?}: {out}"
    );
    plan
}

fn eventdeck_plan(sandbox: &Sandbox, group: &str, spec: &[&str], scope: &[&str]) -> Plan {
    let mut args = vec!["groups", "reset-offsets", "--group", group, "--json"];
    args.extend_from_slice(spec);
    args.extend_from_slice(scope);
    let out = eventdeck_ok(sandbox, &args);
    let v: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert_eq!(v["group"], group);
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                (
                    r["topic"].as_str().unwrap_or_default().to_string(),
                    r["partition"].as_i64().unwrap_or(-1) as i32,
                ),
                r["new_offset"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

async fn delete_records_below(topic: &str, partition: i32, offset: i64) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("admin");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
        .expect("tpl");
    admin
        .delete_records(&tpl, &AdminOptions::new())
        .await
        .expect("delete records");
}

/// A topic of 3 partitions: 10 "old" records each, then (after a pause, at
/// the returned time) 5 "new" ones each; partition 2's first 3 records are
/// deleted. The group has committed 4, 12 and 5.
async fn fixture(group: &str) -> (String, String) {
    let topic = unique_topic("ops-reset");
    create_topic(&topic, 3).await;
    for p in 0..3 {
        produce(&topic, p, 10);
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let between = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for p in 0..3 {
        produce(&topic, p, 5);
    }
    delete_records_below(&topic, 2, 3).await;
    commit(group, &[(&topic, 0, 4), (&topic, 1, 12), (&topic, 2, 5)]);
    (topic, between)
}

fn offsets(topic: &str, v: &[i64]) -> Plan {
    v.iter()
        .enumerate()
        .map(|(p, o)| ((topic.to_string(), p as i32), *o))
        .collect()
}

#[tokio::test]
async fn reset_dry_run_plans_the_same_new_offsets_as_kafka_consumer_groups_for_every_spec() {
    let group = unique_topic("ops-group");
    let (topic, between) = fixture(&group).await;
    let sandbox = Sandbox::new();
    let scope = ["--topic", topic.as_str()];
    // Each spec with what it must give, so the comparison cannot pass on two
    // equally wrong answers.
    let cases: Vec<(Vec<&str>, Vec<i64>)> = vec![
        (vec!["--to-earliest"], vec![0, 0, 3]),
        (vec!["--to-latest"], vec![15, 15, 15]),
        (vec!["--to-datetime", &between], vec![10, 10, 10]),
        (vec!["--by-duration", "PT1H"], vec![0, 0, 3]),
        (vec!["--by-duration", "PT0S"], vec![15, 15, 15]),
        (vec!["--shift-by", "2"], vec![6, 14, 7]),
        (vec!["--shift-by", "20"], vec![15, 15, 15]),
        (vec!["--shift-by", "-5"], vec![0, 7, 3]),
        (vec!["--to-offset", "7"], vec![7, 7, 7]),
        (vec!["--to-offset", "1"], vec![1, 1, 3]),
        (vec!["--to-offset", "100"], vec![15, 15, 15]),
    ];
    for (spec, expected) in &cases {
        let ours = eventdeck_plan(&sandbox, &group, spec, &scope);
        let tools = tool_plan(&group, spec, &scope);
        assert_eq!(ours, tools, "{spec:?}: eventdeck vs kafka-consumer-groups");
        assert_eq!(ours, offsets(&topic, expected), "{spec:?}");
    }
    // Scoped to some partitions, and --all-topics.
    let some = format!("{topic}:0,2");
    let ours = eventdeck_plan(&sandbox, &group, &["--to-earliest"], &["--topic", &some]);
    assert_eq!(
        ours,
        tool_plan(&group, &["--to-earliest"], &["--topic", &some])
    );
    assert_eq!(ours.keys().map(|k| k.1).collect::<Vec<_>>(), vec![0, 2]);
    let ours = eventdeck_plan(&sandbox, &group, &["--shift-by", "-1"], &["--all-topics"]);
    assert_eq!(
        ours,
        tool_plan(&group, &["--shift-by", "-1"], &["--all-topics"])
    );
    assert_eq!(ours, offsets(&topic, &[3, 11, 4]));

    // The table has the columns; a dry run commits nothing.
    let out = eventdeck_ok(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "--group",
            &group,
            "--to-earliest",
            "--topic",
            &topic,
        ],
    );
    let table = stdout(&out);
    assert!(
        table.lines().next().is_some_and(|h| {
            h.split_whitespace().collect::<Vec<_>>()
                == [
                    "GROUP",
                    "TOPIC",
                    "PARTITION",
                    "CURRENT-OFFSET",
                    "NEW-OFFSET",
                ]
        }),
        "{table}"
    );
    assert!(
        table.lines().any(|l| {
            l.split_whitespace().collect::<Vec<_>>()
                == [group.as_str(), topic.as_str(), "1", "12", "0"]
        }),
        "{table}"
    );
    let committed = tool_committed(&group);
    assert_eq!(
        committed.get(&(topic.clone(), 1)).map(String::as_str),
        Some("12")
    );
    assert!(audit_lines(&sandbox).is_empty(), "dry runs are not audited");
}

#[tokio::test]
async fn reset_execute_commits_what_kafka_consumer_groups_then_describes() {
    let group = unique_topic("ops-group");
    let (topic, _) = fixture(&group).await;
    let sandbox = Sandbox::new();
    let out = eventdeck_ok(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "-g",
            &group,
            "--topic",
            &topic,
            "--to-offset",
            "6",
            "--execute",
        ],
    );
    assert!(
        stderr(&out).contains("committed 3 offset(s)"),
        "{}",
        stderr(&out)
    );
    let committed = tool_committed(&group);
    for p in 0..3 {
        assert_eq!(
            committed.get(&(topic.clone(), p)).map(String::as_str),
            Some("6"),
            "{committed:?}"
        );
    }
    eventdeck_ok(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "-g",
            &group,
            "--topic",
            &format!("{topic}:1"),
            "--shift-by",
            "-4",
            "--execute",
        ],
    );
    let committed = tool_committed(&group);
    let got: Vec<&str> = (0..3)
        .map(|p| {
            committed
                .get(&(topic.clone(), p))
                .map_or("?", String::as_str)
        })
        .collect();
    assert_eq!(got, vec!["6", "2", "6"]);
    // Our describe agrees with the tool's, lag included.
    let d: Value = serde_json::from_slice(
        &eventdeck_ok(&sandbox, &["groups", "describe", &group, "--json"]).stdout,
    )
    .expect("describe JSON");
    let ours: Vec<(i64, i64)> = d["offsets"]["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .map(|p| {
            (
                p["current_offset"].as_i64().unwrap_or(-1),
                p["log_end_offset"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(ours, vec![(6, 15), (2, 15), (6, 15)]);
    let text = stdout(&eventdeck_ok(&sandbox, &["groups", "describe", &group]));
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(5).collect::<Vec<_>>()
                == [topic.as_str(), "1", "2", "15", "13"]),
        "{text}"
    );
    // Two executions, two audit lines with the plan in them.
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["action"], "groups.reset-offsets");
    assert_eq!(lines[0]["params"]["group"], group.as_str());
    assert_eq!(lines[0]["params"]["plan"].as_array().map(Vec::len), Some(3));
    assert_eq!(lines[1]["outcome"]["committed"], 1);
}

/// A consumer that joins `group` on `topic` and polls until dropped.
struct Member {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Member {
    fn join(group: &str, topic: &str) -> Self {
        Self::join_with(group, topic, "classic")
    }

    /// `protocol`: `classic`, or `consumer` for the KIP-848 group protocol.
    fn join_with(group: &str, topic: &str, protocol: &str) -> Self {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", group)
            .set("group.protocol", protocol)
            .set("client.id", "ops-test-member")
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        consumer.subscribe(&[topic]).expect("subscribe");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let _ = consumer.poll(Duration::from_millis(100));
            }
            consumer.unsubscribe();
            drop(consumer);
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn wait_for_state(sandbox: &Sandbox, group: &str, state: &str) -> Value {
    for _ in 0..150 {
        let out = eventdeck(sandbox, &["groups", "list", "--json"]);
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout)
            && let Some(g) = v
                .as_array()
                .and_then(|a| a.iter().find(|g| g["name"] == group))
            && g["state"] == state
        {
            return g.clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("group {group} never reached state {state}");
}

#[tokio::test]
async fn a_group_with_active_members_is_refused_and_keeps_its_offsets() {
    let group = unique_topic("ops-group");
    let (topic, _) = fixture(&group).await;
    let sandbox = Sandbox::new();
    let member = Member::join(&group, &topic);
    let listed = wait_for_state(&sandbox, &group, "Stable").await;
    assert_eq!(listed["members"], 1);
    // Describe shows the member, its client id and its assignment.
    let text = stdout(&eventdeck_ok(&sandbox, &["groups", "describe", &group]));
    assert!(text.contains("ops-test-member"), "{text}");
    assert!(
        text.contains(&format!("{topic}:0,{topic}:1,{topic}:2")),
        "{text}"
    );

    for extra in [&["--execute"][..], &[][..]] {
        let mut args = vec![
            "groups",
            "reset-offsets",
            "-g",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
        ];
        args.extend_from_slice(extra);
        let out = eventdeck(&sandbox, &args);
        assert!(!out.status.success(), "{args:?} must be refused");
        let err = stderr(&out);
        assert!(
            err.contains("active member") && err.contains("inactive"),
            "{err}"
        );
    }
    let committed = tool_committed(&group);
    let got: Vec<&str> = (0..3)
        .map(|p| {
            committed
                .get(&(topic.clone(), p))
                .map_or("?", String::as_str)
        })
        .collect();
    assert_eq!(got, vec!["4", "12", "5"], "offsets untouched");
    assert!(audit_lines(&sandbox).is_empty());

    // Once the member leaves, the same reset goes through.
    drop(member);
    wait_for_state(&sandbox, &group, "Empty").await;
    eventdeck_ok(
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
    );
    let committed = tool_committed(&group);
    assert_eq!(
        committed.get(&(topic.clone(), 2)).map(String::as_str),
        Some("3")
    );
}

#[tokio::test]
async fn delete_needs_yes_and_removes_the_group_from_kafka_consumer_groups_list() {
    let group = unique_topic("ops-group");
    let topic = unique_topic("ops-del");
    create_topic(&topic, 1).await;
    produce(&topic, 0, 2);
    commit(&group, &[(&topic, 0, 1)]);
    let listed = || {
        kafka_tool("consumer-groups", &["--list"])
            .lines()
            .any(|l| l.trim() == group)
    };
    assert!(listed());
    let sandbox = Sandbox::new();
    let out = eventdeck(&sandbox, &["groups", "delete", &group]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"));
    assert!(listed(), "nothing deleted without --yes");
    eventdeck_ok(&sandbox, &["groups", "delete", &group, "--yes"]);
    assert!(!listed());
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["action"], "groups.delete");
    assert_eq!(lines[0]["outcome"], "ok");
    // Describing a group that does not exist says so.
    let out = eventdeck(&sandbox, &["groups", "describe", &group]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

fn tool_state(group: &str) -> String {
    let out = kafka_tool(
        "consumer-groups",
        &["--describe", "--group", group, "--state"],
    );
    out.lines()
        .find_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // ... STATE #MEMBERS: the state is the last but one column.
            (cols.first() == Some(&group) && cols.len() >= 3)
                .then(|| cols[cols.len() - 2].to_string())
        })
        .unwrap_or_default()
}

async fn wait_for_tool_state(group: &str, state: &str) {
    // Each look is a JVM start (~2 s): 20 looks is about a minute.
    for _ in 0..20 {
        if tool_state(group) == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("group {group} never reached state {state} per kafka-consumer-groups");
}

#[tokio::test]
async fn an_active_kip_848_consumer_group_is_refused_too() {
    // A consumer-protocol group's members are seen (ConsumerGroupDescribe
    // through kafka::ffi), so the reset is refused before any commit, with
    // the offsets untouched (the coordinator's own refusal of a commit says
    // "active members" too).
    let group = unique_topic("ops-group");
    let (topic, _) = fixture(&group).await;
    let sandbox = Sandbox::new();
    let member = Member::join_with(&group, &topic, "consumer");
    wait_for_tool_state(&group, "Stable").await;
    let out = eventdeck(
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
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("active member") && err.contains("inactive"),
        "{err}"
    );
    let committed = tool_committed(&group);
    let got: Vec<&str> = (0..3)
        .map(|p| {
            committed
                .get(&(topic.clone(), p))
                .map_or("?", String::as_str)
        })
        .collect();
    assert_eq!(got, vec!["4", "12", "5"], "offsets untouched");
    // Refused while planning, as a classic group with members is: no commit
    // was attempted, so nothing is audited.
    assert!(audit_lines(&sandbox).is_empty());

    drop(member);
    wait_for_tool_state(&group, "Empty").await;
    eventdeck_ok(
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
    );
    let committed = tool_committed(&group);
    let got: Vec<&str> = (0..3)
        .map(|p| {
            committed
                .get(&(topic.clone(), p))
                .map_or("?", String::as_str)
        })
        .collect();
    assert_eq!(got, vec!["0", "0", "3"]);
}
