#!/usr/bin/env python3
"""The soak run's helpers (scripts/soak starts the processes; this samples and judges).

  soak.py feed RATE            envelopes for `eventdeck bridge --stdin`, RATE a second, forever
  soak.py monitor ...          sample the console and the bridge every 10 s, write CSV, judge
  soak.py verdict CSV MINUTES  judge a CSV written by monitor
  soak.py leak                 a deliberately leaking process (memory, fds, threads)
  soak.py self-test            unit tests of the trend and the verdict

Standard library only.
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest
import urllib.request
import uuid

SAMPLE_EVERY_S = 10

COLUMNS = [
    "time", "minute",
    "console_rss_kb", "console_fds", "console_threads",
    "frame_p50_ms", "frame_p99_ms", "frames",
    "bridge_rss_kb", "bridge_fds", "bridge_threads",
    "outbox_bytes", "published", "dead_lettered",
]

MIB = 1024 * 1024
SEGMENT = 64 * MIB  # the outbox's segment size (src/bridge/outbox.rs SEGMENT_BYTES)


class Tol:
    """A series fails when its least-squares trend after warm-up is above BOTH
    limits: `per_10min` (slope extrapolated to 10 minutes) and `rise` (the
    fitted rise over the judged window). The first catches a slow leak in a
    long run, the second keeps noise in a short run from failing it."""

    def __init__(self, per_10min, rise, unit):
        self.per_10min, self.rise, self.unit = per_10min, rise, unit


# RSS in KiB. A leak of 10 MiB per 10 minutes is 60 MiB an hour; bounded
# buffers reach their caps during warm-up, so a healthy process is flat.
TOLERANCES = {
    "console_rss_kb": Tol(10 * 1024, 5 * 1024, "KiB"),
    "bridge_rss_kb": Tol(10 * 1024, 5 * 1024, "KiB"),
    # An fd or a thread is a whole resource: any steady growth past 2 fails.
    "console_fds": Tol(0, 2, "fds"),
    "console_threads": Tol(0, 2, "threads"),
    "bridge_fds": Tol(0, 2, "fds"),
    "bridge_threads": Tol(0, 2, "threads"),
    # Frame p99 (ms) on a shared 2-core machine is noisy; a slowdown of 5 ms
    # per 10 minutes (and 5 ms over the window) is a trend, not noise.
    "frame_p99_ms": Tol(5, 5, "ms"),
    # The outbox is a sawtooth of 64 MiB segments (written, delivered,
    # deleted): one whole ramp fits a rise of up to a segment. More than one
    # and a half segments of fitted growth is a backlog.
    "outbox_bytes": Tol(0, SEGMENT * 3 // 2, "bytes"),
}


# In a run of 4 minutes or less (CI's 2) the console's memory is still filling
# toward its caps in the judged minute (it levels off after about 5 minutes:
# the hour run), so RSS is judged for a gross leak only: more than 12 MiB over
# the judged window (a leak of 256 KiB/s rises 15 MiB in a minute). The hour
# run judges the 5 MiB limit.
SHORT_RUN_RSS_RISE_KIB = 12 * 1024


def warmup_minutes(minutes):
    """The first third or the first 2 minutes, whichever is longer; in a run of
    4 minutes or less (CI's 2), the first half, so something is left to judge."""
    if minutes <= 4:
        return minutes / 2
    return max(minutes / 3, 2)


def slope(xs, ys):
    """Least-squares slope of ys over xs (None with fewer than 2 points or no spread)."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def running_median3(ys):
    """Each point replaced by the median of it and its neighbours: a single
    sample taken while a tab had a client open for a moment (the Topics and
    Groups panes do) is not a trend; a rise that lasts is kept."""
    if len(ys) < 3:
        return list(ys)
    def med(a, b, c):
        return sorted([a, b, c])[1]
    mid = [med(*ys[i - 1:i + 2]) for i in range(1, len(ys) - 1)]
    # Tukey's end-point rule: the end against the line through the next two
    # smoothed points, so a straight rise keeps its ends and an end spike goes.
    if len(mid) < 2:
        return [med(ys[0], mid[0], mid[0])] + mid + [med(ys[-1], mid[0], mid[0])]
    first = med(ys[0], mid[0], 2 * mid[0] - mid[1])
    last = med(ys[-1], mid[-1], 2 * mid[-1] - mid[-2])
    return [first] + mid + [last]


def running_floor3(ys):
    """Each point replaced by the least of it and the two before it. Whole
    resources (fds, threads) only rise for a moment when a client is open at
    the time of a sample (the DLQ reader's topic look-up, a tab's admin
    request): a leak raises the floor, a passing client does not."""
    return [min(ys[max(0, i - 2):i + 1]) for i in range(len(ys))]


# Series judged by their floor rather than their running median.
FLOORED = ("console_fds", "console_threads", "bridge_fds", "bridge_threads")


def judge(rows, minutes):
    """(ok, lines): one line per series, after warm-up."""
    warm = warmup_minutes(minutes)
    kept_idx = [i for i, r in enumerate(rows) if float(r["minute"]) >= warm]
    # The floor of a whole resource is taken over the judged samples only:
    # looking back into the warm-up, a process still starting its threads at
    # the end of it (the bridge, 25 → 27 threads at minute 1 of a CI run, then
    # flat) rose in the first judged samples and failed.
    floors = {}
    for name in FLOORED:
        vals = [(i, float(rows[i][name])) for i in kept_idx if rows[i].get(name) not in (None, "")]
        if vals:
            idx, ys = zip(*vals)
            floors[name] = dict(zip(idx, running_floor3(list(ys))))
    kept = [rows[i] for i in kept_idx]
    lines = [f"warm-up: the first {warm:g} min ({len(rows) - len(kept)} samples) left out; "
             f"judging {len(kept)} samples"]
    if len(kept) < 3:
        return False, lines + ["FAIL: fewer than 3 samples after warm-up; run longer"]
    ok = True
    for name, tol in TOLERANCES.items():
        pts = [(float(rows[i]["minute"]), float(rows[i][name]), i) for i in kept_idx
               if rows[i].get(name) not in (None, "")]
        if len(pts) < 3:
            ok = False
            lines.append(f"FAIL {name}: only {len(pts)} samples (was it measured?)")
            continue
        xs, raw, idx = zip(*pts)
        if name in FLOORED:
            ys = [floors[name][i] for i in idx]
        else:
            ys = running_median3(raw)
        s = slope(xs, ys) or 0.0
        per10 = s * 10
        rise = s * (xs[-1] - xs[0])
        limit = tol.rise
        if name.endswith("_rss_kb") and minutes <= 4:
            limit = SHORT_RUN_RSS_RISE_KIB
        bad = per10 > tol.per_10min and rise > limit
        ok = ok and not bad
        lines.append(
            f"{'FAIL' if bad else 'ok  '} {name}: trend {per10:+.1f} {tol.unit}/10min, "
            f"{rise:+.1f} {tol.unit} over {xs[-1] - xs[0]:.1f} min "
            f"(fails above {tol.per_10min:g}/10min and {limit:g}); "
            f"min {min(raw):g} max {max(raw):g}")
    return ok, lines


# ---------------------------------------------------------------- sampling

def proc_sample(pid):
    """(rss_kb, fds, threads) of a live process, or None."""
    try:
        rss = threads = None
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, fds, threads
    except (FileNotFoundError, ProcessLookupError):
        return None


def dir_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except FileNotFoundError:
                pass  # a segment deleted while we walked
    return total


def last_frame_stats(path, max_age_s=2 * SAMPLE_EVERY_S):
    """The console's latest frame-stats line if it is recent, else None."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except FileNotFoundError:
        return None
    if not lines:
        return None
    try:
        s = json.loads(lines[-1])
    except ValueError:
        return None
    if time.time() * 1000 - s.get("unix_ms", 0) > max_age_s * 1000:
        return None
    return s


def bridge_counts(addr):
    """(published, dead_lettered) totals from the bridge's /metrics, or ('', '')."""
    try:
        with urllib.request.urlopen(f"http://{addr}/metrics", timeout=3) as r:
            text = r.read().decode()
    except OSError:
        return "", ""
    totals = {"published": 0.0, "dead_lettered": 0.0}
    for line in text.splitlines():
        for k in totals:
            if line.startswith(f"eventdeck_bridge_{k}_total"):
                totals[k] += float(line.split()[-1])
    return int(totals["published"]), int(totals["dead_lettered"])


def rotate_tabs(tmux_socket, target):
    """Shows every tab for a moment, then Streams again (the busiest)."""
    for key in ["2", "3", "4", "5", "6", "7", "8", "1"]:
        subprocess.run(["tmux", "-L", tmux_socket, "send-keys", "-t", target, key],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.6)


def monitor(a):
    start = time.monotonic()
    samples = int(a.minutes * 60 // SAMPLE_EVERY_S)
    rows = []
    with open(a.csv, "w", newline="") as out:
        w = csv.DictWriter(out, fieldnames=COLUMNS)
        w.writeheader()
        print("  min  con_rss_MB fds thr  p50_ms  p99_ms  frames  bri_rss_MB fds thr  outbox_MB  published  dlq", flush=True)
        for i in range(1, samples + 1):
            due = start + i * SAMPLE_EVERY_S
            # Once a minute (not at a sample), every tab is drawn for a moment.
            if a.tmux_socket and i % 6 == 3:
                rotate_tabs(a.tmux_socket, a.tmux_target)
            time.sleep(max(0.0, due - time.monotonic()))
            for pid in a.alive:
                if proc_sample(pid) is None:
                    print(f"FAIL: process {pid} is gone (crashed?) at minute "
                          f"{(time.monotonic() - start) / 60:.2f}", flush=True)
                    return 1
            con = proc_sample(a.console_pid)
            bri = proc_sample(a.bridge_pid)
            if con is None or bri is None:
                print("FAIL: the console or the bridge is gone (crashed?)", flush=True)
                return 1
            fs = last_frame_stats(a.frame_stats) if a.frame_stats else None
            pub, dead = bridge_counts(a.metrics) if a.metrics else ("", "")
            row = {
                "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "minute": f"{(time.monotonic() - start) / 60:.2f}",
                "console_rss_kb": con[0], "console_fds": con[1], "console_threads": con[2],
                "frame_p50_ms": f"{fs['p50_ms']:.2f}" if fs else "",
                "frame_p99_ms": f"{fs['p99_ms']:.2f}" if fs else "",
                "frames": fs["frames"] if fs else "",
                "bridge_rss_kb": bri[0], "bridge_fds": bri[1], "bridge_threads": bri[2],
                "outbox_bytes": dir_bytes(a.outbox) if a.outbox else 0,
                "published": pub, "dead_lettered": dead,
            }
            w.writerow(row)
            out.flush()
            rows.append(row)
            print(f"{row['minute']:>6} {con[0] / 1024:10.1f} {con[1]:3} {con[2]:3} "
                  f"{row['frame_p50_ms']:>7} {row['frame_p99_ms']:>7} {row['frames']!s:>7} "
                  f"{bri[0] / 1024:11.1f} {bri[1]:3} {bri[2]:3} {row['outbox_bytes'] / MIB:10.1f} "
                  f"{pub!s:>10} {dead!s:>5}", flush=True)
    ok, lines = judge(rows, a.minutes)
    print("\n".join(lines), flush=True)
    print(f"samples: {a.csv}")
    print("verdict:", "PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


# ---------------------------------------------------------------- load

# (context, event type, share per 100): DecisionMade becomes a TaskCreated
# (reaction), one in 6 of which the flaky handler dead-letters; TestRunCompleted
# and ThresholdBreached react too.
MIX = [
    ("debate", "DecisionMade", 15),
    ("debate", "ArgumentMade", 10),
    ("implementation", "TaskCompleted", 15),
    ("testing", "TestRunCompleted", 5),
    ("testing", "TestRunStarted", 10),
    ("performance", "ThresholdBreached", 5),
    ("performance", "MetricRecorded", 25),
    ("evolution", "ImprovementProposed", 15),
]


def feed(rate):
    """Writes `rate` envelopes a second to stdout, paced every 10 ms, forever."""
    kinds = [(c, t) for c, t, n in MIX for _ in range(n)]
    out = sys.stdout
    tick = 0.01
    per_tick = rate * tick
    owed = 0.0
    nxt = time.monotonic()
    n = 0
    while True:
        owed += per_tick
        lines = []
        while owed >= 1:
            owed -= 1
            n += 1
            ctx, typ = kinds[n % len(kinds)]
            lines.append(json.dumps({
                "event_id": str(uuid.uuid4()), "event_type": typ, "schema_version": 1,
                "context": ctx, "aggregate_id": f"{ctx}-{random.randrange(1000)}",
                "occurred_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "correlation_id": str(uuid.uuid4()), "causation_id": None,
                "data": {"n": n, "decision": "ship it", "metric": "p99_ms", "value": 41,
                         "threshold": 40, "passed": 120, "failed": 2},
            }))
        try:
            out.write("\n".join(lines) + "\n")
            out.flush()
        except BrokenPipeError:
            return 0
        nxt += tick
        time.sleep(max(0.0, nxt - time.monotonic()))


def leak():
    """Grows by 256 KiB a second, an fd every 15 s and a thread every 20 s: what
    the verdict must fail."""
    hoard, fds, i = [], [], 0
    while True:
        hoard.append(bytearray(os.urandom(256 * 1024)))  # touched, so resident
        if i % 15 == 0:
            fds.append(open("/dev/null"))
        if i % 20 == 0:
            threading.Thread(target=time.sleep, args=(10**6,), daemon=True).start()
        i += 1
        time.sleep(1)


# ---------------------------------------------------------------- tests

def synthetic(minutes, f):
    rows = []
    for i in range(1, int(minutes * 6) + 1):
        m = i / 6
        r = {"minute": f"{m:.2f}"}
        r.update(f(m, i))
        rows.append(r)
    return rows


def healthy(m, i):
    rnd = random.Random(i)
    return {
        "console_rss_kb": 90_000 + min(m, 1) * 40_000 + rnd.uniform(-2000, 2000),
        "bridge_rss_kb": 60_000 + rnd.uniform(-1500, 1500),
        "console_fds": 40 + (i % 3 == 0), "console_threads": 12,
        "bridge_fds": 30 + (i % 4 == 0), "bridge_threads": 10,
        "frame_p99_ms": 4 + rnd.uniform(0, 6),
        "outbox_bytes": (i % 9) * 7 * MIB,  # a sawtooth of segments
    }


class VerdictTests(unittest.TestCase):
    def test_slope_of_a_line_and_of_a_flat_series(self):
        self.assertAlmostEqual(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2.0)
        self.assertAlmostEqual(slope([0, 1, 2, 3], [5, 5, 5, 5]), 0.0)
        self.assertIsNone(slope([1], [1]))

    def test_warmup_is_a_third_or_two_minutes_and_half_of_a_short_run(self):
        self.assertEqual(warmup_minutes(60), 20)
        self.assertEqual(warmup_minutes(5), 2)
        self.assertEqual(warmup_minutes(2), 1)

    def test_a_healthy_run_passes_short_and_long(self):
        for minutes in (2, 60):
            ok, lines = judge(synthetic(minutes, healthy), minutes)
            self.assertTrue(ok, "\n".join(lines))

    def test_each_leak_fails_its_series(self):
        leaks = {
            # 1 MiB/min: 10 MiB per 10 min, caught by the hour-long run.
            "console_rss_kb": (60, lambda m: 1100 * m),
            # 15 MiB/min (the leak check's rate): caught by the 2-minute run.
            "bridge_rss_kb": (2, lambda m: 15_000 * m),
            "console_fds": (60, lambda m: m // 10),
            "bridge_threads": (2, lambda m: int(m * 4)),
            "frame_p99_ms": (60, lambda m: m * 0.6),
            "outbox_bytes": (60, lambda m: m * 4 * MIB),
        }
        for name, (minutes, grow) in leaks.items():
            def f(m, i, name=name, grow=grow):
                r = healthy(m, i)
                r[name] += grow(m)
                return r
            ok, lines = judge(synthetic(minutes, f), minutes)
            self.assertFalse(ok, f"{name} leak passed:\n" + "\n".join(lines))
            self.assertTrue(any(l.startswith(f"FAIL {name}") for l in lines), "\n".join(lines))

    def test_single_spikes_are_not_a_trend_even_at_the_end(self):
        # A tab with its own clients open at the moment of a sample: +46 fds
        # and +32 threads, in two of the last four samples of an hour.
        def f(m, i):
            r = healthy(m, i)
            if i in (355, 358):
                r["console_fds"] += 46
                r["console_threads"] += 32
            return r
        ok, lines = judge(synthetic(60, f), 60)
        self.assertTrue(ok, "\n".join(lines))

    def test_clients_open_at_the_last_samples_of_a_short_run_are_not_a_trend(self):
        # CI's 2-minute run: a transient client (4 fds, 3 threads) open at the
        # moment of the last two samples and of one in the middle.
        def f(m, i):
            r = healthy(m, i)
            if i in (6, 11, 12):
                r["console_fds"] += 4
                r["console_threads"] += 3
            return r
        ok, lines = judge(synthetic(2, f), 2)
        self.assertTrue(ok, "\n".join(lines))

    def test_a_short_run_still_filling_its_buffers_passes(self):
        # CI's run: console RSS 73.9 → 81.3 MB over the judged minute.
        def f(m, i):
            r = healthy(m, i)
            r["console_rss_kb"] = 65_000 + m * 7_000
            return r
        ok, lines = judge(synthetic(2, f), 2)
        self.assertTrue(ok, "\n".join(lines))
        ok, _ = judge(synthetic(60, f), 60)
        self.assertFalse(ok, "the same rise over an hour is a leak")

    def test_threads_still_starting_at_the_end_of_the_warm_up_pass(self):
        # As in CI's run: the bridge's threads still starting in the warm-up
        # (22 → 25 there), then flat at 27 from the first judged sample on.
        def f(m, i):
            r = healthy(m, i)
            r["bridge_threads"] = 27 if m >= 1 else 22
            return r
        ok, lines = judge(synthetic(2, f), 2)
        self.assertTrue(ok, "\n".join(lines))

    def test_the_floor_keeps_a_lasting_rise_and_drops_passing_clients(self):
        self.assertEqual(running_floor3([5, 5, 9, 9, 5, 5]), [5, 5, 5, 5, 5, 5])
        self.assertEqual(running_floor3([5, 6, 7, 8, 9]), [5, 5, 5, 6, 7])

    def test_running_median_keeps_a_lasting_rise_and_drops_a_spike(self):
        self.assertEqual(running_median3([5, 5, 9, 5, 5]), [5, 5, 5, 5, 5])
        self.assertEqual(running_median3([5, 5, 6, 6, 6]), [5, 5, 6, 6, 6])
        self.assertEqual(running_median3([1, 2, 3, 4]), [1, 2, 3, 4])
        self.assertEqual(running_median3([5, 5, 5, 5, 50]), [5, 5, 5, 5, 5])
        self.assertEqual(running_median3([1, 9]), [1, 9])

    def test_one_whole_outbox_segment_ramp_passes(self):
        # A judged minute that is exactly one segment filling up (CI's run).
        def f(m, i):
            r = healthy(m, i)
            r["outbox_bytes"] = max(0.0, m - 1) * SEGMENT
            return r
        ok, lines = judge(synthetic(2, f), 2)
        self.assertTrue(ok, "\n".join(lines))

    def test_a_missing_series_fails(self):
        def f(m, i):
            r = healthy(m, i)
            r["frame_p99_ms"] = ""
            return r
        ok, lines = judge(synthetic(10, f), 10)
        self.assertFalse(ok)
        self.assertIn("FAIL frame_p99_ms: only 0 samples (was it measured?)", lines)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("feed")
    f.add_argument("rate", type=int)
    m = sub.add_parser("monitor")
    m.add_argument("--minutes", type=float, required=True)
    m.add_argument("--console-pid", type=int, required=True)
    m.add_argument("--bridge-pid", type=int, required=True)
    m.add_argument("--alive", type=int, nargs="*", default=[], help="other pids that must stay up")
    m.add_argument("--outbox")
    m.add_argument("--frame-stats")
    m.add_argument("--metrics", help="the bridge's HOST:PORT")
    m.add_argument("--tmux-socket")
    m.add_argument("--tmux-target", default="soak")
    m.add_argument("--csv", required=True)
    v = sub.add_parser("verdict")
    v.add_argument("csv")
    v.add_argument("minutes", type=float)
    sub.add_parser("leak")
    sub.add_parser("self-test")
    a = p.parse_args()
    if a.cmd == "feed":
        return feed(a.rate)
    if a.cmd == "monitor":
        return monitor(a)
    if a.cmd == "verdict":
        with open(a.csv) as f:
            ok, lines = judge(list(csv.DictReader(f)), a.minutes)
        print("\n".join(lines))
        print("verdict:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    if a.cmd == "leak":
        return leak()
    if a.cmd == "self-test":
        r = unittest.TextTestRunner(verbosity=2).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(VerdictTests))
        return 0 if r.wasSuccessful() else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
