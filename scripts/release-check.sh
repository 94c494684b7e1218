#!/usr/bin/env bash
# Check the release configuration without publishing anything:
#   1. install GoReleaser with the Go toolchain (into $(go env GOPATH)/bin),
#   2. goreleaser check (validates .goreleaser.yaml),
#   3. goreleaser release --snapshot --clean --skip=publish: builds every target, the
#      archives, checksums and .deb/.rpm packages into dist/ (gitignored).
# Not part of .ci/run: it downloads GoReleaser's many modules and builds 6 targets.
#
# GORELEASER_VERSION picks the version (default: latest). The newest releases may need a
# newer Go than this machine has; then the newest known to build with Go 1.26 is used.
set -euo pipefail
cd "$(dirname "$0")/.."

want="${GORELEASER_VERSION:-latest}"
fallback=v2.16.0 # builds with Go 1.26; v2.17+ pull a module the proxy refuses, v2.18+ need Go 1.27
bin="$(go env GOPATH)/bin/goreleaser"

if [ -x "$bin" ] && [ "${GORELEASER_REINSTALL:-}" = "" ] && [ "$want" = latest ]; then
  echo "release-check: using installed $("$bin" --version 2>/dev/null | sed -n 's/^GitVersion: *//p')" >&2
else
  echo "release-check: go install github.com/goreleaser/goreleaser/v2@$want" >&2
  if ! GOFLAGS= go install "github.com/goreleaser/goreleaser/v2@$want"; then
    [ "$want" = "$fallback" ] && exit 1
    echo "release-check: $want does not build here; trying $fallback" >&2
    GOFLAGS= go install "github.com/goreleaser/goreleaser/v2@$fallback"
  fi
fi

"$bin" --version | sed -n 's/^GitVersion:/goreleaser/p'
"$bin" check
"$bin" release --snapshot --clean --skip=publish

echo "release-check: OK; artifacts in dist/:" >&2
ls -1 dist/ | grep -E '\.(tar\.gz|zip|deb|rpm|txt)$' >&2
