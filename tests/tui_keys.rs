//! Key-sequence tests: the app driven the way a user drives it (keys, mouse,
//! worker replies), checking the state and the I/O it asks for.

mod support;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use eventdeck::kafka::{Delivery, StartAt};
use eventdeck::publish::{PublishError, Published};
use eventdeck::tui::App;
use eventdeck::tui::app::Connection;
use eventdeck::tui::event::{Command, Event, WorkerMsg};
use eventdeck::tui::event::{Route, SendRequest};
use eventdeck::tui::tabs::Tab;
use fixtures::{app, mixed, screen};
use support::tui as fixtures;

fn publishes(app: &mut App) -> Vec<SendRequest> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Publish(r) => Some(*r),
            _ => None,
        })
        .collect()
}

fn seeks(app: &mut App) -> Vec<StartAt> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Seek(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn filter_as_you_type_narrows_live_and_enter_keeps_it() {
    let mut app = app();
    app.ingest(mixed(55));
    let all = app.panes.streams.visible_len();
    app.press("/");
    app.type_text("type:Decision");
    let decisions = app.panes.streams.visible_len();
    assert!(decisions > 0 && decisions < all);
    for i in 0..decisions {
        let e = app.panes.streams.visible(i).expect("row");
        assert_eq!(e.event_type, "DecisionMade");
    }
    app.type_text(" key:agg-1");
    assert!(app.panes.streams.visible_len() < decisions);
    app.press("enter");
    assert_eq!(app.panes.streams.filter_text(), "type:Decision key:agg-1");
    // New records are filtered on arrival.
    let before = app.panes.streams.visible_len();
    app.ingest(fixtures::mixed(55).into_iter().take(1).map(|mut r| {
        r.key = Some(b"agg-1".to_vec());
        r
    }));
    assert_eq!(app.panes.streams.visible_len(), before + 1);
    // Esc in the list clears the filter.
    app.press("esc");
    assert_eq!(app.panes.streams.visible_len(), app.panes.streams.len());
}

#[test]
fn filter_terms_cover_context_correlation_and_free_text_in_headers() {
    let mut app = app();
    app.ingest(mixed(22));
    app.panes.streams.set_filter("ctx:testing");
    assert!(
        (0..app.panes.streams.visible_len()).all(|i| app
            .panes
            .streams
            .visible(i)
            .expect("row")
            .context
            == "testing")
    );
    let corr = format!("{}", uuid::Uuid::from_u128(0xc001));
    app.panes
        .streams
        .set_filter(&format!("corr:{}", corr.to_uppercase()));
    assert!(app.panes.streams.visible_len() > 0);
    assert!((0..app.panes.streams.visible_len()).all(|i| {
        app.panes
            .streams
            .visible(i)
            .expect("row")
            .correlation
            .as_deref()
            == Some(corr.as_str())
    }));
    // "legacy" is only in the raw records' header and value.
    app.panes.streams.set_filter("LEGACY");
    assert_eq!(app.panes.streams.visible_len(), 2);
}

#[test]
fn esc_while_typing_a_filter_restores_the_previous_one() {
    let mut app = app();
    app.ingest(mixed(22));
    app.press("/");
    app.type_text("ctx:debate");
    app.press("enter / x y z");
    assert_eq!(app.panes.streams.visible_len(), 0);
    app.press("esc");
    assert_eq!(app.panes.streams.filter_text(), "ctx:debate");
    assert!(app.panes.streams.visible_len() > 0);
}

#[test]
fn pause_freezes_the_selection_and_resume_continues() {
    let mut app = app();
    app.ingest(mixed(10));
    assert!(app.panes.streams.follow);
    app.press("p");
    assert!(app.panes.streams.paused);
    assert!(!app.panes.streams.follow);
    let selected = app.panes.streams.selected_entry().map(|e| e.seq);
    assert!(screen(&app, 120, 40).contains("PAUSED"));
    // (The runtime stops draining the record channel while paused; a batch that
    // was already drained still lands without moving the selection.)
    app.ingest(mixed(3));
    assert_eq!(app.panes.streams.selected_entry().map(|e| e.seq), selected);
    app.press("p G");
    assert!(!app.panes.streams.paused);
    assert!(app.panes.streams.follow);
    assert_eq!(
        app.panes.streams.selected_index(),
        Some(app.panes.streams.visible_len() - 1)
    );
}

#[test]
fn scrolling_leaves_follow_mode_and_g_returns_to_it() {
    let mut app = app();
    app.ingest(mixed(100));
    app.press("k k k");
    assert!(!app.panes.streams.follow);
    assert_eq!(app.panes.streams.selected_index(), Some(96));
    app.press("g");
    assert_eq!(app.panes.streams.selected_index(), Some(0));
    app.press("pgdn");
    assert!(app.panes.streams.selected_index() > Some(0));
    app.press("G");
    assert!(app.panes.streams.follow);
}

#[test]
fn i_reads_the_streams_again_at_the_other_isolation_level_from_the_same_start() {
    use eventdeck::kafka::isolation::Isolation;
    let mut app = app();
    app.press(":");
    app.type_text("seek 42");
    app.press("enter");
    assert_eq!(seeks(&mut app), vec![StartAt::Offset(42)]);
    app.ingest(mixed(5));
    assert_eq!(app.panes.streams.isolation, Isolation::ReadCommitted);
    assert!(!screen(&app, 120, 10).contains("read_uncommitted"));
    app.press("i");
    assert_eq!(app.panes.streams.isolation, Isolation::ReadUncommitted);
    assert_eq!(seeks(&mut app), vec![StartAt::Offset(42)]);
    assert_eq!(
        app.panes.streams.len(),
        0,
        "what was read at the other level is gone"
    );
    let shown = screen(&app, 120, 10);
    assert!(shown.contains("read_uncommitted from 42"), "{shown}");
    // The palette runs it by name too.
    app.press(":");
    app.type_text("isolation");
    app.press("enter");
    assert_eq!(app.panes.streams.isolation, Isolation::ReadCommitted);
    assert_eq!(seeks(&mut app), vec![StartAt::Offset(42)]);
}

#[test]
fn seeking_restarts_every_stream_and_ignores_stale_reports() {
    let mut app = app();
    app.ingest(mixed(10));
    let generation = app.generation();
    app.press("b");
    assert_eq!(seeks(&mut app), vec![StartAt::Beginning]);
    assert_eq!(app.panes.streams.len(), 0);
    assert_eq!(app.generation(), generation + 1);
    assert_eq!(app.panes.streams.start_label, "beginning");
    // A problem from the readers before the seek is ignored.
    app.apply(WorkerMsg::StreamProblem {
        generation,
        topic: "debate.events".into(),
        problem: "old".into(),
    });
    assert!(
        app.panes
            .streams
            .streams()
            .iter()
            .all(|s| s.problem.is_none())
    );
    app.press("e");
    assert_eq!(seeks(&mut app), vec![StartAt::End]);
    app.press("o");
    app.type_text("42");
    app.press("enter");
    assert_eq!(seeks(&mut app), vec![StartAt::Offset(42)]);
    app.press(":");
    app.type_text("seek -10");
    app.press("enter");
    assert_eq!(seeks(&mut app), vec![StartAt::Last(10)]);
    app.press(":");
    app.type_text("seek 2026-11-27T10:00:00Z");
    app.press("enter");
    assert!(matches!(seeks(&mut app)[..], [StartAt::Time(t)] if t == fixtures::at(0)));
    app.press(":");
    app.type_text("seek yesterday");
    app.press("enter");
    assert!(seeks(&mut app).is_empty());
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("RFC 3339"))
    );
}

