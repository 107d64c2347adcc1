//! The Topics, Groups and Audit tabs as a user sees and drives them: snapshots at
//! 120×40 and 80×24 (topic list and describe, type-the-name confirmation, group
//! list and describe, reset plan preview, audit log, READ-ONLY badge) and
//! key-sequence tests (a wrong name keeps the delete disabled, the right one
//! sends it; read-only refuses every mutation with a toast and sends nothing),
//! fed by scripted ops-worker replies.

mod support;
use eventdeck::audit::AuditEntry;
use eventdeck::kafka::admin::{
    ConfigValue, GroupDetail, GroupSummary, PartitionDetail, TopicDetail,
};
use eventdeck::kafka::groups::{GroupInfo, Member};
use eventdeck::lag::{GroupSnapshot, PartitionSnapshot};
use eventdeck::reset::{ResetPlan, ResetRow, ResetScope, ResetSpec, TopicScope};
use eventdeck::tui::App;
use eventdeck::tui::event::{AdminReply, AdminRequest, NoConfigs, TopicView};
use eventdeck::tui::keymap::Mode;
use eventdeck::tui::tabs::Tab;
use fixtures::{app, screen, services_with, settings, snap};
use serde_json::json;
use support::tui as fixtures;

fn topic(name: &str, parts: i32, rf: usize, per_part: i64) -> TopicDetail {
    let partitions: Vec<PartitionDetail> = (0..parts)
        .map(|p| PartitionDetail {
            partition: p,
            leader: 1 + p % 3,
            replicas: (0..rf as i32).map(|r| 1 + (p + r) % 3).collect(),
            isr: (0..rf as i32).map(|r| 1 + (p + r) % 3).collect(),
            low: 10,
            high: 10 + per_part,
        })
        .collect();
    TopicDetail {
        name: name.into(),
        replication_factor: rf,
        estimated_count: per_part * i64::from(parts),
        // 2026-11-27T10:00:00Z plus a minute per partition.
        last_record_ms: (per_part > 0).then(|| 1_795_773_600_000 + 60_000 * i64::from(parts)),
        partitions,
    }
}

fn topics() -> Vec<TopicDetail> {
    vec![
        topic("orders", 3, 3, 1_200),
        topic("debate.events", 1, 1, 42),
        topic("payments", 6, 3, 0),
        topic("orders.dlq", 1, 3, 7),
    ]
}

fn config(name: &str, value: &str, source: &str) -> ConfigValue {
    ConfigValue {
        name: name.into(),
        value: Some(value.into()),
        source: source.into(),
        is_default: source == "default",
        read_only: false,
    }
}

fn topics_app() -> App {
    topics_app_over(app())
}

fn topics_app_over(mut app: App) -> App {
    app.press("6");
    assert_eq!(app.tab(), Tab::Topics);
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListTopics]
    );
    fixtures::admin_reply(&mut app, AdminReply::Topics(Ok(topics())));
    app
}

/// An app over a broker without admin APIs (the embedded broker's caps).
fn no_admin_app() -> App {
    let mut s = settings();
    s.caps = eventdeck::kafka::BrokerCaps::EMBEDDED;
    App::new(&services_with(s).0)
}

fn describe_orders(app: &mut App) {
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(app),
        vec![AdminRequest::DescribeTopic("orders".into())]
    );
    let view = TopicView {
        detail: topic("orders", 3, 3, 1_200),
        configs: Ok(vec![
            config("cleanup.policy", "compact", "topic"),
            config("retention.ms", "604800000", "default"),
            config("min.insync.replicas", "2", "topic"),
            config("segment.bytes", "1073741824", "default"),
        ]),
    };
    fixtures::admin_reply(
        app,
        AdminReply::Topic {
            name: "orders".into(),
            result: Ok(Box::new(view)),
        },
    );
}

