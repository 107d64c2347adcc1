//! Data policies in the console: Streams rows and the record view never show
//! a hidden value, the record view marks each hidden field with its policy,
//! the filter cannot find a record by a hidden value (but finds it by its
//! hash), copy (OSC 52) and export carry no hidden value, re-inject of a
//! masked record never fills `***` into its form: it offers to send the
//! original bytes (the hidden fields still hidden on screen), or refuses where
//! a policy says `no_reinject`, and the header
//! says `UNMASKED` while `--unmask` is on, and neither the trace view nor the
//! Flows pane (its graph, its edge table, the Streams rows an edge opens)
//! shows a hidden value, a dead letter's error message included.

mod support;

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::tui::App;
use eventdeck::tui::keymap::Mode;
use serde_json::json;
use support::tui as fixtures;

const EMAIL: &str = "carol.secret@example.com";
const PASSWORD: &str = "pw-Nested-9913";
const TOKEN: &str = "tok-Header-4471";
const CARD: &str = "5500111122223333";

/// Settings with policies, from a config file in a temp dir.
fn settings(dir: &std::path::Path) -> Settings {
    settings_with(dir, true)
}

/// [`settings`], the card-key policy forbidding re-inject or not.
fn settings_with(dir: &std::path::Path, no_reinject: bool) -> Settings {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"data_dir = {data:?}
[[policies]]
name = "pii-email"
fields = ["data.customer.email"]
action = "hash"

[[policies]]
name = "passwords"
fields = ["**.password"]

[[policies]]
name = "auth-token"
headers = ["token"]

[[policies]]
name = "dlq-errors"
headers = ["eventdeck.dlq.error.message"]

[[policies]]
name = "card-key"
key = true
keep_last = 4
no_reinject = {no_reinject}
"#,
            data = dir.join("data").display().to_string()
        ),
    )
    .expect("config");
    Settings::load_with_env(
        &CliOverrides {
            config: Some(path),
            brokers: Some("127.0.0.1:9092".into()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("settings")
}

fn secret_record() -> eventdeck::kafka::ConsumedRecord {
    let mut r = fixtures::envelope(
        1,
        "debate",
        "DecisionMade",
        "agg-1",
        json!({"customer": {"email": EMAIL, "name": "Carol"},
               "a": {"b": {"c": {"d": {"password": PASSWORD}}}}}),
    );
    let mut headers = r.headers.to_pairs();
    headers.push(("token".into(), Some(TOKEN.as_bytes().to_vec())));
    r.headers = headers.into();
    r.key = Some(CARD.as_bytes().to_vec());
    r
}

fn assert_clean(what: &str, screen: &str) {
    for secret in [EMAIL, PASSWORD, TOKEN, CARD, "550011112222"] {
        assert!(!screen.contains(secret), "{what} shows {secret}:\n{screen}");
    }
}

#[test]
fn streams_and_the_record_view_show_no_hidden_value_and_mark_each_field() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings(dir.path())).0);
    app.ingest([secret_record()]);
    let list = fixtures::screen(&app, 200, 40);
    assert_clean("the Streams list", &list);
    assert!(list.contains("***3333"), "{list}");
    app.press("enter");
    assert_eq!(app.mode(), Mode::Detail);
    let detail = fixtures::screen(&app, 200, 60);
    assert_clean("the record view", &detail);
    for mark in [
        "value data.customer.email  ⟨masked: policy pii-email⟩",
        "value data.a.b.c.d.password  ⟨masked: policy passwords⟩",
        "header token  ⟨masked: policy auth-token⟩",
        "key  ⟨masked: policy card-key⟩",
    ] {
        assert!(detail.contains(mark), "no '{mark}' in:\n{detail}");
    }
    assert!(detail.contains("sha256:"), "{detail}");
    assert!(!detail.contains("UNMASKED"), "{detail}");
}

#[test]
fn the_filter_cannot_find_a_hidden_value_but_finds_its_hash() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let hash = settings.policies.hash(EMAIL);
    let services = fixtures::services_with(settings).0;
    let mut app = App::new(&services);
    app.ingest([secret_record()]);
    app.press("/");
    app.type_text(EMAIL);
    app.press("enter");
    let screen = fixtures::screen(&app, 200, 40);
    assert!(
        !screen.contains("DecisionMade"),
        "found by a hidden value:\n{screen}"
    );
    let mut app = App::new(&services);
    app.ingest([secret_record()]);
    app.press("/");
    app.type_text(&hash);
    app.press("enter");
    let screen = fixtures::screen(&app, 200, 40);
    assert!(
        screen.contains("DecisionMade"),
        "not found by its hash:\n{screen}"
    );
}

#[test]
fn re_inject_refuses_a_masked_record_instead_of_filling_stars() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings(dir.path())).0);
    app.ingest([secret_record()]);
    app.press("enter");
    app.press("r");
    let toast = app.toast().expect("a toast says why");
    assert!(toast.error, "{}", toast.text);
    assert!(toast.text.contains("re-inject refused"), "{}", toast.text);
    assert!(toast.text.contains("pii-email"), "{}", toast.text);
    assert!(toast.text.contains("no_reinject"), "{}", toast.text);
    assert_ne!(app.tab(), eventdeck::tui::tabs::Tab::Inject);
}

