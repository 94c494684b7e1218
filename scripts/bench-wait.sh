#!/usr/bin/env bash
# Fixed-wait benchmark (issue 20), one command: runs `rtchat pipe` RUNS times (default 5) on
# loopback (embedded broker on 127.0.0.1, --ice loopback), one process first and the other
# 50/250/700 ms later (rotating, and which one starts first alternating), and reports
# min/median/max of: the later start -> the receiver's first byte, its last byte -> EOF on
# its stdout and -> both processes exited, a 0-byte pipe's later start -> both exited, on
# the direct path and on WebRTC; and a plain TCP copy of the same size (bench/tcpcopy, two
# processes) in the same run. With --prev REV an older tree is built (git archive, no
# checkout) and run interleaved.
#
#   usage: scripts/bench-wait.sh [-r RUNS] [-n SIZE] [--prev REV]
#   e.g.   scripts/bench-wait.sh --prev main
set -euo pipefail
runs=5 size=1MiB prev=
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -n) size=$2; shift 2 ;;
    --prev) prev=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench-wait.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prevbin=
if [ -n "$prev" ]; then
  rev=$(git rev-parse --short "$prev")
  mkdir -p "$tmp/prev"
  git archive "$rev" | tar -x -C "$tmp/prev"
  (cd "$tmp/prev" && go build -o "$tmp/rtchat-prev" ./cmd/rtchat)
  prevbin=$tmp/rtchat-prev
  echo "== previous tree: $rev ($(git log -1 --format=%s "$rev"))" >&2
fi
echo "== rtchat pipe wait benchmark: $size x $runs runs; tree $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty);" \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
RTCHAT_BENCH=1 RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_SIZE=$size RTCHAT_BENCH_PREV_BIN=$prevbin \
  go test ./e2e -run '^TestPipeWaitBench$' -count=1 -v -timeout 30m