#[test]
fn topics_list_shows_partitions_rf_and_estimated_counts() {
    let app = topics_app();
    let text = screen(&app, 120, 40);
    assert!(text.contains("Topics (4)"), "{text}");
    assert!(text.contains("3600"), "{text}");
    snap("ops_topics_list", &app);
}

#[test]
fn topic_describe_shows_partitions_and_configs_overrides_first() {
    let mut app = topics_app();
    app.press("j j");
    // Sorted by name: debate.events, orders, orders.dlq, payments → "j j" is orders.dlq;
    // back up one to orders.
    app.press("k");
    describe_orders(&mut app);
    assert_eq!(app.mode(), Mode::TopicDetail);
    let text = screen(&app, 120, 40);
    let cleanup = text.find("cleanup.policy").expect("override shown");
    let retention = text.find("retention.ms").expect("default shown");
    assert!(cleanup < retention, "overrides first:\n{text}");
    snap("ops_topic_describe", &app);
    app.press("esc");
    assert_eq!(app.mode(), Mode::Topics);
}

#[test]
fn a_wrong_name_keeps_the_delete_disabled_and_the_right_one_sends_it() {
    let mut app = topics_app();
    app.press("j");
    describe_orders(&mut app);
    app.press("D");
    assert_eq!(app.mode(), Mode::TypeConfirm);
    app.type_text("order");
    snap("ops_confirm_typing", &app);
    app.press("enter");
    assert_eq!(app.mode(), Mode::TypeConfirm, "still open");
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "nothing sent"
    );
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("does not match"))
    );
    // Keys that mean something elsewhere are just letters here.
    app.type_text("sq");
    assert!(!app.should_quit());
    app.press("backspace");
    snap("ops_confirm_matching", &app);
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DeleteTopic("orders".into())]
    );
    assert_eq!(app.mode(), Mode::TopicDetail);
    // The outcome refreshes the list (the describe view closes on delete).
    fixtures::admin_reply(
        &mut app,
        AdminReply::Done {
            action: "topics.delete",
            result: Ok("deleted topic orders".into()),
        },
    );
    assert_eq!(app.mode(), Mode::Topics);
    assert!(fixtures::admin_requests(&mut app).contains(&AdminRequest::ListTopics));
    assert!(
        app.toast()
            .is_some_and(|t| t.text.contains("deleted topic orders"))
    );
}

#[test]
fn empty_asks_for_the_name_and_esc_cancels() {
    let mut app = topics_app();
    app.press("E");
    assert_eq!(app.mode(), Mode::TypeConfirm);
    app.press("esc");
    assert_eq!(app.mode(), Mode::Topics);
    app.press("E");
    app.type_text("debate.events");
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::EmptyTopic("debate.events".into())]
    );
}

#[test]
fn palette_creates_grows_and_configures_topics() {
    let mut app = topics_app();
    app.press(":");
    app.type_text("topic create ledger partitions=4 rf=1 cleanup.policy=compact\n");
    let reqs = fixtures::admin_requests(&mut app);
    let AdminRequest::CreateTopic(spec) = &reqs[0] else {
        panic!("{reqs:?}");
    };
    assert_eq!(
        (spec.name.as_str(), spec.partitions, spec.replication_factor),
        ("ledger", 4, 1)
    );
    assert_eq!(
        spec.configs,
        vec![("cleanup.policy".to_string(), "compact".to_string())]
    );
    app.press(":");
    app.type_text("topic partitions ledger 8\n");
    app.press(":");
    app.type_text("topic config ledger retention.ms=1000\n");
    app.press(":");
    app.type_text("topic config ledger retention.ms=\n");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![
            AdminRequest::AddPartitions {
                topic: "ledger".into(),
                total: 8
            },
            AdminRequest::SetConfig {
                topic: "ledger".into(),
                key: "retention.ms".into(),
                value: Some("1000".into())
            },
            AdminRequest::SetConfig {
                topic: "ledger".into(),
                key: "retention.ms".into(),
                value: None
            },
        ]
    );
    app.press(":");
    app.type_text("topic create bad partitions=zero\n");
    assert!(fixtures::admin_requests(&mut app).is_empty());
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("not a positive number"))
    );
}

