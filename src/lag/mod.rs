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
    /// Timestamp (ms since the epoch) of the first unconsumed record, the one
    /// at the committed offset, when it was read; `None` when there is no lag,
    /// no commit, or the record could not be read (deleted, compacted away).
    pub committed_record_ms: Option<i64>,
    /// When every offset from the committed one to the log end is one no
    /// `read_committed` consumer can read (a `read_committed` read from the
    /// committed offset reached the high watermark without a record): how
    /// many. Those are transaction markers (and records of aborted
    /// transactions, if any lie there); a consumer that commits the offset
    /// after its last record keeps this "lag" for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn_markers: Option<i64>,
}

/// One group, as one poll saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSnapshot {
    /// Group id.
    pub group: String,
    /// Stable, Empty, PreparingRebalance, ... (`-` when unknown).
    pub state: String,
    /// `classic`, `consumer` (KIP-848) or `unknown`, as the broker lists it.
    #[serde(rename = "type")]
    pub group_type: String,
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

/// Where a lag in seconds came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecondsSource {
    /// Exact: now − the timestamp of the record at the committed offset (or
    /// zero, with nothing left to read).
    Record,
    /// Estimated from the log-end history, because the record at the committed
    /// offset could not be read (deleted by retention, compacted, unreadable).
    Interpolated,
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
    /// Lag in seconds: the age of the first unconsumed record; `None` when unknown.
    pub lag_seconds: Option<f64>,
    /// How `lag_seconds` was found; `None` when it is unknown.
    pub lag_seconds_source: Option<SecondsSource>,
    /// Records retention deleted before the group read them (committed < log start).
    pub deleted_unread: Option<i64>,
    /// The whole LAG is transaction markers (see
    /// [`PartitionSnapshot::txn_markers`]): the count. Nothing is left to
    /// read, so lag in seconds is 0 and the status counts the lag as zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn_markers: Option<i64>,
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
    /// `classic`, `consumer` (KIP-848) or `unknown`, as the broker lists it.
    #[serde(rename = "type")]
    pub group_type: String,
    /// Members.
    pub members: usize,
    /// Sum of known partition lags; `None` when no partition has a commit.
    pub total_lag: Option<i64>,
    /// Largest partition lag.
    pub max_lag: Option<i64>,
    /// Largest partition lag in seconds.
    pub lag_seconds: Option<f64>,
    /// How the partition that gives `lag_seconds` found it.
    pub lag_seconds_source: Option<SecondsSource>,
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
    /// When the log ends were read: lag in seconds is measured from here (ms
    /// since the epoch).
    pub polled_at_ms: i64,
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
            polled_at_ms: now,
            groups,
            note: poll.note.clone(),
        }
    }

    fn group_report(&mut self, g: &GroupSnapshot, now: i64) -> GroupLag {
        let mut partitions = Vec::with_capacity(g.partitions.len());
        for p in &g.partitions {
            let lag = p.current_offset.map(|c| (p.log_end_offset - c).max(0));
            let (lag_seconds, lag_seconds_source) = match (p.current_offset, p.committed_record_ms)
            {
                (None, _) => (None, None),
                (Some(c), _) if c >= p.log_end_offset => (Some(0.0), Some(SecondsSource::Record)),
                // Only transaction markers left: nothing to read, no age.
                (Some(_), _) if p.txn_markers.is_some() => (Some(0.0), Some(SecondsSource::Record)),
                (Some(_), Some(ts)) => (
                    Some(((now - ts) as f64 / 1000.0).max(0.0)),
                    Some(SecondsSource::Record),
                ),
                (Some(c), None) => {
                    let estimate = self
                        .tables
                        .get(&(p.topic.clone(), p.partition))
                        .and_then(|t| t.lag_seconds(c, p.log_end_offset, now));
                    (estimate, estimate.map(|_| SecondsSource::Interpolated))
                }
            };
            let status = match (p.current_offset, lag) {
                (Some(offset), Some(lag)) => {
                    let w = self
                        .windows
                        .entry((g.group.clone(), p.topic.clone(), p.partition))
                        .or_default();
                    // LAG stays the tool's figure; the status rules see what
                    // is left to read.
                    let readable = if p.txn_markers.is_some() { 0 } else { lag };
                    w.push(Commit {
                        offset,
                        lag: readable,
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
                lag_seconds_source,
                deleted_unread: p
                    .current_offset
                    .filter(|&c| c < p.log_start_offset)
                    .map(|c| p.log_start_offset - c),
                txn_markers: p.txn_markers,
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
        let oldest = partitions
            .iter()
            .filter_map(|p| Some((p.lag_seconds?, p.lag_seconds_source)))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        GroupLag {
            group: g.group.clone(),
            state: g.state.clone(),
            group_type: g.group_type.clone(),
            members: g.members,
            total_lag,
            max_lag: lags.iter().copied().max(),
            lag_seconds: oldest.map(|(s, _)| s),
            lag_seconds_source: oldest.and_then(|(_, src)| src),
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
            committed_record_ms: None,
            txn_markers: None,
        }
    }

    fn poll(t: i64, parts: Vec<PartitionSnapshot>) -> Poll {
        Poll {
            time_ms: t,
            groups: vec![GroupSnapshot {
                group: "g".into(),
                group_type: "classic".into(),
                state: "Stable".into(),
                members: 1,
                partitions: parts,
            }],
            note: None,
        }
    }

    #[test]
    fn a_lag_of_only_transaction_markers_keeps_lag_and_is_ok_with_zero_seconds() {
        let mut tracker = LagTracker::default();
        let mut report = None;
        // The same commit, one below the end (the marker), poll after poll.
        for t in 0..5 {
            let mut p = snap(Some(3), 4, 0);
            p.txn_markers = Some(1);
            report = Some(tracker.apply(&poll(t * 1000, vec![p])));
        }
        let g = &report.expect("a report").groups[0];
        assert_eq!(g.total_lag, Some(1));
        assert_eq!(g.partitions[0].lag, Some(1));
        assert_eq!(g.partitions[0].txn_markers, Some(1));
        assert_eq!(g.lag_seconds, Some(0.0));
        assert_eq!(g.status, Status::Ok);
        // Without the markers known, the same figures are a stalled group.
        let mut tracker = LagTracker::default();
        let mut report = None;
        for t in 0..5 {
            report = Some(tracker.apply(&poll(t * 1000, vec![snap(Some(3), 4, 0)])));
        }
        assert_ne!(report.expect("a report").groups[0].status, Status::Ok);
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
    fn lag_seconds_is_the_age_of_the_record_at_the_committed_offset() {
        let mut t = LagTracker::default();
        let mut p = snap(Some(40), 100, 0);
        // The record at offset 40 was written at 10 s; polled at 75.5 s.
        p.committed_record_ms = Some(10_000);
        let r = t.apply(&poll(75_500, vec![p.clone()]));
        let g = &r.groups[0];
        assert_eq!(
            g.partitions[0].lag_seconds,
            Some(65.5),
            "exact on the first poll"
        );
        assert_eq!(
            g.partitions[0].lag_seconds_source,
            Some(SecondsSource::Record)
        );
        assert_eq!(g.lag_seconds_source, Some(SecondsSource::Record));
        assert_eq!(r.polled_at_ms, 75_500);
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(
            json["groups"][0]["partitions"][0]["lag_seconds_source"],
            "record"
        );
        // The record is gone (no timestamp read): the log-end history answers,
        // marked as an estimate.
        let mut gone = p.clone();
        gone.committed_record_ms = None;
        gone.log_end_offset = 200;
        let r = t.apply(&poll(85_500, vec![gone]));
        let part = &r.groups[0].partitions[0];
        assert_eq!(part.lag_seconds_source, Some(SecondsSource::Interpolated));
        assert!(part.lag_seconds.is_some());
        // At the end: zero, and exact.
        let r = t.apply(&poll(90_000, vec![snap(Some(200), 200, 0)]));
        assert_eq!(r.groups[0].partitions[0].lag_seconds, Some(0.0));
        assert_eq!(r.groups[0].lag_seconds_source, Some(SecondsSource::Record));
    }

    #[test]
    fn the_group_figure_is_its_oldest_partition_with_that_partitions_source() {
        let mut t = LagTracker::default();
        let mut a = snap(Some(10), 20, 0);
        a.committed_record_ms = Some(50_000);
        let mut b = snap(Some(10), 20, 0);
        b.partition = 1;
        b.committed_record_ms = Some(20_000);
        let r = t.apply(&poll(60_000, vec![a, b]));
        assert_eq!(r.groups[0].lag_seconds, Some(40.0));
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
