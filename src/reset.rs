//! Topic and consumer-group operations as plain data: the offset-reset request
//! (spec and scope), ISO-8601 durations as Kafka's tool reads them, and the rule
//! that turns a partition's watermarks and committed offset into its new offset.
//! No Kafka here: `kafka::admin` gathers the inputs and applies the plan; the
//! headless commands and the console panes share both.

use serde::Serialize;

/// Where a reset moves each partition's committed offset
/// (the `kafka-consumer-groups --reset-offsets` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ResetSpec {
    /// `--to-earliest`: the log-start offset.
    Earliest,
    /// `--to-latest`: the log-end offset.
    Latest,
    /// `--to-datetime` / `--by-duration`: the first offset whose timestamp is at
    /// or after this time (ms since the epoch); the log end when there is none.
    Timestamp(i64),
    /// `--shift-by N`: the committed offset plus N, clamped to the log.
    ShiftBy(i64),
    /// `--to-offset N`: N, clamped to the log.
    Offset(i64),
}

/// Which partitions a reset touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ResetScope {
    /// `--topic T` (every partition) or `--topic T:0,1` (these), repeatable.
    Topics(Vec<TopicScope>),
    /// `--all-topics`: every partition the group has committed offsets on, as
    /// Kafka's tool does.
    AllTopics,
}

/// One `--topic` argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicScope {
    /// The topic.
    pub topic: String,
    /// Only these partitions; empty means all of them.
    pub partitions: Vec<i32>,
}

impl TopicScope {
    /// Parses `T` or `T:0,1,2`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (topic, parts) = match s.rsplit_once(':') {
            Some((t, p)) => (t, Some(p)),
            None => (s, None),
        };
        if topic.is_empty() {
            return Err(format!("'{s}' names no topic; use TOPIC or TOPIC:0,1"));
        }
        let partitions = match parts {
            None => Vec::new(),
            Some(p) => p
                .split(',')
                .map(|x| {
                    x.trim()
                        .parse::<i32>()
                        .ok()
                        .filter(|n| *n >= 0)
                        .ok_or_else(|| format!("'{x}' in '{s}' is not a partition number"))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            topic: topic.to_string(),
            partitions,
        })
    }
}

/// One row of a reset plan: `GROUP TOPIC PARTITION CURRENT-OFFSET NEW-OFFSET`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetRow {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The committed offset now, if any.
    pub current_offset: Option<i64>,
    /// The offset the reset commits.
    pub new_offset: i64,
}

/// A reset, computed and not yet applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetPlan {
    /// The group.
    pub group: String,
    /// Where to, as asked.
    pub spec: ResetSpec,
    /// Which partitions, as asked.
    pub scope: ResetScope,
    /// Rows sorted by topic and partition.
    pub rows: Vec<ResetRow>,
}

/// What one partition needs for the new-offset rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    /// Log-start offset (low watermark).
    pub low: i64,
    /// Log-end offset (high watermark).
    pub high: i64,
    /// The group's committed offset.
    pub committed: Option<i64>,
    /// For a timestamp spec: the offset the broker found for it, `None` when no
    /// record is that recent.
    pub for_time: Option<i64>,
}

/// The new offset of one partition, as Kafka's `ResetOffsets` computes it:
/// earliest/latest are the watermarks; shift-by and to-offset are clamped to
/// `[low, high]`; a time with no record at or after it means the log end.
/// Shift-by without a committed offset is an error, as in Kafka's tool.
pub(crate) fn new_offset(spec: ResetSpec, p: PartitionOffsets) -> Result<i64, String> {
    let clamp = |o: i64| o.clamp(p.low, p.high.max(p.low));
    Ok(match spec {
        ResetSpec::Earliest => p.low,
        ResetSpec::Latest => p.high,
        ResetSpec::Timestamp(_) => p.for_time.filter(|o| *o >= 0).unwrap_or(p.high),
        ResetSpec::Offset(o) => clamp(o),
        ResetSpec::ShiftBy(n) => {
            let Some(c) = p.committed else {
                return Err("there is no committed offset to shift".into());
            };
            clamp(c.saturating_add(n))
        }
    })
}

