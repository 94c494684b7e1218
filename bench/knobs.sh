#!/usr/bin/env bash
# Tuning knobs of the pipe's pion stack, measured one at a time against the baseline (the
# settings rtchat uses: 4 MiB ICE UDP socket buffers, 64,000-byte writes, pion's SCTP
# defaults). Builds bench/barepion (two processes, bare detached data channel, loopback ICE)
# and runs ROUNDS rounds (default 3) of SIZE (default 256MiB) for every configuration,
# interleaved: each round runs every configuration once, the starting configuration
# rotating from round to round, so that all see the same machine load. Prints, per
# configuration, the sender's MB/s (first write -> receiver's "done"; MB = 10^6 bytes)
# min/median/max, the ratio of its median to the baseline's median, the per-round ratio to
# the baseline of the same round (min/median/max), the Udp RcvbufErrors delta over each
# run (/proc/net/snmp, machine-wide; min/median/max and total) and the SO_RCVBUF the
# kernel granted (getsockopt; Linux reports twice the granted request).
#
#   usage: bench/knobs.sh [-n SIZE] [-r ROUNDS] [-o RAW.jsonl]
#   e.g.   bench/knobs.sh                 # 256MiB x 3 rounds x 8 configurations
#
# Configurations (barepion flags; every one is passed to the receiving child too):
#   base         -sockbuf 4MiB -chunk 64000            (iceconf.SocketBuffer, benchutil.ChunkSize)
#   sockbuf=1M   -sockbuf 1MiB
#   sockbuf=208K -sockbuf 212992   a stock host: net.core.rmem_max = 212992 caps a 4 MiB
#                                  request at 208 KiB (the kernel reports 416 KiB)
#   sockbuf=0    -sockbuf 0        not set: net.core.rmem_default (208 KiB, reported as is)
#   chunk=32768  -chunk 32768
#   chunk=16384  -chunk 16384
#   sctprecv=4M  -sctprecv 4MiB    SettingEngine.SetSCTPMaxReceiveBufferSize (pion default 1 MiB)
#   zerocsum     -zerochecksum     SettingEngine.EnableSCTPZeroChecksum(true)
set -euo pipefail
size=256MiB rounds=3 raw=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) size=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -o) raw=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "knobs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."

names=(base sockbuf=1M sockbuf=208K sockbuf=0 chunk=32768 chunk=16384 sctprecv=4M zerocsum)
flags=("" "-sockbuf 1MiB" "-sockbuf 212992" "-sockbuf 0" "-chunk 32768" "-chunk 16384"
  "-sctprecv 4MiB" "-zerochecksum")
nc=${#names[@]}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/barepion" ./bench/barepion
[ -n "$raw" ] || raw=$tmp/raw.jsonl
: >"$raw"

echo "== knobs: $size x $rounds rounds x $nc configurations; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo '?')" \
  "wmem_max=$(cat /proc/sys/net/core/wmem_max 2>/dev/null || echo '?')" \
  "rmem_default=$(cat /proc/sys/net/core/rmem_default 2>/dev/null || echo '?')" >&2
snmp() { awk '/^Udp:/{n++; if(n==1) for(i=1;i<=NF;i++) h[i]=$i; else for(i=1;i<=NF;i++) if(h[i]=="RcvbufErrors") print $i}' /proc/net/snmp; }
before=$(snmp)
for ((r = 0; r < rounds; r++)); do
  for ((j = 0; j < nc; j++)); do
    c=$(((j + r) % nc))
    # shellcheck disable=SC2086 # flags are word lists
    line=$("$tmp/barepion" -n "$size" ${flags[$c]})
    echo "$line" | sed "s/^{/{\"round\":$((r + 1)),\"config\":\"${names[$c]}\",/" >>"$raw"
    printf 'round %d %-13s %6.1f MB/s, rcvbuf_errors_delta %s\n' "$((r + 1))" "${names[$c]}" \
      "$(echo "$line" | grep -o '"send_mbps":[0-9.]*' | cut -d: -f2)" \
      "$(echo "$line" | grep -o '"rcvbuf_errors_delta":-\?[0-9]*' | cut -d: -f2)" >&2
  done
done
after=$(snmp)
echo "== Udp RcvbufErrors before $before, after $after (machine-wide); raw lines: $raw" >&2

# Summary: one row per configuration, in the order above.
awk -v order="${names[*]}" '
function field(s, k,   m) { if (match(s, "\"" k "\":-?[0-9.e+]+")) { m = substr(s, RSTART, RLENGTH); sub(/^[^:]*:/, "", m); return m + 0 } return "" }
function sval(s, k,   m) { match(s, "\"" k "\":\"[^\"]*\""); m = substr(s, RSTART, RLENGTH); sub(/^[^:]*:"/, "", m); sub(/"$/, "", m); return m }
function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t } }
function med(a, n) { sort(a, n); return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
{
  c = sval($0, "config"); r = field($0, "round")
  mb[c, r] = field($0, "send_mbps"); dr[c, r] = field($0, "rcvbuf_errors_delta"); rb[c] = field($0, "rcvbuf")
  if (!($0 ~ /"ok":true/)) bad[c]++
  if (r > rounds) rounds = r
}
END {
  nn = split(order, names, " ")
  for (i = 1; i <= rounds; i++) b[i] = mb["base", i]
  bmed = med(b, rounds)
  printf "| config | SO_RCVBUF reported | MB/s min | median | max | median ÷ base median | per-round ÷ base min / median / max | RcvbufErrors per run min / median / max | total |\n"
  printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
  for (k = 1; k <= nn; k++) {
    c = names[k]; tot = 0
    for (i = 1; i <= rounds; i++) { x[i] = mb[c, i]; q[i] = mb[c, i] / mb["base", i]; d[i] = dr[c, i]; tot += dr[c, i] }
    m = med(x, rounds); qm = med(q, rounds); dm = med(d, rounds)
    printf "| %s%s | %d | %.1f | %.1f | %.1f | %.2f | %.2f / %.2f / %.2f | %d / %d / %d | %d |\n", c, (bad[c] ? " (FAILED " bad[c] ")" : ""), rb[c],
      x[1], m, x[rounds], m / bmed, q[1], qm, q[rounds], d[1], dm, d[rounds], tot
  }
}' "$raw"
