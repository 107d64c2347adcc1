//! The app loop and the workers it starts: one reader per topic feeding a bounded
//! record channel, a connection probe, publishes, exports. Signals (SIGTERM,
//! SIGINT) and a failed task end the loop cleanly; the terminal guard restores the
//! terminal on every way out.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use crossterm::event::Event as TermEvent;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::AppServices;
use super::app::App;
use super::event::Route;
use super::event::{Command, Event, WorkerMsg};
use super::terminal::{TerminalGuard, panicked, panicked_in};
use super::workers;
use crate::config::Settings;
use crate::kafka::Arrived;
use crate::kafka::consume::{SEND_BATCH, TailEvent, tail_map_reading};
use crate::kafka::isolation::Isolation;
use crate::kafka::{Reading, StartAt, TailOptions, check_reachable};
use crate::publish::Publisher;
use crate::schema_registry::SchemaCache;

/// Records buffered between the readers and the app loop. Bounded: a slow screen
/// slows the readers (records wait in Kafka) instead of growing memory.
pub const RECORD_CHANNEL: usize = 8192;
/// Records applied per drain, so input and frames are never starved by a firehose.
pub const RECORD_BATCH: usize = 1024;
/// Readers send records in batches of up to [`SEND_BATCH`]; the channel and
/// the drain count batches, so these turn the record limits above into batch
/// counts (the channel once held 8,192 batches: 4M records, unbounded in effect).
pub const RECORD_CHANNEL_BATCHES: usize = RECORD_CHANNEL / SEND_BATCH;
/// See [`RECORD_CHANNEL_BATCHES`].
pub const RECORD_DRAIN_BATCHES: usize = RECORD_BATCH / SEND_BATCH;
/// Worker messages applied per drain.
const WORKER_BATCH: usize = 64;
/// Terminal events already waiting that are handled before a frame is drawn.
const INPUT_BURST: usize = 512;
/// Pause before a failed reader tries again.
const RETRY_AFTER: Duration = Duration::from_secs(3);
/// Makes a background task panic this many milliseconds after start (tests only).
pub const TEST_PANIC_ENV: &str = "EVENTDECK_TEST_PANIC_MS";
/// How often the connection probe asks for metadata.
const PROBE_EVERY: Duration = Duration::from_secs(5);

/// Progress reports a replay sends at most per second (each is one redraw).
const REPLAY_PROGRESS_PER_SECOND: u32 = 10;

/// Publishes what the inject form sent ([`Command::Publish`]) with the
/// publisher of the route it chose, through the function `eventdeck inject`
/// uses (gate, publish, audit line), and reports to `tx`. Public so tests
/// drive it exactly as the app loop does.
pub async fn perform_publish(
    settings: Settings,
    publisher: Arc<dyn Publisher>,
    req: super::event::SendRequest,
    tx: mpsc::Sender<WorkerMsg>,
) {
    let id = req.id;
    let result = crate::publish::inject(
        &settings,
        crate::audit::Source::Console,
        publisher.as_ref(),
        req.request,
    )
    .await;
    let _ = tx.send(WorkerMsg::Published { id, result }).await;
}

/// Publishes an all-or-none send of the inject form ([`Route::Transaction`])
/// in one Kafka transaction, through the function `eventdeck inject
/// --transactional` uses (gate, transaction, one audit line), and reports to
/// `tx`. Public so tests drive it exactly as the app loop does.
pub async fn perform_publish_transaction(
    settings: Settings,
    req: super::event::SendRequest,
    tx: mpsc::Sender<WorkerMsg>,
) {
    let id = req.id;
    let mut requests = vec![req.request];
    requests.extend(req.also);
    let result =
        crate::publish::inject_transactional(&settings, crate::audit::Source::Console, requests)
            .await;
    let _ = tx.send(WorkerMsg::CommittedTxn { id, result }).await;
}

