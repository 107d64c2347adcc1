//! Every change a person makes to the cluster, one function each: the gate
//! (read-only refusal; a destructive change only when confirmed), the action,
//! and one audit line with its outcome. The headless commands (`src/cmd/`) and
//! the console (its workers) call the same function, so the audit log says the
//! same thing whichever way a change was asked for; only `time` and `source`
//! tell them apart.
//!
//! | mutation | function |
//! |---|---|
//! | topic create, delete, config set, add partitions, empty | [`topics`] |
//! | group offset reset, group delete | [`groups`] |
//! | ACL create, ACL delete | [`acls`] |
//! | SCRAM password set, SCRAM user delete | [`users`] |
//! | schema register (the schema registry) | [`schemas`] |
//! | topics init | [`crate::provision::init_topics`] |
//! | inject | [`crate::publish::inject`] |
//! | DLQ redrive | [`crate::dlq::redrive::redrive`] |
//! | replay | [`crate::replay::replay`] |

pub mod acls;
pub mod groups;
pub mod schemas;
pub mod topics;
pub mod users;

use serde_json::{Value, json};

use crate::audit::{self, ReadOnly, Source};
use crate::config::Settings;
use crate::kafka::KafkaError;

/// A destructive change asked for without confirmation: nothing was changed.
/// (The console confirms in a dialog before it asks; the headless commands
/// with `--yes`.)
#[derive(Debug, thiserror::Error)]
#[error("{what} is destructive and cannot be undone; nothing was changed. Add --yes to do it")]
pub struct NeedsConfirmation {
    /// What would have been done, e.g. "deleting topic 'orders'".
    pub what: String,
}

/// Why a mutation did not happen, or happened without its audit line.
#[derive(Debug, thiserror::Error)]
pub enum MutationError {
    /// Read-only mode: refused before anything was done (no audit line).
    #[error(transparent)]
    ReadOnly(#[from] ReadOnly),
    /// Not confirmed: refused before anything was done (no audit line).
    #[error(transparent)]
    Unconfirmed(#[from] NeedsConfirmation),
    /// Kafka refused or failed it (the audit line records the error).
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// The schema registry refused or failed it (the audit line records
    /// the error).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The change was tried, but its audit line could not be written.
    #[error("{what}, but the audit log could not be written: {error}")]
    NotAudited {
        /// What happened to the change itself.
        what: String,
        /// Why the line could not be written.
        error: std::io::Error,
    },
}

/// What a schema registry answered to a change it refused or failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RegistryError(pub String);

/// Refuses a destructive change that was not confirmed.
pub(crate) fn confirm(confirmed: bool, what: impl Into<String>) -> Result<(), NeedsConfirmation> {
    if confirmed {
        return Ok(());
    }
    Err(NeedsConfirmation { what: what.into() })
}

/// The audit outcome of a result: `ok(value)`, else `{"error": text}`.
pub(crate) fn outcome<T, E: std::fmt::Display>(
    r: &Result<T, E>,
    ok: impl FnOnce(&T) -> Value,
) -> Value {
    match r {
        Ok(v) => ok(v),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

/// Writes the audit line of a change that was tried, then hands back its result.
fn audited<T, E>(
    settings: &Settings,
    source: Source,
    action: &str,
    params: Value,
    result: Result<T, E>,
    ok: impl FnOnce(&T) -> Value,
) -> Result<T, MutationError>
where
    E: std::fmt::Display,
    MutationError: From<E>,
{
    if let Err(error) = audit::record(settings, source, action, params, outcome(&result, ok)) {
        let what = match &result {
            Ok(_) => format!("{action} done"),
            Err(e) => format!("{action} failed ({e})"),
        };
        return Err(MutationError::NotAudited { what, error });
    }
    Ok(result?)
}
