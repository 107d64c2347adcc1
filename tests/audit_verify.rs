//! `eventdeck audit --verify` on a real audit log: intact, it says so in one
//! line with status 0; with a line edited, deleted or inserted by hand it
//! names that line and exits 1. The lines are written by the library's own
//! `audit::record`, as every mutation writes them.

mod support;

use eventdeck::audit::{self, Source};
use eventdeck::config::Settings;
use support::*;

/// Settings whose data dir is the sandbox's, for writing its audit log.
fn sandbox_settings(sandbox: &Sandbox) -> Settings {
    Settings::for_tests(None, &sandbox.data_dir())
}

/// `eventdeck audit --verify [extra]`: status code and stdout. No broker is
/// needed (and none is at this address).
fn verify(sandbox: &Sandbox, extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = sandbox.eventdeck_at("127.0.0.1:1");
    cmd.args(["audit", "--verify"]).args(extra);
    let out = run(cmd);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn audit_verify_names_the_edited_deleted_or_inserted_line() {
    let sandbox = Sandbox::new();
    let settings = sandbox_settings(&sandbox);
    for i in 0..5 {
        audit::record(
            &settings,
            Source::Headless,
            audit::action::TOPIC_CREATE,
            serde_json::json!({"topic": format!("t-{i}")}),
            "ok".into(),
        )
        .expect("record");
    }
    let path = audit::path(&settings);
    let original = std::fs::read_to_string(&path).expect("log");
    let lines: Vec<&str> = original.lines().collect();
    let write = |lines: &[String]| std::fs::write(&path, lines.join("\n") + "\n").expect("write");

    assert_eq!(
        verify(&sandbox, &[]),
        (Some(0), "✓ 5 lines, chain intact\n".into())
    );
    let (code, json) = verify(&sandbox, &["--json"]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(json["lines"], 5);
    assert_eq!(json["chained_from"], 1);
    assert!(json["break"].is_null());

    // Edited: line 2 now names another topic.
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[1] = edited[1].replace("t-1", "t-9");
    write(&edited);
    let (code, out) = verify(&sandbox, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("✗ line 2: changed"), "{out}");
    let (code, json) = verify(&sandbox, &["--json"]);
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(json["break"]["line"], 2);
    assert_eq!(json["break"]["kind"], "changed");

    // Deleted: line 4 is gone.
    let mut deleted: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    deleted.remove(3);
    write(&deleted);
    let (code, out) = verify(&sandbox, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("✗ line 4: removed"), "{out}");

    // Inserted: a copy of line 2 between lines 3 and 4.
    let mut inserted: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    inserted.insert(3, lines[1].to_string());
    write(&inserted);
    let (code, out) = verify(&sandbox, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("✗ line 4: inserted"), "{out}");

    // The table still reads the chained lines.
    std::fs::write(&path, &original).expect("restore");
    let mut cmd = sandbox.eventdeck_at("127.0.0.1:1");
    cmd.arg("audit");
    let out = run(cmd);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("topics.create")
            .count(),
        5
    );
}