// ---------------------------------------------------------------- groups

fn groups_app() -> App {
    let mut app = app();
    app.press("7");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListGroups]
    );
    let g = |name: &str, state: &str, members: usize| GroupSummary {
        name: name.into(),
        state: state.into(),
        protocol_type: "consumer".into(),
        members,
        group_type: "classic".into(),
    };
    fixtures::admin_reply(
        &mut app,
        AdminReply::Groups(Ok(vec![
            g("orders-service", "Stable", 2),
            g("analytics", "Empty", 0),
            g("billing", "Stable", 1),
        ])),
    );
    app
}

fn part(
    topic: &str,
    p: i32,
    current: Option<i64>,
    end: i64,
    owner: Option<&str>,
) -> PartitionSnapshot {
    PartitionSnapshot {
        topic: topic.into(),
        partition: p,
        current_offset: current,
        log_end_offset: end,
        log_start_offset: 0,
        consumer_id: owner.map(str::to_string),
        host: owner.map(|_| "/10.0.0.7".into()),
        client_id: owner.map(|_| "orders-svc".into()),
        committed_record_ms: None,
        txn_markers: None,
    }
}

#[test]
fn groups_list_and_describe_show_members_assignments_and_offsets() {
    let mut app = groups_app();
    snap("ops_groups_list", &app);
    // Sorted: analytics, billing, orders-service.
    app.press("j j enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeGroup("orders-service".into())]
    );
    let member = |id: &str, parts: &[i32]| Member {
        id: id.into(),
        client_id: "orders-svc".into(),
        host: "/10.0.0.7".into(),
        assignment: parts.iter().map(|p| ("orders".to_string(), *p)).collect(),
    };
    let detail = GroupDetail {
        info: GroupInfo {
            name: "orders-service".into(),
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            group_type: "classic".into(),
            assignor: String::new(),
            members: vec![
                member("orders-svc-1-5b2c", &[0, 1]),
                member("orders-svc-2-9d1e", &[2]),
            ],
        },
        offsets: GroupSnapshot {
            group: "orders-service".into(),
            group_type: "classic".into(),
            state: "Stable".into(),
            members: 2,
            partitions: vec![
                part("orders", 0, Some(1_190), 1_210, Some("orders-svc-1-5b2c")),
                part("orders", 1, Some(1_210), 1_210, Some("orders-svc-1-5b2c")),
                part("orders", 2, None, 1_210, Some("orders-svc-2-9d1e")),
            ],
        },
    };
    fixtures::admin_reply(
        &mut app,
        AdminReply::Group {
            name: "orders-service".into(),
            result: Ok(Box::new(detail)),
        },
    );
    assert_eq!(app.mode(), Mode::GroupDetail);
    let text = screen(&app, 120, 40);
    assert!(text.contains("orders:0 orders:1"), "{text}");
    assert!(text.contains("CURRENT-OFFSET"), "{text}");
    snap("ops_group_describe", &app);
}

fn plan() -> ResetPlan {
    ResetPlan {
        group: "analytics".into(),
        spec: ResetSpec::Earliest,
        scope: ResetScope::Topics(vec![TopicScope {
            topic: "orders".into(),
            partitions: vec![0, 1],
        }]),
        rows: vec![
            ResetRow {
                topic: "orders".into(),
                partition: 0,
                current_offset: Some(400),
                new_offset: 10,
            },
            ResetRow {
                topic: "orders".into(),
                partition: 1,
                current_offset: None,
                new_offset: 10,
            },
        ],
    }
}

