#!/usr/bin/env bash
# Network benchmark, one command: builds the network lab (e2e/lab: two homes behind NAT
# routers in network namespaces, the broker and coturn in an "internet" namespace), shapes
# the path (delay with a TUN delay line, a quarter of the round trip on each home's access
# link; loss with nftables `numgen random` and rate with tbf at alice's router), and for each
# profile moves the same bytes alice→bob RUNS times, interleaved: a Go TCP copy with the
# kernel's default congestion control, the same with CUBIC, and `rtchat pipe` (once per
# variant). It prints MB/s of every transfer, the receiver's UDP socket drops, and per
# profile the ratios rtchat ÷ TCP (min/median/max) and the round trips before the first
# byte. Needs root, iproute2, nftables, conntrack, coturn (see .ci/run).
#
#   usage: scripts/bench-net.sh [-p PROFILES] [-r RUNS] [-n SIZE] [-v VARIANTS] [-o FILE.jsonl] [--cpu]
#          scripts/bench-net.sh --share [-p PROFILE] [-r RUNS] [-n SIZE] [-v VARIANTS]
#     --cpu     also CPU per byte (CPU-s per GiB, sender + receiver, from rusage): adds a TCP
#               copy without hashing (tcp-plain) per run and a 0-byte pipe per variant (set-up)
#     --share   instead: rtchat and one TCP CUBIC flow at the same time over one bottleneck
#               (default 50ms/20mbit, 16MiB each): what a variant costs other traffic
#     PROFILES  comma-separated RTT[/LOSS%][/RATE][/turn], default
#               50ms,50ms/0.5%,50ms/2%,50ms/100mbit,100ms,200ms; /turn: symmetric NATs, rtchat
#               relayed by coturn, each TCP copy through a TCP relay at coturn's place
#     SIZE      bytes at 0% loss (default 64MiB; a quarter at ≥0.5% loss, a sixteenth at ≥2%)
#     VARIANTS  ';'-separated NAME:ENV..., default "default:" (rtchat as built); e.g.
#               "default:;w1m:RTCHAT_SCTP_RCVBUF=1048576;ca4:RTCHAT_SCTP_CASTEP=4912"
#               (the knobs are in rtc/iceconf/window.go and congestion.go); words starting
#               with "--" are pipe flags: "direct:;webrtc:--direct=false" measures both paths
#   e.g.   scripts/bench-net.sh -p 50ms,200ms -r 3
#          scripts/bench-net.sh -p 50ms/turn,200ms/turn,50ms/0.5%/turn -r 3
set -euo pipefail
profiles="50ms,50ms/0.5%,50ms/2%,50ms/100mbit,100ms,200ms" runs=3 size=64MiB variants="default:" out="" share=0 cpu=0
while [ $# -gt 0 ]; do
  case "$1" in
    -p) profiles=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    -n) size=$2; shift 2 ;;
    -v) variants=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --share) share=1; shift ;;
    --cpu) cpu=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "bench-net.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"
echo "== network benchmark: profiles $profiles, $runs runs, $size; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "tcp_congestion_control=$(cat /proc/sys/net/ipv4/tcp_congestion_control), rmem_max=$(cat /proc/sys/net/core/rmem_max)" >&2
if [ "$share" = 1 ]; then
  case "$profiles" in *,*) profiles="50ms/20mbit" ;; esac
  [ "$size" = 64MiB ] && size=16MiB
  RTCHAT_BENCH=1 RTCHAT_BENCH_SHARE=1 RTCHAT_LAB=1 RTCHAT_SHARE_PROFILE=$profiles RTCHAT_BENCH_RUNS=$runs \
    RTCHAT_BENCH_SIZE=$size RTCHAT_BENCH_VARIANTS=$variants \
    go test ./e2e/lab -run '^TestNetShare$' -count=1 -v -timeout 6h | grep -E 'MB/s|share|^(---|ok|FAIL|PASS)'
  exit "${PIPESTATUS[0]}"
fi
RTCHAT_BENCH=1 RTCHAT_LAB=1 RTCHAT_BENCH_PROFILES=$profiles RTCHAT_BENCH_RUNS=$runs RTCHAT_BENCH_SIZE=$size \
  RTCHAT_BENCH_VARIANTS=$variants RTCHAT_BENCH_OUT=$out RTCHAT_BENCH_CPU=$cpu \
  go test ./e2e/lab -run '^TestNetBench$' -count=1 -v -timeout 6h |
  grep -E 'MB/s|÷|first byte|cpu|^(---|ok|FAIL|PASS)|Error|error'
exit "${PIPESTATUS[0]}"
