#!/usr/bin/env bash
# Pipe benchmark, one command: moves SIZE bytes (default 1GiB) one way over loopback with
# `rtchat pipe` (two processes, embedded broker, --ice loopback), with a bare pion data
# channel between two processes (bench/barepion, same socket buffers and chunk size) and
# with a plain TCP copy (bench/tcpcopy), RUNS times interleaved (default 3), and prints
# min/median/max side by side: MB/s (rtchat from its --json summary seconds and from the
# wall clock including setup), ratios, peak RSS (VmHWM sampled from /proc/PID/status) of
# each pipe process, and the Udp RcvbufErrors delta from /proc/net/snmp. The receiver's
# output is checked with sha256.
#
#   usage: scripts/bench-pipe.sh [-n SIZE] [-r RUNS] [--no-baselines]
#          SIZE like 256MiB, 1GiB, 4608MiB; --no-baselines runs rtchat pipe only
#   e.g.   scripts/bench-pipe.sh                          # 1 GiB, 3 runs
#          scripts/bench-pipe.sh -n 4608MiB -r 1 --no-baselines
set -euo pipefail
size=1GiB runs=3 baselines=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) size=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    --no-baselines) baselines=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench-pipe.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
echo "== rtchat pipe benchmark: $size x $runs runs (baselines: $baselines); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo '?')" >&2
RTCHAT_BENCH=1 RTCHAT_BENCH_SIZE=$size RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_BASELINES=$baselines \
  go test ./e2e -run '^TestPipeBench$' -count=1 -v -timeout 3h
