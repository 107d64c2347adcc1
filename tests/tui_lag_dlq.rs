//! The Lag and DLQ panes as a user sees and drives them: snapshots at 120×40 and
//! 80×24 (empty, populated, drill-down, detail, redrive dialog stages) and
//! key-sequence tests (sort, drill-down, redrive dry run → confirm → outcome,
//! read-only refusal), fed by scripted lag polls and dead letters.

mod support;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use eventdeck::dlq::redrive::{DlqRecord, Outcome};
use eventdeck::dlq::{decode, ours};
use eventdeck::kafka::{ConsumedRecord, StartAt};
use eventdeck::lag::{GroupSnapshot, LagTracker, PartitionSnapshot, Poll};
use eventdeck::tui::App;
use eventdeck::tui::event::{Command, Event, WorkerMsg};
use eventdeck::tui::event::{LagUpdate, RedriveRequest};
use eventdeck::tui::panes::dlq::{DlqView, RedriveStage};
use eventdeck::tui::panes::lag::SortColumn;
use eventdeck::tui::tabs::Tab;
use fixtures::{app, screen, snap};
use support::tui as fixtures;

// ---------------------------------------------------------------- lag fixtures

/// Fixed poll times: 2026-11-27T10:00:00Z plus 5 s per poll.
const T0: i64 = 1_795_773_600_000;

fn part(
    topic: &str,
    partition: i32,
    current: Option<i64>,
    end: i64,
    start: i64,
    owner: Option<&str>,
) -> PartitionSnapshot {
    PartitionSnapshot {
        topic: topic.into(),
        partition,
        current_offset: current,
        log_end_offset: end,
        log_start_offset: start,
        consumer_id: owner.map(|o| format!("{o}-7f3a")),
        host: owner.map(|_| "/10.0.0.7".to_string()),
        client_id: owner.map(str::to_string),
        committed_record_ms: None,
        txn_markers: None,
    }
}

/// Poll `i` of a scripted cluster: `orders-service` keeps up, `analytics` is
/// stuck on a growing topic, `billing` drains, `audit` never committed on one
/// partition and has a commit below the log start on another.
fn poll(i: i64, note: Option<&str>) -> Poll {
    let end = 1_000 + 50 * i;
    let groups = vec![
        GroupSnapshot {
            group: "orders-service".into(),
            group_type: "classic".into(),
            state: "Stable".into(),
            members: 2,
            partitions: vec![
                part("orders", 0, Some(end), end, 0, Some("orders-1")),
                part("orders", 1, Some(end - 1), end, 0, Some("orders-2")),
            ],
        },
        GroupSnapshot {
            group: "analytics".into(),
            group_type: "consumer".into(),
            state: "Stable".into(),
            members: 1,
            partitions: vec![part("orders", 0, Some(400), end, 0, Some("analytics-1"))],
        },
        GroupSnapshot {
            group: "billing".into(),
            group_type: "classic".into(),
            state: "Stable".into(),
            members: 1,
            partitions: vec![part(
                "payments",
                0,
                Some(600 + 40 * i),
                1_000,
                0,
                Some("billing-1"),
            )],
        },
        GroupSnapshot {
            group: "audit".into(),
            group_type: "classic".into(),
            state: "Empty".into(),
            members: 0,
            partitions: vec![
                part("payments", 0, Some(100), 1_000, 250, None),
                part("payments", 1, None, 300, 0, None),
            ],
        },
    ];
    Poll {
        time_ms: T0 + 5_000 * i,
        groups,
        note: note.map(str::to_string),
    }
}

fn lag_app(polls: i64, note: Option<&str>) -> App {
    let mut app = app();
    let mut tracker = LagTracker::default();
    for i in 0..polls {
        app.apply_lag(LagUpdate::Report(tracker.apply(&poll(i, note))));
    }
    app.press("2");
    app
}

// ---------------------------------------------------------------- dlq fixtures

fn dead_letter(
    topic: &str,
    offset: i64,
    key: &str,
    value: &str,
    headers: Vec<(&str, Vec<u8>)>,
) -> DlqRecord {
    let headers: Vec<(String, Option<Vec<u8>>)> = headers
        .into_iter()
        .map(|(k, v)| (k.to_string(), Some(v)))
        .collect();
    let record = ConsumedRecord {
        topic: topic.into(),
        partition: 0,
        offset,
        timestamp_ms: Some(T0 + offset * 1000),
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
        headers: headers.into(),
    };
    DlqRecord {
        letter: decode(&record.headers),
        record,
        original: None,
    }
}

