//! `eventdeck groups ...`: the Groups pane's operations headless — list,
//! describe (members, assignments, offsets, lag), offset resets planned like
//! `kafka-consumer-groups --reset-offsets` and applied only with `--execute`,
//! and delete. Changes pass the read-only gate and leave one audit line.

use std::io::Write;

use color_eyre::eyre::Result;

use super::{UserError, dash, outln, put_line, report};
use crate::audit::{self, Source, action};
use crate::cli::{GroupsCommand, ResetOffsetsArgs};
use crate::config::Settings;
use crate::kafka::admin::{self, GroupDetail, GroupSummary};
use crate::mutate::{self, groups::ResetRequest};
use crate::reset::ResetPlan;

/// Runs `eventdeck groups ...`.
pub async fn run(settings: &Settings, cmd: &GroupsCommand) -> Result<()> {
    match cmd {
        GroupsCommand::List { json } => {
            let groups = admin::list_consumer_groups(settings).await?;
            let mut out = std::io::stdout().lock();
            if *json {
                crate::domain::text::write_json(&mut out, &groups, true)?;
                writeln!(out)?;
            } else {
                write_list(&mut out, &groups)?;
            }
        }
        GroupsCommand::Describe { group, json } => {
            let detail = admin::describe_consumer_group(settings, group).await?;
            let mut out = std::io::stdout().lock();
            if *json {
                crate::domain::text::write_json(&mut out, &detail, true)?;
                writeln!(out)?;
            } else {
                write_detail(&mut out, &detail)?;
            }
        }
        GroupsCommand::ResetOffsets(args) => reset(settings, args).await?,
        GroupsCommand::Delete { group, yes } => {
            mutate::groups::delete(settings, Source::Headless, group, *yes)
                .await
                .map_err(report)?;
            outln!("deleted consumer group {}", crate::domain::sanitize(group))?;
        }
    }
    Ok(())
}

async fn reset(settings: &Settings, args: &ResetOffsetsArgs) -> Result<()> {
    if args.execute {
        // Fails fast, before the plan is read; `reset_offsets` passes it again.
        audit::authorize(settings, action::GROUP_RESET_OFFSETS)?;
    }
    let req = ResetRequest::from_args(&args.group, &args.target, &[]).map_err(UserError)?;
    let plan = mutate::groups::plan_reset(settings, &req).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        crate::domain::text::write_json(&mut out, &plan, true)?;
        writeln!(out)?;
    } else {
        write_plan(&mut out, &plan)?;
    }
    out.flush()?;
    if !args.execute {
        eprintln!("dry run: nothing committed; add --execute to commit these offsets");
        return Ok(());
    }
    let committed = mutate::groups::reset_offsets(settings, Source::Headless, &plan)
        .await
        .map_err(report)?;
    eprintln!(
        "committed {} offset(s) for group {}",
        committed.len(),
        crate::domain::sanitize(&plan.group)
    );
    Ok(())
}

/// `GROUP TOPIC PARTITION CURRENT-OFFSET NEW-OFFSET`.
pub(crate) fn write_plan(out: &mut impl Write, plan: &ResetPlan) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "{:<32} {:<40} {:>9} {:>14} {:>14}",
            "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"
        ),
    )?;
    for r in &plan.rows {
        put_line(
            out,
            &format!(
                "{:<32} {:<40} {:>9} {:>14} {:>14}",
                plan.group,
                r.topic,
                r.partition,
                dash(&r.current_offset),
                r.new_offset
            ),
        )?;
    }
    Ok(())
}

/// `GROUP STATE MEMBERS PROTOCOL TYPE` (TYPE last, so scripts that read the
/// first four columns read what they did).
pub(crate) fn write_list(out: &mut impl Write, groups: &[GroupSummary]) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "{:<48} {:<20} {:>7} {:<8} TYPE",
            "GROUP", "STATE", "MEMBERS", "PROTOCOL"
        ),
    )?;
    for g in groups {
        put_line(
            out,
            &format!(
                "{:<48} {:<20} {:>7} {:<8} {}",
                g.name,
                g.state,
                g.members,
                if g.protocol_type.is_empty() {
                    "-"
                } else {
                    &g.protocol_type
                },
                g.group_type
            ),
        )?;
    }
    Ok(())
}

/// Members with assignments, then offsets with lag, in the vocabulary of
/// `kafka-consumer-groups --describe`.
pub(crate) fn write_detail(out: &mut impl Write, d: &GroupDetail) -> std::io::Result<()> {
    // The type after what classic groups always showed; the assignor for
    // the consumer protocol, whose assignment the coordinator makes.
    let mut head = format!(
        "Group: {}  State: {}  Members: {}  Type: {}",
        d.info.name,
        d.info.state,
        d.info.members.len(),
        d.info.group_type
    );
    if !d.info.assignor.is_empty() {
        head.push_str(&format!("  Assignor: {}", d.info.assignor));
    }
    put_line(out, &head)?;
    if !d.info.members.is_empty() {
        writeln!(out)?;
        put_line(
            out,
            &format!(
                "{:<56} {:<16} {:<24} ASSIGNMENT",
                "CONSUMER-ID", "HOST", "CLIENT-ID"
            ),
        )?;
        for m in &d.info.members {
            let assignment = m
                .assignment
                .iter()
                .map(|(t, p)| format!("{t}:{p}"))
                .collect::<Vec<_>>()
                .join(",");
            put_line(
                out,
                &format!(
                    "{:<56} {:<16} {:<24} {}",
                    m.id,
                    m.host,
                    m.client_id,
                    if assignment.is_empty() {
                        "-".to_string()
                    } else {
                        assignment
                    }
                ),
            )?;
        }
    }
    writeln!(out)?;
    put_line(
        out,
        &format!(
            "{:<40} {:>9} {:>14} {:>14} {:>8} {:<56} {:<16} CLIENT-ID",
            "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST"
        ),
    )?;
    for p in &d.offsets.partitions {
        // LAG as Kafka's tool computes it: log end minus committed.
        let lag = p.current_offset.map(|c| p.log_end_offset - c);
        put_line(
            out,
            &format!(
                "{:<40} {:>9} {:>14} {:>14} {:>8} {:<56} {:<16} {}",
                p.topic,
                p.partition,
                dash(&p.current_offset),
                p.log_end_offset,
                dash(&lag),
                dash(&p.consumer_id),
                dash(&p.host),
                dash(&p.client_id)
            ),
        )?;
    }
    Ok(())
}
