//! `eventdeck find` on real Kafka: key lookups read only the partitions the
//! key hashes to, under Java's murmur2 and librdkafka's CRC32 partitioner
//! (records produced by kcat with each); `--where` on nested fields; time
//! bounds; cancel; `--limit`; and grep's exit codes. Counts of records read
//! come from the search's own summary and are checked against kcat's.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::find::Partitioner;
use eventdeck::find::query::Query;
use eventdeck::kafka::find::{Bound, FindEvent, FindRequest, KeyScope, READ_AHEAD, find};
use support::*;

const PARTITIONS: i32 = 12;

fn settings() -> Settings {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!("data_dir = \"{}\"\n", dir.join("data").display()),
    )
    .expect("config");
    Settings::load_with_env(
        &CliOverrides {
            config: Some(path),
            brokers: Some(bootstrap()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("settings")
}

fn request(topic: &str, query: Query) -> FindRequest {
    FindRequest {
        topics: vec![topic.to_string()],
        query,
        from: Bound::Open,
        to: Bound::Open,
        partitions: Vec::new(),
        limit: 1000,
        key_scope: KeyScope::KeyPartitions,
        readers: 0,
    }
}

fn query(key: Option<&str>, wheres: &[&str], text: Option<&str>) -> Query {
    let wheres: Vec<String> = wheres.iter().map(|s| s.to_string()).collect();
    Query::new(key, &wheres, text).expect("query")
}

/// Runs a search to its end; returns the matches and the summary.
fn search(
    req: &FindRequest,
) -> (
    Vec<eventdeck::kafka::ConsumedRecord>,
    eventdeck::kafka::find::FindSummary,
) {
    let cancel = AtomicBool::new(false);
    let mut found = Vec::new();
    let summary = find(&settings(), req, &cancel, |ev| {
        if let FindEvent::Found(r) = ev {
            found.push(r);
        }
        true
    })
    .expect("search");
    (found, summary)
}

/// `n` records per partition, keyed `key-<p>-<i>`, produced by kcat to an
/// explicit partition (so every partition holds exactly `n`).
fn fill_evenly(topic: &str, n: usize) {
    for p in 0..PARTITIONS {
        let lines: String = (0..n)
            .map(|i| format!("key-{p}-{i}\t{{\"i\":{i},\"p\":{p}}}\n"))
            .collect();
        let out = kcat_with_stdin(
            &["-P", "-t", topic, "-p", &p.to_string(), "-K", "\t"],
            Some(lines.as_bytes()),
        );
        assert!(out.status.success(), "kcat: {}", stderr(&out));
    }
}

/// Produces `key\tvalue` lines with kcat and its partitioner (`None`: kcat's default).
fn produce_keyed(topic: &str, partitioner: Option<&str>, lines: &[(String, String)]) {
    let text: String = lines.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
    let prop = partitioner.map(|p| format!("partitioner={p}"));
    let mut args = vec!["-P", "-t", topic, "-K", "\t"];
    if let Some(p) = &prop {
        args.extend(["-X", p.as_str()]);
    }
    let out = kcat_with_stdin(&args, Some(text.as_bytes()));
    assert!(out.status.success(), "kcat: {}", stderr(&out));
}

/// Where kcat put each key: key → partition.
fn kcat_partitions_of(topic: &str) -> std::collections::HashMap<String, i32> {
    kcat_read(topic, "%k\t%p\n")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, p)| (k.to_string(), p.parse().expect("partition")))
        .collect()
}