fn ours_letter(offset: i64, kind: &str, message: &str) -> DlqRecord {
    let o = (100 + offset).to_string();
    dead_letter(
        "debate.events.dlq",
        offset,
        &format!("agg-{offset}"),
        r#"{"event_type":"DecisionMade","data":{"decision":"adopt event sourcing"}}"#,
        vec![
            ("correlation_id", b"c0ffee".to_vec()),
            (ours::ORIGINAL_TOPIC, b"debate.events".to_vec()),
            (ours::ORIGINAL_PARTITION, b"1".to_vec()),
            (ours::ORIGINAL_OFFSET, o.into_bytes()),
            (ours::CONSUMER_GROUP, b"demo-bridge".to_vec()),
            (ours::HANDLER, b"audit-log".to_vec()),
            (ours::ERROR_KIND, kind.as_bytes().to_vec()),
            (ours::ERROR_MESSAGE, message.as_bytes().to_vec()),
            (ours::ATTEMPTS, b"3".to_vec()),
            (ours::FAILED_AT, b"2026-11-27T10:00:05Z".to_vec()),
        ],
    )
}

fn spring_letter(offset: i64) -> DlqRecord {
    dead_letter(
        "testing.events.dlq",
        offset,
        "run-42",
        r#"{"passed":120,"failed":2}"#,
        vec![
            ("kafka_dlt-original-topic", b"testing.events".to_vec()),
            ("kafka_dlt-original-partition", 2i32.to_be_bytes().to_vec()),
            ("kafka_dlt-original-offset", 77i64.to_be_bytes().to_vec()),
            (
                "kafka_dlt-exception-fqcn",
                b"org.springframework.kafka.listener.ListenerExecutionFailedException".to_vec(),
            ),
            (
                "kafka_dlt-exception-cause-fqcn",
                b"java.lang.NullPointerException".to_vec(),
            ),
            (
                "kafka_dlt-exception-message",
                b"Cannot invoke \"Report.total()\" because \"report\" is null".to_vec(),
            ),
            (
                "kafka_dlt-exception-stacktrace",
                b"java.lang.NullPointerException: Cannot invoke \"Report.total()\"\n\tat com.acme.Metrics.record(Metrics.java:42)\n\tat com.acme.Listener.onMessage(Listener.java:17)\n\tat org.springframework.kafka.listener.KafkaMessageListenerContainer.run(KafkaMessageListenerContainer.java:1234)".to_vec(),
            ),
        ],
    )
}

fn connect_letter(offset: i64) -> DlqRecord {
    dead_letter(
        "performance.events.dlq",
        offset,
        "metric-p99",
        "not json at all",
        vec![
            ("__connect.errors.topic", b"performance.events".to_vec()),
            ("__connect.errors.partition", b"0".to_vec()),
            ("__connect.errors.offset", b"9".to_vec()),
            ("__connect.errors.connector.name", b"jdbc-sink".to_vec()),
            ("__connect.errors.stage", b"VALUE_CONVERTER".to_vec()),
            (
                "__connect.errors.exception.class.name",
                b"org.apache.kafka.connect.errors.DataException".to_vec(),
            ),
            (
                "__connect.errors.exception.message",
                b"Converting byte[] to Kafka Connect data failed".to_vec(),
            ),
        ],
    )
}

fn letters() -> Vec<DlqRecord> {
    let mut v = vec![
        ours_letter(0, "timeout", "audit store did not answer within 200 ms"),
        spring_letter(0),
        ours_letter(1, "timeout", "audit store did not answer within 200 ms"),
        connect_letter(0),
        ours_letter(2, "timeout", "audit store did not answer within 200 ms"),
        spring_letter(1),
    ];
    v.push(ours_letter(3, "rejected", "decision has no votes"));
    v
}

fn dlq_app_with(mut app: App) -> App {
    app.apply(WorkerMsg::DlqTopics(vec![
        "debate.events.dlq".into(),
        "performance.events.dlq".into(),
        "testing.events.dlq".into(),
    ]));
    app.apply(WorkerMsg::DeadLetters(letters()));
    app.press("3");
    app
}