#[test]
fn a_good_inject_sends_what_the_form_says_and_shows_where_it_landed() {
    let mut app = app();
    app.press("5");
    assert_eq!(app.tab(), Tab::Inject);
    // Target: next context (evolution after debate), type: its first type.
    app.press("right down right");
    // Key.
    app.press("down enter");
    app.type_text("agg-42");
    app.press("enter");
    // Headers.
    app.press("down enter");
    app.type_text("source=test, tenant=a");
    app.press("esc");
    // Data: replace everything.
    app.press("down down down enter");
    app.press("ctrl+a");
    app.panes.inject.set_data("");
    app.type_text("{\"answer\": 42}");
    assert!(app.panes.inject.json_error().is_none());
    app.press("ctrl+s");
    let sent = publishes(&mut app);
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!(req.route, Route::Main);
    assert_eq!(req.request.topic, "evolution.events");
    assert_eq!(req.request.envelope.context, "evolution");
    assert_eq!(req.request.key.as_deref(), Some("agg-42"));
    assert_eq!(req.request.envelope.aggregate_id, "agg-42");
    assert_eq!(req.request.envelope.data, serde_json::json!({"answer": 42}));
    assert_eq!(
        req.request.headers,
        vec![
            ("source".into(), "test".into()),
            ("tenant".into(), "a".into())
        ]
    );
    assert!(!req.request.envelope.event_type.is_empty());
    app.apply(WorkerMsg::Published {
        id: req.id,
        result: Ok(Published::Delivered(Delivery {
            topic: "evolution.events".into(),
            partition: 1,
            offset: 7,
        })),
    });
    assert!(screen(&app, 120, 40).contains("delivered to evolution.events partition 1 offset 7"));
    assert_eq!(app.panes.inject.history().len(), 1);
}

