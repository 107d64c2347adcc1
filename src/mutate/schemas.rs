//! Registering a schema under a subject of the schema registry: the gate
//! (read-only refusal), the registration, and one audit line. The audit line
//! names the subject, the format and the schema's SHA-256 (not its text,
//! which can be long), and the id and version the registry gave it.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{MutationError, RegistryError, audited};
use crate::audit::{self, Source, action};
use crate::config::Settings;
use crate::domain::schema::SchemaFormat;
use crate::schema_registry::RegistryClient;

/// What a registration gave: the schema's id, and the subject's version
/// that holds it (`None` when the registry would not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The schema id.
    pub id: u32,
    /// The version of the subject.
    pub version: Option<u32>,
}

/// Registers `text` as a `format` schema under `subject` (a new version, or
/// the version that already holds the same schema). Blocking (HTTP). Audit
/// params: `{subject, format, sha256, registry}`; outcome `{id, version}`.
pub fn register(
    settings: &Settings,
    source: Source,
    client: &RegistryClient,
    subject: &str,
    format: SchemaFormat,
    text: &str,
) -> Result<Registered, MutationError> {
    audit::authorize(settings, action::SCHEMA_REGISTER)?;
    let res = client
        .register(subject, format, text)
        .map(|id| Registered {
            id,
            // The version is asked after: the registry's register answer
            // carries only the id.
            version: client
                .find_registered(subject, format, text)
                .ok()
                .flatten()
                .map(|(version, _)| version),
        })
        .map_err(RegistryError);
    let sha256: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let params = json!({
        "subject": subject,
        "format": format,
        "sha256": sha256,
        "registry": client.url(),
    });
    audited(
        settings,
        source,
        action::SCHEMA_REGISTER,
        params,
        res,
        |r| json!({ "id": r.id, "version": r.version }),
    )
}
