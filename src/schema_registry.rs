//! The schema registry at the edge: its REST API (Confluent's, which
//! Apicurio speaks at `/apis/ccompat/v7`) over blocking HTTP, and a cache of
//! schemas by id that decoding reads through [`SchemaSource`] without waiting:
//! an id it has not seen is queued for a fetcher thread and reads as
//! [`Lookup::Pending`] meanwhile. Headless commands that may wait use
//! [`SchemaCache::waiting`], which fetches on the caller's thread.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use crate::config::SchemaRegistry;
use crate::domain::schema::{
    Lookup, Referenced, Schema, SchemaFormat, SchemaId, SchemaSource, SchemaText, WriteSchema,
    parse_subject_version,
};

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a failed fetch stands before the id is asked for again (a
/// registry that was down may be back; an unknown id may have been registered).
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// References followed at most below one schema (a cycle or a runaway chain
/// stops here with an error).
const MAX_REFERENCES: usize = 256;

/// The registry's REST API.
#[derive(Debug)]
pub struct RegistryClient {
    agent: ureq::Agent,
    base: String,
    /// Apicurio's own API beside its Confluent-compatible one, when the URL
    /// is Apicurio's (`…/apis/ccompat/v7` → `…/apis/registry/v3`): where a
    /// globalId is looked up.
    apicurio: Option<String>,
    authorization: Option<String>,
}

/// The path of Apicurio's Confluent-compatible API under its server.
const APICURIO_CCOMPAT: [&str; 2] = ["/apis/ccompat/v7", "/apis/ccompat/v6"];
/// The path of Apicurio 3's own API.
const APICURIO_V3: &str = "/apis/registry/v3";

/// One schema as the API returns it (`GET /schemas/ids/{id}`,
/// `GET /subjects/{s}/versions/{v}`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: String,
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    /// What the schema calls it: a Protobuf import path, an Avro type name.
    #[serde(default)]
    name: String,
    subject: String,
    version: i64,
}

#[derive(Debug, Deserialize)]
struct SubjectVersion {
    subject: String,
    version: u32,
}

