//! `eventdeck tail`: read topics or contexts and print each record decoded, as JSON
//! lines, aligned text, or raw values. Undecodable records are printed too.

use std::io::{IsTerminal, Write};

use color_eyre::eyre::{Result, eyre};
use tokio::sync::mpsc;

use crate::cli::{TailArgs, TailFormat};
use crate::config::Settings;
use crate::domain::TopicMap;
use crate::domain::policy::Policies;
use crate::domain::schema::{NoRegistry, SchemaSource};
use crate::kafka::consume::{TailEvent, tail_reading};
use crate::kafka::isolation::Isolation;
use crate::kafka::{ConsumedRecord, Reading, StartAt, TailOptions, TxnState};

/// Said once when `--format raw` writes to a terminal.
pub const RAW_ON_TERMINAL: &str = "eventdeck: warning: --format raw writes record values as they are; \
they may hold terminal control sequences (redirect to a file or pipe, or use --format pretty)";

/// Records buffered between the Kafka reader and stdout.
const CHANNEL_CAPACITY: usize = 4096;

/// Runs `eventdeck tail`.
pub async fn run(settings: &Settings, args: &TailArgs) -> Result<()> {
    let start: StartAt = args.from.parse().map_err(|e: String| eyre!(e))?;
    let topics: Vec<String> = if args.topics.is_empty() {
        settings.topics.topics().map(str::to_string).collect()
    } else {
        args.topics
            .iter()
            .map(|t| settings.topics.resolve(t))
            .collect()
    };
    let opts = TailOptions {
        topics,
        start,
        count: args.count,
        exit_at_end: args.exit,
    };
    // Lines cannot be amended: at read_uncommitted each record waits until
    // its transaction is known, so its line says whether it was aborted.
    let isolation = Isolation::from(args.isolation);
    let reading = Reading {
        isolation,
        hold: true,
    };
    let uncommitted = isolation == Isolation::ReadUncommitted;
    let (tx, mut rx) = mpsc::channel(CHANNEL_CAPACITY);
    let reader = {
        let settings = settings.clone();
        tokio::spawn(async move { tail_reading(&settings, opts, reading, tx).await })
    };
    let format = args.format;
    let contexts = settings.topics.clone();
    let policies = settings.policies.clone();
    // Schema-framed records are decoded with their registry schema; the tail
    // waits for a schema it has not fetched yet (it prints in order).
    let schemas = crate::schema_registry::SchemaCache::from_config(&settings.schema_registry)
        .map_err(|e| eyre!("schema registry: {e}"))?;
    if format == TailFormat::Raw && std::io::stdout().is_terminal() {
        eprintln!("{RAW_ON_TERMINAL}");
    }
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        // Notes come before their records (the reader holds records back).
        let mut states: std::collections::HashMap<(String, i32, i64), TxnState> =
            std::collections::HashMap::new();
        while let Some(ev) = rx.blocking_recv() {
            match ev {
                TailEvent::Records(recs) => {
                    for rec in &recs {
                        let txn = uncommitted.then(|| {
                            states.remove(&(rec.topic.clone(), rec.partition, rec.offset))
                        });
                        let shown = Shown {
                            topics: &contexts,
                            policies: &policies,
                        };
                        write_marked(&mut out, rec, shown, format, schemas.as_ref(), txn)?;
                    }
                }
                TailEvent::Txn(notes) => {
                    for n in notes {
                        states.insert((n.topic, n.partition, n.offset), n.state);
                    }
                }
                TailEvent::Warning(w) => {
                    out.flush()?;
                    eprintln!("eventdeck: warning: {}", crate::domain::sanitize(&w));
                }
            }
            if rx.is_empty() {
                out.flush()?;
            }
        }
        out.flush()
    });
    let ended = reader.await?;
    match writer.await? {
        Ok(()) => {}
        // A closed pipe (`| head`) is a normal way for a tail to end.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e.into()),
    }
    ended?;
    Ok(())
}

/// How records are shown: the topic map, and the data policies applied to
/// each record before it is printed ([`ConsumedRecord::masked`]).
#[derive(Clone, Copy)]
pub(crate) struct Shown<'a> {
    /// Context → topic map.
    pub topics: &'a TopicMap,
    /// The policies (none after `--unmask`).
    pub policies: &'a Policies,
}

