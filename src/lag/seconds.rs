//! Lag in seconds, by kafka-lag-exporter's method: a small table of (log-end
//! offset, time) points per partition, and a committed offset placed between the
//! newest bracketing pair to estimate when it was produced.

use std::collections::VecDeque;

/// Points kept per partition: enough for minutes of history at a 2 s poll.
pub const MAX_POINTS: usize = 60;

/// One observation of a partition's log-end offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Log-end offset.
    pub offset: i64,
    /// When it was seen, in milliseconds since the epoch.
    pub time_ms: i64,
}

/// The log-end history of one partition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OffsetTimeTable {
    points: VecDeque<Point>,
}

impl OffsetTimeTable {
    /// Records a poll. A point that does not advance the offset is dropped: the
    /// offsets it covers were produced by the time of the earlier point, so the
    /// earliest sighting is the one that dates them (this also collapses flat
    /// runs). An offset that went back (topic recreated, truncated) starts over.
    pub fn push(&mut self, offset: i64, time_ms: i64) {
        if let Some(last) = self.points.back() {
            if offset == last.offset {
                return;
            }
            if offset < last.offset || time_ms <= last.time_ms {
                self.points.clear();
            }
        }
        self.points.push_back(Point { offset, time_ms });
        while self.points.len() > MAX_POINTS {
            self.points.pop_front();
        }
    }

    /// The points, oldest first.
    pub fn points(&self) -> impl Iterator<Item = &Point> {
        self.points.iter()
    }

    /// Estimated time (ms since the epoch) at which `offset` was produced, or
    /// `None` with fewer than two points.
    pub fn produce_time(&self, offset: i64) -> Option<f64> {
        if self.points.len() < 2 {
            return None;
        }
        // The newest pair (l, r) with l.offset <= offset < r.offset; below the
        // oldest point, extrapolate from the oldest pair.
        let pairs = self.points.iter().zip(self.points.iter().skip(1));
        let mut chosen = None;
        for (l, r) in pairs {
            if l.offset <= offset && offset < r.offset {
                chosen = Some((*l, *r));
            }
        }
        let (l, r) = match chosen {
            Some(pair) => pair,
            None => {
                let l = *self.points.front()?;
                let r = *self.points.get(1)?;
                if offset >= l.offset {
                    // At or past the newest point: nothing to interpolate.
                    let newest = *self.points.back()?;
                    return Some(newest.time_ms as f64);
                }
                (l, r)
            }
        };
        let span_offsets = (r.offset - l.offset) as f64;
        let span_time = (r.time_ms - l.time_ms) as f64;
        Some(r.time_ms as f64 - (r.offset - offset) as f64 * span_time / span_offsets)
    }

    /// Lag in seconds of a committed offset at `now_ms`: zero when it is at the
    /// log end, `None` (unknown, never zero) with too little history.
    pub fn lag_seconds(&self, committed: i64, log_end: i64, now_ms: i64) -> Option<f64> {
        if committed >= log_end {
            return Some(0.0);
        }
        let produced = self.produce_time(committed)?;
        Some(((now_ms as f64 - produced) / 1000.0).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(points: &[(i64, i64)]) -> OffsetTimeTable {
        let mut t = OffsetTimeTable::default();
        for &(o, ms) in points {
            t.push(o, ms);
        }
        t
    }

    #[test]
    fn interpolation_table() {
        /// (points, committed, log end, now, expected seconds)
        type Case<'a> = (&'a [(i64, i64)], i64, i64, i64, Option<f64>);
        let cases: &[Case<'_>] = &[
            // Committed = end: zero, whatever the history.
            (&[], 10, 10, 5_000, Some(0.0)),
            // One point: unknown, not zero.
            (&[(100, 1_000)], 50, 100, 5_000, None),
            (&[], 50, 100, 5_000, None),
            // Halfway between (0 @ 0 s) and (100 @ 10 s) was produced at 5 s.
            (&[(0, 0), (100, 10_000)], 50, 100, 12_000, Some(7.0)),
            // The newest bracketing pair wins: 150 lies in (100 @ 10 s, 200 @ 12 s).
            (
                &[(0, 0), (100, 10_000), (200, 12_000)],
                150,
                200,
                20_000,
                Some(9.0),
            ),
            // Below the oldest point: extrapolate from the oldest pair.
            (&[(100, 10_000), (200, 20_000)], 50, 200, 30_000, Some(25.0)),
            // Exactly on a point.
            (
                &[(0, 0), (100, 10_000), (200, 20_000)],
                100,
                200,
                25_000,
                Some(15.0),
            ),
        ];
        for (i, (points, committed, end, now, want)) in cases.iter().enumerate() {
            let got = table(points).lag_seconds(*committed, *end, *now);
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "case {i}: {g} != {w}"),
                (g, w) => assert_eq!(g, *w, "case {i}"),
            }
        }
    }

    #[test]
    fn flat_runs_keep_the_earliest_sighting_and_resets_start_over() {
        let t = table(&[(0, 0), (100, 10_000), (100, 20_000), (100, 30_000)]);
        assert_eq!(t.points().count(), 2);
        // Produced at 5 s whatever the later flat polls said.
        assert_eq!(t.lag_seconds(50, 100, 40_000), Some(35.0));
        let t = table(&[(0, 0), (100, 10_000), (5, 11_000)]);
        assert_eq!(t.points().count(), 1, "an offset that went back restarts");
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = OffsetTimeTable::default();
        for i in 0..1_000 {
            t.push(i, i * 10);
        }
        assert_eq!(t.points().count(), MAX_POINTS);
    }
}
