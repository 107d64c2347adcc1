//! DESIGN.md budget (issue #17): `eventdeck find` on real Kafka, loopback.
//!
//! - text search over the topic is at least as fast as
//!   `kcat -C -e -q -o beginning -t T | grep -c TEXT` on the same topic, in one run;
//! - a `--where data.field=value` search costs at most 1.3× the text search;
//! - a key search on the 12-partition topic finishes in at most a quarter of
//!   the full scan's (the text search's) time.
//!
//! One topic of 12 partitions holds 1,200,000 envelopes (over the 1M of the
//! text budget, and the key budget's 1.2M); 12 of them carry the searched
//! text. Each side is the whole command as a person runs it (process start
//! to exit), kcat first in each round; medians are compared.
//!
//! Needs Apache Kafka (`scripts/kafka up`; KAFKA_BOOTSTRAP_SERVERS or
//! 127.0.0.1:9092) and kcat. The topic is filled once and reused.
//!
//!     CARGO_TARGET_DIR=/work/target-release-a cargo bench --bench find_vs_kcat
//!     EVENTDECK_BENCH_RECORDS=240000 EVENTDECK_BENCH_ROUNDS=3 cargo bench --bench find_vs_kcat

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eventdeck::domain::{Envelope, encode};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const PARTITIONS: i32 = 12;
/// The searched text: in `data.tag` of one record in NEEDLE_EVERY.
const NEEDLE: &str = "needle-7f3a";
const NEEDLE_EVERY: u64 = 100_000;
/// The looked-up key (keys are `agg-<i mod 1000>`).
const KEY: &str = "agg-42";

fn main() {
    let brokers =
        std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let n: u64 = std::env::var("EVENTDECK_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_200_000);
    let rounds: usize = std::env::var("EVENTDECK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let topic = format!("bench-find-{n}");
    fill(&brokers, &topic, n);
    let home = tempfile::tempdir().expect("temp home");

    let expected_needles = n.div_ceil(NEEDLE_EVERY);
    let mut runs: Vec<(&str, Vec<Duration>)> = vec![
        ("kcat -C -e -q -o beginning | grep -c TEXT", Vec::new()),
        ("eventdeck find --text TEXT", Vec::new()),
        ("eventdeck find --where data.tag=TEXT", Vec::new()),
        ("eventdeck find --where data.n<0 (decodes all)", Vec::new()),
        ("eventdeck find --key K (2 of 12 partitions)", Vec::new()),
    ];
    for round in 0..rounds {
        let (d, count) = kcat_grep(&brokers, &topic);
        assert_eq!(count, expected_needles, "grep -c");
        runs[0].1.push(d);
        let cases: [(&[&str], Option<u64>); 4] = [
            (&["--text", NEEDLE], Some(expected_needles)),
            (
                &["--where", &format!("data.tag={NEEDLE}")],
                Some(expected_needles),
            ),
            (&["--where", "data.n<0"], Some(0)),
            (&["--key", KEY], None),
        ];
        for (i, (args, want)) in cases.iter().enumerate() {
            let (d, count) = find(&brokers, home.path(), &topic, args);
            if let Some(want) = want {
                assert_eq!(count, *want, "{args:?}");
            }
            runs[i + 1].1.push(d);
        }
        eprintln!(
            "round {}: {}",
            round + 1,
            runs.iter()
                .map(|(_, r)| format!("{:.2}", r[round].as_secs_f64()))
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    println!("\nfind_vs_kcat: {n} envelopes, {PARTITIONS} partitions, {brokers}, {rounds} rounds");
    let mut medians = Vec::new();
    for (name, r) in &mut runs {
        r.sort();
        let median = r[r.len() / 2];
        println!(
            "  {name:<48} median {:>6.2} s  {:>9.0} rec/s   (min {:.2} s, max {:.2} s)",
            median.as_secs_f64(),
            n as f64 / median.as_secs_f64(),
            r[0].as_secs_f64(),
            r[r.len() - 1].as_secs_f64(),
        );
        medians.push(median.as_secs_f64());
    }
    let verdict = |ok: bool| if ok { "MET" } else { "NOT MET" };
    println!(
        "  budget text <= kcat|grep: {} ({:.2}x)",
        verdict(medians[1] <= medians[0]),
        medians[1] / medians[0]
    );
    println!(
        "  budget where <= 1.3x text: {} ({:.2}x)",
        verdict(medians[2] <= 1.3 * medians[1]),
        medians[2] / medians[1]
    );
    println!(
        "  budget key <= 1/4 full scan: {} ({:.2}x)",
        verdict(medians[4] <= 0.25 * medians[1]),
        medians[4] / medians[1]
    );
}

/// `kcat … | grep -c TEXT`, timed as one pipeline.
fn kcat_grep(brokers: &str, topic: &str) -> (Duration, u64) {
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "kcat -b '{brokers}' -C -e -q -o beginning -t '{topic}' | grep -c '{NEEDLE}'"
        ))
        .stderr(Stdio::inherit())
        .output()
        .expect("sh and kcat");
    let d = started.elapsed();
    let count = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    (d, count)
}

/// `eventdeck find TOPIC ARGS`, timed from start to exit; returns the
/// number of matches printed.
fn find(brokers: &str, home: &std::path::Path, topic: &str, args: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_eventdeck"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home)
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .args([
            "--brokers",
            brokers,
            "find",
            topic,
            "-q",
            "--limit",
            "10000000",
        ])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("eventdeck");
    let d = started.elapsed();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "find {args:?} failed: {code:?}"
    );
    (
        d,
        String::from_utf8_lossy(&out.stdout).lines().count() as u64,
    )
}

fn fill(brokers: &str, topic: &str, n: u64) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("client");
    let have: i64 = (0..PARTITIONS)
        .filter_map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .ok()
        })
        .map(|(lo, hi)| hi - lo)
        .sum();
    if have == n as i64 {
        eprintln!("{topic}: {n} records already there");
        return;
    }
    assert!(
        have == 0,
        "{topic} has {have} records, expected 0 or {n}: delete it and rerun"
    );
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .create()
            .expect("admin");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let _ = rt.block_on(admin.create_topics(
        &[rdkafka::admin::NewTopic::new(
            topic,
            PARTITIONS,
            rdkafka::admin::TopicReplication::Fixed(1),
        )],
        &rdkafka::admin::AdminOptions::new(),
    ));
    std::thread::sleep(Duration::from_secs(2));
    // librdkafka's default partitioner (consistent_random, CRC32) places each key.
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "50")
        .set("batch.size", "1000000")
        .set("compression.type", "zstd")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer");
    let started = Instant::now();
    for i in 0..n {
        let tag = if i % NEEDLE_EVERY == 0 {
            NEEDLE.to_string()
        } else {
            format!("tag-{}", i % 97)
        };
        let env = Envelope::new(
            ["debate", "testing", "performance"][(i % 3) as usize],
            ["DecisionMade", "TestRunCompleted", "MetricRecorded"][(i % 3) as usize],
            format!("agg-{}", i % 1000),
            serde_json::json!({"n": i, "tag": tag, "question": "Adopt event sourcing for orders?", "decision": "adopt", "value": 181.5}),
        );
        let enc = encode(&env);
        let mut headers = OwnedHeaders::new_with_capacity(enc.headers.len());
        for (k, v) in &enc.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let key = env.aggregate_id.clone();
        let mut rec = BaseRecord::to(topic)
            .key(&key)
            .payload(&enc.value)
            .headers(headers);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((_, r)) => {
                    rec = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    eprintln!(
        "{topic}: produced {n} envelopes in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
