//! Settings: built-in defaults < the TOML config file (a profile in it) < the
//! environment variables of the seed < the command line (`--brokers`, `-X`).
//!
//! Secrets (passwords, key passwords, `-X` properties that look like secrets) are
//! held in [`Secret`], whose `Debug` prints `***`, so a settings dump, a log line or
//! an error message can never carry one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::TopicMap;
use crate::domain::policy::{Action, Policies, PolicyError, PolicySpec};

/// Where the config file lives when `--config` is not given:
/// `~/.config/eventdeck/config.toml` on Linux (the `directories` crate's rules).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "eventdeck", "eventdeck")
        .map(|d| d.config_dir().join("config.toml"))
}

/// The directory for the log file, the outbox and the audit log.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("dev", "eventdeck", "eventdeck")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("eventdeck"))
}

/// A value that must never be printed: `Debug` shows `***`, and there is no `Display`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for handing to librdkafka and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Whether a librdkafka property holds a secret (its value is then kept in a [`Secret`]).
pub fn is_secret_property(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("secret")
        || key.ends_with(".key.pem")
        || key == "sasl.oauthbearer.config"
}

/// Security settings, named after the seed's environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// `security.protocol`: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    pub protocol: Option<String>,
    /// `sasl.mechanism`: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.
    pub sasl_mechanism: Option<String>,
    /// `sasl.username`.
    pub sasl_username: Option<String>,
    /// `sasl.password`; prefer `sasl_password_file` or the environment in files you share.
    pub sasl_password: Option<Secret>,
    /// A file whose first line is the SASL password.
    pub sasl_password_file: Option<PathBuf>,
    /// Ask for the SASL password on the terminal (without echo) when neither
    /// the environment nor a file gives one; `--ask-password` always asks.
    pub sasl_password_prompt: Option<bool>,
    /// `ssl.ca.location`.
    pub ssl_ca_location: Option<PathBuf>,
    /// `ssl.certificate.location` (mTLS).
    pub ssl_certificate_location: Option<PathBuf>,
    /// `ssl.key.location` (mTLS).
    pub ssl_key_location: Option<PathBuf>,
    /// `ssl.key.password`.
    pub ssl_key_password: Option<Secret>,
}

impl Security {
    /// Whether to ask for the password on the terminal: always with
    /// `--ask-password`; with `sasl_password_prompt = true` only when no
    /// password came from the environment, the file or a password file.
    pub fn wants_prompt(&self, ask_password: bool) -> bool {
        ask_password || (self.sasl_password_prompt == Some(true) && self.sasl_password.is_none())
    }
}

/// The schema registry (Confluent's REST API, or a registry that speaks it,
/// such as Apicurio's `/apis/ccompat/v7`): `[schema_registry]` in the config
/// file, overlaid field by field by a profile's own, then by the environment
/// (`SCHEMA_REGISTRY_URL`, `…_USERNAME`, `…_PASSWORD`) and `--schema-registry`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaRegistry {
    /// Base URL, e.g. `http://127.0.0.1:8081` or `…/apis/ccompat/v7`. Credentials
    /// written into it (`https://user:pw@host`) are moved to `username` and
    /// `password`, so the URL can be shown.
    pub url: Option<String>,
    /// HTTP basic-auth user.
    pub username: Option<String>,
    /// HTTP basic-auth password.
    pub password: Option<Secret>,
    /// CA bundle (PEM) that signs the registry's certificate.
    pub ssl_ca_location: Option<PathBuf>,
    /// Client certificate (PEM) for mTLS.
    pub ssl_certificate_location: Option<PathBuf>,
    /// The client certificate's key (PEM).
    pub ssl_key_location: Option<PathBuf>,
}

impl SchemaRegistry {
    /// `self`, each field that `over` sets replaced by `over`'s.
    fn overlay(self, over: Self) -> Self {
        Self {
            url: over.url.or(self.url),
            username: over.username.or(self.username),
            password: over.password.or(self.password),
            ssl_ca_location: over.ssl_ca_location.or(self.ssl_ca_location),
            ssl_certificate_location: over
                .ssl_certificate_location
                .or(self.ssl_certificate_location),
            ssl_key_location: over.ssl_key_location.or(self.ssl_key_location),
        }
    }

    /// Moves credentials written into the URL (`scheme://user:pw@host/…`) to
    /// `username` and `password` (where those are not set already), so the URL
    /// that remains can be shown and logged. True when the URL held a password.
    fn take_url_credentials(&mut self) -> bool {
        let Some(url) = &self.url else {
            return false;
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return false;
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let Some((user_info, host)) = rest[..authority_end].rsplit_once('@') else {
            return false;
        };
        let (user, password) = match user_info.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (user_info, None),
        };
        if self.username.is_none() && !user.is_empty() {
            self.username = Some(user.to_string());
        }
        if self.password.is_none()
            && let Some(password) = password
        {
            self.password = Some(Secret::new(password));
        }
        let had_password = password.is_some();
        let stripped = format!("{scheme}://{host}{}", &rest[authority_end..]);
        self.url = Some(stripped);
        had_password
    }
}

/// One cluster as written in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    brokers: Option<String>,
    client_id: Option<String>,
    consumer_group: Option<String>,
    read_only: Option<bool>,
    /// The bridge's Kafka → local side in transactions (over `[bridge]`'s).
    exactly_once: Option<bool>,
    #[serde(default)]
    security: Security,
    /// This cluster's schema registry (over the file's `[schema_registry]`).
    #[serde(default)]
    schema_registry: SchemaRegistry,
    /// Any librdkafka property, as with `-X`.
    #[serde(default)]
    librdkafka: BTreeMap<String, String>,
    /// This cluster's data policies (after the file's `[[policies]]`).
    #[serde(default)]
    policies: Vec<PolicySpec>,
    /// `--unmask` is allowed on this cluster.
    allow_unmask: Option<bool>,
    /// The salt of the `hash` action (over the file's `policy_salt`).
    policy_salt: Option<Secret>,
}

/// The topic section of the config file: context → topic, and the DLQ suffix.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicsFile {
    dlq_suffix: Option<String>,
    #[serde(default)]
    contexts: BTreeMap<String, String>,
}

