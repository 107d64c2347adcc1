//! Groups of both protocols on real Kafka 4, against Kafka's own
//! `kafka-consumer-groups`: a confluent-kafka member with
//! `group.protocol=consumer` (KIP-848), a classic one, and a `kcat -G` group.
//! For each, `lag --json` and `groups describe --json` equal the tool's
//! `--describe` row for row (offsets, lag, CONSUMER-ID, HOST, CLIENT-ID, the
//! partition assigned but never committed as `-`), and the members equal
//! `--describe --members --verbose`. An offset reset of the consumer-protocol
//! group once it is empty plans what the tool's `--dry-run` plans and
//! `--execute` commits it.

mod support;
use support::admin;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use admin::{eventdeck_ok, kafka_tool, produce};
use serde_json::Value;
use support::*;

/// (topic, partition) → CURRENT-OFFSET, LOG-END-OFFSET, LAG, CONSUMER-ID,
/// HOST, CLIENT-ID: `-` where missing; hosts without the tool's leading `/`.
type Rows = BTreeMap<(String, i32), [String; 6]>;

/// A member: CONSUMER-ID, HOST, CLIENT-ID, its partitions sorted.
type Members = Vec<(String, String, String, Vec<(String, i32)>)>;

/// A group member in its own process; closing its stdin makes it leave.
struct MemberProcess(Child);