/// Performs a replay step the app asked for — reading the range
/// ([`Command::ReplayPlan`]) or replaying it ([`Command::ReplayRun`]) — with
/// the same functions `eventdeck replay` uses, reporting to `tx`. Public so
/// tests drive it exactly as the app loop does. Other commands are ignored.
pub async fn perform_replay(
    settings: Settings,
    handlers: Option<crate::bridge::Redeliverer>,
    cmd: Command,
    tx: mpsc::Sender<WorkerMsg>,
) {
    match cmd {
        Command::ReplayPlan(request) => {
            let s = settings.clone();
            let planned = tokio::task::spawn_blocking(move || crate::replay::plan(&s, request))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map(Arc::new);
            let _ = tx.send(WorkerMsg::ReplayPlanned(planned)).await;
        }
        Command::ReplayRun(plan) => {
            let done = run_replay(&settings, handlers, &plan, &tx).await;
            let _ = tx.send(WorkerMsg::ReplayDone(done)).await;
        }
        _ => {}
    }
}

async fn run_replay(
    settings: &Settings,
    handlers: Option<crate::bridge::Redeliverer>,
    plan: &crate::replay::Plan,
    tx: &mpsc::Sender<WorkerMsg>,
) -> Result<crate::replay::Outcome, String> {
    use crate::audit::Source;
    use crate::replay::{Sink, Target};
    let every = Duration::from_secs(1) / REPLAY_PROGRESS_PER_SECOND;
    let mut last = Instant::now();
    let progress = |done: usize, total: usize| {
        // try_send: a full channel drops a progress report, never blocks the replay.
        if done == total || last.elapsed() >= every {
            last = Instant::now();
            let _ = tx.try_send(WorkerMsg::ReplayProgress { done, total });
        }
    };
    let outcome = match &plan.request.target {
        Target::Topic(_) => {
            let producer = crate::replay::producer(settings).map_err(|e| e.to_string())?;
            crate::replay::replay(
                settings,
                Source::Console,
                plan,
                Sink::Producer(&producer),
                progress,
            )
            .await
        }
        Target::Handlers => {
            let h = handlers.ok_or_else(|| super::strings::REPLAY_NO_HANDLERS.to_string())?;
            crate::replay::replay(
                settings,
                Source::Console,
                plan,
                Sink::Handlers(&h),
                progress,
            )
            .await
        }
    };
    outcome.map_err(|e| e.to_string())
}