/// The bridge section of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BridgeFile {
    /// `bridge --exactly-once` without the flag.
    exactly_once: Option<bool>,
}

/// The UI section of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// `dark` or `light`.
    pub theme: String,
    /// Records kept per stream in the Streams pane (older ones are evicted and counted).
    pub ring_size: usize,
    /// Memory for the records the console holds (the Streams pane, across every
    /// stream, and the DLQ pane, which takes at most a quarter), in MiB: past it
    /// the oldest records are evicted (and counted).
    pub memory_mb: u64,
    /// Frames per second at most.
    pub max_fps: u32,
    /// Lag poll interval in milliseconds.
    pub lag_poll_ms: u64,
    /// Records per second a DLQ redrive from the console sends at most.
    pub redrive_rate: u32,
    /// Key overrides: `"streams.p" = "pause"`.
    pub keys: BTreeMap<String, String>,
    /// Colour overrides: `context.debate = "#ff8800"`.
    pub colors: BTreeMap<String, String>,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: "dark".into(),
            ring_size: 10_000,
            memory_mb: 256,
            max_fps: 30,
            lag_poll_ms: 2_000,
            redrive_rate: 100,
            keys: BTreeMap::new(),
            colors: BTreeMap::new(),
        }
    }
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    data_dir: Option<PathBuf>,
    #[serde(default)]
    profiles: BTreeMap<String, ProfileFile>,
    #[serde(default)]
    topics: TopicsFile,
    #[serde(default)]
    ui: UiConfig,
    #[serde(default)]
    schema_registry: SchemaRegistry,
    #[serde(default)]
    bridge: BridgeFile,
    /// Data policies of every profile (`[[policies]]`).
    #[serde(default)]
    policies: Vec<PolicySpec>,
    /// The salt of the `hash` action; without one, a random salt kept in
    /// the data dir (`policy-salt`, 0600).
    policy_salt: Option<Secret>,
}

/// What the command line says about configuration (the global flags).
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--config PATH`.
    pub config: Option<PathBuf>,
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--brokers host:port,...`.
    pub brokers: Option<String>,
    /// `--read-only`.
    pub read_only: bool,
    /// `-X key=value`, in order.
    pub properties: Vec<(String, String)>,
    /// `--schema-registry URL`.
    pub schema_registry: Option<String>,
}

/// Errors while loading configuration. None of them carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for eventdeck.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (line and column included).
        message: String,
    },
    /// `--profile` named a profile the file does not have.
    #[error("no profile named '{name}' in {path} (profiles there: {known})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The file.
        path: String,
        /// The names it has.
        known: String,
    },
    /// A `-X` argument without `=`.
    #[error("-X expects key=value, got '{0}'")]
    BadProperty(String),
    /// A data policy cannot be used.
    #[error("config file {path}: {source}")]
    Policy {
        /// The file.
        path: String,
        /// The policy and field at fault.
        source: PolicyError,
    },
    /// The per-install salt of the `hash` action could not be read or made.
    #[error("cannot read or create the policy salt {path}: {source}")]
    Salt {
        /// The salt file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The password file could not be read.
    #[error("cannot read SASL password file {path}: {source}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The resolved settings every command runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The profile's name (`default` when none was chosen).
    pub profile: String,
    /// `bootstrap.servers`.
    pub brokers: String,
    /// False when no broker was named anywhere (flag, environment, profile)
    /// and `brokers` is the default guess.
    pub brokers_configured: bool,
    /// What the brokers can do: a Kafka cluster's by default; whoever starts
    /// an embedded broker and points `brokers` at it sets its caps here.
    pub caps: crate::kafka::BrokerCaps,
    /// `client.id`.
    pub client_id: String,
    /// The consumer group of the bridge.
    pub consumer_group: String,
    /// No mutating action allowed.
    pub read_only: bool,
    /// The bridge consumes → handles → produces in Kafka transactions
    /// (`exactly_once` in the profile, else in `[bridge]`; `bridge
    /// --exactly-once` turns it on too).
    pub exactly_once: bool,
    /// Security settings.
    pub security: Security,
    /// The schema registry; its `url` is `None` when none is configured.
    pub schema_registry: SchemaRegistry,
    /// librdkafka properties passed through (file's `librdkafka` table, then `-X`).
    pub properties: BTreeMap<String, PropertyValue>,
    /// Context → topic map and DLQ suffix.
    pub topics: TopicMap,
    /// The data policies every record shown passes through (the file's,
    /// then the profile's); none after an allowed `--unmask`.
    pub policies: Policies,
    /// The profile lets `--unmask` turn the policies off.
    pub allow_unmask: bool,
    /// `--unmask` was allowed and is on: records are shown as read.
    pub unmasked: bool,
    /// UI settings.
    pub ui: UiConfig,
    /// Logs, outbox and audit log go here.
    pub data_dir: PathBuf,
    /// The config file that was read, if any.
    pub config_path: Option<PathBuf>,
    /// What others could read or see of these settings' secrets and files (an
    /// open data dir, a readable config file with a password, a password given
    /// with `-X`), each with its fix: said on stderr and in the console.
    pub warnings: Vec<String>,
}

/// A passed-through librdkafka property value; secret ones are redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum PropertyValue {
    /// An ordinary value.
    Plain(String),
    /// A secret value.
    Secret(Secret),
}

impl PropertyValue {
    fn new(key: &str, value: String) -> Self {
        if is_secret_property(key) {
            Self::Secret(Secret::new(value))
        } else {
            Self::Plain(value)
        }
    }
    /// The value for librdkafka.
    pub fn expose(&self) -> &str {
        match self {
            Self::Plain(v) => v,
            Self::Secret(s) => s.expose(),
        }
    }
}

impl fmt::Debug for PropertyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(v) => write!(f, "{v:?}"),
            Self::Secret(s) => write!(f, "{s:?}"),
        }
    }
}

