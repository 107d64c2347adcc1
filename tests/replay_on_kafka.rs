//! `eventdeck replay` re-delivers exactly the records of a time range, found with
//! offsets-for-times, and a dry run changes nothing.

mod support;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::Value;
use support::*;

#[tokio::test]
async fn replay_of_a_time_range_redelivers_exactly_the_records_in_it() {
    let topic = unique_topic("replay-src");
    let target = unique_topic("replay-dst");
    create_topic(&topic, 2).await;
    create_topic(&target, 1).await;
    let now = || Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    produce_lines(&topic, 0, "before", 3);
    produce_lines(&topic, 1, "before", 2);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let from = now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    produce_lines(&topic, 0, "inside", 4);
    produce_lines(&topic, 1, "inside", 3);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let to = now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    produce_lines(&topic, 0, "after", 2);
    produce_lines(&topic, 1, "after", 2);

    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "replay",
        "--topic",
        &topic,
        "--from",
        &from,
        "--to",
        &to,
        "--to-topic",
        &target,
        "--dry-run",
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("would replay 7 record(s)"),
        "{}",
        stdout(&out)
    );
    assert!(
        sorted_values(&target).is_empty(),
        "a dry run writes nothing"
    );

    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "replay",
        "--topic",
        &topic,
        "--from",
        &from,
        "--to",
        &to,
        "--to-topic",
        &target,
    ]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut want: Vec<String> = (0..4).map(|i| format!("inside-0-{i}")).collect();
    want.extend((0..3).map(|i| format!("inside-1-{i}")));
    want.sort();
    assert_eq!(sorted_values(&target), want);

    // The copies say where they came from.
    let out = kcat(&["-C", "-t", &target, "-o", "beginning", "-e", "-q", "-J"]);
    let first: Value =
        serde_json::from_str(stdout(&out).lines().next().expect("a record")).expect("json");
    let headers = first["headers"].as_array().expect("headers");
    assert_eq!(headers[0], "eventdeck.replay.source");
    assert!(headers[1].as_str().is_some_and(|s| s.starts_with(&topic)));

    // Read-only refuses.
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "--read-only",
        "replay",
        "--topic",
        &topic,
        "--from",
        &from,
        "--to-topic",
        &target,
    ]);
    let out = run(cmd);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("read-only"));
    assert_eq!(sorted_values(&target).len(), 7);
}
