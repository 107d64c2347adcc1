//! `eventdeck find`: search topics or contexts for a key, field values or
//! text, printing each match as it is found (as `tail` prints records) and
//! exiting as `grep` does: 0 when something matched, 1 when nothing did, 2
//! on an error. The plan and a summary go to stderr.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use color_eyre::eyre::{Result, eyre};

use crate::cli::{FindArgs, FindFormat, TailFormat};
use crate::config::Settings;
use crate::kafka::find::{FindEvent, FindSummary, KeyScope, Plan, find};

/// Exit status when nothing matched.
pub const NOTHING_FOUND: u8 = 1;
/// Exit status on an error (as grep's).
pub const ERROR_EXIT: u8 = 2;

/// Runs `eventdeck find`.
pub async fn run(settings: &Settings, args: &FindArgs) -> Result<ExitCode> {
    let req = crate::find::request::request(args, &settings.topics).map_err(|e| eyre!(e))?;
    let format = match args.format {
        FindFormat::Json => TailFormat::Json,
        FindFormat::Pretty => TailFormat::Pretty,
    };
    let quiet = args.quiet;
    let schemas = crate::schema_registry::SchemaCache::from_config(&settings.schema_registry)
        .map_err(|e| eyre!("schema registry: {e}"))?;
    let settings = settings.clone();
    let (summary, write_error) = tokio::task::spawn_blocking(move || {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut write_error: Option<std::io::Error> = None;
        let cancel = AtomicBool::new(false);
        let key = req.query.key.clone();
        let scope = req.key_scope;
        let summary = find(&settings, &req, &cancel, |ev| {
            let written = match ev {
                FindEvent::Planned(plan) => {
                    if !quiet {
                        say_plan(&plan, key.as_deref(), scope);
                    }
                    Ok(())
                }
                FindEvent::SecondPass {
                    partitions,
                    records,
                } => {
                    if !quiet {
                        eprintln!(
                            "eventdeck: reading the other {partitions} partitions ({records} records)"
                        );
                    }
                    Ok(())
                }
                // Matches stream: what is found is on stdout within a progress tick.
                FindEvent::Progress(_) => out.flush(),
                // Masked as tail masks: find sends the record as read.
                FindEvent::Found(rec) => super::tail::write_shown(
                    &mut out,
                    &rec,
                    super::tail::Shown {
                        topics: &settings.topics,
                        policies: &settings.policies,
                    },
                    format,
                    schemas.as_ref(),
                ),
                FindEvent::Warning(w) => {
                    eprintln!("eventdeck: warning: {}", crate::domain::sanitize(&w));
                    Ok(())
                }
            };
            match written {
                Ok(()) => true,
                Err(e) => {
                    write_error = Some(e);
                    false
                }
            }
        });
        if write_error.is_none()
            && let Err(e) = out.flush()
        {
            write_error = Some(e);
        }
        (summary, write_error)
    })
    .await?;
    let summary = summary?;
    if let Some(e) = write_error
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    if !args.quiet {
        say_summary(&summary, args.limit);
    }
    Ok(if summary.matches > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(NOTHING_FOUND)
    })
}

fn say_plan(plan: &Plan, key: Option<&[u8]>, scope: KeyScope) {
    let Some(key) = key else {
        eprintln!(
            "eventdeck: searching {} partitions, {} records",
            plan.first_pass, plan.total
        );
        return;
    };
    if plan.key_partitions.is_empty() {
        eprintln!(
            "eventdeck: searching {} partitions, {} records",
            plan.first_pass, plan.total
        );
        return;
    }
    let parts: Vec<String> = plan
        .key_partitions
        .iter()
        .map(|k| {
            let by: Vec<&str> = k.by.iter().map(|p| p.describe()).collect();
            format!("{}[{}] ({})", k.topic, k.partition, by.join("; "))
        })
        .collect();
    let rest = match scope {
        _ if plan.second_pass == 0 => String::new(),
        KeyScope::KeyPartitions => format!(
            "; the other {} partitions are not read (--all-partitions, or --exhaustive when nothing is found)",
            plan.second_pass
        ),
        KeyScope::AllPartitions => format!("; then the other {}", plan.second_pass),
        KeyScope::Exhaustive => format!(
            "; the other {} only if nothing is found there",
            plan.second_pass
        ),
    };
    let line = format!(
        "eventdeck: key {} is read first in {}: {} records{rest}",
        String::from_utf8_lossy(key),
        parts.join(", "),
        plan.total
    );
    eprintln!("{}", crate::domain::sanitize(&line));
}

fn say_summary(s: &FindSummary, limit: usize) {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        (s.scanned as f64 / secs) as u64
    } else {
        0
    };
    eprintln!(
        "eventdeck: {} matches; {} of {} records read in {} partitions, {secs:.2} s ({rate} records/s)",
        s.matches, s.scanned, s.total, s.partitions
    );
    if s.capped {
        eprintln!(
            "eventdeck: stopped at the limit of {limit} matches (--limit): more records may match"
        );
    }
}
