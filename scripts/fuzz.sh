#!/usr/bin/env bash
# Run every Go fuzz target (func Fuzz*) in the module, each for a bounded time, and fail on
# any crasher. Targets are discovered package by package with `go test -list '^Fuzz'`, so
# a new target is picked up without editing this script.
#
# Usage: scripts/fuzz.sh [PACKAGE_PATTERN...]     (default: ./...)
#   e.g. scripts/fuzz.sh ./rtc/lzstring ./keys
#
# Environment:
#   FUZZTIME          time (or Nx iterations) per target, default 10s. With the module's
#                     10 targets the default run takes about 2 minutes: 100 s of fuzzing and
#                     ~25 s of building and linking with a warm build cache (a cold cache
#                     adds about a minute to instrument the WebRTC dependencies once).
#   FUZZPARALLEL      fuzzing workers per target (go test -parallel), default GOMAXPROCS.
#   FUZZMINIMIZETIME  time to minimise a crasher, default 10s (go's default is 60s).
#
# Output: each target's result as it finishes, then a table of package / target / execs /
# result. Exit status 0 if every target ran clean; 1 if a target failed or a package did
# not build (its compiler output is printed; the other packages still run).
#
# A crasher is written by go test to PKG/testdata/fuzz/TARGET/<hash>: fix the bug, then
# commit that file so the input is replayed by every `go test` from then on.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-10s}"
minimize="${FUZZMINIMIZETIME:-10s}"
parallel=()
[ -n "${FUZZPARALLEL:-}" ] && parallel=(-parallel "$FUZZPARALLEL")
[ $# -eq 0 ] && set -- ./...

# Packages whose test files declare a func Fuzz…: a cheap text prefilter, so that only
# those are built; `go test -list` below is what decides. -e lists packages that do not
# build too, so that they are reported below instead of silently skipped.
if ! listing="$(go list -e -f '{{.ImportPath}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}}' "$@")"; then
  echo "fuzz.sh: go list $* failed" >&2
  exit 1
fi
pkgs=()
while read -r pkg files; do
  # shellcheck disable=SC2086 # files is a space-separated list of paths without spaces
  [ -n "$files" ] && grep -qE '^func Fuzz' $files && pkgs+=("$pkg")
done <<<"$listing"

# Packages are shown relative to the module in the table.
mod="$(go list -m)"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# deadline_flake LOG: the run failed with nothing but go's fuzz-deadline race: its only
# failure text is "context deadline exceeded" and no failing input was written.
deadline_flake() {
  grep -q 'context deadline exceeded' "$1" || return 1
  grep -qE 'Failing input written to|panic:|_test\.go:[0-9]+:' "$1" && return 1
  # Nothing else than go test's framing and progress lines.
  ! grep -vE '^(fuzz: |--- FAIL: Fuzz|FAIL|exit status|ok |warning: )|^[[:space:]]*context deadline exceeded[[:space:]]*$|^[[:space:]]*$' "$1" | grep -q .
}

rows=()
failed=0
ntargets=0
format='%-22s %-26s %12s %6s  %s'
# shellcheck disable=SC2059 # the format is ours
row() { rows+=("$(printf "$format" "$@")"); }

for pkg in "${pkgs[@]}"; do
  if ! go test -list '^Fuzz' "$pkg" >"$log" 2>&1; then
    echo "fuzz.sh: $pkg DOES NOT BUILD (or its test binary failed to list tests):" >&2
    sed 's/^/    /' "$log" >&2
    row "${pkg#"$mod"/}" "-" "-" "-" "BUILD FAILED"
    failed=1
    continue
  fi
  for target in $(grep -E '^Fuzz[A-Za-z0-9_]*$' "$log"); do
    ntargets=$((ntargets + 1))
    start=$SECONDS
    # Go before 1.27 may fail a clean run at the -fuzztime boundary with a bare "context
    # deadline exceeded" (golang/go#75804: the coordinator's own deadline races its
    # workers' shutdown). A real finding always writes a failing input, so such a run is
    # tried once more, and a second bare deadline is reported as a flake, not a failure.
    flaked=""
    for attempt in 1 2; do
      go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" \
        "${parallel[@]}" "$pkg" >"$log" 2>&1
      rc=$?
      [ $rc -eq 0 ] && break
      deadline_flake "$log" || break
      echo "fuzz.sh: $pkg $target: a bare 'context deadline exceeded' at the -fuzztime boundary (golang/go#75804), no failing input; attempt $attempt" >&2
      flaked=" (deadline flake, golang/go#75804)"
      [ $attempt -eq 2 ] && rc=0
    done
    secs=$((SECONDS - start))
    # The last progress line has the total, e.g. "fuzz: elapsed: 10s, execs: 123456 (…)".
    execs="$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
    if [ $rc -eq 0 ]; then
      result="ok$flaked"
    else
      result=FAIL
      failed=1
      echo "fuzz.sh: $pkg $target FAILED (exit $rc):" >&2
      # The failure report; go test names the crasher it saved relative to the package.
      grep -v '^fuzz: elapsed:' "$log" | sed 's/^/    /' | tail -n 60 >&2
      dir="$(go list -f '{{.Dir}}' "$pkg")"
      echo "fuzz.sh: a new crasher, if go test saved one, is in ${dir#"$PWD"/}/testdata/fuzz/$target/" >&2
    fi
    echo "fuzz.sh: $pkg $target: $result, ${execs:-0} execs in ${secs}s" >&2
    row "${pkg#"$mod"/}" "$target" "${execs:--}" "${secs}s" "$result"
  done
done

echo
# shellcheck disable=SC2059
printf "$format\n" PACKAGE TARGET EXECS TIME RESULT
[ ${#rows[@]} -gt 0 ] && printf '%s\n' "${rows[@]}"
echo "fuzz.sh: $ntargets targets, FUZZTIME=$fuzztime each: $([ $failed -eq 0 ] && echo PASS || echo FAIL)"
exit $failed
