//! `topics init`: creating what the configured bounded contexts need on a
//! cluster — every context topic and its dead-letter topic — idempotently,
//! through the read-only gate, with one audit line. The headless command, the
//! console's palette and `bridge --create-topics` all call [`init_topics`].

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, action};
use crate::config::Settings;
use crate::kafka::KafkaError;
use crate::kafka::admin::{self, NewTopicSpec};

/// Partitions of a topic `topics init` creates, unless told otherwise.
pub const DEFAULT_PARTITIONS: i32 = 3;
/// The largest replication factor chosen by default (fewer brokers: one per broker).
pub const DEFAULT_MAX_REPLICATION: i32 = 3;

/// What `topics init` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitRequest {
    /// Partitions per created topic.
    pub partitions: i32,
    /// Replicas per partition; `None`: min(3, brokers).
    pub replication_factor: Option<i32>,
    /// Only say what would be created.
    pub dry_run: bool,
}

impl Default for InitRequest {
    fn default() -> Self {
        Self {
            partitions: DEFAULT_PARTITIONS,
            replication_factor: None,
            dry_run: false,
        }
    }
}

/// What `topics init` did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitOutcome {
    /// Topics created (to be created, in a dry run).
    pub created: Vec<String>,
    /// Topics that were there already (left as they are).
    pub existing: Vec<String>,
    /// Topics whose creation failed, with why.
    pub failed: Vec<(String, String)>,
    /// Partitions and replication factor used for created topics.
    pub partitions: i32,
    /// Replication factor used.
    pub replication_factor: i32,
    /// Nothing was changed.
    pub dry_run: bool,
}

impl InitOutcome {
    /// One line per topic, for people.
    pub fn lines(&self) -> Vec<String> {
        let verb = if self.dry_run {
            "would create"
        } else {
            "created"
        };
        let mut out: Vec<String> = self
            .created
            .iter()
            .map(|t| {
                format!(
                    "{verb} {t} ({} partition(s), replication factor {})",
                    self.partitions, self.replication_factor
                )
            })
            .collect();
        out.extend(self.existing.iter().map(|t| format!("exists  {t}")));
        out.extend(self.failed.iter().map(|(t, e)| format!("FAILED  {t}: {e}")));
        out
    }

    /// The one-line summary.
    pub fn summary(&self) -> String {
        let verb = if self.dry_run {
            "would create"
        } else {
            "created"
        };
        let mut s = format!(
            "{verb} {} topic(s), {} already existed",
            self.created.len(),
            self.existing.len()
        );
        if !self.failed.is_empty() {
            s.push_str(&format!(", {} failed", self.failed.len()));
        }
        s
    }
}

/// The topics the configuration names: each context's topic, then its DLQ.
pub fn wanted_topics(settings: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    for t in settings.topics.topics() {
        out.push(t.to_string());
        out.push(settings.topics.dlq_topic(t));
    }
    out.sort();
    out.dedup();
    out
}

/// Creates every configured context topic and its DLQ that does not exist.
/// A dry run reads only (and is allowed read-only); otherwise the read-only
/// gate applies first and the outcome is audited, failures included.
pub async fn init_topics(
    settings: &Settings,
    source: audit::Source,
    req: &InitRequest,
) -> Result<InitOutcome, color_eyre::eyre::Report> {
    if !req.dry_run {
        audit::authorize(settings, action::TOPICS_INIT)?;
    }
    if req.partitions < 1 {
        return Err(KafkaError::Invalid("--partitions must be at least 1".into()).into());
    }
    let wanted = wanted_topics(settings);
    let present = admin::list_topics(settings, false).await?;
    let brokers = admin::broker_count(settings).await?;
    let replication_factor = req
        .replication_factor
        .unwrap_or_else(|| brokers.clamp(1, DEFAULT_MAX_REPLICATION));
    let (existing, missing): (Vec<String>, Vec<String>) = wanted
        .into_iter()
        .partition(|t| present.iter().any(|p| &p.name == t));
    let mut outcome = InitOutcome {
        created: Vec::new(),
        existing,
        failed: Vec::new(),
        partitions: req.partitions,
        replication_factor,
        dry_run: req.dry_run,
    };
    if req.dry_run {
        outcome.created = missing;
        return Ok(outcome);
    }
    for topic in missing {
        let spec = NewTopicSpec {
            name: topic.clone(),
            partitions: req.partitions,
            replication_factor,
            configs: Vec::new(),
        };
        match admin::create_topic(settings, &spec).await {
            Ok(()) => outcome.created.push(topic),
            // Another client created it meanwhile: it exists, which is the goal.
            Err(e) if e.to_string().contains("(it already exists)") => outcome.existing.push(topic),
            Err(e) => outcome.failed.push((topic, e.to_string())),
        }
    }
    outcome.existing.sort();
    let audited = json!({
        "partitions": outcome.partitions,
        "replication_factor": outcome.replication_factor,
        "created": outcome.created,
        "existing": outcome.existing,
    });
    let result = if outcome.failed.is_empty() {
        json!("ok")
    } else {
        json!({ "error": outcome.failed.iter().map(|(t, e)| format!("{t}: {e}")).collect::<Vec<_>>() })
    };
    audit::record(settings, source, action::TOPICS_INIT, audited, result)?;
    Ok(outcome)
}
