//! `eventdeck lag`: the Lag pane's numbers for scripts — a table like
//! `kafka-consumer-groups --describe` or JSON, and an exit code for thresholds.

use std::io::Write;
use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::put_line;
use crate::cli::LagArgs;
use crate::config::Settings;
use crate::kafka::check_reachable;
use crate::kafka::groups::poll_groups;
use crate::lag::{GroupLag, LagReport, LagTracker, SecondsSource};

/// Exit status when a `--fail-above-*` threshold is crossed.
pub const THRESHOLD_EXIT: u8 = 3;

/// Runs `eventdeck lag`.
pub async fn run(settings: &Settings, args: &LagArgs) -> Result<ExitCode> {
    // A metadata round-trip first: a refused password or certificate is then
    // reported as such, not as a group-list timeout.
    check_reachable(settings, None).await?;
    let mut tracker = LagTracker::default();
    let mut report = None;
    for i in 0..args.samples.max(1) {
        if i > 0 {
            tokio::time::sleep(args.interval).await;
        }
        let s = settings.clone();
        let only = args.groups.clone();
        let poll = tokio::task::spawn_blocking(move || poll_groups(&s, &only, &[])).await??;
        report = Some(tracker.apply(&poll));
    }
    let Some(report) = report else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::domain::text::write_json(&mut out, &report, true)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &report)?;
    }
    let crossed = report.groups.iter().any(|g| crosses(g, args));
    Ok(if crossed {
        ExitCode::from(THRESHOLD_EXIT)
    } else {
        ExitCode::SUCCESS
    })
}

fn crosses(g: &GroupLag, args: &LagArgs) -> bool {
    let by_lag = matches!((args.fail_above_lag, g.total_lag), (Some(max), Some(l)) if l > max);
    let by_secs =
        matches!((args.fail_above_seconds, g.lag_seconds), (Some(max), Some(s)) if s > max);
    by_lag || by_secs
}

fn dash<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_string(), ToString::to_string)
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{s:.1}"))
}

/// Lag seconds, `~` in front when estimated (see the note under the table).
fn age(v: Option<f64>, source: Option<SecondsSource>) -> String {
    match source {
        Some(SecondsSource::Interpolated) => format!("~{}", secs(v)),
        _ => secs(v),
    }
}

/// Writes the report as two tables: groups, then partitions.
pub fn write_table(out: &mut impl Write, report: &LagReport) -> std::io::Result<()> {
    if let Some(note) = &report.note {
        writeln!(out, "note: {note}")?;
    }
    put_line(
        out,
        &format!(
            "{:<32} {:<12} {:>7} {:<6} {:>10} {:>9} {:>11} {:>9}",
            "GROUP", "STATE", "MEMBERS", "STATUS", "TOTAL-LAG", "MAX-LAG", "LAG-SECONDS", "DRAIN-S"
        ),
    )?;
    for g in &report.groups {
        put_line(
            out,
            &format!(
                "{:<32} {:<12} {:>7} {:<6} {:>10} {:>9} {:>11} {:>9}",
                g.group,
                g.state,
                g.members,
                g.status.label(),
                dash(&g.total_lag),
                dash(&g.max_lag),
                age(g.lag_seconds, g.lag_seconds_source),
                secs(g.drain_seconds),
            ),
        )?;
    }
    writeln!(out)?;
    put_line(
        out,
        &format!(
            "{:<32} {:<24} {:>9} {:>14} {:>14} {:>8} {:>11} {:<40} {:<16} CLIENT-ID",
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "LAG-SECONDS",
            "CONSUMER-ID",
            "HOST",
        ),
    )?;
    for g in &report.groups {
        for p in &g.partitions {
            let lag = match (p.deleted_unread, p.txn_markers) {
                (Some(n), _) => format!("{} ({n} deleted unread)", dash(&p.lag)),
                (None, Some(n)) => format!(
                    "{} ({n} txn marker{})",
                    dash(&p.lag),
                    if n == 1 { "" } else { "s" }
                ),
                (None, None) => dash(&p.lag),
            };
            put_line(
                out,
                &format!(
                    "{:<32} {:<24} {:>9} {:>14} {:>14} {:>8} {:>11} {:<40} {:<16} {}",
                    g.group,
                    p.topic,
                    p.partition,
                    dash(&p.current_offset),
                    p.log_end_offset,
                    lag,
                    age(p.lag_seconds, p.lag_seconds_source),
                    dash(&p.consumer_id),
                    dash(&p.host),
                    dash(&p.client_id),
                ),
            )?;
        }
    }
    let estimated = report.groups.iter().any(|g| {
        g.partitions
            .iter()
            .any(|p| p.lag_seconds_source == Some(SecondsSource::Interpolated))
    });
    if estimated {
        writeln!(
            out,
            "\n~ estimated: the record at the committed offset is gone (deleted or compacted), so its age was interpolated from the log-end history"
        )?;
    }
    Ok(())
}
