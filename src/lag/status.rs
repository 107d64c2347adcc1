//! Consumer status by Burrow's rules, over a sliding window of the last commits
//! of a partition. First match wins:
//! OK if lag was zero at any point; REWIND if an offset went back; STOP if the
//! time since the last commit exceeds the window's span; STALL if the offset
//! never moved while lagging; WARN if offsets advance but lag never shrinks;
//! else OK. A group's status is its worst partition's.

/// Commits kept per partition.
pub const WINDOW: usize = 10;

/// A partition's or group's status, least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Too little history to judge.
    Unknown,
    /// Keeping up.
    Ok,
    /// Consuming, but lag is not shrinking.
    Warn,
    /// The committed offset went backwards.
    Rewind,
    /// Committing the same offset while lagging.
    Stall,
    /// No commits for longer than the window spans.
    Stop,
}

impl Status {
    /// The label shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "-",
            Self::Ok => "OK",
            Self::Warn => "WARN",
            Self::Rewind => "REWIND",
            Self::Stall => "STALL",
            Self::Stop => "STOP",
        }
    }
}

/// One observed commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// Committed offset.
    pub offset: i64,
    /// Lag at that moment.
    pub lag: i64,
    /// When it was observed (ms since the epoch).
    pub time_ms: i64,
}

/// The window of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitWindow {
    // Ten entries: a Vec's remove(0) costs nothing worth a deque.
    commits: Vec<Commit>,
}

impl CommitWindow {
    /// Records a poll's view. Polling sees offsets, not commit requests, so an
    /// entry is added only when the offset or the lag changed: a consumer
    /// that stops while producers go on keeps adding entries (same offset,
    /// growing lag → STALL); one that stops with producers stopped adds none
    /// (→ STOP once the silence outlasts the window).
    pub fn push(&mut self, c: Commit) {
        if let Some(last) = self.commits.last()
            && last.offset == c.offset
            && last.lag == c.lag
        {
            return;
        }
        self.commits.push(c);
        if self.commits.len() > WINDOW {
            self.commits.remove(0);
        }
    }

    /// The commits in the window, oldest first.
    pub fn commits(&self) -> impl Iterator<Item = &Commit> {
        self.commits.iter()
    }

    /// The status at `now_ms`.
    pub fn status(&self, now_ms: i64) -> Status {
        evaluate(&self.commits, now_ms)
    }
}

/// Burrow's rules over a window, oldest first.
pub fn evaluate(window: &[Commit], now_ms: i64) -> Status {
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return Status::Unknown;
    };
    if window.iter().any(|c| c.lag == 0) {
        return Status::Ok;
    }
    if window.windows(2).any(|w| w[1].offset < w[0].offset) {
        return Status::Rewind;
    }
    if window.len() < 2 {
        return Status::Unknown;
    }
    let span = last.time_ms - first.time_ms;
    if now_ms - last.time_ms > span {
        return Status::Stop;
    }
    if first.offset == last.offset {
        return Status::Stall;
    }
    if window.windows(2).all(|w| w[1].lag >= w[0].lag) {
        return Status::Warn;
    }
    Status::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(points: &[(i64, i64, i64)]) -> Vec<Commit> {
        points
            .iter()
            .map(|&(offset, lag, time_ms)| Commit {
                offset,
                lag,
                time_ms,
            })
            .collect()
    }

    #[test]
    fn each_rule_in_order() {
        /// (window as (offset, lag, t), now, expected)
        type Case<'a> = (&'a [(i64, i64, i64)], i64, Status);
        let cases: &[Case<'_>] = &[
            (&[], 0, Status::Unknown),
            (&[(10, 5, 0)], 100, Status::Unknown),
            // OK: lag hit zero once, even if everything else looks bad.
            (
                &[(10, 5, 0), (10, 0, 1_000), (9, 8, 2_000)],
                99_999,
                Status::Ok,
            ),
            // REWIND: an offset went back.
            (
                &[(10, 5, 0), (20, 5, 1_000), (15, 9, 2_000)],
                2_500,
                Status::Rewind,
            ),
            // STOP: silent for longer than the window spans (4 s > 2 s).
            (
                &[(10, 5, 0), (20, 6, 1_000), (30, 7, 2_000)],
                6_000,
                Status::Stop,
            ),
            // STALL: offset never moved while lagging.
            (
                &[(10, 5, 0), (10, 9, 1_000), (10, 14, 2_000)],
                2_500,
                Status::Stall,
            ),
            // WARN: offsets advance but lag never shrinks.
            (
                &[(10, 5, 0), (20, 5, 1_000), (30, 8, 2_000)],
                2_500,
                Status::Warn,
            ),
            // OK: advancing, lag shrinking at least once.
            (
                &[(10, 5, 0), (20, 9, 1_000), (30, 3, 2_000)],
                2_500,
                Status::Ok,
            ),
        ];
        for (i, (window, now, want)) in cases.iter().enumerate() {
            assert_eq!(evaluate(&w(window), *now), *want, "case {i}");
        }
    }

    #[test]
    fn window_keeps_only_changes_and_is_bounded() {
        let mut win = CommitWindow::default();
        for t in 0..5 {
            win.push(Commit {
                offset: 10,
                lag: 3,
                time_ms: t * 1_000,
            });
        }
        assert_eq!(win.commits().count(), 1);
        for t in 0..50 {
            win.push(Commit {
                offset: 10 + t,
                lag: 3,
                time_ms: t * 1_000,
            });
        }
        assert_eq!(win.commits().count(), WINDOW);
    }

    /// Through [`crate::lag::LagTracker`], the rollup the reports use: one
    /// group whose three partitions end in three different states.
    #[test]
    fn group_status_is_the_worst_partition() {
        use crate::lag::{GroupSnapshot, LagTracker, PartitionSnapshot, Poll};
        let part = |partition, current, end| PartitionSnapshot {
            topic: "orders".into(),
            partition,
            current_offset: Some(current),
            log_end_offset: end,
            log_start_offset: 0,
            consumer_id: None,
            host: None,
            client_id: None,
            committed_record_ms: None,
            txn_markers: None,
        };
        // (committed, log end) of partitions 0, 1, 2 at each poll: 0 catches up
        // (OK), 1 never moves while its lag grows (STALL), 2 advances but its
        // lag never shrinks (WARN). The worst is in the middle, neither the
        // first partition nor the last.
        let polls: [[(i64, i64); 3]; 3] = [
            [(10, 15), (10, 15), (10, 15)],
            [(20, 20), (10, 19), (20, 25)],
            [(30, 30), (10, 24), (30, 38)],
        ];
        let mut tracker = LagTracker::default();
        let mut report = None;
        for (i, offsets) in polls.iter().enumerate() {
            let poll = Poll {
                time_ms: i as i64 * 1_000,
                groups: vec![GroupSnapshot {
                    group: "g".into(),
                    group_type: "classic".into(),
                    state: "Stable".into(),
                    members: 1,
                    partitions: offsets
                        .iter()
                        .enumerate()
                        .map(|(p, &(c, e))| part(p as i32, c, e))
                        .collect(),
                }],
                note: None,
            };
            report = Some(tracker.apply(&poll));
        }
        let group = report.and_then(|r| r.groups.into_iter().next()).unwrap();
        let each: Vec<Status> = group.partitions.iter().map(|p| p.status).collect();
        assert_eq!(each, [Status::Ok, Status::Stall, Status::Warn]);
        assert_eq!(group.status, Status::Stall, "the worst partition's");
    }
}
