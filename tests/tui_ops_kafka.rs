//! The Topics, Groups and Audit tabs on real Apache Kafka, driven by keys and the
//! palette with every admin request answered by the worker the console runs
//! (`workers::admin::answer`): a topic created from the console shows in `kcat -L`
//! with its partitions, and is gone after a delete confirmed by typing its name;
//! an offset reset planned and confirmed in the console leaves exactly the plan's
//! offsets, as Kafka's own `kafka-consumer-groups --describe` reads them; each
//! mutation leaves one audit line, shown in the Audit tab; and the worker refuses
//! a mutation in read-only mode whatever the app did.

mod support;
use support::tui as fixtures;

use std::time::Duration;

use eventdeck::audit;
use eventdeck::config::Settings;
use eventdeck::tui::App;
use eventdeck::tui::event::{AdminReply, AdminRequest};
use eventdeck::tui::keymap::Mode;
use eventdeck::tui::workers::admin::answer;
use fixtures::drive_ops as drive;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use support::*;

fn settings(data_dir: &std::path::Path) -> Settings {
    let mut s = fixtures::settings();
    s.brokers = bootstrap();
    s.data_dir = data_dir.to_path_buf();
    s
}

/// Partitions of `topic` per `kcat -L`, or `None` when kcat does not list it.
/// All topics are listed: asking for one by name (`-t`) would make a broker with
/// `auto.create.topics.enable` create it again.
fn kcat_partitions(topic: &str) -> Option<usize> {
    let out = kcat(&["-L"]);
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("topic \"{topic}\"")))?;
    if line.contains("Broker: Unknown topic") || line.contains("error") {
        return None;
    }
    line.split_whitespace()
        .skip_while(|w| *w != "with")
        .nth(1)
        .and_then(|n| n.parse().ok())
}

