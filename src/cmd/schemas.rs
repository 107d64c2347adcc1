//! `eventdeck schemas ...`: the Schemas tab headless — list subjects, show a
//! version, diff two versions ([`crate::schemas`]), and register a schema.
//! Registering prints what it would do first and is a dry run unless
//! `--execute`; it passes the read-only gate and leaves one audit line
//! ([`crate::mutate::schemas`]).

use std::io::Write;

use color_eyre::eyre::Result;

use super::{UserError, put_line, report};
use crate::audit::{self, Source, action};
use crate::cli::SchemasCommand;
use crate::config::Settings;
use crate::domain::schema::{Schema, SchemaFormat, SchemaText};
use crate::mutate;
use crate::schema_registry::RegistryClient;
use crate::schemas::{self, SchemaDiff, SubjectSummary, VersionView};

/// Said when no registry is configured.
pub const NO_REGISTRY: &str = "no schema registry configured: pass --schema-registry URL \
(e.g. http://127.0.0.1:8081/apis/ccompat/v7) or set SCHEMA_REGISTRY_URL";

/// Runs `eventdeck schemas ...`.
pub async fn run(settings: &Settings, cmd: &SchemasCommand) -> Result<()> {
    let client = RegistryClient::new(&settings.schema_registry)
        .map_err(UserError)?
        .ok_or_else(|| UserError(NO_REGISTRY.into()))?;
    // Only `list` needs the cluster: the topics named after each subject.
    let topics = match cmd {
        SchemasCommand::List { .. } => {
            match crate::kafka::client::check_reachable(settings, None).await {
                Ok(info) => Some(info.topics.into_iter().map(|(t, _)| t).collect()),
                Err(e) => {
                    eprintln!(
                        "eventdeck: warning: the cluster's topics were not read ({e}): \
                         the topics using each subject are not known"
                    );
                    None
                }
            }
        }
        _ => None,
    };
    let settings = settings.clone();
    let cmd = cmd.clone();
    // The registry's HTTP client blocks.
    crate::task_name::spawn_blocking(move || run_blocking(&settings, &cmd, &client, topics))
        .await
        .map_err(|e| color_eyre::eyre::eyre!("the schemas command stopped: {e}"))?
}

fn run_blocking(
    settings: &Settings,
    cmd: &SchemasCommand,
    client: &RegistryClient,
    topics: Option<Vec<String>>,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        SchemasCommand::List { json } => {
            let subjects = schemas::list(client, topics.as_deref()).map_err(UserError)?;
            if *json {
                crate::domain::text::write_json(&mut out, &subjects, true)?;
                writeln!(out)?;
            } else {
                write_list(&mut out, &subjects)?;
            }
        }
        SchemasCommand::Show {
            subject,
            version,
            json,
        } => {
            let view = schemas::show(client, subject, version.0).map_err(UserError)?;
            if *json {
                crate::domain::text::write_json(&mut out, &view, true)?;
                writeln!(out)?;
            } else {
                write_show(&mut out, &view)?;
            }
        }
        SchemasCommand::Diff {
            subject,
            from,
            to,
            json,
        } => {
            let diff = schemas::diff_versions(client, subject, from.0, to.0).map_err(UserError)?;
            if *json {
                crate::domain::text::write_json(&mut out, &diff, true)?;
                writeln!(out)?;
            } else {
                write_diff(&mut out, &diff)?;
            }
            let (added, removed) = diff.counts();
            eprintln!(
                "{}: version {} → {}: {added} line(s) added, {removed} removed",
                crate::domain::sanitize(subject),
                diff.from.version,
                diff.to.version
            );
        }
        SchemasCommand::Register {
            subject,
            file,
            schema_type,
            execute,
        } => {
            let format = SchemaFormat::from(*schema_type);
            if *execute {
                // Fails fast, before the registry is asked; `register` asks again.
                audit::authorize(settings, action::SCHEMA_REGISTER)?;
            }
            let text = std::fs::read_to_string(file)
                .map_err(|e| UserError(format!("cannot read {}: {e}", file.display())))?;
            // Checked here first: a schema that does not parse is refused
            // with the parser's words, not the registry's.
            Schema::parse(&SchemaText {
                id: 0,
                format,
                text: text.clone(),
                references: Vec::new(),
                subjects: Vec::new(),
            })
            .map_err(|e| {
                UserError(format!(
                    "{} is not a valid {} schema: {e}",
                    file.display(),
                    format.as_str()
                ))
            })?;
            let what = plan(client, subject, format, &text, file)?;
            let verb = if *execute { "will" } else { "would" };
            put_line(&mut out, &format!("{verb} {what}"))?;
            out.flush()?;
            if !*execute {
                eprintln!("dry run: nothing changed; add --execute to register it");
                return Ok(());
            }
            let done = mutate::schemas::register(
                settings,
                Source::Headless,
                client,
                subject,
                format,
                &text,
            )
            .map_err(report)?;
            let version = done
                .version
                .map_or_else(|| "?".to_string(), |v| v.to_string());
            eprintln!(
                "registered subject {} version {version}: schema id {}",
                crate::domain::sanitize(subject),
                done.id
            );
        }
    }
    out.flush()?;
    Ok(())
}