#[test]
fn raw_route_and_failures_are_shown_in_the_form() {
    let mut app = app();
    app.press("5 v s");
    let sent = publishes(&mut app);
    assert_eq!(sent[0].route, Route::Raw);
    app.apply(WorkerMsg::Published {
        id: sent[0].id,
        result: Err(PublishError("broker down".into())),
    });
    assert!(screen(&app, 120, 40).contains("broker down"));
    assert!(app.toast().is_some_and(|t| t.error));
}

#[test]
fn an_invalid_inject_is_not_sent_and_says_where_the_json_breaks() {
    let mut app = app();
    app.press("5 up enter");
    app.panes.inject.set_data("{\n  \"a\": 1,\n  \"b\": ]\n}");
    let e = app.panes.inject.json_error().expect("invalid JSON");
    assert_eq!(e.line, 3);
    app.press("ctrl+s");
    assert!(publishes(&mut app).is_empty());
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("not valid JSON"))
    );
    assert!(screen(&app, 80, 24).contains("✗ line 3, column"));
    // Fixing it enables sending again.
    app.panes.inject.set_data("{\"a\": 1}");
    app.press("ctrl+s");
    assert_eq!(publishes(&mut app).len(), 1);
}

#[test]
fn read_only_refuses_to_send() {
    let mut settings = fixtures::settings();
    settings.read_only = true;
    let mut app = App::new(&fixtures::services_with(settings).0);
    assert!(screen(&app, 120, 40).contains("READ-ONLY"));
    app.press("5 s");
    assert!(publishes(&mut app).is_empty());
    assert!(app.toast().is_some_and(|t| t.text.contains("Read-only")));
}

#[test]
fn reinject_fills_the_form_from_a_record_and_reuses_its_correlation() {
    let mut app = app();
    app.ingest(mixed(6));
    // The newest record (offset 5) is a DecisionMade in debate.
    app.press("r");
    assert_eq!(app.tab(), Tab::Inject);
    app.press("s");
    let sent = publishes(&mut app);
    let env = &sent[0].request.envelope;
    assert_eq!(env.event_type, "DecisionMade");
    assert_eq!(sent[0].request.topic, "debate.events");
    assert_eq!(
        env.correlation_id,
        Some(uuid::Uuid::from_u128(0xc000 + 5 % 3))
    );
    assert_eq!(env.data["votes"], 7);
    assert_ne!(
        env.event_id,
        uuid::Uuid::from_u128(0x1005),
        "a new event id"
    );
}

