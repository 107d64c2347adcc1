//! Consumer lag: what `kafka-consumer-groups.sh --describe` shows (CURRENT-OFFSET,
//! LOG-END-OFFSET, LAG, CONSUMER-ID, HOST, CLIENT-ID), plus lag in seconds, a
//! Burrow-style status, a trend and the time to drain. Pure logic: polls come in
//! as [`Poll`] snapshots (from `kafka::groups`), reports go out as [`LagReport`].

pub mod seconds;
pub mod status;

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use seconds::OffsetTimeTable;
pub use status::Status;
use status::{Commit, CommitWindow};

/// One partition of a group, as one poll saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionSnapshot {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The group's committed offset, if any.
    pub current_offset: Option<i64>,
    /// High watermark.
    pub log_end_offset: i64,
    /// Low watermark.
    pub log_start_offset: i64,
    /// The member the partition is assigned to.
    pub consumer_id: Option<String>,
    /// That member's host.
    pub host: Option<String>,
    /// That member's client id.
    pub client_id: Option<String>,
}

/// One group, as one poll saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSnapshot {
    /// Group id.
    pub group: String,
    /// Stable, Empty, PreparingRebalance, ... (`-` when unknown).
    pub state: String,
    /// Number of members.
    pub members: usize,
    /// Its partitions: those it committed on or has assigned.
    pub partitions: Vec<PartitionSnapshot>,
}

/// A full poll of the cluster's groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Poll {
    /// When it was taken (ms since the epoch).
    pub time_ms: i64,
    /// The groups.
    pub groups: Vec<GroupSnapshot>,
    /// A note for the user, e.g. that the broker cannot list groups.
    pub note: Option<String>,
}

/// A partition's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionLag {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// CURRENT-OFFSET.
    pub current_offset: Option<i64>,
    /// LOG-END-OFFSET.
    pub log_end_offset: i64,
    /// Log-start offset.
    pub log_start_offset: i64,
    /// LAG = log-end − committed; `None` without a commit.
    pub lag: Option<i64>,
    /// Lag in seconds; `None` when unknown.
    pub lag_seconds: Option<f64>,
    /// Records retention deleted before the group read them (committed < log start).
    pub deleted_unread: Option<i64>,
    /// CONSUMER-ID.
    pub consumer_id: Option<String>,
    /// HOST.
    pub host: Option<String>,
    /// CLIENT-ID.
    pub client_id: Option<String>,
    /// Burrow status of this partition.
    pub status: Status,
}

/// A group's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLag {
    /// Group id.
    pub group: String,
    /// Group state.
    pub state: String,
    /// Members.
    pub members: usize,
    /// Sum of known partition lags; `None` when no partition has a commit.
    pub total_lag: Option<i64>,
    /// Largest partition lag.
    pub max_lag: Option<i64>,
    /// Largest partition lag in seconds.
    pub lag_seconds: Option<f64>,
    /// The worst partition's status.
    pub status: Status,
    /// Total lag over the last polls, oldest first (for a sparkline).
    pub trend: Vec<u64>,
    /// Seconds until the lag is gone at the current net consumption rate;
    /// `None` when lag is not shrinking.
    pub drain_seconds: Option<f64>,
    /// Partitions.
    pub partitions: Vec<PartitionLag>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagReport {
    /// Groups, in poll order.
    pub groups: Vec<GroupLag>,
    /// A note for the user.
    pub note: Option<String>,
}

/// Points of the per-group trend.
pub const TREND_POINTS: usize = 40;

/// Keeps the history that lag seconds, status and trend need across polls.
#[derive(Debug, Default)]
pub struct LagTracker {
    tables: HashMap<(String, i32), OffsetTimeTable>,
    windows: HashMap<(String, String, i32), CommitWindow>,
    trends: HashMap<String, VecDeque<(i64, i64)>>,
}

impl LagTracker {
    /// Folds a poll into the history and reports.
    pub fn apply(&mut self, poll: &Poll) -> LagReport {
        let now = poll.time_ms;
        // Log-end history is per partition, shared by every group reading it.
        for g in &poll.groups {
            for p in &g.partitions {
                self.tables
                    .entry((p.topic.clone(), p.partition))
                    .or_default()
                    .push(p.log_end_offset, now);
            }
        }
        let groups = poll
            .groups
            .iter()
            .map(|g| self.group_report(g, now))
            .collect();
        LagReport {
            groups,
            note: poll.note.clone(),
        }
    }

