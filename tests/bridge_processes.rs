//! Two `eventdeck bridge` processes in one consumer group split the partitions
//! and together handle each event exactly once: 1,200 decisions produced by
//! another client, each turned into exactly one task by whichever process owns
//! its partition, and both processes' /metrics show a share.

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventdeck::domain::{Envelope, encode};
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;
use support::*;

const EVENTS: usize = 1_200;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn bridge(dir: &std::path::Path, group: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eventdeck"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir)
        .env("KAFKA_CONSUMER_GROUP", group)
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .arg("--config")
        .arg(dir.join("..").join("config.toml"))
        .args([
            "--brokers",
            &bootstrap(),
            "bridge",
            "--reactions",
            "--contexts",
            "debate",
        ])
        .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start eventdeck bridge")
}

fn metric(port: u16, name: &str) -> u64 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Kills the bridge process if the test ends (or panics) before it was
/// terminated, so a failed run leaves no bridge behind on the cluster.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn terminate(child: &mut Child) -> Option<i32> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bridge_processes_in_one_group_split_partitions_and_handle_each_event_once() {
    let root = tempfile::tempdir().expect("dir");
    let debate = unique_topic("procs-debate");
    let implementation = unique_topic("procs-impl");
    create_topic(&debate, 4).await;
    create_topic(&implementation, 4).await;
    std::fs::write(
        root.path().join("config.toml"),
        format!(
            "[topics.contexts]\ndebate = \"{debate}\"\nimplementation = \"{implementation}\"\n"
        ),
    )
    .expect("config");
    let group = unique_topic("procs-group");
    let (pa, pb) = (free_port(), free_port());
    let (da, db) = (root.path().join("a"), root.path().join("b"));
    std::fs::create_dir_all(&da).expect("dir a");
    std::fs::create_dir_all(&db).expect("dir b");
    let mut a = Reaped(bridge(&da, &group, pa));
    let mut b = Reaped(bridge(&db, &group, pb));

    // Wait until Kafka's own tool sees two members owning partitions.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = Command::new(&script)
            .args([
                "tool",
                "consumer-groups",
                "--bootstrap-server",
                &bootstrap(),
                "--describe",
                "--group",
                &group,
                "--members",
            ])
            .output()
            .expect("scripts/kafka tool");
        let members = stdout(&out)
            .lines()
            .filter(|l| l.starts_with(&group))
            .count();
        if members == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "two members never joined: {}",
            stdout(&out)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("producer");
    let mut decisions = Vec::with_capacity(EVENTS);
    for i in 0..EVENTS {
        let env = Envelope::new(
            "debate",
            "DecisionMade",
            format!("debate-{i}"),
            serde_json::json!({"decision": "adopt", "n": i}),
        );
        let enc = encode(&env);
        let mut headers = OwnedHeaders::new();
        for (k, v) in &enc.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        producer
            .send(
                FutureRecord::to(&debate)
                    .key(&env.aggregate_id)
                    .payload(&enc.value)
                    .headers(headers),
                Duration::from_secs(10),
            )
            .await
            .expect("produce a decision");
        decisions.push(env.event_id.to_string());
    }

    // Every decision becomes exactly one task.
    let deadline = Instant::now() + Duration::from_secs(90);
    let tasks: Vec<Value> = loop {
        let tasks: Vec<Value> = kcat_values(&implementation)
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if tasks.len() >= EVENTS {
            // A decision handled twice is handled before the group commits
            // past it, and its task is counted as published (written to the
            // outbox) then; once Kafka acknowledged every task the bridges
            // published, nothing more can come.
            wait_committed_to_end(&group, &debate, Duration::from_secs(60)).await;
            let delivered_by = Instant::now() + Duration::from_secs(60);
            loop {
                let count = |name| metric(pa, name) + metric(pb, name);
                let published = count("eventdeck_bridge_published_total");
                let delivered = count("eventdeck_bridge_delivered_total");
                if published >= EVENTS as u64 && delivered == published {
                    break;
                }
                assert!(
                    Instant::now() < delivered_by,
                    "after 60 s the bridges had published {published} tasks, Kafka acknowledged {delivered}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            break kcat_values(&implementation)
                .iter()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {EVENTS} tasks after 90 s",
            tasks.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut per_cause: HashMap<String, usize> = HashMap::new();
    for t in &tasks {
        assert_eq!(t["event_type"], "TaskCreated");
        *per_cause
            .entry(t["causation_id"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let dupes: Vec<_> = per_cause.iter().filter(|(_, n)| **n > 1).collect();
    // The same event_id twice would be the outbox sending one record twice;
    // different ids, the decision handled twice.
    let dupe_tasks: Vec<_> = tasks
        .iter()
        .filter(|t| dupes.iter().any(|(c, _)| t["causation_id"] == c.as_str()))
        .map(|t| (t["event_id"].clone(), t["causation_id"].clone()))
        .collect();
    assert!(
        dupes.is_empty(),
        "handled more than once: {dupes:?}; tasks (event_id, causation_id): {dupe_tasks:?}"
    );
    for d in &decisions {
        assert_eq!(
            per_cause.get(d),
            Some(&1),
            "decision {d} was not handled once"
        );
    }

    let (ha, hb) = (
        metric(pa, "eventdeck_bridge_consumed_total"),
        metric(pb, "eventdeck_bridge_consumed_total"),
    );
    assert!(
        ha > 0 && hb > 0,
        "both processes consume a share: a={ha} b={hb}"
    );
    assert_eq!(
        ha + hb,
        EVENTS as u64,
        "together each event once: a={ha} b={hb}"
    );
    assert_eq!(terminate(&mut a.0), Some(0), "bridge a exits 0 on SIGTERM");
    assert_eq!(terminate(&mut b.0), Some(0), "bridge b exits 0 on SIGTERM");
}