#[test]
fn detail_view_opens_scrolls_copies_and_closes() {
    let mut app = app();
    app.ingest(mixed(3));
    app.press("enter");
    assert!(app.panes.streams.detail.is_some());
    app.press("j j y");
    assert_eq!(app.panes.streams.detail.as_ref().map(|d| d.scroll), Some(2));
    let copied: Vec<String> = app
        .take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Copy(t) => Some(t),
            _ => None,
        })
        .collect();
    let line: serde_json::Value = serde_json::from_str(&copied[0]).expect("JSON line");
    assert_eq!(line["offset"], 2);
    app.press("esc");
    assert!(app.panes.streams.detail.is_none());
}

#[test]
fn export_writes_the_filtered_records_as_json_lines() {
    let mut app = app();
    app.ingest(mixed(22));
    app.panes.streams.set_filter("ctx:debate");
    app.press("x");
    let lines = app
        .take_commands()
        .into_iter()
        .find_map(|c| match c {
            Command::Export(l) => Some(l),
            _ => None,
        })
        .expect("export");
    assert_eq!(lines.len(), app.panes.streams.visible_len());
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(&l).expect("JSON");
        assert_eq!(v["event"]["context"], "debate");
    }
}

#[test]
fn keys_and_colours_come_from_the_config_and_help_shows_them() {
    let mut settings = fixtures::settings();
    settings
        .ui
        .keys
        .insert("streams.space".into(), "pause".into());
    settings.ui.keys.insert("streams.p".into(), "none".into());
    settings.ui.colors.insert("accent".into(), "#ff8800".into());
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.ingest(mixed(3));
    app.press("p");
    assert!(!app.panes.streams.paused);
    app.press("space");
    assert!(app.panes.streams.paused);
    assert!(screen(&app, 120, 40).contains("space pause/resume"));
    app.press("?");
    let help = screen(&app, 120, 40);
    assert!(
        help.lines().any(|l| l
            .split_once("space ")
            .is_some_and(|(_, rest)| rest.trim_start().starts_with("pause/resume"))),
        "{help}"
    );
    assert_eq!(
        app.theme().accent,
        ratatui::style::Color::Rgb(0xff, 0x88, 0)
    );
    app.press("esc T");
    assert_eq!(app.theme().name, "light");
}

#[test]
fn mouse_clicks_switch_tabs_and_select_rows_and_the_wheel_scrolls() {
    let mut app = app();
    app.ingest(mixed(30));
    let _ = screen(&app, 120, 40); // lays out the tab line and the list
    let click = |col, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: col,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle_event(Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 10,
        row: 10,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.panes.streams.selected_index(), Some(26));
    app.handle_event(click(5, 5));
    let _ = screen(&app, 120, 40);
    assert!(!app.panes.streams.follow);
    let picked = app.panes.streams.selected_index();
    app.handle_event(click(5, 5));
    assert!(
        app.panes.streams.detail.is_some(),
        "a second click opens it"
    );
    assert!(picked.is_some());
    // " 1 Streams " " 2 Lag " …: column 13 is in " 2 Lag ".
    app.handle_event(click(13, 1));
    assert_eq!(app.tab(), Tab::Lag);
    // In the form, a click focuses the field under it (row 5 is the Key field).
    app.press("5");
    let _ = screen(&app, 120, 40);
    app.handle_event(click(30, 5));
    assert_eq!(
        app.panes.inject.focus,
        eventdeck::tui::panes::inject::Field::Key
    );
}

#[test]
fn connection_state_and_the_bridge_status_reach_the_header() {
    let mut app = app();
    assert_eq!(app.connection(), &Connection::Connecting);
    app.apply(WorkerMsg::Connection(Err("Connection refused".into())));
    let s = screen(&app, 120, 40);
    assert!(s.contains("disconnected, reconnecting"), "{s}");
    assert!(s.contains("cluster unreachable: Connection refused"));
    app.apply(WorkerMsg::Connection(Ok(())));
    app.set_status_text("bridge: 120 ev/s · outbox 0 · DLQ 3".into());
    let s = screen(&app, 120, 40);
    assert!(s.contains("● connected"));
    assert!(s.contains("bridge: 120 ev/s · outbox 0 · DLQ 3"));
}