impl RegistryClient {
    /// A client for the configured registry; `Ok(None)` when none is
    /// configured; an error when its CA or client certificate cannot be read.
    pub fn new(config: &SchemaRegistry) -> Result<Option<Self>, String> {
        let Some(url) = &config.url else {
            return Ok(None);
        };
        let mut tls = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::NativeTls);
        tls = tls.root_certs(match &config.ssl_ca_location {
            Some(path) => {
                let certs = pem_items(path)?
                    .into_iter()
                    .filter_map(|item| match item {
                        ureq::tls::PemItem::Certificate(cert) => Some(cert),
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                if certs.is_empty() {
                    return Err(format!("{} holds no certificate", path.display()));
                }
                ureq::tls::RootCerts::new_with_certs(&certs)
            }
            None => ureq::tls::RootCerts::PlatformVerifier,
        });
        if let Some(cert_path) = &config.ssl_certificate_location {
            let key_path = config.ssl_key_location.as_ref().ok_or_else(|| {
                "schema_registry.ssl_certificate_location needs ssl_key_location".to_string()
            })?;
            let certs = pem_items(cert_path)?
                .into_iter()
                .filter_map(|item| match item {
                    ureq::tls::PemItem::Certificate(cert) => Some(cert),
                    _ => None,
                })
                .collect::<Vec<_>>();
            let key = pem_items(key_path)?
                .into_iter()
                .find_map(|item| match item {
                    ureq::tls::PemItem::PrivateKey(key) => Some(key),
                    _ => None,
                })
                .ok_or_else(|| format!("{} holds no private key", key_path.display()))?;
            tls = tls.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&certs, key)));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .tls_config(tls.build())
            .build()
            .into();
        let authorization = config.username.as_ref().map(|user| {
            let password = config.password.as_ref().map_or("", |p| p.expose());
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {token}")
        });
        let base = url.trim_end_matches('/').to_string();
        let apicurio = APICURIO_CCOMPAT
            .iter()
            .find_map(|path| base.strip_suffix(path))
            .map(|server| format!("{server}{APICURIO_V3}"));
        Ok(Some(Self {
            agent,
            base,
            apicurio,
            authorization,
        }))
    }

    /// The registry's base URL, for messages.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The schema a record names, by id or (Apicurio) globalId.
    pub fn fetch_named(&self, id: SchemaId) -> Result<SchemaText, String> {
        match id {
            SchemaId::Id(id) => self.fetch(id),
            SchemaId::GlobalId(global) => self.fetch(self.content_id(global)?),
        }
    }

    /// The contentId (the id its Confluent-compatible API serves schemas
    /// by) of the artifact version with this globalId, from Apicurio's own
    /// API: its version search.
    fn content_id(&self, global: u64) -> Result<u32, String> {
        #[derive(Deserialize)]
        struct Found {
            versions: Vec<FoundVersion>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct FoundVersion {
            content_id: u64,
        }
        let Some(apicurio) = &self.apicurio else {
            return Err(format!(
                "a globalId is Apicurio's, looked up through its own API ({APICURIO_V3}); \
                 {} is not an Apicurio Confluent-compatible URL (…/apis/ccompat/v7)",
                self.base
            ));
        };
        let found: Found = self.get_at(apicurio, &format!("/search/versions?globalId={global}"))?;
        let content = found
            .versions
            .first()
            .ok_or_else(|| format!("the schema registry has no schema with globalId {global}"))?
            .content_id;
        u32::try_from(content).map_err(|_| format!("contentId {content} is beyond 32 bits"))
    }

    /// The schema with this id, its references fetched (dependencies first),
    /// and the subjects and versions it is filed under when the registry says.
    pub fn fetch(&self, id: u32) -> Result<SchemaText, String> {
        let body: SchemaBody = self.get(&format!("/schemas/ids/{id}"))?;
        let format = format_of(body.schema_type.as_deref())?;
        let mut references = Vec::new();
        let mut seen = HashSet::new();
        self.collect_references(&body.references, &mut references, &mut seen)?;
        // Which subject and version: not needed to decode, so a registry that
        // cannot say only leaves them out.
        let subjects = self
            .get::<Vec<SubjectVersion>>(&format!("/schemas/ids/{id}/versions"))
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.subject, v.version))
            .collect();
        Ok(SchemaText {
            id,
            format,
            text: body.schema,
            references,
            subjects,
        })
    }

    /// The schema to write `SUBJECT[:VERSION]` with, fetched and parsed.
    pub fn write_schema(&self, spec: &str) -> Result<WriteSchema, String> {
        let (subject, version) = parse_subject_version(spec)?;
        let found = self.subject_version(&subject, version)?;
        let schema = Schema::parse(&found.schema)?;
        Ok(WriteSchema {
            subject,
            version: found.version,
            id: found.schema.id,
            schema: Arc::new(schema),
        })
    }

    /// The documents `refs` name, depth first, each once.
    fn collect_references(
        &self,
        refs: &[Reference],
        out: &mut Vec<Referenced>,
        seen: &mut HashSet<(String, i64)>,
    ) -> Result<(), String> {
        for r in refs {
            if !seen.insert((r.subject.clone(), r.version)) {
                continue;
            }
            if seen.len() > MAX_REFERENCES {
                return Err(format!("more than {MAX_REFERENCES} schema references"));
            }
            let body: SchemaBody = self.get(&format!(
                "/subjects/{}/versions/{}",
                path_segment(&r.subject),
                r.version
            ))?;
            self.collect_references(&body.references, out, seen)?;
            out.push(Referenced {
                name: r.name.clone(),
                text: body.schema,
            });
        }
        Ok(())
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        self.get_at(&self.base, path)
    }

    fn get_at<T: serde::de::DeserializeOwned>(&self, base: &str, path: &str) -> Result<T, String> {
        let url = format!("{base}{path}");
        let mut request = self.agent.get(&url).header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/json",
        );
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        let mut response = request
            .call()
            .map_err(|e| format!("the schema registry at {base} is unreachable: {e}"))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("reading the schema registry's answer: {e}"))?;
        match status {
            200..=299 => serde_json::from_str(&text).map_err(|e| {
                format!("the schema registry's answer to {path} is not what its API says: {e}")
            }),
            404 => Err(format!("the schema registry has no {}", what(path))),
            401 | 403 => Err(format!(
                "the schema registry refused the request (HTTP {status}): check schema_registry username and password"
            )),
            _ => Err(format!(
                "the schema registry answered HTTP {status}: {}",
                registry_message(&text)
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Browsing and registering subjects: what the Schemas tab and `eventdeck
// schemas` ask (subjects, versions, one version's text, compatibility,
// register). Blocking calls: the console makes them on its schemas worker.
// ---------------------------------------------------------------------------

/// A reference from a schema to a version of another subject, as the
/// registry lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaReference {
    /// What the schema calls it: a Protobuf import path, an Avro type name.
    pub name: String,
    /// The subject it is filed under.
    pub subject: String,
    /// Its version there.
    pub version: i64,
}

/// One version of a subject: its number, the registry's answer for it, and
/// the schema ready to parse (references fetched).
#[derive(Debug, Clone)]
pub struct SubjectVersionText {
    /// The subject.
    pub subject: String,
    /// The version number.
    pub version: u32,
    /// The references as the registry lists them.
    pub references: Vec<SchemaReference>,
    /// The schema: id, format, text, referenced documents.
    pub schema: SchemaText,
}

/// `GET /subjects/{s}/versions/{v}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionBody {
    subject: String,
    version: u32,
    id: u32,
    schema: String,
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

/// `GET /config`, `GET /config/{s}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigBody {
    compatibility_level: String,
}

/// The registry's error body, with its code (`40401`: no such subject,
/// `40403`: no such schema under the subject).
#[derive(Debug, Deserialize)]
struct ErrorCode {
    #[serde(default)]
    error_code: i64,
}

/// The registry's `schemaType` for a format (Avro's is its default, but
/// every registry takes it written out).
fn schema_type(format: SchemaFormat) -> &'static str {
    match format {
        SchemaFormat::Avro => "AVRO",
        SchemaFormat::Protobuf => "PROTOBUF",
        SchemaFormat::Json => "JSON",
    }
}

impl RegistryClient {
    /// Every subject (not soft-deleted ones), sorted.
    pub fn subjects(&self) -> Result<Vec<String>, String> {
        let mut subjects: Vec<String> = self.get("/subjects")?;
        subjects.sort();
        Ok(subjects)
    }

    /// The version numbers of `subject`, oldest first.
    pub fn versions(&self, subject: &str) -> Result<Vec<u32>, String> {
        let mut versions: Vec<u32> =
            self.get(&format!("/subjects/{}/versions", path_segment(subject)))?;
        versions.sort_unstable();
        Ok(versions)
    }

    /// Version `version` of `subject` (`None`: the latest), with its id and
    /// the documents it references, ready for [`Schema::parse`].
    pub fn subject_version(
        &self,
        subject: &str,
        version: Option<u32>,
    ) -> Result<SubjectVersionText, String> {
        let body = self.version_body(subject, version)?;
        let format = format_of(body.schema_type.as_deref())?;
        let mut referenced = Vec::new();
        self.collect_references(&body.references, &mut referenced, &mut HashSet::new())?;
        Ok(SubjectVersionText {
            subject: body.subject.clone(),
            version: body.version,
            references: body
                .references
                .iter()
                .map(|r| SchemaReference {
                    name: r.name.clone(),
                    subject: r.subject.clone(),
                    version: r.version,
                })
                .collect(),
            schema: SchemaText {
                id: body.id,
                format,
                text: body.schema,
                references: referenced,
                subjects: vec![(body.subject, body.version)],
            },
        })
    }

    fn version_body(&self, subject: &str, version: Option<u32>) -> Result<VersionBody, String> {
        let version = version.map_or_else(|| "latest".to_string(), |v| v.to_string());
        self.get(&format!(
            "/subjects/{}/versions/{version}",
            path_segment(subject)
        ))
    }

    /// The compatibility level `subject` is checked with: its own, else the
    /// registry's global default.
    pub fn compatibility(&self, subject: &str) -> Result<String, String> {
        // Confluent answers 404 (40408) for a subject without its own level;
        // Apicurio answers with the global one.
        match self.get::<ConfigBody>(&format!("/config/{}", path_segment(subject))) {
            Ok(c) => Ok(c.compatibility_level),
            Err(e) if e.starts_with("the schema registry has no") => self.global_compatibility(),
            Err(e) => Err(e),
        }
    }

    /// The registry's global compatibility level.
    pub fn global_compatibility(&self) -> Result<String, String> {
        Ok(self.get::<ConfigBody>("/config")?.compatibility_level)
    }

    /// The subjects and versions schema `id` is filed under.
    pub fn subjects_of(&self, id: u32) -> Result<Vec<(String, u32)>, String> {
        Ok(self
            .get::<Vec<SubjectVersion>>(&format!("/schemas/ids/{id}/versions"))?
            .into_iter()
            .map(|v| (v.subject, v.version))
            .collect())
    }

    /// The version and id under which `subject` already holds this schema,
    /// `None` when it does not (or the subject does not exist).
    pub fn find_registered(
        &self,
        subject: &str,
        format: SchemaFormat,
        text: &str,
    ) -> Result<Option<(u32, u32)>, String> {
        #[derive(Deserialize)]
        struct Found {
            version: u32,
            id: u32,
        }
        let path = format!("/subjects/{}", path_segment(subject));
        match self.post(&path, format, text)? {
            (200..=299, body) => {
                let found: Found = serde_json::from_str(&body).map_err(|e| {
                    format!("the schema registry's answer to {path} is not what its API says: {e}")
                })?;
                Ok(Some((found.version, found.id)))
            }
            (404, _) => Ok(None),
            (status, body) => Err(http_error(status, &body)),
        }
    }

    /// The registry's verdict on this schema as the next version of
    /// `subject` under its compatibility level; `None` when the subject has
    /// no version to compare with.
    pub fn is_compatible(
        &self,
        subject: &str,
        format: SchemaFormat,
        text: &str,
    ) -> Result<Option<bool>, String> {
        #[derive(Deserialize)]
        struct Verdict {
            is_compatible: bool,
        }
        let path = format!(
            "/compatibility/subjects/{}/versions/latest",
            path_segment(subject)
        );
        match self.post(&path, format, text)? {
            (200..=299, body) => Ok(Some(
                serde_json::from_str::<Verdict>(&body)
                    .map_err(|e| {
                        format!(
                            "the schema registry's answer to {path} is not what its API says: {e}"
                        )
                    })?
                    .is_compatible,
            )),
            (404, body)
                if serde_json::from_str::<ErrorCode>(&body)
                    .is_ok_and(|e| matches!(e.error_code, 40401 | 40402)) =>
            {
                Ok(None)
            }
            (status, body) => Err(http_error(status, &body)),
        }
    }

    /// Registers the schema under `subject` (a new version, or the version
    /// that already holds the same schema); the schema's id.
    pub fn register(&self, subject: &str, format: SchemaFormat, text: &str) -> Result<u32, String> {
        #[derive(Deserialize)]
        struct Registered {
            id: u32,
        }
        let path = format!("/subjects/{}/versions", path_segment(subject));
        match self.post(&path, format, text)? {
            (200..=299, body) => Ok(serde_json::from_str::<Registered>(&body)
                .map_err(|e| {
                    format!("the schema registry's answer to {path} is not what its API says: {e}")
                })?
                .id),
            (status, body) => Err(http_error(status, &body)),
        }
    }

    /// POSTs `{schema, schemaType}` to `path`: the status and body.
    fn post(&self, path: &str, format: SchemaFormat, text: &str) -> Result<(u16, String), String> {
        let url = format!("{}{path}", self.base);
        let body = serde_json::json!({ "schema": text, "schemaType": schema_type(format) });
        let mut request = self
            .agent
            .post(&url)
            .header("Accept", ACCEPT)
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        let mut response = request
            .send(body.to_string())
            .map_err(|e| format!("the schema registry at {} is unreachable: {e}", self.base))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("reading the schema registry's answer: {e}"))?;
        Ok((status, text))
    }
}

