//! `eventdeck acls` and `eventdeck users` on the secured Apache Kafka of
//! `scripts/kafka up --secure` (StandardAuthorizer, SCRAM), driven as a person
//! would, connected as the cluster's SASL super user over SASL_SSL:
//! - an ACL created with `acls create --execute` lets a user read
//!   `secret.events` with eventdeck's own `tail`; deleting it denies the read
//!   again; Kafka's own `kafka-acls --list` agrees with `acls list` at each step;
//! - a SCRAM password change makes the old password fail and the new one work,
//!   and `users list` agrees with `kafka-configs --describe --entity-type users`;
//! - changes are dry runs without `--execute`, refused in read-only mode, and
//!   errors (denied, unreachable) are one clear line with exit code 2.
//!
//! Why a fresh user and not `alice`: the cluster denies `alice` every
//! operation on `secret.events` (secure_on_kafka.rs relies on it), and in
//! Kafka a DENY always wins over an ALLOW, so no ACL we add can let her read
//! it; removing her deny would race with those tests on a shared cluster.
//! This file checks that too: an ALLOW for alice leaves her denied. Each test
//! makes its own SCRAM user (`ed-<uuid>`), and removes it and its ACLs when it
//! ends, so the cluster is left as it was found.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::Value;
use support::admin::{audit_lines, kafka_tool_at, kafka_tool_output_at};
use support::secure::secured;
use support::{Sandbox, run, stderr, stdout};

/// How long an ACL or credential change may take to reach the broker's
/// authorizer (KRaft applies it from the metadata log, a moment after the
/// controller accepted it). The wait ends as soon as it shows.
const SETTLE: Duration = Duration::from_secs(30);

/// One ACL as both tools name it: resource type, name, pattern type,
/// principal, host, operation, permission.
type Row = (String, String, String, String, String, String, String);

/// A sandbox with a config of three SASL_SSL profiles: `admin` (the super
/// user), `user` (the test's own SCRAM user) and `alice`.
struct Setup {
    sandbox: Sandbox,
    config: PathBuf,
    user: String,
}

