//! DESIGN.md budget: consume + decode + append to the Streams pane's state, real
//! Kafka on loopback, 1M envelopes — at least as fast as
//! `kcat -C -e -q -o beginning > /dev/null` on the same topic, in one run.
//!
//! Needs Apache Kafka (`scripts/kafka up`; KAFKA_BOOTSTRAP_SERVERS or
//! 127.0.0.1:9092) and kcat. The topic is filled once and reused.
//!
//!     cargo bench --bench ingest_vs_kcat            # 1,000,000 records
//!     EVENTDECK_BENCH_RECORDS=200000 cargo bench --bench ingest_vs_kcat
//!     EVENTDECK_BENCH_ROUNDS=9 cargo bench --bench ingest_vs_kcat   # default 5
//!
//! The Avro round (the schema-registry budget: decoding Avro records of the
//! envelope's size costs at most 1.5x the JSON envelope path) fills a second
//! topic with the same events written as Avro with a registered schema, in
//! Confluent's framing, and reads it the console's way (a warm schema cache).
//! It needs a registry (`scripts/schema-registry up`; SCHEMA_REGISTRY_URL or
//! http://127.0.0.1:8081/apis/ccompat/v7); EVENTDECK_BENCH_AVRO=0 leaves it out.
//!
//! The data-policies round (the budget: at most 1.2x the same ingest without
//! policies) reads the JSON topic again with 5 policies active (3 JSON paths,
//! 1 header, 1 key), as the console's readers apply them
//! (`Arrived::read_listed`); EVENTDECK_BENCH_POLICIES=0 leaves it out.

// The binary's allocator, so the bench measures what eventdeck runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/policies.rs"]
mod policies;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::domain::{Envelope, encode};
use eventdeck::kafka::Arrived;
use eventdeck::kafka::consume::{TailEvent, tail, tail_map};
use eventdeck::kafka::{StartAt, TailOptions};
use eventdeck::tui::panes::streams::StreamsState;
use eventdeck::tui::runtime::{RECORD_CHANNEL_BATCHES, RECORD_DRAIN_BATCHES};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

const PARTITIONS: i32 = 3;
/// What the Streams ring keeps per topic, as in the default config.
const RING: usize = 10_000;

