//! `eventdeck demo` as a person uses it, in a real terminal (tmux): scenario
//! records appear, the bridge's counters in the header, dead letters marked,
//! and `q` or SIGTERM leave the terminal restored. (The demo's time to first
//! frame is a budget measured on a release build, in the README's performance
//! table, not here.)

mod support;
use support::pty;

use std::process::Command;
use std::time::{Duration, Instant};

use pty::Session;
use support::Sandbox;

fn demo(sandbox: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eventdeck"));
    cmd.env("XDG_CONFIG_HOME", sandbox.dir.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.dir.path().join("data"))
        .env("HOME", sandbox.dir.path())
        .args(["demo", "--rate", "20"]);
    cmd
}

/// How long a step may take before the test fails: generous, since a debug
/// build shares two cores with the rest of the suite.
const CAP: Duration = Duration::from_secs(60);

#[test]
fn demo_shows_scenario_records_reactions_and_dead_letters_and_q_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&demo(&sandbox), 120, 40);
    s.wait_for("demo (embedded broker)", CAP);
    // Records of the scenario's sources.
    let types = [
        "DecisionMade",
        "TestRunCompleted",
        "MetricRecorded",
        "ThresholdBreached",
    ];
    let shown = Instant::now();
    while !types.iter().any(|t| s.screen().contains(t)) {
        assert!(
            shown.elapsed() < CAP,
            "no scenario record ({types:?}) on screen after {CAP:?}:\n{}",
            s.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The bridge's reactions: a decision creates a task.
    s.wait_for("TaskCreated", CAP);
    s.wait_for("bridge:", CAP);
    // The flaky handler's failures reach the DLQ and are marked.
    s.wait_for("DLQ TaskCreated", CAP);
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(Duration::from_secs(10)), 0);
    s.assert_restored();
}

#[test]
fn demo_exits_0_on_sigterm_with_the_terminal_restored() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&demo(&sandbox), 80, 24);
    s.wait_for("DecisionMade", CAP);
    s.signal("TERM");
    assert_eq!(s.wait_exit(Duration::from_secs(10)), 0);
    s.assert_restored();
}
