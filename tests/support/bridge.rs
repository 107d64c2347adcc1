//! Helpers for the bridge's integration tests: settings pointed at the test
//! cluster with per-test topics, handlers that record what they saw, reading a
//! topic back with kcat, and controlling the `scripts/kafka` cluster for fault
//! tests (with a guard that restarts a killed broker even when a test fails).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventdeck::bus::{Emit, Filter, Handler, HandlerCtx, HandlerError, handler_fn};
use eventdeck::config::{CliOverrides, Settings};
use eventdeck::domain::Envelope;

use super::bootstrap;

/// Settings for `brokers`, with no config file, the data dir in `dir`, and every
/// default context mapped to a topic with a per-test `tag`.
pub fn settings_at(brokers: &str, dir: &Path, tag: &str) -> Settings {
    let config = dir.join("config.toml");
    std::fs::write(&config, "").unwrap();
    let mut s = Settings::load_with_env(
        &CliOverrides {
            config: Some(config),
            brokers: Some(brokers.to_string()),
            ..CliOverrides::default()
        },
        &|_| None,
    )
    .unwrap();
    s.data_dir = dir.join("data");
    for ctx in [
        "debate",
        "implementation",
        "performance",
        "testing",
        "evolution",
    ] {
        s.topics.set_topic(ctx, format!("{ctx}.events.{tag}"));
    }
    s
}

/// Settings for the test cluster.
pub fn settings(dir: &Path, tag: &str) -> Settings {
    settings_at(&bootstrap(), dir, tag)
}

/// A tag no other test uses.
pub fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// What a [`Recorder`] saw, in order.
#[derive(Clone, Default)]
pub struct Seen(pub Arc<Mutex<Vec<(Envelope, HandlerCtx)>>>);

impl Seen {
    pub fn events(&self) -> Vec<Envelope> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(e, _)| e.clone())
            .collect()
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub fn ids(&self) -> HashSet<uuid::Uuid> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(e, _)| e.event_id)
            .collect()
    }
}

/// A handler recording every event of the filter.
pub fn recorder(name: &str, filter: Filter) -> (Arc<dyn Handler>, Seen) {
    let seen = Seen::default();
    let s = seen.clone();
    let h = handler_fn(name, filter, move |env, ctx| {
        let s = s.clone();
        async move {
            s.0.lock().unwrap().push((env, ctx));
            Ok::<Vec<Emit>, HandlerError>(vec![])
        }
    });
    (h, seen)
}

/// Polls `cond` every 50 ms until it holds or `timeout` passes.
pub async fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One record read back with kcat.
#[derive(Debug, Clone)]
pub struct Read {
    pub partition: i64,
    pub offset: i64,
    /// The record's timestamp (ms since the epoch), as kcat prints it.
    pub timestamp: Option<i64>,
    pub key: Option<String>,
    pub value: serde_json::Value,
    pub headers: BTreeMap<String, String>,
}

/// Every record of `topic` (kcat -J -e), at `brokers`.
pub fn read_topic_at(brokers: &str, topic: &str) -> Vec<Read> {
    read_topic_with(brokers, topic, &[])
}

/// kcat's `-J` lines as [`Read`]s.
fn parse_kcat_json(text: &str) -> Vec<Read> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|j| {
            let mut headers = BTreeMap::new();
            if let Some(hs) = j["headers"].as_array() {
                for pair in hs.chunks(2) {
                    if let [k, v] = pair {
                        headers.insert(
                            k.as_str().unwrap_or_default().to_string(),
                            v.as_str().unwrap_or_default().to_string(),
                        );
                    }
                }
            }
            Read {
                partition: j["partition"].as_i64().unwrap_or(-1),
                offset: j["offset"].as_i64().unwrap_or(-1),
                timestamp: j["ts"].as_i64(),
                key: j["key"].as_str().map(str::to_string),
                value: j["payload"]
                    .as_str()
                    .and_then(|p| serde_json::from_str(p).ok())
                    .unwrap_or(serde_json::Value::Null),
                headers,
            }
        })
        .collect()
}

/// Every record of `topic` on the test cluster.
pub fn read_topic(topic: &str) -> Vec<Read> {
    read_topic_at(&bootstrap(), topic)
}