/// The seed's environment variable names.
pub mod env {
    /// `bootstrap.servers`.
    pub const BOOTSTRAP_SERVERS: &str = "KAFKA_BOOTSTRAP_SERVERS";
    /// `client.id`.
    pub const CLIENT_ID: &str = "KAFKA_CLIENT_ID";
    /// The bridge's consumer group.
    pub const CONSUMER_GROUP: &str = "KAFKA_CONSUMER_GROUP";
    /// `security.protocol`.
    pub const SECURITY_PROTOCOL: &str = "KAFKA_SECURITY_PROTOCOL";
    /// `sasl.mechanism`.
    pub const SASL_MECHANISM: &str = "KAFKA_SASL_MECHANISM";
    /// `sasl.username`.
    pub const SASL_USERNAME: &str = "KAFKA_SASL_USERNAME";
    /// `sasl.password`.
    pub const SASL_PASSWORD: &str = "KAFKA_SASL_PASSWORD";
    /// `ssl.ca.location`.
    pub const SSL_CA_LOCATION: &str = "KAFKA_SSL_CA_LOCATION";
    /// `ssl.certificate.location`.
    pub const SSL_CERTIFICATE_LOCATION: &str = "KAFKA_SSL_CERTIFICATE_LOCATION";
    /// `ssl.key.location`.
    pub const SSL_KEY_LOCATION: &str = "KAFKA_SSL_KEY_LOCATION";
    /// `ssl.key.password`, for an encrypted client key.
    pub const SSL_KEY_PASSWORD: &str = "KAFKA_SSL_KEY_PASSWORD";
    /// Profile to use when `--profile` is not given.
    pub const PROFILE: &str = "EVENTDECK_PROFILE";
    /// The schema registry's URL.
    pub const SCHEMA_REGISTRY_URL: &str = "SCHEMA_REGISTRY_URL";
    /// The schema registry's basic-auth user.
    pub const SCHEMA_REGISTRY_USERNAME: &str = "SCHEMA_REGISTRY_USERNAME";
    /// The schema registry's basic-auth password.
    pub const SCHEMA_REGISTRY_PASSWORD: &str = "SCHEMA_REGISTRY_PASSWORD";
}

const DEFAULT_BROKERS: &str = "localhost:9092";
const DEFAULT_CLIENT_ID: &str = "eventdeck";
const DEFAULT_GROUP: &str = "eventdeck-bridge";

impl Settings {
    /// Loads settings from the process environment and the given CLI flags.
    pub fn load(cli: &CliOverrides) -> Result<Self, ConfigError> {
        Self::load_with_env(cli, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Settings for tests: the defaults, with no config file and no environment,
    /// these brokers (the default's when `None`) and `dir` as the data
    /// directory, so nothing a test writes lands in the user's own.
    #[doc(hidden)]
    pub fn for_tests(brokers: Option<&str>, dir: &Path) -> Self {
        let mut settings = Self::load_with_env(
            &CliOverrides {
                config: Some("/dev/null".into()),
                brokers: brokers.map(str::to_string),
                ..CliOverrides::default()
            },
            &|_| None,
        )
        .expect("the defaults always load");
        settings.data_dir = dir.to_path_buf();
        settings
    }

    /// Loads settings with an explicit environment lookup (for tests).
    pub fn load_with_env(
        cli: &CliOverrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (file, config_path, file_holds_secret) = read_config_file(cli.config.as_deref())?;
        let profile_name = cli
            .profile
            .clone()
            .or_else(|| env(env::PROFILE))
            .or_else(|| file.default_profile.clone());
        let profile = match &profile_name {
            Some(name) => {
                file.profiles
                    .get(name)
                    .cloned()
                    .ok_or_else(|| ConfigError::UnknownProfile {
                        name: name.clone(),
                        path: config_path
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_else(|| "(no config file)".into()),
                        known: if file.profiles.is_empty() {
                            "none".into()
                        } else {
                            file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                        },
                    })?
            }
            None => ProfileFile::default(),
        };

        let mut security = profile.security.clone();
        let set = |slot: &mut Option<String>, var: &str| {
            if let Some(v) = env(var) {
                *slot = Some(v);
            }
        };
        set(&mut security.protocol, env::SECURITY_PROTOCOL);
        set(&mut security.sasl_mechanism, env::SASL_MECHANISM);
        set(&mut security.sasl_username, env::SASL_USERNAME);
        if let Some(v) = env(env::SASL_PASSWORD) {
            security.sasl_password = Some(Secret::new(v));
        }
        if let Some(v) = env(env::SSL_KEY_PASSWORD) {
            security.ssl_key_password = Some(Secret::new(v));
        }
        for (slot, var) in [
            (&mut security.ssl_ca_location, env::SSL_CA_LOCATION),
            (
                &mut security.ssl_certificate_location,
                env::SSL_CERTIFICATE_LOCATION,
            ),
            (&mut security.ssl_key_location, env::SSL_KEY_LOCATION),
        ] {
            if let Some(v) = env(var) {
                *slot = Some(PathBuf::from(v));
            }
        }
        if security.sasl_password.is_none()
            && let Some(path) = &security.sasl_password_file
        {
            let text =
                std::fs::read_to_string(path).map_err(|source| ConfigError::PasswordFile {
                    path: path.clone(),
                    source,
                })?;
            security.sasl_password = Some(Secret::new(text.lines().next().unwrap_or("").trim()));
        }

        let mut properties: BTreeMap<String, PropertyValue> = profile
            .librdkafka
            .iter()
            .map(|(k, v)| (k.clone(), PropertyValue::new(k, v.clone())))
            .collect();
        for (k, v) in &cli.properties {
            properties.insert(k.clone(), PropertyValue::new(k, v.clone()));
        }

        let mut topics = TopicMap::default();
        for (ctx, topic) in &file.topics.contexts {
            topics.set_topic(ctx, topic);
        }
        if let Some(suffix) = &file.topics.dlq_suffix {
            let map: BTreeMap<String, String> = topics
                .contexts()
                .filter_map(|c| Some((c.to_string(), topics.topic_for(c)?.to_string())))
                .collect();
            topics = TopicMap::new(map, suffix.clone());
        }

        let (schema_registry, url_password_on_command_line) =
            schema_registry(&file, &profile, cli, env);

        let data_dir = file.data_dir.clone().unwrap_or_else(default_data_dir);
        let policies = policies(&file, &profile, &data_dir, config_path.as_deref())?;
        let brokers = cli
            .brokers
            .clone()
            .or_else(|| env(env::BOOTSTRAP_SERVERS))
            .or(profile.brokers);
        Ok(Self {
            profile: profile_name.unwrap_or_else(|| "default".into()),
            brokers_configured: brokers.is_some(),
            brokers: brokers.unwrap_or_else(|| DEFAULT_BROKERS.into()),
            caps: crate::kafka::BrokerCaps::KAFKA,
            client_id: env(env::CLIENT_ID)
                .or(profile.client_id)
                .unwrap_or_else(|| DEFAULT_CLIENT_ID.into()),
            consumer_group: env(env::CONSUMER_GROUP)
                .or(profile.consumer_group)
                .unwrap_or_else(|| DEFAULT_GROUP.into()),
            read_only: cli.read_only || profile.read_only.unwrap_or(false),
            exactly_once: profile
                .exactly_once
                .or(file.bridge.exactly_once)
                .unwrap_or(false),
            security,
            schema_registry,
            properties,
            topics,
            policies,
            allow_unmask: profile.allow_unmask.unwrap_or(false),
            unmasked: false,
            ui: file.ui,
            data_dir: data_dir.clone(),
            warnings: crate::private::data_dir_warning(&data_dir)
                .into_iter()
                .chain(
                    config_path
                        .as_deref()
                        .and_then(|p| crate::private::config_file_warning(p, file_holds_secret)),
                )
                .chain(crate::private::command_line_warnings(
                    cli.properties.iter().map(|(k, _)| k.as_str()),
                ))
                .chain(
                    url_password_on_command_line
                        .then(|| SCHEMA_REGISTRY_PASSWORD_ON_COMMAND_LINE.to_string()),
                )
                .collect(),
            config_path,
        })
    }

    /// Every librdkafka property these settings imply, secrets included, in the
    /// order they are applied (security first, then pass-through, which wins).
    pub fn librdkafka_properties(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("bootstrap.servers".to_string(), self.brokers.clone()),
            ("client.id".to_string(), self.client_id.clone()),
        ];
        let s = &self.security;
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k.to_string(), v));
            }
        };
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        push("security.protocol", s.protocol.clone());
        push("sasl.mechanism", s.sasl_mechanism.clone());
        push("sasl.username", s.sasl_username.clone());
        push(
            "sasl.password",
            s.sasl_password.as_ref().map(|p| p.expose().to_string()),
        );
        push("ssl.ca.location", path(&s.ssl_ca_location));
        push(
            "ssl.certificate.location",
            path(&s.ssl_certificate_location),
        );
        push("ssl.key.location", path(&s.ssl_key_location));
        push(
            "ssl.key.password",
            s.ssl_key_password.as_ref().map(|p| p.expose().to_string()),
        );
        for (k, v) in &self.properties {
            out.push((k.clone(), v.expose().to_string()));
        }
        out
    }

    /// A short, secret-free name of the cluster for the header and messages.
    pub fn cluster_label(&self) -> String {
        if self.profile == "default" {
            self.brokers.clone()
        } else {
            format!("{} ({})", self.profile, self.brokers)
        }
    }
}

