//! The Schemas tab. Snapshots from scripted schemas-worker replies (the
//! registry is shared, so its subject list is not the same from run to run):
//! the subject list with topics by name and by ids seen on the wire, an open
//! version and its diff with the version before; no registry configured; a
//! registry down. Then the same tab on the real registry (Apicurio,
//! `scripts/schema-registry`), answered by the worker the console runs.

mod support;
use support::tui as fixtures;

use eventdeck::domain::schema::SchemaFormat;
use eventdeck::kafka::ConsumedRecord;
use eventdeck::schemas::{SubjectSummary, VersionView, pretty};
use eventdeck::tui::App;
use eventdeck::tui::event::{Command, OpenedSchema, SchemaReply, SchemaRequest, WorkerMsg};
use eventdeck::tui::keymap::Mode;
use fixtures::{screen, services_with, settings, snap};

const URL: &str = "http://registry.test:8081/apis/ccompat/v7";

/// The console with a registry configured at `url`.
fn app_with(url: &str) -> App {
    let mut s = settings();
    s.schema_registry.url = Some(url.into());
    App::new(&services_with(s).0)
}

/// The schema requests the app asked for (the other commands are dropped).
fn schema_requests(app: &mut App) -> Vec<SchemaRequest> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Schemas(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn reply(app: &mut App, r: SchemaReply) {
    app.apply(WorkerMsg::Schemas(Box::new(r)));
}

fn summary(
    subject: &str,
    latest: u32,
    id: u32,
    format: SchemaFormat,
    topics: &[&str],
) -> SubjectSummary {
    SubjectSummary {
        subject: subject.into(),
        latest,
        id,
        format,
        compatibility: "BACKWARD".into(),
        topics: Some(topics.iter().map(|t| t.to_string()).collect()),
    }
}

fn subjects() -> Vec<SubjectSummary> {
    vec![
        summary(
            "debate.events-value",
            2,
            12,
            SchemaFormat::Avro,
            &["debate.events"],
        ),
        summary("orders-key", 1, 3, SchemaFormat::Json, &[]),
        summary("shop.Order", 4, 31, SchemaFormat::Protobuf, &[]),
    ]
}

const V1: &str = r#"{"type":"record","name":"Decision","fields":[{"name":"decision","type":"string"},{"name":"votes","type":"int"}]}"#;
const V2: &str = r#"{"type":"record","name":"Decision","fields":[{"name":"decision","type":"string"},{"name":"votes","type":"int"},{"name":"note","type":["null","string"],"default":null}]}"#;

fn version(v: u32, id: u32, text: &str) -> VersionView {
    VersionView {
        subject: "debate.events-value".into(),
        versions: vec![1, 2],
        version: v,
        id,
        format: SchemaFormat::Avro,
        compatibility: "BACKWARD".into(),
        references: vec![],
        schema: pretty(SchemaFormat::Avro, text),
    }
}

/// A record on `topic` framed with schema id `id` (Confluent's framing).
fn framed(topic: &str, id: u32) -> ConsumedRecord {
    let mut value = vec![0];
    value.extend(id.to_be_bytes());
    value.extend(b"\x02x");
    ConsumedRecord {
        topic: topic.into(),
        partition: 0,
        offset: 0,
        timestamp_ms: Some(fixtures::at(0).timestamp_millis()),
        key: None,
        value: Some(value),
        headers: Default::default(),
    }
}

/// The console on the Schemas tab, its subjects loaded, one id seen on the
/// wire resolved.
fn schemas_tab() -> App {
    let mut app = app_with(URL);
    // One id in the payload's framing, one in Confluent's header.
    let mut in_header = framed("shop.orders", 0);
    in_header.value = Some(b"\x02x".to_vec());
    in_header.headers = vec![("__value_schema_id".to_string(), Some(vec![0, 0, 0, 0, 31]))].into();
    app.ingest([framed("debate.audit", 11), in_header]);
    app.press(":");
    app.type_text("schemas\n");
    assert_eq!(app.mode(), Mode::Schemas);
    assert_eq!(
        schema_requests(&mut app),
        vec![SchemaRequest::List, SchemaRequest::Resolve(vec![11, 31])]
    );
    reply(&mut app, SchemaReply::Subjects(Ok(subjects())));
    reply(
        &mut app,
        SchemaReply::Resolved(vec![(11, vec![("debate.events-value".into(), 1)])]),
    );
    app
}

#[test]
fn schemas_tab_lists_subjects_with_version_format_compatibility_and_topics() {
    let app = schemas_tab();
    snap("schemas_list", &app);
    let text = screen(&app, 120, 40);
    for word in [
        "Schemas (3)",
        "debate.events-value",
        "BACKWARD",
        "protobuf",
        "TOPICS (BY NAME)",
        "SEEN ON",
        "debate.audit",
    ] {
        assert!(text.contains(word), "{word}:\n{text}");
    }
}

#[test]
fn enter_opens_the_latest_version_and_d_diffs_it_with_the_one_before() {
    let mut app = schemas_tab();
    app.press("enter");
    assert_eq!(app.mode(), Mode::SchemaVersion);
    assert_eq!(
        schema_requests(&mut app),
        vec![SchemaRequest::Open {
            subject: "debate.events-value".into(),
            version: None
        }]
    );
    reply(
        &mut app,
        SchemaReply::Opened {
            subject: "debate.events-value".into(),
            result: Ok(Box::new(OpenedSchema {
                view: version(2, 12, V2),
                previous: Some(version(1, 11, V1)),
            })),
        },
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("version 2 of [1, 2] · id 12 · avro · compatibility BACKWARD"),
        "{text}"
    );
    assert!(text.contains("\"name\": \"note\","), "{text}");
    assert!(
        text.contains("topics by name: debate.events · seen on the wire: debate.audit"),
        "{text}"
    );
    snap("schemas_version", &app);
    app.press("d");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("version 1 (id 11) → version 2 (id 12): "),
        "{text}"
    );
    assert!(text.contains("+      \"name\": \"note\","), "{text}");
    snap("schemas_diff", &app);
    // ← asks for the older version; esc goes back to the list.
    app.press("left");
    assert_eq!(
        schema_requests(&mut app),
        vec![SchemaRequest::Open {
            subject: "debate.events-value".into(),
            version: Some(1)
        }]
    );
    app.press("esc");
    assert_eq!(app.mode(), Mode::Schemas);
}

