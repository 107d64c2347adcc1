//! Topic changes: create, delete, set or remove config overrides, add
//! partitions, empty. Each passes the gate, runs, and leaves one audit line.

use serde_json::json;

use super::{MutationError, audited, confirm};
use crate::audit::{self, Source, action};
use crate::config::Settings;
use crate::kafka::admin::{self, ConfigValue, EmptiedPartition, NewTopicSpec};

/// Creates a topic. Audit params: topic, partitions, replication factor and
/// configs as `[name, value]` pairs, in the order given.
pub async fn create(
    settings: &Settings,
    source: Source,
    spec: &NewTopicSpec,
) -> Result<(), MutationError> {
    audit::authorize(settings, action::TOPIC_CREATE)?;
    let params = json!({
        "topic": spec.name, "partitions": spec.partitions,
        "replication_factor": spec.replication_factor, "configs": spec.configs,
    });
    let res = admin::create_topic(settings, spec).await;
    audited(settings, source, action::TOPIC_CREATE, params, res, |_| {
        "ok".into()
    })
}

/// Deletes a topic; destructive, so only when `confirmed`.
pub async fn delete(
    settings: &Settings,
    source: Source,
    topic: &str,
    confirmed: bool,
) -> Result<(), MutationError> {
    audit::authorize(settings, action::TOPIC_DELETE)?;
    confirm(confirmed, format!("deleting topic '{topic}'"))?;
    let res = admin::delete_topic(settings, topic).await;
    let params = json!({ "topic": topic });
    audited(settings, source, action::TOPIC_DELETE, params, res, |_| {
        "ok".into()
    })
}

/// Sets (`set`, `[name, value]` pairs) and removes (`delete`) config overrides
/// of a topic; returns its overrides afterwards. Audit params: topic, set as
/// pairs, delete as names.
pub async fn set_configs(
    settings: &Settings,
    source: Source,
    topic: &str,
    set: &[(String, String)],
    delete: &[String],
) -> Result<Vec<ConfigValue>, MutationError> {
    audit::authorize(settings, action::TOPIC_CONFIG)?;
    let res = admin::alter_topic_configs(settings, topic, set, delete).await;
    let params = json!({ "topic": topic, "set": set, "delete": delete });
    audited(settings, source, action::TOPIC_CONFIG, params, res, |_| {
        "ok".into()
    })
}

/// Grows a topic to `total` partitions; returns the count before. Audit
/// outcome: `{before, after}`.
pub async fn add_partitions(
    settings: &Settings,
    source: Source,
    topic: &str,
    total: usize,
) -> Result<usize, MutationError> {
    audit::authorize(settings, action::TOPIC_ADD_PARTITIONS)?;
    let res = admin::add_partitions(settings, topic, total).await;
    let params = json!({ "topic": topic, "count": total });
    audited(
        settings,
        source,
        action::TOPIC_ADD_PARTITIONS,
        params,
        res,
        |before| json!({ "before": before, "after": total }),
    )
}

/// Deletes every record of a topic (DeleteRecords up to the log end);
/// destructive, so only when `confirmed`. Audit outcome: `{deleted}`.
pub async fn empty(
    settings: &Settings,
    source: Source,
    topic: &str,
    confirmed: bool,
) -> Result<Vec<EmptiedPartition>, MutationError> {
    audit::authorize(settings, action::TOPIC_EMPTY)?;
    confirm(
        confirmed,
        format!("deleting every record of topic '{topic}'"),
    )?;
    let res = admin::empty_topic(settings, topic).await;
    let params = json!({ "topic": topic });
    audited(
        settings,
        source,
        action::TOPIC_EMPTY,
        params,
        res,
        |parts| json!({ "deleted": parts.iter().map(|p| p.deleted).sum::<i64>() }),
    )
}