#[test]
fn reset_from_the_palette_previews_the_plan_then_executes_it() {
    let mut app = groups_app();
    app.press("R");
    assert_eq!(
        app.mode(),
        Mode::Palette,
        "R opens the palette with the group"
    );
    app.press("esc");
    app.press(":");
    app.type_text("reset analytics --to-earliest orders:0,1\n");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::PlanReset {
            group: "analytics".into(),
            spec: ResetSpec::Earliest,
            scope: ResetScope::Topics(vec![TopicScope {
                topic: "orders".into(),
                partitions: vec![0, 1]
            }]),
        }]
    );
    fixtures::admin_reply(&mut app, AdminReply::Plan(Ok(plan())));
    assert_eq!(app.mode(), Mode::ResetPlan);
    let text = screen(&app, 120, 40);
    for col in [
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "NEW-OFFSET",
    ] {
        assert!(text.contains(col), "{col}:\n{text}");
    }
    snap("ops_reset_plan", &app);
    app.press("y");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ExecuteReset(plan())]
    );
    assert_eq!(app.mode(), Mode::Groups);
}

#[test]
fn a_reset_plan_taller_than_the_screen_counts_the_rest_and_keeps_its_keys_line() {
    let mut app = groups_app();
    app.press(":");
    app.type_text("reset analytics --to-earliest orders\n");
    let _ = fixtures::admin_requests(&mut app);
    let rows: Vec<ResetRow> = (0..60)
        .map(|p| ResetRow {
            topic: "orders".into(),
            partition: p,
            current_offset: Some(400),
            new_offset: 10,
        })
        .collect();
    let big = ResetPlan {
        group: "analytics".into(),
        spec: ResetSpec::Earliest,
        scope: ResetScope::Topics(vec![TopicScope {
            topic: "orders".into(),
            partitions: vec![],
        }]),
        rows,
    };
    fixtures::admin_reply(&mut app, AdminReply::Plan(Ok(big.clone())));
    let text = screen(&app, 80, 24);
    assert!(text.contains("y / enter: commit"), "{text}");
    assert!(
        !text.contains("planning the reset"),
        "the plan replaces the note:\n{text}"
    );
    // The rows that fit, then a count of the rest: together, all 60.
    let shown = text.matches("analytics        orders").count();
    let more: usize = text
        .split("… and ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of the rows not shown:\n{text}"));
    assert!(shown >= 5, "{text}");
    assert_eq!(shown + more, 60, "{text}");
    assert!(text.contains("(60 partitions in all are reset)"), "{text}");
    // Confirming still resets every partition of the plan.
    app.press("y");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ExecuteReset(big)]
    );
}

#[test]
fn a_reset_of_an_active_group_is_refused_with_a_clear_message() {
    let mut app = groups_app();
    app.press(":");
    app.type_text("reset billing --shift-by -5\n");
    assert!(matches!(
        &fixtures::admin_requests(&mut app)[..],
        [AdminRequest::PlanReset {
            spec: ResetSpec::ShiftBy(-5),
            scope: ResetScope::AllTopics,
            ..
        }]
    ));
    fixtures::admin_reply(
        &mut app,
        AdminReply::Plan(Err("group 'billing' has 1 active member(s) (state Stable); offsets can only be reset when the group is inactive: stop its consumers first".into())),
    );
    assert_eq!(app.mode(), Mode::Groups, "no dialog");
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("active member"))
    );
    // The toast line may cut it; the pane shows it whole until the next change.
    let text = screen(&app, 80, 24);
    assert!(text.contains("stop its consumers first"), "{text}");
    snap("ops_reset_refused", &app);
}

#[test]
fn delete_group_asks_for_its_name() {
    let mut app = groups_app();
    app.press("D");
    app.type_text("analytic\n");
    assert!(fixtures::admin_requests(&mut app).is_empty());
    app.type_text("s\n");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DeleteGroup("analytics".into())]
    );
}

#[test]
fn a_broker_without_admin_apis_is_named_plainly_once() {
    let mut app = no_admin_app();
    app.press("7");
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "nothing asked"
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("no admin APIs"), "{text}");
    app.press("r");
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "no retry spam"
    );
}

