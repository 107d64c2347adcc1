//! SCRAM user changes: set a password, delete a user's credentials. Each
//! passes the gate, runs, and leaves one audit line. The password itself is
//! never written anywhere: the audit line names the user, the mechanism and
//! the iteration count.

use serde_json::json;

use super::{MutationError, audited};
use crate::audit::{self, Source, action};
use crate::config::{Secret, Settings};
use crate::kafka::acls as kafka_acls;
use crate::kafka::ffi::ScramMechanism;

/// Sets `user`'s password for `mechanism` (creating the credential if the
/// user has none for it). Audit params: `{user, mechanism, iterations}`.
pub async fn set_password(
    settings: &Settings,
    source: Source,
    user: &str,
    mechanism: ScramMechanism,
    iterations: i32,
    password: Secret,
) -> Result<(), MutationError> {
    audit::authorize(settings, action::USER_SET_PASSWORD)?;
    let res =
        kafka_acls::set_scram_password(settings, user.to_string(), mechanism, iterations, password)
            .await;
    let params = json!({ "user": user, "mechanism": mechanism, "iterations": iterations });
    audited(
        settings,
        source,
        action::USER_SET_PASSWORD,
        params,
        res,
        |_| "ok".into(),
    )
}

/// Deletes `user`'s credentials for `mechanisms`. Audit params:
/// `{user, mechanisms}`.
pub async fn delete(
    settings: &Settings,
    source: Source,
    user: &str,
    mechanisms: &[ScramMechanism],
) -> Result<(), MutationError> {
    audit::authorize(settings, action::USER_DELETE)?;
    let res = kafka_acls::delete_scram_user(settings, user.to_string(), mechanisms.to_vec()).await;
    let params = json!({ "user": user, "mechanisms": mechanisms });
    audited(settings, source, action::USER_DELETE, params, res, |_| {
        "ok".into()
    })
}
