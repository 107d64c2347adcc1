//! `eventdeck dlq list|show|redrive`: the DLQ pane's functions for scripts.

use color_eyre::eyre::{Result, eyre};
use serde_json::json;

use super::{outln, put_line};
use crate::audit::{self, Source};
use crate::cli::DlqCommand;
use crate::config::Settings;
use crate::dlq::redrive::{self, DlqRecord, matches_filter, plan, read_all};
use crate::dlq::{Family, group_by_cause};
use crate::domain::TopicMap;
use crate::kafka::groups::all_partitions;

/// Runs `eventdeck dlq ...`.
pub async fn run(settings: &Settings, action: &DlqCommand) -> Result<()> {
    match action {
        DlqCommand::List { topics, json } => list(settings, topics, *json).await,
        DlqCommand::Show {
            topic,
            partition,
            offset,
        } => show(settings, topic, *partition, *offset).await,
        DlqCommand::Redrive {
            topic,
            filter,
            records,
            to_topic,
            dry_run,
            rate,
        } => {
            redrive(
                settings,
                topic,
                filter.as_deref(),
                records,
                to_topic.as_deref(),
                *dry_run,
                *rate,
            )
            .await
        }
    }
}

async fn dlq_topics(settings: &Settings, asked: &[String]) -> Result<Vec<String>> {
    if !asked.is_empty() {
        return Ok(asked.to_vec());
    }
    let s = settings.clone();
    let parts = tokio::task::spawn_blocking(move || all_partitions(&s)).await??;
    let mut topics: Vec<String> = parts
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| settings.topics.is_dlq(t))
        .collect();
    topics.dedup();
    Ok(topics)
}

/// The dead letter as the data policies let it be shown: its record masked
/// ([`crate::kafka::ConsumedRecord::masked`]), its letter read from the
/// masked headers. Redrive sends the original; only its filter sees this.
fn shown(r: &DlqRecord, settings: &Settings) -> DlqRecord {
    r.clone().shown(&settings.policies, &settings.topics)
}

fn record_json(r: &DlqRecord, topics: &TopicMap) -> serde_json::Value {
    let decoded = r.record.decode_in(topics);
    json!({
        "topic": r.record.topic,
        "partition": r.record.partition,
        "offset": r.record.offset,
        "key": r.record.key_text(),
        "family": r.letter.family.unwrap_or(Family::Unknown),
        "dead_letter": r.letter,
        "kind": decoded.kind(),
        "event": decoded.event_json(),
        "error": decoded.error,
    })
}

async fn list(settings: &Settings, asked: &[String], as_json: bool) -> Result<()> {
    let topics = dlq_topics(settings, asked).await?;
    let mut out = Vec::new();
    for topic in &topics {
        let records: Vec<DlqRecord> = read_all(settings, std::slice::from_ref(topic))
            .await?
            .iter()
            .map(|r| shown(r, settings))
            .collect();
        let causes = group_by_cause(records.iter().map(|r| &r.letter));
        if as_json {
            out.push(json!({
                "topic": topic,
                "count": records.len(),
                "causes": causes,
                "records": records
                    .iter()
                    .map(|r| record_json(r, &settings.topics))
                    .collect::<Vec<_>>(),
            }));
            continue;
        }
        // Kinds, messages and original topics come from the dead letters'
        // headers: each line is sanitized.
        let mut stdout = std::io::stdout().lock();
        put_line(
            &mut stdout,
            &format!("{topic}: {} dead letters", records.len()),
        )?;
        for c in &causes {
            put_line(
                &mut stdout,
                &format!("  {:>6}  {}: {}", c.count, c.kind, c.message),
            )?;
        }
        for r in &records {
            let l = &r.letter;
            let line = format!(
                "    [{}]@{:<6} {:<14} from {}[{}]@{}  {}",
                r.record.partition,
                r.record.offset,
                l.family.unwrap_or(Family::Unknown).label(),
                l.original_topic.as_deref().unwrap_or("-"),
                l.original_partition.map_or("-".into(), |p| p.to_string()),
                l.original_offset.map_or("-".into(), |o| o.to_string()),
                l.error_kind.as_deref().unwrap_or("-"),
            );
            put_line(&mut stdout, &line)?;
        }
    }
    if as_json {
        outln!(
            "{}",
            crate::domain::text::json_string(&json!({ "topics": out }), true)?
        )?;
    }
    Ok(())
}

async fn show(settings: &Settings, topic: &str, partition: i32, offset: i64) -> Result<()> {
    let records = read_all(settings, &[topic.to_string()]).await?;
    let r = records
        .iter()
        .find(|r| r.record.partition == partition && r.record.offset == offset)
        .map(|r| shown(r, settings))
        .ok_or_else(|| eyre!("no record at {topic}[{partition}]@{offset}"))?;
    outln!(
        "{}",
        crate::domain::text::json_string(&record_json(&r, &settings.topics), true)?
    )?;
    Ok(())
}

fn matches(r: &DlqRecord, filter: Option<&str>, picks: &[(i32, i64)]) -> bool {
    if !picks.is_empty() && !picks.contains(&(r.record.partition, r.record.offset)) {
        return false;
    }
    filter.is_none_or(|f| matches_filter(r, f))
}

async fn redrive(
    settings: &Settings,
    topic: &str,
    filter: Option<&str>,
    picks: &[String],
    to_topic: Option<&str>,
    dry_run: bool,
    rate: u32,
) -> Result<()> {
    if !dry_run {
        audit::authorize(settings, audit::action::DLQ_REDRIVE)?;
    }
    let picks: Vec<(i32, i64)> = picks
        .iter()
        .map(|p| {
            p.split_once(':')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                .ok_or_else(|| eyre!("--record expects PARTITION:OFFSET, got '{p}'"))
        })
        .collect::<Result<_>>()?;
    let records: Vec<DlqRecord> = read_all(settings, &[topic.to_string()])
        .await?
        .into_iter()
        // The filter sees what may be shown: it cannot find a record by a
        // value a policy hides (the original is what is redriven).
        .filter(|r| matches(&shown(r, settings), filter, &picks))
        .collect();
    let plan = plan(records, to_topic);
    outln!(
        "{} {} record(s) from {topic}{}",
        if dry_run {
            "would redrive"
        } else {
            "redriving"
        },
        plan.items.len(),
        if plan.skipped > 0 {
            format!(
                " ({} without an original topic skipped; use --to-topic)",
                plan.skipped
            )
        } else {
            String::new()
        }
    )?;
    for (target, n) in &plan.targets {
        outln!("  {n:>6} -> {}", crate::domain::sanitize(target))?;
    }
    if dry_run || plan.items.is_empty() {
        return Ok(());
    }
    let outcome = redrive::redrive(
        settings,
        Source::Headless,
        &plan,
        filter,
        rate,
        |done, total| {
            if done == total || done % 100 == 0 {
                eprintln!("redrive: {done}/{total}");
            }
        },
    )
    .await?;
    outln!(
        "delivered {}, failed {}",
        outcome.delivered,
        outcome.failed.len()
    )?;
    for f in &outcome.failed {
        eprintln!("  failed: {}", crate::domain::sanitize(&f.to_string()));
    }
    if outcome.failed.is_empty() {
        Ok(())
    } else {
        Err(eyre!(
            "{} record(s) could not be redriven",
            outcome.failed.len()
        ))
    }
}