#[test]
fn an_unsupported_answer_from_a_broker_with_admin_apis_is_a_plain_failure() {
    let mut app = groups_app();
    fixtures::admin_reply(
        &mut app,
        AdminReply::Groups(Err(
            "listing consumer groups: not supported by this broker".into()
        )),
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("✗ listing consumer groups: not supported"),
        "{text}"
    );
    assert!(
        !text.contains("no admin APIs"),
        "no guessing from the text: {text}"
    );
}

#[test]
fn without_admin_apis_topics_still_list_but_configs_and_changes_are_not_tried() {
    let mut app = topics_app_over(no_admin_app());
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("no admin APIs") && text.contains("orders"),
        "{text}"
    );
    snap("ops_topics_no_admin", &app);
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeTopic("debate.events".into())]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Topic {
            name: "debate.events".into(),
            result: Ok(Box::new(TopicView {
                detail: topic("debate.events", 1, 1, 42),
                configs: Err(NoConfigs::Unsupported),
            })),
        },
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains(eventdeck::tui::strings::NO_ADMIN_CONFIGS.trim()),
        "{text}"
    );
    app.press("esc D");
    assert_eq!(app.mode(), Mode::Topics, "no dialog");
    assert!(
        app.toast()
            .is_some_and(|t| t.text.contains("no admin APIs"))
    );
    app.press(":");
    app.type_text("topic create x\n");
    assert!(fixtures::admin_requests(&mut app).is_empty());
    app.press("7");
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "Groups knows already"
    );
    assert!(screen(&app, 120, 40).contains("no admin APIs"));
}

// ---------------------------------------------------------------- audit

fn entry(
    i: u32,
    action: &str,
    params: serde_json::Value,
    outcome: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        time: format!("2026-11-27T10:0{i}:00.000Z"),
        os_user: "oncall".into(),
        principal: "User:ANONYMOUS".into(),
        profile: "default".into(),
        cluster: "127.0.0.1:9092".into(),
        source: None,
        action: action.into(),
        params,
        outcome,
        chain: None,
    }
}

#[test]
fn audit_view_lists_entries_newest_first_and_rereads_after_a_mutation() {
    let mut app = app();
    app.press("8");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ReadAudit]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Audit(Ok(vec![
            entry(
                1,
                "topics.create",
                json!({"topic": "ledger", "partitions": 4}),
                json!("ok"),
            ),
            entry(
                2,
                "dlq.redrive",
                json!({"n": 3}),
                json!({"delivered": 3, "failed": 0}),
            ),
            entry(
                3,
                "topics.delete",
                json!({"topic": "ledger"}),
                json!({"error": "no such topic"}),
            ),
        ])),
    );
    let text = screen(&app, 120, 40);
    let newest = text.find("topics.delete").expect("newest");
    let oldest = text.find("topics.create").expect("oldest");
    assert!(newest < oldest, "newest first:\n{text}");
    snap("ops_audit", &app);
    fixtures::admin_reply(
        &mut app,
        AdminReply::Done {
            action: "groups.delete",
            result: Ok("deleted consumer group x".into()),
        },
    );
    assert!(fixtures::admin_requests(&mut app).contains(&AdminRequest::ReadAudit));
}

// ---------------------------------------------------------------- read-only

fn read_only_app() -> App {
    let mut s = settings();
    s.read_only = true;
    App::new(&services_with(s).0)
}

