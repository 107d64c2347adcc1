//! The bridge under faults, on real Apache Kafka: a broker SIGKILLed while
//! publishing, the bridge process `kill -9`ed with events in its outbox, and no
//! broker at all at start. They kill and start brokers, so `scripts/test` runs
//! them (named `under_fault_*`) one at a time on a 3-broker cluster
//! (`scripts/kafka up --brokers 3`), after the other integration tests.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventdeck::bridge::{self, BridgeConfig};
use eventdeck::bus::{Bus, Filter};
use eventdeck::domain::Envelope;
use eventdeck::publish::{PublishRequest, Published};
use futures::StreamExt;
use serde_json::json;
use support::bridge::*;
use support::create_topic_rf;

/// Counts `event_id`s in what was read: (missing, duplicates).
fn tally(reads: &[Read], want: &HashSet<String>) -> (usize, usize) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in reads {
        if let Some(id) = r.value["event_id"].as_str() {
            *seen.entry(id.to_string()).or_default() += 1;
        }
    }
    let missing = want.iter().filter(|id| !seen.contains_key(*id)).count();
    let dups = seen.values().map(|n| n.saturating_sub(1)).sum();
    (missing, dups)
}

/// In every partition, in offset order, each aggregate's `n` only grows.
fn assert_ordered_per_aggregate(reads: &[Read]) {
    let mut by_part: BTreeMap<i64, Vec<&Read>> = BTreeMap::new();
    for r in reads {
        by_part.entry(r.partition).or_default().push(r);
    }
    let mut last: HashMap<String, i64> = HashMap::new();
    for (_, mut rs) in by_part {
        rs.sort_by_key(|r| r.offset);
        for r in rs {
            let agg = r.value["aggregate_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let n = r.value["data"]["n"].as_i64().unwrap_or(-1);
            if let Some(prev) = last.insert(agg.clone(), n) {
                assert!(n > prev, "aggregate {agg}: {n} came after {prev}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_fault_broker_sigkilled_while_publishing_10k_then_restarted_loses_nothing() {
    const N: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), &tag());
    let topic = s.topics.resolve("debate");
    create_topic_rf(&topic, 6, 3).await;
    let mut cfg = BridgeConfig::new(&s);
    cfg.outbox_dir = dir.path().join("outbox");
    cfg.consume = false;
    // Shorter than the outage (3 s, then the broker's restart): sends to
    // broker 2's partitions fail and the bridge must send them again from its
    // outbox. With the default, librdkafka's own retries could hide the fault.
    cfg.delivery_timeout = Duration::from_secs(2);
    let handle = bridge::start(&s, cfg, Bus::new(4096)).await.unwrap();
    let publisher = handle.publisher();
    let events: Vec<Envelope> = (0..N)
        .map(|i| {
            Envelope::new(
                "debate",
                "DecisionMade",
                format!("d-{}", i % 100),
                json!({ "n": i }),
            )
        })
        .collect();
    let want: HashSet<String> = events.iter().map(|e| e.event_id.to_string()).collect();

    let t = topic.clone();
    let publishing = tokio::spawn(async move {
        futures::stream::iter(events)
            .map(|env| {
                publisher.publish(PublishRequest {
                    topic: t.clone(),
                    envelope: env,
                    key: None,
                    headers: vec![],
                    value: None,
                })
            })
            // Slow enough that the kill lands in the middle of the run.
            .buffered(200)
            .collect::<Vec<_>>()
            .await
    });
    let start = Instant::now();
    let mut m = handle.metrics();
    wait_until(
        Duration::from_secs(60),
        "a first share of the events to be delivered",
        || m.borrow_and_update().contexts["debate"].delivered >= 1_000,
    )
    .await;
    let mut broker = KilledBroker::kill(2);
    // The kill must land while events are still on their way: some not yet
    // acknowledged (counted after the kill, so they were out when it came).
    let at_kill = handle.metrics_now().contexts["debate"].clone();
    assert!(
        at_kill.delivered < N as u64 && !publishing.is_finished(),
        "broker 2 was killed after the run: {} of {N} already acknowledged",
        at_kill.delivered
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.restart();
    let results = publishing.await.unwrap();
    assert!(results.iter().all(Result::is_ok), "no publish was refused");
    wait_until(Duration::from_secs(180), "the outbox to drain", || {
        handle.outbox_depth() == 0
    })
    .await;
    let snap = handle.metrics_now();
    handle.shutdown().await.unwrap();

    let reads = read_at_least(&topic, N, Duration::from_secs(60)).await;
    let (missing, dups) = tally(&reads, &want);
    eprintln!(
        "broker 2 SIGKILLed mid-run: {N} published, {} records in Kafka, missing {missing}, duplicates {dups}, \
         delivery failures retried {}, took {:?}",
        reads.len(),
        snap.contexts["debate"].delivery_failures,
        start.elapsed()
    );
    assert_eq!(missing, 0, "every event_id reached Kafka");
    // The fault was met, not slipped past: deliveries failed while the broker
    // was down, and were sent again from the outbox (nothing is missing).
    assert!(
        snap.contexts["debate"].delivery_failures > 0,
        "no delivery failed although broker 2 was down mid-run ({} acknowledged at the kill)",
        at_kill.delivered
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_fault_no_kafka_at_start_then_up_delivers_each_once_in_order() {
    // A cluster of its own, down at first: the shared one must stay up for others.
    let port: u16 = std::env::var("EVENTDECK_SPARE_KAFKA_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(29092);
    let state = tempfile::tempdir().unwrap();
    let brokers = format!("127.0.0.1:{port}");
    struct Down(PathBuf);
    impl Drop for Down {
        fn drop(&mut self) {
            let _ = std::panic::catch_unwind(|| scripts_kafka(Some(&self.0), &["down"]));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let s = settings_at(&brokers, dir.path(), &tag());
    let bus = Bus::new(1024);
    let (h, seen) = recorder("local", Filter::any());
    bus.subscribe(h);
    let mut cfg = BridgeConfig::new(&s);
    cfg.outbox_dir = dir.path().join("outbox");
    cfg.consume = false;
    let handle = bridge::start(&s, cfg, bus).await.unwrap();
    let publisher = handle.publisher();
    let topic = s.topics.resolve("testing");

    // 10 aggregates × 30 events, each aggregate's in order.
    let mut want = HashSet::new();
    let mut outcomes = Vec::new();
    for n in 0..30 {
        let batch: Vec<_> = (0..10)
            .map(|a| {
                Envelope::new(
                    "testing",
                    "TestRunCompleted",
                    format!("suite-{a}"),
                    json!({ "n": n }),
                )
            })
            .collect();
        want.extend(batch.iter().map(|e| e.event_id.to_string()));
        let rs = futures::future::join_all(batch.into_iter().map(|env| {
            publisher.publish(PublishRequest {
                topic: topic.clone(),
                envelope: env,
                key: None,
                headers: vec![],
                value: None,
            })
        }))
        .await;
        outcomes.extend(rs);
        if n == 0 {
            // The first round waited the full 2 s for Kafka; no need to repeat.
            assert!(
                outcomes
                    .iter()
                    .all(|o| matches!(o, Ok(Published::Queued { .. }))),
                "{outcomes:?}"
            );
        }
    }
    assert!(outcomes.iter().all(Result::is_ok));
    assert_eq!(seen.len(), 300, "local handlers run without Kafka");
    assert_eq!(handle.outbox_depth(), 300);
    let mut m = handle.metrics();
    wait_until(
        Duration::from_secs(5),
        "the snapshot to show the waiting outbox",
        || {
            let s = m.borrow_and_update();
            s.outbox_depth == 300 && s.outbox_oldest_age.is_some_and(|a| a > Duration::ZERO)
        },
    )
    .await;

    let port_s = port.to_string();
    scripts_kafka(
        Some(state.path()),
        &["up", "--brokers", "1", "--port", &port_s],
    );
    let _down = Down(state.path().to_path_buf());
    wait_until(
        Duration::from_secs(120),
        "the outbox to drain once Kafka is up",
        || handle.outbox_depth() == 0,
    )
    .await;
    handle.shutdown().await.unwrap();

    let start = Instant::now();
    let reads = loop {
        let r = read_topic_at(&brokers, &topic);
        if r.len() >= 300 || start.elapsed() > Duration::from_secs(30) {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let (missing, dups) = tally(&reads, &want);
    assert_eq!(
        (missing, dups, reads.len()),
        (0, 0, 300),
        "every outbox event delivered once"
    );
    assert_ordered_per_aggregate(&reads);
}

fn eventdeck(dir: &std::path::Path, brokers: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eventdeck"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env("HOME", dir)
        // The same group for both runs of a test (one data dir), another for
        // every test run: it was the length of the temp dir's path, the same
        // for every run, so runs side by side on one cluster shared a group.
        .env(
            "KAFKA_CONSUMER_GROUP",
            format!(
                "kill9-{}",
                dir.file_name().unwrap_or_default().to_string_lossy()
            ),
        )
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("EVENTDECK_PROFILE")
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--brokers")
        .arg(brokers)
        .arg("bridge")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start eventdeck bridge")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_fault_bridge_kill9_with_events_in_its_outbox_delivers_them_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let topic = format!("debate.events.kill9-{}", tag());
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[topics.contexts]\ndebate = \"{topic}\"\n"),
    )
    .unwrap();

    // First run: no Kafka anywhere (a closed port), events only reach the outbox.
    let mut first = eventdeck(
        dir.path(),
        "127.0.0.1:1",
        &["--stdin", "--contexts", "debate"],
    );
    let events: Vec<Envelope> = (0..50)
        .map(|i| {
            Envelope::new(
                "debate",
                "DecisionMade",
                format!("d-{}", i % 5),
                json!({ "n": i }),
            )
        })
        .collect();
    let want: HashSet<String> = events.iter().map(|e| e.event_id.to_string()).collect();
    {
        let mut stdin = first.stdin.take().unwrap();
        for e in &events {
            writeln!(stdin, "{}", e.to_json()).unwrap();
        }
        // Keep stdin open: the bridge runs on; kill -9 comes while it does.
        std::mem::forget(stdin);
    }
    let stdout = BufReader::new(first.stdout.take().unwrap());
    let mut queued = 0;
    for line in stdout.lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["outcome"], "queued", "{line}");
        queued += 1;
        if queued == events.len() {
            break;
        }
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();

    // Second run: the real cluster, the same data dir.
    let second = eventdeck(dir.path(), &support::bootstrap(), &["--contexts", "debate"]);
    let reads = read_at_least(&topic, events.len(), Duration::from_secs(60)).await;
    let (missing, dups) = tally(&reads, &want);
    assert_eq!(
        (missing, dups),
        (0, 0),
        "every queued event delivered once after the restart"
    );
    assert_ordered_per_aggregate(&reads);

    // SIGTERM: clean shutdown, exit 0, nothing left in the outbox.
    let pid = second.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit status {:?}: {err}", out.status);
    assert!(err.contains("running (id"), "{err}");
    assert!(err.contains("→ 0 kept on disk"), "{err}");
}
