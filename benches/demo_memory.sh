#!/usr/bin/env bash
# The demo's memory over time: runs `eventdeck demo` (the console, in tmux, as a
# person would) at a scenario rate and samples its resident memory every
# INTERVAL seconds for MINUTES minutes, then prints the curve and the plateau
# (the largest RSS in the last third of the run). The budget in DESIGN.md: a
# demo left running plateaus under 300 MB.
#
#   benches/demo_memory.sh [MINUTES] [RATE] [INTERVAL]
#   benches/demo_memory.sh 10 100          # 10 minutes at 100 events/s
#
# Builds the release binary first (or runs the one named by EVENTDECK_BIN).
# Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-10}"
rate="${2:-8}"
interval="${3:-10}"
command -v tmux >/dev/null || { echo "needs tmux (apt-get install -y tmux)" >&2; exit 2; }

if [ -n "${EVENTDECK_BIN:-}" ]; then
  bin="$EVENTDECK_BIN"
else
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-$PWD/target}/release/eventdeck"
fi
home="$(mktemp -d)"
session="eventdeck-memory-$$"
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

tmux new-session -d -s "$session" -x 120 -y 40 \
  "env HOME=$home XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data $bin demo --rate $rate"
# The binary re-executes itself once (allocator settings): wait for the
# process that stays, by name.
pid=""
for _ in $(seq 1 100); do
  pid="$(pgrep -n -f "$bin demo --rate $rate" || true)"
  [ -n "$pid" ] && grep -q "demo" "/proc/$pid/cmdline" 2>/dev/null && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "the demo did not start" >&2; exit 1; }
sleep 2
pid="$(pgrep -n -f "$bin demo --rate $rate")"

samples=$(( minutes * 60 / interval ))
echo "eventdeck demo --rate $rate, pid $pid: RSS every ${interval}s for ${minutes} min"
echo "seconds  rss_mb"
rss=()
for i in $(seq 1 "$samples"); do
  sleep "$interval"
  kb="$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
  mb=$(( kb / 1024 ))
  rss+=("$mb")
  printf '%7d  %6d\n' $(( i * interval )) "$mb"
done
third=$(( samples * 2 / 3 ))
plateau=0
for ((j = third; j < samples; j++)); do
  [ "${rss[$j]}" -gt "$plateau" ] && plateau="${rss[$j]}"
done
max=0
for v in "${rss[@]}"; do [ "$v" -gt "$max" ] && max="$v"; done
echo "plateau (max of the last third): ${plateau} MB; max ${max} MB; budget 300 MB"
