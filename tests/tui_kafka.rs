//! The console against real Apache Kafka (`scripts/kafka up`), driven in a real
//! terminal: records written by kcat appear in Streams, and an event sent from the
//! Inject form is read back by kcat.

mod support;
use support::pty;

use std::time::Duration;

use pty::Session;
use support::{Sandbox, bootstrap, create_topic, kcat, kcat_with_stdin, unique_topic};

const WAIT: Duration = Duration::from_secs(15);

/// A sandbox whose `debate` and `testing` contexts point at fresh topics.
async fn sandbox_with_topics() -> (Sandbox, String, String) {
    bootstrap();
    let debate = unique_topic("tui-debate");
    let testing = unique_topic("tui-testing");
    create_topic(&debate, 3).await;
    create_topic(&testing, 1).await;
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("config").join("eventdeck");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("config.toml"),
        format!("[topics.contexts]\ndebate = \"{debate}\"\ntesting = \"{testing}\"\n"),
    )
    .expect("config");
    (sandbox, debate, testing)
}

/// Waits until the console reads new records of every topic: writes a small
/// JSON probe to each topic not yet shown, every half second, until the screen
/// shows a probe of each (the first may come before the reader is positioned;
/// a later one cannot be missed then). Fails after a generous cap.
fn wait_until_reading(s: &Session, topics: &[&str]) {
    const CAP: Duration = Duration::from_secs(60);
    let start = std::time::Instant::now();
    let mut waiting: Vec<(&str, String)> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, format!("probe-{i}-")))
        .collect();
    for n in 0.. {
        let screen = s.screen();
        waiting.retain(|(_, mark)| !screen.contains(mark.as_str()));
        if waiting.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < CAP,
            "no probe of {:?} shown after {CAP:?}; the screen:\n{screen}",
            waiting.iter().map(|(t, _)| t).collect::<Vec<_>>()
        );
        if n % 10 == 0 {
            for (topic, mark) in &waiting {
                let probe = format!("{{\"probe\":\"{mark}{n}\"}}");
                let out = kcat_with_stdin(&["-P", "-t", topic], Some(probe.as_bytes()));
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn records_written_by_kcat_appear_in_streams() {
    let (sandbox, debate, testing) = sandbox_with_topics().await;
    let s = Session::spawn(&sandbox.eventdeck(), 140, 40);
    s.wait_for(&debate, WAIT);
    s.wait_for("● connected", WAIT);
    // Streams start at the end, so a record is shown only if it was written
    // after its reader was assigned the partition and found its end.
    wait_until_reading(&s, &[&debate, &testing]);
    let envelope = serde_json::json!({
        "event_id": "6f1c1a52-8f0e-4a55-9d2c-2b4d1f3e0a01",
        "event_type": "DecisionMade",
        "schema_version": 1,
        "context": "debate",
        "aggregate_id": "dec-7",
        "occurred_at": "2026-11-27T10:00:00Z",
        "correlation_id": "0b7e1f9a-3c1d-4e5f-8a9b-1c2d3e4f5a6b",
        "causation_id": null,
        "data": {"decision": "kcat-was-here"}
    });
    let out = kcat_with_stdin(
        &["-P", "-t", &debate, "-k", "dec-7"],
        Some(envelope.to_string().as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kcat_with_stdin(
        &["-P", "-t", &testing, "-k", "plain"],
        Some(b"not json at all"),
    );
    assert!(out.status.success());
    let screen = s.wait_for("kcat-was-here", WAIT);
    assert!(screen.contains("DecisionMade"), "{screen}");
    assert!(screen.contains("dec-7"));
    let screen = s.wait_for("not json at all", WAIT);
    assert!(screen.contains("(raw)"), "{screen}");
    // Filter to the raw record and open it: the decode error is shown.
    s.keys(&["/"]);
    s.type_text("key:plain");
    s.keys(&["Enter", "Enter"]);
    let screen = s.wait_for("Decode error", WAIT);
    assert!(
        screen.contains("6e 6f 74 20 6a 73 6f 6e"),
        "hex dump:\n{screen}"
    );
    s.keys(&["Escape"]);
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(WAIT), 0);
    s.assert_restored();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_sent_from_the_form_is_read_back_by_kcat() {
    let (sandbox, debate, _testing) = sandbox_with_topics().await;
    let s = Session::spawn(&sandbox.eventdeck(), 120, 40);
    s.wait_for("● connected", WAIT);
    s.keys(&["5"]);
    s.wait_for("Context / topic", WAIT);
    // Focus starts on the target (the first context, debate); go to Key.
    s.keys(&["Down", "Down", "Enter"]);
    s.type_text("from-the-form");
    s.keys(&["Enter"]);
    // Data: editing starts at the end of the template; ^U clears the field.
    // (Key → Headers → Correlation id → Schema → data.)
    s.keys(&["Down", "Down", "Down", "Down", "Enter", "C-u"]);
    s.type_text(r#"{"typed": "in tmux", "n": 3}"#);
    s.wait_for("✓ valid JSON", WAIT);
    s.keys(&["C-s"]);
    let screen = s.wait_for("delivered to", WAIT);
    assert!(screen.contains(&debate), "{screen}");
    // The event is in Kafka, with our key and envelope.
    let out = kcat(&["-C", "-t", &debate, "-o", "beginning", "-e", "-q", "-J"]);
    let lines = String::from_utf8_lossy(&out.stdout).into_owned();
    let record = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["key"] == "from-the-form")
        .unwrap_or_else(|| panic!("kcat did not read the event back:\n{lines}"));
    let payload: serde_json::Value =
        serde_json::from_str(record["payload"].as_str().expect("payload")).expect("JSON payload");
    assert_eq!(payload["context"], "debate");
    assert_eq!(payload["aggregate_id"], "from-the-form");
    assert_eq!(
        payload["data"],
        serde_json::json!({"typed": "in tmux", "n": 3})
    );
    assert!(
        !payload["event_type"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(WAIT), 0);
}