fn dlq_app() -> App {
    dlq_app_with(app())
}

fn redrives(app: &mut App) -> Vec<RedriveRequest> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Redrive(r) => Some(*r),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------------- snapshots

#[test]
fn lag_empty_says_it_is_polling() {
    let mut app = app();
    app.press("2");
    snap("lag_empty", &app);
}

#[test]
fn lag_populated_lists_groups_with_status_trend_and_drain() {
    snap("lag_populated", &lag_app(6, None));
}

#[test]
fn lag_drill_down_shows_dashes_and_the_deleted_unread_flag() {
    let mut app = lag_app(6, None);
    // Sorted by total lag (largest first): audit is the largest.
    assert_eq!(app.panes.lag.selected_group(), Some("audit"));
    app.press("enter");
    snap("lag_drill_down", &app);
}

#[test]
fn lag_limited_list_carries_a_note() {
    let app = lag_app(
        3,
        Some("this broker cannot list groups; showing the groups eventdeck knows"),
    );
    snap("lag_limited_note", &app);
}

#[test]
fn lag_poll_error_is_shown_in_the_pane_and_the_status_line() {
    let mut app = lag_app(2, None);
    app.apply_lag(LagUpdate::Failed(
        "Broker: Cluster authorization failed".into(),
    ));
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("lag poll failed: Broker: Cluster authorization failed"),
        "{text}"
    );
    assert!(app.toast().is_some_and(|t| t.error));
    // The last figures stay.
    assert_eq!(app.panes.lag.len(), 4);
}

#[test]
fn dlq_empty_names_the_topics_it_reads() {
    let mut app = app();
    app.apply(WorkerMsg::DlqTopics(vec!["debate.events.dlq".into()]));
    app.press("3");
    snap("dlq_empty", &app);
}

#[test]
fn dlq_grouped_by_cause_with_counts() {
    snap("dlq_grouped", &dlq_app());
}

#[test]
fn dlq_records_of_a_cause() {
    let mut app = dlq_app();
    app.press("enter");
    snap("dlq_records", &app);
}

#[test]
fn dlq_detail_with_the_stack_trace_collapsed_then_expanded() {
    let mut app = dlq_app();
    // Causes by count: timeout (3), NullPointerException (2), ...
    app.press("j enter enter");
    assert_eq!(app.panes.dlq.view(), DlqView::Detail);
    assert!(!app.panes.dlq.stack_open());
    snap("dlq_detail_stack_collapsed", &app);
    app.press("t");
    assert!(app.panes.dlq.stack_open());
    snap("dlq_detail_stack_expanded", &app);
}

#[test]
fn dlq_redrive_preview_progress_and_outcome() {
    let mut app = dlq_app();
    app.press("enter space space R");
    snap("dlq_redrive_preview", &app);
    app.press("y");
    assert_eq!(redrives(&mut app).len(), 1);
    app.apply(WorkerMsg::RedriveProgress { done: 1, total: 2 });
    snap("dlq_redrive_progress", &app);
    app.apply(WorkerMsg::RedriveDone(Ok(Outcome {
        delivered: 2,
        failed: vec![],
    })));
    snap("dlq_redrive_outcome", &app);
}

// -------------------------------------------------------------- key sequences

#[test]
fn s_cycles_the_sort_column_and_r_reverses_it() {
    let mut app = lag_app(6, None);
    assert_eq!(app.panes.lag.sort(), (SortColumn::TotalLag, true));
    let totals = app.panes.lag.groups();
    assert_eq!(totals, ["audit", "analytics", "billing", "orders-service"]);
    app.press("s");
    assert_eq!(app.panes.lag.sort(), (SortColumn::MaxLag, true));
    app.press("S S S S S");
    assert_eq!(app.panes.lag.sort(), (SortColumn::Group, false));
    assert_eq!(
        app.panes.lag.groups(),
        ["analytics", "audit", "billing", "orders-service"]
    );
    app.press("r");
    assert_eq!(
        app.panes.lag.groups(),
        ["orders-service", "billing", "audit", "analytics"]
    );
    // The selection follows its group through re-sorting.
    app.press("g j");
    assert_eq!(app.panes.lag.selected_group(), Some("billing"));
    app.press("r");
    assert_eq!(app.panes.lag.selected_group(), Some("billing"));
    // Sorting by status puts STALL/STOP first.
    while app.panes.lag.sort().0 != SortColumn::Status {
        app.press("s");
    }
    let first = app.panes.lag.groups()[0].to_string();
    assert_eq!(first, "analytics", "the stuck group sorts first");
}

