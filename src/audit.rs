//! The one gate every mutating action passes ([`authorize`]: refused in
//! read-only mode) and the audit log it leaves ([`record`]): one JSON line per
//! mutation in `<data dir>/audit.jsonl` — who (OS user, Kafka principal), when,
//! where (profile, cluster), what (action, parameters) and how it went.

use std::io::Write;
use std::path::PathBuf;

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::config::Settings;

/// The names of the audited actions: the same string goes to [`authorize`]
/// (and so into the read-only refusal) and to [`record`].
pub mod action {
    /// `eventdeck inject` and the console's inject form.
    pub const INJECT: &str = "inject";
    /// `eventdeck dlq redrive`.
    pub const DLQ_REDRIVE: &str = "dlq.redrive";
    /// `eventdeck replay`.
    pub const REPLAY: &str = "replay";
    /// `eventdeck topics create`.
    pub const TOPIC_CREATE: &str = "topics.create";
    /// `eventdeck topics init` (and `bridge --create-topics`, the console's `init_topics`).
    pub const TOPICS_INIT: &str = "topics.init";
    /// `eventdeck topics delete`.
    pub const TOPIC_DELETE: &str = "topics.delete";
    /// `eventdeck topics config --set/--delete`.
    pub const TOPIC_CONFIG: &str = "topics.config";
    /// `eventdeck topics add-partitions`.
    pub const TOPIC_ADD_PARTITIONS: &str = "topics.add-partitions";
    /// `eventdeck topics empty`.
    pub const TOPIC_EMPTY: &str = "topics.empty";
    /// `eventdeck groups reset-offsets --execute`.
    pub const GROUP_RESET_OFFSETS: &str = "groups.reset-offsets";
    /// `eventdeck groups delete`.
    pub const GROUP_DELETE: &str = "groups.delete";
}

/// Where a mutation was asked for: the same function runs it either way, and
/// the audit line says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A headless command (`eventdeck topics …`, `groups …`, `dlq redrive`, …).
    Headless,
    /// The console (a pane, a dialog or the palette).
    Console,
}

/// A mutation refused because the session is read-only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("read-only mode: {action} is a mutating action and is refused")]
pub struct ReadOnly {
    /// The refused action.
    pub action: String,
}

/// Lets a mutating action through, or refuses it in read-only mode.
pub fn authorize(settings: &Settings, action: &str) -> Result<(), ReadOnly> {
    if settings.read_only {
        return Err(ReadOnly {
            action: action.to_string(),
        });
    }
    Ok(())
}

/// One audit line.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct AuditEntry {
    /// RFC 3339 UTC.
    pub time: String,
    /// The OS user running eventdeck.
    pub os_user: String,
    /// The Kafka principal as the broker would name it: `User:<sasl user>`,
    /// `User:ANONYMOUS` without authentication, or the client certificate's
    /// path with mTLS (its subject is not parsed here).
    pub principal: String,
    /// Profile name.
    pub profile: String,
    /// Bootstrap servers.
    pub cluster: String,
    /// Headless command or console; absent in lines written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// What was done, e.g. `dlq.redrive`.
    pub action: String,
    /// Its parameters.
    pub params: Value,
    /// `ok`, or the error.
    pub outcome: Value,
}

/// The OS user: `$USER`, else `$LOGNAME`, else the name of this process's
/// uid in /etc/passwd (containers and cron jobs often set neither variable),
/// else `uid:N`, else `-`.
pub fn os_user() -> String {
    if let Some(u) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    {
        return u;
    }
    let Some(uid) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().next().map(str::to_string))
        })
    else {
        return "-".into();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| format!("uid:{uid}"))
}

/// The Kafka principal these settings authenticate as, as far as the client
/// can tell without asking the broker.
pub fn principal(settings: &Settings) -> String {
    let sec = &settings.security;
    if let Some(user) = &sec.sasl_username {
        return format!("User:{user}");
    }
    if let Some(cert) = &sec.ssl_certificate_location {
        return format!("certificate:{}", cert.display());
    }
    "User:ANONYMOUS".into()
}

/// The audit log file.
pub fn path(settings: &Settings) -> PathBuf {
    settings.data_dir.join("audit.jsonl")
}

/// Appends one entry. A failure to write is returned, never ignored: a mutation
/// that cannot be audited should be reported.
pub fn record(
    settings: &Settings,
    source: Source,
    action: &str,
    params: Value,
    outcome: Value,
) -> std::io::Result<AuditEntry> {
    let entry = AuditEntry {
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        os_user: os_user(),
        principal: principal(settings),
        profile: settings.profile.clone(),
        cluster: settings.brokers.clone(),
        source: Some(source),
        action: action.to_string(),
        params,
        outcome,
    };
    crate::private::create_dir_all(&settings.data_dir)?;
    let mut f = crate::private::open_append(&path(settings))?;
    let mut line = serde_json::to_vec(&entry)?;
    line.push(b'\n');
    f.write_all(&line)?;
    f.sync_data()?;
    Ok(entry)
}

/// Reads every entry (unparseable lines are skipped).
pub fn read(settings: &Settings) -> std::io::Result<Vec<AuditEntry>> {
    let text = match std::fs::read_to_string(path(settings)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CliOverrides;

    fn settings(dir: &std::path::Path, read_only: bool) -> Settings {
        let mut s = Settings::load_with_env(
            &CliOverrides {
                config: Some("/dev/null".into()),
                read_only,
                ..Default::default()
            },
            &|_| None,
        )
        .expect("settings");
        s.data_dir = dir.to_path_buf();
        s
    }

    #[test]
    fn read_only_refuses_and_writable_records_one_line_per_mutation() {
        let dir = tempfile::tempdir().expect("dir");
        let ro = settings(dir.path(), true);
        let err = authorize(&ro, "dlq.redrive").expect_err("refused");
        assert!(err.to_string().contains("read-only"));
        let rw = settings(dir.path(), false);
        authorize(&rw, "dlq.redrive").expect("allowed");
        record(
            &rw,
            Source::Headless,
            "dlq.redrive",
            serde_json::json!({"n": 2}),
            "ok".into(),
        )
        .expect("write");
        record(
            &rw,
            Source::Console,
            "inject",
            serde_json::json!({}),
            "boom".into(),
        )
        .expect("write");
        let entries = read(&rw).expect("read");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].action, "dlq.redrive");
        assert_eq!(entries[0].params["n"], 2);
        assert_eq!(entries[1].outcome, "boom");
        assert_eq!(entries[0].principal, "User:ANONYMOUS");
        assert_eq!(entries[0].source, Some(Source::Headless));
        assert_eq!(entries[1].source, Some(Source::Console));
    }
}
