//! `eventdeck schemas` against a real schema registry (Apicurio Registry
//! 3.3.3's Confluent-compatible API, `scripts/schema-registry`) and real
//! Apache Kafka, driven as a person would:
//! - `register` is a dry run until `--execute` (it says whether the subject
//!   holds the schema already and what the registry thinks of its
//!   compatibility), is refused in read-only mode, and leaves one audit line;
//! - `list` shows each subject's latest version, id, format and
//!   compatibility level as the registry's own API says them, and the topic
//!   named after it (`<topic>-value`);
//! - `show` prints a version's text pretty-printed, `diff` the lines between
//!   two versions;
//! - no registry, a registry down and a bad schema file are one clear line
//!   with exit code 2.
//!
//! Each test registers its own subjects (`ed-schemas-<uuid>-…`): the registry
//! is shared, and other tests register theirs at the same time.

mod support;

use eventdeck::domain::schema::SchemaFormat;
use eventdeck::schema_registry::RegistryClient;
use serde_json::Value;
use support::admin::audit_lines;
use support::{Sandbox, create_topic, registry_url, run, stderr, stdout, unique_topic};

const V1: &str = r#"{"type":"record","name":"Decision","namespace":"debate","fields":[{"name":"decision","type":"string"},{"name":"votes","type":"int"}]}"#;
/// V1 with a field added, with a default: compatible under BACKWARD.
const V2: &str = r#"{"type":"record","name":"Decision","namespace":"debate","fields":[{"name":"decision","type":"string"},{"name":"votes","type":"int"},{"name":"note","type":["null","string"],"default":null}]}"#;

/// The registry's own client, for setting up and checking.
fn client(url: &str) -> RegistryClient {
    RegistryClient::new(&eventdeck::config::SchemaRegistry {
        url: Some(url.into()),
        ..Default::default()
    })
    .expect("client")
    .expect("a registry")
}

