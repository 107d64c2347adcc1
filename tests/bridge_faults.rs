//! The bridge under faults, on real Apache Kafka: a broker SIGKILLed while
//! publishing, the bridge process `kill -9`ed with events in its outbox, no
//! broker at all at start, and two `--exactly-once` bridges turning causes
//! into effects through a bridge kill, a leader kill and failing handlers. They kill and start brokers, so `scripts/test` runs
//! them (named `under_fault_*`) one at a time on a 3-broker cluster
//! (`scripts/kafka up --brokers 3`), after the other integration tests.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eventdeck::bridge::{self, BridgeConfig};
use eventdeck::bus::{Bus, Filter};
use eventdeck::domain::Envelope;
use eventdeck::kafka::EventProducer;
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

/// Causes for the exactly-once fault runs. The issue asks for 20,000; on this
/// 2-core machine (two bridges, three brokers and the test on it) a run
/// takes a few minutes with faults, so it keeps the full number.
const EOS_CAUSES: usize = 20_000;

/// Causes sent per round, and the pause after each: the stream lasts long
/// enough for the faults to land in the middle of it.
const CAUSE_CHUNK: usize = 250;
const CAUSE_PAUSE: Duration = Duration::from_millis(100);

/// Bridge processes killed when the test ends, however it ends.
struct Bridges(Vec<Child>);

impl Drop for Bridges {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The leader of `topic`'s `partition`, from kcat's metadata.
fn partition_leader(topic: &str, partition: i64) -> u32 {
    let out = support::kcat(&["-L", "-t", topic, "-J"]);
    let md: serde_json::Value = serde_json::from_slice(&out.stdout).expect("kcat -L -J");
    md["topics"][0]["partitions"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .find(|p| p["partition"].as_i64() == Some(partition))
        })
        .and_then(|p| p["leader"].as_u64())
        .map(|l| l as u32)
        .expect("the partition has a leader")
}

/// Effects per cause (by `causation_id`), as a read_committed reader sees them.
fn effects_by_cause(topic: &str) -> (HashMap<String, usize>, usize) {
    let reads = read_committed(topic);
    let mut by_cause: HashMap<String, usize> = HashMap::new();
    for r in &reads {
        if let Some(c) = r.value["causation_id"].as_str() {
            *by_cause.entry(c.to_string()).or_default() += 1;
        }
    }
    (by_cause, reads.len())
}

/// Sends SIGTERM and waits (30 s at most) for the process to end.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// What one run of [`causes_through_two_bridges_under_faults`] saw.
struct FaultRun {
    causes: usize,
    effects: usize,
    missing: usize,
    doubled: usize,
}