#[test]
fn the_header_says_unmasked_while_unmask_is_on() {
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = settings(dir.path());
    settings.policies = Default::default();
    settings.unmasked = true;
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.ingest([secret_record()]);
    let screen = fixtures::screen(&app, 200, 40);
    assert!(
        screen.lines().next().unwrap_or("").contains("UNMASKED"),
        "{screen}"
    );
    assert!(screen.contains(CARD), "{screen}");
}

#[test]
fn copy_and_export_carry_no_hidden_value() {
    use eventdeck::tui::event::Command;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings(dir.path())).0);
    app.ingest([secret_record()]);
    app.take_commands();
    app.press("x");
    app.press("y");
    app.press("enter");
    app.press("y");
    let (mut copied, mut exported) = (Vec::new(), Vec::new());
    for c in app.take_commands() {
        match c {
            Command::Copy(text) => copied.push(text),
            Command::Export(lines) => exported.extend(lines),
            _ => {}
        }
    }
    assert_eq!(copied.len(), 2, "the row and the record view each copy");
    assert_eq!(exported.len(), 1, "the export holds the one record");
    for text in copied.iter().chain(&exported) {
        assert_clean("a copied or exported line", text);
        assert!(text.contains("sha256:"), "{text}");
        assert!(text.contains("***3333"), "{text}");
    }
}

/// A cause, its effect in another context, and the effect's dead letter whose
/// error message names the card and the email: each carrying the secrets.
fn traced_records() -> Vec<eventdeck::kafka::ConsumedRecord> {
    use eventdeck::dlq::ours;
    use eventdeck::domain::{Envelope, encode};
    let data =
        || json!({"customer": {"email": EMAIL}, "a": {"b": {"c": {"d": {"password": PASSWORD}}}}});
    let record = |env: &Envelope, topic: String, offset: i64, extra: &[(&str, String)]| {
        let enc = encode(env);
        let mut headers: Vec<(String, Option<Vec<u8>>)> =
            enc.headers.into_iter().map(|(k, v)| (k, Some(v))).collect();
        headers.push(("token".into(), Some(TOKEN.as_bytes().to_vec())));
        for (k, v) in extra {
            headers.push((k.to_string(), Some(v.as_bytes().to_vec())));
        }
        eventdeck::kafka::ConsumedRecord {
            topic,
            partition: 0,
            offset,
            timestamp_ms: Some(env.occurred_at.timestamp_millis()),
            key: Some(CARD.as_bytes().to_vec()),
            value: Some(enc.value),
            headers: headers.into(),
        }
    };
    let cause =
        Envelope::new("debate", "DecisionMade", "agg-1", data()).with_occurred_at(fixtures::at(0));
    let effect = Envelope::caused_by(&cause, "implementation", "TaskCreated", "agg-2", data())
        .with_occurred_at(fixtures::at(1));
    let message = format!("card {CARD} of {EMAIL} declined");
    vec![
        record(&cause, "debate.events".into(), 0, &[]),
        record(&effect, "implementation.events".into(), 0, &[]),
        record(
            &effect,
            "implementation.events.dlq".into(),
            0,
            &[
                (ours::ORIGINAL_TOPIC, "implementation.events".into()),
                (ours::HANDLER, "audit-log".into()),
                (ours::ERROR_KIND, "handler".into()),
                (ours::ERROR_MESSAGE, message),
            ],
        ),
    ]
}

#[test]
fn the_trace_view_shows_no_hidden_value_nor_a_dead_letter_s_hidden_error() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings(dir.path())).0);
    app.ingest(traced_records());
    // Follow mode: the newest record (the dead letter) is selected.
    app.press("t");
    assert_eq!(app.mode(), Mode::Trace);
    let trace = app.panes.streams.trace.as_ref().expect("trace open");
    assert_eq!((trace.events, trace.dead), (2, 1));
    let screen = fixtures::screen(&app, 200, 40);
    assert_clean("the trace view", &screen);
    assert!(screen.contains("DecisionMade"), "{screen}");
    assert!(screen.contains("TaskCreated"), "{screen}");
    assert!(
        screen.contains("✗ DLQ: handler: *** (audit-log)"),
        "{screen}"
    );
    // From the record view too.
    app.press("esc");
    app.press("enter");
    assert_eq!(app.mode(), Mode::Detail);
    app.press("t");
    assert_eq!(app.mode(), Mode::Trace);
    assert_clean(
        "the trace view from the record view",
        &fixtures::screen(&app, 200, 40),
    );
}

