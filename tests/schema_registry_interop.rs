//! Schema-registry records written by Confluent's own serializers
//! (confluent-kafka's AvroSerializer, JSONSerializer and ProtobufSerializer,
//! tests/python/schema_producer.py) against a
//! real registry (Apicurio Registry 3.3.3's Confluent-compatible API, started by
//! `scripts/schema-registry`) and real Apache Kafka: `eventdeck tail --format
//! json` decodes each to exactly the producer's input, which is also what
//! Confluent's AvroDeserializer reads back, and names the schema (`id`,
//! `format`, `subject`, `version`). An envelope written as Avro is an envelope.
//! Registry down and an unknown id are shown raw, with an error that says which.
//! A data policy naming fields by their schema's tags (`tagged`) hides an Avro
//! field tagged `"confluent:tags": ["PII"]` and a JSON Schema property with
//! `"x-sensitive": true` from `tail`, `policies check` and `find`.
//!
//! Needs the Python client (`scripts/py-venv`) and a registry:
//! `scripts/schema-registry up` (scripts/test does both and sets
//! `EVENTDECK_TEST_SCHEMA_REGISTRY_URL`).

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{
    Sandbox, bootstrap, create_topic, json_lines, python_with, registry_url, run_capped, stderr,
    stdout, unique_topic,
};

/// The records of one list in the Python producer's report (`written`,
/// `keys_written`, ...), in order.
fn listed<'a>(report: &'a Value, field: &str) -> Vec<&'a Value> {
    report[field]
        .as_array()
        .unwrap_or_else(|| panic!("the report has no list {field}: {report}"))
        .iter()
        .collect()
}

/// The schema cache the console and `tail` build from a config naming `url`.
fn registry_cache(url: String) -> eventdeck::schema_registry::SchemaCache {
    let config = eventdeck::config::SchemaRegistry {
        url: Some(url),
        ..Default::default()
    };
    eventdeck::schema_registry::SchemaCache::from_config(&config)
        .expect("client")
        .expect("a registry")
}

/// Runs tests/python/schema_producer.py: what it wrote, what Confluent's
/// deserializer read back, and the schema id in the framing.
fn python_writes(topic: &str, case: &str) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/schema_producer.py");
    let mut cmd = Command::new(python_with("confluent_kafka.schema_registry.avro"));
    cmd.arg(script)
        .args([&bootstrap(), &registry_url(), topic, case]);
    // Capped: a registry that never answers (seen once with Apicurio under
    // eight tests registering at once) fails the test instead of hanging it.
    let out = run_capped(cmd, Duration::from_secs(180));
    assert!(
        out.status.success(),
        "the Python producer failed: {}",
        stderr(&out)
    );
    let report: Value = serde_json::from_str(stdout(&out).trim()).expect("the producer's report");
    assert_eq!(
        report["written"], report["read_back"],
        "Confluent's deserializer reads back what was written"
    );
    report
}