#[tokio::test]
async fn key_lookup_finds_records_of_both_partitioners_in_their_partitions() {
    let topic = unique_topic("find-keys");
    create_topic(&topic, PARTITIONS).await;
    let murmur: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("m-order-{i}"),
                format!("{{\"by\":\"murmur2\",\"i\":{i}}}"),
            )
        })
        .collect();
    let crc: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("c-order-{i}"),
                format!("{{\"by\":\"crc32\",\"i\":{i}}}"),
            )
        })
        .collect();
    produce_keyed(&topic, Some("murmur2_random"), &murmur);
    produce_keyed(&topic, None, &crc);
    let placed = kcat_partitions_of(&topic);
    // Our partitioners agree with librdkafka's on every key.
    for (k, _) in &murmur {
        assert_eq!(
            placed[k],
            Partitioner::Murmur2.partition(k.as_bytes(), PARTITIONS),
            "{k}"
        );
    }
    for (k, _) in &crc {
        assert_eq!(
            placed[k],
            Partitioner::Crc32.partition(k.as_bytes(), PARTITIONS),
            "{k}"
        );
    }
    // And a key lookup finds each, reading only its key's partitions.
    for key in ["m-order-7", "c-order-7", "m-order-31", "c-order-31"] {
        let (found, summary) = search(&request(&topic, query(Some(key), &[], None)));
        assert_eq!(found.len(), 1, "{key}: {found:?}");
        assert_eq!(found[0].partition, placed[key], "{key}");
        assert!(
            summary.partitions <= 2,
            "{key}: read {} partitions",
            summary.partitions
        );
    }
    // The binary says which partitions it read first, and why.
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["find", &topic, "--key", "m-order-7", "--format", "json"]);
    let out = run_capped(cmd, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["key"], "m-order-7");
    let err = stderr(&out);
    assert!(err.contains("murmur2") && err.contains("crc32"), "{err}");
}

#[tokio::test]
async fn a_key_search_on_twelve_partitions_reads_a_twelfth_of_the_records() {
    let topic = unique_topic("find-twelfth");
    create_topic(&topic, PARTITIONS).await;
    let per_partition = 250;
    fill_evenly(&topic, per_partition);
    let total = per_partition * PARTITIONS as usize;
    assert_eq!(kcat_values(&topic).len(), total);
    // A key both partitioners put in the same partition: one partition is read.
    let (p, i) = (0..PARTITIONS)
        .flat_map(|p| (0..per_partition).map(move |i| (p, i)))
        .find(|(p, i)| {
            let k = format!("key-{p}-{i}");
            let m = Partitioner::Murmur2.partition(k.as_bytes(), PARTITIONS);
            m == Partitioner::Crc32.partition(k.as_bytes(), PARTITIONS) && m == *p
        })
        .expect("a key whose partitioners agree with where it was put");
    let key = format!("key-{p}-{i}");
    let (found, summary) = search(&request(&topic, query(Some(&key), &[], None)));
    assert_eq!(found.len(), 1);
    assert_eq!(
        summary.scanned, per_partition as u64,
        "exactly one partition read"
    );
    assert_eq!(
        summary.scanned * PARTITIONS as u64,
        total as u64,
        "1/12 of {total}"
    );
    // Any key: at most two twelfths (one partition per partitioner).
    let (_, any) = search(&request(&topic, query(Some("no-such-key"), &[], None)));
    assert!(any.scanned <= 2 * per_partition as u64, "{any:?}");
    // The whole topic only when asked.
    let mut all = request(&topic, query(Some("no-such-key"), &[], None));
    all.key_scope = KeyScope::Exhaustive;
    let (_, every) = search(&all);
    assert_eq!(every.scanned, total as u64);
    assert_eq!(every.partitions, PARTITIONS as usize);
    // --exhaustive stops at the key's partitions when they had a match;
    // --all-partitions reads the rest after them all the same.
    let mut found_first = request(&topic, query(Some(&key), &[], None));
    found_first.key_scope = KeyScope::Exhaustive;
    let (found, first_only) = search(&found_first);
    assert_eq!((found.len(), first_only.scanned), (1, per_partition as u64));
    found_first.key_scope = KeyScope::AllPartitions;
    let (found, everything) = search(&found_first);
    assert_eq!((found.len(), everything.scanned), (1, total as u64));
}

