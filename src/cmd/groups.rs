//! `eventdeck groups ...`: the Groups pane's operations headless — list,
//! describe (members, assignments, offsets, lag), offset resets planned like
//! `kafka-consumer-groups --reset-offsets` and applied only with `--execute`,
//! and delete. Changes pass the read-only gate and leave one audit line.

use std::io::Write;

use color_eyre::eyre::Result;
use serde_json::json;

use super::{UserError, confirm, dash, outcome, outln, put_line};
use crate::audit::{self, action};
use crate::cli::{GroupsCommand, ResetOffsetsArgs};
use crate::config::Settings;
use crate::kafka::admin::{self, GroupDetail, GroupSummary};
use crate::ops::{
    ResetPlan, ResetScope, ResetSpec, TopicScope, parse_datetime, parse_iso_duration,
};

/// Why a listed group can read as Dead: the broker listed it, but the classic
/// DescribeGroups request (the only one rdkafka 0.39 offers) cannot describe it.
const DEAD_NOTE: &str = "note: a group shown as Dead was listed by the broker but could not be described; \
consumer-protocol (KIP-848) groups look like this to this client: check them with kafka-consumer-groups --describe";

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
                if groups.iter().any(|g| g.state == "Dead") {
                    eprintln!("{DEAD_NOTE}");
                }
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
                if detail.info.state == "Dead" {
                    eprintln!("{DEAD_NOTE}");
                }
            }
        }
        GroupsCommand::ResetOffsets(args) => reset(settings, args).await?,
        GroupsCommand::Delete { group, yes } => {
            audit::authorize(settings, action::GROUP_DELETE)?;
            confirm(*yes, format!("deleting consumer group '{group}'"))?;
            let res = admin::delete_consumer_group(settings, group).await;
            audit::record(
                settings,
                action::GROUP_DELETE,
                json!({ "group": group }),
                outcome(&res, |_| "ok".into()),
            )?;
            res?;
            outln!("deleted consumer group {}", crate::domain::sanitize(group))?;
        }
    }
    Ok(())
}

/// The reset spec the flags ask for.
fn spec(args: &ResetOffsetsArgs) -> Result<ResetSpec, UserError> {
    if args.to_earliest {
        return Ok(ResetSpec::Earliest);
    }
    if args.to_latest {
        return Ok(ResetSpec::Latest);
    }
    if let Some(t) = &args.to_datetime {
        return parse_datetime(t)
            .map(ResetSpec::Timestamp)
            .map_err(|e| UserError(format!("--to-datetime: {e}")));
    }
    if let Some(d) = &args.by_duration {
        let ms = parse_iso_duration(d).map_err(|e| UserError(format!("--by-duration: {e}")))?;
        return Ok(ResetSpec::Timestamp(
            chrono::Utc::now().timestamp_millis() - ms,
        ));
    }
    if let Some(n) = args.shift_by {
        return Ok(ResetSpec::ShiftBy(n));
    }
    if let Some(n) = args.to_offset {
        return Ok(ResetSpec::Offset(n));
    }
    Err(UserError(
        "say where to: --to-earliest, --to-latest, --to-datetime, --by-duration, --shift-by or --to-offset".into(),
    ))
}

/// The partitions the flags select.
fn scope(args: &ResetOffsetsArgs) -> Result<ResetScope, UserError> {
    if args.all_topics {
        return Ok(ResetScope::AllTopics);
    }
    if args.topics.is_empty() {
        return Err(UserError(
            "say which partitions: --topic T[:P,...] or --all-topics".into(),
        ));
    }
    args.topics
        .iter()
        .map(|t| TopicScope::parse(t).map_err(|e| UserError(format!("--topic: {e}"))))
        .collect::<Result<_, _>>()
        .map(ResetScope::Topics)
}

async fn reset(settings: &Settings, args: &ResetOffsetsArgs) -> Result<()> {
    if args.execute {
        audit::authorize(settings, action::GROUP_RESET_OFFSETS)?;
    }
    let spec = spec(args)?;
    let scope = scope(args)?;
    let plan = admin::plan_reset(settings, &args.group, spec, &scope).await?;
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
    let res = admin::execute_reset(settings, &plan).await;
    audit::record(
        settings,
        action::GROUP_RESET_OFFSETS,
        json!({ "group": plan.group, "spec": spec, "scope": scope, "plan": plan.rows }),
        outcome(&res, |c| json!({ "committed": c.len() })),
    )?;
    let committed = res?;
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

/// `GROUP STATE MEMBERS PROTOCOL`.
pub(crate) fn write_list(out: &mut impl Write, groups: &[GroupSummary]) -> std::io::Result<()> {
    put_line(
        out,
        &format!("{:<48} {:<20} {:>7} PROTOCOL", "GROUP", "STATE", "MEMBERS"),
    )?;
    for g in groups {
        put_line(
            out,
            &format!(
                "{:<48} {:<20} {:>7} {}",
                g.name,
                g.state,
                g.members,
                if g.protocol_type.is_empty() {
                    "-"
                } else {
                    &g.protocol_type
                }
            ),
        )?;
    }
    Ok(())
}

/// Members with assignments, then offsets with lag, in the vocabulary of
/// `kafka-consumer-groups --describe`.
pub(crate) fn write_detail(out: &mut impl Write, d: &GroupDetail) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "Group: {}  State: {}  Members: {}",
            d.info.name,
            d.info.state,
            d.info.members.len()
        ),
    )?;
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
