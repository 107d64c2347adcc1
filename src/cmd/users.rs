//! `eventdeck users ...`: SASL/SCRAM users headless — list (mechanisms and
//! iterations, never a secret), set a password, delete. A change prints what
//! it will do first and is a dry run unless `--execute`; it passes the
//! read-only gate and leaves one audit line ([`crate::mutate::users`]). The
//! password is read from a file, stdin or the terminal, never the command line.

use std::io::{BufRead, Write};
use std::path::Path;

use color_eyre::eyre::Result;

use super::{UserError, put_line, report};
use crate::audit::{self, Source, action};
use crate::cli::UsersCommand;
use crate::config::{Secret, Settings};
use crate::kafka::acls as kafka_acls;
use crate::kafka::ffi::{ScramMechanism, ScramUser};
use crate::mutate;

/// The iteration counts Kafka's brokers accept for SCRAM-SHA-256/512.
const ITERATIONS: std::ops::RangeInclusive<i32> = 4096..=16384;

/// Runs `eventdeck users ...`.
pub async fn run(settings: &Settings, cmd: &UsersCommand) -> Result<()> {
    match cmd {
        UsersCommand::List { users, json } => {
            let found = kafka_acls::list_scram_users(settings, users.clone()).await?;
            let mut out = std::io::stdout().lock();
            if *json {
                crate::domain::text::write_json(&mut out, &found, true)?;
                writeln!(out)?;
            } else {
                write_table(&mut out, &found)?;
            }
        }
        UsersCommand::SetPassword {
            user,
            mechanism,
            iterations,
            password_file,
            password_stdin,
            execute,
        } => {
            let mechanism = parse_mechanism(mechanism)?;
            if !ITERATIONS.contains(iterations) {
                return Err(UserError(format!(
                    "--iterations: Kafka accepts {} to {}, not {iterations}",
                    ITERATIONS.start(),
                    ITERATIONS.end()
                ))
                .into());
            }
            if *execute {
                audit::authorize(settings, action::USER_SET_PASSWORD)?;
            }
            let now = current(settings, user, mechanism).await?;
            let what = match now {
                Some(n) => format!(
                    "change the {mechanism} password of user {user} (now {n} iterations; then {iterations})"
                ),
                None => format!(
                    "create a {mechanism} credential for user {user} ({iterations} iterations)"
                ),
            };
            if !*execute {
                put_line(&mut std::io::stdout(), &format!("would {what}"))?;
                eprintln!("dry run: nothing changed; add --execute to change it");
                return Ok(());
            }
            let password = read_password(user, password_file.as_deref(), *password_stdin)?;
            put_line(&mut std::io::stdout(), &format!("will {what}"))?;
            mutate::users::set_password(
                settings,
                Source::Headless,
                user,
                mechanism,
                *iterations,
                password,
            )
            .await
            .map_err(report)?;
            eprintln!(
                "set the {mechanism} password of user {}",
                crate::domain::sanitize(user)
            );
        }
        UsersCommand::Delete {
            user,
            mechanism,
            execute,
        } => {
            let named = mechanism
                .iter()
                .map(|m| parse_mechanism(m))
                .collect::<Result<Vec<_>, _>>()?;
            if *execute {
                audit::authorize(settings, action::USER_DELETE)?;
            }
            let found = kafka_acls::list_scram_users(settings, vec![user.clone()]).await?;
            let has: Vec<ScramMechanism> = found
                .iter()
                .filter(|u| u.user == *user)
                .flat_map(|u| u.credentials.iter().map(|c| c.mechanism))
                .collect();
            let doomed: Vec<ScramMechanism> = if named.is_empty() { has.clone() } else { named };
            if let Some(m) = doomed.iter().find(|m| !has.contains(m)) {
                return Err(UserError(format!("user {user} has no {m} credential")).into());
            }
            if doomed.is_empty() {
                return Err(UserError(format!("user {user} has no SCRAM credentials")).into());
            }
            let mut out = std::io::stdout().lock();
            for m in &doomed {
                let verb = if *execute { "will" } else { "would" };
                put_line(
                    &mut out,
                    &format!("{verb} delete the {m} credential of user {user}"),
                )?;
            }
            out.flush()?;
            drop(out);
            if !*execute {
                eprintln!("dry run: nothing changed; add --execute to delete");
                return Ok(());
            }
            mutate::users::delete(settings, Source::Headless, user, &doomed)
                .await
                .map_err(report)?;
            eprintln!(
                "deleted {} credential(s) of user {}",
                doomed.len(),
                crate::domain::sanitize(user)
            );
        }
    }
    Ok(())
}

fn parse_mechanism(m: &str) -> Result<ScramMechanism, UserError> {
    m.parse()
        .map_err(|e| UserError(format!("--mechanism: {e}")))
}

/// The iterations of `user`'s `mechanism` credential, if it has one.
async fn current(
    settings: &Settings,
    user: &str,
    mechanism: ScramMechanism,
) -> Result<Option<i32>> {
    let found = kafka_acls::list_scram_users(settings, vec![user.to_string()]).await?;
    Ok(found
        .iter()
        .filter(|u| u.user == user)
        .flat_map(|u| &u.credentials)
        .find(|c| c.mechanism == mechanism)
        .map(|c| c.iterations))
}

/// The new password: the first line of a file or of stdin, else typed twice
/// on the terminal (not echoed).
fn read_password(user: &str, file: Option<&Path>, stdin: bool) -> Result<Secret> {
    let first_line = |text: &str| text.lines().next().unwrap_or_default().to_string();
    let password = if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UserError(format!(
                "cannot read the password file {}: {e}",
                path.display()
            ))
        })?;
        first_line(&text)
    } else if stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        first_line(&line)
    } else {
        let typed = rpassword::prompt_password(format!("new SCRAM password for {user}: "))
            .map_err(|e| UserError(format!("cannot read the password from the terminal: {e}")))?;
        let again = rpassword::prompt_password("again: ")
            .map_err(|e| UserError(format!("cannot read the password from the terminal: {e}")))?;
        if typed != again {
            return Err(UserError("the two passwords differ; nothing changed".into()).into());
        }
        typed
    };
    if password.is_empty() {
        return Err(UserError("the password is empty; nothing changed".into()).into());
    }
    Ok(Secret::new(password))
}

/// `USER MECHANISM ITERATIONS`, a user without credentials with its error.
pub(crate) fn write_table(out: &mut impl Write, users: &[ScramUser]) -> std::io::Result<()> {
    let wu = users
        .iter()
        .map(|u| u.user.chars().count())
        .chain(["USER".len()])
        .max()
        .unwrap_or(4);
    put_line(
        out,
        &format!("{:<wu$} {:<14} ITERATIONS", "USER", "MECHANISM"),
    )?;
    for u in users {
        if let Some(e) = &u.error {
            put_line(out, &format!("{:<wu$} {:<14} -  ({e})", u.user, "-"))?;
            continue;
        }
        for c in &u.credentials {
            put_line(
                out,
                &format!(
                    "{:<wu$} {:<14} {}",
                    u.user,
                    c.mechanism.as_str(),
                    c.iterations
                ),
            )?;
        }
    }
    Ok(())
}