#[test]
fn with_no_cluster_named_anywhere_the_status_line_says_so_and_suggests_the_demo() {
    let mut settings = fixtures::settings();
    settings.brokers = "localhost:9092".into();
    settings.brokers_configured = false;
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.apply(WorkerMsg::Connection(Err("Connection refused".into())));
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("No cluster configured (tried localhost:9092)"),
        "{s}"
    );
    assert!(s.contains("`eventdeck demo`"), "{s}");
    assert!(s.contains("--brokers HOST:PORT"), "{s}");
}

#[test]
fn plus_and_minus_adjust_the_scenario_rate_when_there_is_one() {
    let (mut services, _) = fixtures::services_with(fixtures::settings());
    let (tx, _rx) = tokio::sync::watch::channel(100u32);
    services.scenario_rate = Some(tx);
    let mut app = App::new(&services);
    app.press("+");
    app.press("-");
    let rates: Vec<u32> = app
        .take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::SetRate(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rates, vec![125, 100]);
    let mut plain = fixtures::app();
    plain.press("+");
    assert!(plain.take_commands().is_empty());
}

#[test]
fn a_failed_task_ends_the_app_with_its_error() {
    let mut app = app();
    app.apply(WorkerMsg::TaskFailed("the publish task panicked".into()));
    assert!(app.should_quit());
    assert_eq!(app.fatal(), Some("the publish task panicked"));
}

#[test]
fn q_quits_from_every_pane_but_is_typed_in_text_fields() {
    let mut app = app();
    app.press("5 enter q");
    assert!(!app.should_quit(), "q typed into the target field");
    app.press("esc 1 /");
    app.type_text("q");
    assert!(!app.should_quit());
    app.press("enter q");
    assert!(app.should_quit());
}

#[test]
fn mouse_clicks_reach_the_help_overlay_and_close_the_palette() {
    let mut app = app();
    app.ingest(mixed(30));
    let click = |col: u16, row: u16| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: col,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Where a text is on the screen (column in cells, row).
    let find = |app: &eventdeck::tui::App, text: &str| -> (u16, u16) {
        let s = screen(app, 120, 40);
        s.lines()
            .enumerate()
            .find_map(|(y, line)| {
                line.find(text)
                    .map(|i| (line[..i].chars().count() as u16, y as u16))
            })
            .unwrap_or_else(|| panic!("{text:?} not on screen:\n{s}"))
    };

    // A click on a help line runs its action, as its key would.
    app.press("?");
    let (x, y) = find(&app, "pause/resume");
    app.handle_event(click(x, y));
    assert!(app.panes.streams.paused, "the click paused the stream");
    assert!(!screen(&app, 120, 40).contains("esc closes"), "help closed");

    // A click on a section title does nothing; one outside the popup closes it.
    app.press("?");
    let (x, y) = find(&app, "— global —");
    app.handle_event(click(x, y));
    assert!(screen(&app, 120, 40).contains("esc closes"), "still open");
    app.handle_event(click(0, 39));
    assert!(!screen(&app, 120, 40).contains("esc closes"), "closed");

    // A click away from the palette closes it (as Esc) and still acts: here
    // it switches tab.
    app.press(":");
    app.press("s e e");
    assert!(screen(&app, 120, 40).contains(":see"));
    let (x, y) = find(&app, "2 Lag");
    app.handle_event(click(x, y));
    assert_eq!(app.tab(), Tab::Lag);
    assert!(!screen(&app, 120, 40).contains(":see"), "palette closed");
}

/// Dead-letter headers of one family, as (name, value).
type Family<'a> = Vec<(&'a str, &'a [u8])>;