#[test]
fn a_group_whose_lag_is_only_transaction_markers_says_so_in_the_drill_down() {
    let mut app = app();
    let mut tracker = LagTracker::default();
    for i in 0..3 {
        let mut parts = vec![
            part("ledger", 0, Some(3), 4, 0, None),
            part("ledger", 1, Some(3), 4, 0, None),
        ];
        for p in &mut parts {
            p.txn_markers = Some(1);
        }
        let poll = Poll {
            time_ms: T0 + 5_000 * i,
            groups: vec![GroupSnapshot {
                group: "ledger-writer".into(),
                group_type: "classic".into(),
                state: "Empty".into(),
                members: 0,
                partitions: parts,
            }],
            note: None,
        };
        app.apply_lag(LagUpdate::Report(tracker.apply(&poll)));
    }
    app.press("2");
    app.press("enter");
    assert_eq!(app.panes.lag.drilled(), Some("ledger-writer"));
    let cells = app.panes.lag.partition_cells();
    // LAG is the tool's figure, marked; nothing left to read: 0 s.
    assert_eq!(
        cells[0][..6],
        ["ledger", "0", "3", "4", "1 (markers)", "0.0s"]
    );
    assert!(app.panes.lag.flags().is_empty());
    assert_eq!(
        app.panes.lag.markers_note(),
        Some(
            "2 transaction markers on 2 partitions marked (markers): nothing left to read \
             there; LAG counts them, as kafka-consumer-groups does"
        )
    );
    let screen = fixtures::screen(&app, 160, 20);
    assert!(
        screen.contains("· 2 transaction markers on 2 partitions"),
        "{screen}"
    );
    assert!(screen.contains(" OK"), "{screen}");
}

#[test]
fn enter_drills_into_a_group_and_esc_comes_back() {
    let mut app = lag_app(6, None);
    app.press("enter");
    assert_eq!(app.panes.lag.drilled(), Some("audit"));
    let cells = app.panes.lag.partition_cells();
    // payments[0]: committed 100 below log start 250 → flagged; payments[1]:
    // never committed → `-` for CURRENT-OFFSET, LAG and LAG (s).
    assert_eq!(cells[0][..5], ["payments", "0", "100", "1000", "900 ⚠"]);
    assert_eq!(cells[1][..6], ["payments", "1", "-", "300", "-", "-"]);
    assert_eq!(
        app.panes.lag.flags(),
        ["payments[0]: 150 records deleted by retention before this group read them"]
    );
    // A new poll keeps the drill-down and refreshes it.
    let mut tracker = LagTracker::default();
    app.apply_lag(LagUpdate::Report(tracker.apply(&poll(9, None))));
    assert_eq!(app.panes.lag.drilled(), Some("audit"));
    app.press("esc");
    assert_eq!(app.panes.lag.drilled(), None);
    assert_eq!(app.tab(), Tab::Lag);
}

#[test]
fn a_click_selects_a_group_and_a_second_click_opens_it() {
    let mut app = lag_app(6, None);
    let _ = screen(&app, 120, 40);
    // Row 0 of the screen is the header, 1 the tabs, 2 the border, 3 the
    // column titles, 4 the first group.
    let click = |row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle_event(click(6));
    assert_eq!(app.panes.lag.selected_group(), Some("billing"));
    app.handle_event(click(6));
    assert_eq!(app.panes.lag.drilled(), Some("billing"));
}