/// Parses an ISO-8601 duration the way Java's `Duration.parse` (and so
/// `kafka-consumer-groups --by-duration`) does: `PnDTnHnMn.nS`, optional sign,
/// e.g. `PT10M`, `P1DT2H`, `PT0.5S`. Returns milliseconds.
pub(crate) fn parse_iso_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("'{s}' is not an ISO-8601 duration like PT10M or P1DT2H");
    let upper = s.trim().to_ascii_uppercase();
    let (sign, rest) = match upper.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, upper.strip_prefix('+').unwrap_or(&upper)),
    };
    let rest = rest.strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return Err(bad());
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let mut ms = 0.0f64;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, f64)]| -> Result<(), String> {
        let mut num = String::new();
        let mut next_unit = 0;
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' || ch == '-' || ch == '+' {
                num.push(ch);
                continue;
            }
            let idx = units[next_unit..]
                .iter()
                .position(|(u, _)| *u == ch)
                .ok_or_else(bad)?
                + next_unit;
            let v: f64 = num.parse().map_err(|_| bad())?;
            ms += v * units[idx].1;
            num.clear();
            next_unit = idx + 1;
            any = true;
        }
        if num.is_empty() { Ok(()) } else { Err(bad()) }
    };
    take(date, &[('D', 86_400_000.0)])?;
    if let Some(t) = time {
        take(t, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)])?;
    }
    if !any {
        return Err(bad());
    }
    Ok((sign * ms).round() as i64)
}

/// Parses a `--to-datetime` value: RFC 3339 (`2026-01-02T03:04:05Z`,
/// `...05.123+01:00`), or Kafka's own form without a zone
/// (`2026-01-02T03:04:05.123`), read as UTC. Returns ms since the epoch.
pub(crate) fn parse_datetime(s: &str) -> Result<i64, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(format!(
        "'{s}' is not a date-time like 2026-01-02T03:04:05.000Z (RFC 3339)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(low: i64, high: i64, committed: Option<i64>) -> PartitionOffsets {
        PartitionOffsets {
            low,
            high,
            committed,
            for_time: None,
        }
    }

    #[test]
    fn new_offsets_follow_kafka_tool_rules_and_clamp_to_the_log() {
        let part = p(5, 20, Some(10));
        assert_eq!(new_offset(ResetSpec::Earliest, part), Ok(5));
        assert_eq!(new_offset(ResetSpec::Latest, part), Ok(20));
        assert_eq!(new_offset(ResetSpec::ShiftBy(3), part), Ok(13));
        assert_eq!(new_offset(ResetSpec::ShiftBy(-3), part), Ok(7));
        assert_eq!(new_offset(ResetSpec::ShiftBy(100), part), Ok(20));
        assert_eq!(new_offset(ResetSpec::ShiftBy(-100), part), Ok(5));
        assert_eq!(new_offset(ResetSpec::Offset(2), part), Ok(5));
        assert_eq!(new_offset(ResetSpec::Offset(12), part), Ok(12));
        assert_eq!(new_offset(ResetSpec::Offset(99), part), Ok(20));
        assert!(new_offset(ResetSpec::ShiftBy(1), p(0, 3, None)).is_err());
        let mut timed = part;
        assert_eq!(new_offset(ResetSpec::Timestamp(1), timed), Ok(20));
        timed.for_time = Some(8);
        assert_eq!(new_offset(ResetSpec::Timestamp(1), timed), Ok(8));
    }

    #[test]
    fn iso_durations_parse_like_java_duration() {
        assert_eq!(parse_iso_duration("PT10M"), Ok(600_000));
        assert_eq!(parse_iso_duration("pt1h30m"), Ok(5_400_000));
        assert_eq!(parse_iso_duration("P1DT2H"), Ok(93_600_000));
        assert_eq!(parse_iso_duration("P2D"), Ok(172_800_000));
        assert_eq!(parse_iso_duration("PT0.5S"), Ok(500));
        assert_eq!(parse_iso_duration("-PT1S"), Ok(-1_000));
        for bad in ["", "P", "PT", "10M", "PT10", "PT1M1H", "P1H", "PTxM"] {
            assert!(parse_iso_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn topic_scopes_and_datetimes_parse() {
        assert_eq!(
            TopicScope::parse("orders:0,2"),
            Ok(TopicScope {
                topic: "orders".into(),
                partitions: vec![0, 2]
            })
        );
        assert_eq!(
            TopicScope::parse("orders").map(|t| t.partitions),
            Ok(vec![])
        );
        assert!(TopicScope::parse("orders:x").is_err());
        assert!(TopicScope::parse(":1").is_err());
        assert_eq!(parse_datetime("1970-01-01T00:00:01.500Z"), Ok(1_500));
        assert_eq!(parse_datetime("1970-01-01T01:00:01+01:00"), Ok(1_000));
        assert_eq!(parse_datetime("1970-01-01T00:00:02.000"), Ok(2_000));
        assert!(parse_datetime("yesterday").is_err());
    }
}