    fn group_report(&mut self, g: &GroupSnapshot, now: i64) -> GroupLag {
        let mut partitions = Vec::with_capacity(g.partitions.len());
        for p in &g.partitions {
            let lag = p.current_offset.map(|c| (p.log_end_offset - c).max(0));
            let lag_seconds = p.current_offset.and_then(|c| {
                self.tables
                    .get(&(p.topic.clone(), p.partition))
                    .and_then(|t| t.lag_seconds(c, p.log_end_offset, now))
            });
            let status = match (p.current_offset, lag) {
                (Some(offset), Some(lag)) => {
                    let w = self
                        .windows
                        .entry((g.group.clone(), p.topic.clone(), p.partition))
                        .or_default();
                    w.push(Commit {
                        offset,
                        lag,
                        time_ms: now,
                    });
                    w.status(now)
                }
                _ => Status::Unknown,
            };
            partitions.push(PartitionLag {
                topic: p.topic.clone(),
                partition: p.partition,
                current_offset: p.current_offset,
                log_end_offset: p.log_end_offset,
                log_start_offset: p.log_start_offset,
                lag,
                lag_seconds,
                deleted_unread: p
                    .current_offset
                    .filter(|&c| c < p.log_start_offset)
                    .map(|c| p.log_start_offset - c),
                consumer_id: p.consumer_id.clone(),
                host: p.host.clone(),
                client_id: p.client_id.clone(),
                status,
            });
        }
        let lags: Vec<i64> = partitions.iter().filter_map(|p| p.lag).collect();
        let total_lag = (!lags.is_empty()).then(|| lags.iter().sum());
        let trend = self.trends.entry(g.group.clone()).or_default();
        if let Some(total) = total_lag {
            trend.push_back((now, total));
            while trend.len() > TREND_POINTS {
                trend.pop_front();
            }
        }
        let drain_seconds = drain_time(trend);
        GroupLag {
            group: g.group.clone(),
            state: g.state.clone(),
            members: g.members,
            total_lag,
            max_lag: lags.iter().copied().max(),
            lag_seconds: partitions
                .iter()
                .filter_map(|p| p.lag_seconds)
                .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s)))),
            status: partitions
                .iter()
                .map(|p| p.status)
                .max()
                .unwrap_or(Status::Unknown),
            trend: trend.iter().map(|&(_, l)| l.max(0) as u64).collect(),
            drain_seconds,
            partitions,
        }
    }
}

/// Time to drain from the trend's first and last points: lag / shrink rate.
fn drain_time(trend: &VecDeque<(i64, i64)>) -> Option<f64> {
    let (&(t0, l0), &(t1, l1)) = (trend.front()?, trend.back()?);
    if l1 == 0 {
        return Some(0.0);
    }
    if t1 <= t0 || l1 >= l0 {
        return None;
    }
    let rate = (l0 - l1) as f64 / ((t1 - t0) as f64 / 1000.0);
    Some(l1 as f64 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(current: Option<i64>, end: i64, start: i64) -> PartitionSnapshot {
        PartitionSnapshot {
            topic: "orders".into(),
            partition: 0,
            current_offset: current,
            log_end_offset: end,
            log_start_offset: start,
            consumer_id: None,
            host: None,
            client_id: None,
        }
    }

    fn poll(t: i64, parts: Vec<PartitionSnapshot>) -> Poll {
        Poll {
            time_ms: t,
            groups: vec![GroupSnapshot {
                group: "g".into(),
                state: "Stable".into(),
                members: 1,
                partitions: parts,
            }],
            note: None,
        }
    }

    #[test]
    fn report_follows_kafka_lag_and_keeps_unknowns_unknown() {
        let mut t = LagTracker::default();
        let r = t.apply(&poll(
            0,
            vec![snap(Some(40), 100, 0), {
                let mut p = snap(None, 30, 0);
                p.partition = 1;
                p
            }],
        ));
        let g = &r.groups[0];
        assert_eq!(g.total_lag, Some(60));
        assert_eq!(g.max_lag, Some(60));
        assert_eq!(g.partitions[1].lag, None, "never committed: unknown, not 0");
        assert_eq!(g.lag_seconds, None, "one poll: seconds unknown");
        let json = serde_json::to_value(&r).expect("json");
        assert!(json["groups"][0]["partitions"][1]["lag"].is_null());
        assert!(json["groups"][0]["lag_seconds"].is_null());
    }

    #[test]
    fn seconds_trend_drain_and_status_over_polls() {
        let mut t = LagTracker::default();
        // Producer writes 100/s; the consumer reads 150/s from 0.
        for i in 0..5 {
            let now = i * 1_000;
            let end = 1_000 + 100 * i;
            let committed = 150 * i;
            t.apply(&poll(now, vec![snap(Some(committed), end, 0)]));
        }
        let r = t.apply(&poll(5_000, vec![snap(Some(750), 1_500, 0)]));
        let g = &r.groups[0];
        assert_eq!(g.total_lag, Some(750));
        // Offset 750 is older than the first log-end point (1000 @ 0 s):
        // extrapolated at 100/s, produced at -2.5 s → 7.5 s behind at 5 s.
        let secs = g.lag_seconds.expect("known after two polls");
        assert!((secs - 7.5).abs() < 1e-6, "{secs}");
        assert_eq!(g.trend, vec![1_000, 950, 900, 850, 800, 750]);
        // Shrinking 50/s: 15 s to drain.
        assert!((g.drain_seconds.expect("draining") - 15.0).abs() < 1e-6);
        assert_eq!(g.status, Status::Ok);
    }

    #[test]
    fn a_stalled_consumer_shows_stall_and_deleted_records_are_flagged() {
        let mut t = LagTracker::default();
        let mut last = None;
        for i in 0..5 {
            last = Some(t.apply(&poll(i * 1_000, vec![snap(Some(10), 100 + i * 10, 20)])));
        }
        let g = &last.expect("report").groups[0];
        assert_eq!(g.status, Status::Stall);
        assert_eq!(g.partitions[0].deleted_unread, Some(10));
        assert_eq!(g.drain_seconds, None, "lag growing: never drains");
    }
}