/// The policies of the file, then the profile's, with their salt: the
/// profile's `policy_salt`, else the file's, else the per-install one in the
/// data dir (read, or made on first use, only when a policy hashes).
fn policies(
    file: &ConfigFile,
    profile: &ProfileFile,
    data_dir: &Path,
    config_path: Option<&Path>,
) -> Result<Policies, ConfigError> {
    let specs: Vec<PolicySpec> = file
        .policies
        .iter()
        .chain(&profile.policies)
        .cloned()
        .collect();
    let path = || {
        config_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no config file)".into())
    };
    // Checked without a salt first: a bad policy is said before any file is made.
    let checked = Policies::new(&specs, Vec::new()).map_err(|source| ConfigError::Policy {
        path: path(),
        source,
    })?;
    if !checked.iter().any(|p| p.action == Action::Hash) {
        return Ok(checked);
    }
    let salt = match profile.policy_salt.as_ref().or(file.policy_salt.as_ref()) {
        Some(salt) => salt.expose().as_bytes().to_vec(),
        None => install_salt(data_dir)?,
    };
    Policies::new(&specs, salt).map_err(|source| ConfigError::Policy {
        path: path(),
        source,
    })
}

/// Name of the per-install salt in the data dir.
pub const SALT_FILE: &str = "policy-salt";

/// Bytes of a per-install salt (shown as hex in its file).
const SALT_BYTES: usize = 32;

/// The per-install salt of the `hash` action: `<data dir>/policy-salt`,
/// made 0600 with random bytes the first time (a second process that
/// loses the race to make it reads the winner's).
fn install_salt(dir: &Path) -> Result<Vec<u8>, ConfigError> {
    use std::io::Write as _;
    let path = dir.join(SALT_FILE);
    let err = |source| ConfigError::Salt {
        path: path.clone(),
        source,
    };
    let read = || -> Result<Vec<u8>, ConfigError> {
        let text = std::fs::read_to_string(&path).map_err(err)?;
        let salt = text.trim();
        if salt.is_empty() {
            return Err(err(std::io::Error::other("the file is empty")));
        }
        Ok(salt.as_bytes().to_vec())
    };
    if path.exists() {
        return read();
    }
    crate::private::create_dir_all(dir).map_err(err)?;
    let bytes: [u8; SALT_BYTES] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match crate::private::options()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut f) => {
            f.write_all(hex.as_bytes()).map_err(err)?;
            Ok(hex.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(),
        Err(e) => Err(err(e)),
    }
}

/// Said when `--schema-registry` carries a password: every user sees it in `ps`.
pub const SCHEMA_REGISTRY_PASSWORD_ON_COMMAND_LINE: &str = "--schema-registry with a password in the URL is visible to every user of this machine (ps); \
     use SCHEMA_REGISTRY_PASSWORD or the config file (chmod 600) instead";