/// A TaskCreated that failed and was dead-lettered to `topic` with `family`'s
/// headers, carrying a trace context and the origin of the bridge that sent it.
fn dead_task(topic: &str, family: &[(&str, &[u8])]) -> eventdeck::kafka::ConsumedRecord {
    let mut rec = fixtures::envelope(
        5,
        "implementation",
        "TaskCreated",
        "task-9",
        serde_json::json!({"task": "write the outbox"}),
    );
    rec.topic = topic.into();
    let mut headers: Vec<(String, Option<Vec<u8>>)> = rec.headers.to_pairs();
    headers.push((
        "traceparent".into(),
        Some(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_vec()),
    ));
    headers.push(("eventdeck-origin".into(), Some(b"bridge-1".to_vec())));
    for (k, v) in family {
        headers.push(((*k).into(), Some(v.to_vec())));
    }
    rec.headers = headers.into();
    rec
}

#[test]
fn reinject_of_a_dead_letter_goes_to_its_original_topic_without_dead_letter_headers() {
    let families: [(&str, Family<'_>, &str); 2] = [
        (
            "implementation.events.dlq",
            vec![
                ("eventdeck.dlq.original.topic", b"implementation.events"),
                ("eventdeck.dlq.original.partition", b"1"),
                ("eventdeck.dlq.error.kind", b"boom"),
            ],
            "implementation.events",
        ),
        // Spring Kafka's family, on a DLQ named its way: any family is read.
        (
            "tasks-dlt",
            vec![
                ("kafka_dlt-original-topic", b"testing.events"),
                ("kafka_dlt-original-offset", &[0, 0, 0, 0, 0, 0, 0, 9]),
                (
                    "kafka_dlt-exception-fqcn",
                    b"java.lang.IllegalStateException",
                ),
            ],
            "testing.events",
        ),
    ];
    for (dlq, family, original) in families {
        let mut app = app();
        app.ingest(vec![dead_task(dlq, &family)]);
        app.press("/");
        app.type_text(&format!("topic:{dlq}"));
        app.press("enter enter r");
        assert_eq!(app.tab(), Tab::Inject);
        // The form says where it goes before anything is sent.
        let text = screen(&app, 120, 40);
        assert!(
            text.contains(&format!(
                "Goes to           {original} · the dead letter's original"
            )),
            "{text}"
        );
        let toast = app.toast().expect("a toast");
        assert!(
            toast.text.contains(&format!(
                "Dead letter {dlq}[2]@5 → its original topic {original}"
            )),
            "{}",
            toast.text
        );
        app.press("s");
        let sent = publishes(&mut app);
        assert_eq!(sent.len(), 1, "{dlq}");
        let req = &sent[0].request;
        assert_eq!(req.topic, original);
        assert_eq!(req.envelope.event_type, "TaskCreated");
        let names: Vec<&str> = req.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["traceparent"],
            "{dlq}: only the original's own headers"
        );
    }
}

#[test]
fn reinject_of_a_dead_letter_naming_no_original_says_so_and_warns_on_the_form() {
    let mut app = app();
    app.ingest(vec![dead_task("implementation.events.dlq", &[])]);
    app.press("/");
    app.type_text("topic:.dlq");
    app.press("enter enter r");
    let toast = app.toast().expect("a toast");
    assert!(toast.error);
    assert!(
        toast.text.contains("names no original topic"),
        "{}",
        toast.text
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Goes to           implementation.events.dlq (a dead-letter topic)"),
        "{text}"
    );
}

/// A DecisionMade as the Python system writes it: no `context`, ids in
/// `metadata`, here without a correlation id.
fn legacy_decision(correlation: Option<&str>) -> eventdeck::kafka::ConsumedRecord {
    let mut metadata = serde_json::json!({"source": "debate"});
    if let Some(c) = correlation {
        metadata["correlation_id"] = c.into();
    }
    let value = serde_json::json!({
        "event_id": "72b5fff2-1111-4a4a-8b8b-0123456789ab", "event_type": "DecisionMade",
        "timestamp": "2026-11-27T10:00:01.000000", "aggregate_id": "debate-legacy-1",
        "version": 1, "data": {"decision": "ship"}, "metadata": metadata,
    });
    let mut rec = fixtures::raw(1, "debate.events", value.to_string().as_bytes());
    rec.headers = Vec::new().into();
    rec
}

