//! The log stays quiet and bounded while the cluster is away: a console whose
//! brokers are down for a minute writes each repeated librdkafka error once,
//! then a count, not thousands of lines.

mod support;
use support::pty;

use std::time::Duration;

use support::*;

#[test]
fn a_console_with_its_brokers_down_for_60_s_writes_fewer_than_100_log_lines() {
    let sandbox = Sandbox::new();
    // Nothing listens on port 9 (discard) here: every broker is down.
    let console = sandbox.eventdeck_at("127.0.0.1:9");
    let s = pty::Session::spawn(&console, 120, 40);
    s.wait_for("retrying", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(60));
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(Duration::from_secs(20)), 0);
    let log = std::fs::read_to_string(sandbox.data_dir().join("eventdeck.log")).expect("the log");
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines.len() < 100,
        "{} log lines in a minute:\n{}",
        lines.len(),
        lines[..lines.len().min(40)].join("\n")
    );
    // What repeated is said with its count, so nothing is hidden.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("… repeated") && l.contains("AllBrokersDown")),
        "{log}"
    );
}
