//! eventdeck against a secured Apache Kafka (`scripts/kafka up --secure`): it
//! connects, tails, injects and reads lag over SASL_SSL with SCRAM-SHA-512 and
//! over mTLS; a wrong password and an ACL-denied topic are one clear error
//! headless (non-zero exit) and on the console's screen, never a crash; and the
//! password never reaches the log file, the data dir or the screen.
//!
//! The cluster's addresses, CA, client certificate and passwords come from
//! `scripts/kafka env --secure --export`. Without them every test fails with
//! the command that starts the cluster.

mod support;
use support::pty;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use pty::Session;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use support::secure::secured;
use support::{Sandbox, run, stderr, stdout, unique_topic};

const START: Duration = Duration::from_secs(15);
const EXIT: Duration = Duration::from_secs(15);

/// Environment variables a developer's shell may carry that would change how
/// the binary connects.
const CONNECTION_ENV: [&str; 9] = [
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION",
    "KAFKA_SSL_KEY_LOCATION",
    "KAFKA_SSL_KEY_PASSWORD",
    "EVENTDECK_LOG",
];

fn admin_config() -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &secured().admin);
    cfg
}

/// Creates topics on the secured cluster (through the admin listener) and
/// waits until each partition has a leader; existing topics are fine.
async fn create_topics(names: &[&str]) {
    let admin: AdminClient<DefaultClientContext> = admin_config().create().expect("admin client");
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|n| NewTopic::new(n, 1, TopicReplication::Fixed(1)))
        .collect();
    let res = admin
        .create_topics(
            &topics,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(20))),
        )
        .await
        .expect("create_topics request");
    for r in res {
        match r {
            Ok(_) => {}
            Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, e)) => panic!("creating topic {t}: {e}"),
        }
    }
    let consumer: BaseConsumer = admin_config().create().expect("consumer");
    for name in names {
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(md) = consumer.fetch_metadata(Some(name), Duration::from_secs(5))
                && md.topics().first().is_some_and(|t| {
                    t.error().is_none()
                        && !t.partitions().is_empty()
                        && t.partitions().iter().all(|p| p.leader() >= 0)
                })
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "topic {name} did not become ready");
    }
}

/// Commits `offset` for `group` on partition 0 of `topic` (through the admin
/// listener), so the group has lag to show.
fn commit_offset(group: &str, topic: &str, offset: i64) {
    let consumer: BaseConsumer = admin_config()
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(offset))
        .expect("tpl");
    consumer
        .commit(&tpl, CommitMode::Sync)
        .expect("commit offset");
}

