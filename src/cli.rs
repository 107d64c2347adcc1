//! The command line: global connection flags and one subcommand per headless
//! twin of a console pane. With no subcommand, the console opens.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{CliOverrides, ConfigError, parse_property};

/// A terminal console, event bus and Kafka bridge for event-driven systems on Kafka.
#[derive(Debug, Parser)]
#[command(name = "eventdeck", version, about, long_about = None)]
pub struct Cli {
    /// Connection and configuration flags shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to run; the console when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Bootstrap servers (host:port,...); overrides KAFKA_BOOTSTRAP_SERVERS and the profile.
    #[arg(short = 'b', long, global = true)]
    pub brokers: Option<String>,
    /// A named profile from the config file (also EVENTDECK_PROFILE).
    #[arg(short = 'p', long, global = true)]
    pub profile: Option<String>,
    /// Config file (default: the platform config dir's eventdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Any librdkafka property, like kcat: -X security.protocol=SASL_SSL
    #[arg(short = 'X', value_name = "KEY=VALUE", global = true)]
    pub property: Vec<String>,
    /// Refuse every mutating action.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Ask for the SASL password on the terminal (not echoed) instead of taking
    /// it from KAFKA_SASL_PASSWORD or the profile.
    #[arg(long, global = true)]
    pub ask_password: bool,
    /// Schema registry URL (Confluent API, e.g. http://127.0.0.1:8081/apis/ccompat/v7);
    /// overrides SCHEMA_REGISTRY_URL and the profile.
    #[arg(long, global = true, value_name = "URL")]
    pub schema_registry: Option<String>,
    /// Show records as read, without the data policies: only where the
    /// profile has allow_unmask = true, and written to the audit log.
    #[arg(long, global = true)]
    pub unmask: bool,
}

