//! The one gate every mutating action passes ([`authorize`]: refused in
//! read-only mode) and the audit log it leaves ([`record`]): one JSON line per
//! mutation in `<data dir>/audit.jsonl` — who (OS user, Kafka principal), when,
//! where (profile, cluster), what (action, parameters) and how it went.
//!
//! The lines form a hash chain, so an edited, removed or inserted line shows
//! ([`verify`]): each line ends with `"seq"` (its number in the chain), the
//! previous line's hash (`"prev"`; the first chained line of a file carries a
//! random `"genesis"` instead) and `"hash"`, the SHA-256 of the line's text
//! without its `"hash"` member. Lines written before the chain existed have
//! none of these; the chain starts at the first line that has them.

use std::io::{Read, Seek, SeekFrom, Write};
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
    /// `eventdeck acls create --execute` and the ACLs tab.
    pub const ACL_CREATE: &str = "acls.create";
    /// `eventdeck acls delete --execute` and the ACLs tab.
    pub const ACL_DELETE: &str = "acls.delete";
    /// `eventdeck users set-password --execute`.
    pub const USER_SET_PASSWORD: &str = "users.set-password";
    /// `eventdeck users delete --execute`.
    pub const USER_DELETE: &str = "users.delete";
    /// `eventdeck schemas register --execute`.
    pub const SCHEMA_REGISTER: &str = "schemas.register";
    /// `--unmask`: records shown without the data policies (not a mutation,
    /// but a privilege whose use is recorded).
    pub const UNMASK: &str = "policies.unmask";
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

/// `--unmask` refused.
#[derive(Debug, thiserror::Error)]
pub enum UnmaskError {
    /// The profile does not allow it.
    #[error(
        "--unmask is refused: profile '{0}' does not allow it (set allow_unmask = true in its profile section of the config file)"
    )]
    NotAllowed(String),
    /// Its use could not be written to the audit log.
    #[error("--unmask is refused: it could not be written to the audit log: {0}")]
    Audit(std::io::Error),
}

/// Turns the data policies off for this session (`--unmask`): refused unless
/// the profile has `allow_unmask = true`; allowed, it is written to the audit
/// log first (who, when, which profile), and refused when it cannot be.
/// Read-only mode changes nothing here: policies apply in it as anywhere.
pub fn unmask(settings: &mut Settings, source: Source) -> Result<(), UnmaskError> {
    if !settings.allow_unmask {
        return Err(UnmaskError::NotAllowed(settings.profile.clone()));
    }
    let policies: Vec<&str> = settings.policies.iter().map(|p| &*p.name).collect();
    record(
        settings,
        source,
        action::UNMASK,
        serde_json::json!({ "policies": policies }),
        Value::String("ok".into()),
    )
    .map_err(UnmaskError::Audit)?;
    settings.policies = crate::domain::policy::Policies::default();
    settings.unmasked = true;
    Ok(())
}

/// One audit line.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
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
    /// Set by [`read`] on the newest entry only: the hash chain's verdict for
    /// the whole file as it was read. Not part of the line.
    #[serde(skip)]
    pub chain: Option<Verdict>,
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

/// Appends one entry, chained to the line before it. A failure to write is
/// returned, never ignored: a mutation that cannot be audited should be
/// reported.
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
        chain: None,
    };
    crate::private::create_dir_all(&settings.data_dir)?;
    let mut f = crate::private::open_read_append(&path(settings))?;
    // The console and a headless command may append at the same time: the
    // last line is read and the next one written under one exclusive lock,
    // so no two lines name the same predecessor. Unlocked when `f` closes.
    f.lock()?;
    let (last, torn) = last_line(&mut f)?;
    let link = last
        .and_then(|l| serde_json::from_slice::<Link>(&l).ok())
        .and_then(|l| Some((l.seq?, l.hash?)));
    let (genesis, prev, seq) = match link {
        Some((seq, hash)) => (None, Some(hash), seq + 1),
        // A new file, or one whose last line predates the chain (or cannot
        // be read): a new chain starts from a random genesis.
        None => (Some(random_hex()), None, 1),
    };
    let mut line = Vec::new();
    if torn {
        // The last write was cut short: this line stands on its own.
        line.push(b'\n');
    }
    line.extend(chained_line(&entry, genesis, prev, seq)?);
    f.write_all(&line)?;
    f.sync_data()?;
    Ok(entry)
}

/// The chain's fields of a line, read back.
#[derive(Debug, serde::Deserialize)]
struct Link {
    genesis: Option<String>,
    prev: Option<String>,
    seq: Option<u64>,
    hash: Option<String>,
}

