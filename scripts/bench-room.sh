#!/usr/bin/env bash
# The room at scale with real processes: n 'rtchat connect' processes join one room on an
# embedded broker; prints, per run, the time to a full mesh, the MQTT messages and bytes
# per peer published until then, the time for one line to reach everyone, and RSS.
#
# Usage: scripts/bench-room.sh [PEERS] [RUNS]      e.g. scripts/bench-room.sh 5,10,20 3
set -euo pipefail
cd "$(dirname "$0")/.."
peers="${1:-5,10,20}"
runs="${2:-1}"
echo "== rtchat room mesh: peers $peers, $runs run(s); tree $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty);" \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
RTCHAT_BENCH=1 RTCHAT_BENCH_PEERS=$peers RTCHAT_BENCH_RUNS=$runs \
  go test ./e2e -run '^TestRoomMeshBench$' -count=1 -v -timeout 60m >"$log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then cat "$log" >&2; exit $rc; fi
grep -o 'RESULT.*' "$log"