fn main() {
    // As the binary does (src/main.rs), so this measures what it runs.
    eventdeck::alloc::restart_with_allocator_settings();
    let brokers =
        std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let n: u64 = std::env::var("EVENTDECK_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let topic = format!("bench-ingest-{n}");
    let mut settings = Settings::load_with_env(
        &CliOverrides {
            config: Some("/dev/null".into()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("settings");
    settings.brokers = brokers.clone();

    fill(&brokers, &topic, n);
    let avro = (std::env::var("EVENTDECK_BENCH_AVRO").as_deref() != Ok("0"))
        .then(|| avro_fill(&brokers, n));

    // Alternating rounds, kcat first in each, so a warm page cache or a busy
    // moment favours neither; medians are compared (this machine is shared
    // with the broker, and single runs vary by ±30%).
    let rounds: usize = std::env::var("EVENTDECK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (mut kcat, mut full, mut consume_only) = (Vec::new(), Vec::new(), Vec::new());
    // Reference points, to show where the time goes: kcat printing what the
    // console keeps of each record, and librdkafka's poll loop alone, without
    // and with reading each record's headers.
    let (mut kcat_headers, mut poll_bare, mut poll_headers) = (Vec::new(), Vec::new(), Vec::new());
    let mut avro_runs = Vec::new();
    let masked = (std::env::var("EVENTDECK_BENCH_POLICIES").as_deref() != Ok("0")).then(|| {
        let mut s = settings.clone();
        s.policies = policies::five_policies();
        s
    });
    let mut policy_runs = Vec::new();
    // The process's CPU time in the two rounds the policies' budget
    // compares: what they cost beside how long they took (both rounds keep
    // the 2 cores of the machine this was measured on busy).
    let (mut full_cpu, mut policy_cpu) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        kcat.push(time_kcat(&brokers, &topic));
        let cpu = process_cpu();
        let (d, count) = rt.block_on(ours(&settings, &topic, true));
        assert_eq!(count, n, "ingest read every record");
        full.push(d);
        full_cpu.extend(cpu.zip(process_cpu()).map(|(a, b)| b - a));
        if let Some((avro_topic, cache)) = &avro {
            let (d, count) = rt.block_on(ours_avro(&settings, avro_topic, cache));
            assert_eq!(count, n, "the Avro ingest read every record");
            eprintln!("  avro round {}: {:.2} s", round + 1, d.as_secs_f64());
            avro_runs.push(d);
        }
        if let Some(masked) = &masked {
            let cpu = process_cpu();
            let (d, count) = rt.block_on(ours(masked, &topic, true));
            assert_eq!(count, n, "the ingest with policies read every record");
            eprintln!("  policies round {}: {:.2} s", round + 1, d.as_secs_f64());
            policy_runs.push(d);
            policy_cpu.extend(cpu.zip(process_cpu()).map(|(a, b)| b - a));
        }
        if round == 0 || round + 1 == rounds {
            let (d, count) = rt.block_on(ours(&settings, &topic, false));
            assert_eq!(count, n, "consume-only read every record");
            consume_only.push(d);
            kcat_headers.push(time_kcat_with(&brokers, &topic, &["-f", "%k %h %s\n"]));
            for (runs, headers) in [(&mut poll_bare, false), (&mut poll_headers, true)] {
                let (d, count) = poll_loop(&settings, &topic, headers);
                assert_eq!(count, n, "the poll loop read every record");
                runs.push(d);
            }
        }
        eprintln!(
            "round {}: kcat {:.2} s, eventdeck {:.2} s",
            round + 1,
            kcat[round].as_secs_f64(),
            full[round].as_secs_f64()
        );
    }

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let line = |name: &str, runs: &mut Vec<Duration>| -> Duration {
        let median = median(runs).expect("at least one round");
        println!(
            "  {name:<42} median {:>6.2} s  {:>9.0} rec/s   (min {:.2} s, max {:.2} s, {} runs)",
            median.as_secs_f64(),
            rate(median),
            runs[0].as_secs_f64(),
            runs[runs.len() - 1].as_secs_f64(),
            runs.len()
        );
        median
    };
    println!("\ningest_vs_kcat: {n} envelopes, {PARTITIONS} partitions, {brokers}");
    let kcat_median = line("kcat -C -e -q -o beginning > /dev/null", &mut kcat);
    let full_median = line("eventdeck consume + decode + append", &mut full);
    line("eventdeck consume only", &mut consume_only);
    let avro_median = (!avro_runs.is_empty())
        .then(|| line("eventdeck Avro: consume + decode + append", &mut avro_runs));
    let policy_median =
        (!policy_runs.is_empty()).then(|| line("eventdeck with 5 data policies", &mut policy_runs));
    println!("  reference points:");
    line(
        "kcat -f '%k %h %s\\n' (key, headers, value)",
        &mut kcat_headers,
    );
    line("librdkafka poll loop, headers not read", &mut poll_bare);
    line("librdkafka poll loop, headers read", &mut poll_headers);
    println!(
        "  budget (ingest <= kcat): {}  ({:.2}x kcat's time, medians)",
        if full_median <= kcat_median {
            "MET"
        } else {
            "NOT MET"
        },
        full_median.as_secs_f64() / kcat_median.as_secs_f64()
    );
    if let Some(policy_median) = policy_median {
        let ratio = policy_median.as_secs_f64() / full_median.as_secs_f64();
        println!(
            "  budget (5 data policies <= 1.2x without): {}  ({ratio:.2}x, medians)",
            if ratio <= 1.2 { "MET" } else { "NOT MET" }
        );
        if let (Some(with), Some(without)) = (median(&mut policy_cpu), median(&mut full_cpu)) {
            println!(
                "    (CPU time of the process, medians: {:.2} s with, {:.2} s without: {:.2}x)",
                with.as_secs_f64(),
                without.as_secs_f64(),
                with.as_secs_f64() / without.as_secs_f64()
            );
        }
    }
    if let Some(avro_median) = avro_median {
        let ratio = avro_median.as_secs_f64() / full_median.as_secs_f64();
        println!(
            "  budget (Avro <= 1.5x the JSON envelope path): {}  ({ratio:.2}x, medians)",
            if ratio <= 1.5 { "MET" } else { "NOT MET" }
        );
    }
}

/// The envelope as an Avro record: the same fields, `data` a record of the
/// JSON topic's data plus a note, so a record is about as large as the JSON
/// envelope (about 380 bytes).
const AVRO_ENVELOPE: &str = r#"{
  "type": "record", "name": "BenchEvent", "namespace": "eventdeck.bench",
  "fields": [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "event_type", "type": "string"},
    {"name": "schema_version", "type": "int"},
    {"name": "context", "type": "string"},
    {"name": "aggregate_id", "type": "string"},
    {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "correlation_id", "type": ["null", {"type": "string", "logicalType": "uuid"}], "default": null},
    {"name": "causation_id", "type": ["null", {"type": "string", "logicalType": "uuid"}], "default": null},
    {"name": "data", "type": {"type": "record", "name": "Data", "fields": [
      {"name": "n", "type": "long"}, {"name": "question", "type": "string"},
      {"name": "decision", "type": "string"}, {"name": "value", "type": "double"},
      {"name": "note", "type": "string"}]}}
  ]
}"#;

/// The Avro topic, filled once (the schema registered under
/// `<topic>-value`), and a schema cache that already holds its schema.
fn avro_fill(brokers: &str, n: u64) -> (String, eventdeck::schema_registry::SchemaCache) {
    let url = std::env::var("SCHEMA_REGISTRY_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:8081/apis/ccompat/v7".into());
    let topic = format!("bench-ingest-avro-{n}");
    let subject = format!("{topic}-value");
    let body = serde_json::json!({ "schema": AVRO_ENVELOPE }).to_string();
    let mut answer = ureq::post(&format!("{url}/subjects/{subject}/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .send(body.as_str())
        .unwrap_or_else(|e| {
            panic!(
                "the Avro round needs a schema registry at {url} ({e}): scripts/schema-registry up, \
                 or EVENTDECK_BENCH_AVRO=0 to leave the round out"
            )
        });
    let text = answer
        .body_mut()
        .read_to_string()
        .expect("the registry's answer");
    let registered: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let id = u32::try_from(registered["id"].as_u64().expect("an id")).expect("a 32-bit id");
    let config = eventdeck::config::SchemaRegistry {
        url: Some(url.clone()),
        ..Default::default()
    };
    let cache = eventdeck::schema_registry::SchemaCache::from_config(&config)
        .expect("client")
        .expect("a registry");
    use eventdeck::domain::schema::{Lookup, SchemaId, SchemaSource};
    let schema = match cache.waiting().lookup(SchemaId::Id(id)) {
        Lookup::Ready(schema) => schema,
        other => panic!("schema id {id}: {other:?}"),
    };
    let write = eventdeck::domain::schema::WriteSchema {
        subject,
        version: 1,
        id,
        schema,
    };
    fill_with(brokers, &topic, n, |env| {
        let mut env = env.clone();
        env.data["note"] = serde_json::json!(
            "written as Avro with a registered schema, for the schema-registry budget"
        );
        let value = write.encode_event(&env).expect("the event fits its schema");
        let headers = encode(&env)
            .headers
            .into_iter()
            .filter(|(k, _)| k != "content-type")
            .collect();
        (value, headers)
    });
    (topic, cache)
}

/// [`ours`] on a topic of Avro records, decoded with the registry's schema
/// on the reader's thread as the console does (the cache answers without
/// waiting; it was warmed when the topic was filled).
async fn ours_avro(
    settings: &Settings,
    topic: &str,
    cache: &eventdeck::schema_registry::SchemaCache,
) -> (Duration, u64) {
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<TailEvent<Arrived>>(RECORD_CHANNEL_BATCHES);
    let s = settings.clone();
    let topics = settings.topics.clone();
    let opts = options(topic);
    let schemas = cache.clone();
    let reader = tokio::spawn(async move {
        tail_map(&s, opts, tx, move |r| {
            Arrived::read_with(r, &topics, &schemas)
        })
        .await
    });
    let mut state = StreamsState::new(&[topic.to_string()], RING, settings.topics.clone());
    let mut batch = Vec::with_capacity(RECORD_DRAIN_BATCHES);
    let mut n = 0u64;
    let mut records = Vec::with_capacity(1024);
    let mut raw = 0u64;
    while rx.recv_many(&mut batch, RECORD_DRAIN_BATCHES).await > 0 {
        for ev in batch.drain(..) {
            if let TailEvent::Records(rs) = ev {
                n += rs.len() as u64;
                raw += rs.iter().filter(|a| a.glance.has_error).count() as u64;
                records.extend(rs);
            }
        }
        state.append(records.drain(..));
    }
    assert_eq!(raw, 0, "every Avro record decoded");
    reader.await.expect("join").expect("tail");
    (started.elapsed(), n)
}

fn fill(brokers: &str, topic: &str, n: u64) {
    fill_with(brokers, topic, n, |env| {
        let enc = encode(env);
        (enc.value, enc.headers)
    });
}

/// Fills `topic` with `n` events (unless it holds them already), each
/// written by `write` as a value and headers.
#[allow(clippy::type_complexity)]
fn fill_with(
    brokers: &str,
    topic: &str,
    n: u64,
    write: impl Fn(&Envelope) -> (Vec<u8>, Vec<(String, Vec<u8>)>),
) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("client");
    let have: i64 = (0..PARTITIONS)
        .filter_map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .ok()
        })
        .map(|(lo, hi)| hi - lo)
        .sum();
    if have == n as i64 {
        eprintln!("{topic}: {n} records already there");
        return;
    }
    assert!(
        have == 0,
        "{topic} has {have} records, expected 0 or {n}: delete it and rerun"
    );
    let out = Command::new("kcat")
        .args(["-b", brokers, "-L", "-t", topic])
        .output()
        .expect("kcat is needed: apt-get install -y kcat");
    let _ = out;
    // Create with PARTITIONS partitions through the Kafka tool-free path: an
    // admin request.
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .create()
            .expect("admin");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let _ = rt.block_on(admin.create_topics(
        &[rdkafka::admin::NewTopic::new(
            topic,
            PARTITIONS,
            rdkafka::admin::TopicReplication::Fixed(1),
        )],
        &rdkafka::admin::AdminOptions::new(),
    ));
    std::thread::sleep(Duration::from_secs(2));
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "50")
        .set("batch.size", "1000000")
        .set("compression.type", "zstd")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer");
    let started = Instant::now();
    for i in 0..n {
        let env = Envelope::new(
            ["debate", "testing", "performance"][(i % 3) as usize],
            ["DecisionMade", "TestRunCompleted", "MetricRecorded"][(i % 3) as usize],
            format!("agg-{}", i % 1000),
            policies::event_data(i),
        );
        let (value, written_headers) = write(&env);
        let mut headers = OwnedHeaders::new_with_capacity(written_headers.len());
        for (k, v) in &written_headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let key = env.aggregate_id.clone();
        let mut rec = BaseRecord::to(topic)
            .key(&key)
            .payload(&value)
            .headers(headers);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((_, r)) => {
                    rec = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    eprintln!(
        "{topic}: produced {n} envelopes in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

fn time_kcat(brokers: &str, topic: &str) -> Duration {
    time_kcat_with(brokers, topic, &[])
}

fn time_kcat_with(brokers: &str, topic: &str, extra: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new("kcat")
        .args([
            "-C",
            "-b",
            brokers,
            "-t",
            topic,
            "-e",
            "-q",
            "-o",
            "beginning",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .status()
        .expect("kcat");
    assert!(status.success());
    started.elapsed()
}

/// Our side: the same reader the console uses (one per topic, decoding off
/// the receiver's thread: `tail_map` with `Arrived::read_listed`, whose
/// mapping thread decodes while its polling thread reads, as
/// src/tui/runtime.rs starts it), into the same Streams state with its
/// bounded rings; `decode_and_append` false measures the reader alone,
/// undecoded.
async fn ours(settings: &Settings, topic: &str, decode_and_append: bool) -> (Duration, u64) {
    if !decode_and_append {
        return consume_only(settings, topic).await;
    }
    let started = Instant::now();
    // The console's channel and drain sizes (src/tui/runtime.rs).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<TailEvent<Arrived>>(RECORD_CHANNEL_BATCHES);
    let s = settings.clone();
    let topics = settings.topics.clone();
    let policies = settings.policies.clone();
    let opts = options(topic);
    // As the console's readers: the data policies (none but in the policies
    // round) before anything else sees a record, and no copy of a masked
    // record as read kept where writing it back can read it again.
    let reader = tokio::spawn(async move {
        tail_map(&s, opts, tx, move |r| {
            Arrived::read_listed(r, &topics, None, &policies)
        })
        .await
    });
    let mut state = StreamsState::new(&[topic.to_string()], RING, settings.topics.clone());
    let mut batch = Vec::with_capacity(RECORD_DRAIN_BATCHES);
    let mut n = 0u64;
    let mut records = Vec::with_capacity(1024);
    let mut busy = Duration::ZERO;
    while rx.recv_many(&mut batch, RECORD_DRAIN_BATCHES).await > 0 {
        for ev in batch.drain(..) {
            if let TailEvent::Records(rs) = ev {
                n += rs.len() as u64;
                records.extend(rs);
            }
        }
        let t = Instant::now();
        state.append(records.drain(..));
        busy += t.elapsed();
    }
    eprintln!(
        "  (append busy {:.2} s on the receiving task; decoding is on the reader's threads)",
        busy.as_secs_f64()
    );
    reader.await.expect("join").expect("tail");
    (started.elapsed(), n)
}

/// The reader alone: records counted as they arrive, not decoded.
async fn consume_only(settings: &Settings, topic: &str) -> (Duration, u64) {
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel(RECORD_CHANNEL_BATCHES);
    let s = settings.clone();
    let opts = options(topic);
    let reader = tokio::spawn(async move { tail(&s, opts, tx).await });
    let mut batch = Vec::with_capacity(RECORD_DRAIN_BATCHES);
    let mut n = 0u64;
    while rx.recv_many(&mut batch, RECORD_DRAIN_BATCHES).await > 0 {
        for ev in batch.drain(..) {
            if let TailEvent::Records(rs) = ev {
                n += rs.len() as u64;
            }
        }
    }
    reader.await.expect("join").expect("tail");
    (started.elapsed(), n)
}

/// The median of `runs` (sorted in place); `None` when there are none.
fn median(runs: &mut [Duration]) -> Option<Duration> {
    runs.sort();
    runs.get(runs.len() / 2).copied()
}

/// The CPU time (user and system) this process has used, from
/// `/proc/self/stat` (`None` where there is none).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis: utime and stime
    // are the 12th and 13th, in clock ticks (100 a second on Linux).
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let ticks: u64 = fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn options(topic: &str) -> TailOptions {
    TailOptions {
        topics: vec![topic.to_string()],
        start: StartAt::Beginning,
        count: None,
        exit_at_end: true,
    }
}

/// librdkafka's poll loop with the reader's settings (`kafka::consume`) and
/// nothing else: the floor under any reader built on rdkafka's safe API.
/// `headers`: each record's headers are read too (librdkafka parses them
/// only when asked, one allocation each), as the console must.
fn poll_loop(settings: &Settings, topic: &str, headers: bool) -> (Duration, u64) {
    use rdkafka::message::Headers as _;
    use rdkafka::{Message, Offset, TopicPartitionList};
    let started = Instant::now();
    let consumer: BaseConsumer =
        eventdeck::kafka::consume::assigning_config(settings, "bench-poll", true)
            .create()
            .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&tpl).expect("assign");
    let (mut n, mut eof, mut bytes) = (0u64, 0, 0usize);
    while eof < PARTITIONS {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                n += 1;
                if headers && let Some(hs) = m.headers() {
                    for h in hs.iter() {
                        bytes += h.key.len() + h.value.map_or(0, <[u8]>::len);
                    }
                }
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("poll: {e}"),
            None => {}
        }
    }
    std::hint::black_box(bytes);
    (started.elapsed(), n)
}