#[test]
fn read_only_shows_the_badge_and_refuses_every_ops_mutation() {
    let mut app = read_only_app();
    app.press("6");
    fixtures::admin_requests(&mut app);
    fixtures::admin_reply(&mut app, AdminReply::Topics(Ok(topics())));
    app.press("D");
    assert_eq!(app.mode(), Mode::Topics, "no dialog opens");
    snap("ops_read_only", &app);
    // A long header (the demo's bridge figures) never pushes the badge off an
    // 80-column screen.
    app.set_status_text("bridge: 1234567 published · outbox 0 · DLQ 42 · reactions 99999".into());
    assert!(
        screen(&app, 80, 24)
            .lines()
            .next()
            .is_some_and(|l| l.contains("READ-ONLY"))
    );
    let refused = |app: &App, what: &str| {
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("Read-only") && t.text.contains(what))
    };
    assert!(refused(&app, "topics.delete"));
    for (keys, what) in [
        ("E", "topics.empty"),
        ("n", "topics.create"),
        ("P", "topics.add-partitions"),
        ("c", "topics.config"),
    ] {
        app.press(keys);
        assert!(refused(&app, what), "{keys}: {:?}", app.toast());
        assert_ne!(app.mode(), Mode::TypeConfirm);
        assert_ne!(app.mode(), Mode::Palette);
    }
    for cmd in [
        "topic create x partitions=1\n",
        "topic delete orders\n",
        "topic empty orders\n",
        "topic partitions orders 9\n",
        "topic config orders a=b\n",
        "group delete analytics\n",
    ] {
        app.press(":");
        app.type_text(cmd);
        assert!(
            app.toast().is_some_and(|t| t.text.contains("Read-only")),
            "{cmd}"
        );
        assert_ne!(app.mode(), Mode::TypeConfirm, "{cmd}");
    }
    // The plan is a dry run and may be looked at; committing it is refused.
    app.press(":");
    app.type_text("reset analytics --to-latest\n");
    fixtures::admin_requests(&mut app);
    fixtures::admin_reply(&mut app, AdminReply::Plan(Ok(plan())));
    app.press("y");
    assert!(refused(&app, "groups.reset-offsets"));
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "nothing was sent"
    );
}

/// The demo's embedded broker: its caps say it has no admin APIs, so the
/// worker refuses those requests with the typed error without asking the
/// broker (nothing waits for a request to time out), topics still list and
/// describe from metadata, and the app built over it shows the note from the
/// start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_embedded_broker_the_worker_answers_without_asking_and_plainly() {
    use eventdeck::kafka::admin::NewTopicSpec;
    use eventdeck::kafka::embedded::EmbeddedBroker;
    use eventdeck::tui::workers::admin::answer;
    /// `KafkaError::Unsupported`'s words; a request that reached the broker
    /// would say something else (a timeout).
    const UNSUPPORTED: &str = "not supported by this broker";
    /// A cap on each answer, so a request that went to the broker and hangs
    /// fails here with its name instead of stalling the run.
    const CAP: std::time::Duration = std::time::Duration::from_secs(120);
    let broker = EmbeddedBroker::start(1, &[("debate.events".into(), 3)]).expect("broker");
    let mut s = settings();
    broker.connect(&mut s);
    let ask = |req: AdminRequest| {
        let s = s.clone();
        async move {
            let what = format!("{req:?}");
            tokio::time::timeout(CAP, answer(&s, req))
                .await
                .unwrap_or_else(|_| panic!("no answer to {what} within {CAP:?}"))
        }
    };
    assert_eq!(s.caps, eventdeck::kafka::BrokerCaps::EMBEDDED);
    let AdminReply::Topic { result, .. } =
        ask(AdminRequest::DescribeTopic("debate.events".into())).await
    else {
        panic!("a topic reply");
    };
    let view = result.expect("metadata works");
    assert_eq!(view.detail.partitions.len(), 3);
    assert_eq!(view.configs, Err(NoConfigs::Unsupported));
    let AdminReply::Groups(groups) = ask(AdminRequest::ListGroups).await else {
        panic!("a groups reply");
    };
    assert_eq!(
        groups.err().as_deref(),
        Some("listing consumer groups: not supported by this broker")
    );
    let spec = NewTopicSpec {
        name: "x".into(),
        partitions: 1,
        replication_factor: 1,
        configs: vec![],
    };
    let reply = ask(AdminRequest::CreateTopic(spec)).await;
    assert!(
        matches!(&reply, AdminReply::Done { result: Err(e), .. } if e.contains(UNSUPPORTED)),
        "{reply:?}"
    );
    let (services, _) = services_with(s);
    let mut app = App::new(&services);
    app.press("7");
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "nothing asked"
    );
    assert!(screen(&app, 120, 40).contains("no admin APIs"));
}

