//! `eventdeck topics ...`: the Topics pane's operations headless. Reads print a
//! table or JSON; every change passes the read-only gate, is confirmed with
//! `--yes` when it destroys data, and leaves one audit line.

use std::io::Write;

use super::{key_values, outln, put_line, report};
use crate::audit::{self, Source, action};
use crate::cli::TopicsCommand;
use crate::config::Settings;
use crate::kafka::admin::{self, ConfigValue, NewTopicSpec, TopicDetail};
use crate::mutate;
use crate::provision::{InitRequest, init_topics};
use color_eyre::eyre::Result;
use serde::Serialize;

/// Runs `eventdeck topics ...`.
pub async fn run(settings: &Settings, cmd: &TopicsCommand) -> Result<()> {
    match cmd {
        TopicsCommand::Init {
            partitions,
            replication_factor,
            dry_run,
            json,
        } => {
            let req = InitRequest {
                partitions: *partitions,
                replication_factor: *replication_factor,
                dry_run: *dry_run,
            };
            let done = init_topics(settings, Source::Headless, &req).await?;
            let mut out = std::io::stdout().lock();
            if *json {
                serde_json::to_writer_pretty(&mut out, &done)?;
                writeln!(out)?;
            } else {
                for line in done.lines() {
                    writeln!(out, "{line}")?;
                }
                writeln!(out, "{}", done.summary())?;
            }
            if !done.failed.is_empty() {
                return Err(color_eyre::eyre::eyre!("{}", done.summary()));
            }
        }
        TopicsCommand::List { internal, json } => {
            let topics = admin::list_topics(settings, *internal).await?;
            let mut out = std::io::stdout().lock();
            if *json {
                crate::domain::text::write_json(&mut out, &topics, true)?;
                writeln!(out)?;
            } else {
                write_list(&mut out, &topics)?;
            }
        }
        TopicsCommand::Describe { topic, json } => {
            let detail = admin::describe_topic(settings, topic).await?;
            let configs: Vec<ConfigValue> = admin::topic_configs(settings, topic)
                .await?
                .into_iter()
                .filter(ConfigValue::is_override)
                .collect();
            let mut out = std::io::stdout().lock();
            if *json {
                #[derive(Serialize)]
                struct Described<'a> {
                    #[serde(flatten)]
                    detail: &'a TopicDetail,
                    configs: &'a [ConfigValue],
                }
                let d = Described {
                    detail: &detail,
                    configs: &configs,
                };
                crate::domain::text::write_json(&mut out, &d, true)?;
                writeln!(out)?;
            } else {
                write_detail(&mut out, &detail, &configs)?;
            }
        }
        TopicsCommand::Create {
            topic,
            partitions,
            replication_factor,
            configs,
        } => {
            // The gate first, so a read-only session is refused before a bad argument is.
            audit::authorize(settings, action::TOPIC_CREATE)?;
            let spec = NewTopicSpec {
                name: topic.clone(),
                partitions: *partitions,
                replication_factor: *replication_factor,
                configs: key_values("--config", configs)?,
            };
            mutate::topics::create(settings, Source::Headless, &spec)
                .await
                .map_err(report)?;
            outln!(
                "created topic {topic}: {partitions} partition(s), replication factor {replication_factor}"
            )?;
        }
        TopicsCommand::Delete { topic, yes } => {
            mutate::topics::delete(settings, Source::Headless, topic, *yes)
                .await
                .map_err(report)?;
            outln!("deleted topic {topic}")?;
        }
        TopicsCommand::Config {
            topic,
            set,
            delete,
            all,
            json,
        } => {
            let configs = if set.is_empty() && delete.is_empty() {
                admin::topic_configs(settings, topic).await?
            } else {
                // The gate first, so a read-only session is refused before a bad argument is.
                audit::authorize(settings, action::TOPIC_CONFIG)?;
                let set = key_values("--set", set)?;
                mutate::topics::set_configs(settings, Source::Headless, topic, &set, delete)
                    .await
                    .map_err(report)?
            };
            let shown: Vec<&ConfigValue> =
                configs.iter().filter(|c| *all || c.is_override()).collect();
            let mut out = std::io::stdout().lock();
            if *json {
                crate::domain::text::write_json(&mut out, &shown, true)?;
                writeln!(out)?;
            } else {
                write_configs(&mut out, &shown)?;
            }
        }
        TopicsCommand::AddPartitions { topic, count } => {
            let before = mutate::topics::add_partitions(settings, Source::Headless, topic, *count)
                .await
                .map_err(report)?;
            outln!("topic {topic}: {before} -> {count} partition(s)")?;
        }
        TopicsCommand::Empty { topic, yes } => {
            let parts = mutate::topics::empty(settings, Source::Headless, topic, *yes)
                .await
                .map_err(report)?;
            let total: i64 = parts.iter().map(|p| p.deleted).sum();
            outln!("emptied topic {topic}: {total} record(s) deleted")?;
            for p in &parts {
                outln!(
                    "  partition {}: {} deleted, log start now {}",
                    p.partition,
                    p.deleted,
                    p.low
                )?;
            }
        }
    }
    Ok(())
}

