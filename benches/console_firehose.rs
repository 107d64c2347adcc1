//! DESIGN.md budgets for the console under load:
//! - under a firehose of 100k events/s it still draws ≥ 30 frames/s and a key
//!   press reaches the screen with p99 < 50 ms;
//! - memory is bounded by configuration, not by how many events went by
//!   (10M events: RSS < 200 MB).
//!
//! The app loop here is the runtime's: readers' record batches (`SEND_BATCH`,
//! each record decoded by the reader: `Arrived::read`)
//! through a channel of `RECORD_CHANNEL_BATCHES`, drained `RECORD_DRAIN_BATCHES`
//! at a time, keys first (`biased`) and answered with a frame at once, other
//! frames on the `next_frame_after` grid at the default 30 fps cap, drawn on a 200×60 `TestBackend` (no terminal I/O). Keys
//! (`j`/`k`, alternating) go in every 20 ms; key-to-frame is the time from a
//! key being sent to the end of the first frame drawn after it was handled.
//! The records are in memory (Kafka's side is `ingest_vs_kcat`).
//!
//!     cargo bench --bench console_firehose
//!     EVENTDECK_BENCH_MEMORY_RECORDS=1000000 cargo bench --bench console_firehose
//!
//! The schema round (the schema-registry budget: a topic whose records use
//! 1,000 distinct schema ids does not stall the firehose) registers 1,000 Avro
//! schemas (once; a registry keeps them) and runs the same firehose with each
//! record framed for one of them, decoded by the readers through a cold
//! schema cache: the first record of an id arrives pending and the cache's
//! fetcher thread fetches it, off the app loop. It needs a registry
//! (`scripts/schema-registry up`; SCHEMA_REGISTRY_URL or
//! http://127.0.0.1:8081/apis/ccompat/v7); EVENTDECK_BENCH_SCHEMA_IDS sets the
//! count (0 leaves the round out).

#[path = "../tests/support/tui.rs"]
mod fixtures;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use eventdeck::kafka::consume::SEND_BATCH;
use eventdeck::kafka::{Arrived, ConsumedRecord};
use eventdeck::tui::App;
use eventdeck::tui::runtime::{RECORD_CHANNEL_BATCHES, RECORD_DRAIN_BATCHES, next_frame_after};
use hdrhistogram::Histogram;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

const FIREHOSE_RATE: u64 = 100_000;
const FIREHOSE_SECONDS: u64 = 10;
const KEY_EVERY: Duration = Duration::from_millis(20);
const FRAME: Duration = Duration::from_nanos(1_000_000_000 / 30);

struct Run {
    records: u64,
    /// Records that arrived with their schema still being fetched.
    pending: u64,
    frames: u64,
    elapsed: Duration,
    key_to_frame: Histogram<u64>,
    rss_samples: Vec<(u64, u64)>,
}