impl GlobalArgs {
    /// The configuration overrides these flags stand for.
    pub fn overrides(&self) -> Result<CliOverrides, ConfigError> {
        Ok(CliOverrides {
            config: self.config.clone(),
            profile: self.profile.clone(),
            brokers: self.brokers.clone(),
            read_only: self.read_only,
            properties: self
                .property
                .iter()
                .map(|p| parse_property(p))
                .collect::<Result<_, _>>()?,
            schema_registry: self.schema_registry.clone(),
        })
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish one event (our envelope) and print where it landed.
    Inject(InjectArgs),
    /// Print records from topics or contexts, decoded.
    Tail(TailArgs),
    /// Run the event bus and Kafka bridge headless until SIGINT/SIGTERM.
    Bridge(BridgeArgs),
    /// The console on an embedded broker with a scenario: nothing to install.
    Demo(DemoArgs),
    /// Consumer lag per group and partition, in offsets and seconds, with a status.
    Lag(LagArgs),
    /// Re-deliver a time range of a context's or topic's records.
    Replay(ReplayArgs),
    /// Dead-letter topics: list by cause, show one record, redrive.
    Dlq {
        /// What to do.
        #[command(subcommand)]
        action: DlqCommand,
    },
    /// Topics: list, describe, create, delete, configs, add partitions, empty.
    Topics {
        /// What to do.
        #[command(subcommand)]
        action: TopicsCommand,
    },
    /// Consumer groups: list, describe, reset offsets, delete.
    Groups {
        /// What to do.
        #[command(subcommand)]
        action: GroupsCommand,
    },
    /// Cluster health: brokers, controller, offline, under-replicated and
    /// under-min-ISR partitions, leader skew.
    Cluster(ClusterArgs),
    /// The audit log: every mutation, who did it, where, and how it went.
    Audit(AuditArgs),
    /// Access control lists: list, create, delete (changes are a dry run
    /// unless --execute). Exits 2 on an error.
    Acls {
        /// What to do.
        #[command(subcommand)]
        action: AclsCommand,
    },
    /// SASL/SCRAM users: list, set a password, delete (changes are a dry run
    /// unless --execute). Exits 2 on an error.
    Users {
        /// What to do.
        #[command(subcommand)]
        action: UsersCommand,
    },
    /// Search whole topics or a range for a key, field values or text; exits
    /// 0 when something matched, 1 when nothing did, 2 on an error (as grep).
    Find(FindArgs),
    /// Schema registry subjects: list, show a version, diff two versions,
    /// register a schema (a dry run unless --execute). Needs
    /// --schema-registry URL or SCHEMA_REGISTRY_URL. Exits 2 on an error.
    Schemas {
        /// What to do.
        #[command(subcommand)]
        action: SchemasCommand,
    },
    /// Data policies: see which fields of real records each policy hides
    /// (never their values).
    Policies {
        /// What to do.
        #[command(subcommand)]
        action: PoliciesCommand,
    },
}

/// `eventdeck policies ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum PoliciesCommand {
    /// Read records of a topic and print, per policy, which fields of which
    /// records it hits.
    Check {
        /// Topic (or context).
        topic: String,
        /// Records to read, from the beginning.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A schema's language, as `schemas register --type` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaType {
    /// Apache Avro.
    Avro,
    /// Protocol Buffers.
    Protobuf,
    /// JSON Schema.
    Json,
}

impl From<SchemaType> for crate::domain::schema::SchemaFormat {
    fn from(t: SchemaType) -> Self {
        match t {
            SchemaType::Avro => Self::Avro,
            SchemaType::Protobuf => Self::Protobuf,
            SchemaType::Json => Self::Json,
        }
    }
}

/// A subject's version: a number, or the latest (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionArg(pub Option<u32>);

/// A subject's version: a number or `latest`.
fn parse_version(s: &str) -> Result<VersionArg, String> {
    if s.eq_ignore_ascii_case("latest") {
        return Ok(VersionArg(None));
    }
    match s.parse::<u32>() {
        Ok(v) if v > 0 => Ok(VersionArg(Some(v))),
        _ => Err(format!(
            "expected a version number (1, 2, …) or latest, not {s}"
        )),
    }
}

/// `eventdeck schemas ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum SchemasCommand {
    /// Every subject: latest version, schema id, format, compatibility level
    /// (the global default when the subject has none) and the topics named
    /// after it (`<topic>-value`, `<topic>-key`).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One version of a subject: the subject's versions, the version's id,
    /// references and schema text pretty-printed.
    Show {
        /// Subject.
        subject: String,
        /// A version number, or latest.
        #[arg(long, default_value = "latest", value_parser = parse_version)]
        version: VersionArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A line diff between two versions of a subject (numbers or latest):
    /// every line of their pretty-printed text, marked ` `, `-` or `+`.
    Diff {
        /// Subject.
        subject: String,
        /// The older version.
        #[arg(value_parser = parse_version)]
        from: VersionArg,
        /// The newer version.
        #[arg(value_parser = parse_version)]
        to: VersionArg,
        /// Print JSON (every line with its op: equal, delete, insert).
        #[arg(long)]
        json: bool,
    },
    /// Register the schema in FILE under SUBJECT. A dry run unless --execute:
    /// it says whether the subject holds it already and whether the registry
    /// finds it compatible.
    Register {
        /// Subject.
        subject: String,
        /// The schema file.
        file: PathBuf,
        /// Its language.
        #[arg(long = "type", value_enum)]
        schema_type: SchemaType,
        /// Register it (without it, only what would happen is printed).
        #[arg(long)]
        execute: bool,
    },
}

/// `eventdeck audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Print JSON (an array of entries) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Check the log's hash chain: report the first line that was changed,
    /// removed or inserted, and exit 1 when there is one.
    #[arg(long)]
    pub verify: bool,
}