/// `eventdeck tail TOPIC --from beginning -e --format json [--schema-registry URL]`.
fn tail(sandbox: &Sandbox, topic: &str, registry: Option<&str>) -> Vec<Value> {
    let mut cmd = sandbox.eventdeck();
    cmd.env_remove("SCHEMA_REGISTRY_URL").args([
        "tail",
        topic,
        "--from",
        "beginning",
        "-e",
        "--format",
        "json",
    ]);
    if let Some(url) = registry {
        cmd.args(["--schema-registry", url]);
    }
    let out = run_capped(cmd, Duration::from_secs(120));
    assert!(out.status.success(), "tail failed: {}", stderr(&out));
    json_lines(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_records_from_confluents_serializer_decode_to_the_producers_input() {
    let url = registry_url();
    let topic = unique_topic("sr-avro-order");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "order");
    let sandbox = Sandbox::new();
    let lines = tail(&sandbox, &topic, Some(&url));
    let values: Vec<&Value> = lines.iter().map(|l| &l["value"]).collect();
    let written: Vec<&Value> = listed(&report, "written");
    assert_eq!(values, written);
    let id = &report["schema_id"];
    for line in &lines {
        assert_eq!(line["kind"], "json", "{line}");
        assert_eq!(line["error"], Value::Null, "{line}");
        assert_eq!(
            line["schema"],
            json!({"id": id, "format": "avro", "subject": format!("{topic}-value"), "version": 1}),
            "{line}"
        );
    }

    // Without a registry the same records are raw bytes, as before.
    let plain = tail(&sandbox, &topic, None);
    assert_eq!(plain.len(), 2);
    assert!(
        plain
            .iter()
            .all(|l| l["kind"] == "raw" && l.get("schema").is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_schema_records_from_confluents_serializer_decode_to_the_producers_input() {
    let url = registry_url();
    let topic = unique_topic("sr-json");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "json");
    let lines = tail(&Sandbox::new(), &topic, Some(&url));
    let values: Vec<&Value> = lines.iter().map(|l| &l["value"]).collect();
    let written: Vec<&Value> = listed(&report, "written");
    assert_eq!(values, written);
    for line in &lines {
        assert_eq!(line["kind"], "json", "{line}");
        assert_eq!(line["error"], Value::Null, "{line}");
        assert_eq!(
            line["schema"],
            json!({"id": report["schema_id"], "format": "json", "subject": format!("{topic}-value"), "version": 1}),
            "{line}"
        );
    }
}

/// Protobuf, as Confluent's ProtobufSerializer writes it against Apicurio:
/// the schema is a base64 `FileDescriptorProto` importing a file of its own
/// (registered by the serializer and named in `references`) and
/// `google/protobuf/timestamp.proto` (a well-known type, not registered).
/// eventdeck resolves both, picks the message by the message indexes and
/// decodes to exactly what protobuf's `MessageToDict` (proto3 JSON mapping,
/// `.proto` field names) gives for the producer's messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_records_from_confluents_serializer_decode_to_the_producers_input() {
    let url = registry_url();
    let topic = unique_topic("sr-protobuf");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "protobuf");
    assert_eq!(
        report["keys_written"], report["keys_read_back"],
        "Confluent's deserializer reads back the keys that were written"
    );
    let lines = tail(&Sandbox::new(), &topic, Some(&url));
    let values: Vec<&Value> = lines.iter().map(|l| &l["value"]).collect();
    let written: Vec<&Value> = listed(&report, "written");
    assert_eq!(values, written);
    let keys: Vec<&Value> = lines.iter().map(|l| &l["key"]).collect();
    let keys_written: Vec<&Value> = listed(&report, "keys_written");
    assert_eq!(keys, keys_written, "the keys decode too");
    for line in &lines {
        assert_eq!(line["kind"], "json", "{line}");
        assert_eq!(line["error"], Value::Null, "{line}");
        assert_eq!(
            line["schema"],
            json!({"id": report["schema_id"], "format": "protobuf", "subject": format!("{topic}-value"), "version": 1}),
            "{line}"
        );
        assert_eq!(
            line["key_schema"],
            json!({"id": report["key_schema_id"], "format": "protobuf", "subject": format!("{topic}-key"), "version": 1}),
            "{line}"
        );
        assert!(line.get("key_error").is_none(), "{line}");
    }
}

/// Apicurio's legacy framing (magic 0 and an 8-byte globalId, its 2.x
/// serializers' default), the id in Confluent's `__value_schema_id` header
/// and the globalId in Apicurio's `apicurio.value.globalId` header, each
/// around the same Avro datum Confluent's AvroSerializer wrote: all three
/// decode to the producer's input and name the same schema (a globalId is
/// looked up through Apicurio's own API, and shown beside the id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apicurio_framings_and_header_ids_decode_like_confluents() {
    let url = registry_url();
    let topic = unique_topic("sr-framings");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "framings");
    let lines = tail(&Sandbox::new(), &topic, Some(&url));
    assert_eq!(lines.len(), 3);
    let schema = json!({"id": report["schema_id"], "format": "avro",
        "subject": format!("{topic}-value"), "version": 1});
    let with_global = {
        let mut s = schema.clone();
        s["global_id"] = report["global_id"].clone();
        s
    };
    for (line, (key, expected)) in lines.iter().zip([
        ("legacy", &with_global),
        ("confluent-header", &schema),
        ("apicurio-header", &with_global),
    ]) {
        assert_eq!(line["key"], key);
        assert_eq!(line["error"], Value::Null, "{line}");
        assert_eq!(line["value"], report["written"][0], "{key}");
        assert_eq!(&line["schema"], expected, "{key}");
    }
}

