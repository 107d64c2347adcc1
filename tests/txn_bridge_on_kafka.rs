//! The exactly-once bridge on real Apache Kafka when a transaction cannot
//! commit:
//! - fenced: another producer that starts with the bridge's
//!   `transactional.id` takes it over; the bridge's next transaction is
//!   refused as fenced, and the bridge stops and says why instead of
//!   retrying (two writers with one id would both write);
//! - the ids it names are the ones `kafka-transactions list` shows;
//! - refused: an effect Kafka refuses however often it is sent aborts its
//!   batch again and again; the bridge narrows down to the record, sends
//!   it to the dead-letter topic with its offset, and goes on.

mod support;

use std::time::Duration;

use eventdeck::bridge::{self, BridgeConfig};
use eventdeck::bus::{Bus, Emit, Filter, handler_fn};
use eventdeck::domain::Envelope;
use eventdeck::kafka::txn::{TxnError, TxnProducer};
use eventdeck::publish::PublishRequest;
use serde_json::json;
use support::bridge::{read_committed, settings, tag};
use support::{Sandbox, create_topic};

fn cause(n: u64) -> PublishRequest {
    PublishRequest {
        topic: String::new(),
        envelope: Envelope::new(
            "performance",
            "MetricRecorded",
            format!("svc-{n}"),
            json!({"n": n}),
        ),
        key: None,
        headers: vec![],
        value: None,
    }
}

/// The causes' (`performance`) and the effects' (`evolution`) topics of
/// `s`, created with one partition each.
async fn cause_and_effect_topics(s: &eventdeck::config::Settings) -> (String, String) {
    let (causes, effects) = (
        s.topics.resolve("performance"),
        s.topics.resolve("evolution"),
    );
    create_topic(&causes, 1).await;
    create_topic(&effects, 1).await;
    (causes, effects)
}

/// Bridge A, which publishes causes (it reads nothing), and bridge B, which
/// reacts to each `performance` cause with an `evolution` effect whose data
/// `effect_data` makes, exactly once (group `GROUP-…`).
async fn bridges(
    sandbox: &Sandbox,
    s: &eventdeck::config::Settings,
    group: &str,
    effect_data: fn(&Envelope) -> serde_json::Value,
) -> (bridge::BridgeHandle, bridge::BridgeHandle) {
    let reacting = Bus::new(1_000);
    reacting.subscribe(handler_fn(
        "react",
        Filter::any().context("performance"),
        move |env, ctx| async move {
            let effect = Envelope::caused_by(
                &env,
                "evolution",
                "ImprovementTriggered",
                env.aggregate_id.clone(),
                effect_data(&env),
            );
            Ok(vec![Emit::effect_of(&env, effect, &ctx)])
        },
    ));
    let mut cfg_b = BridgeConfig::new(s);
    cfg_b.outbox_dir = sandbox.dir.path().join("b");
    cfg_b.contexts = vec!["performance".into()];
    cfg_b.consumer_group = format!("{group}-{}", tag());
    cfg_b.exactly_once = true;
    let b = bridge::start(s, cfg_b, reacting).await.expect("bridge b");
    let mut cfg_a = BridgeConfig::new(s);
    cfg_a.outbox_dir = sandbox.dir.path().join("a");
    cfg_a.consume = false;
    let a = bridge::start(s, cfg_a, Bus::new(1_000))
        .await
        .expect("bridge a");
    (a, b)
}