/// What registering `text` under `subject` would do, as one phrase.
fn plan(
    client: &RegistryClient,
    subject: &str,
    format: SchemaFormat,
    text: &str,
    file: &std::path::Path,
) -> Result<String> {
    let source = format!(
        "{} schema in {} ({} bytes)",
        format.as_str(),
        file.display(),
        text.len()
    );
    if let Some((version, id)) = client
        .find_registered(subject, format, text)
        .map_err(UserError)?
    {
        return Ok(format!(
            "register the {source} under subject {subject}: it holds this schema already as version {version} (id {id}), so nothing changes"
        ));
    }
    let compatibility = client.compatibility(subject).map_err(UserError)?;
    let verdict = client
        .is_compatible(subject, format, text)
        .map_err(UserError)?;
    let latest = client
        .subject_version(subject, None)
        .ok()
        .map(|v| v.version);
    Ok(match (verdict, latest) {
        (None, _) | (_, None) => format!(
            "create subject {subject} with the {source} as its version 1 (compatibility {compatibility})"
        ),
        (Some(true), Some(latest)) => format!(
            "register the {source} as a new version of subject {subject} (latest: version {latest}); compatibility {compatibility}: the registry finds it compatible"
        ),
        (Some(false), Some(latest)) => format!(
            "register the {source} as a new version of subject {subject} (latest: version {latest}); compatibility {compatibility}: the registry finds it NOT compatible, so it will refuse it"
        ),
    })
}

/// `SUBJECT VERSION ID FORMAT COMPATIBILITY TOPICS`.
pub(crate) fn write_list(out: &mut impl Write, subjects: &[SubjectSummary]) -> std::io::Result<()> {
    let ws = subjects
        .iter()
        .map(|s| s.subject.chars().count())
        .chain(["SUBJECT".len()])
        .max()
        .unwrap_or(7);
    put_line(
        out,
        &format!(
            "{:<ws$} {:>7} {:>6} {:<8} {:<19} TOPICS",
            "SUBJECT", "VERSION", "ID", "FORMAT", "COMPATIBILITY"
        ),
    )?;
    for s in subjects {
        let topics = match &s.topics {
            None => "?".to_string(),
            Some(t) if t.is_empty() => "-".to_string(),
            Some(t) => t.join(","),
        };
        put_line(
            out,
            &format!(
                "{:<ws$} {:>7} {:>6} {:<8} {:<19} {topics}",
                s.subject,
                s.latest,
                s.id,
                s.format.as_str(),
                s.compatibility
            ),
        )?;
    }
    Ok(())
}

/// The version's facts, a blank line, then its text.
pub(crate) fn write_show(out: &mut impl Write, v: &VersionView) -> std::io::Result<()> {
    let versions: Vec<String> = v.versions.iter().map(u32::to_string).collect();
    let references = v.references_text();
    for (k, val) in [
        ("subject", v.subject.clone()),
        ("versions", versions.join(", ")),
        ("version", v.version.to_string()),
        ("id", v.id.to_string()),
        ("format", v.format.as_str().to_string()),
        ("compatibility", v.compatibility.clone()),
        ("references", references),
    ] {
        put_line(out, &format!("{k:<14} {val}"))?;
    }
    writeln!(out)?;
    for line in v.schema.lines() {
        put_line(out, line)?;
    }
    Ok(())
}

/// `diff -u` of the two versions' texts.
pub(crate) fn write_diff(out: &mut impl Write, d: &SchemaDiff) -> std::io::Result<()> {
    let name = |side: &schemas::DiffSide| {
        format!("{} version {} (id {})", d.subject, side.version, side.id)
    };
    put_line(out, &format!("--- {}", name(&d.from)))?;
    put_line(out, &format!("+++ {}", name(&d.to)))?;
    for l in &d.lines {
        put_line(out, &format!("{}{}", l.op.mark(), l.text))?;
    }
    Ok(())
}