/// Runs the console until the user quits, a signal arrives, or a task fails.
pub async fn run(services: AppServices) -> Result<()> {
    let mut app = App::new(&services);
    let (worker_tx, mut worker_rx) = mpsc::channel::<WorkerMsg>(256);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut status = services.status.clone();
    let max_fps = services.settings.ui.max_fps.clamp(1, 120);
    let frame_interval = Duration::from_secs_f64(1.0 / f64::from(max_fps));

    // Schema-framed records are read with the registry's schemas; a schema
    // not fetched yet never holds a reader up: the record shows pending, and
    // is read again (off this loop) when the fetch ends.
    let schemas = match SchemaCache::from_config(&services.settings.schema_registry) {
        Ok(schemas) => schemas,
        Err(e) => {
            app.apply(WorkerMsg::StreamWarning(
                super::strings::schema_registry_unusable(&e),
            ));
            None
        }
    };
    if let Some(cache) = &schemas {
        app.panes.streams.set_schemas(Some(Arc::new(cache.clone())));
    }
    let mut schema_fetched = schemas.as_ref().map(SchemaCache::fetched);
    let mut redecoding = false;

    let mut guard = TerminalGuard::enter()?;
    let mut streams = StreamSet::start(
        &services.settings,
        &services.topics,
        services.start,
        app.panes.streams.isolation,
        app.generation(),
        &worker_tx,
        schemas.clone(),
    );
    // The running search's cancel flag: dropping it (a new search, esc, the
    // console ending) stops the search.
    let mut find_cancel: Option<(u64, workers::find::CancelOnDrop)> = None;
    let probe = spawn_watched(
        "connection probe",
        probe(services.settings.clone(), worker_tx.clone()),
        worker_tx.clone(),
    );
    let (lag_tx, lag_rx) = tokio::sync::watch::channel(None);
    let mut lag_rx = Some(lag_rx);
    let lag_poller = spawn_watched(
        "lag poller",
        workers::lag::lag_poller(
            services.settings.clone(),
            services.known_groups.clone(),
            Duration::from_millis(services.settings.ui.lag_poll_ms),
            lag_tx,
        ),
        worker_tx.clone(),
    );
    // The Cluster tab's poller starts at the tab's first ask.
    let cluster_wake = Arc::new(tokio::sync::Notify::new());
    let cluster_poller = spawn_watched(
        "cluster poller",
        workers::cluster::cluster_poller(
            services.settings.clone(),
            workers::cluster::CLUSTER_POLL_EVERY,
            cluster_wake.clone(),
            worker_tx.clone(),
        ),
        worker_tx.clone(),
    );
    let dlq_reader = spawn_watched(
        "DLQ reader",
        workers::dlq::dlq_reader(services.settings.clone(), worker_tx.clone()),
        worker_tx.clone(),
    );

    // Fault injection for the end-to-end test of "a panic in any task restores
    // the terminal": nothing else reads this variable.
    if let Some(ms) = std::env::var(TEST_PANIC_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        spawn_watched(
            "test panic",
            async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                panic!("panic requested by {TEST_PANIC_ENV}");
            },
            worker_tx.clone(),
        );
    }

    let mut input = read_terminal_input();
    let mut inputs = Vec::with_capacity(INPUT_BURST);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // Frames are scheduled on a fixed grid, so a frame drawn a little late (after
    // a record batch) does not push every later frame back too.
    let mut next_frame = Instant::now();
    let mut records = Vec::with_capacity(RECORD_DRAIN_BATCHES);
    let mut msgs = Vec::with_capacity(WORKER_BATCH);
    let mut result: Result<()> = Ok(());
    let mut first_frame_logged = false;
    let mut frame_stats = super::frame_stats::FrameStats::from_env();

    loop {
        let now = Instant::now();
        if app.is_dirty() && !panicked() && now >= next_frame {
            guard.terminal.draw(|f| app.render(f))?;
            if let Some(stats) = frame_stats.as_mut() {
                stats.record(now.elapsed(), std::time::Instant::now());
            }
            if !first_frame_logged {
                first_frame_logged = true;
                if let Some(t) = crate::logging::since_process_start() {
                    tracing::info!(ms = t.as_millis() as u64, "first frame drawn");
                }
            }
            app.mark_drawn();
            next_frame = next_frame_after(next_frame, now, frame_interval);
        }
        let dirty = app.is_dirty();
        let paused = app.panes.streams.paused;
        tokio::select! {
            biased;
            _ = sigterm.recv() => app.request_quit(),
            _ = sigint.recv() => app.request_quit(),
            // Everything already typed (a paste without bracketed paste, key
            // repeat) is handled before the next frame: one frame per key
            // made 4,000 typed characters take 2.3 s to show.
            n = input.recv_many(&mut inputs, INPUT_BURST) => {
                if n == 0 {
                    app.request_quit();
                }
                for ev in inputs.drain(..) {
                    if app.should_quit() {
                        break;
                    }
                    match ev {
                        Ok(ev) => handle_terminal_event(&mut app, ev, &mut next_frame),
                        Err(e) => {
                            result = Err(eyre!("reading the terminal: {e}"));
                            app.request_quit();
                        }
                    }
                }
            }
            n = worker_rx.recv_many(&mut msgs, WORKER_BATCH) => {
                if n == 0 {
                    app.request_quit();
                }
                for m in msgs.drain(..) {
                    if matches!(m, WorkerMsg::SchemaRedecoded { .. }) {
                        redecoding = false;
                    }
                    app.apply(m);
                }
            }
            n = streams.rx.recv_many(&mut records, RECORD_DRAIN_BATCHES), if !paused => {
                if n == 0 {
                    // Every reader ended (each retries on errors, so this is rare);
                    // wait for input rather than spinning on a closed channel.
                    streams.rx = mpsc::channel(1).1;
                }
                let mut batch = Vec::with_capacity(n);
                // Notes follow their records: marked once the batch is in.
                let mut notes = Vec::new();
                for ev in records.drain(..) {
                    match ev {
                        TailEvent::Records(rs) => batch.extend(rs),
                        TailEvent::Warning(w) => app.apply(WorkerMsg::StreamWarning(w)),
                        TailEvent::Txn(ns) => notes.extend(ns),
                    }
                }
                app.ingest_arrived(batch);
                if !notes.is_empty() {
                    app.mark_txn(&notes);
                }
            }
            changed = async {
                match status.as_mut() {
                    Some(s) => s.changed().await.map(|_| s.borrow_and_update().clone()),
                    None => std::future::pending().await,
                }
            } => match changed {
                Ok(text) => app.set_status_text(text),
                Err(_) => status = None,
            },
            update = async {
                match lag_rx.as_mut() {
                    Some(rx) => rx.changed().await.map(|_| rx.borrow_and_update().clone()),
                    None => std::future::pending().await,
                }
            } => match update {
                Ok(Some(update)) => app.apply_lag(update),
                Ok(None) => {}
                // The poller ended: keep the last figures, stop listening.
                Err(_) => lag_rx = None,
            },
            fetched = async {
                match schema_fetched.as_mut() {
                    Some(rx) => rx.changed().await,
                    None => std::future::pending().await,
                }
            }, if !redecoding => match (fetched, &schemas) {
                (Ok(()), Some(cache)) => {
                    redecoding = start_redecode(&app, cache, &worker_tx);
                }
                _ => schema_fetched = None,
            },
            _ = tick.tick() => {
                app.handle_event(Event::Tick);
                // A record that reached the list after its schema's fetch
                // ended (it was in the channel then) is read again here.
                if !redecoding && let Some(cache) = &schemas {
                    redecoding = start_redecode(&app, cache, &worker_tx);
                }
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
        for cmd in app.take_commands() {
            match cmd {
                Command::Seek(start) => {
                    streams = StreamSet::start(
                        &services.settings,
                        &services.topics,
                        start,
                        app.panes.streams.isolation,
                        app.generation(),
                        &worker_tx,
                        schemas.clone(),
                    );
                }
                Command::Publish(req) if req.route == Route::Transaction => {
                    spawn_watched(
                        "publish",
                        perform_publish_transaction(
                            services.settings.clone(),
                            *req,
                            worker_tx.clone(),
                        ),
                        worker_tx.clone(),
                    );
                }
                Command::Publish(req) => {
                    let req = *req;
                    let publisher: Arc<dyn Publisher> = match req.route {
                        Route::Main | Route::Transaction => services.publisher.clone(),
                        Route::Raw => match &services.raw_publisher {
                            Some(p) => p.clone(),
                            None => services.publisher.clone(),
                        },
                    };
                    spawn_watched(
                        "publish",
                        perform_publish(
                            services.settings.clone(),
                            publisher,
                            req,
                            worker_tx.clone(),
                        ),
                        worker_tx.clone(),
                    );
                }
                Command::FetchWriteSchema(spec) => {
                    let config = services.settings.schema_registry.clone();
                    let tx = worker_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = match crate::schema_registry::RegistryClient::new(&config) {
                            Ok(Some(client)) => client.write_schema(&spec),
                            Ok(None) => Err(super::strings::NO_SCHEMA_REGISTRY.to_string()),
                            Err(e) => Err(e),
                        };
                        let _ = tx.blocking_send(WorkerMsg::WriteSchema { spec, result });
                    });
                }
                Command::Copy(text) => {
                    if let Err(e) = guard.write_raw(osc52(&text).as_bytes()) {
                        tracing::warn!("clipboard: {e}");
                    }
                }
                Command::Export(lines) => {
                    let dir = services.settings.data_dir.join("exports");
                    let tx = worker_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let r = export(&dir, &lines).map_err(|e| e.to_string());
                        let _ = tx.blocking_send(WorkerMsg::Exported(r));
                    });
                }
                cmd @ (Command::ReplayPlan(_) | Command::ReplayRun(_)) => {
                    let settings = services.settings.clone();
                    let handlers = services.handlers.clone();
                    spawn_watched(
                        "replay",
                        perform_replay(settings, handlers, cmd, worker_tx.clone()),
                        worker_tx.clone(),
                    );
                }
                Command::SetRate(r) => {
                    if let Some(tx) = &services.scenario_rate {
                        let _ = tx.send(r);
                    }
                }
                Command::Admin(req) => {
                    spawn_watched(
                        "admin request",
                        super::workers::admin::run(
                            services.settings.clone(),
                            *req,
                            worker_tx.clone(),
                        ),
                        worker_tx.clone(),
                    );
                }
                Command::Find(job) => {
                    // One search at a time: a new one ends the last.
                    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
                    find_cancel =
                        Some((job.generation, workers::find::CancelOnDrop(cancel.clone())));
                    spawn_watched(
                        "find",
                        workers::find::run(
                            services.settings.clone(),
                            *job,
                            cancel,
                            worker_tx.clone(),
                        ),
                        worker_tx.clone(),
                    );
                }
                Command::RefreshCluster => cluster_wake.notify_one(),
                Command::Schemas(req) => {
                    spawn_watched(
                        "schema registry request",
                        workers::schemas::run(services.settings.clone(), req, worker_tx.clone()),
                        worker_tx.clone(),
                    );
                }
                Command::CancelFind(generation) => {
                    if find_cancel.as_ref().is_some_and(|(g, _)| *g == generation) {
                        find_cancel = None;
                    }
                }
                Command::Redrive(req) => {
                    spawn_watched(
                        "redrive",
                        workers::dlq::run_redrive(
                            services.settings.clone(),
                            *req,
                            worker_tx.clone(),
                        ),
                        worker_tx.clone(),
                    );
                }
            }
        }
        if app.should_quit() || panicked() {
            break;
        }
    }
    probe.abort();
    lag_poller.abort();
    cluster_poller.abort();
    dlq_reader.abort();
    drop(streams);
    // Input stops being read (the thread sees the channel closed) before the
    // terminal is handed back.
    drop(input);
    drop(guard);
    // A panic is named by the panic hook itself, so the error says which task
    // panicked whether the loop saw the hook's flag or the task's end first.
    if panicked() {
        let who = panicked_in().unwrap_or("a background task");
        return Err(eyre!("{who} panicked (see the report above)"));
    }
    if let Some(e) = app.fatal() {
        return Err(eyre!("{e}"));
    }
    result
}