/// The schema registry: the file's `[schema_registry]`, the profile's over it,
/// then the environment, then `--schema-registry`. Also whether the
/// command line's URL carried a password.
fn schema_registry(
    file: &ConfigFile,
    profile: &ProfileFile,
    cli: &CliOverrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> (SchemaRegistry, bool) {
    let mut registry = file
        .schema_registry
        .clone()
        .overlay(profile.schema_registry.clone());
    registry.take_url_credentials();
    let mut from_env = SchemaRegistry {
        url: env(env::SCHEMA_REGISTRY_URL),
        username: env(env::SCHEMA_REGISTRY_USERNAME),
        password: env(env::SCHEMA_REGISTRY_PASSWORD).map(Secret::new),
        ..SchemaRegistry::default()
    };
    from_env.take_url_credentials();
    registry = registry.overlay(from_env);
    let mut from_cli = SchemaRegistry {
        url: cli.schema_registry.clone(),
        ..SchemaRegistry::default()
    };
    let password_on_command_line = from_cli.take_url_credentials();
    (registry.overlay(from_cli), password_on_command_line)
}

/// True when a config file's text sets a password or another secret.
fn holds_secret(text: &str) -> bool {
    text.lines().any(|line| {
        let key = line
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        // `password`: the schema registry's (`[schema_registry]`).
        [
            "sasl_password",
            "ssl_key_password",
            "password",
            "policy_salt",
        ]
        .contains(&key)
            || crate::private::SECRET_PROPERTIES.contains(&key)
    })
}

/// The config file (default when none exists), its path, and whether it holds
/// a secret.
fn read_config_file(
    explicit: Option<&Path>,
) -> Result<(ConfigFile, Option<PathBuf>, bool), ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match default_config_path() {
            Some(p) if p.exists() => p,
            _ => return Ok((ConfigFile::default(), None, false)),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    // Only the parser's message and position: its default rendering quotes the
    // offending line, which could be a password.
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let position = e.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(" at line {line} column {column}")
        });
        ConfigError::Parse {
            path: path.clone(),
            message: format!(
                "{}{}",
                redact_quoted(e.message()),
                position.unwrap_or_default()
            ),
        }
    })?;
    Ok((file, Some(path), holds_secret(&text)))
}

