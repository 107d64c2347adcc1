//! The admin worker behind the Topics, Groups, Audit and ACLs panes: each
//! [`AdminRequest`] runs on its own task (admin calls are async or `spawn_blocking` in `kafka::admin`),
//! and its [`AdminReply`] comes back over the worker channel. Mutations run
//! through the same functions as the headless `topics`/`groups` commands
//! ([`crate::mutate`]): the gate, the action and one audit line each.

use tokio::sync::mpsc;

use crate::audit::{self, Source, action};
use crate::config::Settings;
use crate::kafka::admin;
use crate::kafka::client::KafkaError;
use crate::mutate::groups::ResetRequest;
use crate::tui::event::{
    AdminReply, AdminRequest, NoConfigs, OriginalRecord, TopicView, WorkerMsg,
};
use crate::tui::strings;

/// Runs one request and sends its reply.
pub async fn run(settings: Settings, req: AdminRequest, tx: mpsc::Sender<WorkerMsg>) {
    let reply = answer(&settings, req).await;
    let _ = tx.send(WorkerMsg::Admin(Box::new(reply))).await;
}

fn text(e: KafkaError) -> String {
    e.to_string()
}

/// The reply to one request. A broker without admin APIs (its caps in
/// `settings`) is not asked for them: those requests fail at once with
/// [`KafkaError::Unsupported`].
pub async fn answer(settings: &Settings, req: AdminRequest) -> AdminReply {
    match req {
        AdminRequest::ListTopics => {
            AdminReply::Topics(admin::list_topics(settings, false).await.map_err(text))
        }
        AdminRequest::DescribeTopic(name) => {
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
            AdminReply::Topic { name, result }
        }
        AdminRequest::ListGroups => {
            AdminReply::Groups(admin::list_consumer_groups(settings).await.map_err(text))
        }
        AdminRequest::DescribeGroup(name) => {
            let result = admin::describe_consumer_group(settings, &name)
                .await
                .map(Box::new)
                .map_err(text);
            AdminReply::Group { name, result }
        }
        AdminRequest::PlanReset { group, spec, scope } => AdminReply::Plan(
            crate::mutate::groups::plan_reset(settings, &ResetRequest { group, spec, scope })
                .await
                .map_err(text),
        ),
        AdminRequest::ReadAudit => {
            AdminReply::Audit(audit::read(settings).map_err(|e| e.to_string()))
        }
        AdminRequest::ListAcls => AdminReply::Acls(
            crate::kafka::acls::list_acls(settings, crate::kafka::ffi::AclFilter::any())
                .await
                .map_err(text),
        ),
        // Gate and audit line are init_topics' own, as for the headless command.
        AdminRequest::InitTopics => AdminReply::Done {
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
                return AdminReply::Done {
                    action: "",
                    result: Err("not a mutation".into()),
                };
            };
            AdminReply::Done {
                action: name,
                result: mutate(settings, mutation).await,
            }
        }
    }
}