/// A registry's refusal, as one line.
fn http_error(status: u16, body: &str) -> String {
    match status {
        401 | 403 => format!(
            "the schema registry refused the request (HTTP {status}): check schema_registry username and password"
        ),
        _ => format!(
            "the schema registry answered HTTP {status}: {}",
            registry_message(body)
        ),
    }
}

/// What the registry's JSON API takes and answers.
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/json";

/// The language a registry's `schemaType` names (none: Avro), or an error
/// naming one eventdeck does not read.
fn format_of(schema_type: Option<&str>) -> Result<SchemaFormat, String> {
    SchemaFormat::from_schema_type(schema_type).ok_or_else(|| {
        format!(
            "schema type {} is not one eventdeck reads",
            schema_type.unwrap_or("?")
        )
    })
}

/// "schema with id 7", "subject orders-value version 2", for a 404.
fn what(path: &str) -> String {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["schemas", "ids", id, ..] => format!("schema with id {id}"),
        ["subjects", subject, "versions", version] => {
            format!("subject {subject} version {version}")
        }
        ["subjects", subject, "versions"] | ["config", subject] => format!("subject {subject}"),
        _ => path.to_string(),
    }
}

/// The `message` of a registry's error body, or the body cut short.
fn registry_message(text: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_str::<ErrorBody>(text)
        .map_or_else(|_| text.chars().take(200).collect(), |e| e.message)
}

