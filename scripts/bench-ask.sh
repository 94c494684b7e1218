#!/usr/bin/env bash
# Ask benchmark, one command: times RUNS (default 20) `rtchat ask` processes against a real
# `rtchat listen --exec 'echo 42'` process (embedded broker on 127.0.0.1, --ice loopback):
# process start -> answer printed, process start -> exit, and their difference; also
# `rtchat version` start -> exit against a Go hello-world, and package initialisation
# (GODEBUG=inittrace=1). With --prev REV an older tree is built (git archive, no checkout)
# and run interleaved, so every figure has a same-run ratio to the previous tree.
#
#   usage: scripts/bench-ask.sh [-r RUNS] [--prev REV]
#   e.g.   scripts/bench-ask.sh --prev main
set -euo pipefail
runs=20 prev=
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    --prev) prev=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench-ask.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
. scripts/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prevbin=
[ -z "$prev" ] || prevbin=$(build_prev "$prev" "$tmp")
echo "== rtchat ask benchmark: $runs runs; tree $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty);" \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
RTCHAT_BENCH=1 RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_PREV_BIN=$prevbin \
  go test ./e2e -run '^TestAskBench$' -count=1 -v -timeout 30m
