//! `eventdeck demo --headless` runs the embedded broker, the scenario and the slow
//! group with nothing installed, and reports what went by.

mod support;

use serde_json::Value;
use support::*;

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
    assert_eq!(summary["publish_errors"], 0, "{summary:#}");
    // Each source publishes, and its context's topic is read back. (How many
    // events a run of 4 s holds depends on the machine; no count is asked.)
    let topics = eventdeck::domain::TopicMap::default();
    for (ty, context) in [
        ("DecisionMade", "debate"),
        ("TestRunCompleted", "testing"),
        ("MetricRecorded", "performance"),
    ] {
        assert!(
            summary["published"][ty].as_u64().unwrap_or(0) > 0,
            "{ty} published: {summary:#}"
        );
        let topic = topics.resolve(context);
        assert!(
            summary["records_by_topic"][&topic].as_u64().unwrap_or(0) > 0,
            "{topic} read back: {summary:#}"
        );
    }
    assert!(
        summary["slow_group_lag"].as_i64().unwrap_or(0) > 0,
        "the slow group lags: {summary:#}"
    );
}

/// The environment of a running process, from /proc.
#[cfg(target_os = "linux")]
fn environ_of(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_binary_restarts_itself_in_place_with_the_allocator_setting_unless_the_user_set_it() {
    // src/alloc.rs: the same pid carries on with MIMALLOC_PURGE_DELAY set, the
    // exit status is the program's, and a user's own value is left alone.
    for (given, want) in [(None, "10000"), (Some("2500"), "2500")] {
        let sandbox = Sandbox::new();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_eventdeck"));
        cmd.env("XDG_CONFIG_HOME", sandbox.dir.path().join("config"))
            .env("XDG_DATA_HOME", sandbox.dir.path().join("data"))
            .env_remove("MIMALLOC_PURGE_DELAY")
            .env_remove("MIMALLOC_ARENA_EAGER_COMMIT")
            .args(["demo", "--headless", "--for", "2s", "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(v) = given {
            cmd.env("MIMALLOC_PURGE_DELAY", v);
        }
        let child = cmd.spawn().expect("spawn eventdeck");
        let pid = child.id();
        let mut seen = Vec::new();
        for _ in 0..100 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            seen = environ_of(pid);
            // The test may set the purge delay itself: the restart is known by
            // the arena setting, which only the restart adds.
            if seen
                .iter()
                .any(|v| v.starts_with("MIMALLOC_ARENA_EAGER_COMMIT="))
            {
                break;
            }
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let out = child.wait_with_output().expect("wait");
        assert_eq!(comm.trim(), "eventdeck", "the process keeps its name");
        assert!(out.status.success(), "demo failed: {}", stderr(&out));
        assert!(
            seen.contains(&format!("MIMALLOC_PURGE_DELAY={want}")),
            "pid {pid} environment: {seen:?}"
        );
        assert!(
            seen.contains(&"MIMALLOC_ARENA_EAGER_COMMIT=0".to_string()),
            "the arena is committed as used, not eagerly: {seen:?}"
        );
        let summary: Value = serde_json::from_str(&stdout(&out)).expect("summary is JSON");
        assert_eq!(summary["publish_errors"], 0, "{summary:#}");
    }
}