/// `eventdeck topics ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum TopicsCommand {
    /// Create every configured context topic and its DLQ that does not exist yet.
    Init {
        /// Partitions of each created topic.
        #[arg(long, default_value_t = crate::provision::DEFAULT_PARTITIONS)]
        partitions: i32,
        /// Replication factor of each created topic (default: 3, or the
        /// number of brokers when there are fewer).
        #[arg(long)]
        replication_factor: Option<i32>,
        /// Only say what would be created.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every topic: partitions, replication factor, estimated record count.
    List {
        /// Also Kafka's internal topics (`__consumer_offsets`, ...).
        #[arg(long)]
        internal: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One topic: partitions with leader, replicas, ISR and watermarks, and its config overrides.
    Describe {
        /// Topic.
        topic: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a topic (e.g. compacted: --set cleanup.policy=compact).
    Create {
        /// Topic.
        topic: String,
        /// Partition count.
        #[arg(long, default_value_t = 1)]
        partitions: i32,
        /// Replication factor.
        #[arg(long, default_value_t = 1)]
        replication_factor: i32,
        /// Topic config, repeatable: --set retention.ms=86400000 (what
        /// `kafka-topics` calls `--config`; here `--config` is the config file).
        #[arg(long = "set", value_name = "K=V")]
        configs: Vec<String>,
    },
    /// Delete a topic and all its records (needs --yes).
    Delete {
        /// Topic.
        topic: String,
        /// Yes, delete it.
        #[arg(long)]
        yes: bool,
    },
    /// Show a topic's config overrides, or change them with --set / --delete.
    Config {
        /// Topic.
        topic: String,
        /// Set an override, repeatable: --set retention.ms=3600000
        #[arg(long = "set", value_name = "K=V")]
        set: Vec<String>,
        /// Remove an override (back to the broker default), repeatable.
        #[arg(long = "delete", value_name = "K")]
        delete: Vec<String>,
        /// Show every config entry, not only the topic's overrides.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Grow a topic to --count partitions in total (Kafka cannot shrink one).
    AddPartitions {
        /// Topic.
        topic: String,
        /// The partition count afterwards (as `kafka-topics --alter --partitions`).
        #[arg(long)]
        count: usize,
    },
    /// Delete every record of a topic, keeping the topic (needs --yes).
    Empty {
        /// Topic.
        topic: String,
        /// Yes, delete its records.
        #[arg(long)]
        yes: bool,
    },
}

/// `eventdeck groups ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum GroupsCommand {
    /// Every consumer group with its state and member count.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One group: members and assignments, committed offsets and lag.
    Describe {
        /// Group id.
        group: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move a group's committed offsets; a dry run unless --execute.
    ResetOffsets(ResetOffsetsArgs),
    /// Delete a group and its committed offsets (needs --yes).
    Delete {
        /// Group id.
        group: String,
        /// Yes, delete it.
        #[arg(long)]
        yes: bool,
    },
}

/// `eventdeck groups reset-offsets`: the options of
/// `kafka-consumer-groups --reset-offsets`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["topics", "all_topics"])))]
pub struct ResetOffsetsArgs {
    /// Group id.
    #[arg(short, long)]
    pub group: String,
    /// Where to and which partitions (shared with the console's `:reset`).
    #[command(flatten)]
    pub target: ResetTargetArgs,
    /// Commit the new offsets (without it, only the plan is printed).
    #[arg(long, conflicts_with = "dry_run")]
    pub execute: bool,
    /// Only print the plan (the default).
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where a reset moves the offsets and which partitions it touches: the
/// grammar of `eventdeck groups reset-offsets` and of the console's `:reset`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("spec").required(true).args(
    ["to_earliest", "to_latest", "to_datetime", "by_duration", "shift_by", "to_offset"]
)))]
pub struct ResetTargetArgs {
    /// Topic, or TOPIC:0,1 for some partitions; repeatable.
    #[arg(long = "topic", value_name = "TOPIC[:P,...]")]
    pub topics: Vec<String>,
    /// Every partition the group has committed offsets on.
    #[arg(long)]
    pub all_topics: bool,
    /// To the log-start offset.
    #[arg(long)]
    pub to_earliest: bool,
    /// To the log-end offset.
    #[arg(long)]
    pub to_latest: bool,
    /// To the first offset at or after this time (RFC 3339, e.g. 2026-01-02T03:04:05.000Z).
    #[arg(long, value_name = "TIME")]
    pub to_datetime: Option<String>,
    /// To the first offset at or after now minus this ISO-8601 duration (PT10M, P1DT2H).
    #[arg(long, value_name = "DURATION")]
    pub by_duration: Option<String>,
    /// By N from the committed offset (negative goes back), clamped to the log.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub shift_by: Option<i64>,
    /// To offset N, clamped to the log.
    #[arg(long, value_name = "N")]
    pub to_offset: Option<i64>,
}

/// The console palette's `:reset GROUP [TOPIC[:P,...]]... OPTIONS`: the group
/// and topics may be written bare, every option is the headless command's
/// ([`ResetTargetArgs`]), and without a topic the reset covers every topic
/// the group has offsets on (it is planned and shown before anything is committed).
#[derive(Debug, Clone, Parser)]
#[command(name = "reset", no_binary_name = true)]
pub struct PaletteResetArgs {
    /// Group id.
    pub group: String,
    /// Topics, as `--topic` takes them.
    #[arg(value_name = "TOPIC[:P,...]")]
    pub bare_topics: Vec<String>,
    /// Where to and which partitions.
    #[command(flatten)]
    pub target: ResetTargetArgs,
}

