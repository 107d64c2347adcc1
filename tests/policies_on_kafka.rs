//! Data policies on real Kafka, through the real binary: records seeded with
//! known secrets (an email in the value, a token in a header, a card number in
//! the key, a password nested 5 levels deep) never show in `tail` (every
//! format), `dlq list`/`dlq show`, `find`, `policies check`, nor the log file;
//! a filter cannot find a record by a hidden value but finds it by its hash;
//! a redrive, a replay and the console's re-inject of a masked record still
//! send the original bytes; `--unmask` is refused without
//! `allow_unmask` and allowed (and audited) with it.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::*;

const EMAIL: &str = "alice.secret@example.com";
const TOKEN: &str = "tok-Zq81-secret-7781";
const CARD: &str = "4111222233334444";
const PASSWORD: &str = "pw-Deep-5531-hunter2";
const SECRETS: [&str; 4] = [EMAIL, TOKEN, CARD, PASSWORD];

/// What a careless `grep` for a secret would also find: the card's first
/// twelve digits (the policy keeps its last four).
const CARD_HEAD: &str = "411122223333";

fn config(dir: &Path) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        r#"
[[policies]]
name = "pii-email"
topic = "pol-*"
fields = ["data.customer.email"]
action = "hash"

[[policies]]
name = "passwords"
event_type = "Order*"
context = "debate"
fields = ["**.password"]

[[policies]]
name = "other-context"
context = "billing"
fields = ["data.a"]

[[policies]]
name = "auth-token"
headers = ["tok*"]
action = "remove"

[[policies]]
name = "card-key"
key = true
keep_last = 4
no_reinject = true

[profiles.open]
allow_unmask = true

[profiles.closed]
"#,
    )
    .expect("write config");
    path
}

fn envelope(n: u32) -> String {
    serde_json::json!({
        "event_id": uuid::Uuid::new_v4(),
        "event_type": "OrderPlaced",
        "schema_version": 1,
        "context": "debate",
        "aggregate_id": format!("order-{n}"),
        "occurred_at": "2026-01-01T00:00:00Z",
        "correlation_id": uuid::Uuid::new_v4(),
        "causation_id": null,
        "data": {
            "n": n,
            "customer": {"email": EMAIL, "name": "Alice"},
            "a": {"b": {"c": {"d": {"password": PASSWORD, "kept": "visible-ok"}}}}
        }
    })
    .to_string()
}

struct Setup {
    sandbox: Sandbox,
    config: PathBuf,
    topic: String,
    dlq: String,
}

async fn seeded() -> Setup {
    let sandbox = Sandbox::new();
    let config = config(sandbox.dir.path());
    let topic = unique_topic("pol-orders");
    let dlq = format!("{topic}.dlq");
    create_topic(&topic, 1).await;
    create_topic(&dlq, 1).await;
    for n in 0..2 {
        kcat_produce(
            &topic,
            CARD,
            &envelope(n),
            &[("token", TOKEN), ("trace", "t-1")],
        );
    }
    kcat_produce(
        &dlq,
        CARD,
        &envelope(9),
        &[
            ("token", TOKEN),
            ("x-original-topic", &topic),
            ("x-exception-fqcn", "java.lang.IllegalStateException"),
            ("x-exception-message", "handler failed"),
        ],
    );
    Setup {
        sandbox,
        config,
        topic,
        dlq,
    }
}

impl Setup {
    /// Runs the binary with the test's config file and `args`, capped.
    fn eventdeck(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.sandbox.eventdeck();
        cmd.arg("--config").arg(&self.config).args(args);
        run_capped(cmd, Duration::from_secs(60))
    }

    /// `eventdeck [GLOBAL…] tail TOPIC --from beginning --exit [ARGS…]`, which must succeed.
    fn tail(&self, global: &[&str], args: &[&str]) -> std::process::Output {
        let t = self.topic.as_str();
        let mut all: Vec<&str> = global.to_vec();
        all.extend(["tail", t, "--from", "beginning", "--exit"]);
        all.extend(args);
        self.ok(&all)
    }

    fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.eventdeck(args);
        assert!(
            out.status.success(),
            "eventdeck {args:?} failed: {}",
            stderr(&out)
        );
        out
    }
}

/// Fails naming the surface and the secret when any secret is in `text`.
fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS.iter().chain(&[CARD_HEAD]) {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret}:\n{text}"
        );
    }
}

fn both(out: &std::process::Output) -> String {
    format!("{}\n{}", stdout(out), stderr(out))
}

#[tokio::test]
async fn no_secret_shows_on_any_headless_surface_nor_in_the_log() {
    let s = seeded().await;
    let t = s.topic.as_str();

    // tail, in every format it has.
    for format in ["json", "pretty", "raw"] {
        let out = s.tail(&[], &["--format", format]);
        assert_no_secret(&format!("tail --format {format}"), &both(&out));
        assert!(
            !stdout(&out).trim().is_empty(),
            "tail --format {format} printed nothing"
        );
    }
    // Read-only changes nothing about the policies.
    let out = s.tail(&["--read-only"], &["--format", "json"]);
    assert_no_secret("tail --read-only", &both(&out));

    // What json shows instead: the email's hash (equal in both records), the
    // card's last four, no token header, the password masked and its
    // neighbour untouched.
    let out = s.tail(&[], &["--format", "json"]);
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    let hash = lines[0]["value"]["data"]["customer"]["email"]
        .as_str()
        .expect("the email's hash")
        .to_string();
    assert!(hash.starts_with("sha256:"), "{hash}");
    assert_eq!(
        lines[1]["value"]["data"]["customer"]["email"],
        hash.as_str()
    );
    assert_eq!(lines[0]["key"], "***4444");
    assert_eq!(lines[0]["headers"]["token"], Value::Null);
    assert!(lines[0]["headers"].get("token").is_none(), "{}", lines[0]);
    assert_eq!(lines[0]["headers"]["trace"], "t-1");
    let deep = &lines[0]["value"]["data"]["a"]["b"]["c"]["d"];
    assert_eq!(deep["password"], "***");
    assert_eq!(deep["kept"], "visible-ok");
    assert_eq!(lines[0]["value"]["data"]["customer"]["name"], "Alice");
    // The envelope still decodes as one (its identity is not a target).
    assert_eq!(lines[0]["kind"], "envelope");
    assert_eq!(
        lines[0]["event"]["data"]["customer"]["email"],
        hash.as_str()
    );

    // dlq list (text and JSON) and dlq show.
    let d = s.dlq.as_str();
    let out = s.ok(&["dlq", "list", d]);
    assert_no_secret("dlq list", &both(&out));
    assert!(stdout(&out).contains("1 dead letters"), "{}", stdout(&out));
    let out = s.ok(&["dlq", "list", d, "--json"]);
    assert_no_secret("dlq list --json", &both(&out));
    let out = s.ok(&["dlq", "show", d, "0", "0"]);
    assert_no_secret("dlq show", &both(&out));
    let shown: Value = serde_json::from_str(&stdout(&out)).expect("dlq show prints JSON");
    assert_eq!(shown["key"], "***4444");
    assert_eq!(shown["dead_letter"]["error_message"], "handler failed");
    // A redrive filter cannot pick a record by a hidden value...
    let out = s.ok(&["dlq", "redrive", d, "--filter", EMAIL, "--dry-run"]);
    assert!(
        stdout(&out).contains("would redrive 0 record(s)"),
        "{}",
        stdout(&out)
    );

    // find: the clear text matches nothing, the hash finds both records.
    for args in [
        vec!["find", t, "--text", EMAIL],
        vec!["find", t, "--text", TOKEN],
        vec!["find", t, "--key", CARD],
    ] {
        let mut a = args.clone();
        a.extend(["--format", "json"]);
        let out = s.eventdeck(&a);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{a:?} found something: {}",
            both(&out)
        );
        assert!(stdout(&out).trim().is_empty(), "{}", stdout(&out));
    }
    let by_hash = format!("data.customer.email={hash}");
    let out = s.ok(&["find", t, "--where", &by_hash, "--format", "json"]);
    assert_no_secret("find by hash", &both(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", both(&out));
    let out = s.ok(&["find", t, "--text", "visible-ok", "--format", "pretty"]);
    assert_no_secret("find --text", &both(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", both(&out));

    // policies check: which fields of which records, never a value.
    let out = s.ok(&["policies", "check", t, "--count", "10"]);
    let text = stdout(&out);
    assert_no_secret("policies check", &both(&out));
    assert!(text.contains(&format!("{t}: 2 records read")), "{text}");
    assert!(
        text.contains("policy pii-email: 2 of 2 records hit"),
        "{text}"
    );
    assert!(text.contains("value data.customer.email"), "{text}");
    assert!(text.contains("value data.a.b.c.d.password"), "{text}");
    assert!(
        text.contains("policy auth-token: 2 of 2 records hit"),
        "{text}"
    );
    assert!(text.contains("header token"), "{text}");
    assert!(
        text.contains("policy card-key: 2 of 2 records hit"),
        "{text}"
    );
    assert!(
        text.contains("policy other-context: 0 of 2 records hit"),
        "{text}"
    );
    let out = s.ok(&["policies", "check", t, "--json"]);
    assert_no_secret("policies check --json", &both(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["records_read"], 2);

    // Nothing of it reached the log file.
    let log =
        std::fs::read_to_string(s.sandbox.data_dir().join("eventdeck.log")).unwrap_or_default();
    assert_no_secret("the log file", &log);
    let audit =
        std::fs::read_to_string(s.sandbox.data_dir().join("audit.jsonl")).unwrap_or_default();
    assert_no_secret("the audit log", &audit);
}

#[tokio::test]
async fn writing_back_sends_the_original_bytes() {
    let s = seeded().await;
    let target = unique_topic("pol-redriven");
    create_topic(&target, 1).await;
    s.ok(&["dlq", "redrive", &s.dlq, "--to-topic", &target]);
    let read = kcat_read(&target, "%k|%s\n");
    let (key, value) = read.trim_end().split_once('|').expect("one record");
    assert_eq!(key, CARD);
    let original = kcat_read(&s.dlq, "%s\n");
    assert_eq!(
        value,
        original.trim_end(),
        "the value is redriven byte for byte"
    );
    assert!(value.contains(EMAIL) && value.contains(PASSWORD));
}

#[tokio::test]
async fn replay_sends_the_original_bytes() {
    let s = seeded().await;
    let target = unique_topic("pol-replayed");
    create_topic(&target, 1).await;
    let out = s.ok(&[
        "replay",
        "--topic",
        &s.topic,
        "--from",
        "2000-01-01T00:00:00Z",
        "--to-topic",
        &target,
    ]);
    assert_no_secret("replay", &both(&out));
    // Key, value and every header the originals had, byte for byte (the
    // copies add their own replay headers after them).
    let format = "%k|%s|%h\n";
    let originals = kcat_read(&s.topic, format);
    let copies = kcat_read(&target, format);
    let originals: Vec<&str> = originals.lines().collect();
    let copies: Vec<&str> = copies.lines().collect();
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert_eq!(originals.len(), 2, "{originals:?}");
    for (copy, original) in copies.iter().zip(&originals) {
        let (orig_kv, orig_headers) = original.rsplit_once('|').expect("k|v|h");
        let (copy_kv, copy_headers) = copy.rsplit_once('|').expect("k|v|h");
        assert_eq!(
            copy_kv, orig_kv,
            "the key and value are replayed byte for byte"
        );
        assert!(
            copy_headers.starts_with(orig_headers),
            "the original headers are kept as they were: {copy_headers} vs {orig_headers}"
        );
        assert!(copy.contains(EMAIL) && copy.contains(PASSWORD) && copy.contains(TOKEN));
        assert!(copy.starts_with(&format!("{CARD}|")), "{copy}");
    }
}

#[tokio::test]
async fn the_console_re_injects_a_masked_record_as_its_original_bytes() {
    use eventdeck::tui::App;
    use eventdeck::tui::event::{AdminReply, AdminRequest, Command, OriginalRecord};
    let s = seeded().await;
    // The card-key policy without no_reinject: the console may send it.
    let text = std::fs::read_to_string(&s.config).expect("config");
    std::fs::write(&s.config, text.replace("no_reinject = true", "")).expect("config");
    let data = s.sandbox.data_dir();
    std::fs::create_dir_all(&data).expect("data dir");
    let settings = settings_from_config(&s.config, &data);
    // The record as a console reader hands it over: read, then masked.
    let read = kcat_read(&s.topic, "%T|%k|%s\n");
    let (time, key_value) = read
        .lines()
        .next()
        .expect("a record")
        .split_once('|')
        .expect("T|k|v");
    let (key, value) = key_value.split_once('|').expect("k|v");
    let record = eventdeck::kafka::ConsumedRecord {
        topic: s.topic.clone(),
        partition: 0,
        offset: 0,
        // Its time as read: the record read again must have it.
        timestamp_ms: Some(time.parse().expect("a time")),
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
        headers: vec![
            ("token".to_string(), Some(TOKEN.as_bytes().to_vec())),
            ("trace".to_string(), Some(b"t-1".to_vec())),
        ]
        .into(),
    };
    let mut app = App::new(&support::tui::services_with(settings.clone()).0);
    app.ingest([record]);
    app.press("enter");
    app.press("r");
    app.type_text(&s.topic);
    app.press("enter");
    let req = app
        .take_commands()
        .into_iter()
        .find_map(|c| match c {
            Command::Admin(req) if matches!(*req, AdminRequest::ReinjectOriginal { .. }) => {
                Some(*req)
            }
            _ => None,
        })
        .expect("a re-inject of the original");
    // The list kept no copy of the record as read: it is read again from
    // Kafka, where it is.
    match &req {
        AdminRequest::ReinjectOriginal { record, .. } => assert!(
            matches!(record, OriginalRecord::InKafka { topic, partition: 0, offset: 0, .. } if *topic == s.topic),
            "{record:?}"
        ),
        other => panic!("{other:?}"),
    }
    let AdminReply::Done { result, .. } =
        eventdeck::tui::workers::admin::answer(&settings, req).await
    else {
        panic!("not a mutation's reply");
    };
    let done = result.expect("sent");
    assert_no_secret("the re-inject toast", &done);
    assert!(done.contains(&format!("{}[0]@2", s.topic)), "{done}");
    // kcat reads the copy back byte for byte as the original.
    let format = "%k|%s|%h\n";
    let all = kcat_read(&s.topic, format);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines[2], lines[0],
        "the copy is the original, byte for byte"
    );
    // Audited, without a value.
    let audit = std::fs::read_to_string(data.join("audit.jsonl")).expect("an audit line");
    assert_no_secret("the audit log", &audit);
    let entry: Value = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["action"] == "inject")
        .expect("an inject line");
    assert_eq!(entry["params"]["original_bytes"], true);
    assert_eq!(entry["params"]["from"], format!("{}[0]@0", s.topic));
    // Another record at the offset (a topic made again): refused, nothing sent.
    let elsewhere = AdminRequest::ReinjectOriginal {
        record: OriginalRecord::InKafka {
            topic: s.topic.clone(),
            partition: 0,
            offset: 1,
            timestamp_ms: Some(1),
            isolation: eventdeck::kafka::isolation::Isolation::ReadCommitted,
        },
        topic: s.topic.clone(),
        policies: vec!["pii-email".into()],
    };
    let AdminReply::Done { result, .. } =
        eventdeck::tui::workers::admin::answer(&settings, elsewhere).await
    else {
        panic!("not a mutation's reply");
    };
    let refused = result.expect_err("another record is not sent");
    assert!(refused.contains("another record"), "{refused}");
    assert_eq!(
        kcat_read(&s.topic, format).lines().count(),
        3,
        "nothing sent"
    );
}

#[tokio::test]
async fn unmask_is_refused_without_allow_unmask_and_audited_with_it() {
    let s = seeded().await;
    let t = s.topic.as_str();
    for profile in [None, Some("closed")] {
        let mut args = vec![];
        if let Some(p) = profile {
            args.extend(["--profile", p]);
        }
        args.extend(["--unmask", "tail", t, "--from", "beginning", "--exit"]);
        let out = s.eventdeck(&args);
        assert!(!out.status.success(), "{args:?} was allowed");
        assert!(
            stderr(&out).contains("--unmask is refused"),
            "{}",
            stderr(&out)
        );
        assert_no_secret("a refused --unmask", &both(&out));
    }
    assert!(
        !s.sandbox.data_dir().join("audit.jsonl").exists()
            || !std::fs::read_to_string(s.sandbox.data_dir().join("audit.jsonl"))
                .unwrap_or_default()
                .contains("policies.unmask"),
        "a refused --unmask left an audit line"
    );

    let out = s.tail(&["--profile", "open", "--unmask"], &["--format", "json"]);
    let text = stdout(&out);
    for secret in SECRETS {
        assert!(text.contains(secret), "--unmask hides {secret}:\n{text}");
    }
    let audit = std::fs::read_to_string(s.sandbox.data_dir().join("audit.jsonl"))
        .expect("--unmask leaves an audit line");
    let entry: Value = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["action"] == "policies.unmask")
        .expect("a policies.unmask line");
    assert_eq!(entry["profile"], "open");
    assert!(!entry["os_user"].as_str().unwrap_or("").is_empty());
    assert!(entry["time"].as_str().is_some_and(|t| t.starts_with("20")));
    assert_eq!(entry["params"]["policies"][0], "pii-email");
    // The same profile without --unmask is masked.
    let out = s.tail(&["--profile", "open"], &[]);
    assert_no_secret(
        "tail with an allow_unmask profile but no --unmask",
        &both(&out),
    );
}

/// What the console's re-inject reads again: the record at its offset, byte
/// for byte as kcat reads it; past the partition's end, an error that says
/// the record is gone.
#[tokio::test]
async fn a_record_read_again_by_its_offset_is_the_record_as_read_or_is_said_to_be_gone() {
    use eventdeck::kafka::KafkaError;
    use eventdeck::kafka::consume::read_at;
    let s = seeded().await;
    let data = s.sandbox.data_dir();
    let settings = settings_from_config(&s.config, &data);
    let (t, set) = (s.topic.clone(), settings.clone());
    let read = tokio::task::spawn_blocking(move || read_at(&set, &t, 0, 1, None))
        .await
        .expect("join")
        .expect("the record at offset 1");
    assert_eq!((read.partition, read.offset), (0, 1));
    let second = kcat_read(&s.topic, "%k|%s\n");
    let (key, value) = second
        .lines()
        .nth(1)
        .expect("two records")
        .split_once('|')
        .expect("k|v");
    assert_eq!(read.key.as_deref(), Some(key.as_bytes()));
    assert_eq!(read.value.as_deref(), Some(value.as_bytes()));
    assert_eq!(read.headers.get("token"), Some(Some(TOKEN.as_bytes())));
    let (t, set) = (s.topic.clone(), settings.clone());
    let gone = tokio::task::spawn_blocking(move || read_at(&set, &t, 0, 7, None))
        .await
        .expect("join");
    match gone {
        Err(e @ KafkaError::RecordGone { .. }) => {
            let text = e.to_string();
            assert!(text.contains(&format!("{}[0]@7", s.topic)), "{text}");
            assert!(text.contains("ends at offset 2"), "{text}");
        }
        other => panic!("not gone: {other:?}"),
    }
}