impl Setup {
    fn new() -> Self {
        let c = secured();
        let sandbox = Sandbox::new();
        let user = format!("ed-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let config = sandbox.dir.path().join("acls.toml");
        let profile = |name: &str, sasl_user: &str| {
            format!(
                "[profiles.{name}]\nbrokers = \"{b}\"\n[profiles.{name}.security]\n\
                 protocol = \"SASL_SSL\"\nsasl_mechanism = \"SCRAM-SHA-512\"\n\
                 sasl_username = \"{sasl_user}\"\nssl_ca_location = \"{ca}\"\n\n",
                b = c.sasl_ssl,
                ca = c.ca
            )
        };
        let text =
            profile("admin", &c.admin_user) + &profile("user", &user) + &profile("alice", &c.user);
        std::fs::write(&config, text).expect("write config");
        Self {
            sandbox,
            config,
            user,
        }
    }

    /// `User:<the test's user>`.
    fn principal(&self) -> String {
        format!("User:{}", self.user)
    }

    /// The binary with `profile`, its SASL password in the environment.
    fn cmd(&self, profile: &str, password: &str, args: &[&str]) -> Command {
        let mut cmd = self.sandbox.eventdeck_at(&secured().sasl_ssl);
        for v in [
            "KAFKA_SECURITY_PROTOCOL",
            "KAFKA_SASL_MECHANISM",
            "KAFKA_SASL_USERNAME",
            "KAFKA_SSL_CA_LOCATION",
            "KAFKA_SSL_CERTIFICATE_LOCATION",
            "KAFKA_SSL_KEY_LOCATION",
        ] {
            cmd.env_remove(v);
        }
        cmd.env("KAFKA_SASL_PASSWORD", password)
            .arg("--config")
            .arg(&self.config)
            .arg("--profile")
            .arg(profile)
            .args(args);
        cmd
    }

    /// As the super user; must succeed.
    fn admin_ok(&self, args: &[&str]) -> Output {
        let out = run(self.cmd("admin", &secured().admin_password, args));
        assert!(
            out.status.success(),
            "eventdeck {args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        out
    }

    /// Sets the user's SCRAM-SHA-512 password through `users set-password --execute`.
    fn set_password(&self, password: &str) -> Output {
        let file = self.sandbox.dir.path().join("new-password");
        std::fs::write(&file, format!("{password}\n")).expect("write password file");
        let path = file.to_string_lossy().into_owned();
        self.admin_ok(&[
            "users",
            "set-password",
            &self.user,
            "--mechanism",
            "SCRAM-SHA-512",
            "--password-file",
            &path,
            "--execute",
        ])
    }

    /// `tail secret.events` from the beginning to the end, as the user.
    fn tail_secret(&self, password: &str) -> Output {
        let c = secured();
        run(self.cmd(
            "user",
            password,
            &[
                "tail",
                &c.denied_topic,
                "-f",
                "beginning",
                "-e",
                "--format",
                "json",
            ],
        ))
    }

    /// `acls list OPTIONS --json`, as rows.
    fn acls_rows(&self, options: &[&str]) -> BTreeSet<Row> {
        let mut args = vec!["acls", "list", "--json"];
        args.extend_from_slice(options);
        let out = self.admin_ok(&args);
        let v: Value = serde_json::from_str(&stdout(&out)).expect("acls list --json is JSON");
        v.as_array()
            .expect("an array")
            .iter()
            .map(|a| {
                let f = |k: &str| {
                    a[k].as_str()
                        .unwrap_or_else(|| panic!("{k} in {a}"))
                        .to_string()
                };
                (
                    f("resource_type"),
                    f("resource_name"),
                    f("pattern_type"),
                    f("principal"),
                    f("host"),
                    f("operation"),
                    f("permission"),
                )
            })
            .collect()
    }
}

impl Drop for Setup {
    /// Removes what a failed test may have left: the user's ACLs on the
    /// denied topic and its SCRAM credential (Kafka's own tools, through the
    /// admin listener; errors ignored, there may be nothing to remove).
    fn drop(&mut self) {
        let c = secured();
        let p = self.principal();
        let _ = kafka_tool_output_at(
            &c.admin,
            "acls",
            &[
                "--remove",
                "--force",
                "--allow-principal",
                &p,
                "--topic",
                &c.denied_topic,
            ],
        );
        // One mechanism at a time: a user without the other one refuses both.
        for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256"] {
            let _ = kafka_tool_output_at(
                &c.admin,
                "configs",
                &[
                    "--alter",
                    "--entity-type",
                    "users",
                    "--entity-name",
                    &self.user,
                    "--delete-config",
                    mechanism,
                ],
            );
        }
    }
}

/// `kafka-acls --list OPTIONS` (Kafka's own tool, through the admin
/// listener), as rows.
fn tool_rows(options: &[&str]) -> BTreeSet<Row> {
    let mut args = vec!["--list"];
    args.extend_from_slice(options);
    let text = kafka_tool_at(&secured().admin, "acls", &args);
    let mut rows = BTreeSet::new();
    let mut resource: Option<(String, String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Current ACLs for resource `ResourcePattern(") {
            let inner = rest.trim_end_matches(")`:");
            let field = |k: &str| {
                inner
                    .split(", ")
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .unwrap_or_else(|| panic!("{k} in {line}"))
                    .to_string()
            };
            resource = Some((field("resourceType"), field("name"), field("patternType")));
        } else if let Some(inner) = line.strip_prefix("(principal=") {
            let inner = format!("principal={}", inner.trim_end_matches(')'));
            let field = |k: &str| {
                inner
                    .split(", ")
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .unwrap_or_else(|| panic!("{k} in {line}"))
                    .to_string()
            };
            let (t, n, p) = resource.clone().expect("an ACL after its resource");
            rows.insert((
                t,
                n,
                p,
                field("principal"),
                field("host"),
                field("operation"),
                field("permissionType"),
            ));
        }
    }
    rows
}

