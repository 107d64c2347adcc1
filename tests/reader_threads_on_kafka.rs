//! A reader's two threads (`tail_map_reading`), against the real Kafka
//! started by `scripts/kafka up`: one polls, one maps what it read, and the
//! polling one maps batches itself while the other is behind. Records still
//! come out once each, in the order read; a receiver that goes away stops
//! both, even while nothing is read.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use eventdeck::kafka::consume::{TailEnd, TailEvent, tail_map_reading};
use eventdeck::kafka::{Reading, StartAt, TailOptions};
use tokio::sync::mpsc;

use support::{create_topic, produce_lines, unique_topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_map_is_shared_by_both_threads_and_every_record_comes_out_once_in_order() {
    let topic = unique_topic("reader-threads");
    create_topic(&topic, 1).await;
    let n = 5000;
    produce_lines(&topic, 0, "r", n);
    let dir = tempfile::tempdir().expect("dir");
    let settings = support::kafka_settings(dir.path());
    let (tx, mut rx) = mpsc::channel(4);
    let opts = TailOptions {
        topics: vec![topic.clone()],
        start: StartAt::Beginning,
        count: None,
        exit_at_end: true,
    };
    // 200 µs a record: a batch of 512 takes ~100 ms to map, while the
    // polling thread reads one in about a millisecond once fetched, so it
    // fills the mapping thread's queue at once and has to map batches
    // itself.
    let map = |r: eventdeck::kafka::ConsumedRecord| {
        let until = Instant::now() + Duration::from_micros(200);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        (r.offset, r.value, std::thread::current().id())
    };
    let reader = tokio::spawn(async move {
        tail_map_reading(&settings, opts, Reading::default(), tx, map).await
    });
    let mut got = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(120), rx.recv())
        .await
        .expect("the reader went quiet before the end")
    {
        if let TailEvent::Records(rs) = ev {
            got.extend(rs);
        }
    }
    let end = reader.await.expect("join").expect("tail");
    assert_eq!(end, TailEnd::EndOfPartitions);
    let offsets: Vec<i64> = got.iter().map(|(o, _, _)| *o).collect();
    let expected: Vec<i64> = (0..n as i64).collect();
    assert_eq!(offsets, expected, "every record once, in offset order");
    for (offset, value, _) in &got {
        assert_eq!(
            value.as_deref(),
            Some(format!("r-0-{offset}").as_bytes()),
            "the record at {offset} is the one produced there"
        );
    }
    let threads: HashSet<_> = got.iter().map(|(_, _, t)| *t).collect();
    assert!(
        threads.len() >= 2,
        "both threads mapped records: {threads:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_stops_when_its_receiver_goes_away_while_nothing_is_read() {
    let topic = unique_topic("reader-threads-idle");
    create_topic(&topic, 1).await;
    let dir = tempfile::tempdir().expect("dir");
    let settings = support::kafka_settings(dir.path());
    let (tx, rx) = mpsc::channel::<TailEvent<i64>>(4);
    let opts = TailOptions {
        topics: vec![topic],
        start: StartAt::Beginning,
        count: None,
        exit_at_end: false,
    };
    let reader = tokio::spawn(async move {
        tail_map_reading(&settings, opts, Reading::default(), tx, |r| r.offset).await
    });
    // Assigned and polling an empty topic.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!reader.is_finished(), "the reader waits for records");
    drop(rx);
    let end = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the reader stopped within 10 s of its receiver going away")
        .expect("join")
        .expect("tail");
    assert_eq!(end, TailEnd::Closed);
}
