#!/usr/bin/env bash
# ask --all to a fleet: n 'rtchat listen' processes, each its own pinned identity, on one
# embedded broker (--ice loopback); RUNS fresh 'rtchat ask --all' per size, timed from
# process start to exit (all answers printed), with the answers counted, the asker's CPU
# seconds and peak RSS. With --prev REV an older tree's asker runs too, interleaved.
#
# Usage: scripts/bench-fleet.sh [--prev REV] [PEERS] [RUNS]    e.g. scripts/bench-fleet.sh 25,50,100 3
set -euo pipefail
prev=
if [ "${1:-}" = --prev ]; then prev=$2; shift 2; fi
cd "$(dirname "$0")/.."
. scripts/lib.sh
peers="${1:-25,50,100}"
runs="${2:-3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prevbin=
[ -z "$prev" ] || prevbin=$(build_prev "$prev" "$tmp")
echo "== rtchat ask --all to a fleet: listeners $peers, $runs run(s); tree $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty);" \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
log=$tmp/log
rc=0
RTCHAT_BENCH=1 RTCHAT_BENCH_PEERS=$peers RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_PREV_BIN=$prevbin \
  go test ./e2e -run '^TestFleetBench$' -count=1 -v -timeout 70m >"$log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then cat "$log" >&2; exit $rc; fi
grep -oE 'RESULT.*|[0-9]+ × .*' "$log"