/// Waits until `cond` holds (the broker has applied a change), failing with
/// `what` after [`SETTLE`].
fn settle(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < SETTLE,
            "{what} did not happen within {SETTLE:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Produces one record to the denied topic through the admin listener.
fn produce_secret(value: &str) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &secured().admin)
        .create()
        .expect("producer");
    producer
        .send(BaseRecord::<str, str>::to(&secured().denied_topic).payload(value))
        .expect("send");
    producer.flush(Duration::from_secs(20)).expect("flush");
}

fn denied(out: &Output) -> bool {
    !out.status.success() && stderr(out).to_lowercase().contains("not authorized")
}

fn acl(resource: &str, principal: &str, op: &str, perm: &str) -> Row {
    (
        "TOPIC".into(),
        resource.into(),
        "LITERAL".into(),
        principal.into(),
        "*".into(),
        op.into(),
        perm.into(),
    )
}

#[test]
fn a_created_acl_lets_a_user_read_secret_events_and_deleting_it_denies_the_read_again() {
    let c = secured();
    let s = Setup::new();
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    s.set_password(&password);
    let marker = format!("acl-test-{}", uuid::Uuid::new_v4());
    produce_secret(&marker);
    let topic = c.denied_topic.as_str();
    let principal = s.principal();
    let on_topic = ["--topic", topic];
    let by_user = ["--principal", principal.as_str()];

    // Before: the user has no ACL, so the read is denied; both tools agree.
    settle("the new user's login", || denied(&s.tail_secret(&password)));
    let before = s.acls_rows(&on_topic);
    assert_eq!(
        before,
        tool_rows(&on_topic),
        "acls list vs kafka-acls --list"
    );
    assert!(before.contains(&acl(topic, &format!("User:{}", c.user), "ALL", "DENY")));
    assert!(s.acls_rows(&by_user).is_empty());

    // A dry run prints the ACLs and changes nothing.
    let create = [
        "acls",
        "create",
        "--allow-principal",
        principal.as_str(),
        "--operation",
        "Read",
        "--operation",
        "Describe",
        "--topic",
        topic,
    ];
    let dry = s.admin_ok(&create);
    assert!(stdout(&dry).contains("READ") && stdout(&dry).contains(&principal));
    assert!(stderr(&dry).contains("dry run"), "{}", stderr(&dry));
    assert!(tool_rows(&by_user).is_empty(), "a dry run created ACLs");

    // Created: the user reads the topic with eventdeck's own tail.
    let mut execute = create.to_vec();
    execute.push("--execute");
    s.admin_ok(&execute);
    let granted: BTreeSet<Row> = [
        acl(topic, &principal, "READ", "ALLOW"),
        acl(topic, &principal, "DESCRIBE", "ALLOW"),
    ]
    .into();
    settle("the ACLs to show", || s.acls_rows(&by_user) == granted);
    assert_eq!(
        tool_rows(&by_user),
        granted,
        "kafka-acls --list --principal"
    );
    assert_eq!(s.acls_rows(&on_topic), tool_rows(&on_topic));
    let mut read = None;
    settle("the read to be allowed", || {
        let out = s.tail_secret(&password);
        let ok = out.status.success();
        read = Some(out);
        ok
    });
    let read = read.expect("a tail ran");
    assert!(stdout(&read).contains(&marker), "{}", stdout(&read));

    // Deleted (a dry run first): the read is denied again.
    let delete = [
        "acls",
        "delete",
        "--allow-principal",
        principal.as_str(),
        "--topic",
        topic,
    ];
    let dry = s.admin_ok(&delete);
    assert!(stderr(&dry).contains("dry run"), "{}", stderr(&dry));
    assert_eq!(tool_rows(&by_user), granted, "a dry run deleted ACLs");
    let mut execute = delete.to_vec();
    execute.push("--execute");
    let done = s.admin_ok(&execute);
    assert!(
        stderr(&done).contains("deleted 2 ACL(s)"),
        "{}",
        stderr(&done)
    );
    settle("the ACLs to go", || s.acls_rows(&by_user).is_empty());
    assert!(tool_rows(&by_user).is_empty());
    assert_eq!(s.acls_rows(&on_topic), before);
    assert_eq!(tool_rows(&on_topic), before);
    settle("the read to be denied again", || {
        denied(&s.tail_secret(&password))
    });

    // Both changes are in the audit log, with the ACLs they were about.
    let lines = audit_lines(&s.sandbox);
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert!(
        actions.contains(&"acls.create") && actions.contains(&"acls.delete"),
        "{actions:?}"
    );
    let created = lines
        .iter()
        .find(|l| l["action"] == "acls.create")
        .expect("create line");
    assert_eq!(created["params"]["acls"].as_array().map(Vec::len), Some(2));
    assert_eq!(created["outcome"], "ok");
    assert_eq!(created["principal"], format!("User:{}", c.admin_user));

    // A deny always wins: an ALLOW for alice leaves her denied (and is removed).
    let alice = format!("User:{}", c.user);
    let allow_alice = [
        "acls",
        "create",
        "--allow-principal",
        alice.as_str(),
        "--operation",
        "Read",
        "--topic",
        topic,
        "--execute",
    ];
    s.admin_ok(&allow_alice);
    let alice_read = acl(topic, &alice, "READ", "ALLOW");
    settle("alice's ALLOW to show", || {
        s.acls_rows(&on_topic).contains(&alice_read)
    });
    let out = run(s.cmd(
        "alice",
        &c.password,
        &["tail", topic, "-f", "beginning", "-e"],
    ));
    assert!(
        denied(&out),
        "alice read {topic}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    s.admin_ok(&[
        "acls",
        "delete",
        "--allow-principal",
        alice.as_str(),
        "--operation",
        "Read",
        "--topic",
        topic,
        "--execute",
    ]);
    settle("alice's ALLOW to go", || s.acls_rows(&on_topic) == before);

    s.admin_ok(&["users", "delete", &s.user, "--execute"]);
}

