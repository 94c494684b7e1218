#!/usr/bin/env bash
# Check the release configuration without publishing anything:
#   1. install GoReleaser with the Go toolchain (into $(go env GOBIN) or $(go env GOPATH)/bin),
#   2. goreleaser check (validates .goreleaser.yaml),
#   3. goreleaser release --snapshot --clean --skip=publish: builds every target, the
#      archives, checksums and .deb/.rpm packages into dist/ (gitignored).
# Not part of .ci/run: it downloads GoReleaser's many modules and builds 6 targets.
#
# An installed goreleaser is reused; GORELEASER_VERSION=vX.Y.Z (or latest) installs that one.
# If the requested version does not build here (v2.18+ need Go 1.27; v2.17's nfpm needs
# go.digitalxero.dev/go-msix, which the module proxy refuses), v2.16.0 is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

want="${GORELEASER_VERSION:-latest}"
fallback=v2.16.0
bin="$(go env GOBIN)"
bin="${bin:-$(go env GOPATH)/bin}/goreleaser"

if [ -x "$bin" ] && [ -z "${GORELEASER_VERSION:-}" ]; then
  echo "release-check: using the installed $bin (set GORELEASER_VERSION to reinstall)" >&2
else
  echo "release-check: go install github.com/goreleaser/goreleaser/v2@$want" >&2
  if ! go install "github.com/goreleaser/goreleaser/v2@$want"; then
    [ "$want" = "$fallback" ] && exit 1
    echo "release-check: $want does not build here; trying $fallback" >&2
    go install "github.com/goreleaser/goreleaser/v2@$fallback"
  fi
fi

"$bin" --version | sed -n 's/^GitVersion:/goreleaser/p'
"$bin" check
"$bin" release --snapshot --clean --skip=publish

echo "release-check: OK; artifacts in dist/:" >&2
ls -1 dist/ | grep -E '\.(tar\.gz|zip|deb|rpm|txt)$' >&2
