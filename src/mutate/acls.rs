//! ACL changes: create and delete, and the grammar that names them (the
//! options of `kafka-acls`, shared by `eventdeck acls` and the console's
//! `:acl create`). Each passes the gate, runs, and leaves one
//! audit line naming every ACL it was about in `kafka-acls`' words. The plan
//! (which ACLs a delete would remove) is read first and shown by the caller;
//! a delete then removes exactly the planned ACLs, not whatever its filter
//! matches by the time it runs.

use serde_json::json;

use super::{MutationError, audited};
use crate::audit::{self, Source, action};
use crate::cli::{AclResourceArgs, AclSpecArgs};
use crate::config::Settings;
use crate::kafka::acls as kafka_acls;
use crate::kafka::ffi::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};

/// The cluster resource's one name.
const CLUSTER_NAME: &str = "kafka-cluster";

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

/// The resource named by the options, if any.
fn resource(r: &AclResourceArgs) -> Option<(ResourceType, String)> {
    if let Some(t) = &r.topic {
        return Some((ResourceType::Topic, t.clone()));
    }
    if let Some(g) = &r.group {
        return Some((ResourceType::Group, g.clone()));
    }
    if r.cluster {
        return Some((ResourceType::Cluster, CLUSTER_NAME.to_string()));
    }
    r.transactional_id
        .as_ref()
        .map(|x| (ResourceType::TransactionalId, x.clone()))
}

/// `--pattern-type`, or `kafka-acls`' default: LITERAL when a resource is
/// named, else ANY.
fn pattern(r: &AclResourceArgs, named: bool) -> Result<PatternType, String> {
    match &r.pattern_type {
        Some(p) => p.parse().map_err(|e| format!("--pattern-type: {e}")),
        None if named => Ok(PatternType::Literal),
        None => Ok(PatternType::Any),
    }
}

fn operations(words: &[String]) -> Result<Vec<Operation>, String> {
    words
        .iter()
        .map(|w| match w.parse::<Operation>() {
            Ok(Operation::Any) => Err(String::from(
                "--operation: ANY is a filter, not an operation",
            )),
            Ok(o) => Ok(o),
            Err(e) => Err(format!("--operation: {e}")),
        })
        .collect()
}

/// The filter of `acls list`.
pub fn list_filter(principal: Option<&str>, r: &AclResourceArgs) -> Result<AclFilter, String> {
    let named = resource(r);
    let pattern_type = pattern(r, named.is_some())?;
    let (resource_type, resource_name) = match named {
        Some((t, n)) => (t, Some(n)),
        None => (ResourceType::Any, None),
    };
    Ok(AclFilter {
        resource_type,
        resource_name,
        pattern_type,
        principal: principal.map(str::to_string),
        ..AclFilter::any()
    })
}

/// The principals with their permission: allows first, then denies.
fn principals(a: &AclSpecArgs) -> Vec<(String, Permission)> {
    a.allow_principal
        .iter()
        .map(|p| (p.clone(), Permission::Allow))
        .chain(
            a.deny_principal
                .iter()
                .map(|p| (p.clone(), Permission::Deny)),
        )
        .collect()
}