#[test]
fn a_legacy_event_shows_its_context_rule_and_no_made_up_correlation() {
    let mut app = app();
    app.ingest(vec![legacy_decision(None)]);
    let e = app.panes.streams.selected_entry().expect("the row");
    assert_eq!(e.context, "debate");
    assert_eq!(e.correlation, None, "never the event id");
    // t: nothing to trace, rather than a one-event chain made up from the event id.
    app.press("t");
    let toast = app.toast().expect("a toast");
    assert!(toast.text.contains("no correlation id"), "{}", toast.text);
    app.press("enter");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("context debate  (context from topic debate.events)"),
        "{text}"
    );
    assert!(text.contains("correlation none  causation none"), "{text}");

    let mut app = fixtures::app();
    app.ingest(vec![legacy_decision(Some(
        "0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e",
    ))]);
    let e = app.panes.streams.selected_entry().expect("the row");
    assert_eq!(
        e.correlation.as_deref(),
        Some("0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e")
    );
}

// ------------------------------------------------------- the Inject form's fields

#[test]
fn editing_a_field_starts_at_its_end_so_typing_adds_to_it() {
    let mut app = app();
    // The context was put there by the form, not typed: the cursor was at 0.
    app.press("5 enter");
    app.type_text("-x");
    app.press("esc");
    assert_eq!(app.panes.inject.target_text(), "debate-x");
    // The data editor starts after the last line of the template.
    app.press("down down down down down down enter");
    app.type_text("\n");
    let data = app.panes.inject.data_text();
    assert!(data.starts_with('{') && data.ends_with("}\n"), "{data:?}");
}

#[test]
fn ctrl_u_clears_the_field_being_edited() {
    let mut app = app();
    app.press("5 enter ctrl+u");
    assert_eq!(app.panes.inject.target_text(), "");
    app.type_text("testing");
    app.press("esc");
    assert_eq!(app.panes.inject.target_text(), "testing");
    // The hint bar, made from the key table, says so while editing.
    app.press("enter");
    let text = screen(&app, 120, 40);
    assert!(text.contains("^U clear"), "{text}");
}

#[test]
fn ctrl_c_quits_while_typing_in_a_field_a_filter_or_the_palette() {
    for keys in ["5 enter ctrl+c", "/ ctrl+c", ": ctrl+c", "? ctrl+c"] {
        let mut app = app();
        app.press(keys);
        assert!(app.should_quit(), "{keys}");
    }
}

