#!/usr/bin/env bash
# Run tests again and again under load to find flakes (see docs/testing.md, "Flakes").
#
# Usage: scripts/soak.sh N TAG [PACKAGE...] [-- GO_TEST_FLAGS...]
#   scripts/soak.sh 20 unit                      the unit packages, in parallel, 20 times
#   scripts/soak.sh 5 e2e ./e2e                  the real-binary suite, 5 times
#   RTCHAT_LAB=1 scripts/soak.sh 5 lab ./e2e/lab the network lab (root), 5 times
#   scripts/soak.sh 20 mesh ./rtc -- -run 'TestRoomMesh$'
#
# Each run is `go test -race -count=1 -v` at nice 15 (so the people sharing the machine
# keep working); its whole output goes to soak/TAG-I.log and one line per run (exit code,
# seconds, the failing tests) to soak/TAG.summary. Load is the point: run it beside other
# work, or add a CPU hog (`nice -n 19 yes >/dev/null &`, one per core). Output on a
# stall: the tests' own deadlines end it (rtc/stream dumps every goroutine when a
# transfer stalls), and -timeout 40m ends the rest with Go's goroutine dump.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
n=$1 tag=$2
shift 2
pkgs=() flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pkgs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
flags=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./rtc/... ./keys/... ./commands/... ./internal/...)
mkdir -p soak
fails=0
for i in $(seq 1 "$n"); do
  log=soak/$tag-$i.log
  start=$(date +%s)
  nice -n 15 go test -race -count=1 -v -timeout 40m "${flags[@]}" "${pkgs[@]}" >"$log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || fails=$((fails + 1))
  failed=$(grep -E '^ *--- FAIL|^FAIL|^panic' "$log" | tr -s ' \n' ' ')
  echo "$tag run $i rc=$rc $(($(date +%s) - start))s load $(cut -d' ' -f1-3 /proc/loadavg) $failed" | tee -a "soak/$tag.summary"
done
echo "$tag: $n runs, $fails failed"
[ $fails -eq 0 ]