impl Drop for MemberProcess {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl MemberProcess {
    /// Leaves the group and waits for the process to end.
    fn leave(self) {
        drop(self);
    }
}

/// A confluent-kafka member of `group` (`protocol`: classic or consumer) that
/// read `expect` records and committed them.
fn python_member(
    topic: &str,
    group: &str,
    protocol: &str,
    expect: usize,
    client: &str,
) -> MemberProcess {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/group_member.py");
    let mut child = Command::new(python_with("confluent_kafka"))
        .arg(script)
        .args([
            &bootstrap(),
            topic,
            group,
            protocol,
            &expect.to_string(),
            client,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).expect("read");
    assert_eq!(
        line.trim(),
        "ready",
        "the {protocol} member did not get ready"
    );
    MemberProcess(child)
}

/// A `kcat -G` member (classic protocol, auto-commit every 100 ms).
fn kcat_member(topic: &str, group: &str) -> MemberProcess {
    let child = Command::new("kcat")
        .args(["-b", &bootstrap(), "-G", group, topic, "-q"])
        .args(["-X", "auto.offset.reset=earliest"])
        .args(["-X", "auto.commit.interval.ms=100"])
        .args(["-X", "client.id=kcat-member"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kcat");
    MemberProcess(child)
}

fn dash(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// The tool's `--describe` rows for `group`.
fn tool_rows(group: &str) -> Rows {
    let out = kafka_tool("consumer-groups", &["--describe", "--group", group]);
    let mut rows = Rows::new();
    for line in out.lines() {
        let c: Vec<&str> = line.split_whitespace().collect();
        if c.len() < 9 || c[0] != group {
            continue;
        }
        let Ok(p) = c[2].parse::<i32>() else { continue };
        rows.insert(
            (c[1].to_string(), p),
            [c[3], c[4], c[5], c[6], c[7].trim_start_matches('/'), c[8]].map(str::to_string),
        );
    }
    rows
}

/// The tool's `--describe --members --verbose` members of `group`. Classic
/// groups print `ASSIGNMENT` as `topic(0,1)`, consumer-protocol groups
/// `CURRENT-ASSIGNMENT` as `topic:0,1`.
fn tool_members(group: &str) -> Members {
    let out = kafka_tool(
        "consumer-groups",
        &["--describe", "--group", group, "--members", "--verbose"],
    );
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .by_ref()
        .find(|l| l.starts_with("GROUP"))
        .expect("a header")
        .split_whitespace()
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let assignment = col("CURRENT-ASSIGNMENT")
        .or_else(|| col("ASSIGNMENT"))
        .expect("an assignment column");
    let mut members = Members::new();
    for line in lines {
        let c: Vec<&str> = line.split_whitespace().collect();
        if c.first() != Some(&group) {
            continue;
        }
        let mut parts = Vec::new();
        for spec in c.get(assignment).unwrap_or(&"-").split(';') {
            let spec = spec.trim_end_matches(')');
            let Some((topic, ps)) = spec.split_once([':', '(']) else {
                continue;
            };
            parts.extend(
                ps.split(',')
                    .filter_map(|p| p.parse().ok())
                    .map(|p| (topic.to_string(), p)),
            );
        }
        parts.sort();
        let at = |name: &str| c[col(name).expect(name)].to_string();
        members.push((
            at("CONSUMER-ID"),
            at("HOST").trim_start_matches('/').to_string(),
            at("CLIENT-ID"),
            parts,
        ));
    }
    members.sort();
    members
}

fn lag_rows(sandbox: &Sandbox, group: &str) -> (Rows, Value) {
    let out = eventdeck_ok(
        sandbox,
        &["lag", "--group", group, "--json", "--samples", "1"],
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("lag json");
    let g = report["groups"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["group"] == group))
        .cloned()
        .unwrap_or_else(|| panic!("{group} missing: {report:#}"));
    (partition_rows(&g["partitions"]), g)
}

fn partition_rows(parts: &Value) -> Rows {
    parts
        .as_array()
        .expect("partitions")
        .iter()
        .map(|p| {
            let lag = match (p["current_offset"].as_i64(), p["log_end_offset"].as_i64()) {
                (Some(c), Some(e)) => (e - c).to_string(),
                _ => "-".into(),
            };
            (
                (
                    p["topic"].as_str().unwrap_or_default().to_string(),
                    p["partition"].as_i64().unwrap_or(-1) as i32,
                ),
                [
                    dash(&p["current_offset"]),
                    dash(&p["log_end_offset"]),
                    lag,
                    dash(&p["consumer_id"]),
                    dash(&p["host"]),
                    dash(&p["client_id"]),
                ],
            )
        })
        .collect()
}

fn describe(sandbox: &Sandbox, group: &str) -> Value {
    let out = eventdeck_ok(sandbox, &["groups", "describe", group, "--json"]);
    serde_json::from_slice(&out.stdout).expect("describe json")
}

fn described_members(d: &Value) -> Members {
    let mut members: Members = d["info"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let mut parts: Vec<(String, i32)> = m["assignment"]
                .as_array()
                .expect("assignment")
                .iter()
                .map(|tp| {
                    (
                        tp[0].as_str().unwrap_or_default().to_string(),
                        tp[1].as_i64().unwrap_or(-1) as i32,
                    )
                })
                .collect();
            parts.sort();
            (
                dash(&m["id"]),
                dash(&m["host"]),
                dash(&m["client_id"]),
                parts,
            )
        })
        .collect();
    members.sort();
    members
}

/// Waits until the tool shows `group` committed on `committed` partitions with
/// every partition of the topic assigned (kcat commits on a timer).
fn wait_for_tool(group: &str, topic: &str, committed: &[(i32, i64)]) -> Rows {
    let start = Instant::now();
    loop {
        let rows = tool_rows(group);
        let done = rows.len() == 3
            && rows.values().all(|r| r[3] != "-")
            && committed.iter().all(|(p, o)| {
                rows.get(&(topic.to_string(), *p))
                    .is_some_and(|r| r[0] == o.to_string())
            });
        if done {
            return rows;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{group}: the tool never showed the commits: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Compares eventdeck with the tool for one group; returns the type eventdeck
/// gave it.
fn same_as_tool(sandbox: &Sandbox, group: &str, topic: &str) -> String {
    let tool = wait_for_tool(group, topic, &[(1, 50), (2, 50)]);
    // Partition 0 had no records: assigned, never committed.
    assert_eq!(tool[&(topic.to_string(), 0)][0], "-", "{tool:?}");
    let (lag, g) = lag_rows(sandbox, group);
    assert_eq!(
        lag, tool,
        "lag --json vs kafka-consumer-groups --describe ({group})"
    );
    assert_eq!(
        (g["state"].as_str(), g["members"].as_u64()),
        (Some("Stable"), Some(1)),
        "{g:#}"
    );
    let d = describe(sandbox, group);
    assert_eq!(
        partition_rows(&d["offsets"]["partitions"]),
        tool,
        "groups describe --json vs kafka-consumer-groups --describe ({group})"
    );
    assert_eq!(
        described_members(&d),
        tool_members(group),
        "groups describe --json vs --members --verbose ({group})"
    );
    d["info"]["type"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_of_both_protocols_and_kcat_equal_kafka_consumer_groups_row_for_row() {
    let topic = unique_topic("both-protocols");
    create_topic(&topic, 3).await;
    // Partitions 1 and 2 get records, 0 none: each member holds 0 without
    // ever committing on it.
    produce(&topic, 1, 50);
    produce(&topic, 2, 50);
    let sandbox = Sandbox::new();

    let new = unique_topic("g-consumer");
    let member = python_member(&topic, &new, "consumer", 100, "py-consumer");
    assert_eq!(same_as_tool(&sandbox, &new, &topic), "consumer");
    let d = describe(&sandbox, &new);
    assert!(
        !d["info"]["assignor"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{d:#}"
    );
    // The list names its type too.
    let list = eventdeck_ok(&sandbox, &["groups", "list", "--json"]);
    let list: Value = serde_json::from_slice(&list.stdout).expect("list json");
    let listed = list
        .as_array()
        .and_then(|l| l.iter().find(|g| g["name"] == new.as_str()))
        .cloned()
        .expect("listed");
    assert_eq!(
        (
            listed["type"].as_str(),
            listed["state"].as_str(),
            listed["members"].as_u64()
        ),
        (Some("consumer"), Some("Stable"), Some(1))
    );

    let classic = unique_topic("g-classic");
    let classic_member = python_member(&topic, &classic, "classic", 100, "py-classic");
    assert_eq!(same_as_tool(&sandbox, &classic, &topic), "classic");

    let kcat_group = unique_topic("g-kcat");
    let kcat = kcat_member(&topic, &kcat_group);
    assert_eq!(same_as_tool(&sandbox, &kcat_group, &topic), "classic");
    drop((classic_member, kcat));

    // With a member the reset is refused, as the tool refuses it.
    let refused = admin::eventdeck(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "--group",
            &new,
            "--topic",
            &topic,
            "--to-earliest",
        ],
    );
    assert!(
        !refused.status.success(),
        "a reset of a live consumer-protocol group"
    );
    assert!(
        stderr(&refused).contains("active member"),
        "{}",
        stderr(&refused)
    );

    // Once the member left, the group is Empty: the reset equals the tool's.
    member.leave();
    let start = Instant::now();
    while describe(&sandbox, &new)["info"]["state"] != "Empty" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the group never became Empty"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let tool = kafka_tool(
        "consumer-groups",
        &[
            "--group",
            &new,
            "--reset-offsets",
            "--dry-run",
            "--to-earliest",
            "--topic",
            &topic,
        ],
    );
    let mut tool_plan: Vec<(String, i32, i64)> = tool
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            if c.len() < 4 || c[0] != new {
                return None;
            }
            Some((c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?))
        })
        .collect();
    tool_plan.sort();
    let plan = eventdeck_ok(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "--group",
            &new,
            "--topic",
            &topic,
            "--to-earliest",
            "--json",
        ],
    );
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("plan json");
    let mut ours: Vec<(String, i32, i64)> = plan["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["topic"].as_str().unwrap_or_default().to_string(),
                r["partition"].as_i64().unwrap_or(-1) as i32,
                r["new_offset"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    ours.sort();
    assert_eq!(ours, tool_plan, "reset plan vs the tool's --dry-run");
    eventdeck_ok(
        &sandbox,
        &[
            "groups",
            "reset-offsets",
            "--group",
            &new,
            "--topic",
            &topic,
            "--to-earliest",
            "--execute",
        ],
    );
    let after = tool_rows_any(&new);
    for (_, _, o) in &tool_plan {
        assert_eq!(*o, 0);
    }
    assert_eq!(
        after,
        tool_plan
            .iter()
            .map(|(t, p, o)| ((t.clone(), *p), o.to_string()))
            .collect::<BTreeMap<_, _>>(),
        "the tool's --describe after --execute"
    );
}

/// (topic, partition) → CURRENT-OFFSET for a group without members (the
/// tool prints fewer columns then).
fn tool_rows_any(group: &str) -> BTreeMap<(String, i32), String> {
    kafka_tool("consumer-groups", &["--describe", "--group", group])
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            if c.len() < 4 || c[0] != group {
                return None;
            }
            Some(((c[1].to_string(), c[2].parse().ok()?), c[3].to_string()))
        })
        .collect()
}
