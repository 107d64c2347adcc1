//! `eventdeck audit`: the audit log read back, as a table or JSON, or its
//! hash chain checked (`--verify`).

use std::io::Write;
use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::put_line;
use crate::audit::{self, AuditEntry};
use crate::cli::AuditArgs;
use crate::config::Settings;

/// Runs `eventdeck audit`.
pub fn run(settings: &Settings, args: &AuditArgs) -> Result<ExitCode> {
    if args.verify {
        return verify(settings, args.json);
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        // As written, with each line's place in the hash chain, so a script
        // can check the chain itself.
        crate::domain::text::write_json(&mut out, &audit::read_lines(settings)?, true)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let entries = audit::read(settings)?;
    write_table(&mut out, &entries)?;
    if entries.is_empty() {
        eprintln!("no audit entries in {}", audit::path(settings).display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `eventdeck audit --verify`: one line, exit 1 when the chain is broken.
fn verify(settings: &Settings, json: bool) -> Result<ExitCode> {
    let verdict = audit::verify(settings)?;
    let mut out = std::io::stdout().lock();
    if json {
        crate::domain::text::write_json(&mut out, &verdict, true)?;
        writeln!(out)?;
    } else {
        put_line(&mut out, &verdict_line(&verdict))?;
    }
    Ok(if verdict.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The verdict in one line.
pub(crate) fn verdict_line(v: &audit::Verdict) -> String {
    let n = v.lines;
    match (&v.broken, v.chained_from) {
        (Some(b), _) => format!(
            "✗ line {}: {} ({}); lines before it are intact",
            b.line,
            match b.kind {
                audit::BreakKind::Changed => "changed",
                audit::BreakKind::Removed => "removed",
                audit::BreakKind::Inserted => "inserted",
            },
            b.detail
        ),
        (None, None) if n > 0 => {
            format!("✓ {n} lines, none chained yet (written before the chain)")
        }
        (None, Some(from)) if from > 1 => format!(
            "✓ {n} lines, chain intact from line {from} (lines before it predate the chain)"
        ),
        (None, _) => format!("✓ {n} lines, chain intact"),
    }
}

/// One line per entry: time, who, where, what, how it went.
pub(crate) fn write_table(out: &mut impl Write, entries: &[AuditEntry]) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "{:<24} {:<12} {:<20} {:<10} {:<22} {:<22} {:<28} PARAMS",
            "TIME", "OS-USER", "PRINCIPAL", "PROFILE", "CLUSTER", "ACTION", "OUTCOME"
        ),
    )?;
    for e in entries {
        let outcome = match &e.outcome {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        put_line(
            out,
            &format!(
                "{:<24} {:<12} {:<20} {:<10} {:<22} {:<22} {:<28} {}",
                e.time, e.os_user, e.principal, e.profile, e.cluster, e.action, outcome, e.params
            ),
        )?;
    }
    Ok(())
}