/// `TOPIC PARTITIONS RF EST-COUNT UNDER-REPLICATED`.
pub(crate) fn write_list(out: &mut impl Write, topics: &[TopicDetail]) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "{:<48} {:>10} {:>3} {:>12} {:>16}  {}",
            "TOPIC", "PARTITIONS", "RF", "EST-COUNT", "UNDER-REPLICATED", "LAST-RECORD"
        ),
    )?;
    for t in topics {
        put_line(
            out,
            &format!(
                "{:<48} {:>10} {:>3} {:>12} {:>16}  {}",
                t.name,
                t.partitions.len(),
                t.replication_factor,
                t.estimated_count,
                t.under_replicated(),
                last_record(t.last_record_ms)
            ),
        )?;
    }
    Ok(())
}

/// A last record time as RFC 3339 UTC to the millisecond; `-` for none.
pub(crate) fn last_record(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "-".to_string(),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
}

fn ids(v: &[i32]) -> String {
    v.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// The topic, its partitions and its overrides.
pub(crate) fn write_detail(
    out: &mut impl Write,
    t: &TopicDetail,
    configs: &[ConfigValue],
) -> std::io::Result<()> {
    put_line(
        out,
        &format!(
            "Topic: {}  Partitions: {}  ReplicationFactor: {}  EstimatedCount: {}",
            t.name,
            t.partitions.len(),
            t.replication_factor,
            t.estimated_count
        ),
    )?;
    put_line(
        out,
        &format!(
            "{:>9} {:>6} {:<12} {:<12} {:>12} {:>12} {:>10}",
            "PARTITION", "LEADER", "REPLICAS", "ISR", "LOW", "HIGH", "COUNT"
        ),
    )?;
    for p in &t.partitions {
        put_line(
            out,
            &format!(
                "{:>9} {:>6} {:<12} {:<12} {:>12} {:>12} {:>10}",
                p.partition,
                p.leader,
                ids(&p.replicas),
                ids(&p.isr),
                p.low,
                p.high,
                (p.high - p.low).max(0)
            ),
        )?;
    }
    if configs.is_empty() {
        writeln!(out, "Configs: (broker defaults)")?;
    } else {
        writeln!(out, "Configs:")?;
        for c in configs {
            put_line(out, &format!("  {}={}", c.name, super::dash(&c.value)))?;
        }
    }
    Ok(())
}

/// `NAME VALUE SOURCE`.
pub(crate) fn write_configs(out: &mut impl Write, configs: &[&ConfigValue]) -> std::io::Result<()> {
    put_line(out, &format!("{:<44} {:<32} SOURCE", "NAME", "VALUE"))?;
    for c in configs {
        put_line(
            out,
            &format!("{:<44} {:<32} {}", c.name, super::dash(&c.value), c.source),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real Kafka validates topic configs, so no control character reaches
    // one there: the table is tested with what a broker could send.
    #[test]
    fn describe_shows_control_characters_in_configs_visibly() {
        let detail = TopicDetail {
            name: "t".into(),
            partitions: Vec::new(),
            replication_factor: 1,
            estimated_count: 0,
            last_record_ms: None,
        };
        let configs = [ConfigValue {
            name: "x\u{1b}]0;n\u{7}".into(),
            value: Some("v\u{1b}[2J\u{9b}\u{7f}\nz".into()),
            source: "topic".into(),
            is_default: false,
            read_only: false,
        }];
        let mut out = Vec::new();
        write_detail(&mut out, &detail, &configs).expect("write");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.contains("  x·]0;n·=v·[2J···z\n"), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
    }
}