/// `eventdeck acls ...`: the options of Kafka's `kafka-acls`.
#[derive(Debug, Clone, Subcommand)]
pub enum AclsCommand {
    /// ACLs, with their principal, host, operation, permission and resource
    /// (every ACL without options; as `kafka-acls --list`).
    List {
        /// Only this principal's ACLs (User:alice).
        #[arg(long, value_name = "PRINCIPAL")]
        principal: Option<String>,
        /// Which resource (with --pattern-type; default LITERAL when one is named, as `kafka-acls`).
        #[command(flatten)]
        resource: AclResourceArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create ACLs: every principal × operation on the resource. Prints the
    /// ACLs first; a dry run unless --execute.
    Create {
        /// What, who and where.
        #[command(flatten)]
        acl: AclSpecArgs,
        /// Create them (without it, only the ACLs are printed).
        #[arg(long)]
        execute: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete the ACLs the options select (an option left out matches every
    /// value). Prints them first; a dry run unless --execute.
    Delete {
        /// What, who and where.
        #[command(flatten)]
        acl: AclSpecArgs,
        /// Delete them (without it, only the ACLs are printed).
        #[arg(long)]
        execute: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The resource an ACL command is about (at most one).
#[derive(Debug, Clone, Default, Args)]
#[command(group(clap::ArgGroup::new("resource").multiple(false).args(
    ["topic", "group", "cluster", "transactional_id"]
)))]
pub struct AclResourceArgs {
    /// A topic (`*` for every topic).
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// A consumer group (`*` for every group).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// The cluster (`kafka-cluster`).
    #[arg(long)]
    pub cluster: bool,
    /// A transactional id (`*` for every one).
    #[arg(long, value_name = "ID")]
    pub transactional_id: Option<String>,
    /// LITERAL or PREFIXED (also ANY or MATCH when listing or deleting);
    /// default LITERAL when a resource is named, else ANY.
    #[arg(long, value_name = "TYPE")]
    pub pattern_type: Option<String>,
}

/// `acls create` and `acls delete`: who, what and where, in `kafka-acls`' words.
#[derive(Debug, Clone, Default, Args)]
pub struct AclSpecArgs {
    /// A principal to allow (User:alice), repeatable.
    #[arg(long, value_name = "PRINCIPAL")]
    pub allow_principal: Vec<String>,
    /// A principal to deny, repeatable.
    #[arg(long, value_name = "PRINCIPAL")]
    pub deny_principal: Vec<String>,
    /// An operation (Read, Write, Describe, All, ...), repeatable.
    #[arg(long, value_name = "OPERATION")]
    pub operation: Vec<String>,
    /// The client host the ACL applies to (default `*` when creating; any when deleting).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// The resource.
    #[command(flatten)]
    pub resource: AclResourceArgs,
}

/// The console palette's `:acl create OPTIONS`: `eventdeck acls create`'s
/// options ([`AclSpecArgs`]), confirmed in a dialog instead of `--execute`.
#[derive(Debug, Clone, Parser)]
#[command(name = "acl create", no_binary_name = true)]
pub struct PaletteAclArgs {
    /// What, who and where.
    #[command(flatten)]
    pub acl: AclSpecArgs,
}

/// `eventdeck users ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum UsersCommand {
    /// SCRAM users with their mechanisms and iterations (never a password).
    List {
        /// Only these users (default: every user with a SCRAM credential).
        users: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's SCRAM password (creating the user's credential if needed);
    /// the password is read from --password-file, stdin or the terminal,
    /// never from the command line. A dry run unless --execute.
    SetPassword {
        /// User name (without `User:`).
        user: String,
        /// SCRAM-SHA-256 or SCRAM-SHA-512.
        #[arg(long, default_value = "SCRAM-SHA-512")]
        mechanism: String,
        /// PBKDF2 iterations (Kafka accepts 4096 to 16384).
        #[arg(long, default_value_t = 8192)]
        iterations: i32,
        /// Read the password from the first line of this file.
        #[arg(long, value_name = "PATH", conflicts_with = "password_stdin")]
        password_file: Option<PathBuf>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Change it (without it, only what would change is printed).
        #[arg(long)]
        execute: bool,
    },
    /// Delete a user's SCRAM credentials (every mechanism it has, or those
    /// named). A dry run unless --execute.
    Delete {
        /// User name.
        user: String,
        /// Only this mechanism, repeatable.
        #[arg(long)]
        mechanism: Vec<String>,
        /// Delete them (without it, only what would change is printed).
        #[arg(long)]
        execute: bool,
    },
}

