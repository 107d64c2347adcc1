//! Text from the cluster never reaches the terminal raw. Keys, headers,
//! values, group ids, client ids and dead-letter headers written with kcat to
//! real Kafka hold a clear-screen (`ESC[2J`), a window title (`ESC]0;x BEL`),
//! an OSC 52 clipboard write, the C1 CSI (U+009B, and the raw byte 0x9B) and
//! DEL; every human-readable output of the real binary shows them as `·` and
//! writes no control character but the newline. JSON output stays exact.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::*;

/// Every attack, as text (group ids and arguments must be UTF-8).
const HOSTILE: &str = "\x1b[2J\x1b]0;x\x07\x1b]52;c;Zm9v\x07\u{9b}\x7f";
/// The same as the console and the tables show it.
const SHOWN: &str = "·[2J·]0;x··]52;c;Zm9v···";
/// Every attack, as bytes: the raw C1 byte too (not UTF-8).
const HOSTILE_BYTES: &[u8] = b"\x1b[2J\x1b]0;x\x07\x1b]52;c;Zm9v\x07\xc2\x9b\x9b\x7f";

/// Fails when `out` holds a control character other than a newline: C0 and
/// DEL as bytes, C1 as characters of the UTF-8 text.
fn assert_no_controls(what: &str, out: &[u8]) {
    for (i, b) in out.iter().enumerate() {
        assert!(
            (*b >= 0x20 && *b != 0x7f) || *b == b'\n',
            "{what}: control byte {b:#04x} at {i} in:\n{}",
            String::from_utf8_lossy(out)
        );
    }
    let text = String::from_utf8_lossy(out);
    assert!(
        !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)),
        "{what}: a C1 control character in:\n{text}"
    );
}

fn os(bytes: &[u8]) -> &OsStr {
    OsStr::from_bytes(bytes)
}

fn eventdeck_ok(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    let mut cmd = sandbox.eventdeck();
    cmd.args(args);
    let out = run(cmd);
    assert!(
        out.status.success(),
        "eventdeck {args:?} failed: {}",
        stderr(&out)
    );
    out
}

/// Produces one record with kcat: key, value, headers as raw bytes.
fn produce_raw(topic: &str, key: &[u8], value: &[u8], headers: &[(&[u8], &[u8])]) {
    let mut args: Vec<&OsStr> = vec![
        os(b"-P"),
        os(b"-t"),
        OsStr::new(topic),
        os(b"-K"),
        os(b"\x01"),
    ];
    let hs: Vec<Vec<u8>> = headers
        .iter()
        .map(|(k, v)| [*k, b"=", *v].concat())
        .collect();
    for h in &hs {
        args.push(os(b"-H"));
        args.push(os(h));
    }
    let mut child = Command::new("kcat")
        .arg("-b")
        .arg(bootstrap())
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kcat is needed for this test: apt-get install -y kcat");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(&[key, b"\x01", value, b"\n"].concat())
            .expect("write to kcat");
    }
    let out = child.wait_with_output().expect("kcat");
    assert!(out.status.success(), "kcat: {}", stderr(&out));
}

/// A process killed when the test ends, passed or not.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A kcat consumer in `group` with `client_id`, running until dropped.
fn member(group: &str, client_id: &str, topic: &str) -> KillOnDrop {
    let child = Command::new("kcat")
        .arg("-b")
        .arg(bootstrap())
        .args(["-G", group, "-X"])
        .arg(format!("client.id={client_id}"))
        .args(["-o", "beginning", "-q", topic])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kcat");
    KillOnDrop(child)
}