/// Replaces what a parser message quotes between backticks (the offending value,
/// which may be a secret) with `…`. A message about the file's keys (an
/// unknown, missing or repeated field) quotes only key names, which the reader
/// needs to mend the file: it is kept as it is.
fn redact_quoted(message: &str) -> String {
    if ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|about_keys| message.starts_with(about_keys))
    {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if i % 2 == 0 {
            out.push_str("`…`");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Parses one `-X key=value` argument.
pub fn parse_property(arg: &str) -> Result<(String, String), ConfigError> {
    match arg.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(ConfigError::BadProperty(if is_secret_property(arg) {
            "***".into()
        } else {
            arg.to_string()
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const FILE: &str = r#"
default_profile = "staging"
data_dir = "/tmp/ed-test-data"

[profiles.staging]
brokers = "staging-kafka:9092"
client_id = "ed-staging"
consumer_group = "staging-group"
[profiles.staging.librdkafka]
"fetch.min.bytes" = "1"
"linger.ms" = "7"

[profiles.prod]
brokers = "prod-kafka:9093"
read_only = true
[profiles.prod.security]
protocol = "SASL_SSL"
sasl_mechanism = "SCRAM-SHA-512"
sasl_username = "oncall"
sasl_password = "file-pw-hunter2"
ssl_ca_location = "/etc/ca.pem"

[topics]
dlq_suffix = ".DLT"
[topics.contexts]
debate = "debates.v2"

[ui]
theme = "light"
ring_size = 500
"#;

    fn write_file(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    fn load(cli: CliOverrides, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_with_env(&cli, &move |k| env.get(k).cloned())
    }

    fn cli_with(file: &tempfile::NamedTempFile) -> CliOverrides {
        CliOverrides {
            config: Some(file.path().to_path_buf()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_apply_without_file_env_or_flags() {
        let f = write_file("");
        let s = load(cli_with(&f), &[]).expect("load");
        assert_eq!(s.brokers, "localhost:9092");
        assert_eq!(s.client_id, "eventdeck");
        assert_eq!(s.profile, "default");
        assert!(!s.read_only);
        assert_eq!(s.topics.topic_for("debate"), Some("debate.events"));
    }

    #[test]
    fn exactly_once_comes_from_the_bridge_section_and_a_profile_overrides_it() {
        let f = write_file("");
        assert!(
            !load(cli_with(&f), &[]).expect("load").exactly_once,
            "off by default"
        );
        let f =
            write_file("[bridge]\nexactly_once = true\n\n[profiles.loose]\nexactly_once = false\n");
        assert!(load(cli_with(&f), &[]).expect("load").exactly_once);
        let cli = CliOverrides {
            profile: Some("loose".into()),
            ..cli_with(&f)
        };
        assert!(!load(cli, &[]).expect("load").exactly_once);
    }

    #[test]
    fn file_default_profile_beats_defaults() {
        let f = write_file(FILE);
        let s = load(cli_with(&f), &[]).expect("load");
        assert_eq!(s.profile, "staging");
        assert_eq!(s.brokers, "staging-kafka:9092");
        assert_eq!(s.client_id, "ed-staging");
        assert_eq!(s.consumer_group, "staging-group");
        assert_eq!(s.ui.theme, "light");
        assert_eq!(s.ui.ring_size, 500);
        assert_eq!(s.data_dir, PathBuf::from("/tmp/ed-test-data"));
        assert_eq!(s.topics.topic_for("debate"), Some("debates.v2"));
        assert_eq!(s.topics.dlq_topic("debates.v2"), "debates.v2.DLT");
        assert_eq!(s.topics.topic_for("testing"), Some("testing.events"));
    }

    #[test]
    fn env_beats_file_and_cli_beats_env() {
        let f = write_file(FILE);
        let env = [
            ("KAFKA_BOOTSTRAP_SERVERS", "env-kafka:9092"),
            ("KAFKA_CLIENT_ID", "env-client"),
            ("KAFKA_CONSUMER_GROUP", "env-group"),
        ];
        let s = load(cli_with(&f), &env).expect("load");
        assert_eq!(s.brokers, "env-kafka:9092");
        assert_eq!(s.client_id, "env-client");
        assert_eq!(s.consumer_group, "env-group");

        let mut cli = cli_with(&f);
        cli.brokers = Some("cli-kafka:9092".into());
        cli.properties = vec![("linger.ms".into(), "42".into())];
        let s = load(cli, &env).expect("load");
        assert_eq!(s.brokers, "cli-kafka:9092");
        let props: HashMap<_, _> = s.librdkafka_properties().into_iter().collect();
        assert_eq!(props["linger.ms"], "42", "-X beats the file's table");
        assert_eq!(props["fetch.min.bytes"], "1");
        assert_eq!(props["bootstrap.servers"], "cli-kafka:9092");
    }

    #[test]
    fn profile_flag_selects_a_profile_and_env_profile_is_a_fallback() {
        let f = write_file(FILE);
        let mut cli = cli_with(&f);
        cli.profile = Some("prod".into());
        let s = load(cli, &[("EVENTDECK_PROFILE", "staging")]).expect("load");
        assert_eq!(s.profile, "prod");
        assert!(s.read_only, "prod is read-only in the file");
        assert_eq!(s.security.protocol.as_deref(), Some("SASL_SSL"));

        let s = load(cli_with(&f), &[("EVENTDECK_PROFILE", "prod")]).expect("load");
        assert_eq!(s.profile, "prod");
    }

    #[test]
    fn unknown_profile_is_a_clear_error() {
        let f = write_file(FILE);
        let mut cli = cli_with(&f);
        cli.profile = Some("qa".into());
        let err = load(cli, &[]).expect_err("qa does not exist").to_string();
        assert!(err.contains("no profile named 'qa'"), "{err}");
        assert!(err.contains("prod, staging"), "{err}");
    }

    #[test]
    fn security_env_vars_override_the_profile() {
        let f = write_file(FILE);
        let mut cli = cli_with(&f);
        cli.profile = Some("prod".into());
        let env = [
            ("KAFKA_SASL_USERNAME", "alice"),
            ("KAFKA_SASL_PASSWORD", "env-pw-s3cret"),
            ("KAFKA_SSL_CERTIFICATE_LOCATION", "/c.pem"),
            ("KAFKA_SSL_KEY_LOCATION", "/k.pem"),
            ("KAFKA_SSL_KEY_PASSWORD", "key-pw-9921"),
        ];
        let s = load(cli, &env).expect("load");
        assert!(!format!("{s:?}").contains("key-pw-9921"));
        let props: HashMap<_, _> = s.librdkafka_properties().into_iter().collect();
        assert_eq!(props["security.protocol"], "SASL_SSL");
        assert_eq!(props["sasl.mechanism"], "SCRAM-SHA-512");
        assert_eq!(props["sasl.username"], "alice");
        assert_eq!(props["sasl.password"], "env-pw-s3cret");
        assert_eq!(props["ssl.ca.location"], "/etc/ca.pem");
        assert_eq!(props["ssl.certificate.location"], "/c.pem");
        assert_eq!(props["ssl.key.location"], "/k.pem");
        assert_eq!(props["ssl.key.password"], "key-pw-9921");
    }

    #[test]
    fn secrets_never_appear_in_debug() {
        let f = write_file(FILE);
        let mut cli = cli_with(&f);
        cli.profile = Some("prod".into());
        cli.properties = vec![
            ("ssl.keystore.password".into(), "x-prop-pw-777".into()),
            (
                "sasl.oauthbearer.client.secret".into(),
                "x-secret-888".into(),
            ),
        ];
        let s = load(cli.clone(), &[]).expect("load");
        let dump = format!("{s:?} {s:#?}");
        for secret in ["file-pw-hunter2", "x-prop-pw-777", "x-secret-888"] {
            assert!(!dump.contains(secret), "{secret} leaked in {dump}");
        }
        assert!(dump.contains("***"));
        let s = load(cli, &[("KAFKA_SASL_PASSWORD", "env-pw-s3cret")]).expect("load");
        assert!(!format!("{s:?}").contains("env-pw-s3cret"));
    }

    #[test]
    fn password_file_is_read_and_redacted() {
        let pw = write_file("pw-from-file-123\n");
        let toml = format!(
            "[profiles.p.security]\nsasl_password_file = {:?}\n",
            pw.path().display().to_string()
        );
        let f = write_file(&toml);
        let mut cli = cli_with(&f);
        cli.profile = Some("p".into());
        let s = load(cli, &[]).expect("load");
        let props: HashMap<_, _> = s.librdkafka_properties().into_iter().collect();
        assert_eq!(props["sasl.password"], "pw-from-file-123");
        assert!(!format!("{s:?}").contains("pw-from-file-123"));
    }

    #[test]
    fn an_unknown_key_is_named_with_the_keys_allowed_there() {
        let f = write_file("[topics]\ntrial = \"trial.events\"\n");
        let err = load(cli_with(&f), &[])
            .expect_err("unknown key")
            .to_string();
        assert!(
            err.contains("unknown field `trial`, expected `dlq_suffix` or `contexts`"),
            "{err}"
        );
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_inputs_give_errors_without_secrets() {
        let f = write_file("[profiles.x.security]\nsasl_password = 12345678\n");
        let err = load(cli_with(&f), &[]).expect_err("type error").to_string();
        assert!(err.contains("is invalid"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("12345678"), "{err}");

        let err = parse_property("sasl.password")
            .expect_err("no =")
            .to_string();
        assert!(err.contains("key=value"), "{err}");
        assert_eq!(
            parse_property("a.b=c=d").expect("ok"),
            ("a.b".to_string(), "c=d".to_string())
        );
        let missing = CliOverrides {
            config: Some("/nonexistent/eventdeck.toml".into()),
            ..Default::default()
        };
        let err = load(missing, &[]).expect_err("missing").to_string();
        assert!(err.contains("cannot read config file"), "{err}");
    }

    #[test]
    fn the_shipped_example_config_loads() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml");
        let cli = CliOverrides {
            config: Some(path),
            profile: Some("mtls".into()),
            ..Default::default()
        };
        let s = load(cli.clone(), &[]).expect("example config is valid");
        assert_eq!(s.security.protocol.as_deref(), Some("SSL"));
        assert_eq!(
            s.schema_registry.url.as_deref(),
            Some("https://registry.internal:8443")
        );
        let local = CliOverrides {
            profile: Some("local".into()),
            ..cli
        };
        let s = load(local, &[]).expect("example config is valid");
        assert_eq!(
            s.schema_registry.url.as_deref(),
            Some("http://127.0.0.1:8081/apis/ccompat/v7")
        );
        // Its data policies load too (none of the file's own hashes: loading
        // it makes no salt file in the user's data dir).
        let names: Vec<&str> = s.policies.iter().map(|p| &*p.name).collect();
        assert_eq!(names, ["pii-email", "cards", "passwords", "tagged-pii"]);
        assert_eq!(s.topics.topic_for("debate"), Some("debate.events"));
    }

    #[test]
    fn password_prompt_only_when_asked_or_when_nothing_else_gives_one() {
        let f = write_file(
            "[profiles.p.security]\nsasl_username = \"alice\"\nsasl_password_prompt = true\n",
        );
        let mut cli = cli_with(&f);
        cli.profile = Some("p".into());
        let s = load(cli.clone(), &[]).expect("load");
        assert!(
            s.security.wants_prompt(false),
            "the profile asks and no password is set"
        );
        let s = load(cli, &[("KAFKA_SASL_PASSWORD", "from-env")]).expect("load");
        assert!(
            !s.security.wants_prompt(false),
            "the environment gives the password"
        );
        assert!(s.security.wants_prompt(true), "--ask-password always asks");
        let plain = load(cli_with(&write_file("")), &[]).expect("load");
        assert!(!plain.security.wants_prompt(false));
    }

    const REGISTRY_FILE: &str = r#"
[schema_registry]
url = "http://file-registry:8081"
username = "file-user"
password = "sr-file-pw-4411"
ssl_ca_location = "/etc/sr-ca.pem"

[profiles.prod]
brokers = "prod-kafka:9093"
[profiles.prod.schema_registry]
url = "https://prod-registry/apis/ccompat/v7"
ssl_certificate_location = "/etc/sr-client.pem"
ssl_key_location = "/etc/sr-client.key"

[profiles.bare]
brokers = "bare-kafka:9092"
"#;

    #[test]
    fn schema_registry_is_unset_by_default() {
        let s = load(cli_with(&write_file("")), &[]).expect("load");
        assert_eq!(s.schema_registry, SchemaRegistry::default());
    }

    #[test]
    fn schema_registry_profile_overlays_the_file_section_field_by_field() {
        let f = write_file(REGISTRY_FILE);
        let s = load(cli_with(&f), &[]).expect("load");
        assert_eq!(
            s.schema_registry.url.as_deref(),
            Some("http://file-registry:8081")
        );
        assert_eq!(s.schema_registry.username.as_deref(), Some("file-user"));
        assert_eq!(
            s.schema_registry.password.as_ref().map(Secret::expose),
            Some("sr-file-pw-4411")
        );

        let mut cli = cli_with(&f);
        cli.profile = Some("prod".into());
        let r = load(cli, &[]).expect("load").schema_registry;
        assert_eq!(
            r.url.as_deref(),
            Some("https://prod-registry/apis/ccompat/v7")
        );
        assert_eq!(r.username.as_deref(), Some("file-user"), "from the file");
        assert_eq!(r.ssl_ca_location, Some(PathBuf::from("/etc/sr-ca.pem")));
        assert_eq!(
            r.ssl_certificate_location,
            Some(PathBuf::from("/etc/sr-client.pem"))
        );
        assert_eq!(
            r.ssl_key_location,
            Some(PathBuf::from("/etc/sr-client.key"))
        );
    }

    #[test]
    fn schema_registry_env_beats_the_file_and_the_flag_beats_env() {
        let f = write_file(REGISTRY_FILE);
        let mut cli = cli_with(&f);
        cli.profile = Some("bare".into());
        let env = [
            ("SCHEMA_REGISTRY_URL", "http://env-registry:8081"),
            ("SCHEMA_REGISTRY_USERNAME", "env-user"),
            ("SCHEMA_REGISTRY_PASSWORD", "sr-env-pw-8812"),
        ];
        let r = load(cli.clone(), &env).expect("load").schema_registry;
        assert_eq!(r.url.as_deref(), Some("http://env-registry:8081"));
        assert_eq!(r.username.as_deref(), Some("env-user"));
        assert_eq!(
            r.password.as_ref().map(Secret::expose),
            Some("sr-env-pw-8812")
        );

        cli.schema_registry = Some("http://127.0.0.1:18081/apis/ccompat/v7".into());
        let s = load(cli, &env).expect("load");
        assert_eq!(
            s.schema_registry.url.as_deref(),
            Some("http://127.0.0.1:18081/apis/ccompat/v7")
        );
        assert_eq!(
            s.schema_registry.username.as_deref(),
            Some("env-user"),
            "the flag names only the URL"
        );
        assert!(s.warnings.iter().all(|w| !w.contains("--schema-registry")));
    }

    #[test]
    fn schema_registry_credentials_in_a_url_are_taken_out_of_it() {
        let empty = write_file("");
        let cli = CliOverrides {
            config: Some(empty.path().to_path_buf()),
            schema_registry: Some("https://cli-user:sr-cli-pw-77@registry:8443/ccompat?x=1".into()),
            ..Default::default()
        };
        let s = load(cli, &[]).expect("load");
        let r = &s.schema_registry;
        assert_eq!(r.url.as_deref(), Some("https://registry:8443/ccompat?x=1"));
        assert_eq!(r.username.as_deref(), Some("cli-user"));
        assert_eq!(
            r.password.as_ref().map(Secret::expose),
            Some("sr-cli-pw-77")
        );
        assert!(!format!("{s:?}").contains("sr-cli-pw-77"));
        assert!(
            s.warnings
                .contains(&SCHEMA_REGISTRY_PASSWORD_ON_COMMAND_LINE.to_string()),
            "{:?}",
            s.warnings
        );

        // From the environment: taken out too, and no warning (not in ps).
        let s = load(
            cli_with(&empty),
            &[("SCHEMA_REGISTRY_URL", "http://u:sr-env-pw-5@h:1/")],
        )
        .expect("load");
        assert_eq!(s.schema_registry.url.as_deref(), Some("http://h:1/"));
        assert_eq!(s.schema_registry.username.as_deref(), Some("u"));
        assert!(!format!("{s:?}").contains("sr-env-pw-5"));
        assert!(s.warnings.iter().all(|w| !w.contains("--schema-registry")));

        // An `@` after the host is not user info.
        let mut plain = SchemaRegistry {
            url: Some("http://h/subjects/a@b".into()),
            ..Default::default()
        };
        assert!(!plain.take_url_credentials());
        assert_eq!(plain.url.as_deref(), Some("http://h/subjects/a@b"));
    }

    #[test]
    fn schema_registry_password_is_redacted_and_marks_the_file_as_holding_a_secret() {
        let f = write_file(REGISTRY_FILE);
        let s = load(cli_with(&f), &[]).expect("load");
        let dump = format!("{s:?} {s:#?}");
        assert!(!dump.contains("sr-file-pw-4411"), "{dump}");
        assert!(holds_secret(REGISTRY_FILE));
        let err = load(
            cli_with(&write_file("[schema_registry]\npassword = 99887766\n")),
            &[],
        )
        .expect_err("type error")
        .to_string();
        assert!(!err.contains("99887766"), "{err}");
        let err = load(
            cli_with(&write_file("[schema_registry]\nuser = \"x\"\n")),
            &[],
        )
        .expect_err("unknown key")
        .to_string();
        assert!(err.contains("unknown field `user`"), "{err}");
    }

    #[test]
    fn cli_read_only_wins_over_profile() {
        let f = write_file(FILE);
        let mut cli = cli_with(&f);
        cli.read_only = true;
        assert!(load(cli, &[]).expect("load").read_only);
    }

    /// A config file with policies, its data dir in `dir`.
    fn policy_file(dir: &Path, extra: &str) -> tempfile::NamedTempFile {
        write_file(&format!(
            "data_dir = {:?}\n\n[[policies]]\nname = \"pii\"\nfields = [\"data.email\"]\naction = \"hash\"\n\n\
             [profiles.prod]\nallow_unmask = true\n[[profiles.prod.policies]]\nname = \"card\"\nkey = true\nkeep_last = 4\n{extra}",
            dir.display()
        ))
    }

    #[test]
    fn policies_come_from_the_file_then_the_profile() {
        let dir = tempfile::tempdir().expect("dir");
        let f = policy_file(dir.path(), "");
        let s = load(cli_with(&f), &[]).expect("load");
        let names: Vec<&str> = s.policies.iter().map(|p| &*p.name).collect();
        assert_eq!(names, ["pii"]);
        assert!(!s.allow_unmask && !s.unmasked);
        let mut cli = cli_with(&f);
        cli.profile = Some("prod".into());
        let s = load(cli, &[]).expect("load");
        let names: Vec<&str> = s.policies.iter().map(|p| &*p.name).collect();
        assert_eq!(names, ["pii", "card"]);
        assert!(s.allow_unmask);
        // The salt is not in the settings' Debug form.
        let salt = std::fs::read_to_string(dir.path().join(SALT_FILE)).expect("salt");
        assert!(!format!("{s:?}").contains(salt.trim()));
    }

    #[test]
    fn the_install_salt_is_made_once_private_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let f = policy_file(dir.path(), "");
        let a = load(cli_with(&f), &[]).expect("load").policies.hash("x");
        let path = dir.path().join(SALT_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("salt").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = load(cli_with(&f), &[]).expect("load").policies.hash("x");
        assert_eq!(a, b, "the same install hashes alike");
        std::fs::write(&path, "another-salt").expect("write");
        let c = load(cli_with(&f), &[]).expect("load").policies.hash("x");
        assert_ne!(a, c);
    }

    #[test]
    fn a_configured_salt_is_used_and_no_file_is_made() {
        let dir = tempfile::tempdir().expect("dir");
        let f = write_file(&format!(
            "data_dir = {:?}\npolicy_salt = \"s3cr3t\"\n[[policies]]\nname = \"p\"\nfields = [\"a\"]\naction = \"hash\"\n",
            dir.path().display()
        ));
        let s = load(cli_with(&f), &[]).expect("load");
        assert!(!dir.path().join(SALT_FILE).exists());
        let expected = crate::domain::policy::Policies::new(
            &[PolicySpec {
                name: "p".into(),
                fields: vec!["a".into()],
                action: Some("hash".into()),
                ..PolicySpec::default()
            }],
            b"s3cr3t".to_vec(),
        )
        .expect("valid")
        .hash("v");
        assert_eq!(s.policies.hash("v"), expected);
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_bad_policy_is_an_error_naming_it_and_the_field() {
        let dir = tempfile::tempdir().expect("dir");
        let f = policy_file(dir.path(), "action = \"blur\"\n");
        let mut cli = cli_with(&f);
        cli.profile = Some("prod".into());
        let err = load(cli, &[]).expect_err("bad action").to_string();
        assert!(err.contains("policy 'card': action: 'blur'"), "{err}");
        let f = write_file("[[policies]]\nname = \"x\"\nfields = [\"a[\"]\n");
        let err = load(cli_with(&f), &[]).expect_err("bad path").to_string();
        assert!(err.contains("policy 'x': fields:"), "{err}");
        let f = write_file("[[policies]]\nname = \"x\"\nfeilds = [\"a\"]\n");
        let err = load(cli_with(&f), &[])
            .expect_err("unknown key")
            .to_string();
        assert!(err.contains("unknown field `feilds`"), "{err}");
    }
}
