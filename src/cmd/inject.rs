//! `eventdeck inject`: build an envelope from flags, publish it, print where it landed.

use color_eyre::eyre::{Result, eyre};
use uuid::Uuid;

use super::outln;
use crate::cli::InjectArgs;
use crate::config::Settings;
use crate::domain::Envelope;
use crate::domain::schema::WriteSchema;
use crate::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use crate::kafka::{EventProducer, check_reachable};
use crate::publish::{self, DirectPublisher, PublishRequest, Published};
use crate::schema_registry::RegistryClient;

/// A validated request to inject one event.
#[derive(Debug, Clone)]
pub struct InjectRequest {
    /// Target topic.
    pub topic: String,
    /// The envelope to send.
    pub envelope: Envelope,
    /// Record key override.
    pub key: Option<String>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

/// Checks the flags and builds the envelope; no I/O. Every error is one clear line.
pub fn build_request(settings: &Settings, args: &InjectArgs) -> Result<InjectRequest> {
    let data: serde_json::Value =
        serde_json::from_str(&args.data).map_err(|e| eyre!("--data is not valid JSON: {e}"))?;
    let (context, topic) = match (&args.context, &args.topic) {
        (Some(ctx), Some(topic)) => (ctx.clone(), topic.clone()),
        (Some(ctx), None) => {
            let topic = settings.topics.topic_for(ctx).ok_or_else(|| {
                eyre!(
                    "unknown context '{ctx}' (known: {}); use --topic to write to any topic",
                    settings.topics.contexts().collect::<Vec<_>>().join(", ")
                )
            })?;
            (ctx.clone(), topic.to_string())
        }
        (None, Some(topic)) => (
            settings
                .topics
                .context_for_topic(topic)
                .unwrap_or(topic)
                .to_string(),
            topic.clone(),
        ),
        (None, None) => {
            return Err(eyre!(
                "say where the event goes: --context CTX or --topic T"
            ));
        }
    };
    let parse_id = |flag: &str, v: &str| {
        Uuid::parse_str(v).map_err(|e| eyre!("{flag} '{v}' is not a UUID: {e}"))
    };
    let aggregate_id = args
        .aggregate_id
        .clone()
        .or_else(|| args.key.clone())
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let event_type = args.event_type.clone().unwrap_or_default();
    let mut envelope = Envelope::new(context, event_type.clone(), aggregate_id, data)
        .with_schema_version(args.schema_version);
    if let Some(c) = &args.correlation_id {
        envelope = envelope.with_correlation_id(parse_id("--correlation-id", c)?);
    }
    if let Some(c) = &args.causation_id {
        envelope.causation_id = Some(parse_id("--causation-id", c)?);
    }
    if event_type.trim().is_empty() {
        return Err(eyre!("--type must not be empty"));
    }
    let headers = args
        .headers
        .iter()
        .map(|h| {
            h.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| eyre!("--header expects key=value, got '{h}'"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(InjectRequest {
        topic,
        envelope,
        key: args.key.clone(),
        headers,
    })
}

/// Runs `eventdeck inject`.
pub async fn run(settings: &Settings, args: &InjectArgs) -> Result<()> {
    // The gate before any I/O, so a read-only session fails fast; `publish::inject`
    // passes it again, as every inject does.
    crate::audit::authorize(settings, crate::audit::action::INJECT)?;
    if let Some(file) = &args.transactional {
        return run_transactional(settings, args, file).await;
    }
    let req = build_request(settings, args)?;
    // A quick metadata round-trip first, so an unreachable cluster or a denied topic
    // is reported in seconds rather than after the delivery timeout.
    // Written with a registry schema: fetched and checked before Kafka is
    // asked anything, so a value that does not fit fails with every reason.
    let written = match &args.schema {
        Some(spec) => Some(schema_value(settings, spec, &req.envelope).await?),
        None => None,
    };
    check_reachable(settings, Some(&req.topic)).await?;
    let producer = EventProducer::new(settings, DEFAULT_DELIVERY_TIMEOUT)?;
    let publisher = DirectPublisher::new(producer);
    let published = publish::inject(
        settings,
        crate::audit::Source::Headless,
        &publisher,
        PublishRequest {
            topic: req.topic.clone(),
            envelope: req.envelope.clone(),
            key: req.key.clone(),
            headers: req.headers.clone(),
            value: written.as_ref().map(|(_, bytes)| bytes.clone()),
        },
    )
    .await?;
    let Published::Delivered(delivery) = published else {
        return Err(eyre!("the event was queued instead of delivered"));
    };
    if args.json {
        let mut out = serde_json::json!({
            "event_id": req.envelope.event_id,
            "correlation_id": req.envelope.correlation_id,
            "topic": delivery.topic,
            "partition": delivery.partition,
            "offset": delivery.offset,
        });
        if let Some((schema, _)) = &written {
            out["schema"] = serde_json::json!({
                "subject": schema.subject,
                "version": schema.version,
                "id": schema.id,
                "format": schema.schema.reference.format,
            });
        }
        outln!("{out}")?;
    } else {
        let schema = written
            .as_ref()
            .map(|(s, _)| format!(" schema={}", s.label()))
            .unwrap_or_default();
        outln!(
            "event_id={} topic={} partition={} offset={}{schema}",
            req.envelope.event_id,
            delivery.topic,
            delivery.partition,
            delivery.offset
        )?;
    }
    Ok(())
}

/// The schema `spec` names and the event's value written with it, framed;
/// an error listing every way the value does not fit.
async fn schema_value(
    settings: &Settings,
    spec: &str,
    envelope: &crate::domain::Envelope,
) -> Result<(WriteSchema, Vec<u8>)> {
    let client = RegistryClient::new(&settings.schema_registry)
        .map_err(|e| eyre!("schema registry: {e}"))?
        .ok_or_else(|| {
            eyre!("--schema needs a schema registry: --schema-registry URL or SCHEMA_REGISTRY_URL")
        })?;
    let spec = spec.to_string();
    let schema = tokio::task::spawn_blocking(move || client.write_schema(&spec))
        .await
        .map_err(|e| eyre!("fetching the schema: {e}"))?
        .map_err(|e| eyre!("--schema: {e}"))?;
    let bytes = schema.encode_event(envelope).map_err(|problems| {
        // One line (errors are printed on one): the problems joined by `; `.
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        eyre!(
            "the event does not fit {}: {}",
            schema.label(),
            all.join("; ")
        )
    })?;
    Ok((schema, bytes))
}

/// `inject --transactional FILE.jsonl`: every line's envelope, or none, in one
/// Kafka transaction.
async fn run_transactional(
    settings: &Settings,
    args: &InjectArgs,
    file: &std::path::Path,
) -> Result<()> {
    let text =
        std::fs::read_to_string(file).map_err(|e| eyre!("cannot read {}: {e}", file.display()))?;
    let requests = publish::parse_jsonl(settings, &text, args.topic.as_deref())
        .map_err(|e| eyre!("{}: {e}; nothing was published", file.display()))?;
    check_reachable(settings, None).await?;
    let done =
        publish::inject_transactional(settings, crate::audit::Source::Headless, requests).await?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "transactional_id": done.transactional_id,
                "committed": done.event_ids.len(),
                "event_ids": done.event_ids,
            })
        )?;
    } else {
        for id in &done.event_ids {
            outln!("event_id={id}")?;
        }
        outln!(
            "committed {} events in one transaction ({})",
            done.event_ids.len(),
            done.transactional_id
        )?;
    }
    Ok(())
}