/// Parallel partition readers find what one reader finds: the same
/// records (by partition and offset), every record read once.
#[tokio::test]
async fn parallel_readers_find_what_one_reader_finds() {
    let topic = unique_topic("find-readers");
    create_topic(&topic, PARTITIONS).await;
    let per_partition = 400;
    fill_evenly(&topic, per_partition);
    let total = (per_partition * PARTITIONS as usize) as u64;
    // `"i":1` is in the values of i = 1, 10..=19 and 100..=199: 111 a partition.
    let mut req = request(&topic, query(None, &[], Some("\"i\":1")));
    req.limit = 10_000;
    let mut seen = Vec::new();
    for readers in [1, 3, 12] {
        req.readers = readers;
        let (found, summary) = search(&req);
        assert_eq!(summary.scanned, total, "{readers} readers: {summary:?}");
        assert_eq!(summary.partitions, PARTITIONS as usize);
        let mut at: Vec<(i32, i64)> = found.iter().map(|r| (r.partition, r.offset)).collect();
        at.sort_unstable();
        at.dedup();
        assert_eq!(
            at.len(),
            found.len(),
            "{readers} readers: a record reported twice"
        );
        seen.push(at);
    }
    assert_eq!(seen[0].len(), 111 * PARTITIONS as usize);
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}

#[tokio::test]
async fn where_matches_nested_fields_and_numbers_and_limit_caps() {
    let topic = unique_topic("find-where");
    create_topic(&topic, 3).await;
    let lines: Vec<(String, String)> = (0..300)
        .map(|i| {
            let tier = if i % 3 == 0 { "gold" } else { "silver" };
            (
                format!("k{i}"),
                format!(
                    r#"{{"event_id":"{}","event_type":"OrderPlaced","schema_version":1,"context":"debate","aggregate_id":"a{i}","occurred_at":"2026-11-27T10:00:00.000000Z","correlation_id":"{}","causation_id":null,"data":{{"order":{{"id":"o-{i}","amount":{i},"customer":{{"tier":"{tier}"}}}}}}}}"#,
                    uuid::Uuid::new_v4(),
                    uuid::Uuid::new_v4()
                ),
            )
        })
        .collect();
    produce_keyed(&topic, None, &lines);
    let (found, _) = search(&request(&topic, query(None, &["data.order.id=o-42"], None)));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key.as_deref(), Some(&b"k42"[..]));
    let (found, _) = search(&request(
        &topic,
        query(
            None,
            &[
                "data.order.amount>=290",
                "data.order.customer.tier=gold",
                "type:order",
            ],
            None,
        ),
    ));
    let mut ids: Vec<String> = found.iter().filter_map(|r| r.key_text()).collect();
    ids.sort();
    assert_eq!(ids, ["k291", "k294", "k297"]);
    // --limit stops the search and says so.
    let mut capped = request(&topic, query(None, &["data.order.amount<100"], None));
    capped.limit = 7;
    let (found, summary) = search(&capped);
    assert_eq!(found.len(), 7);
    assert!(summary.capped, "{summary:?}");
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "find",
        &topic,
        "--where",
        "data.order.amount<100",
        "--limit",
        "5",
    ]);
    let out = run_capped(cmd, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).lines().count(), 5);
    assert!(stderr(&out).contains("limit of 5"), "{}", stderr(&out));
}

