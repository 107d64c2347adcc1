//! `eventdeck acls ...`: the ACLs tab's operations headless, in the words of
//! Kafka's own `kafka-acls` — list (with a principal or resource filter),
//! create and delete. A change prints the ACLs it is about first and is a dry
//! run unless `--execute`; it passes the read-only gate and leaves one audit
//! line ([`crate::mutate::acls`]).

use std::io::Write;

use color_eyre::eyre::Result;

use super::{UserError, put_line, report};
use crate::audit::{self, Source, action};
use crate::cli::{AclResourceArgs, AclSpecArgs, AclsCommand};
use crate::config::Settings;
use crate::kafka::acls as kafka_acls;
use crate::kafka::ffi::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};
use crate::mutate;

/// The cluster resource's one name.
const CLUSTER_NAME: &str = "kafka-cluster";

/// Runs `eventdeck acls ...`.
pub async fn run(settings: &Settings, cmd: &AclsCommand) -> Result<()> {
    match cmd {
        AclsCommand::List {
            principal,
            resource,
            json,
        } => {
            let filter = list_filter(principal.as_deref(), resource)?;
            let acls = kafka_acls::list_acls(settings, filter).await?;
            print(&acls, *json)?;
        }
        AclsCommand::Create { acl, execute, json } => {
            let acls = bindings(acl)?;
            if *execute {
                // Fails fast, before anything is asked; `create` passes it again.
                audit::authorize(settings, action::ACL_CREATE)?;
            }
            print(&acls, *json)?;
            if !*execute {
                eprintln!("dry run: nothing changed; add --execute to create these ACLs");
                return Ok(());
            }
            mutate::acls::create(settings, Source::Headless, &acls)
                .await
                .map_err(report)?;
            eprintln!("created {} ACL(s)", acls.len());
        }
        AclsCommand::Delete { acl, execute, json } => {
            let filters = delete_filters(acl)?;
            if *execute {
                audit::authorize(settings, action::ACL_DELETE)?;
            }
            let mut plan = Vec::new();
            for f in &filters {
                plan.extend(mutate::acls::plan_delete(settings, f).await?);
            }
            plan.sort();
            plan.dedup();
            print(&plan, *json)?;
            if plan.is_empty() {
                eprintln!("no ACL matches: nothing to delete");
                return Ok(());
            }
            if !*execute {
                eprintln!("dry run: nothing changed; add --execute to delete these ACLs");
                return Ok(());
            }
            let deleted = mutate::acls::delete(settings, Source::Headless, &plan)
                .await
                .map_err(report)?;
            eprintln!("deleted {} ACL(s)", deleted.len());
        }
    }
    Ok(())
}

fn print(acls: &[AclBinding], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        crate::domain::text::write_json(&mut out, &acls, true)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, acls)?;
    }
    out.flush()?;
    Ok(())
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
fn pattern(r: &AclResourceArgs, named: bool) -> Result<PatternType, UserError> {
    match &r.pattern_type {
        Some(p) => p
            .parse()
            .map_err(|e| UserError(format!("--pattern-type: {e}"))),
        None if named => Ok(PatternType::Literal),
        None => Ok(PatternType::Any),
    }
}

fn operations(words: &[String]) -> Result<Vec<Operation>, UserError> {
    words
        .iter()
        .map(|w| match w.parse::<Operation>() {
            Ok(Operation::Any) => Err(UserError(
                "--operation: ANY is a filter, not an operation".into(),
            )),
            Ok(o) => Ok(o),
            Err(e) => Err(UserError(format!("--operation: {e}"))),
        })
        .collect()
}

/// The filter of `acls list`.
pub(crate) fn list_filter(
    principal: Option<&str>,
    r: &AclResourceArgs,
) -> Result<AclFilter, UserError> {
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
pub(crate) fn bindings(a: &AclSpecArgs) -> Result<Vec<AclBinding>, UserError> {
    let (resource_type, resource_name) = resource(&a.resource).ok_or_else(|| {
        UserError("name the resource: --topic, --group, --cluster or --transactional-id".into())
    })?;
    let pattern_type = pattern(&a.resource, true)?;
    if !matches!(pattern_type, PatternType::Literal | PatternType::Prefixed) {
        return Err(UserError(
            "--pattern-type: an ACL is LITERAL or PREFIXED (ANY and MATCH only filter)".into(),
        ));
    }
    let who = principals(a);
    if who.is_empty() {
        return Err(UserError(
            "name a principal: --allow-principal or --deny-principal".into(),
        ));
    }
    let ops = operations(&a.operation)?;
    if ops.is_empty() {
        return Err(UserError(
            "name an operation: --operation Read (repeatable)".into(),
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
pub(crate) fn delete_filters(a: &AclSpecArgs) -> Result<Vec<AclFilter>, UserError> {
    let named = resource(&a.resource);
    let who = principals(a);
    if named.is_none() && who.is_empty() {
        return Err(UserError(
            "name a resource (--topic, --group, --cluster, --transactional-id) or a principal (--allow-principal, --deny-principal)".into(),
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

/// `PRINCIPAL HOST OPERATION PERMISSION RESOURCE-TYPE RESOURCE-NAME PATTERN`.
pub(crate) fn write_table(out: &mut impl Write, acls: &[AclBinding]) -> std::io::Result<()> {
    let w = |f: fn(&AclBinding) -> usize, head: &str| {
        acls.iter().map(f).chain([head.len()]).max().unwrap_or(0)
    };
    let wp = w(|a| a.principal.chars().count(), "PRINCIPAL");
    let wh = w(|a| a.host.chars().count(), "HOST");
    let wn = w(|a| a.resource_name.chars().count(), "RESOURCE-NAME");
    put_line(
        out,
        &format!(
            "{:<wp$} {:<wh$} {:<16} {:<10} {:<16} {:<wn$} PATTERN",
            "PRINCIPAL", "HOST", "OPERATION", "PERMISSION", "RESOURCE-TYPE", "RESOURCE-NAME"
        ),
    )?;
    for a in acls {
        put_line(
            out,
            &format!(
                "{:<wp$} {:<wh$} {:<16} {:<10} {:<16} {:<wn$} {}",
                a.principal,
                a.host,
                a.operation,
                a.permission,
                a.resource_type,
                a.resource_name,
                a.pattern_type
            ),
        )?;
    }
    Ok(())
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
