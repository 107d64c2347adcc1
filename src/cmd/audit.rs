//! `eventdeck audit`: the audit log read back, as a table or JSON.

use std::io::Write;

use color_eyre::eyre::Result;

use super::put_line;
use crate::audit::{self, AuditEntry};
use crate::cli::AuditArgs;
use crate::config::Settings;

/// Runs `eventdeck audit`.
pub fn run(settings: &Settings, args: &AuditArgs) -> Result<()> {
    let entries = audit::read(settings)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::domain::text::write_json(&mut out, &entries, true)?;
        writeln!(out)?;
        return Ok(());
    }
    write_table(&mut out, &entries)?;
    if entries.is_empty() {
        eprintln!("no audit entries in {}", audit::path(settings).display());
    }
    Ok(())
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
