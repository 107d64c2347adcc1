//! `eventdeck cluster`: the Cluster tab's health for scripts — a summary or
//! JSON, and an exit code when a named fault shows (as `lag --fail-above-*`).

use std::io::Write;
use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::lag::THRESHOLD_EXIT;
use super::put_line;
use crate::cli::ClusterArgs;
use crate::config::Settings;
use crate::kafka::cluster::{ClusterHealth, PartitionIssue, cluster_health};

/// Runs `eventdeck cluster`.
pub async fn run(settings: &Settings, args: &ClusterArgs) -> Result<ExitCode> {
    let health = cluster_health(settings).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::domain::text::write_json(&mut out, &health, true)?;
        writeln!(out)?;
    } else {
        write_summary(&mut out, &health)?;
    }
    Ok(if args.fail_on.iter().any(|f| health.has(*f)) {
        ExitCode::from(THRESHOLD_EXIT)
    } else {
        ExitCode::SUCCESS
    })
}

/// Broker ids as the tool writes them (`1,3`); `-` for none.
fn ids(v: &[i32]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

fn issues(out: &mut impl Write, title: &str, rows: &[PartitionIssue]) -> std::io::Result<()> {
    writeln!(out)?;
    put_line(out, &format!("{title}: {}", rows.len()))?;
    for p in rows {
        let leader = if p.leader < 0 {
            "none".to_string()
        } else {
            p.leader.to_string()
        };
        let min = p
            .min_isr
            .map(|m| format!("  MinIsr: {m}"))
            .unwrap_or_default();
        put_line(
            out,
            &format!(
                "  Topic: {}  Partition: {}  Leader: {}  Replicas: {}  Isr: {}{min}",
                p.topic,
                p.partition,
                leader,
                ids(&p.replicas),
                ids(&p.isr)
            ),
        )?;
    }
    Ok(())
}

/// The summary: cluster, brokers, then each kind of fault (the rows in
/// `kafka-topics --describe`'s words), then the leader skew.
pub(crate) fn write_summary(out: &mut impl Write, h: &ClusterHealth) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "Cluster: {}  Controller: {}  Brokers: {}  Topics: {}  Partitions: {}",
            h.cluster_id.as_deref().unwrap_or("-"),
            h.controller
                .as_ref()
                .map_or_else(|| "-".to_string(), |c| c.id.to_string()),
            h.brokers.len(),
            h.topics,
            h.partitions
        ),
    )?;
    if let Some(note) = &h.note {
        put_line(out, &format!("note: {note}"))?;
    }
    writeln!(out)?;
    put_line(out, &format!("{:<6} {:<32} RACK", "ID", "ENDPOINT"))?;
    for b in &h.brokers {
        put_line(
            out,
            &format!(
                "{:<6} {:<32} {}",
                b.id,
                format!("{}:{}", b.host, b.port),
                b.rack.as_deref().unwrap_or("-")
            ),
        )?;
    }
    issues(out, "Offline partitions", &h.offline)?;
    issues(out, "Under-replicated partitions", &h.under_replicated)?;
    issues(out, "Under-min-ISR partitions", &h.under_min_isr)?;
    if !h.leader_skew.is_empty() {
        writeln!(out)?;
        put_line(
            out,
            "Leader skew (partitions not led by their preferred replica):",
        )?;
        for s in &h.leader_skew {
            let leaders = s
                .leaders
                .iter()
                .map(|(b, n)| format!("{b}:{n}"))
                .collect::<Vec<_>>()
                .join(" ");
            let leaders = if leaders.is_empty() {
                "-".to_string()
            } else {
                leaders
            };
            put_line(
                out,
                &format!(
                    "  {}  not preferred: {}  leaders: {leaders}",
                    s.topic, s.not_preferred
                ),
            )?;
        }
    }
    Ok(())
}
