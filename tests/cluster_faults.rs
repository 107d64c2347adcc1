//! `eventdeck cluster` and the console's Cluster tab under a broker fault, on
//! a 3-broker cluster (the one named by EVENTDECK_KAFKA_STATE; scripts/test
//! runs these after the others, one at a time): broker 2 killed, the RF-3
//! topic shows under-replicated and an RF-1 topic led by broker 2 offline,
//! equal to `kafka-topics --describe --under-replicated-partitions` /
//! `--unavailable-partitions` / `--under-min-isr-partitions`; `--fail-on`
//! exits 3; the tab, polled through the worker the console runs, shows the
//! same partitions and broker 2 down; after `start 2` both heal.

mod support;
use support::admin;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use eventdeck::tui::App;
use eventdeck::tui::event::{Command, WorkerMsg};
use serde_json::Value;
use support::bridge::KilledBroker;
use support::*;

type Parts = BTreeSet<(String, i32)>;

/// `kafka-topics --describe` with `flag`, as (topic, partition), for `topics`.
fn tool(flag: &str, topics: &[&str]) -> Parts {
    let out = admin::kafka_tool_output("topics", &["--describe", flag]);
    let text = stdout(&out);
    let mut parts = Parts::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split_whitespace().collect();
        let at = |k: &str| c.iter().position(|x| *x == k).and_then(|i| c.get(i + 1));
        if let (Some(t), Some(p)) = (at("Topic:"), at("Partition:"))
            && topics.contains(t)
            && let Ok(p) = p.parse()
        {
            parts.insert((t.to_string(), p));
        }
    }
    parts
}