/// `eventdeck replay`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["context", "topic"])))]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_topic", "to_handlers"])))]
pub struct ReplayArgs {
    /// Replay this context's topic.
    #[arg(long)]
    pub context: Option<String>,
    /// Replay this topic.
    #[arg(long)]
    pub topic: Option<String>,
    /// Start of the range (RFC 3339), inclusive.
    #[arg(long, value_parser = parse_time)]
    pub from: chrono::DateTime<chrono::Utc>,
    /// End of the range (RFC 3339), exclusive; default: now.
    #[arg(long, value_parser = parse_time)]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Copy the records to this topic.
    #[arg(long)]
    pub to_topic: Option<String>,
    /// Hand the records to the local handlers (the bridge's reactions) as if
    /// consumed again: effects are published, failures dead-lettered.
    #[arg(long)]
    pub to_handlers: bool,
    /// Show what would be replayed and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Records per second at most.
    #[arg(long, default_value_t = crate::replay::DEFAULT_RATE)]
    pub rate: u32,
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("'{s}' is not an RFC 3339 time: {e}"))
}

/// `eventdeck dlq ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum DlqCommand {
    /// Dead letters grouped by cause, then one line each.
    List {
        /// DLQ topics (default: every topic ending in the DLQ suffix).
        topics: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One dead letter in full: original coordinates, error, stack trace, value.
    Show {
        /// DLQ topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
    },
    /// Re-publish dead letters to their original topics (a plan first).
    Redrive {
        /// DLQ topic.
        topic: String,
        /// Only records whose error, original topic, key or value contain this text.
        #[arg(long)]
        filter: Option<String>,
        /// Only these records, as PARTITION:OFFSET (repeatable).
        #[arg(long = "record", value_name = "P:O")]
        records: Vec<String>,
        /// Send to this topic instead of each record's original topic.
        #[arg(long)]
        to_topic: Option<String>,
        /// Show the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Records per second at most.
        #[arg(long, default_value_t = 100)]
        rate: u32,
    },
}

/// `eventdeck cluster`.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Print JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 3 when the cluster shows any of these (repeatable, or
    /// comma-separated).
    #[arg(long, value_name = "FAULT", value_delimiter = ',')]
    pub fail_on: Vec<crate::kafka::cluster::Fault>,
}

/// `eventdeck lag`.
#[derive(Debug, Clone, Args)]
pub struct LagArgs {
    /// Only these groups (repeatable); default: every consumer group.
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "table")]
    pub json: bool,
    /// Print a table (the default).
    #[arg(long)]
    pub table: bool,
    /// Exit with status 3 when any group's total lag is above N.
    #[arg(long, value_name = "N")]
    pub fail_above_lag: Option<i64>,
    /// Exit with status 3 when any group is more than S seconds behind.
    #[arg(long, value_name = "S")]
    pub fail_above_seconds: Option<f64>,
    /// Polls to take; lag in seconds needs two, with the log end moving between them.
    #[arg(long, default_value_t = 2)]
    pub samples: u32,
    /// Time between polls.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: std::time::Duration,
}

/// `eventdeck demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Run without a terminal and print a summary (for tests and scripts).
    #[arg(long)]
    pub headless: bool,
    /// With --headless: how long to run, e.g. 5s, 1m.
    #[arg(long = "for", value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub duration: std::time::Duration,
    /// Scenario events per second at start (adjustable in the console with + and -).
    #[arg(long, default_value_t = crate::demo::DEFAULT_RATE)]
    pub rate: u32,
    /// With --headless: print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `eventdeck inject`.