/// Runs a mutation through its one function in [`crate::mutate`] (gate,
/// action, audit line, as for the headless command), and words the result.
/// Requests reach here confirmed: the console asked in a dialog first.
async fn mutate(settings: &Settings, req: AdminRequest) -> Result<String, String> {
    use crate::mutate::{acls, groups, topics};
    const BY: Source = Source::Console;
    let done = match req {
        AdminRequest::CreateTopic(spec) => topics::create(settings, BY, &spec)
            .await
            .map(|()| strings::created_topic(&spec.name, spec.partitions, spec.replication_factor)),
        AdminRequest::DeleteTopic(topic) => topics::delete(settings, BY, &topic, true)
            .await
            .map(|()| strings::deleted_topic(&topic)),
        AdminRequest::EmptyTopic(topic) => {
            topics::empty(settings, BY, &topic, true)
                .await
                .map(|parts| {
                    let n: i64 = parts.iter().map(|p| p.deleted).sum();
                    strings::emptied_topic(&topic, n)
                })
        }
        AdminRequest::AddPartitions { topic, total } => {
            topics::add_partitions(settings, BY, &topic, total)
                .await
                .map(|before| strings::grew_topic(&topic, before, total))
        }
        AdminRequest::SetConfig { topic, key, value } => {
            let (set, delete) = match &value {
                Some(v) => (vec![(key.clone(), v.clone())], Vec::new()),
                None => (Vec::new(), vec![key.clone()]),
            };
            topics::set_configs(settings, BY, &topic, &set, &delete)
                .await
                .map(|_| strings::config_set(&topic, &key, value.as_deref()))
        }
        AdminRequest::ExecuteReset(plan) => groups::reset_offsets(settings, BY, &plan)
            .await
            .map(|after| strings::reset_done(&plan.group, after.len())),
        AdminRequest::DeleteGroup(group) => groups::delete(settings, BY, &group, true)
            .await
            .map(|()| strings::deleted_group(&group)),
        AdminRequest::CreateAcls(list) => acls::create(settings, BY, &list)
            .await
            .map(|()| strings::created_acls(list.len())),
        AdminRequest::DeleteAcls(list) => acls::delete(settings, BY, &list)
            .await
            .map(|gone| strings::deleted_acls(gone.len())),
        AdminRequest::ReinjectOriginal {
            record,
            topic,
            policies,
        } => reinject_original(settings, record, &topic, &policies).await,
        _ => return Err("not a mutation".into()),
    };
    done.map_err(|e| e.to_string())
}

/// Sends `record` again to `topic` as it was read (key, value and headers;
/// the dead-letter headers left out, as a redrive does), after the read-only
/// gate, and writes one audit line (where from, where to, which policies hid
/// part of it: never a value).
async fn reinject_original(
    settings: &Settings,
    record: OriginalRecord,
    topic: &str,
    policies: &[String],
) -> Result<String, crate::mutate::MutationError> {
    audit::authorize(settings, action::INJECT)?;
    let record = match record {
        OriginalRecord::Kept(record) => *record,
        OriginalRecord::InKafka {
            topic,
            partition,
            offset,
            timestamp_ms,
            isolation,
        } => {
            let s = settings.clone();
            let t = topic.clone();
            let read = tokio::task::spawn_blocking(move || {
                crate::kafka::consume::read_at(&s, &t, partition, offset, Some(isolation))
            })
            .await
            .map_err(|e| KafkaError::Admin {
                action: "reading the record again".into(),
                reason: e.to_string(),
            })??;
            // The record the console showed, not another one at its offset.
            if read.timestamp_ms != timestamp_ms {
                return Err(KafkaError::RecordGone {
                    topic,
                    partition,
                    offset,
                    reason: "another record, with another time, is there now".into(),
                }
                .into());
            }
            read
        }
    };
    let record = &record;
    let from = format!("{}[{}]@{}", record.topic, record.partition, record.offset);
    let producer = crate::kafka::EventProducer::new(
        settings,
        crate::kafka::produce::DEFAULT_DELIVERY_TIMEOUT,
    )?;
    let headers: Vec<(String, Option<Vec<u8>>)> = record
        .headers
        .iter()
        .filter(|(k, _)| !crate::dlq::redrive::is_dead_letter_header(k))
        .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
        .collect();
    let sent = producer
        .send_raw(
            topic,
            record.key.as_deref(),
            record.value.as_deref(),
            &headers,
        )
        .await;
    let params = serde_json::json!({
        "from": from,
        "topic": topic,
        "original_bytes": true,
        "masked_by": policies,
    });
    let outcome = match &sent {
        Ok(d) => serde_json::json!({"ok": true, "partition": d.partition, "offset": d.offset}),
        Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
    };
    let what = match &sent {
        Ok(d) => strings::reinjected_original(&from, topic, d.partition, d.offset),
        Err(e) => e.to_string(),
    };
    if let Err(error) = audit::record(settings, Source::Console, action::INJECT, params, outcome) {
        return Err(crate::mutate::MutationError::NotAudited { what, error });
    }
    sent?;
    Ok(what)
}
