//! Lag in seconds on real Kafka is the age of the first unconsumed record: with
//! a steady producer and a slow, committing consumer, every cold
//! `eventdeck lag --json` gives each partition `now − timestamp of the record at
//! its committed offset` (that record read back with kcat), within a second.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use support::*;

const PARTITIONS: i32 = 3;

/// The timestamp kcat reads for the record at `offset`.
fn kcat_timestamp(topic: &str, partition: i32, offset: i64) -> i64 {
    let out = kcat(&[
        "-C",
        "-t",
        topic,
        "-p",
        &partition.to_string(),
        "-o",
        &offset.to_string(),
        "-c",
        "1",
        "-e",
        "-q",
        "-f",
        "%T",
    ]);
    assert!(out.status.success(), "kcat: {}", stderr(&out));
    stdout(&out)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("kcat timestamp '{}': {e}", stdout(&out)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_seconds_is_within_a_second_of_the_record_at_the_committed_offset() {
    let topic = unique_topic("lagsec");
    create_topic(&topic, PARTITIONS).await;
    let group = unique_topic("lagsec-group");
    let stop = Arc::new(AtomicBool::new(false));
    let produced = Arc::new(AtomicU64::new(0));
    let consumed = Arc::new(AtomicU64::new(0));

    // A steady producer, about 20 records a second over the partitions.
    let producer_thread = {
        let (topic, stop, produced) = (topic.clone(), stop.clone(), produced.clone());
        std::thread::spawn(move || {
            let producer: BaseProducer = ClientConfig::new()
                .set("bootstrap.servers", bootstrap())
                .set("linger.ms", "0")
                .create()
                .expect("producer");
            let mut i: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let value = format!("{{\"i\":{i}}}");
                let p = (i % PARTITIONS as u64) as i32;
                let _ = producer.send(BaseRecord::<(), _>::to(&topic).partition(p).payload(&value));
                producer.poll(Duration::ZERO);
                produced.fetch_add(1, Ordering::Relaxed);
                i += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = producer.flush(Duration::from_secs(10));
        })
    };
    // A slow consumer that commits what it read, about 4 records a second.
    let consumer_thread = {
        let (topic, group, stop, consumed) =
            (topic.clone(), group.clone(), stop.clone(), consumed.clone());
        std::thread::spawn(move || {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", bootstrap())
                .set("group.id", &group)
                .set("enable.auto.commit", "false")
                .create()
                .expect("consumer");
            let mut tpl = TopicPartitionList::new();
            for p in 0..PARTITIONS {
                tpl.add_partition_offset(&topic, p, Offset::Beginning)
                    .expect("tpl");
            }
            consumer.assign(&tpl).expect("assign");
            while !stop.load(Ordering::Relaxed) {
                let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) else {
                    continue;
                };
                let mut c = TopicPartitionList::new();
                c.add_partition_offset(m.topic(), m.partition(), Offset::Offset(m.offset() + 1))
                    .expect("tpl");
                let _ = consumer.commit(&c, CommitMode::Sync);
                consumed.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };

    // Let a backlog build: a few seconds of records behind the consumer, and
    // a commit on every partition.
    let deadline = Instant::now() + Duration::from_secs(60);
    while produced.load(Ordering::Relaxed) < 120 || consumed.load(Ordering::Relaxed) < 6 {
        assert!(
            Instant::now() < deadline,
            "the producer or the consumer did not get going"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut checked = 0;
    let mut oldest_seen = 0.0_f64;
    for _ in 0..3 {
        let sandbox = Sandbox::new();
        let mut cmd = sandbox.eventdeck();
        cmd.args(["lag", "--group", &group, "--json", "--samples", "1"]);
        let before = chrono::Utc::now().timestamp_millis();
        let out = run(cmd);
        let after = chrono::Utc::now().timestamp_millis();
        assert!(out.status.success(), "eventdeck lag: {}", stderr(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
        let polled_at = report["polled_at_ms"].as_i64().expect("polled_at_ms");
        assert!(
            (before..=after).contains(&polled_at),
            "polled at {polled_at}, between {before} and {after}"
        );
        let g = report["groups"]
            .as_array()
            .and_then(|gs| gs.iter().find(|g| g["group"] == group.as_str()))
            .unwrap_or_else(|| panic!("group missing in {report:#}"));
        let mut max = 0.0_f64;
        for p in g["partitions"].as_array().expect("partitions") {
            let (Some(lag), Some(current)) = (p["lag"].as_i64(), p["current_offset"].as_i64())
            else {
                continue;
            };
            let partition = p["partition"].as_i64().expect("partition") as i32;
            let secs = p["lag_seconds"]
                .as_f64()
                .unwrap_or_else(|| panic!("lag seconds unknown on a cold poll: {p:#}"));
            max = max.max(secs);
            if lag == 0 {
                assert_eq!(secs, 0.0);
                continue;
            }
            let ts = kcat_timestamp(&topic, partition, current);
            let truth = (polled_at - ts) as f64 / 1000.0;
            assert!(
                (secs - truth).abs() < 1.0,
                "partition {partition} at offset {current}: eventdeck says {secs:.2} s, \
                 the record there is {truth:.2} s old"
            );
            assert_eq!(p["lag_seconds_source"], "record", "{p:#}");
            checked += 1;
        }
        assert_eq!(
            g["lag_seconds"].as_f64(),
            Some(max),
            "the group's figure is its oldest partition's"
        );
        oldest_seen = oldest_seen.max(max);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.store(true, Ordering::Relaxed);
    producer_thread.join().expect("producer");
    consumer_thread.join().expect("consumer");
    assert!(checked >= 3, "lagging partitions were checked ({checked})");
    assert!(
        oldest_seen > 2.0,
        "the consumer was seconds behind ({oldest_seen:.1} s), so the check means something"
    );
}