#[test]
fn without_a_registry_the_tab_says_how_to_configure_one() {
    let mut app = fixtures::app();
    app.press(":");
    app.type_text("schemas\n");
    assert!(schema_requests(&mut app).is_empty());
    let text = screen(&app, 120, 40);
    assert!(text.contains("--schema-registry URL"), "{text}");
    assert!(text.contains("SCHEMA_REGISTRY_URL"), "{text}");
    snap("schemas_not_configured", &app);
}

#[tokio::test]
async fn a_registry_that_is_down_is_an_error_in_the_pane() {
    let mut app = app_with("http://127.0.0.1:9");
    let settings = {
        let mut s = settings();
        s.schema_registry.url = Some("http://127.0.0.1:9".into());
        s
    };
    app.press(":");
    app.type_text("schemas\n");
    for req in schema_requests(&mut app) {
        let r = eventdeck::tui::workers::schemas::answer(&settings, req).await;
        reply(&mut app, r);
    }
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("✗ the schema registry at http://127.0.0.1:9 is unreachable"),
        "{text}"
    );
    assert!(!app.should_quit());
}

#[tokio::test]
async fn the_tab_on_the_real_registry_shows_a_subject_and_its_diff() {
    let url = support::registry_url();
    let client =
        eventdeck::schema_registry::RegistryClient::new(&eventdeck::config::SchemaRegistry {
            url: Some(url.clone()),
            ..Default::default()
        })
        .unwrap()
        .unwrap();
    let topic = support::unique_topic("ed-tui-schemas");
    support::create_topic(&topic, 1).await;
    let subject = format!("{topic}-value");
    let id1 = client.register(&subject, SchemaFormat::Avro, V1).unwrap();
    let id2 = client.register(&subject, SchemaFormat::Avro, V2).unwrap();
    let mut settings = settings();
    settings.schema_registry.url = Some(url.clone());
    let mut app = App::new(&services_with(settings.clone()).0);
    app.ingest([framed(&topic, id1)]);
    app.press(":");
    app.type_text("schemas\n");
    let drive = |app: &mut App| {
        let reqs = schema_requests(app);
        let settings = settings.clone();
        async move {
            let mut replies = Vec::new();
            for r in reqs {
                replies.push(eventdeck::tui::workers::schemas::answer(&settings, r).await);
            }
            replies
        }
    };
    for r in drive(&mut app).await {
        reply(&mut app, r);
    }
    app.press("/");
    app.type_text(&format!("{topic}\n"));
    // Wide: the unique names are long, and cut with `…` on a narrow screen.
    let text = screen(&app, fixtures::WIDE, 40);
    let row = text
        .lines()
        .find(|l| l.contains(&subject))
        .unwrap_or_else(|| panic!("{subject} not listed:\n{text}"));
    let cells: Vec<&str> = row.trim_matches(['│', ' ']).split_whitespace().collect();
    assert_eq!(
        cells[..4],
        [subject.as_str(), "2", &id2.to_string(), "avro"],
        "{row}"
    );
    // Named after the topic, and seen on it (its version 1's id).
    assert_eq!(
        cells[cells.len() - 2..],
        [topic.as_str(), topic.as_str()],
        "{row}"
    );
    app.press("enter");
    for r in drive(&mut app).await {
        reply(&mut app, r);
    }
    app.press("d");
    let text = screen(&app, 160, 40);
    assert!(
        text.contains(&format!("version 1 (id {id1}) → version 2 (id {id2})")),
        "{text}"
    );
    assert!(text.contains("+      \"name\": \"note\","), "{text}");
}