#[derive(Debug, Clone, Args)]
pub struct InjectArgs {
    /// Bounded context (debate, implementation, performance, testing, evolution, or one from the config).
    #[arg(short, long)]
    pub context: Option<String>,
    /// Event type, e.g. DecisionMade.
    #[arg(short = 't', long = "type", required_unless_present = "transactional")]
    pub event_type: Option<String>,
    /// The event's `data`, as JSON.
    #[arg(short, long, default_value = "{}")]
    pub data: String,
    /// Record key (default: the aggregate id).
    #[arg(short, long)]
    pub key: Option<String>,
    /// Aggregate id (default: the key, else a new UUID).
    #[arg(long)]
    pub aggregate_id: Option<String>,
    /// Extra header, repeatable: --header source=cli
    #[arg(short = 'H', long = "header", value_name = "K=V")]
    pub headers: Vec<String>,
    /// Reuse a correlation id (default: a new one).
    #[arg(long)]
    pub correlation_id: Option<String>,
    /// The event that caused this one.
    #[arg(long)]
    pub causation_id: Option<String>,
    /// Schema version of `data`.
    #[arg(long, default_value_t = 1)]
    pub schema_version: u32,
    /// Write to this topic instead of the context's.
    #[arg(long)]
    pub topic: Option<String>,
    /// Write the value with this subject's registry schema (Avro, Protobuf
    /// or JSON Schema) in Confluent's framing: the whole envelope when the
    /// schema describes one (event_id, event_type), else `--data`.
    #[arg(long, value_name = "SUBJECT[:VERSION]")]
    pub schema: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Publish every event of FILE (one envelope as JSON per line) in one
    /// Kafka transaction: all of them become visible to read_committed
    /// readers, or none does. Each goes to its context's topic (or --topic).
    #[arg(
        long,
        value_name = "FILE.jsonl",
        conflicts_with_all = ["event_type", "context", "data", "key", "aggregate_id", "correlation_id", "causation_id", "headers", "schema"]
    )]
    pub transactional: Option<PathBuf>,
}

/// Output format of `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// One JSON object per record.
    Json,
    /// One aligned, human line per record.
    Pretty,
    /// The value bytes as they are, one record per line.
    Raw,
}

/// Which records of transactional producers a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationLevel {
    /// Only records of committed transactions (and non-transactional ones).
    #[value(name = "read_committed")]
    ReadCommitted,
    /// Every record, those of aborted transactions marked as such.
    #[value(name = "read_uncommitted")]
    ReadUncommitted,
}

impl From<IsolationLevel> for crate::kafka::isolation::Isolation {
    fn from(level: IsolationLevel) -> Self {
        match level {
            IsolationLevel::ReadCommitted => Self::ReadCommitted,
            IsolationLevel::ReadUncommitted => Self::ReadUncommitted,
        }
    }
}

/// `eventdeck tail`.
#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    /// Topics or context names (default: every context's topic).
    pub topics: Vec<String>,
    /// beginning, end, an offset (42), the last N (-10), or an RFC 3339 time.
    #[arg(short, long, default_value = "end", allow_hyphen_values = true)]
    pub from: String,
    /// Stop after N records.
    #[arg(short = 'n', long)]
    pub count: Option<u64>,
    /// Stop when every partition has been read to its end (like kcat -e).
    #[arg(short, long)]
    pub exit: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "pretty")]
    pub format: TailFormat,
    /// read_committed, or read_uncommitted: records of aborted transactions
    /// too, marked (`"aborted": true` in JSON, `ABORTED` in pretty lines).
    #[arg(long, value_enum, default_value = "read_committed")]
    pub isolation: IsolationLevel,
}

/// Output format of `find`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindFormat {
    /// One JSON object per match (as `tail --format json`).
    Json,
    /// One aligned, human line per match (as `tail`).
    Pretty,
}

/// `eventdeck find` (and the console's `:find`, which takes the same words).
#[derive(Debug, Clone, Args)]
pub struct FindArgs {
    /// Topics or context names (default: every context's topic).
    pub topics: Vec<String>,
    /// Records with exactly this key; reads the partitions the key hashes to
    /// (murmur2 and CRC32) first, and says which.
    #[arg(short, long)]
    pub key: Option<String>,
    /// A condition, repeatable: type:, ctx:, corr:, key:, topic: (as the
    /// Streams filter), or a JSON path into the decoded event compared with
    /// =, !=, >, >=, <, <= (data.order.id=42, data.amount>100).
    #[arg(short, long = "where", value_name = "PATH=VALUE")]
    pub wheres: Vec<String>,
    /// Text anywhere in the key, value or headers, any case.
    #[arg(short, long)]
    pub text: Option<String>,
    /// Start of the range: an offset (in every partition) or an RFC 3339 time; default: the log start.
    #[arg(long, value_name = "TIME|OFFSET")]
    pub from: Option<String>,
    /// End of the range, exclusive: an offset or an RFC 3339 time; default: the end when the search starts.
    #[arg(long, value_name = "TIME|OFFSET")]
    pub to: Option<String>,
    /// Only this partition (repeatable).
    #[arg(short = 'P', long = "partition", value_name = "P")]
    pub partitions: Vec<i32>,
    /// With --key: after the key's partitions, read every other one too.
    #[arg(long)]
    pub all_partitions: bool,
    /// With --key: read the other partitions when the key's had no match.
    #[arg(long, conflicts_with = "all_partitions")]
    pub exhaustive: bool,
    /// Matches printed at most; the search stops there and says so.
    #[arg(short = 'n', long, default_value_t = crate::find::DEFAULT_LIMIT)]
    pub limit: usize,
    /// Partitions read at once, each by its own reader (0: one per core, at most 4).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub readers: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "pretty")]
    pub format: FindFormat,
    /// Say nothing on stderr (the plan and the summary).
    #[arg(short, long)]
    pub quiet: bool,
}