/// A subject name as one URL path segment.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pem_items(path: &std::path::Path) -> Result<Vec<ureq::tls::PemItem<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    ureq::tls::parse_pem(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} is not PEM: {e}", path.display()))
}

/// What the cache holds of one id.
#[derive(Debug, Clone)]
enum Entry {
    Ready(Arc<Schema>),
    Pending,
    Failed { why: String, at: Instant },
}

/// Schemas by id, shared by every reader; fetched once, by a fetcher thread
/// ([`SchemaSource`] on the cache itself: never waits) or by the caller
/// ([`SchemaCache::waiting`]).
#[derive(Debug, Clone)]
pub struct SchemaCache {
    shared: Arc<Shared>,
    requests: mpsc::Sender<SchemaId>,
}

#[derive(Debug)]
struct Shared {
    client: RegistryClient,
    entries: RwLock<HashMap<SchemaId, Entry>>,
    /// Counts fetches done (ready or failed): whoever shows records read
    /// while their schema was pending reads them again when it moves.
    fetched: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    fn fetch_into(&self, id: SchemaId) -> Entry {
        // Parsed here, on the fetching thread: compiling a Protobuf schema
        // (and its imports) is done once per id, never by a reader.
        let entry = match self
            .client
            .fetch_named(id)
            .and_then(|text| Schema::parse(&text))
        {
            Ok(schema) => Entry::Ready(Arc::new(schema)),
            Err(why) => {
                tracing::warn!(%id, %why, "schema fetch failed");
                Entry::Failed {
                    why,
                    at: Instant::now(),
                }
            }
        };
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(id, entry.clone());
        }
        self.fetched.send_modify(|n| *n += 1);
        entry
    }

    fn entry(&self, id: SchemaId) -> Option<Entry> {
        self.entries.read().ok()?.get(&id).cloned()
    }
}

