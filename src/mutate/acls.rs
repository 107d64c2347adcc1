//! ACL changes: create and delete. Each passes the gate, runs, and leaves one
//! audit line naming every ACL it was about in `kafka-acls`' words. The plan
//! (which ACLs a delete would remove) is read first and shown by the caller;
//! a delete then removes exactly the planned ACLs, not whatever its filter
//! matches by the time it runs.

use serde_json::json;

use super::{MutationError, audited};
use crate::audit::{self, Source, action};
use crate::config::Settings;
use crate::kafka::acls as kafka_acls;
use crate::kafka::ffi::{AclBinding, AclFilter};

/// Creates `acls` (an ACL that exists already is left as it is). Audit
/// params: `{acls}`.
pub async fn create(
    settings: &Settings,
    source: Source,
    acls: &[AclBinding],
) -> Result<(), MutationError> {
    audit::authorize(settings, action::ACL_CREATE)?;
    let res = kafka_acls::create_acls(settings, acls.to_vec()).await;
    let params = json!({ "acls": acls });
    audited(settings, source, action::ACL_CREATE, params, res, |_| {
        "ok".into()
    })
}

/// The ACLs a delete with `filter` would remove: the dry run, allowed
/// read-only and not audited.
pub async fn plan_delete(
    settings: &Settings,
    filter: &AclFilter,
) -> Result<Vec<AclBinding>, crate::kafka::KafkaError> {
    kafka_acls::list_acls(settings, filter.clone()).await
}

/// Deletes exactly `acls` (each by an exact filter); returns those the
/// brokers deleted. Audit params: `{acls}`; outcome `{deleted}`.
pub async fn delete(
    settings: &Settings,
    source: Source,
    acls: &[AclBinding],
) -> Result<Vec<AclBinding>, MutationError> {
    audit::authorize(settings, action::ACL_DELETE)?;
    let filters = acls.iter().map(AclFilter::exact).collect();
    let res = kafka_acls::delete_acls(settings, filters).await;
    let params = json!({ "acls": acls });
    audited(
        settings,
        source,
        action::ACL_DELETE,
        params,
        res,
        |d| json!({ "deleted": d.len() }),
    )
}
