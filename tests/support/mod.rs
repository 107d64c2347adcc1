//! Shared helpers for tests that run against the real Apache Kafka started by
//! `scripts/kafka up`. A test that needs Kafka and cannot reach it fails with the
//! command to start it; nothing passes by skipping.
#![allow(dead_code)]

pub mod admin;
pub mod bridge;
pub mod pty;
pub mod secure;
pub mod tui;

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

/// Bootstrap servers of the test cluster: `KAFKA_BOOTSTRAP_SERVERS` or the
/// `scripts/kafka` default.
pub fn bootstrap() -> String {
    static CHECKED: OnceLock<String> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let servers = std::env::var("KAFKA_BOOTSTRAP_SERVERS")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "127.0.0.1:9092".to_string());
            let first = servers.split(',').next().unwrap_or_default();
            assert!(
                reachable(first),
                "this test needs Apache Kafka at {servers}, which is not reachable.\n\
                 Start it with:  scripts/kafka up   (then: eval \"$(scripts/kafka env --export)\")\n\
                 or run the whole suite with:  scripts/test"
            );
            servers
        })
        .clone()
}

/// True when a TCP connection to `host:port` opens within 3 s.
pub fn reachable(host_port: &str) -> bool {
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok())
}

/// The registry's Confluent-compatible URL, or a failure naming the command
/// that starts one.
pub fn registry_url() -> String {
    let url = std::env::var("EVENTDECK_TEST_SCHEMA_REGISTRY_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:8081/apis/ccompat/v7".into());
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        reachable(&host),
        "this test needs a schema registry at {url}, which is not reachable.\n\
         Start it with:  scripts/schema-registry up\n\
         (then: export EVENTDECK_TEST_SCHEMA_REGISTRY_URL=\"$(scripts/schema-registry env | cut -d= -f2-)\")\n\
         or run the whole suite with:  scripts/test"
    );
    url
}

/// The tests' Python interpreter (`EVENTDECK_TEST_PYTHON`, else the venv
/// `scripts/py-venv` makes), checked to import `module`; a failure names the
/// command that makes it.
pub fn python_with(module: &str) -> PathBuf {
    let python = std::env::var_os("EVENTDECK_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin/python")
        });
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "this test needs Python with {module} at {}, which is missing.\n\
         Make it with:  scripts/py-venv   (scripts/test does it too),\n\
         or point EVENTDECK_TEST_PYTHON at an interpreter that has it",
        python.display()
    );
    python
}

/// Settings for the test cluster: the defaults (no config file, no
/// environment), its brokers, and `dir` as the data directory.
pub fn kafka_settings(dir: &Path) -> eventdeck::config::Settings {
    eventdeck::config::Settings::for_tests(Some(&bootstrap()), dir)
}