impl SchemaCache {
    /// A cache in front of `client`, with its fetcher thread (which ends when
    /// the last clone of the cache is dropped).
    pub fn new(client: RegistryClient) -> Self {
        let shared = Arc::new(Shared {
            client,
            entries: RwLock::new(HashMap::new()),
            fetched: tokio::sync::watch::Sender::new(0),
        });
        let (requests, queue) = mpsc::channel::<SchemaId>();
        let fetcher = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("schema-fetch".into())
            .spawn(move || {
                while let Ok(id) = queue.recv() {
                    fetcher.fetch_into(id);
                }
            });
        if let Err(e) = spawned {
            tracing::error!(%e, "cannot start the schema fetcher thread");
        }
        Self { shared, requests }
    }

    /// The cache for the configured registry, `Ok(None)` when there is none.
    pub fn from_config(config: &SchemaRegistry) -> Result<Option<Self>, String> {
        Ok(RegistryClient::new(config)?.map(Self::new))
    }

    /// The registry's base URL.
    pub fn url(&self) -> &str {
        self.shared.client.url()
    }

    /// Changes each time a fetch ends (the schema is ready, or failed): the
    /// moment to read again the records that were pending.
    pub fn fetched(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.fetched.subscribe()
    }

    /// A source that fetches a missing schema on the calling thread and waits
    /// for it: for headless commands, never for the console.
    pub fn waiting(&self) -> Waiting<'_> {
        Waiting(self)
    }

    fn answer(entry: &Entry) -> Option<Lookup> {
        match entry {
            Entry::Ready(schema) => Some(Lookup::Ready(Arc::clone(schema))),
            Entry::Pending => Some(Lookup::Pending),
            Entry::Failed { why, at } if at.elapsed() < RETRY_AFTER => {
                Some(Lookup::Failed(why.clone()))
            }
            Entry::Failed { .. } => None,
        }
    }
}