/// The `transactional.id`s the bridge names (its startup line,
/// `BridgeHandle::transactional_ids`) are the ones Kafka's own
/// `kafka-transactions list` shows, both in use once a cause went through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transactional_ids_the_bridge_names_are_the_ones_kafka_lists() {
    let sandbox = Sandbox::new();
    let s = settings(sandbox.dir.path(), &tag());
    let (causes, effects) = cause_and_effect_topics(&s).await;
    let (a, b) = bridges(&sandbox, &s, "ids", |_| json!({})).await;
    let mut req = cause(1);
    req.topic = causes;
    a.publisher().publish(req).await.expect("cause 1");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while read_committed(&effects).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the effect was never committed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let listed =
        tokio::task::spawn_blocking(|| support::admin::kafka_tool("transactions", &["list"]))
            .await
            .unwrap();
    for id in b.transactional_ids() {
        assert!(
            listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(id.as_str())),
            "{id} not in kafka-transactions list:\n{listed}"
        );
    }
    let _ = a.shutdown().await;
    let _ = b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exactly_once_bridge_fenced_by_a_newer_producer_stops_and_says_so() {
    let sandbox = Sandbox::new();
    let s = settings(sandbox.dir.path(), &tag());
    let (causes, effects) = cause_and_effect_topics(&s).await;

    // B reacts to each cause with an effect, exactly once.
    let (a, b) = bridges(&sandbox, &s, "fenced", |_| json!({})).await;
    let publish = |n: u64| {
        let mut req = cause(n);
        req.topic = causes.clone();
        a.publisher().publish(req)
    };

    // One cause through, committed with its effect.
    publish(1).await.expect("cause 1");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while read_committed(&effects).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first effect was never committed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(b.failure().borrow().is_none(), "running");

    // Newer producers with B's transactional.ids fence B (its transactions
    // take turns on two producers; a newer instance starts both).
    let ids = b.transactional_ids();
    let (s2, fencing) = (s.clone(), ids.clone());
    let newer = tokio::task::spawn_blocking(move || {
        fencing.map(|id| TxnProducer::new(&s2, &id, Duration::from_secs(20)))
    })
    .await
    .unwrap()
    .map(|p| p.expect("the newer producer starts"));
    publish(2).await.expect("cause 2");
    let mut failure = b.failure();
    let said = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(why) = failure.borrow_and_update().clone() {
                return why;
            }
            failure
                .changed()
                .await
                .expect("the bridge's failure channel");
        }
    })
    .await
    .expect("the fenced bridge stops within a minute");
    assert!(
        said.starts_with("fenced: another producer started with transactional.id"),
        "{said}"
    );
    assert!(ids.iter().any(|id| said.contains(id.as_str())), "{said}");
    // Its second effect was not committed: B stopped instead of writing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        read_committed(&effects).len(),
        1,
        "nothing committed after the fence"
    );
    // The newer producers write on.
    let topic = effects.clone();
    let wrote = tokio::task::spawn_blocking(move || {
        let rec = eventdeck::kafka::RawRecord {
            topic: &topic,
            key: Some(b"k"),
            value: Some(b"{}"),
            headers: &[],
        };
        newer.map(|p| p.write(&[rec], &[], None))
    })
    .await
    .unwrap();
    for w in wrote {
        assert!(!matches!(w, Err(TxnError::Fenced { .. })), "{w:?}");
        w.expect("the newer producer commits");
    }
    let _ = a.shutdown().await;
    let _ = b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_effect_kafka_always_refuses_sends_its_cause_to_the_dlq_and_the_rest_goes_through() {
    let sandbox = Sandbox::new();
    let s = settings(sandbox.dir.path(), &tag());
    let (causes, effects) = cause_and_effect_topics(&s).await;
    let dlq = s.topics.dlq_topic(&causes);
    create_topic(&dlq, 1).await;

    // Each cause gets an effect; cause 3's is 2 MB, over the producer's
    // 1 MB message.max.bytes: Kafka refuses it every time.
    let (a, b) = bridges(&sandbox, &s, "refused", |env| {
        if env.data["n"] == 3 {
            json!({"pad": "x".repeat(2 << 20)})
        } else {
            json!({})
        }
    })
    .await;
    // Five causes, written before the bridge reads, so the first batch
    // holds them all (and the refused effect aborts all five).
    let mut ids = Vec::new();
    for n in 1..=5 {
        let mut req = cause(n);
        req.topic = causes.clone();
        ids.push(req.envelope.event_id.to_string());
        a.publisher().publish(req).await.expect("cause");
    }

    // The four other causes' effects are committed, each once; cause 3 is
    // dead-lettered, with why.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let (committed, letters) = loop {
        let committed = read_committed(&effects);
        let letters = read_committed(&dlq);
        if committed.len() >= 4 && !letters.is_empty() {
            break (committed, letters);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 120 s: {} effects, {} dead letters",
            committed.len(),
            letters.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let mut causes_of: Vec<String> = committed
        .iter()
        .map(|r| {
            r.value["causation_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    causes_of.sort();
    let mut want: Vec<String> = [0, 1, 3, 4].iter().map(|&i| ids[i].clone()).collect();
    want.sort();
    assert_eq!(causes_of, want, "one effect for each cause but the third");
    assert_eq!(letters.len(), 1, "one dead letter: {letters:?}");
    let letter = &letters[0];
    assert_eq!(letter.value["event_id"], ids[2].as_str(), "the third cause");
    assert_eq!(
        letter
            .headers
            .get("eventdeck.dlq.error.kind")
            .map(String::as_str),
        Some(eventdeck::bridge::exactly_once::REFUSED_KIND)
    );
    let message = letter
        .headers
        .get("eventdeck.dlq.error.message")
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains(&effects) && message.to_lowercase().contains("too large"),
        "{message}"
    );
    // It went on: a sixth cause after the dead letter gets its effect.
    let mut req = cause(6);
    req.topic = causes.clone();
    let sixth = req.envelope.event_id.to_string();
    a.publisher().publish(req).await.expect("cause 6");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !read_committed(&effects)
        .iter()
        .any(|r| r.value["causation_id"] == sixth.as_str())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the cause after the dead letter got no effect"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(b.failure().borrow().is_none(), "still running");
    let _ = a.shutdown().await;
    let _ = b.shutdown().await;
}