/// Waits (up to a generous cap) until the group has a member with an
/// assignment and a committed offset.
fn wait_for_member(sandbox: &Sandbox, group: &str) {
    for _ in 0..120 {
        let mut cmd = sandbox.eventdeck();
        cmd.args(["groups", "describe", group, "--json"]);
        let out = run(cmd);
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
            let members = v["info"]["members"].as_array().map_or(0, Vec::len);
            let committed = v["offsets"]["partitions"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| !p["current_offset"].is_null()));
            if members > 0 && committed {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("group never had a member with a commit");
}

#[test]
fn tail_pretty_shows_hostile_keys_headers_and_values_visibly_and_json_exactly() {
    let sandbox = Sandbox::new();
    let topic = unique_topic("hostile-tail");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(create_topic(&topic, 1));
    // A raw value, key and header full of control sequences.
    produce_raw(
        &topic,
        &[b"key-", HOSTILE_BYTES].concat(),
        &[b"value-", HOSTILE_BYTES].concat(),
        // The header name is UTF-8: rdkafka 0.39 panics on one that is not
        // (`BorrowedHeaders::try_get` unwraps `to_str`).
        &[(format!("h-{HOSTILE}").as_bytes(), HOSTILE_BYTES)],
    );
    // A binary CloudEvent: the event type shown comes from a header; DEL and
    // C1 inside a JSON string are legal JSON that serde does not escape.
    let json_value = format!(
        "{{\"title\":\"t-{}\"}}",
        HOSTILE.replace(['\x1b', '\x07'], "")
    );
    produce_raw(
        &topic,
        b"k2",
        json_value.as_bytes(),
        &[
            (b"ce_specversion", b"1.0"),
            (b"ce_id", b"1"),
            (b"ce_source", b"/x"),
            (b"ce_type", &[b"type-", HOSTILE_BYTES].concat()),
        ],
    );
    let out = eventdeck_ok(&sandbox, &["tail", &topic, "--from", "beginning", "-e"]);
    assert_no_controls("tail --format pretty", &out.stdout);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("key-·[2J·]0;x··]52;c;Zm9v··\u{fffd}·"),
        "{text}"
    );
    assert!(text.contains("value-·[2J·]0;x"), "{text}");
    assert!(text.contains("type-·[2J"), "{text}");
    assert!(text.contains("t-[2J]0;x]52;c;Zm9v··"), "{text}");

    // JSON is exact: what kcat wrote comes back, escaped by serde.
    let lines = json_lines(&tail_json(&sandbox, &[&topic], "beginning"));
    assert_eq!(lines.len(), 2);
    // The raw 0x9B byte makes the key and value not UTF-8: base64, exact.
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    assert_eq!(
        lines[0]["key_base64"],
        b64(&[b"key-", HOSTILE_BYTES].concat())
    );
    assert_eq!(
        lines[0]["value_base64"],
        b64(&[b"value-", HOSTILE_BYTES].concat())
    );
    assert_eq!(
        lines[1]["value"]["title"],
        format!("t-{}", HOSTILE.replace(['\x1b', '\x07'], ""))
    );
}