/// A config file with a SCRAM-SHA-512 + TLS profile and an mTLS profile, and
/// the `debate` context pointed at `debate_topic` (for the console).
fn write_config(sandbox: &Sandbox, debate_topic: &str) -> PathBuf {
    let c = secured();
    let path = sandbox.dir.path().join("secure.toml");
    let text = format!(
        r#"
[profiles.scram]
brokers = "{sasl}"
[profiles.scram.security]
protocol = "SASL_SSL"
sasl_mechanism = "SCRAM-SHA-512"
sasl_username = "{user}"
ssl_ca_location = "{ca}"

[profiles.scram256]
brokers = "{sasl}"
[profiles.scram256.security]
protocol = "SASL_SSL"
sasl_mechanism = "SCRAM-SHA-256"
sasl_username = "{user}"
ssl_ca_location = "{ca}"

[profiles.plain]
brokers = "{sasl}"
[profiles.plain.security]
protocol = "SASL_SSL"
sasl_mechanism = "PLAIN"
sasl_username = "{user}"
ssl_ca_location = "{ca}"

[profiles.scram-file]
brokers = "{sasl}"
[profiles.scram-file.security]
protocol = "SASL_SSL"
sasl_mechanism = "SCRAM-SHA-512"
sasl_username = "{user}"
sasl_password_file = "{pwfile}"
ssl_ca_location = "{ca}"

[profiles.scram-prompt]
brokers = "{sasl}"
[profiles.scram-prompt.security]
protocol = "SASL_SSL"
sasl_mechanism = "SCRAM-SHA-512"
sasl_username = "{user}"
sasl_password_prompt = true
ssl_ca_location = "{ca}"

[profiles.mtls]
brokers = "{mtls}"
[profiles.mtls.security]
protocol = "SSL"
ssl_ca_location = "{ca}"
ssl_certificate_location = "{cert}"
ssl_key_location = "{key}"

[profiles.mtls-encrypted]
brokers = "{mtls}"
[profiles.mtls-encrypted.security]
protocol = "SSL"
ssl_ca_location = "{ca}"
ssl_certificate_location = "{cert}"
ssl_key_location = "{encrypted_key}"

[profiles.mtls-nocert]
brokers = "{mtls}"
[profiles.mtls-nocert.security]
protocol = "SSL"
ssl_ca_location = "{ca}"

[topics.contexts]
debate = "{debate_topic}"
"#,
        sasl = c.sasl_ssl,
        mtls = c.mtls,
        user = c.user,
        ca = c.ca,
        cert = c.cert,
        key = c.key,
        encrypted_key = c.encrypted_key,
        pwfile = c.password_file,
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// The binary with a profile of `config`; `password` goes in KAFKA_SASL_PASSWORD.
fn eventdeck(sandbox: &Sandbox, config: &Path, profile: &str, password: Option<&str>) -> Command {
    let c = secured();
    let brokers = if profile.starts_with("mtls") {
        &c.mtls
    } else {
        &c.sasl_ssl
    };
    let mut cmd = sandbox.eventdeck_at(brokers);
    for v in CONNECTION_ENV {
        cmd.env_remove(v);
    }
    // Debug level: the more the log says, the more a leak would show.
    cmd.env("EVENTDECK_LOG", "debug");
    cmd.arg("--config")
        .arg(config)
        .arg("--profile")
        .arg(profile);
    if let Some(pw) = password {
        cmd.env("KAFKA_SASL_PASSWORD", pw);
    }
    cmd
}

/// [`eventdeck`] with more environment variables (secrets) set.
fn eventdeck_env(sandbox: &Sandbox, config: &Path, profile: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = eventdeck(sandbox, config, profile, None);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn with_args(mut cmd: Command, args: &[&str]) -> Command {
    cmd.args(args);
    cmd
}

/// Every file under the data dir (log file, audit log, ...), as text. The data
/// dir must be there and hold the log file (every run writes its "starting"
/// line): a check for secrets in an empty string would prove nothing.
fn data_dir_text(sandbox: &Sandbox) -> String {
    fn walk(dir: &Path, out: &mut String) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for e in entries {
            let p = e
                .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
                .path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                let bytes =
                    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    let dir = sandbox.data_dir();
    let log = dir.join("eventdeck.log");
    assert!(log.is_file(), "no log file at {}", log.display());
    let mut out = String::new();
    walk(&dir, &mut out);
    out
}

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "the password appears in {what}:\n{text}");
    }
}

/// Inject, tail and lag through one profile, with `secrets` set as environment
/// variables; returns everything printed.
async fn inject_tail_and_lag(profile: &str, secrets: &[(&str, &str)]) -> String {
    let sandbox = Sandbox::new();
    let topic = unique_topic(&format!("secure-{profile}"));
    create_topics(&[&topic]).await;
    let config = write_config(&sandbox, &topic);
    let mut printed = String::new();
    let mut check = |out: Output, what: &str| -> String {
        printed.push_str(&stdout(&out));
        printed.push_str(&stderr(&out));
        assert!(
            out.status.success(),
            "{what} over {profile} failed: {}",
            stderr(&out)
        );
        stdout(&out)
    };

    let inject = check(
        run(with_args(
            eventdeck_env(&sandbox, &config, profile, secrets),
            &[
                "inject",
                "--topic",
                &topic,
                "-t",
                "SecureHello",
                "--data",
                r#"{"over":"tls"}"#,
                "--json",
            ],
        )),
        "inject",
    );
    let sent: serde_json::Value = serde_json::from_str(inject.trim()).expect("inject JSON");
    assert_eq!(sent["topic"], topic.as_str());
    assert_eq!(sent["offset"], 0, "{sent}");
    let event_id = sent["event_id"].as_str().expect("event_id").to_string();

    let tail = check(
        run(with_args(
            eventdeck_env(&sandbox, &config, profile, secrets),
            &["tail", &topic, "-f", "beginning", "-e", "--format", "json"],
        )),
        "tail",
    );
    let lines: Vec<serde_json::Value> = tail
        .lines()
        .map(|l| serde_json::from_str(l).expect("tail JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "{tail}");
    let line = lines[0].to_string();
    assert!(line.contains(&event_id), "{line}");
    assert!(line.contains("SecureHello"), "{line}");

    let group = unique_topic("secure-group");
    commit_offset(&group, &topic, 0);
    let lag = check(
        run(with_args(
            eventdeck_env(&sandbox, &config, profile, secrets),
            &["lag", "--group", &group, "--json", "--samples", "1"],
        )),
        "lag",
    );
    let report: serde_json::Value = serde_json::from_str(&lag).expect("lag JSON");
    let groups = report["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 1, "{lag}");
    assert_eq!(groups[0]["group"], group.as_str());
    assert_eq!(groups[0]["total_lag"], 1, "committed 0, log end 1: {lag}");

    let c = secured();
    let mut never = vec![c.password.as_str(), c.key_password.as_str()];
    never.extend(secrets.iter().map(|(_, v)| *v));
    assert_no_secret("the output", &printed, &never);
    assert_no_secret("the data dir", &data_dir_text(&sandbox), &never);
    printed
}

#[tokio::test]
async fn scram_sha512_over_tls_connects_tails_injects_and_lags() {
    let c = secured();
    inject_tail_and_lag("scram", &[("KAFKA_SASL_PASSWORD", &c.password)]).await;
}

#[tokio::test]
async fn scram_sha256_over_tls_connects_tails_injects_and_lags() {
    let c = secured();
    inject_tail_and_lag("scram256", &[("KAFKA_SASL_PASSWORD", &c.password)]).await;
}

#[tokio::test]
async fn sasl_plain_over_tls_connects_tails_injects_and_lags() {
    let c = secured();
    inject_tail_and_lag("plain", &[("KAFKA_SASL_PASSWORD", &c.password)]).await;
}

#[tokio::test]
async fn scram_password_from_a_file_works_too() {
    // The profile names the password file scripts/kafka wrote; no env password.
    inject_tail_and_lag("scram-file", &[]).await;
}

#[tokio::test]
async fn mtls_connects_tails_injects_and_lags() {
    inject_tail_and_lag("mtls", &[]).await;
}

#[tokio::test]
async fn mtls_with_an_encrypted_key_and_its_password_from_the_environment() {
    let c = secured();
    inject_tail_and_lag(
        "mtls-encrypted",
        &[("KAFKA_SSL_KEY_PASSWORD", &c.key_password)],
    )
    .await;
}

#[tokio::test]
async fn wrong_password_is_one_clear_line_headless_with_a_failing_exit() {
    let c = secured();
    let sandbox = Sandbox::new();
    let topic = unique_topic("secure-wrongpw");
    create_topics(&[&topic]).await;
    let config = write_config(&sandbox, &topic);
    let wrong = format!("wrong-{}", uuid::Uuid::new_v4().simple());
    let expected = format!(
        "authentication failed for user {} (SCRAM-SHA-512) at {}",
        c.user, c.sasl_ssl
    );
    for args in [
        vec!["inject", "--topic", &topic, "-t", "Nope"],
        vec!["tail", &topic, "-f", "beginning", "-e"],
        vec!["lag", "--samples", "1"],
    ] {
        let out = run(with_args(
            eventdeck(&sandbox, &config, "scram", Some(&wrong)),
            &args,
        ));
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(err.contains(&expected), "{args:?}: {err}");
        assert!(err.contains("check the username and password"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        assert_no_secret("stderr", &err, &[&wrong, &c.password]);
    }
    assert_no_secret(
        "the data dir",
        &data_dir_text(&sandbox),
        &[&wrong, &c.password],
    );
}

#[tokio::test]
async fn mtls_without_a_client_certificate_is_a_clear_tls_error() {
    let c = secured();
    let sandbox = Sandbox::new();
    let config = write_config(&sandbox, "debate.events");
    let out = run(with_args(
        eventdeck(&sandbox, &config, "mtls-nocert", None),
        &["lag", "--samples", "1"],
    ));
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("TLS handshake with {} failed", c.mtls)),
        "{err}"
    );
    assert!(err.contains("the client certificate and key"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[tokio::test]
async fn an_encrypted_key_without_its_password_is_a_clear_error() {
    let c = secured();
    let sandbox = Sandbox::new();
    let config = write_config(&sandbox, "debate.events");
    let out = run(with_args(
        eventdeck(&sandbox, &config, "mtls-encrypted", None),
        &["lag", "--samples", "1"],
    ));
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("cannot load the client certificate or key"),
        "{err}"
    );
    assert!(err.contains("KAFKA_SSL_KEY_PASSWORD"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_no_secret("stderr", &err, &[&c.key_password]);
}

#[tokio::test]
async fn acl_denied_topic_is_a_clear_error_headless_with_a_failing_exit() {
    let c = secured();
    let sandbox = Sandbox::new();
    let config = write_config(&sandbox, &c.denied_topic);
    let expected = format!(
        "not authorized to access topic {} (TOPIC_AUTHORIZATION_FAILED)",
        c.denied_topic
    );
    for args in [
        vec!["tail", c.denied_topic.as_str(), "-f", "beginning", "-e"],
        vec!["inject", "--topic", c.denied_topic.as_str(), "-t", "Nope"],
    ] {
        let out = run(with_args(
            eventdeck(&sandbox, &config, "scram", Some(&c.password)),
            &args,
        ));
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(err.contains(&expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    // The deny is alice's alone: the certificate's principal reads the topic.
    let out = run(with_args(
        eventdeck(&sandbox, &config, "mtls", None),
        &["tail", c.denied_topic.as_str(), "-f", "beginning", "-e"],
    ));
    assert!(out.status.success(), "mTLS tail: {}", stderr(&out));
    assert_no_secret("the data dir", &data_dir_text(&sandbox), &[&c.password]);
}

#[tokio::test]
async fn console_shows_a_wrong_password_and_keeps_running() {
    let c = secured();
    let sandbox = Sandbox::new();
    let topic = unique_topic("secure-console");
    create_topics(&[&topic]).await;
    let config = write_config(&sandbox, &topic);
    let wrong = format!("wrong-{}", uuid::Uuid::new_v4().simple());
    let s = Session::spawn(
        &eventdeck(&sandbox, &config, "scram", Some(&wrong)),
        140,
        40,
    );
    let expected = format!(
        "authentication failed for user {} (SCRAM-SHA-512) at {}",
        c.user, c.sasl_ssl
    );
    let mut screens = vec![s.wait_for(&expected, Duration::from_secs(30))];
    screens.push(s.wait_for("disconnected", START));
    // Still responsive.
    s.keys(&["5"]);
    screens.push(s.wait_for("Context / topic", START));
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
    for screen in &screens {
        assert_no_secret("the screen", screen, &[&wrong, &c.password]);
    }
    assert_no_secret(
        "the data dir",
        &data_dir_text(&sandbox),
        &[&wrong, &c.password],
    );
}

#[tokio::test]
async fn console_shows_an_acl_denied_topic_and_keeps_running() {
    let c = secured();
    let sandbox = Sandbox::new();
    // Every other context's default topic exists, so the denied one is the only problem.
    create_topics(&[
        "implementation.events",
        "performance.events",
        "testing.events",
        "evolution.events",
    ])
    .await;
    let config = write_config(&sandbox, &c.denied_topic);
    let s = Session::spawn(
        &eventdeck(&sandbox, &config, "scram", Some(&c.password)),
        160,
        40,
    );
    let expected = format!(
        "not authorized to access topic {} (TOPIC_AUTHORIZATION_FAILED)",
        c.denied_topic
    );
    let mut screens = vec![s.wait_for(&expected, Duration::from_secs(30))];
    // The connection itself is fine: only the topic is denied.
    screens.push(s.wait_for("● connected", START));
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
    for screen in &screens {
        assert_no_secret("the screen", screen, &[&c.password]);
    }
    assert_no_secret("the data dir", &data_dir_text(&sandbox), &[&c.password]);
}

#[tokio::test]
async fn a_prompted_password_is_never_echoed_logged_or_shown() {
    let c = secured();
    let sandbox = Sandbox::new();
    let topic = unique_topic("secure-prompt");
    create_topics(&[&topic]).await;
    let config = write_config(&sandbox, &topic);
    // The profile asks for the password; the console opens once it is typed.
    let s = Session::spawn(&eventdeck(&sandbox, &config, "scram-prompt", None), 140, 40);
    let mut screens = vec![s.wait_for(
        &format!("SASL password for {} at {}", c.user, c.sasl_ssl),
        START,
    )];
    s.type_text(&c.password);
    // Typed but not yet entered: nothing of it on the screen.
    screens.push(s.screen());
    s.keys(&["Enter"]);
    screens.push(s.wait_for("● connected", Duration::from_secs(30)));
    screens.push(s.wait_for(&topic, START));
    s.keys(&["q"]);
    assert_eq!(s.wait_exit(EXIT), 0);
    s.assert_restored();
    for screen in &screens {
        assert_no_secret("the screen", screen, &[&c.password]);
    }
    let data = data_dir_text(&sandbox);
    assert!(
        data.contains("starting"),
        "the log file was written and searched: {data}"
    );
    assert_no_secret("the data dir", &data, &[&c.password]);
}

#[tokio::test]
async fn a_publish_refused_for_the_password_names_the_user_not_a_timeout() {
    // The console's inject form publishes without a metadata check first: the
    // producer itself must say why a send failed.
    use eventdeck::config::{CliOverrides, Settings};
    use eventdeck::kafka::EventProducer;
    let c = secured();
    let sandbox = Sandbox::new();
    let config = write_config(&sandbox, "debate.events");
    let wrong = format!("wrong-{}", uuid::Uuid::new_v4().simple());
    let cli = CliOverrides {
        config: Some(config),
        profile: Some("scram".into()),
        ..Default::default()
    };
    let settings = Settings::load_with_env(&cli, &|k| {
        (k == "KAFKA_SASL_PASSWORD").then(|| wrong.clone())
    })
    .expect("settings");
    let producer = EventProducer::new(&settings, Duration::from_secs(5)).expect("producer");
    let err = producer
        .send_raw("debate.events", None, Some(b"x"), &[])
        .await
        .expect_err("the brokers refuse the password")
        .to_string();
    let expected = format!(
        "authentication failed for user {} (SCRAM-SHA-512) at {}",
        c.user, c.sasl_ssl
    );
    assert!(err.contains(&expected), "{err}");
    assert_no_secret("the error", &err, &[&wrong, &c.password]);
}