/// Writes one record as `tail` prints it (`find` prints its matches so too),
/// masked by the data policies, a schema-framed one decoded with its
/// registry schema (waiting for a schema not fetched yet: lines go out in
/// order) when a registry is configured.
pub(crate) fn write_shown(
    out: &mut impl Write,
    rec: &ConsumedRecord,
    shown: Shown<'_>,
    format: TailFormat,
    schemas: Option<&crate::schema_registry::SchemaCache>,
) -> std::io::Result<()> {
    write_marked(out, rec, shown, format, schemas, None)
}

/// [`write_shown`], saying what is known of the record's transaction when
/// read at `read_uncommitted` (`txn`: `Some(None)` committed, `Some(Some(_))`
/// aborted or still open).
fn write_marked(
    out: &mut impl Write,
    rec: &ConsumedRecord,
    shown: Shown<'_>,
    format: TailFormat,
    schemas: Option<&crate::schema_registry::SchemaCache>,
    txn: Option<Option<TxnState>>,
) -> std::io::Result<()> {
    match schemas {
        Some(cache) => {
            let schemas = cache.waiting();
            let masked = rec.shown(shown.policies, shown.topics, &schemas);
            // A registry record the policies masked is written as the JSON
            // left of it: its line names the schema of the record as read.
            let schema = match (&masked, format) {
                (std::borrow::Cow::Owned(_), TailFormat::Json) => rec.schema_names(&schemas).0,
                _ => None,
            };
            write_record(out, &masked, shown.topics, format, &schemas, txn, schema)
        }
        None => {
            let rec = rec.shown(shown.policies, shown.topics, &NoRegistry);
            write_record(out, &rec, shown.topics, format, &NoRegistry, txn, None)
        }
    }
}

/// The `aborted` field of a `read_uncommitted` JSON line: true, false, or
/// null when its transaction was still open as the tail ended.
fn aborted_json(txn: Option<TxnState>) -> serde_json::Value {
    match txn {
        None => serde_json::Value::Bool(false),
        Some(TxnState::Aborted) => serde_json::Value::Bool(true),
        Some(TxnState::Open) => serde_json::Value::Null,
    }
}

/// Writes one record as `tail` prints it, decoding with `schemas`, with its
/// transaction state (see [`write_marked`]); a JSON line names `schema` when
/// its decode names none.
fn write_record(
    out: &mut impl Write,
    rec: &ConsumedRecord,
    topics: &TopicMap,
    format: TailFormat,
    schemas: &dyn SchemaSource,
    txn: Option<Option<TxnState>>,
    schema: Option<crate::domain::schema::SchemaRef>,
) -> std::io::Result<()> {
    match format {
        TailFormat::Raw => {
            if let Some(v) = &rec.value {
                out.write_all(v)?;
            }
            out.write_all(b"\n")
        }
        TailFormat::Json => {
            let mut decoded = rec.decode_with(topics, schemas);
            if decoded.schema.is_none() {
                decoded.schema = schema;
            }
            let mut line = rec.to_json(&decoded);
            if let Some(txn) = txn {
                line.fields.insert("aborted".into(), aborted_json(txn));
            }
            crate::domain::text::write_json(&mut *out, &line, false)?;
            out.write_all(b"\n")
        }
        TailFormat::Pretty => {
            let decoded = rec.decode_with(topics, schemas);
            let time = rec
                .time()
                .map(|t| t.format("%H:%M:%S%.3f").to_string())
                .unwrap_or_else(|| "-".into());
            let ctx = decoded.context().unwrap_or("-");
            let ty = decoded
                .event_type()
                .map(str::to_string)
                .unwrap_or_else(|| format!("({})", decoded.kind().as_str()));
            // Key, headers (context and type may come from them) and value
            // are chosen by whoever produced the record: the line is sanitized.
            let mark = match txn {
                Some(Some(TxnState::Aborted)) => "ABORTED ",
                Some(Some(TxnState::Open)) => "OPEN-TXN ",
                _ => "",
            };
            let line = format!(
                "{mark}{time} {:<24} {:<14} {:<22} {:<16} {}",
                format!("{}[{}]@{}", rec.topic, rec.partition, rec.offset),
                ctx,
                ty,
                rec.key_text().unwrap_or_else(|| "-".into()),
                match &decoded.error {
                    Some(e) => format!("{} !! {e}", decoded.summary(60)),
                    None => decoded.summary(100),
                }
            );
            super::put_line(out, &line)
        }
    }
}