#[test]
fn redrive_dry_run_then_confirm_then_outcome() {
    let mut app = dlq_app();
    app.press("enter");
    assert_eq!(app.panes.dlq.view(), DlqView::Records);
    app.press("space space");
    assert_eq!(app.panes.dlq.marks().len(), 2);
    app.press("R");
    let Some(RedriveStage::Preview(plan)) = app.panes.dlq.redrive() else {
        panic!("no preview: {:?}", app.panes.dlq.redrive());
    };
    assert_eq!(plan.items.len(), 2);
    assert_eq!(plan.targets.get("debate.events"), Some(&2));
    // The dry run sent nothing.
    assert!(redrives(&mut app).is_empty());
    app.press("y");
    let reqs = redrives(&mut app);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].rate, 100);
    let picked: Vec<i64> = reqs[0]
        .plan
        .items
        .iter()
        .map(|(r, _)| r.record.offset)
        .collect();
    assert_eq!(picked, [0, 1]);
    // Marked records, no filter: the audit line (written by the redrive
    // function the headless command calls too) records none.
    assert_eq!(reqs[0].filter, None);
    assert!(matches!(
        app.panes.dlq.redrive(),
        Some(RedriveStage::Running { done: 0, total: 2 })
    ));
    app.apply(WorkerMsg::RedriveDone(Ok(Outcome {
        delivered: 2,
        failed: vec![],
    })));
    assert!(matches!(
        app.panes.dlq.redrive(),
        Some(RedriveStage::Done(Ok(_)))
    ));
    assert!(
        app.panes.dlq.marks().is_empty(),
        "marks cleared after a redrive"
    );
    assert!(app.toast().is_some_and(|t| !t.error));
    app.press("enter");
    assert!(app.panes.dlq.redrive().is_none());
    assert_eq!(app.panes.dlq.view(), DlqView::Records);
}

#[test]
fn n_cancels_the_preview_and_sends_nothing() {
    let mut app = dlq_app();
    app.press("enter R");
    assert!(app.panes.dlq.redrive().is_some());
    app.press("n");
    assert!(app.panes.dlq.redrive().is_none());
    assert!(redrives(&mut app).is_empty());
    // The dialog took the keys: `q` in it would not have quit.
    app.press("R q");
    assert!(!app.should_quit());
}

#[test]
fn redrive_all_takes_everything_matching_the_filter() {
    let mut app = dlq_app();
    app.press("/");
    app.type_text("nullpointer");
    app.press("enter");
    assert_eq!(app.panes.dlq.causes().len(), 1);
    app.press("A");
    let Some(RedriveStage::Preview(plan)) = app.panes.dlq.redrive() else {
        panic!("no preview");
    };
    assert_eq!(plan.items.len(), 2);
    assert_eq!(plan.targets.get("testing.events"), Some(&2));
    app.press("esc esc");
    assert_eq!(
        app.panes.dlq.filter_text(),
        "",
        "esc in the list clears the filter"
    );
    assert_eq!(app.panes.dlq.causes().len(), 4);
}

#[test]
fn read_only_refuses_a_redrive_with_a_clear_toast() {
    let mut settings = fixtures::settings();
    settings.read_only = true;
    let mut app = dlq_app_with(App::new(&fixtures::services_with(settings).0));
    app.press("enter R");
    let text = screen(&app, 120, 40);
    assert!(text.contains("READ-ONLY session"), "{text}");
    app.press("y");
    assert!(redrives(&mut app).is_empty());
    let toast = app.toast().expect("toast");
    assert!(toast.error);
    assert!(toast.text.contains("Read-only"), "{}", toast.text);
    assert!(app.panes.dlq.redrive().is_none());
}

