//! The real binary in a real terminal (tmux): the console opens, quits with `q`
//! or on SIGTERM/SIGINT with status 0, and leaves the terminal as it found it —
//! also when the cluster cannot be reached; the Cluster tab reads the cluster
//! through its worker, and says an unreachable one in the pane.

mod support;
use support::pty;

use std::time::Duration;

use pty::Session;
use support::Sandbox;

const START: Duration = Duration::from_secs(10);
const EXIT: Duration = Duration::from_secs(10);

#[test]
fn q_exits_0_and_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck(), 120, 40);
    s.wait_for("1 Streams", START);
    s.wait_for("● connected", START);
    assert!(s.alternate_screen());
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}

#[test]
fn sigterm_exits_0_and_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck(), 120, 40);
    s.wait_for("1 Streams", START);
    s.signal("TERM");
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}

#[test]
fn sigint_exits_0_and_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck(), 80, 24);
    s.wait_for("1 Streams", START);
    s.signal("INT");
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}

#[test]
fn an_unreachable_cluster_is_shown_in_the_header_never_a_crash() {
    let sandbox = Sandbox::new();
    // Nothing listens on port 1.
    let s = Session::spawn(&sandbox.eventdeck_at("127.0.0.1:1"), 120, 40);
    s.wait_for("disconnected, reconnecting", Duration::from_secs(20));
    // The status line says why (the title is the address whatever happens).
    s.wait_for("cluster unreachable: ", START);
    // Still responsive: tabs switch, help opens.
    s.keys(&["5"]);
    s.wait_for("Context / topic", START);
    s.keys(&["?"]);
    s.wait_for("help: inject", START);
    s.keys(&["Escape"]);
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
    // Details went to the log file in the data dir.
    let log = std::fs::read_to_string(sandbox.data_dir().join("eventdeck.log")).unwrap_or_default();
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("cluster unreachable: ")),
        "log:\n{log}"
    );
}

#[test]
fn a_refused_connection_is_named_with_its_reason_on_the_status_line() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck_at("127.0.0.1:1"), 120, 40);
    s.wait_for("disconnected, reconnecting", Duration::from_secs(20));
    s.wait_for(
        "cannot reach Kafka at 127.0.0.1:1: connection refused: nothing listens there",
        Duration::from_secs(20),
    );
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}

#[test]
fn a_panic_in_a_background_task_restores_the_terminal_and_reports_it() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.env("EVENTDECK_TEST_PANIC_MS", "1500")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0");
    let s = Session::spawn(&cmd, 120, 40);
    s.wait_for("1 Streams", START);
    assert_eq!(s.wait_exit(EXIT), 1);
    s.assert_restored();
    let screen = s.screen();
    assert!(
        screen.contains("panic requested by EVENTDECK_TEST_PANIC_MS"),
        "{screen}"
    );
    // The panic hook and the task's watcher both notice the panic; whichever
    // comes first, the error names the task that panicked.
    assert!(
        screen.contains("eventdeck: error: the test panic task panicked (see the report above)"),
        "{screen}"
    );
    assert!(!screen.contains("a background task panicked"), "{screen}");
}

#[test]
fn a_burst_of_typing_longer_than_the_terminal_reads_at_once_all_arrives() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck(), 120, 40);
    s.wait_for("1 Streams", START);
    // Into the form's Headers field (one line: the view follows the cursor).
    s.keys(&["5"]);
    s.wait_for("Context / topic", START);
    s.keys(&["Down", "Down", "Down", "Enter"]);
    // 3,000 characters in one write, as a paste without bracketed paste
    // arrives: past the 1,024 bytes crossterm reads at once.
    let text: String = (0..500).map(|i| format!("<{i:04}>")).collect();
    s.type_text(&text);
    // Every character is shown without another key to wake the console.
    s.wait_for("<0497><0498><0499>", Duration::from_secs(20));
    s.keys(&["Escape", "q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}

#[test]
fn the_cluster_tab_reads_the_cluster_off_the_ui_task_and_r_asks_again() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck(), 120, 40);
    s.wait_for("1 Streams", START);
    s.keys(&["0"]);
    // The worker's first report: the brokers and the health line.
    s.wait_for("BROKERS", Duration::from_secs(30));
    s.wait_for("as of ", START);
    s.keys(&["r"]);
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}

#[test]
fn the_cluster_tab_says_an_unreachable_cluster_and_the_console_keeps_running() {
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck_at("127.0.0.1:1"), 120, 40);
    s.wait_for("1 Streams", START);
    s.keys(&["0"]);
    s.wait_for("cluster poll failed", Duration::from_secs(60));
    // Still responsive: tabs switch.
    s.keys(&["5"]);
    s.wait_for("Context / topic", START);
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
}
