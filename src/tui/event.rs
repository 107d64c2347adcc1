//! The messages the app loop applies: terminal input and timers ([`Event`]), what
//! background workers report ([`WorkerMsg`]), and what the app asks the runtime to
//! do ([`Command`]) — the only way state changes turn into I/O — with the
//! requests and replies they carry. Panes and workers both import from here,
//! never from each other.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};

use crate::audit::{AuditEntry, action};
use crate::dlq::redrive::Plan as RedrivePlan;
use crate::kafka::StartAt;
use crate::kafka::admin::{ConfigValue, GroupDetail, GroupSummary, NewTopicSpec, TopicDetail};
use crate::lag::LagReport;
use crate::publish::{PublishError, PublishRequest, Published};
use crate::replay::{Outcome, Plan, Request};
use crate::reset::{ResetPlan, ResetScope, ResetSpec};

/// Terminal input and timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A key press.
    Key(KeyEvent),
    /// A mouse click or wheel.
    Mouse(MouseEvent),
    /// Pasted text (bracketed paste).
    Paste(String),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Once a second: rates, toasts expiring.
    Tick,
}

/// What background tasks report to the app loop (records go through their own
/// bounded channel, drained in batches).
#[derive(Debug, Clone)]
pub enum WorkerMsg {
    /// A stream stopped with a problem (it retries by itself).
    StreamProblem {
        /// The stream set the report belongs to; stale ones are ignored.
        generation: u64,
        /// The topic.
        topic: String,
        /// What went wrong.
        problem: String,
    },
    /// A reader's non-fatal warning (the client retries by itself).
    StreamWarning(String),
    /// Records that arrived while their registry schema was being fetched,
    /// read again now that it is there (off the app loop).
    SchemaRedecoded {
        /// The stream set the records belong to; stale ones are ignored.
        generation: u64,
        /// Each record's list key and what it reads as now.
        records: Vec<(u64, crate::kafka::Arrived)>,
    },
    /// The inject form's schema (`SUBJECT[:VERSION]`) fetched, or why not.
    WriteSchema {
        /// What the form asked for.
        spec: String,
        /// The schema, or why it cannot be had.
        result: Result<crate::domain::schema::WriteSchema, String>,
    },
    /// An all-or-none send finished: committed, or nothing was published.
    CommittedTxn {
        /// The request id.
        id: u64,
        /// What Kafka committed, or why nothing was.
        result: Result<crate::publish::Committed, PublishError>,
    },
    /// A publish finished.
    Published {
        /// The request id.
        id: u64,
        /// Where it landed, or why not.
        result: Result<Published, PublishError>,
    },
    /// The cluster answered a metadata probe, or did not.
    Connection(Result<(), String>),
    /// An export finished.
    Exported(Result<(PathBuf, usize), String>),
    /// A background task panicked or failed; the app ends with this error.
    TaskFailed(String),
    /// Dead letters read from a DLQ topic (decoded off the UI task).
    DeadLetters(Vec<crate::dlq::redrive::DlqRecord>),
    /// The DLQ reader's problem (it retries by itself).
    DlqProblem(String),
    /// The DLQ topics being read.
    DlqTopics(Vec<String>),
    /// A redrive's progress: records done of total.
    RedriveProgress {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// A redrive finished (the audit entry is written), or could not start.
    RedriveDone(Result<crate::dlq::redrive::Outcome, String>),
    /// The admin worker's answer (Topics, Groups, Audit).
    Admin(Box<AdminReply>),
    /// A replay's range was read (the dry run), or could not be.
    ReplayPlanned(Result<Arc<Plan>, String>),
    /// Records replayed so far.
    ReplayProgress {
        /// Done.
        done: usize,
        /// Of.
        total: usize,
    },
    /// A replay finished.
    ReplayDone(Result<Outcome, String>),
    /// The cluster worker's report (the Cluster pane).
    Cluster(ClusterUpdate),
    /// A search's report.
    Find {
        /// The search it belongs to; stale ones are ignored.
        generation: u64,
        /// What it says.
        update: FindUpdate,
    },
    /// The schemas worker's answer (the Schemas tab).
    Schemas(Box<SchemaReply>),
}

/// A request for the schemas worker: the schema registry, off the UI task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaRequest {
    /// Every subject (latest version, format, compatibility), and the
    /// cluster's topics named after them.
    List,
    /// One version of a subject (`None`: the latest), with the version
    /// before it (what a diff compares it with).
    Open {
        /// The subject.
        subject: String,
        /// The version.
        version: Option<u32>,
    },
    /// The subjects and versions these schema ids (seen on the wire) are
    /// filed under.
    Resolve(Vec<u32>),
}