#[tokio::test]
async fn a_topic_created_and_deleted_from_the_console_is_seen_by_kcat() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let mut app = App::new(&fixtures::services_with(settings.clone()).0);
    let topic = unique_topic("tui-ops-create");
    app.press("6");
    drive(&mut app, &settings).await;
    app.press(":");
    app.type_text(&format!(
        "topic create {topic} partitions=3 rf=1 cleanup.policy=compact\n"
    ));
    let replies = drive(&mut app, &settings).await;
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, AdminReply::Done { result: Ok(_), .. })),
        "{replies:?}"
    );
    assert_eq!(
        kcat_partitions(&topic),
        Some(3),
        "kcat -L sees 3 partitions"
    );
    assert!(
        app.panes.topics.names().contains(&topic),
        "the list was refreshed"
    );

    // Describe it: the override set at creation is shown.
    let i = app
        .panes
        .topics
        .names()
        .iter()
        .position(|n| n == &topic)
        .expect("listed");
    app.press("g");
    for _ in 0..i {
        app.press("j");
    }
    app.press("enter");
    drive(&mut app, &settings).await;
    let text = fixtures::screen(&app, 120, 40);
    assert!(text.contains("3 partition(s)"), "{text}");
    assert!(
        text.contains("* cleanup.policy") && text.contains("compact"),
        "{text}"
    );

    // Delete: a wrong name sends nothing, the right one deletes.
    app.press("D");
    app.type_text("nope\n");
    assert_eq!(app.mode(), Mode::TypeConfirm);
    assert!(drive(&mut app, &settings).await.is_empty());
    app.press("ctrl+u");
    app.type_text(&format!("{topic}\n"));
    let replies = drive(&mut app, &settings).await;
    assert!(
        replies.iter().any(|r| matches!(
            r,
            AdminReply::Done {
                action: "topics.delete",
                result: Ok(_)
            }
        )),
        "{replies:?}"
    );
    let mut gone = false;
    for _ in 0..50 {
        if kcat_partitions(&topic).is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(gone, "kcat -L still lists {topic}");

    // One audit line per mutation, shown in the Audit tab.
    let entries = audit::read(&settings).expect("audit");
    let mine: Vec<_> = entries
        .iter()
        .filter(|e| e.params["topic"] == topic.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{entries:?}");
    assert_eq!(mine[0].action, "topics.create");
    assert_eq!(mine[0].params["partitions"], 3);
    assert_eq!(mine[1].action, "topics.delete");
    assert!(mine.iter().all(|e| e.outcome == "ok"));
    app.press("8");
    drive(&mut app, &settings).await;
    let text = fixtures::screen(&app, 120, 40);
    assert!(
        text.contains("topics.delete") && text.contains("topics.create"),
        "{text}"
    );
}

#[tokio::test]
async fn a_reset_from_the_console_equals_kafka_consumer_groups_describe_afterwards() {
    let topic = unique_topic("tui-ops-reset");
    create_topic(&topic, 2).await;
    for p in 0..2 {
        let body: String = (0..10).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        let out = kcat_with_stdin(
            &["-P", "-t", &topic, "-p", &p.to_string()],
            Some(body.as_bytes()),
        );
        assert!(out.status.success(), "kcat -P: {}", stderr(&out));
    }
    let group = unique_topic("tui-ops-group");
    {
        // Commits without joining: the group stays Empty, so it may be reset.
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Offset(8))
            .expect("tpl");
        tpl.add_partition_offset(&topic, 1, Offset::Offset(9))
            .expect("tpl");
        c.commit(&tpl, CommitMode::Sync).expect("commit");
    }

    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let mut app = App::new(&fixtures::services_with(settings.clone()).0);
    app.press(":");
    app.type_text(&format!("reset {group} --shift-by -3 {topic}\n"));
    let replies = drive(&mut app, &settings).await;
    let plan = replies
        .iter()
        .find_map(|r| match r {
            AdminReply::Plan(Ok(p)) => Some(p.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a plan: {replies:?}"));
    let planned: Vec<(i32, Option<i64>, i64)> = plan
        .rows
        .iter()
        .map(|r| (r.partition, r.current_offset, r.new_offset))
        .collect();
    assert_eq!(planned, vec![(0, Some(8), 5), (1, Some(9), 6)]);
    assert_eq!(app.mode(), Mode::ResetPlan);
    // Still a dry run: Kafka's tool sees the old offsets.
    let before = support::admin::tool_committed(&group);
    assert_eq!(
        before.get(&(topic.clone(), 0)).map(String::as_str),
        Some("8")
    );

    app.press("y");
    let replies = drive(&mut app, &settings).await;
    assert!(
        replies.iter().any(|r| matches!(
            r,
            AdminReply::Done {
                action: "groups.reset-offsets",
                result: Ok(_)
            }
        )),
        "{replies:?}"
    );
    let after = support::admin::tool_committed(&group);
    for r in &plan.rows {
        assert_eq!(
            after.get(&(r.topic.clone(), r.partition)),
            Some(&r.new_offset.to_string()),
            "partition {}: {after:?}",
            r.partition
        );
    }
    let entries = audit::read(&settings).expect("audit");
    let reset: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "groups.reset-offsets")
        .collect();
    assert_eq!(reset.len(), 1, "{entries:?}");
    assert_eq!(reset[0].params["group"], group.as_str());
    assert_eq!(reset[0].outcome, serde_json::json!({ "committed": 2 }));

    // The Groups tab describes it with the new offsets.
    app.press(":");
    app.type_text(&format!("group delete {group}\n"));
    assert_eq!(app.mode(), Mode::TypeConfirm);
    app.type_text(&format!("{group}\n"));
    let replies = drive(&mut app, &settings).await;
    assert!(
        replies.iter().any(|r| matches!(
            r,
            AdminReply::Done {
                action: "groups.delete",
                result: Ok(_)
            }
        )),
        "{replies:?}"
    );
    assert!(
        support::admin::tool_committed(&group).is_empty(),
        "group deleted"
    );
}

#[tokio::test]
async fn the_worker_refuses_mutations_in_read_only_mode_and_nothing_changes() {
    let topic = unique_topic("tui-ops-ro");
    create_topic(&topic, 1).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut ro = settings(dir.path());
    ro.read_only = true;
    for req in [
        AdminRequest::DeleteTopic(topic.clone()),
        AdminRequest::AddPartitions {
            topic: topic.clone(),
            total: 4,
        },
    ] {
        let AdminReply::Done { result, .. } = answer(&ro, req).await else {
            panic!("a Done reply");
        };
        assert!(result.is_err_and(|e| e.contains("read-only")));
    }
    assert_eq!(
        kcat_partitions(&topic),
        Some(1),
        "still there, still 1 partition"
    );
    assert!(
        audit::read(&ro).expect("audit").is_empty(),
        "refusals write no line"
    );
}