/// `eventdeck --schema-registry URL ARGS…`.
fn schemas(sandbox: &Sandbox, url: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = sandbox.eventdeck();
    cmd.arg("--schema-registry")
        .arg(url)
        .arg("schemas")
        .args(args);
    run(cmd)
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed ({:?}):\n{}{}",
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

fn subject(what: &str) -> String {
    format!(
        "ed-schemas-{}-{what}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

#[test]
fn register_is_a_dry_run_until_execute_is_refused_read_only_and_audited() {
    let url = registry_url();
    let registry = client(&url);
    let sandbox = Sandbox::new();
    let subject = subject("value");
    let v1 = sandbox.dir.path().join("v1.avsc");
    let v2 = sandbox.dir.path().join("v2.avsc");
    std::fs::write(&v1, V1).unwrap();
    std::fs::write(&v2, V2).unwrap();
    let v1s = v1.to_str().unwrap();
    let v2s = v2.to_str().unwrap();

    // A dry run: says what would happen, changes nothing, audits nothing.
    let out = schemas(
        &sandbox,
        &url,
        &["register", &subject, v1s, "--type", "avro"],
    );
    let text = ok(&out);
    assert!(
        text.starts_with(&format!(
            "would create subject {subject} with the avro schema"
        )),
        "{text}"
    );
    assert!(
        stderr(&out).contains("dry run: nothing changed"),
        "{}",
        stderr(&out)
    );
    assert!(!registry.subjects().unwrap().contains(&subject));
    assert!(audit_lines(&sandbox).is_empty());

    // Read-only: refused before the registry is asked, exit 2.
    let mut cmd = sandbox.eventdeck();
    cmd.args([
        "--read-only",
        "--schema-registry",
        &url,
        "schemas",
        "register",
    ])
    .args([&subject, v1s, "--type", "avro", "--execute"]);
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("read-only mode: schemas.register is a mutating action and is refused"),
        "{}",
        stderr(&out)
    );
    assert!(!registry.subjects().unwrap().contains(&subject));
    assert!(audit_lines(&sandbox).is_empty());

    // Executed: registered, and one audit line with what the registry gave.
    let out = schemas(
        &sandbox,
        &url,
        &["register", &subject, v1s, "--type", "avro", "--execute"],
    );
    assert!(
        ok(&out).starts_with("will create subject"),
        "{}",
        stdout(&out)
    );
    let v = registry.subject_version(&subject, None).unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "registered subject {subject} version 1: schema id {}",
            v.schema.id
        )
    );
    let audit = audit_lines(&sandbox);
    assert_eq!(audit.len(), 1, "{audit:?}");
    let line = &audit[0];
    assert_eq!(line["action"], "schemas.register");
    assert_eq!(line["source"], "headless");
    assert_eq!(line["params"]["subject"], Value::from(subject.clone()));
    assert_eq!(line["params"]["format"], "avro");
    assert_eq!(line["params"]["registry"], Value::from(url.clone()));
    assert_eq!(line["outcome"]["id"], v.schema.id);
    assert_eq!(line["outcome"]["version"], 1);

    // The same schema again: the dry run says nothing would change.
    let out = schemas(
        &sandbox,
        &url,
        &["register", &subject, v1s, "--type", "avro"],
    );
    assert!(
        ok(&out).contains(&format!(
            "it holds this schema already as version 1 (id {})",
            v.schema.id
        )),
        "{}",
        stdout(&out)
    );

    // A new version: the registry's compatibility verdict is quoted.
    let level = registry.compatibility(&subject).unwrap();
    let verdict = registry
        .is_compatible(&subject, SchemaFormat::Avro, V2)
        .unwrap()
        .expect("a version to compare with");
    let out = schemas(
        &sandbox,
        &url,
        &["register", &subject, v2s, "--type", "avro"],
    );
    let text = ok(&out);
    assert!(
        text.contains("as a new version of subject") && text.contains("(latest: version 1)"),
        "{text}"
    );
    assert!(text.contains(&format!("compatibility {level}:")), "{text}");
    assert_eq!(text.contains("NOT compatible"), !verdict, "{text}");
    assert_eq!(registry.versions(&subject).unwrap(), [1]);

    // A file that is no schema: refused with the parser's words, exit 2.
    let bad = sandbox.dir.path().join("bad.avsc");
    std::fs::write(&bad, r#"{"type":"record","name":"X"}"#).unwrap();
    let out = schemas(
        &sandbox,
        &url,
        &[
            "register",
            &subject,
            bad.to_str().unwrap(),
            "--type",
            "avro",
            "--execute",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a valid avro schema"),
        "{}",
        stderr(&out)
    );
    assert_eq!(audit_lines(&sandbox).len(), 1);
}

#[tokio::test]
async fn list_show_and_diff_say_what_the_registry_says() {
    let url = registry_url();
    let registry = client(&url);
    let sandbox = Sandbox::new();
    let topic = unique_topic("ed-schemas");
    create_topic(&topic, 1).await;
    let value = format!("{topic}-value");
    let id1 = registry.register(&value, SchemaFormat::Avro, V1).unwrap();
    let id2 = registry.register(&value, SchemaFormat::Avro, V2).unwrap();
    let proto = subject("proto");
    let proto_text = "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  int32 qty = 2;\n}\n";
    let proto_id = registry
        .register(&proto, SchemaFormat::Protobuf, proto_text)
        .unwrap();

    // list: the latest version, id, format, compatibility and topic.
    let out = schemas(&sandbox, &url, &["list", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&ok(&out)).expect("JSON");
    let row = |s: &str| {
        listed
            .iter()
            .find(|r| r["subject"] == s)
            .unwrap_or_else(|| panic!("{s} not listed: {listed:?}"))
            .clone()
    };
    let v = row(&value);
    assert_eq!(v["latest"], 2);
    assert_eq!(v["id"], id2);
    assert_eq!(v["format"], "avro");
    assert_eq!(
        v["compatibility"],
        Value::from(registry.compatibility(&value).unwrap())
    );
    assert_eq!(v["topics"], serde_json::json!([topic]));
    let p = row(&proto);
    assert_eq!(
        (p["latest"].clone(), p["format"].clone()),
        (1.into(), "protobuf".into())
    );
    assert_eq!(p["id"], proto_id);
    assert_eq!(p["topics"], serde_json::json!([]));
    // The table says the same.
    let out = schemas(&sandbox, &url, &["list"]);
    let table = ok(&out);
    assert!(table.starts_with("SUBJECT"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with(&value))
        .expect("the subject's row");
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1..4], ["2", &id2.to_string(), "avro"], "{line}");
    assert_eq!(cells.last(), Some(&topic.as_str()), "{line}");

    // show: the version's facts and its text pretty-printed, in its order.
    let out = schemas(&sandbox, &url, &["show", &value, "--version", "1"]);
    let text = ok(&out);
    assert!(text.contains("versions       1, 2\n"), "{text}");
    assert!(text.contains(&format!("id             {id1}\n")), "{text}");
    assert!(
        text.contains("\n{\n  \"type\": \"record\",\n  \"name\": \"Decision\",\n"),
        "{text}"
    );
    let out = schemas(&sandbox, &url, &["show", &value, "--json"]);
    let shown: Value = serde_json::from_str(&ok(&out)).expect("JSON");
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["versions"], serde_json::json!([1, 2]));
    assert_eq!(shown["references"], serde_json::json!([]));
    let pretty = shown["schema"].as_str().unwrap();
    let reparsed: Value = serde_json::from_str(pretty).unwrap();
    assert_eq!(reparsed, serde_json::from_str::<Value>(V2).unwrap());
    // Protobuf text as written.
    let out = schemas(&sandbox, &url, &["show", &proto, "--json"]);
    let shown: Value = serde_json::from_str(&ok(&out)).expect("JSON");
    assert_eq!(shown["schema"], proto_text);
    assert_eq!(shown["format"], "protobuf");

    // diff: the added field, and nothing else.
    let out = schemas(&sandbox, &url, &["diff", &value, "1", "latest"]);
    let text = ok(&out);
    assert!(
        text.starts_with(&format!(
            "--- {value} version 1 (id {id1})\n+++ {value} version 2 (id {id2})\n"
        )),
        "{text}"
    );
    let changed: Vec<&str> = text
        .lines()
        .skip(2)
        .filter(|l| !l.starts_with(' '))
        .collect();
    let removed: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|l| l.starts_with('-'))
        .collect();
    let added: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|l| l.starts_with('+'))
        .collect();
    // V1's last field closes with `}`, V2's with `},` then the new field.
    assert!(removed.iter().all(|l| *l == "-    }"), "{text}");
    assert!(removed.len() <= 1, "{text}");
    assert!(added.contains(&"+      \"name\": \"note\","), "{text}");
    assert!(added.contains(&"+      \"default\": null"), "{text}");
    assert!(
        stderr(&out).contains(&format!(
            "version 1 → 2: {} line(s) added, {} removed",
            added.len(),
            removed.len()
        )),
        "{}",
        stderr(&out)
    );
    let out = schemas(&sandbox, &url, &["diff", &value, "1", "2", "--json"]);
    let d: Value = serde_json::from_str(&ok(&out)).expect("JSON");
    assert_eq!(d["from"], serde_json::json!({"version": 1, "id": id1}));
    assert_eq!(d["to"], serde_json::json!({"version": 2, "id": id2}));
    let ops: Vec<&str> = d["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops.iter().filter(|o| **o == "insert").count(), added.len());
    assert_eq!(
        ops.iter().filter(|o| **o == "delete").count(),
        removed.len()
    );

    // A version the subject does not have: one line, exit 2.
    let out = schemas(&sandbox, &url, &["show", &value, "--version", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the schema registry has no"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_a_registry_or_with_one_down_it_says_so() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.eventdeck();
    cmd.args(["schemas", "list"]);
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no schema registry configured: pass --schema-registry URL"),
        "{}",
        stderr(&out)
    );
    // Port 9 (discard) on loopback: nothing listens there.
    let out = schemas(&sandbox, "http://127.0.0.1:9", &["show", "x-value"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the schema registry at http://127.0.0.1:9 is unreachable"),
        "{}",
        stderr(&out)
    );
}