/// `eventdeck cluster --json --fail-on ...`: (status, report).
fn cluster(sandbox: &Sandbox) -> (Option<i32>, Value) {
    let mut cmd = sandbox.eventdeck();
    cmd.args(["cluster", "--json", "--fail-on", "offline,under-replicated"]);
    let out = run(cmd);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("cluster --json: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), v)
}

fn ours(v: &Value, key: &str, topics: &[&str]) -> Parts {
    v[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|p| {
            (
                p["topic"].as_str().unwrap_or_default().to_string(),
                p["partition"].as_i64().unwrap_or(-1) as i32,
            )
        })
        .filter(|(t, _)| topics.contains(&t.as_str()))
        .collect()
}

/// Polls until `done` holds for eventdeck's report (the controller fences a
/// dead broker after its session times out), then returns the report.
fn until(sandbox: &Sandbox, what: &str, done: impl Fn(&Value) -> bool) -> (Option<i32>, Value) {
    let start = Instant::now();
    loop {
        let (code, v) = cluster(sandbox);
        if done(&v) {
            return (code, v);
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{what}: {v:#}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The console on the same cluster, on its Cluster tab.
fn console(sandbox: &Sandbox) -> App {
    let settings = kafka_settings(sandbox.dir.path());
    let mut app = App::new(&support::tui::services_with(settings).0);
    app.press("0");
    let asked = app
        .take_commands()
        .iter()
        .any(|c| matches!(c, Command::RefreshCluster));
    assert!(asked, "the Cluster tab asks the worker on its first visit");
    app
}

/// One poll through the worker the console runs, applied as the runtime
/// does; the pane's (offline, under-replicated) partitions of `topics`.
async fn tab_poll(app: &mut App, sandbox: &Sandbox, topics: &[&str]) -> (Parts, Parts) {
    let settings = kafka_settings(sandbox.dir.path());
    let update = eventdeck::tui::workers::cluster::poll_once(&settings).await;
    if let Err(e) = &update.result {
        panic!("the Cluster tab's poll failed: {e}");
    }
    app.apply(WorkerMsg::Cluster(update));
    let h = app.panes.cluster.health().expect("a report on the tab");
    let of = |v: &[eventdeck::kafka::cluster::PartitionIssue]| -> Parts {
        v.iter()
            .filter(|p| topics.contains(&p.topic.as_str()))
            .map(|p| (p.topic.clone(), p.partition))
            .collect()
    };
    (of(&h.offline), of(&h.under_replicated))
}

/// The lines of the section titled `heading` on the tab's screen (tall and
/// wide enough for every row and whole topic names).
fn section(screen: &str, heading: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains(heading))
        .skip(1)
        .take_while(|l| !l.trim_matches(['│', ' ']).is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_fault_a_killed_broker_shows_offline_and_under_replicated_partitions_then_heals() {
    let rf3 = unique_topic("cluster-rf3");
    let rf1 = unique_topic("cluster-rf1");
    create_topic_rf(&rf3, 3, 3).await;
    // Broker 2 leads the RF-1 topic's only partition.
    admin::kafka_tool(
        "topics",
        &["--create", "--topic", &rf1, "--replica-assignment", "2"],
    );
    let topics = [rf3.as_str(), rf1.as_str()];
    let sandbox = Sandbox::new();
    let (code, v) = until(&sandbox, "a healthy start", |v| {
        ours(v, "offline", &topics).is_empty() && ours(v, "under_replicated", &topics).is_empty()
    });
    assert_eq!(v["brokers"].as_array().map(Vec::len), Some(3), "{v:#}");
    let _ = code;

    let mut killed = KilledBroker::kill(2);
    let all_rf3: Parts = (0..3).map(|p| (rf3.clone(), p)).collect();
    let offline: Parts = [(rf1.clone(), 0)].into();
    let (code, v) = until(&sandbox, "broker 2 fenced", |v| {
        ours(v, "offline", &topics) == offline
            && ours(v, "under_replicated", &topics).is_superset(&all_rf3)
    });
    assert_eq!(code, Some(3), "--fail-on with faults showing");
    assert_eq!(v["brokers"].as_array().map(Vec::len), Some(2), "{v:#}");
    // The RF-1 partition's ISR is empty now (Kafka 4 moves its replica to the
    // ELR), so it is under-replicated and under min ISR too, for the tool as
    // for eventdeck.
    assert_eq!(tool("--unavailable-partitions", &topics), offline);
    assert_eq!(
        ours(&v, "under_replicated", &topics),
        tool("--under-replicated-partitions", &topics)
    );
    assert_eq!(
        ours(&v, "under_min_isr", &topics),
        tool("--under-min-isr-partitions", &topics)
    );

    // The Cluster tab, on the same cluster at the same moment: a console
    // that saw broker 2 live names it down.
    let mut app = console(&sandbox);
    let (tab_offline, tab_under) = tab_poll(&mut app, &sandbox, &topics).await;
    assert_eq!(tab_offline, offline);
    assert_eq!(tab_under, ours(&v, "under_replicated", &topics));
    assert!(app.panes.cluster.down().contains(&2), "broker 2 named down");
    assert!(!app.panes.cluster.healthy());
    let text = support::tui::screen(&app, 200, 400);
    assert!(text.contains("✗ 1 broker(s) down"), "{text}");
    let off = section(&text, "OFFLINE (no live leader)");
    assert!(off.iter().any(|l| l.contains(&rf1)), "{off:#?}");
    let under = section(&text, "UNDER-REPLICATED");
    for p in 0..3 {
        let shown = under
            .iter()
            .any(|l| l.contains(&rf3) && l.split_whitespace().nth(2) == Some(&p.to_string()));
        assert!(shown, "{rf3} {p} under-replicated on the tab: {under:#?}");
    }
    let brokers = section(&text, "BROKERS");
    assert!(
        brokers
            .iter()
            .any(|l| l.contains("DOWN") && l.split_whitespace().nth(1) == Some("2")),
        "{brokers:#?}"
    );

    killed.restart();
    let (_, v) = until(&sandbox, "healed after start 2", |v| {
        ours(v, "offline", &topics).is_empty() && ours(v, "under_replicated", &topics).is_empty()
    });
    assert_eq!(v["brokers"].as_array().map(Vec::len), Some(3), "{v:#}");
    assert!(tool("--unavailable-partitions", &topics).is_empty());
    assert!(tool("--under-replicated-partitions", &topics).is_empty());
    assert!(ours(&v, "under_min_isr", &topics).is_empty());
    let (tab_offline, tab_under) = tab_poll(&mut app, &sandbox, &topics).await;
    assert!(tab_offline.is_empty() && tab_under.is_empty());
    assert!(app.panes.cluster.down().is_empty(), "broker 2 back up");
    drop(killed);
}