#[test]
fn another_event_type_keeps_edited_data_and_t_brings_the_template() {
    let mut app = app();
    app.press("5");
    let template = app.panes.inject.data_text();
    // Untouched data follows the event type.
    app.press("down right");
    let second = app.panes.inject.data_text();
    assert_ne!(second, template, "the next type has its own template");
    // Edited data stays when the type changes again, and the user is told.
    app.press("down down down down down enter");
    app.press("ctrl+u");
    app.type_text(r#"{"mine": true}"#);
    app.press("esc up up up up up right");
    assert_eq!(app.panes.inject.data_text(), r#"{"mine": true}"#);
    let toast = app.toast().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("kept") && toast.contains(" t "), "{toast}");
    // `t` puts the template of the type now chosen in its place.
    app.press("t");
    assert_ne!(app.panes.inject.data_text(), r#"{"mine": true}"#);
    assert!(app.panes.inject.json_error().is_none());
}

#[test]
fn a_header_without_a_name_is_refused_with_a_message() {
    let mut app = app();
    app.press("5 down down down enter");
    app.type_text("=nokey");
    app.press("esc s");
    assert!(publishes(&mut app).is_empty(), "sent a header with no name");
    let toast = app.toast().expect("a message");
    assert!(
        toast.error && toast.text.contains("no name"),
        "{}",
        toast.text
    );
}

// ------------------------------------------------------------ lists and views

#[test]
fn g_and_end_jump_to_the_top_and_the_last_page_of_a_record() {
    let mut app = app();
    let big: serde_json::Map<String, serde_json::Value> = (0..200)
        .map(|i| (format!("field{i:03}"), serde_json::json!(i)))
        .collect();
    app.ingest([fixtures::envelope(
        1,
        "debate",
        "DecisionMade",
        "big",
        serde_json::Value::Object(big),
    )]);
    // The list is drawn once, so a page is known (18 rows at 80×24).
    let _ = screen(&app, 80, 24);
    app.press("enter");
    app.press("G");
    let d = app.panes.streams.detail.as_ref().expect("open");
    assert!(d.lines.len() > 200);
    assert_eq!(d.scroll, d.lines.len() - 18, "the last page");
    let end = Some(d.scroll);
    app.press("g");
    assert_eq!(app.panes.streams.detail.as_ref().map(|d| d.scroll), Some(0));
    app.press("end");
    assert_eq!(app.panes.streams.detail.as_ref().map(|d| d.scroll), end);
    app.press("home");
    assert_eq!(app.panes.streams.detail.as_ref().map(|d| d.scroll), Some(0));
}

#[test]
fn an_unknown_filter_field_is_named_instead_of_zero_matches() {
    let mut app = app();
    app.ingest(mixed(22));
    app.press("/");
    app.type_text("foo:bar");
    app.press("enter");
    let text = screen(&app, 120, 40);
    assert!(text.contains("unknown filter field 'foo:'"), "{text}");
    assert!(!text.contains("(0 match)"), "{text}");
    // Known fields still count their matches.
    app.panes.streams.set_filter("ctx:debate");
    assert!(screen(&app, 120, 40).contains("match)"));
}

#[test]
fn a_narrow_header_drops_whole_fields_least_important_first() {
    let mut app = app();
    app.apply(WorkerMsg::Connection(Ok(())));
    app.ingest(mixed(30));
    app.set_status_text(
        "bridge: 2 refused by Kafka, set aside · DLQ 19628 · outbox 1234 · 173 published · 1570 handled"
            .into(),
    );
    let header = |w: u16| {
        screen(&app, w, 24)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    // Wide enough: every field.
    let wide = header(200);
    assert!(
        wide.contains("1570 handled") && wide.contains("30 read"),
        "{wide}"
    );
    for w in [60u16, 80, 90, 120] {
        let h = header(w);
        assert!(h.contains("● connected"), "{w}: {h}");
        // Every count on screen is entire: the fields are whole or absent.
        let cut = fixtures::cut_numbers(&h, &wide);
        assert!(cut.is_empty(), "{w}: cut {cut:?} in {h}");
    }
    // At 120 columns the DLQ and the outbox are there, ahead of throughput.
    let h = header(120);
    assert!(h.contains("DLQ 19628 · outbox 1234"), "{h}");
    // At 80 the errors still are (the cluster's name is cut for them).
    let h = header(80);
    assert!(h.contains("bridge: 2 refused by Kafka, set aside"), "{h}");
    assert!(!h.contains("DLQ"), "{h}");
}

#[test]
fn streams_keys_that_differ_in_their_last_digit_stay_apart() {
    let mut app = app();
    app.ingest((12..=16).map(|n| {
        fixtures::envelope(
            n,
            "debate",
            "DecisionMade",
            &format!("debate-{n}"),
            serde_json::json!({"votes": n}),
        )
    }));
    for (w, h) in [(80, 24), (90, 30), (120, 40)] {
        let text = screen(&app, w, h);
        for n in 12..=16 {
            assert!(text.contains(&format!("debate-{n} ")), "{w}x{h}:\n{text}");
        }
    }
    let text = screen(&app, 60, 15);
    let cut = fixtures::cut_numbers(&text, &screen(&app, fixtures::WIDE, 15));
    assert!(cut.is_empty(), "cut {cut:?}\n{text}");
}