/// One version of a subject opened, and the version before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedSchema {
    /// The version asked for.
    pub view: crate::schemas::VersionView,
    /// The version before it, if any.
    pub previous: Option<crate::schemas::VersionView>,
}

/// What the schemas worker answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaReply {
    /// The subjects, or why not.
    Subjects(Result<Vec<crate::schemas::SubjectSummary>, String>),
    /// A version of a subject, or why not.
    Opened {
        /// The subject asked for (a reply for another one is stale).
        subject: String,
        /// What was found.
        result: Result<Box<OpenedSchema>, String>,
    },
    /// Schema ids and the subjects and versions each is filed under (an id
    /// the registry could not say is left out).
    Resolved(Vec<(u32, Vec<(String, u32)>)>),
}

/// What a running search reports to the Find pane.
#[derive(Debug, Clone)]
pub enum FindUpdate {
    /// The partitions and total, before reading.
    Planned(crate::kafka::find::Plan),
    /// A second pass over the other partitions starts.
    SecondPass {
        /// Partitions in it.
        partitions: usize,
    },
    /// How far it is.
    Progress(crate::kafka::find::Progress),
    /// Matches, decoded on the worker's thread.
    Matches(Vec<crate::kafka::Arrived>),
    /// A problem that did not stop it.
    Warning(String),
    /// It ended, or failed.
    Done(Result<crate::kafka::find::FindSummary, String>),
}

/// A search for the find worker.
#[derive(Debug, Clone)]
pub struct FindJob {
    /// Tags its reports.
    pub generation: u64,
    /// What to search.
    pub request: crate::kafka::find::FindRequest,
}

/// I/O the app asks the runtime to perform after an update.
#[derive(Debug, Clone)]
pub enum Command {
    /// Publish an event.
    Publish(Box<SendRequest>),
    /// Restart every stream at this position.
    Seek(StartAt),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Write these JSON lines to a file in the data dir.
    Export(Vec<String>),
    /// Set the demo scenario's events per second.
    SetRate(u32),
    /// Redrive these dead letters at most `rate` per second, then audit it.
    Redrive(Box<RedriveRequest>),
    /// Run an admin request (Topics, Groups, Audit) off the UI task.
    Admin(Box<AdminRequest>),
    /// Read a replay's range (the dry run).
    ReplayPlan(Request),
    /// Run a previewed replay.
    ReplayRun(Arc<Plan>),
    /// Start a search in the find worker.
    Find(Box<FindJob>),
    /// Cancel search `generation` at once.
    CancelFind(u64),
    /// Ask the cluster worker for a health report now (it starts polling
    /// at the first one).
    RefreshCluster,
    /// Fetch the schema the inject form writes with (`SUBJECT[:VERSION]`).
    FetchWriteSchema(String),
    /// Ask the schema registry (the schemas worker).
    Schemas(SchemaRequest),
}

