#!/usr/bin/env bash
# Pipe benchmark, one command: moves SIZE bytes (default 1GiB) one way over loopback, RUNS
# times (default 3), with every contender per run in rotating order so that all see the same
# machine load, and prints min/median/max side by side: MB/s, CPU-seconds per GiB (user+sys
# of all the contender's processes), per-run ratios, peak RSS (VmHWM) and the Udp
# RcvbufErrors delta. Every receiver's output is checked with sha256. Contenders:
#   rtchat-webrtc  rtchat pipe --direct=false (the WebRTC data channel)
#   rtchat-direct  rtchat pipe (the verified direct TLS path; see docs/rtchat-protocol.md)
#   prev-*         the same with an older tree (--prev REV): each change as a ratio
#   barepion       a bare pion data channel between two processes (bench/barepion)
#   tcpcopy        a plain TCP copy between two processes (bench/tcpcopy)
#   croc           croc CROC_VERSION, built here from source (go install), through its own
#                  relay on 127.0.0.1 (4 TCP streams, AES-GCM; --no-compress --quiet)
#
# With --waits it measures the fixed waits instead (issue 20; default 1MiB, 5 runs): one
# process first and the other 50/250/700 ms later (rotating, which one first alternating),
# min/median/max of the later start -> the receiver's first byte, its last byte -> EOF on its
# stdout and -> both processes exited, a 0-byte pipe's later start -> both exited, on the
# direct path and on WebRTC, and a plain TCP copy of the same size (bench/tcpcopy) in the
# same run; --prev runs the older tree interleaved. RTCHAT_BENCH_FLAGS=-v
# RTCHAT_BENCH_SLOW=150ms print both logs of every slower run.
#
#   usage: scripts/bench-pipe.sh [-n SIZE] [-r RUNS] [--prev REV [--prev-direct]]
#                                [--only LIST] [--no-baselines] [--no-croc]
#          scripts/bench-pipe.sh --waits [-n SIZE] [-r RUNS] [--prev REV]
#          SIZE like 256MiB, 1GiB, 4608MiB; LIST: comma-separated contenders
#   e.g.   scripts/bench-pipe.sh                          # 1 GiB, 3 runs, all contenders
#          scripts/bench-pipe.sh --prev HEAD~1 --only rtchat-webrtc,prev-webrtc
#          scripts/bench-pipe.sh -n 4608MiB -r 1 --no-baselines
#          scripts/bench-pipe.sh --waits --prev main
set -euo pipefail
size= runs= baselines=1 croc=1 prev= prevdirect=0 only= waits=0
CROC_VERSION=v10.7.0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) size=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    --prev) prev=$2; shift 2 ;;
    --prev-direct) prevdirect=1; shift ;;
    --only) only=$2; shift 2 ;;
    --no-baselines) baselines=0; shift ;;
    --no-croc) croc=0; shift ;;
    --waits) waits=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "bench-pipe.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$waits" = 1 ]; then
  size=${size:-1MiB} runs=${runs:-5} croc=0
else
  size=${size:-1GiB} runs=${runs:-3}
fi
cd "$(dirname "$0")/.."
. scripts/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

crocbin=
if [ "$croc" = 1 ] && [ "$baselines" = 1 ]; then
  # croc is a Go program: build the pinned release from source through the module proxy,
  # once per version (kept in the Go build cache's neighbourhood between runs).
  crocdir="$(go env GOCACHE)/../rtchat-bench/croc-$CROC_VERSION"
  if [ ! -x "$crocdir/croc" ]; then
    mkdir -p "$crocdir"
    echo "== building croc $CROC_VERSION from source (go install)" >&2
    (cd "$tmp" && GOBIN="$crocdir" GOFLAGS=-mod=mod go install "github.com/schollz/croc/v10@$CROC_VERSION")
  fi
  crocbin=$crocdir/croc
fi

prevbin=
[ -z "$prev" ] || prevbin=$(build_prev "$prev" "$tmp")

if [ "$waits" = 1 ]; then
  echo "== rtchat pipe wait benchmark: $size x $runs runs; tree $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty);" \
    "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  RTCHAT_BENCH=1 RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_SIZE=$size RTCHAT_BENCH_PREV_BIN=$prevbin \
    go test ./e2e -run '^TestPipeWaitBench$' -count=1 -v -timeout 30m
  exit
fi
echo "== rtchat pipe benchmark: $size x $runs runs; tree $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty);" \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo '?')" >&2
RTCHAT_BENCH=1 RTCHAT_BENCH_SIZE=$size RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_BASELINES=$baselines \
  RTCHAT_BENCH_CROC=$crocbin RTCHAT_BENCH_PREV_BIN=$prevbin RTCHAT_BENCH_PREV_DIRECT=$prevdirect \
  RTCHAT_BENCH_ONLY=$only \
  go test ./e2e -run '^TestPipeBench$' -count=1 -v -timeout 3h
