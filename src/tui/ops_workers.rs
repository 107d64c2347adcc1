//! The worker behind the Topics, Groups and Audit panes: each [`OpsRequest`] runs
//! on its own task (admin calls are async or `spawn_blocking` in `kafka::admin`),
//! and its [`OpsReply`] comes back over the worker channel. Mutations run
//! through the same functions as the headless `topics`/`groups` commands
//! ([`crate::mutate`]): the gate, the action and one audit line each.

use tokio::sync::mpsc;

use super::event::WorkerMsg;
use crate::audit::{self, AuditEntry, Source, action};
use crate::config::Settings;
use crate::kafka::admin::{
    self, ConfigValue, GroupDetail, GroupSummary, NewTopicSpec, TopicDetail,
};
use crate::kafka::client::KafkaError;
use crate::mutate::groups::ResetRequest;
use crate::ops::{ResetPlan, ResetScope, ResetSpec};

/// An admin request from the console.
#[derive(Debug, Clone, PartialEq)]
pub enum OpsRequest {
    /// Every topic with partitions and watermarks.
    ListTopics,
    /// One topic: partitions and configs.
    DescribeTopic(String),
    /// Create a topic.
    CreateTopic(NewTopicSpec),
    /// Create every configured context topic and its DLQ that is missing.
    InitTopics,
    /// Delete a topic.
    DeleteTopic(String),
    /// Delete every record of a topic.
    EmptyTopic(String),
    /// Grow a topic to `total` partitions.
    AddPartitions {
        /// The topic.
        topic: String,
        /// The new partition count.
        total: usize,
    },
    /// Set (`Some`) or remove (`None`) a topic config override.
    SetConfig {
        /// The topic.
        topic: String,
        /// Config name.
        key: String,
        /// New value; `None` removes the override.
        value: Option<String>,
    },
    /// Every consumer group.
    ListGroups,
    /// One group: members, assignments, offsets.
    DescribeGroup(String),
    /// Compute a reset plan (a dry run: nothing is committed).
    PlanReset {
        /// The group.
        group: String,
        /// Where to.
        spec: ResetSpec,
        /// Which partitions.
        scope: ResetScope,
    },
    /// Commit a plan's offsets.
    ExecuteReset(ResetPlan),
    /// Delete a consumer group.
    DeleteGroup(String),
    /// Read the audit log.
    ReadAudit,
}

impl OpsRequest {
    /// The audit action name of a mutating request; `None` for reads.
    pub fn mutation(&self) -> Option<&'static str> {
        Some(match self {
            OpsRequest::CreateTopic(_) => action::TOPIC_CREATE,
            OpsRequest::InitTopics => action::TOPICS_INIT,
            OpsRequest::DeleteTopic(_) => action::TOPIC_DELETE,
            OpsRequest::EmptyTopic(_) => action::TOPIC_EMPTY,
            OpsRequest::AddPartitions { .. } => action::TOPIC_ADD_PARTITIONS,
            OpsRequest::SetConfig { .. } => action::TOPIC_CONFIG,
            OpsRequest::ExecuteReset(_) => action::GROUP_RESET_OFFSETS,
            OpsRequest::DeleteGroup(_) => action::GROUP_DELETE,
            _ => return None,
        })
    }
}

/// A topic as the describe view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicView {
    /// Partitions and watermarks.
    pub detail: TopicDetail,
    /// Its configs, or why they could not be read.
    pub configs: Result<Vec<ConfigValue>, NoConfigs>,
}

/// Why a topic's configs are not shown.
#[derive(Debug, Clone, PartialEq)]
pub enum NoConfigs {
    /// The broker has no DescribeConfigs (the demo's embedded broker).
    Unsupported,
    /// Reading them failed.
    Failed(String),
}

/// What a request produced.
#[derive(Debug, Clone)]
pub enum OpsReply {
    /// The topic list.
    Topics(Result<Vec<TopicDetail>, String>),
    /// One topic, for the describe view.
    Topic {
        /// The topic asked for (a reply for another one is stale).
        name: String,
        /// What was found.
        result: Result<Box<TopicView>, String>,
    },
    /// The group list.
    Groups(Result<Vec<GroupSummary>, String>),
    /// One group, for the describe view.
    Group {
        /// The group asked for.
        name: String,
        /// What was found.
        result: Result<Box<GroupDetail>, String>,
    },
    /// A reset plan to preview.
    Plan(Result<ResetPlan, String>),
    /// A mutation finished (its audit line is written), or was refused.
    Done {
        /// The audit action name.
        action: &'static str,
        /// What the user reads: what was done, or why not.
        result: Result<String, String>,
    },
    /// The audit log, oldest first as stored.
    Audit(Result<Vec<AuditEntry>, String>),
}

/// Runs one request and sends its reply.
pub async fn run(settings: Settings, req: OpsRequest, tx: mpsc::Sender<WorkerMsg>) {
    let reply = answer(&settings, req).await;
    let _ = tx.send(WorkerMsg::Ops(Box::new(reply))).await;
}

