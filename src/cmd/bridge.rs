//! `eventdeck bridge`: the event bus and Kafka bridge, headless, until SIGINT or
//! SIGTERM; then a clean shutdown (handlers finish, offsets committed, outbox
//! delivered or kept on disk) and exit 0.

use std::sync::Arc;

use color_eyre::eyre::{Result, eyre};
use futures::StreamExt;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::signal::unix::{SignalKind, signal};

use super::outln;
use crate::bridge::{self, BridgeConfig};
use crate::bus::Bus;
use crate::cli::BridgeArgs;
use crate::config::Settings;
use crate::domain::{Decoded, decode};
use crate::publish::{PublishRequest, Published, Publisher};

/// Events waiting in the bus's lanes at most.
const BUS_QUEUE: usize = 10_000;

/// Stdin publishes in flight at once.
const STDIN_CONCURRENCY: usize = 256;

/// The bridge configuration the flags ask for.
pub fn config(settings: &Settings, args: &BridgeArgs) -> BridgeConfig {
    let mut cfg = BridgeConfig::new(settings);
    cfg.contexts = args.contexts.clone();
    cfg.reactions = args.reactions;
    cfg.metrics_addr = args.metrics_addr;
    if let Some(dir) = &args.outbox_dir {
        cfg.outbox_dir = dir.clone();
    }
    cfg.outbox_capacity = args.outbox_capacity;
    cfg.max_retries = args.max_retries;
    cfg.retry_backoff = args.retry_backoff;
    cfg.exactly_once = args.exactly_once || settings.exactly_once;
    cfg.transient_failures = args.transient_failures;
    cfg
}

/// Runs the bridge until a signal.
pub async fn run(settings: &Settings, args: &BridgeArgs) -> Result<()> {
    if settings.read_only {
        return Err(eyre!(
            "the bridge publishes to Kafka; it cannot run read-only"
        ));
    }
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    if args.create_topics {
        let done = crate::provision::init_topics(
            settings,
            crate::audit::Source::Headless,
            &Default::default(),
        )
        .await?;
        for line in done.lines() {
            eprintln!("eventdeck bridge: {line}");
        }
        if !done.failed.is_empty() {
            return Err(eyre!("{}", done.summary()));
        }
    }
    let cfg = config(settings, args);
    let bus = Bus::new(BUS_QUEUE);
    if args.flaky_handler {
        bus.subscribe(crate::demo::flaky_handler());
    }
    let handle = bridge::start(settings, cfg.clone(), bus).await?;
    eprintln!(
        "eventdeck bridge: running (id {}, group {}, {}, outbox {} with {} waiting{})",
        handle.bridge_id(),
        cfg.consumer_group,
        if cfg.exactly_once {
            format!(
                "exactly-once, transactional.ids {}",
                handle.transactional_ids().join(" and ")
            )
        } else {
            "at-least-once".to_string()
        },
        cfg.outbox_dir.display(),
        handle.outbox_depth(),
        handle
            .metrics_addr()
            .map(|a| format!(", metrics http://{a}/metrics"))
            .unwrap_or_default(),
    );
    let feeder = args.stdin.then(|| {
        let publisher = handle.publisher();
        let settings = settings.clone();
        tokio::spawn(async move { publish_stdin(publisher, settings).await })
    });
    let mut failure = handle.failure();
    let failed = tokio::select! {
        _ = sigint.recv() => None,
        _ = sigterm.recv() => None,
        f = async {
            match failure.wait_for(Option::is_some).await {
                Ok(f) => f.clone(),
                // No exactly-once side to fail: only a signal ends the run.
                Err(_) => std::future::pending().await,
            }
        } => f,
    };
    if let Some(f) = feeder {
        f.abort();
    }
    eprintln!("eventdeck bridge: shutting down");
    let depth_before = handle.outbox_depth();
    let snap = handle.metrics_now();
    let total = snap.total();
    let outbox = handle.shutdown_report().await?;
    eprintln!(
        "eventdeck bridge: stopped (published {}, delivered {}, consumed {}, handled {}, dead-lettered {}, set aside {}; outbox {} → {} kept on disk)",
        total.published,
        total.delivered,
        total.consumed,
        total.handled,
        total.dead_lettered,
        total.set_aside,
        depth_before,
        outbox
    );
    if cfg.exactly_once {
        let t = &snap.transactions;
        eprintln!(
            "eventdeck bridge: transactions committed {}, aborted {}, fenced {}; commit p50 {:?}, p99 {:?}",
            t.committed, t.aborted, t.fenced, t.commit_p50, t.commit_p99
        );
    }
    match failed {
        Some(why) => Err(eyre!("{why}")),
        None => Ok(()),
    }
}

/// Publishes each stdin line (an envelope) and prints its result as JSON.
async fn publish_stdin(publisher: Arc<dyn Publisher>, settings: Settings) {
    let lines = tokio_stream_lines(tokio::io::BufReader::new(tokio::io::stdin()));
    lines
        .for_each_concurrent(STDIN_CONCURRENCY, |line| {
            let publisher = publisher.clone();
            let settings = settings.clone();
            async move {
                let out = match decode(Some(line.as_bytes()), &[]).decoded {
                    Decoded::Envelope(mut env) => {
                        let id = env.event_id;
                        // Published by us, so it starts a flow if it names none
                        // (as `Envelope::new` does): every event eventdeck
                        // writes has a correlation id.
                        env.correlation_id.get_or_insert_with(uuid::Uuid::new_v4);
                        let topic = settings.topics.resolve(&env.context);
                        let r = publisher
                            .publish(PublishRequest {
                                topic,
                                envelope: env,
                                key: None,
                                headers: Vec::new(),
                                value: None,
                            })
                            .await;
                        match r {
                            Ok(Published::Delivered(d)) => {
                                json!({"event_id": id, "outcome": "delivered",
                                "topic": d.topic, "partition": d.partition, "offset": d.offset})
                            }
                            Ok(Published::Queued { outbox_depth }) => json!({"event_id": id,
                                "outcome": "queued", "outbox_depth": outbox_depth}),
                            Err(e) => json!({"event_id": id, "outcome": "error", "error": e.0}),
                        }
                    }
                    _ => json!({"outcome": "error", "error": "not an eventdeck envelope"}),
                };
                // A reader gone from stdout does not stop the bridge.
                let _ = outln!("{out}");
            }
        })
        .await;
}

fn tokio_stream_lines<R: tokio::io::AsyncBufRead + Unpin + Send + 'static>(
    reader: R,
) -> impl futures::Stream<Item = String> + Send {
    futures::stream::unfold(reader.lines(), |mut lines| async move {
        match lines.next_line().await {
            Ok(Some(l)) if !l.trim().is_empty() => Some((l, lines)),
            Ok(Some(_)) => Some((String::new(), lines)),
            _ => None,
        }
    })
    .filter(|l| futures::future::ready(!l.is_empty()))
}