/// The console's path: records read while their schema is fetched are kept
/// pending (raw, not waited for); when the fetch ends, they are read again
/// off the app loop (`runtime::redecode`, sent back as `SchemaRedecoded`)
/// and the list and the record view show them decoded, with their schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_schema_records_pending_then_decoded() {
    use eventdeck::domain::schema::{Lookup, SchemaId, SchemaSource};
    use eventdeck::tui::event::WorkerMsg;
    let url = registry_url();
    let topic = unique_topic("sr-console");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "protobuf");
    let records = read_all(&topic).await;
    assert_eq!(records.len(), 2);
    let cache = registry_cache(url);
    let mut fetched = cache.fetched();
    let mut app = support::tui::app();
    app.panes
        .streams
        .set_schemas(Some(std::sync::Arc::new(cache.clone())));
    app.ingest(records);
    assert!(app.panes.streams.has_schema_pending());
    let id = u32::try_from(report["schema_id"].as_u64().expect("id")).expect("u32");
    let key_id = u32::try_from(report["key_schema_id"].as_u64().expect("id")).expect("u32");
    // Both fetches end (the key's schema may be the value's: one fetch).
    tokio::time::timeout(Duration::from_secs(60), async {
        while !matches!(
            (
                cache.lookup(SchemaId::Id(id)),
                cache.lookup(SchemaId::Id(key_id))
            ),
            (Lookup::Ready(_), Lookup::Ready(_))
        ) {
            let _ = fetched.changed().await;
        }
    })
    .await
    .expect("the schemas are fetched within a minute");
    let pending = app.panes.streams.pending_schema_records(100);
    assert_eq!(pending.len(), 2);
    let topics = app.panes.streams.topic_map().clone();
    let again = tokio::task::spawn_blocking(move || {
        eventdeck::tui::runtime::redecode(pending, &topics, &cache)
    })
    .await
    .expect("redecode");
    app.apply(WorkerMsg::SchemaRedecoded {
        generation: app.generation(),
        records: again,
    });
    assert!(!app.panes.streams.has_schema_pending());
    let row = support::tui::screen(&app, 160, 30);
    // The row's summary: the decoded value (serde_json's objects keep their
    // keys sorted).
    assert!(
        row.contains(r#"{"code":-7,"id":"o-2","placed":"1969-12-31T23:59:59Z"}"#),
        "{row}"
    );
    app.press("k enter");
    let view = support::tui::screen(&app, 160, 50);
    for shown in [
        format!("schema id {id}  subject {topic}-value  version 1  format protobuf"),
        format!("key schema id {key_id}  subject {topic}-key  version 1  format protobuf"),
        r#"key {"id":"o-1","region":3}"#.to_string(),
        r#""units": "9007199254740993""#.to_string(),
    ] {
        assert!(view.contains(&shown), "{shown}\n{view}");
    }
}

