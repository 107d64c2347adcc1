//! What the demo's embedded broker (librdkafka's mock cluster) shows must be
//! as true as on real Kafka, although it has no time index: lag in seconds is
//! the age of the record at the committed offset, and a seek to a time starts
//! at the first record at or after that time, never at the end.

use std::time::Duration;

use eventdeck::config::Settings;
use eventdeck::kafka::StartAt;
use eventdeck::kafka::consume::{TailEvent, TailOptions, tail};
use eventdeck::kafka::embedded::EmbeddedBroker;
use eventdeck::kafka::groups::GroupPoller;
use eventdeck::lag::{LagTracker, SecondsSource};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

fn settings_for(broker: &EmbeddedBroker, dir: &std::path::Path) -> Settings {
    let mut settings = Settings::for_tests(None, dir);
    broker.connect(&mut settings);
    settings
}

/// Produces `n` records to each partition, record `i` stamped `base_ms + i s`.
async fn produce_stamped(bootstrap: &str, topic: &str, partitions: i32, n: i64, base_ms: i64) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("producer");
    for p in 0..partitions {
        for i in 0..n {
            let value = format!("{{\"p\":{p},\"i\":{i}}}");
            producer
                .send(
                    FutureRecord::<(), _>::to(topic)
                        .partition(p)
                        .payload(&value)
                        .timestamp(base_ms + i * 1_000),
                    Duration::from_secs(10),
                )
                .await
                .expect("delivered");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_seconds_on_the_embedded_broker_is_the_age_of_the_record_at_the_committed_offset() {
    let broker = EmbeddedBroker::start(1, &[("lagsec".into(), 2)]).expect("mock cluster");
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings_for(&broker, dir.path());
    let now = chrono::Utc::now().timestamp_millis();
    // 60 records per partition, one per second, the newest 1 s ago.
    let base = now - 60_000;
    produce_stamped(broker.bootstrap_servers(), "lagsec", 2, 60, base).await;
    let group = "lagsec-group";
    let member: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap_servers())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let commit = |at: [i64; 2]| {
        let mut tpl = TopicPartitionList::new();
        for (p, o) in at.iter().enumerate() {
            tpl.add_partition_offset("lagsec", p as i32, Offset::Offset(*o))
                .expect("tpl");
        }
        member.commit(&tpl, CommitMode::Sync).expect("commit");
    };
    let mut tracker = LagTracker::default();
    let mut poller = GroupPoller::default();
    // Several polls with the group moving on, as a slow consumer does.
    for at in [[10, 45], [20, 50], [30, 59], [60, 59]] {
        commit(at);
        let s = settings.clone();
        let known = vec![group.to_string()];
        let (poll, p) = tokio::task::spawn_blocking(move || {
            let poll = poller.poll(&s, &[], &known);
            (poll, poller)
        })
        .await
        .expect("join");
        poller = p;
        let report = tracker.apply(&poll.expect("poll"));
        let g = report
            .groups
            .iter()
            .find(|g| g.group == group)
            .expect("the group is polled");
        for part in &g.partitions {
            let committed = part.current_offset.expect("committed");
            let (secs, source) = (part.lag_seconds, part.lag_seconds_source);
            if committed >= part.log_end_offset {
                assert_eq!(secs, Some(0.0), "at the end: zero");
                continue;
            }
            // The record at offset o was stamped base + o s.
            let truth = (report.polled_at_ms - (base + committed * 1_000)) as f64 / 1000.0;
            let secs = secs.expect("known on every poll, the first included");
            assert!(
                (secs - truth).abs() < 1.0,
                "partition {} at offset {committed}: {secs:.2} s shown, {truth:.2} s true",
                part.partition
            );
            assert_eq!(source, Some(SecondsSource::Record));
        }
        let oldest = g
            .partitions
            .iter()
            .filter_map(|p| p.lag_seconds)
            .fold(0.0_f64, f64::max);
        assert_eq!(
            g.lag_seconds,
            Some(oldest),
            "the group's figure is its oldest partition's"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_to_a_time_on_the_embedded_broker_starts_at_the_first_record_at_or_after_it() {
    let broker = EmbeddedBroker::start(1, &[("seektime".into(), 3)]).expect("mock cluster");
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings_for(&broker, dir.path());
    let base = chrono::Utc::now().timestamp_millis() - 100_000;
    produce_stamped(broker.bootstrap_servers(), "seektime", 3, 50, base).await;
    // Records 0..50 a second apart: from base + 20.5 s the first is record 21.
    let from = chrono::DateTime::from_timestamp_millis(base + 20_500).expect("time");
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let opts = TailOptions {
        topics: vec!["seektime".into()],
        start: StartAt::Time(from),
        count: Some(3 * 29),
        exit_at_end: true,
    };
    let reader = tokio::spawn({
        let settings = settings.clone();
        async move { tail(&settings, opts, tx).await }
    });
    let mut got = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await {
        if let TailEvent::Records(recs) = ev {
            got.extend(recs);
        }
    }
    reader.await.expect("join").expect("tail");
    assert_eq!(got.len(), 3 * 29, "records 21..50 of each of 3 partitions");
    for p in 0..3 {
        let offsets: Vec<i64> = got
            .iter()
            .filter(|r| r.partition == p)
            .map(|r| r.offset)
            .collect();
        assert_eq!(
            offsets.first(),
            Some(&21),
            "partition {p} starts at the time"
        );
        assert_eq!(offsets.len(), 29, "partition {p}");
    }
    assert!(
        got.iter()
            .all(|r| r.timestamp_ms >= Some(from.timestamp_millis()))
    );
}