/// Reads `topic` until it holds at least `n` records.
pub async fn read_at_least(topic: &str, n: usize, timeout: Duration) -> Vec<Read> {
    let start = Instant::now();
    loop {
        let rs = read_topic(topic);
        if rs.len() >= n {
            return rs;
        }
        assert!(
            start.elapsed() < timeout,
            "{topic} has {} records, expected {n} within {timeout:?}",
            rs.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `scripts/kafka` with the state dir of the cluster under test
/// (`EVENTDECK_KAFKA_STATE`, else the script's default).
pub fn scripts_kafka(state: Option<&Path>, args: &[&str]) -> std::process::Output {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka");
    let mut cmd = Command::new(script);
    cmd.args(args);
    if let Some(s) = state {
        cmd.env("EVENTDECK_KAFKA_STATE", s);
    }
    // Starting a JVM broker while three others run on two shared cores can take
    // longer than the script's default wait.
    if std::env::var_os("EVENTDECK_KAFKA_TIMEOUT").is_none() {
        cmd.env("EVENTDECK_KAFKA_TIMEOUT", "180");
    }
    let out = cmd.output().expect("run scripts/kafka");
    assert!(
        out.status.success(),
        "scripts/kafka {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The state dir of the test cluster, from the environment.
pub fn cluster_state() -> Option<PathBuf> {
    std::env::var_os("EVENTDECK_KAFKA_STATE").map(PathBuf::from)
}

/// Kills broker `n` of the test cluster. When dropped, starts it again (if
/// the test did not) and waits until the cluster is settled
/// ([`super::settle_cluster`]), so the tests after it, even after a
/// failing one, meet all brokers up, every partition led by its preferred
/// replica with a full ISR, and coordinators that answer.
pub struct KilledBroker {
    n: u32,
    restarted: bool,
}

impl KilledBroker {
    pub fn kill(n: u32) -> Self {
        let status = scripts_kafka(cluster_state().as_deref(), &["status"]);
        let text = String::from_utf8_lossy(&status.stdout);
        assert!(
            text.contains("3 node(s)"),
            "fault tests need the 3-broker cluster (scripts/kafka up --brokers 3), got:\n{text}"
        );
        scripts_kafka(cluster_state().as_deref(), &["kill", &n.to_string()]);
        Self {
            n,
            restarted: false,
        }
    }

    pub fn restart(&mut self) {
        scripts_kafka(cluster_state().as_deref(), &["start", &self.n.to_string()]);
        self.restarted = true;
    }
}

impl Drop for KilledBroker {
    fn drop(&mut self) {
        let n = self.n.to_string();
        let restarted = self.restarted;
        let settle = move || {
            if !restarted {
                scripts_kafka(cluster_state().as_deref(), &["start", &n]);
            }
            super::settle_cluster();
        };
        if std::thread::panicking() {
            // The test failed already: a second panic would abort; say it instead.
            if let Err(e) = std::panic::catch_unwind(settle) {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                eprintln!("the cluster was left unsettled after a failed fault test: {why}");
            }
        } else {
            // A cluster that does not settle fails the test.
            settle();
        }
    }
}

/// An `eventdeck bridge` process with a home of its own (`home`: its data
/// dir, so its outbox and bridge id), the config file `config`, the consumer
/// group `group`, `global` flags before the subcommand (`-X k=v`) and
/// `args` after it. Its stderr goes to `home/stderr.log` (see
/// [`bridge_stderr`]); stdout is dropped.
pub fn bridge_process(
    home: &Path,
    config: &Path,
    brokers: &str,
    group: &str,
    global: &[&str],
    args: &[&str],
) -> std::process::Child {
    std::fs::create_dir_all(home).unwrap();
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.join("stderr.log"))
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_eventdeck"))
        .env("XDG_CONFIG_HOME", home.join("xdg-config"))
        .env("XDG_DATA_HOME", home.join("xdg-data"))
        .env("HOME", home)
        .env("KAFKA_CONSUMER_GROUP", group)
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("EVENTDECK_PROFILE")
        .arg("--config")
        .arg(config)
        .arg("--brokers")
        .arg(brokers)
        .args(global)
        .arg("bridge")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start eventdeck bridge")
}

/// What a [`bridge_process`] has said on stderr so far (every run of it).
pub fn bridge_stderr(home: &Path) -> String {
    std::fs::read_to_string(home.join("stderr.log")).unwrap_or_default()
}

/// Every record of `topic` as a `read_committed` reader sees it (kcat -J -e
/// with `isolation.level=read_committed`): records of aborted transactions
/// and of open ones are not read.
pub fn read_committed(topic: &str) -> Vec<Read> {
    read_topic_with(
        &super::bootstrap(),
        topic,
        &["-X", "isolation.level=read_committed"],
    )
}

/// [`read_topic_at`] with extra kcat arguments.
pub fn read_topic_with(brokers: &str, topic: &str, extra: &[&str]) -> Vec<Read> {
    let out = Command::new("kcat")
        .args([
            "-b",
            brokers,
            "-C",
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-J",
        ])
        .args(extra)
        .output()
        .expect("kcat");
    parse_kcat_json(&String::from_utf8_lossy(&out.stdout))
}