/// The console palette's `:find …`: `eventdeck find`'s words.
#[derive(Debug, Clone, Parser)]
#[command(name = "find", no_binary_name = true)]
pub struct PaletteFindArgs {
    /// The search.
    #[command(flatten)]
    pub find: FindArgs,
}

/// `eventdeck bridge`.
#[derive(Debug, Clone, Args)]
pub struct BridgeArgs {
    /// Contexts to consume (comma-separated; default: every configured context).
    #[arg(long, value_delimiter = ',')]
    pub contexts: Vec<String>,
    /// Run the four cross-context reactions as handlers.
    #[arg(long)]
    pub reactions: bool,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Outbox directory (default: the data dir's outbox/).
    #[arg(long, value_name = "DIR")]
    pub outbox_dir: Option<PathBuf>,
    /// Records the outbox holds before publishing is refused.
    #[arg(long, default_value_t = 1_000_000)]
    pub outbox_capacity: u64,
    /// Retries of a failing handler before its record goes to the DLQ.
    #[arg(long, default_value_t = 3)]
    pub max_retries: u32,
    /// Delay before the first retry, doubled for each further one (e.g. 100ms).
    #[arg(long, default_value = "100ms", value_parser = humantime::parse_duration)]
    pub retry_backoff: std::time::Duration,
    /// Also publish envelopes read from stdin, one JSON object per line, through
    /// the bridge (local handlers, outbox, Kafka); prints one JSON result per line.
    #[arg(long)]
    pub stdin: bool,
    /// First create every configured context topic and its DLQ that is
    /// missing (as `eventdeck topics init` does, with its defaults).
    #[arg(long)]
    pub create_topics: bool,
    /// Also run the demo's flaky `audit-log` handler on TaskCreated events: it
    /// fails every attempt for one task in 6, so those go to the DLQ (for soak
    /// and fault runs).
    #[arg(long)]
    pub flaky_handler: bool,
    /// Consume → handle → produce in Kafka transactions: each batch's effects,
    /// dead letters and consumed offsets commit together, so an effect is
    /// written once even when a bridge crashes or a rebalance moves partitions
    /// (also `exactly_once = true` under `[bridge]` or in a profile).
    #[arg(long)]
    pub exactly_once: bool,
    /// Make the reactions fail their first attempt on every Nth cause (by
    /// event id); the bus retries them (for fault runs).
    #[arg(long, value_name = "N", hide = true)]
    pub transient_failures: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn reset_offsets_takes_negative_shifts_and_needs_a_spec_and_a_scope() {
        let cli = Cli::try_parse_from([
            "eventdeck",
            "groups",
            "reset-offsets",
            "-g",
            "g",
            "--topic",
            "t:0,1",
            "--shift-by",
            "-3",
        ])
        .expect("parses");
        let Some(Command::Groups {
            action: GroupsCommand::ResetOffsets(a),
        }) = cli.command
        else {
            panic!("not reset-offsets");
        };
        assert_eq!(a.target.shift_by, Some(-3));
        assert_eq!(a.target.topics, vec!["t:0,1".to_string()]);
        assert!(!a.execute);
        for bad in [
            &[
                "eventdeck",
                "groups",
                "reset-offsets",
                "-g",
                "g",
                "--topic",
                "t",
            ][..],
            &[
                "eventdeck",
                "groups",
                "reset-offsets",
                "-g",
                "g",
                "--to-latest",
            ][..],
            &[
                "eventdeck",
                "groups",
                "reset-offsets",
                "-g",
                "g",
                "--all-topics",
                "--to-latest",
                "--to-earliest",
            ][..],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