/// How often the input thread looks up from waiting for input to see whether
/// the console has ended (its receiver dropped).
const INPUT_POLL: Duration = Duration::from_millis(100);

/// Terminal events, read on a thread of their own. crossterm reads the
/// terminal through `/dev/tty` with level-triggered `poll` (its `use-dev-tty`
/// feature): its default source, edge-triggered, left input past the first
/// 1,024 bytes of a burst unread until the next key was pressed
/// (crossterm-rs/crossterm#1057). A blocking read on this thread takes each
/// event the parser already holds without a wake-up per event, so the loop
/// gets a burst in one go.
fn read_terminal_input() -> mpsc::Receiver<std::io::Result<TermEvent>> {
    let (tx, rx) = mpsc::channel(INPUT_BURST);
    let spawned = std::thread::Builder::new()
        .name("eventdeck-input".into())
        .spawn(move || {
            while !tx.is_closed() {
                let ev = match crossterm::event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => crossterm::event::read(),
                    Err(e) => Err(e),
                };
                let failed = ev.is_err();
                if tx.blocking_send(ev).is_err() || failed {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        // The receiver then reports a closed channel and the console ends.
        tracing::error!(error = %e, "starting the terminal input thread");
    }
    rx
}

/// One terminal event into the app. Input is answered with a frame now, not
/// at the next slot of the frame grid: under a firehose that slot can be a
/// record batch and most of a frame interval away.
fn handle_terminal_event(app: &mut App, ev: TermEvent, next_frame: &mut Instant) {
    if let Some(ev) = convert(ev) {
        if matches!(ev, Event::Key(_) | Event::Mouse(_) | Event::Paste(_)) {
            *next_frame = Instant::now();
        }
        app.handle_event(ev);
    }
}

/// The next frame time on the grid after drawing at `now`; when more than a frame
/// behind, the grid restarts at `now` rather than bursting to catch up.
pub fn next_frame_after(scheduled: Instant, now: Instant, interval: Duration) -> Instant {
    let next = scheduled + interval;
    if next + interval < now {
        now + interval
    } else {
        next
    }
}

/// Reads again, on a blocking thread, the records Streams keeps whose schema
/// was pending, and sends them back ([`WorkerMsg::SchemaRedecoded`]). False
/// when there are none (nothing was started).
fn start_redecode(app: &App, cache: &SchemaCache, tx: &mpsc::Sender<WorkerMsg>) -> bool {
    let streams = &app.panes.streams;
    if !streams.has_schema_pending() {
        return false;
    }
    let records = streams.pending_schema_records(super::panes::streams::REDECODE_BATCH);
    let (generation, topics, cache, tx, policies) = (
        app.generation(),
        streams.topic_map().clone(),
        cache.clone(),
        tx.clone(),
        app.policies().clone(),
    );
    tokio::task::spawn_blocking(move || {
        let records = redecode_shown(records, &topics, &cache, &policies);
        let _ = tx.blocking_send(WorkerMsg::SchemaRedecoded {
            generation,
            records,
        });
    });
    true
}

/// Records (by arrival number) read again with `schemas`: what the console
/// does off its loop when a schema fetch ends ([`WorkerMsg::SchemaRedecoded`]).
pub fn redecode(
    records: Vec<(u64, crate::kafka::ConsumedRecord)>,
    topics: &crate::domain::TopicMap,
    schemas: &dyn crate::domain::schema::SchemaSource,
) -> Vec<(u64, Arrived)> {
    redecode_shown(
        records,
        topics,
        schemas,
        &crate::domain::policy::Policies::default(),
    )
}

/// [`redecode`] of records as read, shown through the data policies
/// ([`Arrived::read_shown`]).
pub fn redecode_shown(
    records: Vec<(u64, crate::kafka::ConsumedRecord)>,
    topics: &crate::domain::TopicMap,
    schemas: &dyn crate::domain::schema::SchemaSource,
    policies: &crate::domain::policy::Policies,
) -> Vec<(u64, Arrived)> {
    records
        .into_iter()
        .map(|(arrival, record)| {
            (
                arrival,
                Arrived::read_shown(record, topics, Some(schemas), policies),
            )
        })
        .collect()
}

/// The readers of one seek: one per topic, all feeding `rx` with records they
/// decoded ([`Arrived`]), so the app loop does not. Dropping the set closes the
/// channel, and every reader stops at its next poll.
struct StreamSet {
    rx: mpsc::Receiver<TailEvent<Arrived>>,
}

impl StreamSet {
    fn start(
        settings: &Settings,
        topics: &[String],
        start: StartAt,
        isolation: Isolation,
        generation: u64,
        worker_tx: &mpsc::Sender<WorkerMsg>,
        schemas: Option<SchemaCache>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(RECORD_CHANNEL_BATCHES);
        for topic in topics {
            // One reader per topic, so a missing topic does not stop the others.
            let settings = settings.clone();
            let tx = tx.clone();
            let wtx = worker_tx.clone();
            let topic = topic.clone();
            let schemas = schemas.clone();
            spawn_watched(
                "stream reader",
                async move {
                    loop {
                        let opts = TailOptions {
                            topics: vec![topic.clone()],
                            start,
                            count: None,
                            exit_at_end: false,
                        };
                        let topics = settings.topics.clone();
                        let schemas = schemas.clone();
                        // The data policies apply here, before the console
                        // sees a record (writing a masked one back reads it
                        // again from Kafka, or sends the copy kept of it).
                        let policies = settings.policies.clone();
                        let read = move |r| match &schemas {
                            Some(cache) => Arrived::read_listed(r, &topics, Some(cache), &policies),
                            None => Arrived::read_listed(r, &topics, None, &policies),
                        };
                        // Records go out at once; aborted ones are marked
                        // when known (a note after them).
                        let reading = Reading {
                            isolation,
                            hold: false,
                        };
                        match tail_map_reading(&settings, opts, reading, tx.clone(), read).await {
                            Ok(_) => return,
                            Err(e) => {
                                let _ = wtx
                                    .send(WorkerMsg::StreamProblem {
                                        generation,
                                        topic: topic.clone(),
                                        problem: e.to_string(),
                                    })
                                    .await;
                            }
                        }
                        tokio::time::sleep(RETRY_AFTER).await;
                        if tx.is_closed() {
                            return;
                        }
                    }
                },
                worker_tx.clone(),
            );
        }
        Self { rx }
    }
}

/// Asks the cluster for metadata now and then; the header shows the answer.
async fn probe(settings: Settings, tx: mpsc::Sender<WorkerMsg>) {
    loop {
        let r = check_reachable(&settings, None)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        if tx.send(WorkerMsg::Connection(r)).await.is_err() {
            return;
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

/// Spawns a task; if it panics, the app hears of it and ends with the error.
/// Returns the task's abort handle.
fn spawn_watched<F>(
    name: &'static str,
    fut: F,
    tx: mpsc::Sender<WorkerMsg>,
) -> tokio::task::AbortHandle
where
    F: Future<Output = ()> + Send + 'static,
{
    let inner = tokio::spawn(crate::task_name::scope(name, fut));
    let abort = inner.abort_handle();
    tokio::spawn(async move {
        if let Err(e) = inner.await
            && e.is_panic()
        {
            let _ = tx
                .send(WorkerMsg::TaskFailed(format!("the {name} task panicked")))
                .await;
        }
    });
    abort
}

fn convert(ev: TermEvent) -> Option<Event> {
    match ev {
        TermEvent::Key(k) => Some(Event::Key(k)),
        TermEvent::Mouse(m) => Some(Event::Mouse(m)),
        TermEvent::Paste(p) => Some(Event::Paste(p)),
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        TermEvent::FocusGained | TermEvent::FocusLost => None,
    }
}

/// Writes JSON lines to a new file in `dir`; returns its path and the line count.
fn export(dir: &Path, lines: &[String]) -> std::io::Result<(PathBuf, usize)> {
    use std::io::Write;
    crate::private::create_dir_all(dir)?;
    let name = format!(
        "eventdeck-export-{}.jsonl",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(crate::private::create(&path)?);
    for l in lines {
        f.write_all(l.as_bytes())?;
        f.write_all(b"\n")?;
    }
    f.flush()?;
    Ok((path, lines.len()))
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_stay_on_their_grid_unless_far_behind() {
        let t0 = Instant::now();
        let f = Duration::from_millis(33);
        // Drawn 7 ms late: the next frame is still t0 + 2f, not late + f.
        assert_eq!(
            next_frame_after(t0 + f, t0 + f + Duration::from_millis(7), f),
            t0 + 2 * f
        );
        // Far behind: restart from now.
        let late = t0 + 10 * f;
        assert_eq!(next_frame_after(t0, late, f), late + f);
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(osc52("foo"), "\x1b]52;c;Zm9v\x07");
    }
}