/// Every record of `topic` as eventdeck's reader hands it on.
async fn read_all(topic: &str) -> Vec<eventdeck::kafka::ConsumedRecord> {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = support::kafka_settings(dir.path());
    eventdeck::kafka::consume::read_from_beginning(&settings, &[topic.to_string()], None)
        .await
        .expect("tail")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_whose_schema_is_being_fetched_is_pending_then_decodes() {
    use eventdeck::domain::schema::{Lookup, SchemaId, SchemaSource};
    use eventdeck::domain::{RecordKind, SCHEMA_PENDING, TopicMap};
    use eventdeck::kafka::Arrived;
    let url = registry_url();
    let topic = unique_topic("sr-pending");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "order");
    let id = u32::try_from(report["schema_id"].as_u64().expect("id")).expect("u32");
    let records = read_all(&topic).await;
    assert_eq!(records.len(), 2);
    let cache = registry_cache(url);
    let topics = TopicMap::default();

    // Not fetched yet (a new cache): the reader does not wait, the record is
    // raw and pending. (Only this first answer is sure to be pending: the
    // fetch may be done by the next.)
    let pending = records[0].decode_with(&topics, &cache);
    assert_eq!(pending.kind(), RecordKind::Raw);
    assert!(
        pending
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with(SCHEMA_PENDING)),
        "{:?}",
        pending.error
    );

    // The fetcher thread fills the cache; a later read decodes.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let id = SchemaId::Id(id);
    while !matches!(cache.lookup(id), Lookup::Ready(_)) {
        assert!(
            std::time::Instant::now() < deadline,
            "{id} was not fetched within a minute: {:?}",
            cache.lookup(id)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let decoded = records[1].decode_with(&topics, &cache);
    assert_eq!(decoded.error, None);
    assert_eq!(decoded.schema_value.as_ref(), Some(&report["written"][1]));
    let again = Arrived::read_with(records[0].clone(), &topics, &cache);
    assert_eq!(
        (again.glance.kind, again.glance.has_error),
        (RecordKind::Json, false)
    );
    assert!(again.summary.starts_with('{'), "{}", again.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_written_as_avro_is_an_envelope() {
    let url = registry_url();
    let topic = unique_topic("sr-avro-envelope");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "envelope");
    let lines = tail(&Sandbox::new(), &topic, Some(&url));
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["value"], report["written"][0]);
    assert_eq!(line["kind"], "envelope", "{line}");
    assert_eq!(line["event"]["context"], "debate");
    assert_eq!(line["event"]["event_type"], "DecisionMade");
    assert_eq!(
        line["event"]["correlation_id"],
        "22222222-2222-4222-8222-222222222222"
    );
    assert_eq!(line["value"]["occurred_at"], "2024-05-01T10:00:00.250Z");
    // The envelope's canonical form of the same instant.
    assert_eq!(line["event"]["occurred_at"], "2024-05-01T10:00:00.250000Z");
    assert_eq!(
        line["event"]["data"],
        json!({"decision": "adopt avro", "votes": 3})
    );
    assert_eq!(line["schema"]["format"], "avro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_id_and_a_registry_that_is_down_are_raw_with_the_reason() {
    let url = registry_url();
    let topic = unique_topic("sr-unknown");
    create_topic(&topic, 1).await;
    // Framed with an id no registry has given out.
    let framed: &[u8] = &[0, 0x7f, 0xff, 0xff, 0xf0, 0x02, b'a'];
    let out = support::kcat_with_stdin(&["-P", "-t", &topic], Some(framed));
    assert!(out.status.success(), "kcat: {}", stderr(&out));
    let sandbox = Sandbox::new();

    let lines = tail(&sandbox, &topic, Some(&url));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["kind"], "raw");
    assert_eq!(lines[0]["schema"]["id"], 0x7fff_fff0);
    let error = lines[0]["error"].as_str().expect("an error");
    assert!(
        error.starts_with("schema id 2147483632: the schema registry has no schema with id"),
        "{error}"
    );

    // Nothing listens on port 9 (discard) of loopback.
    let lines = tail(&sandbox, &topic, Some("http://127.0.0.1:9"));
    let error = lines[0]["error"].as_str().expect("an error");
    assert!(
        error.contains("the schema registry at http://127.0.0.1:9 is unreachable"),
        "{error}"
    );
    assert_eq!(lines[0]["kind"], "raw");
}

// Writing: `eventdeck inject --schema SUBJECT[:VERSION]` encodes with the
// subject's schema in Confluent's framing, and Confluent's own deserializers
// read back exactly the value given.

/// The topic's first `count` values as Confluent's deserializer for `format`
/// (avro, json, protobuf) reads them (tests/python/schema_producer.py
/// `read:FORMAT`).
fn python_reads(topic: &str, format: &str, count: usize) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/schema_producer.py");
    let mut cmd = Command::new(python_with("confluent_kafka.schema_registry.avro"));
    cmd.arg(script).args([
        &bootstrap(),
        &registry_url(),
        topic,
        &format!("read:{format}"),
        &count.to_string(),
    ]);
    let out = run_capped(cmd, Duration::from_secs(180));
    assert!(
        out.status.success(),
        "the Python reader failed: {}",
        stderr(&out)
    );
    let report: Value = serde_json::from_str(stdout(&out).trim()).expect("the reader's report");
    report["read"].as_array().expect("read").clone()
}