#[test]
fn mouse_selects_and_opens_topics_and_the_wheel_moves_the_cursor() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    use eventdeck::tui::event::Event;
    let mouse = |kind, column: u16, row: u16| {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut app = topics_app();
    let s = screen(&app, 120, 40);
    let row = s
        .lines()
        .position(|l| l.contains("payments"))
        .unwrap_or_else(|| panic!("payments not listed:\n{s}")) as u16;
    let click = || mouse(MouseEventKind::Down(MouseButton::Left), 10, row);
    app.handle_event(click());
    assert!(
        fixtures::admin_requests(&mut app).is_empty(),
        "a first click only selects"
    );
    app.handle_event(click());
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeTopic("payments".into())],
        "a second click opens the selected topic"
    );
    app.press("esc");
    // The wheel moves the cursor: three rows up from the last is the first.
    let _ = screen(&app, 120, 40);
    app.handle_event(mouse(MouseEventKind::ScrollUp, 10, row));
    app.press("enter");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DescribeTopic("debate.events".into())]
    );
}

#[test]
fn audit_title_marks_the_chain_intact_then_names_the_edited_line_on_reload() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = eventdeck::config::Settings::for_tests(None, dir.path());
    for i in 0..3 {
        eventdeck::audit::record(
            &settings,
            eventdeck::audit::Source::Console,
            "topics.create",
            json!({"topic": format!("t-{i}")}),
            json!("ok"),
        )
        .expect("record");
    }
    let mut app = app();
    app.press("8");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ReadAudit]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Audit(eventdeck::audit::read(&settings).map_err(|e| e.to_string())),
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Audit log (3, newest first) · chain ✓"),
        "{text}"
    );
    let path = eventdeck::audit::path(&settings);
    let log = std::fs::read_to_string(&path).expect("log");
    std::fs::write(&path, log.replacen("t-1", "t-7", 1)).expect("edit");
    fixtures::admin_reply(
        &mut app,
        AdminReply::Audit(eventdeck::audit::read(&settings).map_err(|e| e.to_string())),
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Audit log (3, newest first) · chain ✗ line 2"),
        "{text}"
    );
}

#[test]
fn audit_rows_are_selected_with_j_g_and_end_and_open_in_full() {
    let mut app = app();
    app.press("8");
    let entries: Vec<AuditEntry> = (1..=5)
        .map(|i| {
            entry(
                i,
                &format!("action.{i}"),
                json!({"records": ["debate.events.dlq[0]@12345"], "n": i}),
                json!("ok"),
            )
        })
        .collect();
    fixtures::admin_reply(&mut app, AdminReply::Audit(Ok(entries)));
    // Newest first: action.5 is row 0.
    app.press("G");
    assert_eq!(app.panes.audit.selected(), Some(4));
    app.press("g j");
    assert_eq!(app.panes.audit.selected(), Some(1));
    app.press("end");
    assert_eq!(app.panes.audit.selected(), Some(4));
    app.press("home");
    assert_eq!(app.panes.audit.selected(), Some(0));
    app.press("j enter");
    assert!(app.panes.audit.is_open());
    let text = screen(&app, 80, 24);
    // Every field, the parameters in full, of the entry selected (action.4).
    assert!(text.contains("\"action.4\""), "{text}");
    assert!(text.contains("debate.events.dlq[0]@12345"), "{text}");
    assert!(text.contains("\"cluster\""), "{text}");
    app.press("esc");
    assert!(!app.panes.audit.is_open());
    assert_eq!(app.panes.audit.selected(), Some(1));
}
