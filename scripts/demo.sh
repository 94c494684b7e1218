#!/usr/bin/env bash
# The main job, offline: build rtchat, start its embedded MQTT broker on 127.0.0.1, make two
# identities in temporary config dirs, pin them to each other, pipe a file from one rtchat
# process to the other, and print both checksums and the rate. Leaves nothing behind.
#   usage: scripts/demo.sh [MiB]      (default 64)
set -euo pipefail
mib=${1:-64}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== building rtchat"
go build -o "$work/rtchat" ./cmd/rtchat
rt="$work/rtchat"

echo "== starting the embedded broker on 127.0.0.1"
"$rt" broker --listen 127.0.0.1:0 --json >"$work/broker.json" 2>"$work/broker.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/broker.json" ] && break; sleep 0.05; done
url=$(grep -o 'mqtt://[0-9.:]*' "$work/broker.json" | head -n1)
[ -n "$url" ] || { cat "$work/broker.log" >&2; echo "broker did not start" >&2; exit 1; }
echo "   $url"
export RTCHAT_BROKER=$url RTCHAT_ICE=loopback RTCHAT_ROOM=demo-$$

echo "== making identities alice and bob, pinning each to the other"
"$rt" --config-dir "$work/alice" keys gen --name alice >"$work/alice.id" 2>/dev/null
"$rt" --config-dir "$work/bob" keys gen --name bob >"$work/bob.id" 2>/dev/null
"$rt" --config-dir "$work/alice" keys register - <"$work/bob.id" 2>/dev/null
"$rt" --config-dir "$work/bob" keys register - <"$work/alice.id" 2>/dev/null
"$rt" --config-dir "$work/alice" keys list | sed 's/^/   alice pins: /'
"$rt" --config-dir "$work/bob" keys list | sed 's/^/   bob pins:   /'

echo "== piping $mib MiB of random data from alice to bob"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/file"
"$rt" --config-dir "$work/bob" pipe alice </dev/null >"$work/received" 2>"$work/bob.log" &
bob=$!
pids+=($bob)
start=$(date +%s.%N)
# pipe's stdout is the byte stream, so its --json objects come on stderr
"$rt" --config-dir "$work/alice" --json pipe bob <"$work/file" >/dev/null 2>"$work/alice.json" ||
  { cat "$work/alice.json" >&2; exit 1; }
wait "$bob" || { cat "$work/bob.log" >&2; exit 1; }
end=$(date +%s.%N)

sent=$(sha256sum <"$work/file" | cut -d' ' -f1)
got=$(sha256sum <"$work/received" | cut -d' ' -f1)
echo "   sent     sha256 $sent"
echo "   received sha256 $got"
awk -v b="$((mib * 1024 * 1024))" -v s="$start" -v e="$end" \
  'BEGIN { printf "   %.1f MB/s over %.2f s, including meeting, connecting and verifying\n", b / (e - s) / 1e6, e - s }'
grep '"type":"summary"' "$work/alice.json" | grep -o '"sent_seconds":[0-9.]*' | awk -F: -v b="$((mib * 1024 * 1024))" \
  '{ printf "   %.1f MB/s while its bytes moved (%.2f s, first byte to last acknowledged)\n", b / $2 / 1e6, $2 }'
if [ "$sent" = "$got" ]; then echo "== OK: checksums match"; else echo "== FAILED: checksums differ" >&2; exit 1; fi