/// `eventdeck inject --topic TOPIC --type TYPE --data DATA --schema SPEC
/// --json [--schema-registry URL]`.
fn inject_with_schema(
    sandbox: &Sandbox,
    topic: &str,
    spec: &str,
    data: &Value,
) -> std::process::Output {
    let mut cmd = sandbox.eventdeck();
    cmd.env_remove("SCHEMA_REGISTRY_URL").args([
        "inject",
        "--topic",
        topic,
        "--type",
        "DecisionMade",
        "--data",
        &data.to_string(),
        "--schema",
        spec,
        "--schema-registry",
        &registry_url(),
        "--json",
    ]);
    run_capped(cmd, Duration::from_secs(120))
}

fn end_of(topic: &str) -> i64 {
    support::end_offsets(topic).iter().map(|(_, end)| end).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_injected_with_a_subjects_schema_reads_back_in_confluents_deserializer() {
    let url = registry_url();
    let topic = unique_topic("sr-inject-avro");
    create_topic(&topic, 1).await;
    let report = python_writes(&topic, "order");
    let subject = format!("{topic}-value");
    let mut order = listed(&report, "written")[0].clone();
    order["id"] = json!("o-3");
    order["total"] = json!("-0.05");
    order["note"] = Value::Null;
    let sandbox = Sandbox::new();
    let out = inject_with_schema(&sandbox, &topic, &subject, &order);
    assert!(out.status.success(), "inject: {}", stderr(&out));
    let answer: Value = serde_json::from_str(stdout(&out).trim()).expect("inject --json");
    assert_eq!(
        answer["schema"],
        json!({"subject": subject, "version": 1, "id": report["schema_id"], "format": "avro"})
    );
    let read = python_reads(&topic, "avro", 3);
    assert_eq!(
        read[2], order,
        "Confluent's AvroDeserializer reads the value given"
    );
    let lines = tail(&sandbox, &topic, Some(&url));
    assert_eq!(lines[2]["value"], order, "and so does eventdeck");
    assert_eq!(lines[2]["schema"]["id"], report["schema_id"]);
    // The event's metadata travelled in headers: eventdeck reads the record
    // as that event again, the value its data.
    assert_eq!(lines[2]["kind"], "envelope", "{}", lines[2]);
    assert_eq!(
        lines[2]["event"]["event_type"], "DecisionMade",
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[2]["event"]["event_id"], answer["event_id"],
        "{}",
        lines[2]
    );
    assert_eq!(lines[2]["event"]["data"], order, "{}", lines[2]);
    // Confluent's records carry no such headers: plain JSON, as before.
    assert_eq!(lines[0]["kind"], "json", "{}", lines[0]);

    // A value that does not fit: every reason, and nothing written.
    let mut bad = order.clone();
    let fields = bad.as_object_mut().unwrap();
    fields.remove("total");
    fields.insert("state".into(), json!("LOST"));
    fields.insert("line".into(), json!({"sku": "a", "qty": "two"}));
    let out = inject_with_schema(&sandbox, &topic, &format!("{subject}:1"), &bad);
    assert!(!out.status.success(), "refused");
    let err = stderr(&out);
    for reason in [
        &format!(
            "the event does not fit {subject}:1 (avro, id {})",
            report["schema_id"]
        ),
        "line.qty: expected int, got text \"two\"",
        "state: `LOST` is not a symbol of enum State (NEW, PAID)",
        "missing field `total` (decimal)",
    ] {
        assert!(err.contains(reason), "{reason:?} in: {err}");
    }
    assert_eq!(end_of(&topic), 3, "nothing written");

    // A subject the registry does not have.
    let out = inject_with_schema(&sandbox, &topic, "no-such-subject-value", &order);
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .contains("the schema registry has no subject no-such-subject-value version latest"),
        "{}",
        stderr(&out)
    );
}