#[test]
fn the_flows_pane_and_the_rows_an_edge_opens_show_no_hidden_value() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings(dir.path())).0);
    app.ingest(traced_records());
    app.press("4");
    assert_eq!(app.mode(), Mode::Flows);
    let rows = app.panes.flows.rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].from.as_str(),
            rows[0].to.as_str(),
            rows[0].dead_letters
        ),
        ("debate", "implementation", 1)
    );
    for (w, h) in [(200, 50), (120, 40), (80, 24)] {
        let screen = fixtures::screen(&app, w, h);
        assert_clean(&format!("the Flows pane at {w}x{h}"), &screen);
        if w == 200 {
            assert!(screen.contains("TaskCreated"), "{screen}");
        }
    }
    // Enter on the edge: its effects in Streams, as the policies show them.
    app.press("enter");
    assert_eq!(app.tab(), eventdeck::tui::tabs::Tab::Streams);
    let screen = fixtures::screen(&app, 200, 40);
    assert_clean("the Streams rows of an edge", &screen);
    assert!(screen.contains("TaskCreated"), "{screen}");
    assert!(screen.contains("***3333"), "{screen}");
}

#[test]
fn re_inject_of_a_masked_record_offers_its_original_bytes_with_nothing_shown() {
    use eventdeck::kafka::isolation::Isolation;
    use eventdeck::tui::event::{AdminRequest, OriginalRecord};
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings_with(dir.path(), false)).0);
    app.ingest([secret_record()]);
    app.press("enter");
    app.take_commands();
    app.press("r");
    assert_eq!(app.mode(), Mode::TypeConfirm, "a dialog asks first");
    assert_ne!(app.tab(), eventdeck::tui::tabs::Tab::Inject);
    let screen = fixtures::screen(&app, 200, 50);
    assert_clean("the re-inject dialog", &screen);
    assert!(screen.contains("Re-inject the original bytes"), "{screen}");
    assert!(
        screen.contains("debate.events[1]@1 → debate.events, sent as read"),
        "{screen}"
    );
    assert!(screen.contains("4 hidden field(s) stay hidden"), "{screen}");
    app.type_text("debate.events");
    app.press("enter");
    let sent = fixtures::admin_requests(&mut app);
    match sent.as_slice() {
        [
            AdminRequest::ReinjectOriginal {
                record,
                topic,
                policies,
            },
        ] => {
            // A plain JSON record keeps no copy in the list: it is read
            // again from where it was read (tests/policies_on_kafka.rs sends
            // it so and reads it back).
            let read = secret_record();
            assert_eq!(
                *record,
                OriginalRecord::InKafka {
                    topic: read.topic,
                    partition: read.partition,
                    offset: read.offset,
                    timestamp_ms: read.timestamp_ms,
                    isolation: Isolation::ReadCommitted,
                },
                "where the record as read is"
            );
            assert_eq!(topic, "debate.events");
            assert!(policies.iter().any(|p| p == "pii-email"), "{policies:?}");
        }
        other => panic!("no re-inject of the original: {other:?}"),
    }
    // Nothing was typed into the Inject form, and the screen stays clean.
    assert_ne!(app.tab(), eventdeck::tui::tabs::Tab::Inject);
    app.press("5");
    assert_eq!(app.tab(), eventdeck::tui::tabs::Tab::Inject);
    assert_clean("the Inject form", &fixtures::screen(&app, 200, 50));
}

#[test]
fn re_inject_of_the_original_bytes_is_refused_read_only() {
    use eventdeck::tui::event::Command;
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = settings_with(dir.path(), false);
    settings.read_only = true;
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.ingest([secret_record()]);
    app.press("enter");
    app.press("r");
    app.type_text("debate.events");
    app.press("enter");
    assert!(
        !app.take_commands()
            .iter()
            .any(|c| matches!(c, Command::Admin(_))),
        "read-only sent it"
    );
    let toast = app.toast().expect("a toast says why");
    assert!(toast.error, "{}", toast.text);
    assert!(
        toast.text.to_lowercase().contains("read-only"),
        "{}",
        toast.text
    );
}

#[test]
fn a_masked_dead_letter_is_re_injected_as_read_to_its_original_topic() {
    use eventdeck::tui::event::{AdminRequest, OriginalRecord};
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::new(&fixtures::services_with(settings_with(dir.path(), false)).0);
    let records = traced_records();
    app.ingest(records.clone());
    // Follow mode: the newest record (the dead letter) is selected.
    app.press("enter");
    app.press("r");
    assert_eq!(app.mode(), Mode::TypeConfirm);
    let screen = fixtures::screen(&app, 200, 50);
    assert_clean("the dead letter's re-inject dialog", &screen);
    assert!(
        screen.contains("implementation.events.dlq[0]@0 → implementation.events,"),
        "{screen}"
    );
    app.type_text("implementation.events");
    app.press("enter");
    let sent = fixtures::admin_requests(&mut app);
    match sent.as_slice() {
        [AdminRequest::ReinjectOriginal { record, topic, .. }] => {
            // A policy hid one of its dead-letter headers (the error
            // message): the list kept its copy, which says where it goes.
            assert_eq!(
                *record,
                OriginalRecord::Kept(Box::new(records[2].clone())),
                "the dead letter as read"
            );
            assert_eq!(topic, "implementation.events");
        }
        other => panic!("no re-inject of the original: {other:?}"),
    }
}