fn main() {
    // As the binary does (src/main.rs), so this measures what it runs.
    eventdeck::alloc::restart_with_allocator_settings();
    let memory_records: u64 = std::env::var("EVENTDECK_BENCH_MEMORY_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let total = FIREHOSE_RATE * FIREHOSE_SECONDS;
    let run = rt.block_on(drive(total, Some(FIREHOSE_RATE), true));
    println!("{}", firehose_line(&run, ""));

    let ids: usize = std::env::var("EVENTDECK_BENCH_SCHEMA_IDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    if ids > 0 {
        let (template, cache) = schema_template(ids);
        let fetched = cache.fetched();
        let started = Instant::now();
        let run = rt.block_on(drive_with(
            total,
            Some(FIREHOSE_RATE),
            true,
            template,
            Some(cache.clone()),
        ));
        println!(
            "{}; {} of {} records arrived decoded, {} pending; {} schema fetches done in {:.1} s",
            firehose_line(&run, &format!(" over {ids} schema ids (cold cache)")),
            run.records - run.pending,
            run.records,
            run.pending,
            *fetched.borrow(),
            started.elapsed().as_secs_f64(),
        );
    }

    let run = rt.block_on(drive(memory_records, None, false));
    for (n, rss) in &run.rss_samples {
        println!("after {n:>10} records: RSS {:.1} MB", *rss as f64 / 1e6);
    }
    println!(
        "{} records through the app in {:.1} s ({:.0}/s, {:.1} frames/s): RSS {:.1} MB, peak {:.1} MB [budget < 200 MB]",
        run.records,
        run.elapsed.as_secs_f64(),
        run.records as f64 / run.elapsed.as_secs_f64(),
        run.frames as f64 / run.elapsed.as_secs_f64(),
        proc_status("VmRSS:") as f64 / 1e6,
        proc_status("VmHWM:") as f64 / 1e6,
    );
}

/// A firehose run's figures against its budgets; `what` says what was fed.
fn firehose_line(run: &Run, what: &str) -> String {
    let secs = run.elapsed.as_secs_f64();
    let h = &run.key_to_frame;
    format!(
        "firehose {FIREHOSE_RATE}/s for {FIREHOSE_SECONDS} s{what}: {:.0} records/s applied, {:.1} frames/s drawn [budget ≥ 30]; \
         key-to-frame over {} keys: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms [budget p99 < 50 ms]",
        run.records as f64 / secs,
        run.frames as f64 / secs,
        h.len(),
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
    )
}

/// Feeds `total` records (paced at `rate`/s, or as fast as the loop takes
/// them) through the runtime's loop, pressing keys when `keys`.
async fn drive(total: u64, rate: Option<u64>, keys: bool) -> Run {
    drive_with(total, rate, keys, fixtures::mixed(4_096), None).await
}

/// [`drive`] over `template`'s records, decoded with `schemas` (the
/// readers' schema cache) when given.
async fn drive_with(
    total: u64,
    rate: Option<u64>,
    keys: bool,
    template: Vec<ConsumedRecord>,
    schemas: Option<eventdeck::schema_registry::SchemaCache>,
) -> Run {
    let (tx, mut rx) = mpsc::channel::<Vec<Arrived>>(RECORD_CHANNEL_BATCHES);
    let reader_schemas = schemas.clone();
    let topics = fixtures::settings().topics;
    // The producer decodes each record (`Arrived::read`), as the console's
    // readers do on their own threads.
    let producer = tokio::task::spawn_blocking(move || {
        // Each partition's offsets run on one by one, as a reader reads them
        // (the Flows pane keeps what it counted as runs of consecutive
        // offsets; one global counter made every record a run of its own).
        let mut partitions: Vec<(String, i32)> = Vec::new();
        let slot: Vec<usize> = template
            .iter()
            .map(|r| {
                let key = (r.topic.clone(), r.partition);
                partitions
                    .iter()
                    .position(|k| *k == key)
                    .unwrap_or_else(|| {
                        partitions.push(key);
                        partitions.len() - 1
                    })
            })
            .collect();
        let mut next_offset = vec![0i64; partitions.len()];
        let start = Instant::now();
        let mut sent = 0u64;
        while sent < total {
            let n = (SEND_BATCH as u64).min(total - sent);
            if let Some(rate) = rate {
                let due = start + Duration::from_secs_f64(sent as f64 / rate as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            let batch: Vec<Arrived> = (0..n)
                .map(|i| {
                    let at = ((sent + i) % template.len() as u64) as usize;
                    let mut r = template[at].clone();
                    r.offset = next_offset[slot[at]];
                    next_offset[slot[at]] += 1;
                    // Fresh ids, as a real stream has: the flow graph and the
                    // trace remember events by id, so repeats would flatter memory.
                    if let Some(v) = r.value.as_mut() {
                        fresh_id(v, b"\"event_id\":\"");
                        fresh_id(v, b"\"correlation_id\":\"");
                    }
                    match &reader_schemas {
                        Some(cache) => Arrived::read_with(r, &topics, cache),
                        None => Arrived::read(r, &topics),
                    }
                })
                .collect();
            if tx.blocking_send(batch).is_err() {
                return;
            }
            sent += n;
        }
    });
    let (key_tx, mut key_rx) = mpsc::channel::<Instant>(64);
    let presser = keys.then(|| {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(KEY_EVERY);
            loop {
                every.tick().await;
                if key_tx.send(Instant::now()).await.is_err() {
                    return;
                }
            }
        })
    });

    let mut app: App = fixtures::app();
    if let Some(cache) = &schemas {
        app.panes
            .streams
            .set_schemas(Some(std::sync::Arc::new(cache.clone())));
    }
    let mut pending = 0u64;
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let mut key_to_frame = Histogram::<u64>::new(3).expect("histogram");
    let mut waiting_keys: Vec<Instant> = Vec::new();
    let mut buf = Vec::with_capacity(RECORD_DRAIN_BATCHES);
    let mut records = 0u64;
    let mut frames = 0u64;
    let mut rss_samples = Vec::new();
    let mut next_sample = 1_000_000u64;
    let mut press_down = true;
    let start = Instant::now();
    let mut next_frame = tokio::time::Instant::now();
    loop {
        let now = tokio::time::Instant::now();
        if app.is_dirty() && now >= next_frame {
            terminal.draw(|f| app.render(f)).expect("draw");
            app.mark_drawn();
            frames += 1;
            for sent in waiting_keys.drain(..) {
                let _ = key_to_frame.record(sent.elapsed().as_micros() as u64);
            }
            next_frame = next_frame_after(next_frame, now, FRAME);
        }
        let dirty = app.is_dirty();
        tokio::select! {
            biased;
            sent = key_rx.recv(), if keys => {
                if let Some(sent) = sent {
                    // As the runtime does: input gets a frame now.
                    next_frame = tokio::time::Instant::now();
                    app.press(if press_down { "j" } else { "k" });
                    press_down = !press_down;
                    waiting_keys.push(sent);
                }
            }
            n = rx.recv_many(&mut buf, RECORD_DRAIN_BATCHES) => {
                if n == 0 {
                    break;
                }
                let mut batch = Vec::new();
                for b in buf.drain(..) {
                    batch.extend(b);
                }
                records += batch.len() as u64;
                pending += batch.iter().filter(|a| a.glance.schema_pending).count() as u64;
                app.ingest_arrived(batch);
                if records >= next_sample {
                    rss_samples.push((records, proc_status("VmRSS:")));
                    next_sample += 1_000_000;
                }
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
    let elapsed = start.elapsed();
    if let Some(p) = presser {
        p.abort();
    }
    let _ = producer.await;
    Run {
        records,
        pending,
        frames,
        elapsed,
        key_to_frame,
        rss_samples,
    }
}

/// Overwrites the 36-character UUID after `key` in a JSON value with a new one.
fn fresh_id(value: &mut [u8], key: &[u8]) {
    let Some(at) = value.windows(key.len()).position(|w| w == key) else {
        return;
    };
    let start = at + key.len();
    if let Some(slot) = value.get_mut(start..start + 36) {
        slot.copy_from_slice(uuid::Uuid::new_v4().hyphenated().to_string().as_bytes());
    }
}

/// A `/proc/self/status` size field, in bytes.
fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// 4,096 records on `firehose.schemas` (3 partitions), each framed for one of
/// `ids` Avro schemas registered for the round (`{n: long, text: string, v:
/// double}` under a record name of its own, so each is a distinct schema),
/// and a cold schema cache for the registry.
fn schema_template(ids: usize) -> (Vec<ConsumedRecord>, eventdeck::schema_registry::SchemaCache) {
    let url = std::env::var("SCHEMA_REGISTRY_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:8081/apis/ccompat/v7".into());
    let started = Instant::now();
    let registered: Vec<u32> = (0..ids)
        .map(|i| {
            let schema = format!(
                r#"{{"type": "record", "name": "Firehose{i}", "namespace": "eventdeck.bench",
                    "fields": [{{"name": "n", "type": "long"}}, {{"name": "text", "type": "string"}},
                               {{"name": "v", "type": "double"}}]}}"#
            );
            let body = serde_json::json!({ "schema": schema }).to_string();
            let mut answer = ureq::post(&format!(
                "{url}/subjects/bench-firehose-{i}-value/versions"
            ))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .send(body.as_str())
            .unwrap_or_else(|e| {
                panic!(
                    "the schema round needs a schema registry at {url} ({e}): scripts/schema-registry up, \
                     or EVENTDECK_BENCH_SCHEMA_IDS=0 to leave it out"
                )
            });
            let text = answer.body_mut().read_to_string().expect("the registry's answer");
            let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            u32::try_from(v["id"].as_u64().unwrap_or_else(|| panic!("no id in {text}")))
                .expect("a 32-bit id")
        })
        .collect();
    eprintln!(
        "{ids} schemas registered (or found) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let records = (0..4_096u64)
        .map(|n| {
            let id = registered[n as usize % ids];
            let mut value = vec![0];
            value.extend(id.to_be_bytes());
            // long n (zigzag varint), string (zigzag length, bytes), double.
            let mut zigzag = n << 1;
            while zigzag >= 0x80 {
                value.push((zigzag as u8 & 0x7f) | 0x80);
                zigzag >>= 7;
            }
            value.push(zigzag as u8);
            let text = format!("firehose record {n} of a topic with {ids} schema ids");
            value.push((text.len() as u8) << 1);
            value.extend(text.as_bytes());
            value.extend((n as f64 * 0.5).to_le_bytes());
            ConsumedRecord {
                topic: "firehose.schemas".into(),
                partition: (n % 3) as i32,
                offset: 0,
                timestamp_ms: Some(1_790_000_000_000 + n as i64),
                key: Some(format!("k-{}", n % 100).into_bytes()),
                value: Some(value),
                headers: Default::default(),
            }
        })
        .collect();
    let config = eventdeck::config::SchemaRegistry {
        url: Some(url),
        ..Default::default()
    };
    let cache = eventdeck::schema_registry::SchemaCache::from_config(&config)
        .expect("client")
        .expect("a registry");
    (records, cache)
}