/// An entry as written: its fields, then the chain's, then the hash of all
/// that, as the last member.
#[derive(Serialize)]
struct Chained<'a> {
    #[serde(flatten)]
    entry: &'a AuditEntry,
    #[serde(skip_serializing_if = "Option::is_none")]
    genesis: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<String>,
    seq: u64,
}

/// `,"hash":"` + 64 hex digits + `"}`: how every chained line ends.
const HASH_KEY: &str = ",\"hash\":\"";
const HASH_SUFFIX_LEN: usize = HASH_KEY.len() + 64 + 2;

fn chained_line(
    entry: &AuditEntry,
    genesis: Option<String>,
    prev: Option<String>,
    seq: u64,
) -> std::io::Result<Vec<u8>> {
    let mut body = serde_json::to_vec(&Chained {
        entry,
        genesis,
        prev,
        seq,
    })?;
    let hash = sha256_hex(&body);
    body.pop(); // the closing brace
    body.extend_from_slice(HASH_KEY.as_bytes());
    body.extend_from_slice(hash.as_bytes());
    body.extend_from_slice(b"\"}\n");
    Ok(body)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// 256 random bits as hex: a genesis no one can predict or reuse.
fn random_hex() -> String {
    format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    )
}

/// The hash a chained line's text vouches for: the SHA-256 of the line
/// without its trailing `"hash"` member. None when the line does not end
/// in one.
fn body_hash(line: &str) -> Option<String> {
    let cut = line.len().checked_sub(HASH_SUFFIX_LEN)?;
    let tail = line.get(cut..)?;
    if !tail.starts_with(HASH_KEY) || !tail.ends_with("\"}") {
        return None;
    }
    let body = format!("{}}}", &line[..cut]);
    Some(sha256_hex(body.as_bytes()))
}

/// The file's last line (without its newline), and whether the file ends
/// without one (a write cut short). Read backwards, so a long log costs no
/// more than its last line.
fn last_line(f: &mut std::fs::File) -> std::io::Result<(Option<Vec<u8>>, bool)> {
    const CHUNK: u64 = 8192;
    let len = f.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok((None, false));
    }
    let mut tail: Vec<u8> = Vec::new();
    let mut pos = len;
    loop {
        let start = pos.saturating_sub(CHUNK);
        let mut chunk = vec![0; (pos - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        pos = start;
        // A newline before the last byte ends the search.
        let body = &tail[..tail.len() - 1];
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            tail.drain(..=i);
            break;
        }
        if pos == 0 {
            break;
        }
    }
    let torn = tail.last() != Some(&b'\n');
    if !torn {
        tail.pop();
    }
    Ok((Some(tail), torn))
}

/// How the chain broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The line's text is not what was hashed when it was written.
    Changed,
    /// One or more lines before this one are missing.
    Removed,
    /// The line was not written in the chain's order.
    Inserted,
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// 1-based line number in the file.
    pub line: usize,
    /// What happened there.
    pub kind: BreakKind,
    /// Why verify says so.
    pub detail: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Lines in the file.
    pub lines: usize,
    /// The first chained line (1-based); None when no line is chained.
    pub chained_from: Option<usize>,
    /// The first break, None when the chain is intact.
    #[serde(rename = "break")]
    pub broken: Option<Break>,
}

