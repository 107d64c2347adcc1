//! The demo's embedded broker: librdkafka's mock cluster, in-process, on loopback.
//!
//! It speaks the Kafka protocol for produce, fetch, metadata, consumer groups,
//! offset commits and the idempotent producer, but has no admin APIs
//! (CreateTopics, ListGroups, DescribeGroups, DescribeConfigs) and keeps only a
//! few MB per partition — fine for a demo, never a stand-in for Kafka in tests.
//! The mock cluster's handle is not `Send`, so it lives on a thread of its own
//! and is torn down when the [`EmbeddedBroker`] is dropped.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use rdkafka::mocking::MockCluster;

use super::caps::BrokerCaps;
use super::client::KafkaError;
use crate::config::Settings;

/// A running embedded broker.
pub struct EmbeddedBroker {
    bootstrap: String,
    stop: Option<std_mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// A topic to create at start: name and partition count.
pub type TopicSpec = (String, i32);

impl EmbeddedBroker {
    /// Starts a mock cluster of `brokers` brokers with these topics.
    pub fn start(brokers: i32, topics: &[TopicSpec]) -> Result<Self, KafkaError> {
        let topics = topics.to_vec();
        let (ready_tx, ready_rx) = std_mpsc::channel::<Result<String, String>>();
        let (stop_tx, stop_rx) = std_mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("embedded-broker".into())
            .spawn(move || {
                let cluster = match MockCluster::new(brokers) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let waker = Waker::start(&cluster.bootstrap_servers());
                for (name, partitions) in &topics {
                    if let Err(e) = cluster.create_topic(name, *partitions, 1) {
                        let _ = ready_tx.send(Err(format!("creating topic {name}: {e}")));
                        return;
                    }
                }
                drop(waker);
                let _ = ready_tx.send(Ok(cluster.bootstrap_servers()));
                // Park until told to stop (or the owner is gone); dropping the
                // cluster here closes its listeners.
                let _ = stop_rx.recv();
                drop(cluster);
            })
            .map_err(|e| KafkaError::Unreachable {
                brokers: "embedded".into(),
                reason: e.to_string(),
            })?;
        let bootstrap = ready_rx
            .recv()
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(|reason| KafkaError::Unreachable {
                brokers: "embedded".into(),
                reason,
            })?;
        Ok(Self {
            bootstrap,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The `bootstrap.servers` of the embedded cluster.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    /// What the mock cluster can do: no admin APIs (CreateTopics, ListGroups,
    /// DescribeGroups, DescribeConfigs…) and no time index (it answers
    /// offsets-for-times with "no offset" for every timestamp).
    pub fn caps(&self) -> BrokerCaps {
        BrokerCaps::EMBEDDED
    }

    /// Points `settings` at this broker: its addresses and its caps.
    pub fn connect(&self, settings: &mut Settings) {
        settings.brokers = self.bootstrap.clone();
        settings.caps = self.caps();
    }
}

/// Keeps the mock cluster's thread awake while it is sent commands. The
/// thread polls its sockets with a 1 s timeout and is meant to be woken when a
/// command is queued, but that wake-up is often lost: creating the demo's ten
/// topics then took 1 to 5 s instead of milliseconds. A connection to its
/// listener wakes the poll, after which the queued command is served.
struct Waker {
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often [`Waker`] connects.
const WAKE_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

impl Waker {
    fn start(bootstrap: &str) -> Self {
        use std::net::ToSocketAddrs;
        use std::sync::atomic::{AtomicBool, Ordering};
        let running = std::sync::Arc::new(AtomicBool::new(true));
        let addr = bootstrap
            .split(',')
            .next()
            .and_then(|a| a.to_socket_addrs().ok())
            .and_then(|mut a| a.next());
        let thread = addr.and_then(|addr| {
            let running = running.clone();
            std::thread::Builder::new()
                .name("embedded-waker".into())
                .spawn(move || {
                    while running.load(Ordering::SeqCst) {
                        let _ = std::net::TcpStream::connect_timeout(&addr, WAKE_EVERY);
                        std::thread::sleep(WAKE_EVERY);
                    }
                })
                .ok()
        });
        Self { running, thread }
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        self.running
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::Envelope;
    use crate::kafka::consume::{TailEvent, tail};
    use crate::kafka::{EventProducer, StartAt, TailOptions};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn produce_and_tail_round_trip_on_the_embedded_broker() {
        let broker = EmbeddedBroker::start(1, &[("t1".into(), 2)]).expect("mock cluster");
        let dir = tempfile::tempdir().expect("dir");
        let mut settings = Settings::for_tests(None, dir.path());
        broker.connect(&mut settings);
        let producer = EventProducer::new(&settings, Duration::from_secs(10)).expect("producer");
        let env = Envelope::new(
            "debate",
            "DecisionMade",
            "agg-1",
            serde_json::json!({"x": 1}),
        );
        let d = producer
            .send_envelope("t1", &env, None, &[])
            .await
            .expect("delivered");
        assert_eq!(d.offset, 0);

        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let opts = TailOptions {
            topics: vec!["t1".into()],
            start: StartAt::Beginning,
            count: Some(1),
            exit_at_end: false,
        };
        let reader = tokio::spawn({
            let settings = settings.clone();
            async move { tail(&settings, opts, tx).await }
        });
        let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a record within 10 s");
        let Some(TailEvent::Records(recs)) = got else {
            panic!("expected a record, got {got:?}");
        };
        let rec = &recs[0];
        assert_eq!(rec.decode().event_id(), Some(env.event_id.to_string()));
        reader.await.expect("join").expect("tail ok");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_time_range_is_read_by_timestamp_on_the_embedded_broker() {
        let broker = EmbeddedBroker::start(1, &[("r1".into(), 2)]).expect("mock cluster");
        let dir = tempfile::tempdir().expect("dir");
        let mut settings = Settings::for_tests(None, dir.path());
        broker.connect(&mut settings);
        assert_eq!(
            (settings.caps.admin_apis, settings.caps.time_index),
            (false, false),
            "the embedded broker has neither"
        );
        let producer = EventProducer::new(&settings, Duration::from_secs(10)).expect("producer");
        let send = |label: &'static str| {
            let producer = producer.clone();
            async move {
                producer
                    .send_raw("r1", None, Some(label.as_bytes()), &[])
                    .await
                    .expect("delivered");
            }
        };
        send("before").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let from = chrono::Utc::now();
        for _ in 0..3 {
            send("inside").await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let to = chrono::Utc::now();
        send("after").await;
        let s = settings.clone();
        let got = tokio::task::spawn_blocking(move || {
            crate::kafka::consume::read_time_range(&s, &["r1".to_string()], from, Some(to))
        })
        .await
        .expect("join")
        .expect("range");
        let values: Vec<&[u8]> = got.iter().filter_map(|r| r.value.as_deref()).collect();
        assert_eq!(values, [b"inside"; 3]);
    }
}
