//! Frame-time statistics for long runs (`scripts/soak`): with
//! `EVENTDECK_FRAME_STATS=<path>` the console records how long each frame took
//! to draw and, every 10 s, appends one JSON line to that file (0600):
//! `{"unix_ms":…,"frames":…,"p50_ms":…,"p99_ms":…,"max_ms":…}`. Unset, nothing
//! is measured and nothing is written.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// The variable naming the file the console appends its frame statistics to.
pub const FRAME_STATS_ENV: &str = "EVENTDECK_FRAME_STATS";

/// One line per this much time: the soak script samples every 10 s too.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Draw durations of the current window, summarised into one line per window.
pub(crate) struct FrameStats<W: Write> {
    out: W,
    window_start: Instant,
    /// At most `max_fps` × 10 s entries; cleared (capacity kept) every window.
    draws: Vec<Duration>,
}

impl FrameStats<std::fs::File> {
    /// The statistics `EVENTDECK_FRAME_STATS` asks for, if it is set and its
    /// file can be opened (else a warning in the log, and none).
    pub(crate) fn from_env() -> Option<Self> {
        let path = std::env::var_os(FRAME_STATS_ENV)?;
        match crate::private::open_append(Path::new(&path)) {
            Ok(f) => Some(Self::new(f, Instant::now())),
            Err(e) => {
                tracing::warn!(path = %Path::new(&path).display(), error = %e, "cannot open the frame statistics file");
                None
            }
        }
    }
}

impl<W: Write> FrameStats<W> {
    fn new(out: W, now: Instant) -> Self {
        Self {
            out,
            window_start: now,
            draws: Vec::new(),
        }
    }

    /// Records one frame's draw time; at the end of a window, writes its line.
    pub(crate) fn record(&mut self, draw: Duration, now: Instant) {
        self.draws.push(draw);
        if now.duration_since(self.window_start) < REPORT_EVERY {
            return;
        }
        self.window_start = now;
        let line = summary_line(&mut self.draws, chrono::Utc::now().timestamp_millis());
        self.draws.clear();
        // A full disk must not stop the console; the soak run notices the gap.
        if let Err(e) = writeln!(self.out, "{line}").and_then(|()| self.out.flush()) {
            tracing::warn!(error = %e, "writing frame statistics failed");
        }
    }
}

/// Nearest-rank percentile `p` (0–100) of sorted durations, in ms.
fn percentile_ms(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    ms(sorted[rank - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The window's JSON line (sorts `draws`).
fn summary_line(draws: &mut [Duration], unix_ms: i64) -> serde_json::Value {
    draws.sort_unstable();
    serde_json::json!({
        "unix_ms": unix_ms,
        "frames": draws.len(),
        "p50_ms": percentile_ms(draws, 50),
        "p99_ms": percentile_ms(draws, 99),
        "max_ms": draws.last().copied().map(ms).unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_line_per_window_with_the_windows_percentiles() {
        let t0 = Instant::now();
        let mut stats = FrameStats::new(Vec::new(), t0);
        // 100 frames of 1..=100 ms over 9.9 s: no line yet.
        for i in 1..=100u64 {
            stats.record(Duration::from_millis(i), t0 + Duration::from_millis(i * 99));
        }
        assert!(stats.out.is_empty(), "a line before the window ended");
        // The 101st frame (500 ms) ends the window at 10 s.
        stats.record(Duration::from_millis(500), t0 + REPORT_EVERY);
        // The next window holds only its own frames.
        stats.record(Duration::from_millis(2), t0 + REPORT_EVERY * 2);
        let text = String::from_utf8(stats.out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["frames"], 101);
        assert_eq!(lines[0]["p50_ms"], 51.0);
        assert_eq!(lines[0]["p99_ms"], 100.0);
        assert_eq!(lines[0]["max_ms"], 500.0);
        assert_eq!(lines[1]["frames"], 1);
        assert_eq!(lines[1]["p50_ms"], 2.0);
        assert_eq!(lines[1]["p99_ms"], 2.0);
        assert!(lines[1]["unix_ms"].as_i64().unwrap() > 1_700_000_000_000);
    }

    #[test]
    fn percentile_of_nothing_is_zero_and_of_one_is_that_one() {
        assert_eq!(percentile_ms(&[], 99), 0.0);
        assert_eq!(percentile_ms(&[Duration::from_millis(7)], 50), 7.0);
        assert_eq!(percentile_ms(&[Duration::from_millis(7)], 99), 7.0);
    }
}
