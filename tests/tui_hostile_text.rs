//! The console shows text from the cluster with every control character
//! replaced by a visible `·`: a record's key, headers and value, a group id, a
//! member and client id, a dead letter's headers and an audit entry, each
//! holding a clear-screen (`ESC[2J`), a window title (`ESC]0;x BEL`), an OSC 52
//! clipboard write, the C1 CSI (U+009B) and DEL; a topic config and an event
//! type in the trace view too. Snapshots at 120×40 and 80×24;
//! ratatui itself would drop the controls silently, so the marks are ours.

mod support;
use eventdeck::audit::AuditEntry;
use eventdeck::dlq::redrive::DlqRecord;
use eventdeck::dlq::{decode, ours};
use eventdeck::kafka::ConsumedRecord;
use eventdeck::kafka::admin::{ConfigValue, GroupDetail, GroupSummary, TopicDetail};
use eventdeck::kafka::groups::{GroupInfo, Member};
use eventdeck::lag::{GroupSnapshot, LagTracker, PartitionSnapshot, Poll};
use eventdeck::tui::App;
use eventdeck::tui::event::LagUpdate;
use eventdeck::tui::event::WorkerMsg;
use eventdeck::tui::event::{AdminReply, AdminRequest, TopicView};
use fixtures::{app, at, screen, snap};
use support::tui as fixtures;

/// Every attack.
const HOSTILE: &str = "\x1b[2J\x1b]0;x\x07\x1b]52;c;Zm9v\x07\u{9b}\x7f";

/// The screen holds no control character, and shows `want` (the marks).
fn assert_visible(app: &App, want: &[&str]) {
    for (w, h) in fixtures::SIZES {
        let text = screen(app, w, h);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        if w == 120 {
            for s in want {
                assert!(text.contains(s), "{s:?} not on screen:\n{text}");
            }
        }
    }
}

fn hostile_record() -> ConsumedRecord {
    ConsumedRecord {
        topic: "debate.events".into(),
        partition: 0,
        offset: 7,
        timestamp_ms: Some(at(7).timestamp_millis()),
        key: Some(format!("key-{HOSTILE}").into_bytes()),
        value: Some(format!("value-{HOSTILE}").into_bytes()),
        headers: vec![
            ("ce_specversion".into(), Some(b"1.0".to_vec())),
            ("ce_id".into(), Some(b"1".to_vec())),
            ("ce_source".into(), Some(b"/x".to_vec())),
            (
                "ce_type".into(),
                Some(format!("type-{HOSTILE}").into_bytes()),
            ),
            (format!("h-{HOSTILE}"), Some(HOSTILE.as_bytes().to_vec())),
        ]
        .into(),
    }
}

#[test]
fn streams_row_and_detail_show_a_hostile_record_visibly() {
    let mut app = app();
    app.ingest(vec![hostile_record()]);
    // The value is a binary CloudEvent's data: a JSON string, C0 escaped.
    assert_visible(&app, &["key-·[2J·]0;x", "type-·[2J", r#""value-\u001b[2J"#]);
    snap("hostile_streams", &app);
    app.press("enter");
    assert_visible(&app, &["h-·[2J·]0;x··]52;c;Zm9v···: ·[2J"]);
    snap("hostile_streams_detail", &app);
}

#[test]
fn groups_list_and_describe_show_hostile_group_member_and_client_ids_visibly() {
    let group = format!("grp-{HOSTILE}");
    let mut app = app();
    app.press("7");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListGroups]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Groups(Ok(vec![GroupSummary {
            name: group.clone(),
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            members: 1,
            group_type: "classic".into(),
        }])),
    );
    assert_visible(&app, &["grp-·[2J·]0;x··]52;c;Zm9v··"]);
    snap("hostile_groups_list", &app);
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeGroup(group.clone())]
    );
    let detail = GroupDetail {
        info: GroupInfo {
            name: group.clone(),
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            group_type: "classic".into(),
            assignor: String::new(),
            members: vec![Member {
                id: format!("m-{HOSTILE}"),
                client_id: format!("c-{HOSTILE}"),
                host: format!("/h{HOSTILE}"),
                assignment: vec![("orders".to_string(), 0)],
            }],
        },
        offsets: GroupSnapshot {
            group: group.clone(),
            group_type: "classic".into(),
            state: "Stable".into(),
            members: 1,
            partitions: vec![PartitionSnapshot {
                topic: "orders".into(),
                partition: 0,
                current_offset: Some(5),
                log_end_offset: 9,
                log_start_offset: 0,
                consumer_id: Some(format!("m-{HOSTILE}")),
                host: Some(format!("/h{HOSTILE}")),
                client_id: Some(format!("c-{HOSTILE}")),
                committed_record_ms: None,
                txn_markers: None,
            }],
        },
    };
    fixtures::admin_reply(
        &mut app,
        AdminReply::Group {
            name: group,
            result: Ok(Box::new(detail)),
        },
    );
    assert_visible(&app, &["grp-·[2J", "m-·[2J", "c-·[2J", "/h·[2J"]);
    snap("hostile_group_describe", &app);
}