/// The ACLs `acls create` makes: every principal × operation on the resource.
pub fn bindings(a: &AclSpecArgs) -> Result<Vec<AclBinding>, String> {
    let (resource_type, resource_name) = resource(&a.resource).ok_or_else(|| {
        String::from("name the resource: --topic, --group, --cluster or --transactional-id")
    })?;
    let pattern_type = pattern(&a.resource, true)?;
    if !matches!(pattern_type, PatternType::Literal | PatternType::Prefixed) {
        return Err(String::from(
            "--pattern-type: an ACL is LITERAL or PREFIXED (ANY and MATCH only filter)",
        ));
    }
    let who = principals(a);
    if who.is_empty() {
        return Err(String::from(
            "name a principal: --allow-principal or --deny-principal",
        ));
    }
    let ops = operations(&a.operation)?;
    if ops.is_empty() {
        return Err(String::from(
            "name an operation: --operation Read (repeatable)",
        ));
    }
    let host = a.host.clone().unwrap_or_else(|| "*".into());
    let mut out = Vec::new();
    for (principal, permission) in &who {
        for op in &ops {
            out.push(AclBinding {
                resource_type,
                resource_name: resource_name.clone(),
                pattern_type,
                principal: principal.clone(),
                host: host.clone(),
                operation: *op,
                permission: *permission,
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The filters of `acls delete`: an option left out matches every value, but
/// a resource or a principal must be named (nothing deletes every ACL).
pub fn delete_filters(a: &AclSpecArgs) -> Result<Vec<AclFilter>, String> {
    let named = resource(&a.resource);
    let who = principals(a);
    if named.is_none() && who.is_empty() {
        return Err(String::from(
            "name a resource (--topic, --group, --cluster, --transactional-id) or a principal (--allow-principal, --deny-principal)",
        ));
    }
    let pattern_type = pattern(&a.resource, named.is_some())?;
    let (resource_type, resource_name) = match named {
        Some((t, n)) => (t, Some(n)),
        None => (ResourceType::Any, None),
    };
    let mut ops = operations(&a.operation)?;
    if ops.is_empty() {
        ops.push(Operation::Any);
    }
    let who: Vec<(Option<String>, Permission)> = if who.is_empty() {
        vec![(None, Permission::Any)]
    } else {
        who.into_iter().map(|(p, perm)| (Some(p), perm)).collect()
    };
    let mut out = Vec::new();
    for (principal, permission) in &who {
        for op in &ops {
            out.push(AclFilter {
                resource_type,
                resource_name: resource_name.clone(),
                pattern_type,
                principal: principal.clone(),
                host: a.host.clone(),
                operation: *op,
                permission: *permission,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> AclSpecArgs {
        AclSpecArgs {
            allow_principal: vec!["User:bob".into()],
            deny_principal: vec!["User:eve".into()],
            operation: vec!["read".into(), "Describe".into()],
            resource: AclResourceArgs {
                topic: Some("orders".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn create_makes_every_principal_times_operation_on_the_resource() {
        let acls = bindings(&spec()).expect("valid");
        assert_eq!(acls.len(), 4);
        assert!(acls.iter().all(|a| a.resource_type == ResourceType::Topic
            && a.resource_name == "orders"
            && a.pattern_type == PatternType::Literal
            && a.host == "*"));
        assert!(acls.iter().any(|a| a.principal == "User:eve"
            && a.permission == Permission::Deny
            && a.operation == Operation::Describe));
        let mut no_resource = spec();
        no_resource.resource.topic = None;
        assert!(bindings(&no_resource).is_err());
        let mut any = spec();
        any.resource.pattern_type = Some("match".into());
        assert!(bindings(&any).is_err());
        let mut no_op = spec();
        no_op.operation.clear();
        assert!(bindings(&no_op).is_err());
    }

    #[test]
    fn delete_leaves_out_what_is_not_named_but_never_everything() {
        let none = AclSpecArgs::default();
        assert!(delete_filters(&none).is_err());
        let by_topic = AclSpecArgs {
            resource: AclResourceArgs {
                topic: Some("orders".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let f = delete_filters(&by_topic).expect("valid");
        assert_eq!(f.len(), 1);
        assert_eq!(
            (
                f[0].principal.as_deref(),
                f[0].operation,
                f[0].permission,
                f[0].host.as_deref()
            ),
            (None, Operation::Any, Permission::Any, None)
        );
        assert_eq!(f[0].pattern_type, PatternType::Literal);
        assert_eq!(delete_filters(&spec()).expect("valid").len(), 4);
    }

    #[test]
    fn list_defaults_to_any_pattern_without_a_resource() {
        let f = list_filter(Some("User:alice"), &AclResourceArgs::default()).expect("valid");
        assert_eq!(f.pattern_type, PatternType::Any);
        assert_eq!(f.resource_type, ResourceType::Any);
        let f = list_filter(
            None,
            &AclResourceArgs {
                cluster: true,
                ..Default::default()
            },
        )
        .expect("valid");
        assert_eq!(
            (f.resource_type, f.resource_name.as_deref(), f.pattern_type),
            (
                ResourceType::Cluster,
                Some(CLUSTER_NAME),
                PatternType::Literal
            )
        );
    }
}
