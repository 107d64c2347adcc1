//! What eventdeck writes is private to the user whatever the umask (the data
//! dir 0700; the log, the audit log and the bridge's outbox 0600), and what
//! others could read or see of its secrets is warned about, with the fix.
#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `cmd` run by a shell whose umask is 022, as on most machines.
fn under_umask_022(cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c").arg("umask 022 && exec \"$@\"").arg("sh");
    sh.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

#[test]
fn the_data_dir_log_audit_log_and_outbox_are_private_under_umask_022() {
    let sandbox = Sandbox::new();
    let topic = unique_topic("private-files");
    // A mutation: the log and the audit log.
    let mut create = sandbox.eventdeck();
    create.args(["topics", "create", &topic, "--partitions", "1"]);
    let out = run(under_umask_022(&create));
    assert!(out.status.success(), "{}", stderr(&out));

    // The bridge: its outbox and its id.
    let outbox = sandbox.data_dir().join("outbox");
    let mut bridge = sandbox.eventdeck();
    bridge.args(["bridge", "--contexts", "debate"]);
    let mut child = under_umask_022(&bridge)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the bridge");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !outbox.join("acked").exists() {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            let out = child.wait_with_output().expect("bridge output");
            panic!("the bridge made no outbox in 60 s: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let data = sandbox.data_dir();
    assert_eq!(mode(&data), 0o700, "the data dir");
    assert_eq!(mode(&data.join("eventdeck.log")), 0o600, "the log");
    assert_eq!(mode(&data.join("audit.jsonl")), 0o600, "the audit log");
    assert_eq!(mode(&outbox), 0o700, "the outbox dir");
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    assert!(!files.is_empty(), "the outbox has files");
    assert!(
        files.iter().any(|f| f.ends_with("bridge-id")),
        "the bridge's id is among them: {files:?}"
    );
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
}

#[test]
fn an_open_data_dir_a_readable_config_with_a_password_and_x_passwords_are_warned_about() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config_dir = sandbox.dir.path().join("config").join("eventdeck");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    let config = config_dir.join("config.toml");
    std::fs::write(
        &config,
        "[profiles.prod]\nbrokers = \"kafka:9093\"\n\n[profiles.prod.security]\nsasl_password = \"hunter2\"\n",
    )
    .expect("config");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    // `audit` reads the audit log only: no cluster needed.
    let mut cmd = sandbox.eventdeck();
    cmd.args(["-X", "sasl.password=hunter3", "audit"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("eventdeck: warning: "))
        .collect();
    assert_eq!(warnings.len(), 3, "{err}");
    assert!(
        warnings[0].ends_with(&format!("chmod 700 {}", data.display())),
        "{err}"
    );
    assert!(
        warnings[1].ends_with(&format!("chmod 600 {}", config.display())),
        "{err}"
    );
    assert!(
        warnings[2].contains("-X sasl.password=…") && warnings[2].contains("--ask-password"),
        "{err}"
    );
    assert!(!err.contains("hunter"), "no secret is repeated: {err}");

    // Fixed as said: no warning, and the data dir stays as the user set it.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut cmd = sandbox.eventdeck();
    cmd.arg("audit");
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}
