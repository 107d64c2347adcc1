//! `eventdeck policies check`: reads records of a topic and prints, per data
//! policy, which fields of which records it hides, so a policy can be tried
//! on real records before it is trusted. Never a value: only policy names,
//! record coordinates and field paths.

use std::collections::BTreeMap;

use color_eyre::eyre::{Result, eyre};
use serde_json::json;

use super::{outln, put_line};
use crate::cli::PoliciesCommand;
use crate::config::Settings;
use crate::domain::policy::Hit;
use crate::domain::schema::NoRegistry;
use crate::kafka::ConsumedRecord;
use crate::kafka::consume::read_from_beginning;

/// Runs `eventdeck policies ...`.
pub async fn run(settings: &Settings, action: &PoliciesCommand) -> Result<()> {
    match action {
        PoliciesCommand::Check { topic, count, json } => {
            check(settings, topic, *count, *json).await
        }
    }
}

/// What one policy hit in the records read: (partition, offset, targets).
type Report = BTreeMap<String, Vec<(i32, i64, Vec<String>)>>;

/// The hits of every policy on the first `count` records of `topic`.
pub fn hits_by_policy(settings: &Settings, records: &[ConsumedRecord]) -> Report {
    let schemas = crate::schema_registry::SchemaCache::from_config(&settings.schema_registry)
        .ok()
        .flatten();
    let mut report: Report = settings
        .policies
        .iter()
        .map(|p| (p.name.to_string(), Vec::new()))
        .collect();
    for rec in records {
        let masked = match &schemas {
            Some(cache) => rec.masked(&settings.policies, &settings.topics, &cache.waiting()),
            None => rec.masked(&settings.policies, &settings.topics, &NoRegistry),
        };
        let Some((_, hits)) = masked else {
            continue;
        };
        let mut per: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for Hit { policy, target } in &hits {
            per.entry(policy).or_default().push(target.to_string());
        }
        for (policy, targets) in per {
            if let Some(list) = report.get_mut(policy) {
                list.push((rec.partition, rec.offset, targets));
            }
        }
    }
    report
}

async fn read(settings: &Settings, topic: &str, count: usize) -> Result<Vec<ConsumedRecord>> {
    let topics = [topic.to_string()];
    Ok(read_from_beginning(settings, &topics, Some(count as u64)).await?)
}

async fn check(settings: &Settings, topic: &str, count: usize, as_json: bool) -> Result<()> {
    if settings.policies.is_empty() {
        return Err(eyre!(if settings.unmasked {
            "no data policy is active: --unmask turned them off"
        } else {
            "no data policies are configured ([[policies]] in the config file or the profile)"
        }));
    }
    let topic = settings.topics.resolve(topic);
    let records = read(settings, &topic, count).await?;
    let report = hits_by_policy(settings, &records);
    let applies: BTreeMap<&str, bool> = settings
        .policies
        .iter()
        .map(|p| (&*p.name, p.may_apply_to_topic(&topic)))
        .collect();
    if as_json {
        let policies: Vec<_> = report
            .iter()
            .map(|(name, hits)| {
                json!({
                    "policy": name,
                    "topic_matches": applies.get(name.as_str()).copied().unwrap_or(false),
                    "records_hit": hits.len(),
                    "hits": hits.iter().map(|(p, o, targets)| json!({
                        "partition": p, "offset": o, "targets": targets,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let out = json!({ "topic": topic, "records_read": records.len(), "policies": policies });
        outln!("{}", crate::domain::text::json_string(&out, true)?)?;
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    put_line(
        &mut stdout,
        &format!("{topic}: {} records read", records.len()),
    )?;
    for (name, hits) in &report {
        let note = if applies.get(name.as_str()).copied().unwrap_or(false) {
            ""
        } else {
            " (its topic glob does not match this topic)"
        };
        put_line(
            &mut stdout,
            &format!(
                "policy {name}: {} of {} records hit{note}",
                hits.len(),
                records.len()
            ),
        )?;
        for (p, o, targets) in hits {
            put_line(
                &mut stdout,
                &format!("  [{p}]@{o:<8} {}", targets.join(", ")),
            )?;
        }
    }
    Ok(())
}