fn text(e: KafkaError) -> String {
    e.to_string()
}

/// The reply to one request. A broker without admin APIs (its caps in
/// `settings`) is not asked for them: those requests fail at once with
/// [`KafkaError::Unsupported`].
pub async fn answer(settings: &Settings, req: OpsRequest) -> OpsReply {
    match req {
        OpsRequest::ListTopics => {
            OpsReply::Topics(admin::list_topics(settings, false).await.map_err(text))
        }
        OpsRequest::DescribeTopic(name) => {
            let result = match admin::describe_topic(settings, &name).await {
                Ok(detail) => {
                    let configs =
                        admin::topic_configs(settings, &name)
                            .await
                            .map_err(|e| match e {
                                KafkaError::Unsupported { .. } => NoConfigs::Unsupported,
                                e => NoConfigs::Failed(text(e)),
                            });
                    Ok(Box::new(TopicView { detail, configs }))
                }
                Err(e) => Err(text(e)),
            };
            OpsReply::Topic { name, result }
        }
        OpsRequest::ListGroups => {
            OpsReply::Groups(admin::list_consumer_groups(settings).await.map_err(text))
        }
        OpsRequest::DescribeGroup(name) => {
            let result = admin::describe_consumer_group(settings, &name)
                .await
                .map(Box::new)
                .map_err(text);
            OpsReply::Group { name, result }
        }
        OpsRequest::PlanReset { group, spec, scope } => OpsReply::Plan(
            crate::mutate::groups::plan_reset(settings, &ResetRequest { group, spec, scope })
                .await
                .map_err(text),
        ),
        OpsRequest::ReadAudit => OpsReply::Audit(audit::read(settings).map_err(|e| e.to_string())),
        // Gate and audit line are init_topics' own, as for the headless command.
        OpsRequest::InitTopics => OpsReply::Done {
            action: action::TOPICS_INIT,
            result: crate::provision::init_topics(settings, Source::Console, &Default::default())
                .await
                .map_err(|e| e.to_string())
                .and_then(|done| {
                    if done.failed.is_empty() {
                        Ok(done.summary())
                    } else {
                        Err(done.lines().join("; "))
                    }
                }),
        },
        mutation => {
            let Some(name) = mutation.mutation() else {
                return OpsReply::Done {
                    action: "",
                    result: Err("not a mutation".into()),
                };
            };
            OpsReply::Done {
                action: name,
                result: mutate(settings, mutation).await,
            }
        }
    }
}

/// Runs a mutation through its one function in [`crate::mutate`] (gate,
/// action, audit line, as for the headless command), and words the result.
/// Requests reach here confirmed: the console asked in a dialog first.
async fn mutate(settings: &Settings, req: OpsRequest) -> Result<String, String> {
    use crate::mutate::{groups, topics};
    const BY: Source = Source::Console;
    let done = match req {
        OpsRequest::CreateTopic(spec) => topics::create(settings, BY, &spec).await.map(|()| {
            format!(
                "created topic {} ({} partition(s), RF {})",
                spec.name, spec.partitions, spec.replication_factor
            )
        }),
        OpsRequest::DeleteTopic(topic) => topics::delete(settings, BY, &topic, true)
            .await
            .map(|()| format!("deleted topic {topic}")),
        OpsRequest::EmptyTopic(topic) => {
            topics::empty(settings, BY, &topic, true)
                .await
                .map(|parts| {
                    let n: i64 = parts.iter().map(|p| p.deleted).sum();
                    format!("emptied topic {topic}: {n} record(s) deleted")
                })
        }
        OpsRequest::AddPartitions { topic, total } => {
            topics::add_partitions(settings, BY, &topic, total)
                .await
                .map(|before| format!("topic {topic}: {before} → {total} partitions"))
        }
        OpsRequest::SetConfig { topic, key, value } => {
            let (set, delete) = match &value {
                Some(v) => (vec![(key.clone(), v.clone())], Vec::new()),
                None => (Vec::new(), vec![key.clone()]),
            };
            topics::set_configs(settings, BY, &topic, &set, &delete)
                .await
                .map(|_| match &value {
                    Some(v) => format!("topic {topic}: {key}={v}"),
                    None => format!("topic {topic}: {key} override removed"),
                })
        }
        OpsRequest::ExecuteReset(plan) => {
            groups::reset_offsets(settings, BY, &plan)
                .await
                .map(|after| {
                    format!(
                        "group {}: offsets reset on {} partition(s)",
                        plan.group,
                        after.len()
                    )
                })
        }
        OpsRequest::DeleteGroup(group) => groups::delete(settings, BY, &group, true)
            .await
            .map(|()| format!("deleted consumer group {group}")),
        _ => return Err("not a mutation".into()),
    };
    done.map_err(|e| e.to_string())
}
