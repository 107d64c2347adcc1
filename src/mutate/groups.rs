//! Consumer-group changes: offset resets (planned first, a dry run; committed
//! only when the plan is confirmed) and group deletion. The reset grammar is
//! clap's, the same for `eventdeck groups reset-offsets` and the console's `:reset`.

use std::collections::BTreeMap;

use clap::Parser;
use serde_json::json;

use super::{MutationError, audited, confirm};
use crate::audit::{self, Source, action};
use crate::cli::{PaletteResetArgs, ResetTargetArgs};
use crate::config::Settings;
use crate::kafka::KafkaError;
use crate::kafka::admin;
use crate::reset::{
    ResetPlan, ResetScope, ResetSpec, TopicScope, parse_datetime, parse_iso_duration,
};

/// A reset as asked for: which group, where to, which partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    /// The group.
    pub group: String,
    /// Where to.
    pub spec: ResetSpec,
    /// Which partitions.
    pub scope: ResetScope,
}

impl ResetRequest {
    /// From the headless command's (or the palette's) options; `more_topics`
    /// are topics named besides `--topic`. No topic and no `--all-topics`
    /// means every topic (the headless command requires one or the other).
    pub fn from_args(
        group: &str,
        args: &ResetTargetArgs,
        more_topics: &[String],
    ) -> Result<Self, String> {
        Ok(Self {
            group: group.to_string(),
            spec: spec(args)?,
            scope: scope(args, more_topics)?,
        })
    }

    /// Parses the console palette's `:reset` arguments (the words after
    /// `reset`) with the clap grammar of [`PaletteResetArgs`].
    pub fn from_palette(words: &[&str]) -> Result<Self, String> {
        let args = PaletteResetArgs::try_parse_from(words).map_err(|e| {
            // clap's message is several lines: what is wrong (the missing
            // arguments on the lines after it), then usage and hints. A toast
            // is one line, and the palette's help follows it.
            let text = e.to_string();
            let said: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            let said = said.join(" ");
            said.strip_prefix("error: ").unwrap_or(&said).to_string()
        })?;
        Self::from_args(&args.group, &args.target, &args.bare_topics)
    }
}

/// The reset spec the options ask for.
fn spec(args: &ResetTargetArgs) -> Result<ResetSpec, String> {
    if args.to_earliest {
        return Ok(ResetSpec::Earliest);
    }
    if args.to_latest {
        return Ok(ResetSpec::Latest);
    }
    if let Some(t) = &args.to_datetime {
        return parse_datetime(t)
            .map(ResetSpec::Timestamp)
            .map_err(|e| format!("--to-datetime: {e}"));
    }
    if let Some(d) = &args.by_duration {
        let ms = parse_iso_duration(d).map_err(|e| format!("--by-duration: {e}"))?;
        return Ok(ResetSpec::Timestamp(
            chrono::Utc::now().timestamp_millis() - ms,
        ));
    }
    if let Some(n) = args.shift_by {
        return Ok(ResetSpec::ShiftBy(n));
    }
    if let Some(n) = args.to_offset {
        return Ok(ResetSpec::Offset(n));
    }
    Err("say where to: --to-earliest, --to-latest, --to-datetime, --by-duration, --shift-by or --to-offset".into())
}

/// The partitions the options select.
fn scope(args: &ResetTargetArgs, more_topics: &[String]) -> Result<ResetScope, String> {
    if args.all_topics || (args.topics.is_empty() && more_topics.is_empty()) {
        return Ok(ResetScope::AllTopics);
    }
    args.topics
        .iter()
        .chain(more_topics)
        .map(|t| TopicScope::parse(t).map_err(|e| format!("--topic: {e}")))
        .collect::<Result<_, _>>()
        .map(ResetScope::Topics)
}

/// Plans a reset: the dry run, allowed read-only and not audited. Refuses a
/// group with members.
pub async fn plan_reset(settings: &Settings, req: &ResetRequest) -> Result<ResetPlan, KafkaError> {
    admin::plan_reset(settings, &req.group, req.spec, &req.scope).await
}

/// Commits a confirmed plan's offsets (the group must still have no
/// members); returns the committed offsets read back. Audit params: group,
/// spec, scope and the plan's rows; outcome `{committed}`.
pub async fn reset_offsets(
    settings: &Settings,
    source: Source,
    plan: &ResetPlan,
) -> Result<BTreeMap<(String, i32), i64>, MutationError> {
    audit::authorize(settings, action::GROUP_RESET_OFFSETS)?;
    let res = admin::execute_reset(settings, plan).await;
    let params = json!({
        "group": plan.group, "spec": plan.spec, "scope": plan.scope, "plan": plan.rows,
    });
    audited(
        settings,
        source,
        action::GROUP_RESET_OFFSETS,
        params,
        res,
        |c| json!({ "committed": c.len() }),
    )
}

/// Deletes a group and its committed offsets; destructive, so only when
/// `confirmed`.
pub async fn delete(
    settings: &Settings,
    source: Source,
    group: &str,
    confirmed: bool,
) -> Result<(), MutationError> {
    audit::authorize(settings, action::GROUP_DELETE)?;
    confirm(confirmed, format!("deleting consumer group '{group}'"))?;
    let res = admin::delete_consumer_group(settings, group).await;
    let params = json!({ "group": group });
    audited(settings, source, action::GROUP_DELETE, params, res, |_| {
        "ok".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_palette_reads_resets_with_the_headless_grammar() {
        <PaletteResetArgs as clap::CommandFactory>::command().debug_assert();
        let r = ResetRequest::from_palette(&["analytics", "--to-earliest", "orders:0,1"])
            .expect("parses");
        assert_eq!(r.group, "analytics");
        assert_eq!(r.spec, ResetSpec::Earliest);
        assert_eq!(
            r.scope,
            ResetScope::Topics(vec![TopicScope {
                topic: "orders".into(),
                partitions: vec![0, 1]
            }])
        );
        let r = ResetRequest::from_palette(&["g", "--shift-by", "-5"]).expect("parses");
        assert_eq!(
            (r.spec, r.scope),
            (ResetSpec::ShiftBy(-5), ResetScope::AllTopics)
        );
        let r = ResetRequest::from_palette(&[
            "g",
            "--to-datetime",
            "1970-01-01T00:00:01Z",
            "--topic",
            "a",
            "b",
        ])
        .expect("parses");
        assert_eq!(r.spec, ResetSpec::Timestamp(1_000));
        assert!(matches!(r.scope, ResetScope::Topics(t) if t.len() == 2));
        for bad in [
            &["g"][..],
            &["g", "--to-earliest", "--to-latest"][..],
            &["g", "--to-offset", "x"][..],
            &["g", "--bogus"][..],
            &[][..],
        ] {
            let e = ResetRequest::from_palette(bad).expect_err("refused");
            assert!(!e.contains('\n') && !e.contains("Usage"), "one line: {e}");
        }
    }
}
