//! `eventdeck acls ...`: the ACLs tab's operations headless, in the words of
//! Kafka's own `kafka-acls` — list (with a principal or resource filter),
//! create and delete. A change prints the ACLs it is about first and is a dry
//! run unless `--execute`; it passes the read-only gate and leaves one audit
//! line ([`crate::mutate::acls`]).

use std::io::Write;

use color_eyre::eyre::Result;

use super::{UserError, put_line, report};
use crate::audit::{self, Source, action};
use crate::cli::AclsCommand;
use crate::config::Settings;
use crate::kafka::acls as kafka_acls;
use crate::kafka::ffi::AclBinding;
use crate::mutate;
use crate::mutate::acls::{bindings, delete_filters, list_filter};

/// Runs `eventdeck acls ...`.
pub async fn run(settings: &Settings, cmd: &AclsCommand) -> Result<()> {
    match cmd {
        AclsCommand::List {
            principal,
            resource,
            json,
        } => {
            let filter = list_filter(principal.as_deref(), resource).map_err(UserError)?;
            let acls = kafka_acls::list_acls(settings, filter).await?;
            print(&acls, *json)?;
        }
        AclsCommand::Create { acl, execute, json } => {
            let acls = bindings(acl).map_err(UserError)?;
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
            let filters = delete_filters(acl).map_err(UserError)?;
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