/// A schema of the whole envelope (event_id, event_type, …, data) is
/// written the whole envelope: what Confluent reads back is the event, and
/// eventdeck reads it as an envelope again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_schema_is_written_the_whole_event() {
    let url = registry_url();
    let topic = unique_topic("sr-inject-envelope");
    create_topic(&topic, 1).await;
    python_writes(&topic, "envelope");
    let subject = format!("{topic}-value");
    let sandbox = Sandbox::new();
    let data = json!({"decision": "adopt protobuf", "votes": 5});
    let out = inject_with_schema(&sandbox, &topic, &subject, &data);
    assert!(out.status.success(), "inject: {}", stderr(&out));
    let answer: Value = serde_json::from_str(stdout(&out).trim()).expect("inject --json");
    let read = python_reads(&topic, "avro", 2);
    assert_eq!(read[1]["event_id"], answer["event_id"]);
    assert_eq!(read[1]["correlation_id"], answer["correlation_id"]);
    assert_eq!(read[1]["event_type"], "DecisionMade");
    assert_eq!(read[1]["data"], data);
    let lines = tail(&sandbox, &topic, Some(&url));
    assert_eq!(lines[1]["kind"], "envelope", "{}", lines[1]);
    assert_eq!(
        lines[1]["event"]["event_id"], answer["event_id"],
        "{}",
        lines[1]
    );

    let out = inject_with_schema(&sandbox, &topic, &subject, &json!({"decision": "x"}));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("data: missing field `votes` (int)"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_schema_and_protobuf_injects_read_back_in_confluents_deserializers() {
    registry_url();
    let sandbox = Sandbox::new();

    let topic = unique_topic("sr-inject-json");
    create_topic(&topic, 1).await;
    python_writes(&topic, "json");
    let shipment = json!({"id": "s-3", "weight": 1.5, "parcels": [{"sku": "q", "qty": 4}],
                          "address": {"city": "Oslo"}, "note": null});
    let out = inject_with_schema(&sandbox, &topic, &format!("{topic}-value"), &shipment);
    assert!(out.status.success(), "inject: {}", stderr(&out));
    assert_eq!(python_reads(&topic, "json", 3)[2], shipment);
    let out = inject_with_schema(
        &sandbox,
        &topic,
        &format!("{topic}-value"),
        &json!({"id": "s-4", "parcels": [{"qty": "four"}]}),
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("parcels[0].qty: "), "{err}");
    assert!(err.contains("\"weight\" is a required property"), "{err}");
    assert_eq!(end_of(&topic), 3, "nothing written");

    let topic = unique_topic("sr-inject-protobuf");
    create_topic(&topic, 1).await;
    python_writes(&topic, "protobuf");
    let order = json!({"id": "o-9", "placed": "2024-06-01T08:30:00Z",
                       "total": {"units": "12", "nanos": 250000000, "currency_code": "NOK"},
                       "lines": [{"sku": "k", "qty": 1}], "channel": "WEB", "note": "gift"});
    let out = inject_with_schema(&sandbox, &topic, &format!("{topic}-value"), &order);
    assert!(out.status.success(), "inject: {}", stderr(&out));
    assert_eq!(python_reads(&topic, "protobuf", 3)[2], order);
}

/// `find --where` on a topic of Avro records judges the decoded value: a
/// number is not in an Avro record's bytes as text, and still matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_where_matches_the_decoded_fields_of_avro_records() {
    let url = registry_url();
    let topic = unique_topic("sr-find");
    create_topic(&topic, 1).await;
    python_writes(&topic, "order");
    let sandbox = Sandbox::new();
    let find = |registry: Option<&str>, wheres: &[&str]| {
        let mut cmd = sandbox.eventdeck();
        cmd.env_remove("SCHEMA_REGISTRY_URL")
            .args(["find", &topic, "--format", "json", "-q"]);
        for w in wheres {
            cmd.args(["--where", w]);
        }
        if let Some(url) = registry {
            cmd.args(["--schema-registry", url]);
        }
        run_capped(cmd, Duration::from_secs(120))
    };
    // o-2: line.qty 0, ratio -1.5, state NEW; o-1: qty 2, ratio 0.25, PAID.
    let out = find(Some(&url), &["line.qty=0", "ratio<0"]);
    assert!(out.status.success(), "found: {}", stderr(&out));
    let found = json_lines(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["value"]["id"], "o-2");
    assert_eq!(found[0]["schema"]["format"], "avro");
    let out = find(Some(&url), &["state=PAID"]);
    assert_eq!(json_lines(&out)[0]["value"]["id"], "o-1");
    // Without the registry the records are bytes: nothing to judge.
    let out = find(None, &["line.qty=0"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "nothing found: {}",
        stderr(&out)
    );
}

/// A sandbox config with one policy hiding the fields schemas tag `PII` or
/// `sensitive` (`"x-sensitive": true`).
fn tagged_policy_config(sandbox: &Sandbox) -> PathBuf {
    let path = sandbox.dir.path().join("config.toml");
    std::fs::write(
        &path,
        r#"
[[policies]]
name = "tagged-pii"
tagged = ["PII", "sensitive"]
"#,
    )
    .expect("write config");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_a_schema_tags_never_show_in_tail_policies_check_or_find() {
    let url = registry_url();
    for (case, hidden, kept) in [
        (
            "tagged-avro",
            ["/email", "/card/number"],
            [("/card/brand", "visa"), ("/id", "c-0")],
        ),
        (
            "tagged-json",
            ["/ssn", "/contact/phone"],
            [("/contact/city", "Bern"), ("/id", "p-0")],
        ),
    ] {
        let topic = unique_topic(&format!("sr-{case}"));
        create_topic(&topic, 1).await;
        let report = python_writes(&topic, case);
        let written = listed(&report, "written");
        let secrets: Vec<String> = written
            .iter()
            .flat_map(|w| hidden.iter().map(|p| w.pointer(p).expect("a secret")))
            .map(|v| v.as_str().expect("text").to_string())
            .collect();
        assert_eq!(secrets.len(), 4);
        let sandbox = Sandbox::new();
        let config = tagged_policy_config(&sandbox);
        for format in ["json", "pretty", "raw"] {
            let mut cmd = sandbox.eventdeck();
            cmd.env_remove("SCHEMA_REGISTRY_URL")
                .arg("--config")
                .arg(&config)
                .args(["tail", &topic, "--from", "beginning", "-e", "--format"])
                .args([format, "--schema-registry", &url]);
            let out = run_capped(cmd, Duration::from_secs(120));
            assert!(out.status.success(), "tail failed: {}", stderr(&out));
            let text = format!("{}\n{}", stdout(&out), stderr(&out));
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{case}: tail --format {format} shows {secret}:\n{text}"
                );
            }
            if format != "json" {
                continue;
            }
            let lines = json_lines(&out);
            assert_eq!(lines.len(), 2, "{case}: {text}");
            let line = &lines[0];
            assert_eq!(line["error"], Value::Null, "{case}: {line}");
            for p in hidden {
                assert_eq!(
                    line["value"].pointer(p),
                    Some(&json!("***")),
                    "{case}: {p} in {line}"
                );
            }
            for (p, v) in kept {
                assert_eq!(line["value"].pointer(p), Some(&json!(v)), "{case}: {line}");
            }
            // Masked, the line still names the schema it was written with.
            let format_name = if case == "tagged-avro" {
                "avro"
            } else {
                "json"
            };
            assert_eq!(line["schema"]["format"], format_name, "{case}: {line}");
            assert!(line["schema"]["id"].is_u64(), "{case}: {line}");
        }
        // `policies check` says which fields it hit, never a value; `find`
        // cannot find a record by a hidden value.
        let run = |args: &[&str]| {
            let mut cmd = sandbox.eventdeck();
            cmd.env_remove("SCHEMA_REGISTRY_URL")
                .arg("--config")
                .arg(&config)
                .args(args)
                .args(["--schema-registry", &url]);
            run_capped(cmd, Duration::from_secs(120))
        };
        let out = run(&["policies", "check", &topic]);
        assert!(out.status.success(), "policies check: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("policy tagged-pii: 2 of 2 records hit"),
            "{case}: {text}"
        );
        let first_hidden = hidden[0].trim_start_matches('/').replace('/', ".");
        assert!(
            text.contains(&format!("value {first_hidden}")),
            "{case}: {text}"
        );
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{case}: {text}");
            let out = run(&["find", &topic, "--text", secret]);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{case}: find --text {secret}: {}{}",
                stdout(&out),
                stderr(&out)
            );
        }
        // Without the policy, the same records show the values (what was
        // hidden was there).
        let plain = tail(&sandbox, &topic, Some(&url));
        assert_eq!(plain[0]["value"], *written[0], "{case}");
    }
}
