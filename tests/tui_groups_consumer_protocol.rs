//! The Groups tab on a consumer-protocol (KIP-848) group: the summary line
//! names its type and assignor, its members hold their partitions, and the
//! partition a member holds without ever having committed is a `-` row.
//! Snapshots at fixed sizes, fed by scripted ops-worker replies.

mod support;
use support::tui as fixtures;

use eventdeck::kafka::admin::{GroupDetail, GroupSummary};
use eventdeck::kafka::groups::{GroupInfo, Member};
use eventdeck::lag::{GroupSnapshot, PartitionSnapshot};
use eventdeck::tui::event::{AdminReply, AdminRequest};
use eventdeck::tui::keymap::Mode;
use fixtures::{app, screen, snap};

fn part(p: i32, current: Option<i64>, end: i64) -> PartitionSnapshot {
    PartitionSnapshot {
        topic: "orders".into(),
        partition: p,
        current_offset: current,
        log_end_offset: end,
        log_start_offset: 0,
        consumer_id: Some("gBI6pmQ0TJ2V9xC1kL3s7A".into()),
        host: Some("127.0.0.1".into()),
        client_id: Some("rdkafka".into()),
        committed_record_ms: None,
        txn_markers: None,
    }
}

#[test]
fn a_consumer_protocol_group_shows_its_type_assignor_members_and_uncommitted_partition() {
    let mut app = app();
    app.press("7");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListGroups]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Groups(Ok(vec![GroupSummary {
            name: "g".into(),
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            members: 1,
            group_type: "consumer".into(),
        }])),
    );
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeGroup("g".into())]
    );
    let detail = GroupDetail {
        info: GroupInfo {
            name: "g".into(),
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            group_type: "consumer".into(),
            assignor: "uniform".into(),
            members: vec![Member {
                id: "gBI6pmQ0TJ2V9xC1kL3s7A".into(),
                client_id: "rdkafka".into(),
                host: "127.0.0.1".into(),
                assignment: (0..3).map(|p| ("orders".to_string(), p)).collect(),
            }],
        },
        offsets: GroupSnapshot {
            group: "g".into(),
            group_type: "consumer".into(),
            state: "Stable".into(),
            members: 1,
            partitions: vec![
                part(0, None, 0),
                part(1, Some(40), 50),
                part(2, Some(18), 50),
            ],
        },
    };
    fixtures::admin_reply(
        &mut app,
        AdminReply::Group {
            name: "g".into(),
            result: Ok(Box::new(detail)),
        },
    );
    assert_eq!(app.mode(), Mode::GroupDetail);
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("type consumer (KIP-848) · assignor uniform"),
        "{text}"
    );
    assert!(text.contains("orders:0 orders:1 orders:2"), "{text}");
    snap("groups_consumer_protocol_detail", &app);
}