impl SchemaSource for SchemaCache {
    fn lookup(&self, id: SchemaId) -> Lookup {
        if let Some(answer) = self.shared.entry(id).as_ref().and_then(Self::answer) {
            return answer;
        }
        if let Ok(mut entries) = self.shared.entries.write() {
            entries.insert(id, Entry::Pending);
        }
        if self.requests.send(id).is_err() {
            return Lookup::Failed("the schema fetcher has stopped".into());
        }
        Lookup::Pending
    }
}

/// [`SchemaCache::waiting`].
pub struct Waiting<'a>(&'a SchemaCache);

impl SchemaSource for Waiting<'_> {
    fn lookup(&self, id: SchemaId) -> Lookup {
        match self
            .0
            .shared
            .entry(id)
            .as_ref()
            .and_then(SchemaCache::answer)
        {
            Some(Lookup::Pending) | None => {}
            Some(answer) => return answer,
        }
        // Fetched again here even when the fetcher thread has it queued: a
        // second request costs less than polling for the first.
        SchemaCache::answer(&self.0.shared.fetch_into(id))
            .unwrap_or_else(|| Lookup::Failed("the schema could not be fetched".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_404_names_what_was_missing() {
        assert_eq!(what("/schemas/ids/7"), "schema with id 7");
        assert_eq!(what("/schemas/ids/7/versions"), "schema with id 7");
        assert_eq!(
            what("/subjects/a%2Fb/versions/2"),
            "subject a%2Fb version 2"
        );
    }

    #[test]
    fn subjects_are_escaped_as_one_path_segment() {
        assert_eq!(path_segment("orders-value"), "orders-value");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn an_error_body_gives_its_message() {
        assert_eq!(
            registry_message(r#"{"error_code": 50001, "message": "boom"}"#),
            "boom"
        );
        assert_eq!(registry_message("plain"), "plain");
    }

    #[test]
    fn apicurios_own_api_is_found_beside_its_confluent_compatible_one() {
        let client = |url: &str| {
            RegistryClient::new(&SchemaRegistry {
                url: Some(url.into()),
                ..SchemaRegistry::default()
            })
            .unwrap()
            .unwrap()
        };
        assert_eq!(
            client("http://h:8081/apis/ccompat/v7/").apicurio.as_deref(),
            Some("http://h:8081/apis/registry/v3")
        );
        assert_eq!(client("http://h:8081").apicurio, None);
    }

    #[test]
    fn no_url_is_no_client() {
        assert!(
            RegistryClient::new(&SchemaRegistry::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn an_unreachable_registry_says_so_and_is_pending_first() {
        // Port 9 (discard) on loopback: nothing listens there.
        let config = SchemaRegistry {
            url: Some("http://127.0.0.1:9".into()),
            ..SchemaRegistry::default()
        };
        let cache = SchemaCache::from_config(&config).unwrap().unwrap();
        let Lookup::Failed(why) = cache.waiting().lookup(SchemaId::Id(1)) else {
            panic!("expected a failure");
        };
        assert!(why.contains("unreachable"), "{why}");
        // A failure stands for a while, without a new request.
        assert!(matches!(cache.lookup(SchemaId::Id(1)), Lookup::Failed(_)));
        assert!(matches!(cache.lookup(SchemaId::Id(2)), Lookup::Pending));
        // A globalId is not looked up through a registry that is not Apicurio.
        let Lookup::Failed(why) = cache.waiting().lookup(SchemaId::GlobalId(3)) else {
            panic!("expected a failure");
        };
        assert!(
            why.contains("not an Apicurio Confluent-compatible URL"),
            "{why}"
        );
    }
}
