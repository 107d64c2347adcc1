//! Console budgets from DESIGN.md, measured on our side with in-memory records:
//! - ingest + decode + append to the Streams state, per record (and the
//!   append alone: in the console the readers decode, on their own threads);
//! - one frame of the busiest screen (Streams full, 200×60): budget ≤ 1 ms median;
//! - the app loop under a firehose: records applied per second while drawing at
//!   the frame cap (30 fps), through the same bounded channel and batch size as
//!   the runtime.

// The binary's allocator (src/main.rs), so per-record costs are the ones
// eventdeck pays.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/support/tui.rs"]
mod fixtures;
#[path = "common/policies.rs"]
mod policies;

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use eventdeck::domain::contexts::TopicMap;
use eventdeck::domain::policy::Policies;
use eventdeck::kafka::{Arrived, ConsumedRecord};
use eventdeck::tui::App;
use eventdeck::tui::panes::streams::StreamsState;
use eventdeck::tui::runtime::{RECORD_BATCH, RECORD_CHANNEL, next_frame_after};
// (This firehose sends single records; the runtime sends SEND_BATCH batches,
// which benches/console_firehose.rs models, with keys and memory.)
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const N: usize = 10_000;

fn records(n: usize) -> Vec<ConsumedRecord> {
    fixtures::mixed(n as u64)
}

fn ingest(c: &mut Criterion) {
    let recs = records(N);
    let settings = fixtures::settings();
    let topics: Vec<String> = settings.topics.topics().map(str::to_string).collect();
    let mut g = c.benchmark_group("streams_ingest");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("decode_and_append_10k", |b| {
        b.iter_batched(
            || {
                (
                    StreamsState::new(&topics, 2_000, settings.topics.clone()),
                    recs.clone(),
                )
            },
            |(mut state, batch)| {
                state.ingest(batch);
                state
            },
            BatchSize::LargeInput,
        )
    });
    // What the app loop does itself: append records a reader decoded.
    g.bench_function("append_decoded_10k", |b| {
        b.iter_batched(
            || {
                let state = StreamsState::new(&topics, 2_000, settings.topics.clone());
                let arrived = state.arrive(recs.clone());
                (state, arrived)
            },
            |(mut state, batch)| {
                state.append(batch);
                state
            },
            BatchSize::LargeInput,
        )
    });
    // The same records through App::ingest: Streams plus the Flows graph fed
    // from the same decode.
    g.bench_function("app_ingest_with_flows_10k", |b| {
        b.iter_batched(
            || (fixtures::app(), recs.clone()),
            |(mut app, batch)| {
                app.ingest(batch);
                app
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn busy_app() -> App {
    let mut app = fixtures::app();
    app.ingest(records(20_000));
    app.set_status_text("bridge: 120 ev/s · outbox 0 · DLQ 3".into());
    app
}

fn render(c: &mut Criterion) {
    let app = busy_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("render_streams_200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| app.render(f)).expect("draw");
        })
    });
    let mut filtered = busy_app();
    filtered.panes.streams.set_filter("ctx:debate agg-1");
    c.bench_function("render_streams_filtered_200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| filtered.render(f)).expect("draw");
        })
    });
}

/// Records pushed through the loop per measured run.
const FIREHOSE: usize = 200_000;
const FRAME: Duration = Duration::from_millis(33);

fn firehose(c: &mut Criterion) {
    let template = records(1_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("app_loop_firehose");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FIREHOSE as u64));
    g.bench_function("apply_200k_drawing_at_30fps_200x60", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let template = template.clone();
                let (elapsed, frames) = rt.block_on(async move {
                    let (tx, mut rx) = tokio::sync::mpsc::channel(RECORD_CHANNEL);
                    let topics = fixtures::settings().topics;
                    // The producer decodes, as the console's readers do.
                    let producer = tokio::task::spawn_blocking(move || {
                        for i in 0..FIREHOSE {
                            let r = template[i % template.len()].clone();
                            if tx.blocking_send(Arrived::read(r, &topics)).is_err() {
                                return;
                            }
                        }
                    });
                    let mut app = fixtures::app();
                    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
                    let mut buf = Vec::with_capacity(RECORD_BATCH);
                    let mut frames = 0u64;
                    let start = Instant::now();
                    let mut next_frame = tokio::time::Instant::now();
                    loop {
                        let n = rx.recv_many(&mut buf, RECORD_BATCH).await;
                        if n == 0 {
                            break;
                        }
                        app.ingest_arrived(buf.drain(..));
                        let now = tokio::time::Instant::now();
                        if now >= next_frame {
                            terminal.draw(|f| app.render(f)).expect("draw");
                            app.mark_drawn();
                            frames += 1;
                            next_frame = next_frame_after(next_frame, now, FRAME);
                        }
                    }
                    let _ = producer.await;
                    (start.elapsed(), frames)
                });
                let secs = elapsed.as_secs_f64();
                eprintln!(
                    "firehose: {:.0} records/s applied, {:.1} frames/s drawn",
                    FIREHOSE as f64 / secs,
                    frames as f64 / secs
                );
                total += elapsed;
            }
            total
        })
    });
    g.finish();
}

/// What the data policies cost a reader, per record, without Kafka: the
/// ingest bench's envelopes read with no policies and with its five (every
/// record hit), as `tail` and the Find pane read them (`read_shown`, the
/// record as read kept beside what is shown) and as the Streams list does
/// (`read_listed`, no copy kept), each let go after. The budget is on the whole ingest
/// (`ingest_vs_kcat`); this shows the reader's share.
fn read_shown(c: &mut Criterion) {
    let recs: Vec<ConsumedRecord> = (0..N as u64)
        .map(|i| {
            let (context, event_type) = [
                ("debate", "DecisionMade"),
                ("testing", "TestRunCompleted"),
                ("performance", "MetricRecorded"),
            ][(i % 3) as usize];
            let key = format!("agg-{}", i % 1000);
            fixtures::envelope(i, context, event_type, &key, policies::event_data(i))
        })
        .collect();
    let topics = fixtures::settings().topics;
    let none = Policies::default();
    let five = policies::five_policies();
    let mut g = c.benchmark_group("read_shown");
    g.throughput(Throughput::Elements(N as u64));
    type Read = fn(ConsumedRecord, &TopicMap, &Policies) -> Arrived;
    let shown: Read = |r, topics, ps| Arrived::read_shown(r, topics, None, ps);
    let listed: Read = |r, topics, ps| Arrived::read_listed(r, topics, None, ps);
    for (name, ps, read) in [
        ("no_policies_10k", &none, shown),
        ("five_policies_10k", &five, shown),
        ("listed_no_policies_10k", &none, listed),
        ("listed_five_policies_10k", &five, listed),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || recs.clone(),
                // Each read record is let go in the timing too (as the
                // list lets it go later): what a copy kept costs is there.
                |batch| {
                    batch
                        .into_iter()
                        .map(|r| read(r, &topics, ps).summary.len())
                        .sum::<usize>()
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, ingest, render, firehose, read_shown);
criterion_main!(benches);