#[test]
fn lag_list_and_drill_down_show_hostile_group_and_client_ids_visibly() {
    let group = format!("grp-{HOSTILE}");
    let poll = |i: i64| Poll {
        time_ms: 1_795_773_600_000 + 5_000 * i,
        groups: vec![GroupSnapshot {
            group: group.clone(),
            group_type: "classic".into(),
            state: "Stable".into(),
            members: 1,
            partitions: vec![PartitionSnapshot {
                topic: "orders".into(),
                partition: 0,
                current_offset: Some(400),
                log_end_offset: 1_000 + 50 * i,
                log_start_offset: 0,
                consumer_id: Some(format!("m-{HOSTILE}")),
                host: Some(format!("/h{HOSTILE}")),
                client_id: Some(format!("c-{HOSTILE}")),
                committed_record_ms: None,
                txn_markers: None,
            }],
        }],
        note: None,
    };
    let mut app = app();
    let mut tracker = LagTracker::default();
    for i in 0..3 {
        app.apply_lag(LagUpdate::Report(tracker.apply(&poll(i))));
    }
    app.press("2");
    assert_visible(&app, &["grp-·[2J"]);
    snap("hostile_lag", &app);
    app.press("enter");
    assert_visible(&app, &["grp-·[2J", "c-·[2J"]);
    snap("hostile_lag_group", &app);
}

#[test]
fn dlq_detail_shows_hostile_dead_letter_headers_visibly() {
    let h = |s: &str| Some(format!("{s}-{HOSTILE}").into_bytes());
    let record = ConsumedRecord {
        topic: "debate.events.dlq".into(),
        partition: 0,
        offset: 3,
        timestamp_ms: Some(at(3).timestamp_millis()),
        key: h("key"),
        value: h("value"),
        headers: vec![
            (ours::ORIGINAL_TOPIC.into(), h("orig")),
            (ours::HANDLER.into(), h("handler")),
            (ours::ERROR_KIND.into(), h("kind")),
            (ours::ERROR_MESSAGE.into(), h("message")),
        ]
        .into(),
    };
    let letter = DlqRecord {
        letter: decode(&record.headers),
        record,
        original: None,
    };
    let mut app = app();
    app.apply(WorkerMsg::DlqTopics(vec!["debate.events.dlq".into()]));
    app.apply(WorkerMsg::DeadLetters(vec![letter]));
    app.press("3");
    assert_visible(&app, &["message-·[2J"]);
    snap("hostile_dlq_causes", &app);
    app.press("enter enter");
    assert_visible(
        &app,
        &["kind-·[2J", "message-·[2J", "orig-·[2J", "value-·[2J"],
    );
    snap("hostile_dlq_detail", &app);
}

#[test]
fn audit_shows_a_hostile_group_id_visibly() {
    let mut app = app();
    app.press("8");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ReadAudit]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Audit(Ok(vec![AuditEntry {
            time: "2026-11-27T10:00:00.000Z".into(),
            os_user: "oncall".into(),
            principal: "User:ANONYMOUS".into(),
            profile: "default".into(),
            cluster: "127.0.0.1:9092".into(),
            source: None,
            action: "groups.delete".into(),
            params: serde_json::json!({ "group": format!("grp-{HOSTILE}") }),
            outcome: serde_json::json!(format!("failed: grp-{HOSTILE}")),
            chain: None,
        }])),
    );
    assert_visible(&app, &["failed: grp-·["]);
    snap("hostile_audit", &app);
}

#[test]
fn trace_shows_a_hostile_event_type_visibly() {
    let mut app = app();
    let mut record = hostile_record();
    record.headers.push("ce_correlationid", Some(b"corr-1"));
    app.ingest(vec![record]);
    app.press("t");
    assert_eq!(app.mode(), eventdeck::tui::keymap::Mode::Trace);
    assert_visible(&app, &["type-·[2J·]0;x"]);
    snap("hostile_trace", &app);
}

#[test]
fn topic_describe_shows_a_hostile_config_value_visibly() {
    let mut app = app();
    app.press("6");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListTopics]
    );
    let detail = TopicDetail {
        name: "orders".into(),
        replication_factor: 1,
        estimated_count: 0,
        last_record_ms: None,
        partitions: Vec::new(),
    };
    fixtures::admin_reply(&mut app, AdminReply::Topics(Ok(vec![detail.clone()])));
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeTopic("orders".into())]
    );
    let view = TopicView {
        detail,
        configs: Ok(vec![ConfigValue {
            name: format!("n-{HOSTILE}"),
            value: Some(format!("v-{HOSTILE}")),
            source: "topic".into(),
            is_default: false,
            read_only: false,
        }]),
    };
    fixtures::admin_reply(
        &mut app,
        AdminReply::Topic {
            name: "orders".into(),
            result: Ok(Box::new(view)),
        },
    );
    assert_visible(&app, &["n-·[2J", "v-·[2J"]);
    snap("hostile_topic_describe", &app);
}