#[test]
fn a_scram_password_change_makes_the_old_password_fail_and_the_new_one_work() {
    let c = secured();
    let s = Setup::new();
    let (old, new) = (
        format!("old-{}", uuid::Uuid::new_v4().simple()),
        format!("new-{}", uuid::Uuid::new_v4().simple()),
    );
    // `users list` as the user: a login that works gets as far as the
    // authorizer (a user without ACLs may not describe users), one that
    // does not is refused at authentication.
    let login = |password: &str| run(s.cmd("user", password, &["users", "list"]));
    let refused = |out: &Output| {
        !out.status.success() && stderr(out).to_lowercase().contains("authentication failed")
    };
    let accepted = |out: &Output| {
        let err = stderr(out).to_lowercase();
        !err.contains("authentication failed") && err.contains("authorization failed")
    };

    // No such user yet: listing it says so; a dry run changes nothing.
    let out = s.admin_ok(&["users", "list", &s.user]);
    assert!(stdout(&out).contains(&s.user), "{}", stdout(&out));
    let dry = s.admin_ok(&["users", "set-password", &s.user]);
    assert!(
        stdout(&dry).contains("would create a SCRAM-SHA-512 credential"),
        "{}",
        stdout(&dry)
    );
    assert!(refused(&login(&old)));

    s.set_password(&old);
    settle("the old password to work", || accepted(&login(&old)));

    // The user as Kafka's own kafka-configs describes it.
    let described = || {
        kafka_tool_at(
            &c.admin,
            "configs",
            &[
                "--describe",
                "--entity-type",
                "users",
                "--entity-name",
                &s.user,
            ],
        )
    };
    // users list agrees with kafka-configs.
    let out = s.admin_ok(&["users", "list", &s.user, "--json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v[0]["user"], s.user.as_str());
    assert_eq!(v[0]["credentials"][0]["mechanism"], "SCRAM-SHA-512");
    assert_eq!(v[0]["credentials"][0]["iterations"], 8192);
    let tool = described();
    assert!(tool.contains("SCRAM-SHA-512=iterations=8192"), "{tool}");
    assert!(!tool.contains("SCRAM-SHA-256"), "{tool}");

    // Changed: the old password fails, the new one works.
    let dry = s.admin_ok(&["users", "set-password", &s.user]);
    assert!(
        stdout(&dry).contains("would change the SCRAM-SHA-512 password"),
        "{}",
        stdout(&dry)
    );
    s.set_password(&new);
    settle("the old password to fail", || refused(&login(&old)));
    let out = login(&new);
    assert!(accepted(&out), "{}", stderr(&out));

    // The audit line names the user and the mechanism, never the password.
    let lines = audit_lines(&s.sandbox);
    let set: Vec<&Value> = lines
        .iter()
        .filter(|l| l["action"] == "users.set-password")
        .collect();
    assert_eq!(set.len(), 2, "{lines:?}");
    assert_eq!(set[0]["params"]["user"], s.user.as_str());
    assert_eq!(set[0]["params"]["mechanism"], "SCRAM-SHA-512");
    let all = std::fs::read_to_string(s.sandbox.data_dir().join("audit.jsonl")).expect("audit log");
    assert!(
        !all.contains(&old) && !all.contains(&new),
        "a password reached the audit log"
    );

    // Deleted: no password works, and the user is gone from the list.
    s.admin_ok(&["users", "delete", &s.user, "--execute"]);
    settle("the new password to fail", || refused(&login(&new)));
    let tool = described();
    assert!(!tool.contains("SCRAM-SHA-512"), "{tool}");
}

#[test]
fn acl_and_user_errors_are_one_clear_line_with_exit_code_2() {
    let s = Setup::new();
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    s.set_password(&password);
    // A user without ACLs may not read them.
    let mut out = None;
    settle("the new user's login", || {
        let o = run(s.cmd("user", &password, &["acls", "list"]));
        let done = !stderr(&o).to_lowercase().contains("authentication failed");
        out = Some(o);
        done
    });
    let out = out.expect("ran");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.to_lowercase().contains("authorization failed"), "{err}");
    assert!(err.contains("CLUSTER"), "says what is needed: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Nor list the SCRAM users: said the same way (librdkafka 2.12 cannot
    // hand this refusal over safely; it is asked first, see kafka::ffi).
    let out = run(s.cmd("user", &password, &["users", "list"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("authorization failed"),
        "{}",
        stderr(&out)
    );

    // Nothing listens: exit 2, said plainly.
    let sandbox = Sandbox::new();
    let out = run({
        let mut cmd = sandbox.eventdeck_at("127.0.0.1:1");
        cmd.args(["users", "list"]);
        cmd
    });
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot reach Kafka"),
        "{}",
        stderr(&out)
    );
    s.admin_ok(&["users", "delete", &s.user, "--execute"]);
}

#[test]
fn acl_and_user_changes_are_refused_in_read_only_mode_before_anything_is_asked() {
    // No cluster is needed: the gate refuses before connecting.
    let sandbox = Sandbox::new();
    for args in [
        &[
            "acls",
            "create",
            "--allow-principal",
            "User:x",
            "--operation",
            "Read",
            "--topic",
            "t",
            "--execute",
        ][..],
        &["acls", "delete", "--allow-principal", "User:x", "--execute"][..],
        &["users", "set-password", "x", "--execute"][..],
        &["users", "delete", "x", "--execute"][..],
    ] {
        let mut cmd = sandbox.eventdeck_at("127.0.0.1:1");
        cmd.arg("--read-only").args(args);
        let out = run(cmd);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("read-only mode"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!sandbox.data_dir().join("audit.jsonl").exists());
}