#[tokio::test]
async fn time_bounds_and_offsets_limit_the_range_read() {
    let topic = unique_topic("find-time");
    create_topic(&topic, 1).await;
    // Three batches, their CreateTime set by kcat from the clock, with
    // pauses between them; the time bounds fall in the pauses.
    let batch = |tag: &str| -> Vec<(String, String)> {
        (0..20)
            .map(|i| {
                (
                    format!("{tag}-{i}"),
                    format!("{{\"tag\":\"{tag}\",\"i\":{i}}}"),
                )
            })
            .collect()
    };
    produce_keyed(&topic, None, &batch("early"));
    std::thread::sleep(Duration::from_millis(1500));
    let middle_from = chrono::Utc::now();
    produce_keyed(&topic, None, &batch("middle"));
    std::thread::sleep(Duration::from_millis(1500));
    let middle_to = chrono::Utc::now();
    produce_keyed(&topic, None, &batch("late"));
    let mut req = request(&topic, query(None, &[], Some("\"tag\"")));
    req.from = Bound::Time(middle_from);
    req.to = Bound::Time(middle_to);
    let (found, summary) = search(&req);
    assert_eq!(found.len(), 20, "{summary:?}");
    assert!(
        found
            .iter()
            .all(|r| r.key_text().is_some_and(|k| k.starts_with("middle")))
    );
    assert_eq!(summary.scanned, 20, "only the range is read");
    // Offsets: [10, 25) holds early-10..19 and middle-0..4.
    let mut req = request(&topic, query(None, &[], None));
    req.from = Bound::Offset(10);
    req.to = Bound::Offset(25);
    let (found, _) = search(&req);
    assert_eq!(found.len(), 15);
    assert_eq!(found[0].offset, 10);
    // The same through the binary.
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "find",
        &topic,
        "--from",
        &middle_from.to_rfc3339(),
        "--to",
        &middle_to.to_rfc3339(),
        "--text",
        "middle",
        "-q",
    ]);
    let out = run_capped(cmd, Duration::from_secs(60));
    assert_eq!(stdout(&out).lines().count(), 20, "{}", stderr(&out));
}

#[tokio::test]
async fn cancel_stops_a_search_at_once() {
    let topic = unique_topic("find-cancel");
    create_topic(&topic, 2).await;
    fill_evenly_two(&topic, 20_000);
    // Everything matches: the flag is set at the first match. No other
    // match is reported, and the two readers (one per partition) stop
    // within their read-ahead: what they sent but was not yet taken, plus
    // one record each waiting to be sent (no timing involved).
    let mut req = request(&topic, query(None, &[], None));
    req.readers = 2;
    let cancel = AtomicBool::new(false);
    let mut found = 0;
    let summary = find(&settings(), &req, &cancel, |ev| {
        if let FindEvent::Found(_) = ev {
            found += 1;
            cancel.store(true, Ordering::Relaxed);
        }
        true
    })
    .expect("search");
    assert!(summary.cancelled, "{summary:?}");
    assert_eq!((found, summary.matches), (1, 1), "{summary:?}");
    assert!(
        summary.scanned <= (1 + READ_AHEAD + 2) as u64,
        "read on after the cancel: {summary:?}"
    );
    assert_eq!(summary.total, 40_000);
    // A receiver that goes away cancels too.
    let summary = find(&settings(), &req, &AtomicBool::new(false), |_| false).expect("search");
    assert!(summary.cancelled);
    assert_eq!(summary.scanned, 0);
}

/// 2 partitions of `n` records each, produced fast by kcat.
fn fill_evenly_two(topic: &str, n: usize) {
    for p in 0..2 {
        let lines: String = (0..n)
            .map(|i| format!("{{\"p\":{p},\"i\":{i}}}\n"))
            .collect();
        let out = kcat_with_stdin(
            &["-P", "-t", topic, "-p", &p.to_string()],
            Some(lines.as_bytes()),
        );
        assert!(out.status.success(), "kcat: {}", stderr(&out));
    }
}

#[tokio::test]
async fn exit_codes_are_greps() {
    let topic = unique_topic("find-exit");
    create_topic(&topic, 1).await;
    produce_keyed(&topic, None, &[("a".into(), "{\"x\":1}".into())]);
    let sandbox = Sandbox::new();
    let code = |args: &[&str]| {
        let mut cmd = sandbox.eventdeck();
        cmd.arg("find").args(args);
        run_capped(cmd, Duration::from_secs(60)).status.code()
    };
    assert_eq!(code(&[&topic, "--where", "x=1"]), Some(0), "found");
    assert_eq!(code(&[&topic, "--where", "x=2"]), Some(1), "nothing");
    assert_eq!(
        code(&[&format!("{topic}-missing"), "--text", "x"]),
        Some(2),
        "no such topic"
    );
    assert_eq!(code(&[&topic, "--where", "x"]), Some(2), "a bad condition");
    assert_eq!(
        code(&[&topic, "--from", "yesterday"]),
        Some(2),
        "a bad bound"
    );
}