/// `n` DecisionMade causes on a 6-partition input topic, turned into
/// TaskCreated effects (the reaction, `causation_id` = the cause) by two
/// bridge processes in one group, while the test SIGKILLs bridge A and
/// starts it again (same data dir, so the same instance id), kills the
/// leader of the input's partition 0 and starts it again, and the reaction
/// fails its first attempt at every 7th cause (the bus retries it).
async fn causes_through_two_bridges_under_faults(exactly_once: bool, n: usize) -> FaultRun {
    let mode = if exactly_once {
        "exactly-once"
    } else {
        "at-least-once"
    };
    let root = tempfile::tempdir().unwrap();
    let tag = tag();
    let s = settings(root.path(), &tag);
    let input = s.topics.resolve("debate");
    let output = s.topics.resolve("implementation");
    create_topic_rf(&input, 6, 3).await;
    create_topic_rf(&output, 6, 3).await;
    let config = root.path().join("bridges.toml");
    std::fs::write(
        &config,
        format!("[topics.contexts]\ndebate = \"{input}\"\nimplementation = \"{output}\"\n"),
    )
    .unwrap();
    let group = format!("eos-{tag}");
    let brokers = support::bootstrap();
    let mut args = vec![
        "--contexts",
        "debate",
        "--reactions",
        "--transient-failures",
        "7",
        // The retry of a transient failure need not wait.
        "--retry-backoff",
        "1ms",
    ];
    if exactly_once {
        args.push("--exactly-once");
    }
    // A killed member's partitions move after the session timeout: 10 s
    // rather than the default 45.
    let global = ["-X", "session.timeout.ms=10000"];
    let (home_a, home_b) = (root.path().join("a"), root.path().join("b"));
    let start_bridge =
        |home: &Path| bridge_process(home, &config, &brokers, &group, &global, &args);
    let mut bridges = Bridges(vec![start_bridge(&home_a), start_bridge(&home_b)]);

    let causes: Vec<Envelope> = (0..n)
        .map(|i| {
            Envelope::new(
                "debate",
                "DecisionMade",
                format!("d-{}", i % 500),
                json!({ "decision": format!("decision {i}") }),
            )
        })
        .collect();
    let want: HashSet<String> = causes.iter().map(|e| e.event_id.to_string()).collect();
    let producer = EventProducer::new(&s, Duration::from_secs(60)).unwrap();
    let produced = Arc::new(AtomicUsize::new(0));
    let (p, topic) = (produced.clone(), input.clone());
    let began = Instant::now();
    let producing = tokio::spawn(async move {
        for chunk in causes.chunks(CAUSE_CHUNK) {
            let sent = futures::future::join_all(
                chunk
                    .iter()
                    .map(|e| producer.send_envelope(&topic, e, None, &[])),
            )
            .await;
            for r in sent {
                r.expect("a cause was not delivered");
            }
            p.fetch_add(chunk.len(), Ordering::SeqCst);
            tokio::time::sleep(CAUSE_PAUSE).await;
        }
    });

    wait_until(Duration::from_secs(120), "a quarter of the causes", || {
        produced.load(Ordering::SeqCst) >= n / 4
    })
    .await;
    bridges.0[0].kill().unwrap(); // SIGKILL
    bridges.0[0].wait().unwrap();
    eprintln!("{mode}: bridge A SIGKILLed at {:?}", began.elapsed());
    tokio::time::sleep(Duration::from_secs(2)).await;
    bridges.0[0] = start_bridge(&home_a);

    wait_until(Duration::from_secs(120), "half of the causes", || {
        produced.load(Ordering::SeqCst) >= n / 2
    })
    .await;
    let leader = partition_leader(&input, 0);
    let mut broker = KilledBroker::kill(leader);
    eprintln!(
        "{mode}: broker {leader} (leader of {input}/0) SIGKILLed at {:?}",
        began.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    broker.restart();
    producing.await.unwrap();
    eprintln!("{mode}: {n} causes produced at {:?}", began.elapsed());

    wait_until(
        Duration::from_secs(600),
        "an effect of every cause, read_committed",
        || {
            std::thread::sleep(Duration::from_secs(2));
            effects_by_cause(&output).0.len() >= n
        },
    )
    .await;
    // Whatever would come late (a batch handled twice) has time to show.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for b in &mut bridges.0 {
        terminate(b);
    }
    let (by_cause, effects) = effects_by_cause(&output);
    let missing = want.iter().filter(|c| !by_cause.contains_key(*c)).count();
    let doubled: usize = by_cause.values().map(|k| k.saturating_sub(1)).sum();
    let said = |home: &Path| {
        bridge_stderr(home)
            .lines()
            .filter(|l| l.contains("transactions") || l.contains("stopped ("))
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    eprintln!(
        "{mode}: {n} causes → {effects} effects read_committed; missing {missing}, doubled {doubled}; took {:?}\n  A: {}\n  B: {}",
        began.elapsed(),
        said(&home_a),
        said(&home_b)
    );
    drop(broker); // waits until the cluster is settled again
    FaultRun {
        causes: n,
        effects,
        missing,
        doubled,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_fault_exactly_once_two_bridges_turn_each_cause_into_one_effect_through_a_kill9_a_leader_kill_and_failing_handlers()
 {
    let run = causes_through_two_bridges_under_faults(true, EOS_CAUSES).await;
    assert_eq!(
        (run.missing, run.doubled, run.effects),
        (0, 0, run.causes),
        "exactly one effect per cause"
    );
}

/// The same run at least once: the duplicates it produces are printed (the
/// evidence that the exactly-once test can fail), not failed on; nothing may
/// be missing in either mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_fault_exactly_once_compared_at_least_once_reports_its_duplicates() {
    let run = causes_through_two_bridges_under_faults(false, EOS_CAUSES).await;
    eprintln!(
        "at-least-once under the same faults: {} duplicate effects of {} causes",
        run.doubled, run.causes
    );
    assert_eq!(run.missing, 0, "at-least-once loses nothing either");
}