#[test]
fn open_original_seeks_streams_to_the_original_offset() {
    let mut app = dlq_app();
    app.press("j enter");
    // A Spring Kafka dead letter: testing.events[2]@77 in binary headers.
    app.press("o");
    assert_eq!(app.tab(), Tab::Streams);
    let seeks: Vec<StartAt> = app
        .take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Seek(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(seeks, [StartAt::Offset(77)]);
    assert_eq!(app.panes.streams.filter_text(), "topic:testing.events");
}

#[test]
fn new_dead_letters_appear_live_and_duplicates_are_dropped() {
    let mut app = dlq_app();
    assert_eq!(app.panes.dlq.len(), 7);
    app.apply(WorkerMsg::DeadLetters(vec![
        ours_letter(3, "rejected", "decision has no votes"),
        ours_letter(4, "rejected", "decision has no votes"),
    ]));
    assert_eq!(app.panes.dlq.len(), 8, "offset 3 was already there");
    assert!(
        app.panes
            .dlq
            .causes()
            .iter()
            .any(|(k, _, n)| k == "rejected" && *n == 2)
    );
}

#[test]
fn wheel_and_clicks_move_through_dead_letters() {
    let mut app = dlq_app();
    let _ = screen(&app, 120, 40);
    let mouse = |kind, row| {
        Event::Mouse(MouseEvent {
            kind,
            column: 20,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle_event(mouse(MouseEventKind::ScrollDown, 10));
    assert_eq!(
        app.panes.dlq.selected_index(),
        3,
        "the wheel moves three rows"
    );
    app.handle_event(mouse(MouseEventKind::ScrollUp, 10));
    assert_eq!(app.panes.dlq.selected_index(), 0);
    // Row 4 is the first cause (header, tabs, border, column titles above it).
    app.handle_event(mouse(MouseEventKind::Down(MouseButton::Left), 5));
    assert_eq!(app.panes.dlq.selected_index(), 1);
    assert_eq!(app.panes.dlq.view(), DlqView::Causes);
    app.handle_event(mouse(MouseEventKind::Down(MouseButton::Left), 5));
    assert_eq!(app.panes.dlq.view(), DlqView::Records);
    let r = app.panes.dlq.current().expect("a record");
    assert_eq!(r.record.topic, "testing.events.dlq");
}

#[test]
fn help_and_hints_list_the_new_keys_from_the_key_table() {
    let mut app = dlq_app();
    app.press("enter");
    let hints = screen(&app, 160, 40);
    let last = hints.lines().last().unwrap_or_default().to_string();
    for want in ["space mark", "R redrive", "o original", "esc back"] {
        assert!(last.contains(want), "hint bar {last:?} lacks {want:?}");
    }
    app.press("?");
    let help = screen(&app, 120, 40);
    for want in [
        "dlq_records",
        "mark/unmark, move down",
        "redrive selection",
        "original in Streams",
    ] {
        assert!(help.contains(want), "help lacks {want:?}:\n{help}");
    }
    app.press("esc 2 ?");
    let help = screen(&app, 120, 40);
    for want in ["sort by next column", "reverse sort order"] {
        assert!(help.contains(want), "lag help lacks {want:?}:\n{help}");
    }
}

/// A dead letter our bridge wrote for an event that failed in a local handler
/// as it was published: no offset names the original, the header says so.
#[test]
fn open_original_of_a_local_dead_letter_says_so_and_hints_b_until_it_is_in_memory() {
    let original = fixtures::envelope(
        1,
        "debate",
        "DecisionMade",
        "agg-local",
        serde_json::json!({"decision": "adopt event sourcing"}),
    );
    let id = "00000000-0000-0000-0000-000000001001";
    let mut headers: Vec<(&str, Vec<u8>)> = original
        .headers
        .iter()
        .map(|(k, v)| (k, v.unwrap_or_default().to_vec()))
        .collect();
    headers.extend([
        (ours::ORIGINAL_TOPIC, b"debate.events".to_vec()),
        (
            ours::ORIGINAL_SOURCE,
            ours::SOURCE_LOCAL.as_bytes().to_vec(),
        ),
        (ours::HANDLER, b"audit-log".to_vec()),
        (ours::ERROR_KIND, b"timeout".to_vec()),
    ]);
    let value = String::from_utf8(original.value.clone().unwrap_or_default()).unwrap();
    let letter = dead_letter("debate.events.dlq", 0, "agg-local", &value, headers);
    let mut app = app();
    app.apply(WorkerMsg::DlqTopics(vec!["debate.events.dlq".into()]));
    app.apply(WorkerMsg::DeadLetters(vec![letter]));
    app.press("3 enter o");
    assert_eq!(app.tab(), Tab::Streams);
    assert_eq!(
        app.panes.streams.filter_text(),
        format!("topic:debate.events {id}")
    );
    let toast = app.toast().expect("a toast").text.clone();
    assert!(toast.contains("Failed in a local handler"), "{toast}");
    assert!(toast.contains("press b"), "not in memory yet: {toast}");

    // Once Streams holds the original, the filter finds it and no hint is given.
    app.ingest(vec![original]);
    app.press("3 o");
    let toast = app.toast().expect("a toast").text.clone();
    assert!(toast.contains("Failed in a local handler"), "{toast}");
    assert!(!toast.contains("press b"), "{toast}");
    assert_eq!(app.panes.streams.visible_len(), 1);
}

// ------------------------------------------------- jumps, marks and redriven

#[test]
fn g_and_end_jump_in_a_causes_dead_letters_and_in_one_dead_letter() {
    let mut app = dlq_app();
    app.press("enter");
    assert_eq!(app.panes.dlq.selected_index(), 0);
    app.press("G");
    assert_eq!(
        app.panes.dlq.selected_index(),
        2,
        "the last of the 3 timeouts"
    );
    app.press("g");
    assert_eq!(app.panes.dlq.selected_index(), 0);
    app.press("end");
    assert_eq!(app.panes.dlq.selected_index(), 2);
    app.press("home");
    assert_eq!(app.panes.dlq.selected_index(), 0);
    // The causes list too.
    app.press("esc G");
    assert_eq!(
        app.panes.dlq.selected_index(),
        app.panes.dlq.causes().len() - 1
    );
    // One dead letter: G shows its end (the stack trace line is the last line).
    app.press("g j enter enter t");
    let _ = screen(&app, 80, 24);
    app.press("G");
    let text = screen(&app, 80, 24);
    assert!(text.contains("Listener.onMessage"), "{text}");
    app.press("g");
    assert!(screen(&app, 80, 24).contains("DLQ record"));
}

#[test]
fn t_on_a_dead_letter_without_a_stack_trace_says_so() {
    let mut app = dlq_app();
    app.press("enter enter t");
    assert!(!app.panes.dlq.stack_open());
    let toast = app.toast().map(|t| t.text.clone()).unwrap_or_default();
    assert!(toast.contains("no stack trace"), "{toast:?}");
}

#[test]
fn space_marks_and_moves_down_and_the_help_says_so() {
    let mut app = dlq_app();
    app.press("enter space");
    assert_eq!(app.panes.dlq.selected_index(), 1);
    app.press("?");
    let text = screen(&app, 120, 40);
    assert!(text.contains("mark/unmark, move down"), "{text}");
}

#[test]
fn redriven_dead_letters_are_marked_as_redriven() {
    let mut app = dlq_app();
    app.press("enter space space R y");
    assert_eq!(redrives(&mut app).len(), 1);
    app.apply(WorkerMsg::RedriveDone(Ok(Outcome {
        delivered: 1,
        failed: vec!["debate.events.dlq[0]@1: Broker: Message size too large".into()],
    })));
    app.press("enter");
    let records: Vec<bool> = (0..3)
        .map(|i| {
            app.panes.dlq.select_index(i);
            app.panes
                .dlq
                .current()
                .is_some_and(|r| app.panes.dlq.is_redriven(r))
        })
        .collect();
    assert_eq!(
        records,
        [true, false, false],
        "the failed one is not redriven"
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("1 redriven (↻)"), "{text}");
    assert!(text.contains("↻ 0@0"), "{text}");
    // The dead letter itself says so.
    app.panes.dlq.select_index(0);
    app.press("enter");
    assert!(screen(&app, 120, 40).contains("redriven from this console"));
}

// ------------------------------------------------------ numbers at every size

#[test]
fn lag_and_dead_letter_numbers_are_never_cut_at_any_size() {
    let mut app = app();
    let mut tracker = LagTracker::default();
    for i in 0..4 {
        let groups = vec![
            GroupSnapshot {
                group: "debate-projector-of-decisions".into(),
                group_type: "classic".into(),
                state: "Stable".into(),
                members: 1,
                partitions: vec![
                    part(
                        "debate.events",
                        0,
                        Some(100 + i),
                        19_628 + 100 + 40 * i,
                        0,
                        Some("p-1"),
                    ),
                    part("debate.events", 1, Some(7), 8, 0, Some("p-1")),
                ],
            },
            GroupSnapshot {
                group: "implementation-reactions".into(),
                group_type: "classic".into(),
                state: "Stable".into(),
                members: 3,
                partitions: vec![part("implementation.events", 0, Some(5), 5, 0, Some("r-1"))],
            },
        ];
        let poll = Poll {
            time_ms: T0 + 5_000 * i,
            groups,
            note: None,
        };
        app.apply_lag(LagUpdate::Report(tracker.apply(&poll)));
    }
    app.press("2");
    for (w, h) in [(60, 15), (80, 24), (90, 30), (120, 40)] {
        let text = screen(&app, w, h);
        assert!(text.contains("19746"), "{w}x{h}:\n{text}");
        let cut = fixtures::cut_numbers(&text, &screen(&app, fixtures::WIDE, h));
        assert!(cut.is_empty(), "{w}x{h}: cut {cut:?}\n{text}");
    }
    app.press("enter");
    for (w, h) in [(60, 15), (80, 24), (90, 30), (120, 40)] {
        let text = screen(&app, w, h);
        let cut = fixtures::cut_numbers(&text, &screen(&app, fixtures::WIDE, h));
        assert!(cut.is_empty(), "{w}x{h}: cut {cut:?}\n{text}");
    }
    // Keys that differ only in their last digits stay apart at 80–90 columns.
    let mut app = fixtures::app();
    app.apply(WorkerMsg::DeadLetters(
        (12..=16)
            .map(|n| {
                let mut r = ours_letter(n, "timeout", "audit store did not answer within 200 ms");
                r.record.key = Some(format!("debate-{n}").into_bytes());
                r
            })
            .collect(),
    ));
    app.press("3 enter");
    for (w, h) in [(60, 15), (80, 24), (90, 30), (120, 40)] {
        let text = screen(&app, w, h);
        if w >= 80 {
            for n in 12..=16 {
                assert!(text.contains(&format!("debate-{n}")), "{w}x{h}:\n{text}");
            }
        }
        let cut = fixtures::cut_numbers(&text, &screen(&app, fixtures::WIDE, h));
        assert!(cut.is_empty(), "{w}x{h}: cut {cut:?}\n{text}");
    }
}

/// One byte budget (`ui.memory_mb`) covers the dead letters and the streams:
/// the DLQ pane keeps at most a quarter of it, evicting its oldest and saying
/// so, and the streams get what the dead letters leave.
#[test]
fn dead_letters_and_streams_share_one_byte_budget() {
    let mut settings = fixtures::settings();
    settings.ui.memory_mb = 1;
    let mut app = App::new(&fixtures::services_with(settings).0);
    let budget = 1024 * 1024;
    let big = "x".repeat(4_000);
    let letters: Vec<DlqRecord> = (0..200)
        .map(|i| {
            dead_letter(
                "debate.events.dlq",
                i,
                &format!("agg-{i}"),
                &big,
                vec![(ours::ERROR_KIND, b"Boom".to_vec())],
            )
        })
        .collect();
    app.apply(WorkerMsg::DeadLetters(letters));
    let dlq_held = app.panes.dlq.held_bytes();
    assert!(dlq_held <= budget / 4, "the DLQ holds {dlq_held} bytes");
    assert!(dlq_held > budget / 8, "the DLQ holds only {dlq_held} bytes");
    let kept = app.panes.dlq.len();
    assert!((40..200).contains(&kept), "{kept} dead letters kept");
    app.press("3");
    let s = screen(&app, 120, 40);
    assert!(
        s.contains(&format!("{} evicted", 200 - kept)),
        "the pane says what it evicted:\n{s}"
    );

    // The streams fill what is left, and no more.
    app.ingest((0..400u64).map(|n| {
        let mut r = fixtures::envelope(
            n,
            "debate",
            "DecisionMade",
            "k",
            serde_json::json!({ "pad": big }),
        );
        r.offset = n as i64;
        r
    }));
    let streams_held = app.panes.streams.held_bytes();
    assert!(
        streams_held + dlq_held <= budget,
        "streams {streams_held} + dead letters {dlq_held} > {budget}"
    );
    assert!(
        streams_held > budget / 2,
        "the streams hold only {streams_held}"
    );
}

/// Start-up warnings (here: a password given with -X) stay on the bottom line
/// while the first errors of a cluster arrive, until a key is pressed.
#[test]
fn start_up_warnings_stay_until_a_key_is_pressed() {
    let mut settings = fixtures::settings();
    settings.warnings = vec!["-X sasl.password=… on the command line is visible".into()];
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.apply_lag(LagUpdate::Failed("cannot reach Kafka".into()));
    let s = screen(&app, 120, 40);
    assert!(s.contains("sasl.password=… on the command line"), "{s}");
    assert!(!s.contains("cannot reach Kafka"), "{s}");
    // A key: what the user does next is said again.
    app.press("2");
    app.apply_lag(LagUpdate::Failed("cannot reach Kafka".into()));
    app.apply_lag(LagUpdate::Report(
        LagTracker::default().apply(&poll(0, None)),
    ));
    app.apply_lag(LagUpdate::Failed("denied by ACL".into()));
    let s = screen(&app, 120, 40);
    assert!(s.contains("denied by ACL"), "{s}");
    assert!(!s.contains("sasl.password"), "{s}");
}
