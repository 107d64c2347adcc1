//! `eventdeck replay`: re-deliver the records of a time range to a topic or to
//! the local handlers (through the bridge), with a dry run first if you like, a
//! rate limit, progress and an audit entry. The work is [`crate::replay`]'s,
//! shared with the console's `:replay`.

use std::time::Duration;

use color_eyre::eyre::{Result, eyre};

use super::outln;
use crate::audit::{self, Source};
use crate::bridge::{self, BridgeConfig};
use crate::bus::Bus;
use crate::cli::ReplayArgs;
use crate::config::Settings;
use crate::replay::{self, Request, Sink, Target};

pub use crate::replay::REPLAY_SOURCE_HEADER;

/// Progress is printed every this many records.
const PROGRESS_EVERY: usize = 500;
/// Events waiting in the replay bridge's bus at most.
const BUS_QUEUE: usize = 10_000;

/// The bridge `--to-handlers` runs: the reactions, no consumer (nothing is read
/// from a group), its own outbox so a running `eventdeck bridge` is not
/// disturbed; what it cannot deliver before exit stays there for the next replay.
pub fn handlers_bridge_config(settings: &Settings) -> BridgeConfig {
    let mut cfg = BridgeConfig::new(settings);
    cfg.reactions = true;
    cfg.consume = false;
    cfg.outbox_dir = settings.data_dir.join("replay-outbox");
    cfg.shutdown_flush = Duration::from_secs(10);
    cfg
}

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
    let target = match (&args.to_topic, args.to_handlers) {
        (Some(t), false) => Target::Topic(t.clone()),
        (None, true) => Target::Handlers,
        _ => return Err(eyre!("say where to: --to-topic T or --to-handlers")),
    };
    let request = Request {
        topic,
        from: args.from,
        to: args.to,
        target,
        rate: args.rate,
    };
    let plan = {
        let s = settings.clone();
        tokio::task::spawn_blocking(move || replay::plan(&s, request)).await??
    };
    outln!(
        "{} {}",
        if args.dry_run {
            "would replay"
        } else {
            "replaying"
        },
        plan.summary()
    )?;
    for line in plan.partition_lines() {
        outln!("  {line}")?;
    }
    if args.dry_run || plan.records.is_empty() {
        return Ok(());
    }
    let progress = |done: usize, total: usize| {
        if done.is_multiple_of(PROGRESS_EVERY) || done == total {
            eprintln!("replay: {done}/{total}");
        }
    };
    let outcome = match &plan.request.target {
        Target::Topic(_) => {
            let producer = replay::producer(settings)?;
            replay::replay(
                settings,
                Source::Headless,
                &plan,
                Sink::Producer(&producer),
                progress,
            )
            .await?
        }
        Target::Handlers => {
            let handle = bridge::start(
                settings,
                handlers_bridge_config(settings),
                Bus::new(BUS_QUEUE),
            )
            .await?;
            let out = replay::replay(
                settings,
                Source::Headless,
                &plan,
                Sink::Handlers(&handle.redeliverer()),
                progress,
            )
            .await;
            let effects = handle.metrics_now().total();
            let left = handle.shutdown_report().await?;
            outln!(
                "handlers: {} effect(s) published, {} dead-lettered{}",
                effects.published,
                effects.dead_lettered,
                if left > 0 {
                    format!("; {left} left in the replay outbox for the next run")
                } else {
                    String::new()
                }
            )?;
            out?
        }
    };
    outln!("{}", outcome.summary())?;
    match &outcome.first_error {
        None => Ok(()),
        Some(e) => Err(eyre!(
            "{} record(s) could not be replayed: {e}",
            outcome.failed
        )),
    }
}