/// A masked record as read, for sending it again: the copy the console kept,
/// or where it is in Kafka (the console's list keeps no copy of most:
/// [`crate::kafka::Arrived::read_listed`]).
#[derive(Debug, Clone, PartialEq)]
pub enum OriginalRecord {
    /// The copy kept.
    Kept(Box<crate::kafka::ConsumedRecord>),
    /// Read it again from here, at the console's isolation level.
    InKafka {
        /// Its topic.
        topic: String,
        /// Its partition.
        partition: i32,
        /// Its offset.
        offset: i64,
        /// Its time as read: the record found there must have it (a topic
        /// deleted and made again has other records at the same offsets).
        timestamp_ms: Option<i64>,
        /// The isolation level the console read it at.
        isolation: crate::kafka::isolation::Isolation,
    },
}

/// An admin request from the console.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminRequest {
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
    /// Send a record again as it was read (key, value and headers, the
    /// dead-letter ones left out): the re-inject of a record the data
    /// policies hide part of, whose form would show `***`.
    ReinjectOriginal {
        /// The record as read, or where to read it again.
        record: OriginalRecord,
        /// Where it goes.
        topic: String,
        /// The policies that hide part of it (named in the audit line).
        policies: Vec<String>,
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
    /// Every ACL.
    ListAcls,
    /// Create these ACLs.
    CreateAcls(Vec<crate::kafka::ffi::AclBinding>),
    /// Delete exactly these ACLs.
    DeleteAcls(Vec<crate::kafka::ffi::AclBinding>),
}

impl AdminRequest {
    /// The audit action name of a mutating request; `None` for reads.
    pub fn mutation(&self) -> Option<&'static str> {
        Some(match self {
            AdminRequest::CreateTopic(_) => action::TOPIC_CREATE,
            AdminRequest::InitTopics => action::TOPICS_INIT,
            AdminRequest::DeleteTopic(_) => action::TOPIC_DELETE,
            AdminRequest::EmptyTopic(_) => action::TOPIC_EMPTY,
            AdminRequest::AddPartitions { .. } => action::TOPIC_ADD_PARTITIONS,
            AdminRequest::SetConfig { .. } => action::TOPIC_CONFIG,
            AdminRequest::ExecuteReset(_) => action::GROUP_RESET_OFFSETS,
            AdminRequest::DeleteGroup(_) => action::GROUP_DELETE,
            AdminRequest::CreateAcls(_) => action::ACL_CREATE,
            AdminRequest::DeleteAcls(_) => action::ACL_DELETE,
            AdminRequest::ReinjectOriginal { .. } => action::INJECT,
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
pub enum AdminReply {
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
    /// Every ACL, sorted.
    Acls(Result<Vec<crate::kafka::ffi::AclBinding>, String>),
}

/// What the lag worker sends after each poll.
#[derive(Debug, Clone)]
pub enum LagUpdate {
    /// A fresh report.
    Report(LagReport),
    /// The poll failed (unreachable, denied); the last report stays on screen.
    Failed(String),
}

/// What the cluster worker sends after each poll.
#[derive(Debug, Clone)]
pub struct ClusterUpdate {
    /// When the poll started.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The cluster's health, or why it could not be read.
    pub result: Result<Box<crate::kafka::cluster::ClusterHealth>, String>,
}

/// What the runtime needs to run a confirmed redrive.
#[derive(Debug, Clone)]
pub struct RedriveRequest {
    /// What goes where.
    pub plan: RedrivePlan,
    /// Records per second at most.
    pub rate: u32,
    /// The filter the records were chosen with, if any.
    pub filter: Option<String>,
}

/// Where a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The main publisher (the bridge when there is one).
    Main,
    /// The raw publisher: straight to the topic.
    Raw,
    /// Straight to Kafka, every event of the list in one transaction: a
    /// `read_committed` reader sees all of them or none.
    Transaction,
}

/// A send the runtime should perform.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// Request id, echoed in the reply.
    pub id: u64,
    /// Which publisher.
    pub route: Route,
    /// What to publish (the first event of an all-or-none list).
    pub request: PublishRequest,
    /// The other events of an all-or-none send ([`Route::Transaction`]),
    /// in order after `request`; empty otherwise.
    pub also: Vec<PublishRequest>,
}
