//! DESIGN.md budget: a lag poll of 1,000 groups × 100 partitions in ≤ 2 s.
//!
//! Needs Apache Kafka (`scripts/kafka up`; KAFKA_BOOTSTRAP_SERVERS or
//! 127.0.0.1:9092). Seeds once and reuses: 10 topics `bench-lag-t0..t9` of 100
//! partitions with 10 records each, and 1,000 groups `bench-lag-g0000..` that each
//! committed an offset on all 100 partitions of one topic (100,000 committed
//! offsets in all). Then times a poll of every group as `eventdeck lag` makes it
//! (`poll_groups`: a cold poll, reading `__consumer_offsets` from the start) and
//! as the Lag pane makes it (a kept `GroupPoller`: warm polls read only new
//! commits).
//!
//!     cargo bench --bench lag_poll_1000_groups
//!     EVENTDECK_BENCH_GROUPS=200 cargo bench --bench lag_poll_1000_groups

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::kafka::groups::{GroupPoller, list_groups, poll_groups};
use eventdeck::lag::Poll;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const TOPICS: usize = 10;
const PARTITIONS: i32 = 100;
const RECORDS_PER_PARTITION: i64 = 10;
const SEED_THREADS: usize = 8;
const RUNS: usize = 5;

fn main() {
    // As the binary does (src/main.rs), so this measures what it runs.
    eventdeck::alloc::restart_with_allocator_settings();
    let brokers =
        std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let groups: usize = std::env::var("EVENTDECK_BENCH_GROUPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut settings = Settings::load_with_env(
        &CliOverrides {
            config: Some("/dev/null".into()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("settings");
    settings.brokers = brokers.clone();

    let t = Instant::now();
    seed(&brokers, &settings, groups);
    println!("seeded in {:.1} s", t.elapsed().as_secs_f64());

    let names: Vec<String> = (0..groups).map(group_name).collect();
    let mut cold = Vec::new();
    for run in 0..RUNS {
        let t = Instant::now();
        let poll = poll_groups(&settings, &[], &[]).expect("poll");
        cold.push(t.elapsed());
        check(&poll, &names, groups, &format!("cold run {run}"), cold[run]);
    }
    let mut poller = GroupPoller::default();
    let _ = poller.poll(&settings, &[], &[]).expect("first poll");
    let mut warm = Vec::new();
    for run in 0..RUNS {
        let t = Instant::now();
        let poll = poller.poll(&settings, &[], &[]).expect("poll");
        warm.push(t.elapsed());
        check(&poll, &names, groups, &format!("warm run {run}"), warm[run]);
    }
    report("cold (eventdeck lag)", groups, cold);
    report("warm (Lag pane)", groups, warm);
}

fn check(poll: &Poll, names: &[String], groups: usize, label: &str, took: Duration) {
    let ours: Vec<_> = poll
        .groups
        .iter()
        .filter(|g| names.binary_search(&g.group).is_ok())
        .collect();
    let partitions: usize = ours.iter().map(|g| g.partitions.len()).sum();
    let committed = ours
        .iter()
        .flat_map(|g| &g.partitions)
        .filter(|p| p.current_offset.is_some())
        .count();
    assert_eq!(ours.len(), groups, "every seeded group polled");
    assert_eq!(committed, groups * PARTITIONS as usize, "every commit read");
    println!(
        "{label}: {:.3} s — {} groups in the poll, {} of ours, {partitions} partitions",
        took.as_secs_f64(),
        poll.groups.len(),
        ours.len()
    );
}

fn report(label: &str, groups: usize, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "lag poll {label}, {groups} groups x {PARTITIONS} partitions: median {:.3} s, min {:.3} s, max {:.3} s (budget 2 s)",
        times[times.len() / 2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    );
}

fn group_name(i: usize) -> String {
    format!("bench-lag-g{i:04}")
}

fn topic_name(i: usize) -> String {
    format!("bench-lag-t{i}")
}

fn seed(brokers: &str, settings: &Settings, groups: usize) {
    let existing = list_groups(settings).expect("list groups");
    let have = existing
        .iter()
        .filter(|g| g.name.starts_with("bench-lag-g"))
        .count();
    if have >= groups {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin");
    let new: Vec<String> = (0..TOPICS).map(topic_name).collect();
    let specs: Vec<NewTopic<'_>> = new
        .iter()
        .map(|t| NewTopic::new(t, PARTITIONS, TopicReplication::Fixed(1)))
        .collect();
    let _ = rt.block_on(admin.create_topics(&specs, &AdminOptions::new()));
    std::thread::sleep(Duration::from_secs(2));

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .create()
        .expect("producer");
    for t in &new {
        for p in 0..PARTITIONS {
            for i in 0..RECORDS_PER_PARTITION {
                let payload = format!("{i}");
                let mut rec = BaseRecord::<(), _>::to(t).payload(&payload).partition(p);
                loop {
                    match producer.send(rec) {
                        Ok(()) => break,
                        Err((_, r)) => {
                            rec = r;
                            producer.poll(Duration::from_millis(10));
                        }
                    }
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60)).expect("flush");

    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..SEED_THREADS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= groups {
                        break;
                    }
                    let c: BaseConsumer = ClientConfig::new()
                        .set("bootstrap.servers", brokers)
                        .set("group.id", group_name(i))
                        .set("enable.auto.commit", "false")
                        .create()
                        .expect("consumer");
                    let mut tpl = TopicPartitionList::new();
                    let topic = topic_name(i % TOPICS);
                    for p in 0..PARTITIONS {
                        let at = (i as i64 + p as i64) % (RECORDS_PER_PARTITION + 1);
                        tpl.add_partition_offset(&topic, p, Offset::Offset(at))
                            .expect("tpl");
                    }
                    c.commit(&tpl, CommitMode::Sync).expect("commit");
                }
            });
        }
    });
}