impl Verdict {
    /// True when no line was changed, removed or inserted.
    pub fn intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Checks the chain of the audit log's text: the first line changed,
/// removed or inserted since it was written. Lines before the first chained
/// one (written before the chain existed) are not checked. Removing the
/// newest lines cannot show here: no line after them names them.
pub fn verify_text(text: &str) -> Verdict {
    let lines: Vec<&str> = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect();
    let lines = if text.is_empty() { Vec::new() } else { lines };
    let links: Vec<Option<Link>> = lines
        .iter()
        .map(|l| serde_json::from_str::<Link>(l).ok())
        .collect();
    let mut verdict = Verdict {
        lines: lines.len(),
        chained_from: None,
        broken: None,
    };
    // The hashes of the last two chained lines, and the last one's seq.
    let mut last: Option<(u64, String)> = None;
    let mut before_last: Option<String> = None;
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let brk = |kind, detail: String| {
            Some(Break {
                line: n,
                kind,
                detail,
            })
        };
        let Some((link, hash)) = links[i].as_ref().and_then(|l| Some((l, l.hash.clone()?))) else {
            if verdict.chained_from.is_none() {
                continue; // written before the chain
            }
            verdict.broken = if links[i].is_some() {
                brk(BreakKind::Inserted, "the line has no hash".into())
            } else {
                brk(BreakKind::Changed, "the line is not a JSON object".into())
            };
            return verdict;
        };
        if body_hash(raw).as_deref() != Some(hash.as_str()) {
            verdict.broken = brk(
                BreakKind::Changed,
                "its text does not match its hash".into(),
            );
            return verdict;
        }
        let Some(seq) = link.seq else {
            verdict.broken = brk(BreakKind::Changed, "the line has no seq".into());
            return verdict;
        };
        let Some((last_seq, last_hash)) = last.take() else {
            verdict.chained_from = Some(n);
            if link.genesis.is_none() || seq != 1 {
                verdict.broken = brk(
                    BreakKind::Removed,
                    format!("the chain's first line is missing (this one is line {seq} of it)"),
                );
                return verdict;
            }
            last = Some((seq, hash));
            continue;
        };
        if link.genesis.is_some() {
            verdict.broken = brk(
                BreakKind::Inserted,
                "a second genesis inside the chain".into(),
            );
            return verdict;
        }
        if link.prev.as_deref() != Some(last_hash.as_str()) {
            let next_prev = links.get(i + 1).and_then(|l| l.as_ref()?.prev.as_deref());
            // An inserted line is the one its neighbours skip: checked
            // before the seq, since a copied line brings its own.
            verdict.broken = if next_prev == Some(last_hash.as_str()) {
                brk(
                    BreakKind::Inserted,
                    "the next line follows the one before it".into(),
                )
            } else if before_last.is_some() && link.prev == before_last {
                Some(Break {
                    line: n - 1,
                    kind: BreakKind::Inserted,
                    detail: "the line after it follows the one before it".into(),
                })
            } else if seq > last_seq + 1 {
                let k = seq - last_seq - 1;
                brk(BreakKind::Removed, format!("{k} line(s) missing before it"))
            } else {
                brk(
                    BreakKind::Changed,
                    "its prev is not the hash of the line before it".into(),
                )
            };
            return verdict;
        }
        if seq != last_seq + 1 {
            verdict.broken = brk(BreakKind::Changed, format!("seq {seq} after {last_seq}"));
            return verdict;
        }
        before_last = Some(last_hash);
        last = Some((seq, hash));
    }
    verdict
}

/// Checks the chain of the audit log file ([`verify_text`]); a missing file
/// is an empty, intact log.
pub fn verify(settings: &Settings) -> std::io::Result<Verdict> {
    Ok(verify_text(&read_text(settings)?))
}

