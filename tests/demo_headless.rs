//! `eventdeck demo --headless` runs the embedded broker, the scenario and the slow
//! group with nothing installed, and reports what went by.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn headless_demo_publishes_every_source_reads_it_back_and_the_slow_group_lags() {
    let sandbox = Sandbox::new();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_eventdeck"));
    cmd.env("XDG_CONFIG_HOME", sandbox.dir.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.dir.path().join("data"))
        .args([
            "demo",
            "--headless",
            "--for",
            "4s",
            "--rate",
            "30",
            "--json",
        ]);
    let out = run(cmd);
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
    let summary: Value = serde_json::from_str(&stdout(&out)).expect("summary is JSON");
    for ty in ["DecisionMade", "TestRunCompleted", "MetricRecorded"] {
        assert!(
            summary["published"][ty].as_u64().unwrap_or(0) > 0,
            "{ty} published: {summary:#}"
        );
    }
    assert_eq!(summary["publish_errors"], 0, "{summary:#}");
    let published: u64 = summary["published"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let seen: u64 = summary["records_by_topic"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert!(published >= 60, "about 30/s for 4 s: {published}");
    // Everything but the last moment's records is read back.
    assert!(seen * 10 >= published * 8, "seen {seen} of {published}");
    assert!(
        summary["slow_group_lag"].as_i64().unwrap_or(0) > 0,
        "the slow group lags: {summary:#}"
    );
}
