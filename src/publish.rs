//! The seam between whoever wants an event published (the console's inject form,
//! the demo scenario, `eventdeck inject`) and whatever publishes it: straight to a
//! topic ([`DirectPublisher`]) or through the bridge, so local handlers and
//! reactions run too.

use std::future::Future;
use std::pin::Pin;

use crate::domain::Envelope;
use crate::kafka::{Delivery, EventProducer, KafkaError};

/// The outcome of a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Kafka acknowledged it here.
    Delivered(Delivery),
    /// Kafka is unreachable; the event waits in the bridge's durable outbox.
    Queued {
        /// Events in the outbox, this one included.
        outbox_depth: u64,
    },
}

/// Why a publish failed. Worded for the person reading it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PublishError(pub String);

impl From<KafkaError> for PublishError {
    fn from(e: KafkaError) -> Self {
        Self(e.to_string())
    }
}

/// What a publish call returns.
pub type PublishFuture = Pin<Box<dyn Future<Output = Result<Published, PublishError>> + Send>>;

/// One event to publish.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// Target topic.
    pub topic: String,
    /// The event.
    pub envelope: Envelope,
    /// Record key; `None` means the aggregate id.
    pub key: Option<String>,
    /// Extra headers besides the mirrored metadata.
    pub headers: Vec<(String, String)>,
}

/// Something that publishes events.
pub trait Publisher: Send + Sync {
    /// Publishes one event.
    fn publish(&self, req: PublishRequest) -> PublishFuture;
    /// A short name for the UI ("bridge", "direct").
    fn name(&self) -> &'static str;
}

/// Publishes straight to Kafka with an [`EventProducer`]: no local handlers.
#[derive(Clone)]
pub struct DirectPublisher {
    producer: EventProducer,
}

impl DirectPublisher {
    /// Wraps a producer.
    pub fn new(producer: EventProducer) -> Self {
        Self { producer }
    }
}

impl Publisher for DirectPublisher {
    fn publish(&self, req: PublishRequest) -> PublishFuture {
        let producer = self.producer.clone();
        Box::pin(async move {
            let d = producer
                .send_envelope(&req.topic, &req.envelope, req.key.as_deref(), &req.headers)
                .await?;
            Ok(Published::Delivered(d))
        })
    }
    fn name(&self) -> &'static str {
        "direct"
    }
}
