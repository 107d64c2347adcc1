//! The console's search end to end, in a real terminal (tmux) on real Kafka:
//! `F` in Streams opens `:find`, the runtime starts the find worker, the Find
//! tab shows the key's partitions, the finished progress and the match; the
//! match opens into the record view; the terminal is restored on `q`.

mod support;
use support::pty;

use std::time::Duration;

use pty::Session;
use support::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn find_in_the_console_streams_matches_from_the_worker() {
    let topic = unique_topic("find-pty");
    create_topic(&topic, 6).await;
    let lines: String = (0..300)
        .map(|i| format!("order-{i}\t{{\"n\":{i},\"note\":\"record {i}\"}}\n"))
        .collect();
    let out = kcat_with_stdin(&["-P", "-t", &topic, "-K", "\t"], Some(lines.as_bytes()));
    assert!(out.status.success(), "kcat: {}", stderr(&out));
    let sandbox = Sandbox::new();
    let s = Session::spawn(&sandbox.eventdeck(), 140, 40);
    s.wait_for("1 Streams", WAIT);
    s.keys(&["F"]);
    s.type_text(&format!("{topic} --key order-42"));
    s.keys(&["Enter"]);
    // The plan names the key's partitions; the search ends with its match.
    s.wait_for("key read in", WAIT);
    // The match can be on screen a frame before the search says it is done.
    let screen = s.wait_for("done ", WAIT);
    assert!(screen.contains("1 matches"), "{screen}");
    assert!(screen.contains("order-42"), "{screen}");
    // The match opens into the record view.
    s.keys(&["Enter"]);
    s.wait_for("record 42", WAIT);
    s.keys(&["Escape", "q"]);
    assert_eq!(s.wait_exit(WAIT), 0);
    s.assert_restored();
}