fn read_text(settings: &Settings) -> std::io::Result<String> {
    match std::fs::read_to_string(path(settings)) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// Every entry as written, its place in the hash chain (`seq`, `genesis`,
/// `prev`, `hash`) included, for `audit --json`: the lines [`read`] parses.
pub fn read_lines(settings: &Settings) -> std::io::Result<Vec<Value>> {
    Ok(read_text(settings)?
        .lines()
        .filter(|l| serde_json::from_str::<AuditEntry>(l).is_ok())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Reads every entry (unparseable lines are skipped); the newest carries the
/// chain's verdict ([`AuditEntry::chain`]).
pub fn read(settings: &Settings) -> std::io::Result<Vec<AuditEntry>> {
    let text = read_text(settings)?;
    let mut entries: Vec<AuditEntry> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    if let Some(newest) = entries.last_mut() {
        newest.chain = Some(verify_text(&text));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &std::path::Path, read_only: bool) -> Settings {
        let mut s = Settings::for_tests(None, dir);
        s.read_only = read_only;
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
    /// `n` mutations recorded in a fresh data dir, and the file's lines.
    fn chained_log(n: u32) -> (tempfile::TempDir, Settings, Vec<String>) {
        let dir = tempfile::tempdir().expect("dir");
        let s = settings(dir.path(), false);
        for i in 0..n {
            record(
                &s,
                Source::Headless,
                "inject",
                serde_json::json!({"n": i}),
                "ok".into(),
            )
            .expect("write");
        }
        let text = std::fs::read_to_string(path(&s)).expect("read");
        let lines = text.lines().map(str::to_string).collect();
        (dir, s, lines)
    }

    fn rewrite(s: &Settings, lines: &[String]) -> Verdict {
        std::fs::write(path(s), lines.join("\n") + "\n").expect("rewrite");
        verify(s).expect("verify")
    }

    fn broken_at(v: &Verdict) -> (usize, BreakKind) {
        let b = v.broken.as_ref().expect("chain broken");
        (b.line, b.kind)
    }

    #[test]
    fn recorded_lines_form_an_intact_chain_from_a_random_genesis() {
        let (_d, s, lines) = chained_log(5);
        let v = verify(&s).expect("verify");
        assert_eq!(
            v,
            Verdict {
                lines: 5,
                chained_from: Some(1),
                broken: None
            }
        );
        let first: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
        assert_eq!(first["seq"], 1);
        assert_eq!(first["genesis"].as_str().map(str::len), Some(64));
        let second: serde_json::Value = serde_json::from_str(&lines[1]).expect("json");
        assert_eq!(second["prev"], first["hash"]);
        assert!(second.get("genesis").is_none());
        // Another file starts from another genesis.
        let (_d2, _s2, other) = chained_log(1);
        let other: serde_json::Value = serde_json::from_str(&other[0]).expect("json");
        assert_ne!(other["genesis"], first["genesis"]);
        // The newest entry read carries the verdict.
        let entries = read(&s).expect("read");
        assert_eq!(entries[4].chain.as_ref().map(Verdict::intact), Some(true));
        assert_eq!(entries[0].chain, None);
    }

    #[test]
    fn an_edited_line_is_caught_at_its_line() {
        let (_d, s, mut lines) = chained_log(5);
        lines[2] = lines[2].replace("\"n\":2", "\"n\":7");
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Changed));
    }

    #[test]
    fn an_edited_last_line_is_caught() {
        let (_d, s, mut lines) = chained_log(3);
        lines[2] = lines[2].replace("\"outcome\":\"ok\"", "\"outcome\":\"ko\"");
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Changed));
    }

    #[test]
    fn a_deleted_line_is_caught_where_it_was() {
        let (_d, s, mut lines) = chained_log(5);
        lines.remove(2);
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Removed));
        // The genesis line too.
        let (_d, s, mut lines) = chained_log(3);
        lines.remove(0);
        assert_eq!(broken_at(&rewrite(&s, &lines)), (1, BreakKind::Removed));
    }

    #[test]
    fn an_inserted_line_is_caught_at_its_line() {
        // A copy of a later line.
        let (_d, s, mut lines) = chained_log(5);
        let copy = lines[3].clone();
        lines.insert(2, copy);
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Inserted));
        // A copy of the genesis line.
        let (_d, s, mut lines) = chained_log(5);
        let copy = lines[0].clone();
        lines.insert(2, copy);
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Inserted));
        // A line written by hand, without the chain's fields.
        let (_d, s, mut lines) = chained_log(5);
        let forged = serde_json::json!({"time": "2026-12-01T00:00:00.000Z", "os_user": "x",
            "principal": "User:x", "profile": "default", "cluster": "k:9092",
            "action": "inject", "params": {}, "outcome": "ok"});
        lines.insert(2, forged.to_string());
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Inserted));
        // A line forged to follow line 2, its hash computed as eventdeck would.
        let (_d, s, mut lines) = chained_log(5);
        let prev: serde_json::Value = serde_json::from_str(&lines[1]).expect("json");
        let entry = AuditEntry {
            action: "inject".into(),
            ..Default::default()
        };
        let forged =
            chained_line(&entry, None, prev["hash"].as_str().map(str::to_string), 3).expect("line");
        lines.insert(
            2,
            String::from_utf8(forged)
                .expect("utf8")
                .trim_end()
                .to_string(),
        );
        assert_eq!(broken_at(&rewrite(&s, &lines)), (3, BreakKind::Inserted));
    }

    #[test]
    fn an_old_log_is_chained_from_its_first_new_line() {
        let dir = tempfile::tempdir().expect("dir");
        let s = settings(dir.path(), false);
        let old = serde_json::json!({"time": "2026-11-01T00:00:00.000Z", "os_user": "x",
            "principal": "User:x", "profile": "default", "cluster": "k:9092",
            "action": "inject", "params": {}, "outcome": "ok"});
        std::fs::write(path(&s), format!("{old}\n{old}\n")).expect("old log");
        for _ in 0..2 {
            record(
                &s,
                Source::Console,
                "inject",
                serde_json::json!({}),
                "ok".into(),
            )
            .expect("write");
        }
        let v = verify(&s).expect("verify");
        assert_eq!(
            v,
            Verdict {
                lines: 4,
                chained_from: Some(3),
                broken: None
            }
        );
        assert_eq!(read(&s).expect("read").len(), 4, "old lines still read");
    }

    #[test]
    fn appends_from_many_writers_at_once_keep_the_chain() {
        let dir = tempfile::tempdir().expect("dir");
        let s = settings(dir.path(), false);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..25 {
                        record(
                            s,
                            Source::Headless,
                            "inject",
                            serde_json::json!({"t": t, "i": i}),
                            "ok".into(),
                        )
                        .expect("write");
                    }
                });
            }
        });
        let v = verify(&s).expect("verify");
        assert_eq!(
            v,
            Verdict {
                lines: 100,
                chained_from: Some(1),
                broken: None
            }
        );
    }
}