/// Settings read from a config file the test wrote, with the test cluster's
/// brokers and `dir` as the data directory (no environment).
pub fn settings_from_config(config: &Path, dir: &Path) -> eventdeck::config::Settings {
    let mut s = eventdeck::config::Settings::load_with_env(
        &eventdeck::config::CliOverrides {
            config: Some(config.to_path_buf()),
            brokers: Some(bootstrap()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("settings from the test's config file");
    s.data_dir = dir.to_path_buf();
    s
}

/// Produces `n` records `PREFIX-PARTITION-I` (no key) to one partition with kcat.
pub fn produce_lines(topic: &str, partition: i32, prefix: &str, n: usize) {
    let body: String = (0..n)
        .map(|i| format!("{prefix}-{partition}-{i}\n"))
        .collect();
    let out = kcat_with_stdin(
        &["-P", "-t", topic, "-p", &partition.to_string()],
        Some(body.as_bytes()),
    );
    assert!(out.status.success(), "kcat -P: {}", stderr(&out));
}

/// A topic's values read with kcat, sorted.
pub fn sorted_values(topic: &str) -> Vec<String> {
    let mut v = kcat_values(topic);
    v.sort();
    v
}

/// A topic name no other test uses.
pub fn unique_topic(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Creates a topic (replication factor 1) and waits until it is usable.
pub async fn create_topic(name: &str, partitions: i32) {
    create_topic_rf(name, partitions, 1).await;
}

/// Creates a topic with a replication factor and waits until every partition
/// has a leader.
pub async fn create_topic_rf(name: &str, partitions: i32, rf: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("admin client");
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(rf));
    let res = admin
        .create_topics(
            &[topic],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(20))),
        )
        .await
        .expect("create_topics request");
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
    // Metadata propagates asynchronously; wait until every partition has a leader.
    for _ in 0..100 {
        let out = kcat(&["-L", "-t", name, "-J"]);
        if let Ok(md) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            let parts = md["topics"][0]["partitions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if parts.len() == partitions as usize
                && parts
                    .iter()
                    .all(|p| p["leader"].as_i64().unwrap_or(-1) >= 0)
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("topic {name} did not become ready");
}

/// Runs kcat against the test cluster.
pub fn kcat(args: &[&str]) -> Output {
    kcat_with_stdin(args, None)
}

/// A topic read by kcat from the beginning to its end, each record printed
/// with `format` (kcat's `-f`).
pub fn kcat_read(topic: &str, format: &str) -> String {
    let out = kcat(&[
        "-C",
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        format,
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every value of a topic as kcat reads it from the beginning, one string per
/// record, in the order kcat prints them.
pub fn kcat_values(topic: &str) -> Vec<String> {
    kcat_read(topic, "%s\n")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Produces one record to `topic` with kcat: its key, value and headers.
pub fn kcat_produce(topic: &str, key: &str, value: &str, headers: &[(&str, &str)]) {
    let mut args = vec![
        "-P".to_string(),
        "-t".into(),
        topic.into(),
        "-k".into(),
        key.into(),
    ];
    for (k, v) in headers {
        args.push("-H".into());
        args.push(format!("{k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kcat_with_stdin(&args, Some(value.as_bytes()));
    assert!(out.status.success(), "kcat: {}", stderr(&out));
}

/// Runs kcat with the given bytes on stdin.
pub fn kcat_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new("kcat")
        .arg("-b")
        .arg(bootstrap())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kcat is needed for this test: apt-get install -y kcat");
    if let Some(bytes) = stdin
        && let Some(mut s) = child.stdin.take()
    {
        s.write_all(bytes).expect("write to kcat");
    }
    child.wait_with_output().expect("kcat output")
}

/// A scratch home for the binary: its own config and data dirs, so a developer's
/// config file never changes a test.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data").join("eventdeck")
    }

    /// A `Command` for the eventdeck binary with `--brokers` set to the test cluster.
    pub fn eventdeck(&self) -> Command {
        self.eventdeck_at(&bootstrap())
    }

    /// A `Command` for the eventdeck binary against any brokers.
    pub fn eventdeck_at(&self, brokers: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eventdeck"));
        cmd.env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("HOME", self.dir.path())
            .env_remove("KAFKA_BOOTSTRAP_SERVERS")
            .env_remove("EVENTDECK_PROFILE")
            // A developer's registry would decode values that start with a
            // zero byte for every test; the registry's own tests pass it.
            .env_remove("SCHEMA_REGISTRY_URL")
            .env_remove("SCHEMA_REGISTRY_USERNAME")
            .env_remove("SCHEMA_REGISTRY_PASSWORD")
            .arg("--brokers")
            .arg(brokers);
        cmd
    }
}

/// Runs a command and returns its output, failing the test if it cannot start.
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null());
    cmd.output().expect("run eventdeck")
}

/// Runs a command that must end by itself: past `cap` it is killed and the
/// test fails, saying what it had printed (instead of hanging the suite).
pub fn run_capped(mut cmd: Command, cap: Duration) -> Output {
    use std::io::Read;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run eventdeck");
    // Read both pipes while it runs: a full pipe would stop it mid-write.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + cap;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for eventdeck") {
            break Some(status);
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status: status.unwrap_or_else(|| child.wait().expect("eventdeck's status")),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        status.is_some(),
        "{cmd:?} did not end within {cap:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&output),
        stderr(&output)
    );
    output
}

/// `eventdeck tail TOPICS --from FROM -e --format json` in `sandbox`: it must
/// end by itself (capped at two minutes) and succeed; its output is returned.
pub fn tail_json(sandbox: &Sandbox, topics: &[&str], from: &str) -> Output {
    let mut cmd = sandbox.eventdeck();
    cmd.arg("tail")
        .args(topics)
        .args(["--from", from, "-e", "--format", "json"]);
    let out = run_capped(cmd, Duration::from_secs(120));
    assert!(out.status.success(), "tail failed: {}", stderr(&out));
    out
}

/// Each stdout line parsed as JSON (serde_json: documents up to 128 levels).
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The end offset (high watermark) of each partition of `topic`, as Kafka
/// reports it to a plain librdkafka client, in partition order.
pub fn end_offsets(topic: &str) -> Vec<(i32, i64)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("consumer");
    let timeout = Duration::from_secs(10);
    let md = consumer
        .fetch_metadata(Some(topic), timeout)
        .expect("topic metadata");
    let mut partitions: Vec<i32> = md
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    partitions.sort();
    partitions
        .into_iter()
        .map(|p| {
            let (_, end) = consumer
                .fetch_watermarks(topic, p, timeout)
                .expect("watermarks");
            (p, end)
        })
        .collect()
}

/// `group`'s committed offset and the end offset of each partition of `topic`,
/// as Kafka reports them to a plain librdkafka client (OffsetFetch and
/// ListOffsets; the client joins no group): (partition, committed, end).
pub fn committed_and_end(group: &str, topic: &str) -> Vec<(i32, Option<i64>, i64)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    let ends = end_offsets(topic);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for (p, _) in &ends {
        tpl.add_partition(topic, *p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    ends.into_iter()
        .map(|(p, end)| {
            let current = committed
                .find_partition(topic, p)
                .and_then(|e| match e.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                });
            (p, current, end)
        })
        .collect()
}

/// Waits until `group` has committed the end of every partition of `topic`
/// that holds records, as Kafka reports it: a consumer commits a batch only
/// after handling it, so everything it will ever handle of what is there now
/// has been handled. Fails with the offsets after `timeout`.
pub async fn wait_committed_to_end(group: &str, topic: &str, timeout: Duration) {
    let start = std::time::Instant::now();
    loop {
        let (g, t) = (group.to_string(), topic.to_string());
        let offsets = tokio::task::spawn_blocking(move || committed_and_end(&g, &t))
            .await
            .expect("join");
        if !offsets.is_empty()
            && offsets
                .iter()
                .all(|&(_, current, end)| end == 0 || current == Some(end))
        {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "group {group} had not committed the end of {topic} after {timeout:?}: \
             (partition, committed, end) {offsets:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What keeps the test cluster from being settled, per the metadata of every
/// topic: brokers missing (one is expected per bootstrap address), partitions
/// without a leader, with a shrunk ISR, or led by another replica than their
/// preferred one (the first of their replicas). Empty when settled.
pub fn cluster_unsettled() -> Vec<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = match ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
    {
        Ok(c) => c,
        Err(e) => return vec![format!("no client: {e}")],
    };
    let md = match consumer.fetch_metadata(None, Duration::from_secs(10)) {
        Ok(md) => md,
        Err(e) => return vec![format!("no metadata: {e}")],
    };
    let mut problems = Vec::new();
    let expected = bootstrap().split(',').count();
    if md.brokers().len() < expected {
        let ids: Vec<i32> = md.brokers().iter().map(|b| b.id()).collect();
        problems.push(format!("brokers {ids:?}, expected {expected}"));
    }
    for t in md.topics() {
        for p in t.partitions() {
            let at = format!("{}/{}", t.name(), p.id());
            let replicas = p.replicas();
            if p.leader() < 0 {
                problems.push(format!("{at}: no leader"));
            } else if p.isr().len() < replicas.len() {
                problems.push(format!("{at}: ISR {:?} of replicas {replicas:?}", p.isr()));
            } else if replicas.first().is_some_and(|&r| r != p.leader()) {
                problems.push(format!(
                    "{at}: led by {}, preferred {replicas:?}",
                    p.leader()
                ));
            }
        }
    }
    problems
}

/// Waits (3 min at most) until the test cluster is settled again after a
/// broker was stopped and started: every broker up, every partition of every
/// topic with a leader and its full ISR, led by its preferred replica, and the
/// group coordinators answering. Leadership is moved back to the preferred
/// replicas at once (Kafka's own `kafka-leader-election --election-type
/// PREFERRED`) rather than by the controller's imbalance check minutes later,
/// in the middle of whatever test runs then: coordinators moving under a test's
/// consumer group made later tests flaky.
pub fn settle_cluster() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    const CAP: Duration = Duration::from_secs(180);
    let start = std::time::Instant::now();
    let mut last_election: Option<std::time::Instant> = None;
    loop {
        let problems = cluster_unsettled();
        if problems.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < CAP,
            "the cluster did not settle within {CAP:?}: {}",
            problems.join("; ")
        );
        let only_leaders = problems.iter().all(|p| p.contains("preferred"));
        if only_leaders && last_election.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
            last_election = Some(std::time::Instant::now());
            // Non-zero while a partition's preferred replica is not yet in
            // its ISR: the metadata says so next time round.
            let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka");
            let _ = Command::new(script)
                .args([
                    "tool",
                    "leader-election",
                    "--bootstrap-server",
                    &bootstrap(),
                ])
                .args(["--election-type", "PREFERRED", "--all-topic-partitions"])
                .stdin(Stdio::null())
                .output();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // Coordinators load their share of __consumer_offsets after a move; a
    // ListGroups to every broker fails while one is still loading.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("client");
    loop {
        match consumer.fetch_group_list(None, Duration::from_secs(10)) {
            Ok(_) => return,
            Err(e) => assert!(
                start.elapsed() < CAP,
                "the group coordinators did not answer within {CAP:?}: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
