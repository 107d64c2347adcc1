//! `eventdeck demo` as a person uses it, in a real terminal (tmux): records from
//! every flow appear within two seconds, the bridge's counters in the header,
//! dead letters marked, and `q` or SIGTERM leave the terminal restored.

mod common;
#[path = "common/pty.rs"]
mod pty;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Sandbox;
use pty::Session;

fn demo(sandbox: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eventdeck"));
    cmd.env("XDG_CONFIG_HOME", sandbox.dir.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.dir.path().join("data"))
        .env("HOME", sandbox.dir.path())
        .args(["demo", "--rate", "20"]);
    cmd
}

#[test]
fn demo_shows_records_within_two_seconds_and_q_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&demo(&sandbox), 120, 40);
    // The first frame (a debug build under a parallel test run can be slow to
    // start), then scenario records within two seconds of it.
    s.wait_for("demo (embedded broker)", Duration::from_secs(5));
    let shown = Instant::now();
    let types = [
        "DecisionMade",
        "TestRunCompleted",
        "MetricRecorded",
        "ThresholdBreached",
    ];
    while !types.iter().any(|t| s.screen().contains(t)) {
        assert!(
            shown.elapsed() < Duration::from_secs(2),
            "no scenario record within 2 s of the first frame:\n{}",
            s.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The bridge's reactions: a decision creates a task.
    s.wait_for("TaskCreated", Duration::from_secs(5));
    s.wait_for("bridge:", Duration::from_secs(5));
    // The flaky handler's failures reach the DLQ and are marked.
    s.wait_for("DLQ TaskCreated", Duration::from_secs(20));
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(Duration::from_secs(10)), 0);
    s.assert_restored();
}

#[test]
fn demo_exits_0_on_sigterm_with_the_terminal_restored() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&demo(&sandbox), 80, 24);
    s.wait_for("DecisionMade", Duration::from_secs(5));
    s.signal("TERM");
    assert_eq!(s.wait_exit(Duration::from_secs(10)), 0);
    s.assert_restored();
}
