//! ACLs and SCRAM users, for the headless `acls`/`users` commands and the ACLs
//! tab: the blocking calls of [`super::ffi`] run off the async runtime, on a
//! client made from the same settings as every other one (SASL, TLS, `-X`).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::Consumer;

use super::client::{KafkaError, client_config};
use super::ffi::{self, AclBinding, AclFilter, AdminHandle, ScramMechanism, ScramUser};
use crate::config::Settings;

/// How long the metadata and broker-config reads may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `f` on a fresh admin client, off the async runtime.
async fn with_handle<T: Send + 'static>(
    settings: &Settings,
    action: &'static str,
    f: impl FnOnce(&AdminHandle) -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, KafkaError> {
    let s = settings.clone();
    crate::task_name::spawn_blocking(move || {
        let handle = AdminHandle::connect(&s, action)?;
        f(&handle).map_err(explain)
    })
    .await
    .map_err(|e| KafkaError::Invalid(format!("a background Kafka task failed: {e}")))?
}

/// Adds what to do about the errors a person meets here first: a cluster
/// without an authorizer, and a principal that may not read or change ACLs.
fn explain(e: KafkaError) -> KafkaError {
    let KafkaError::Admin { action, reason } = e else {
        return e;
    };
    let lower = reason.to_ascii_lowercase();
    let hint = if lower.contains("security features are disabled")
        || lower.contains("security_disabled")
        || lower.contains("no authorizer")
    {
        " — the brokers run without an authorizer (authorizer.class.name), so they keep no ACLs"
    } else if lower.contains("authorization failed") || lower.contains("authorization_failed") {
        " — this principal may not do that: it needs DESCRIBE (to list) or ALTER (to change) on the CLUSTER resource"
    } else {
        ""
    };
    KafkaError::Admin {
        action,
        reason: format!("{reason}{hint}"),
    }
}

/// The ACLs `filter` selects, sorted.
pub async fn list_acls(
    settings: &Settings,
    filter: AclFilter,
) -> Result<Vec<AclBinding>, KafkaError> {
    ensure_authorizer(settings).await?;
    with_handle(settings, "describing ACLs", move |h| {
        ffi::describe_acls(h, &filter)
    })
    .await
}

/// librdkafka 2.12 drops DescribeAcls' error code (see
/// [`ffi::describe_acls`]), so brokers without an authorizer, which answer
/// SECURITY_DISABLED, would seem to hold no ACLs. A broker's
/// `authorizer.class.name` is read first (DescribeConfigs): empty means no
/// authorizer, and that is said. A principal that may not read broker
/// configs has an authorizer over it (without one everything is allowed), so
/// a refusal here is no answer and the list goes on.
async fn ensure_authorizer(settings: &Settings) -> Result<(), KafkaError> {
    let broker = with_handle(settings, "describing ACLs", |h| {
        let md = h
            .consumer()
            .fetch_metadata(None, METADATA_TIMEOUT)
            .map_err(|e| KafkaError::client("reading the cluster's metadata", e))?;
        Ok(md.brokers().first().map(|b| b.id()))
    })
    .await?;
    let Some(id) = broker else {
        return Ok(());
    };
    let admin: AdminClient<DefaultClientContext> = client_config(settings)
        .create()
        .map_err(|e| KafkaError::client("creating an admin client", e))?;
    let opts = AdminOptions::new().request_timeout(Some(METADATA_TIMEOUT));
    let Ok(mut found) = admin
        .describe_configs(&[ResourceSpecifier::Broker(id)], &opts)
        .await
    else {
        return Ok(());
    };
    let Some(Ok(broker)) = found.pop() else {
        return Ok(());
    };
    // rust-rdkafka 0.39 drops a resource's own error (a principal refused
    // DESCRIBE_CONFIGS gets no entries): an absent entry is no answer.
    let Some(entry) = broker.get("authorizer.class.name") else {
        return Ok(());
    };
    if entry.value.as_deref().unwrap_or_default().trim().is_empty() {
        return Err(KafkaError::Admin {
            action: "describing ACLs".into(),
            reason: format!(
                "Broker: Security features are disabled — broker {id} runs without an authorizer (authorizer.class.name is empty), so the cluster keeps no ACLs"
            ),
        });
    }
    Ok(())
}

/// Creates `acls`.
pub async fn create_acls(settings: &Settings, acls: Vec<AclBinding>) -> Result<(), KafkaError> {
    with_handle(settings, "creating ACLs", move |h| {
        ffi::create_acls(h, &acls)
    })
    .await
}

/// Deletes what `filters` select; returns the ACLs deleted.
pub async fn delete_acls(
    settings: &Settings,
    filters: Vec<AclFilter>,
) -> Result<Vec<AclBinding>, KafkaError> {
    with_handle(settings, "deleting ACLs", move |h| {
        ffi::delete_acls(h, &filters)
    })
    .await
}

/// The SCRAM credentials of `users`, or of every user that has one.
pub async fn list_scram_users(
    settings: &Settings,
    users: Vec<String>,
) -> Result<Vec<ScramUser>, KafkaError> {
    with_handle(settings, "describing SCRAM users", move |h| {
        let names: Vec<&str> = users.iter().map(String::as_str).collect();
        ffi::describe_user_scram_credentials(h, &names)
    })
    .await
}

/// Sets a user's SCRAM password for one mechanism.
pub async fn set_scram_password(
    settings: &Settings,
    user: String,
    mechanism: ScramMechanism,
    iterations: i32,
    password: crate::config::Secret,
) -> Result<(), KafkaError> {
    with_handle(settings, "changing SCRAM credentials", move |h| {
        ffi::upsert_scram_credential(
            h,
            &user,
            mechanism,
            iterations,
            password.expose().as_bytes(),
        )
    })
    .await
}

/// Deletes a user's SCRAM credential for each of `mechanisms`.
pub async fn delete_scram_user(
    settings: &Settings,
    user: String,
    mechanisms: Vec<ScramMechanism>,
) -> Result<(), KafkaError> {
    with_handle(settings, "deleting SCRAM credentials", move |h| {
        mechanisms
            .iter()
            .try_for_each(|m| ffi::delete_scram_credential(h, &user, *m))
    })
    .await
}
