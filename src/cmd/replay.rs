//! `eventdeck replay`: re-deliver the records of a time range to a topic, with
//! a dry run first if you like, a rate limit, progress and an audit entry.

use std::collections::BTreeMap;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use serde_json::json;

use crate::audit;
use crate::cli::ReplayArgs;
use crate::config::Settings;
use crate::kafka::EventProducer;
use crate::kafka::consume::read_time_range;
use crate::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;

/// Header added to each replayed record: where it came from.
pub const REPLAY_SOURCE_HEADER: &str = "eventdeck.replay.source";

/// Runs `eventdeck replay`.
pub async fn run(settings: &Settings, args: &ReplayArgs) -> Result<()> {
    if !args.dry_run {
        audit::authorize(settings, audit::action::REPLAY)?;
    }
    let topic = match (&args.context, &args.topic) {
        (_, Some(t)) => t.clone(),
        (Some(c), None) => settings
            .topics
            .topic_for(c)
            .ok_or_else(|| eyre!("unknown context '{c}'"))?
            .to_string(),
        (None, None) => return Err(eyre!("say what to replay: --context or --topic")),
    };
    let (from, to) = (args.from, args.to);
    let records = {
        let s = settings.clone();
        let t = topic.clone();
        tokio::task::spawn_blocking(move || read_time_range(&s, &[t], from, to)).await??
    };
    let mut per_partition: BTreeMap<i32, (i64, i64, usize)> = BTreeMap::new();
    for r in &records {
        let e = per_partition
            .entry(r.partition)
            .or_insert((r.offset, r.offset, 0));
        e.0 = e.0.min(r.offset);
        e.1 = e.1.max(r.offset);
        e.2 += 1;
    }
    println!(
        "{} {} record(s) of {topic} from {} to {} -> {}",
        if args.dry_run {
            "would replay"
        } else {
            "replaying"
        },
        records.len(),
        from.to_rfc3339(),
        to.map_or_else(|| "now".to_string(), |t| t.to_rfc3339()),
        args.to_topic
    );
    for (p, (first, last, n)) in &per_partition {
        println!("  partition {p}: {n} record(s), offsets {first}..={last}");
    }
    if args.dry_run || records.is_empty() {
        return Ok(());
    }
    let producer = EventProducer::new(settings, DEFAULT_DELIVERY_TIMEOUT)?;
    let mut tick =
        tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1))));
    let mut delivered = 0usize;
    let mut failed = Vec::new();
    for (i, r) in records.iter().enumerate() {
        tick.tick().await;
        let mut headers = r.headers.clone();
        headers.push((
            REPLAY_SOURCE_HEADER.to_string(),
            Some(format!("{}[{}]@{}", r.topic, r.partition, r.offset).into_bytes()),
        ));
        match producer
            .send_raw(
                &args.to_topic,
                r.key.as_deref(),
                r.value.as_deref(),
                &headers,
            )
            .await
        {
            Ok(_) => delivered += 1,
            Err(e) => failed.push(e.to_string()),
        }
        if (i + 1) % 500 == 0 {
            eprintln!("replay: {}/{}", i + 1, records.len());
        }
    }
    audit::record(
        settings,
        audit::action::REPLAY,
        json!({"topic": topic, "from": from, "to": to, "to_topic": args.to_topic, "rate": args.rate}),
        json!({"delivered": delivered, "failed": failed.len()}),
    )?;
    println!("delivered {delivered}, failed {}", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(eyre!(
            "{} record(s) could not be replayed: {}",
            failed.len(),
            failed[0]
        ))
    }
}