/// Any producer can write a header whose *name* is not UTF-8 (kcat here).
/// rdkafka 0.39 panics reading one; `tail` used to crash on it (exit 134).
/// Now the record is printed, the header named `\u{fffd}` with no value,
/// the headers around it intact, and no crash report.
#[test]
fn a_header_name_that_is_not_utf8_neither_crashes_tail_nor_hides_the_record() {
    let sandbox = Sandbox::new();
    let topic = unique_topic("bad-header-name");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(create_topic(&topic, 1));
    produce_raw(
        &topic,
        b"k1",
        br#"{"n":1}"#,
        &[(b"before", b"1"), (b"\xff\xfename", b"v"), (b"after", b"2")],
    );
    produce_raw(&topic, b"k2", br#"{"n":2}"#, &[]);
    let kcat_saw = kcat(&[
        "-C",
        "-t",
        &topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%h\n",
    ])
    .stdout;
    assert!(
        kcat_saw.starts_with(b"before=1,\xff\xfename=v,after=2\n"),
        "kcat reads the header back: {}",
        String::from_utf8_lossy(&kcat_saw)
    );

    let out = tail_json(&sandbox, &[&topic], "beginning");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    assert_eq!(lines[0]["value"], serde_json::json!({"n": 1}));
    assert_eq!(
        lines[0]["headers"],
        serde_json::json!({"before": "1", "\u{fffd}": null, "after": "2"})
    );
    assert_eq!(lines[1]["value"], serde_json::json!({"n": 2}));

    let out = eventdeck_ok(&sandbox, &["tail", &topic, "--from", "beginning", "-e"]);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
}

#[test]
fn groups_list_describe_lag_and_audit_show_hostile_ids_visibly() {
    let sandbox = Sandbox::new();
    let topic = unique_topic("hostile-group");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(create_topic(&topic, 1));
    produce_raw(&topic, b"k", b"v", &[]);
    let group = format!("grp-{}-{HOSTILE}", uuid::Uuid::new_v4().simple());
    let shown_group = format!("{}{SHOWN}", &group[..group.len() - HOSTILE.len()]);
    let client_id = format!("cli-{HOSTILE}");
    let kcat = member(&group, &client_id, &topic);
    wait_for_member(&sandbox, &group);

    let list = eventdeck_ok(&sandbox, &["groups", "list"]);
    assert_no_controls("groups list", &list.stdout);
    assert!(stdout(&list).contains(&shown_group), "{}", stdout(&list));

    let describe = eventdeck_ok(&sandbox, &["groups", "describe", &group]);
    assert_no_controls("groups describe", &describe.stdout);
    let text = stdout(&describe);
    assert!(text.contains(&shown_group), "{text}");
    assert!(text.contains(&format!("cli-{SHOWN}")), "{text}");

    let lag = eventdeck_ok(&sandbox, &["lag", "--table", "--group", &group]);
    assert_no_controls("lag --table", &lag.stdout);
    let text = stdout(&lag);
    assert!(text.contains(&shown_group), "{text}");
    assert!(text.contains(&format!("cli-{SHOWN}")), "{text}");

    // JSON stays exact.
    let json = eventdeck_ok(&sandbox, &["groups", "describe", &group, "--json"]);
    let v: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["info"]["name"], group.as_str());

    drop(kcat);
    // The group empties once its member is gone; deleting it leaves an
    // audit line that quotes its id.
    let mut deleted = false;
    for _ in 0..120 {
        let mut cmd = sandbox.eventdeck();
        cmd.args(["groups", "delete", &group, "--yes"]);
        if run(cmd).status.success() {
            deleted = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(deleted, "the group could not be deleted");
    let audit = eventdeck_ok(&sandbox, &["audit"]);
    assert_no_controls("audit", &audit.stdout);
    assert!(
        stdout(&audit).contains("groups.delete"),
        "{}",
        stdout(&audit)
    );
}

#[test]
fn dlq_list_and_show_show_hostile_dead_letter_headers_visibly() {
    let sandbox = Sandbox::new();
    let topic = format!("{}.dlq", unique_topic("hostile"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(create_topic(&topic, 1));
    let hostile = |s: &str| [s.as_bytes(), HOSTILE_BYTES].concat();
    produce_raw(
        &topic,
        &hostile("key-"),
        &hostile("value-"),
        &[
            (b"eventdeck.dlq.original.topic", &hostile("orig-")),
            (b"eventdeck.dlq.error.kind", &hostile("kind-")),
            (b"eventdeck.dlq.error.message", &hostile("message-")),
            (b"eventdeck.dlq.handler", &hostile("handler-")),
        ],
    );
    let list = eventdeck_ok(&sandbox, &["dlq", "list", &topic]);
    assert_no_controls("dlq list", &list.stdout);
    let text = stdout(&list);
    assert!(text.contains("kind-·[2J"), "{text}");
    assert!(text.contains("message-·[2J"), "{text}");
    assert!(text.contains("orig-·[2J"), "{text}");

    let show = eventdeck_ok(&sandbox, &["dlq", "show", &topic, "0", "0"]);
    assert_no_controls("dlq show", &show.stdout);
    let v: Value = serde_json::from_slice(&show.stdout).expect("dlq show prints JSON");
    assert!(
        v["dead_letter"]["error_kind"]
            .as_str()
            .is_some_and(|k| k.starts_with("kind-\u{1b}[2J")),
        "{v:#}"
    );
}
