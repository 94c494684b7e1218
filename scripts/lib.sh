# Shared by the bench scripts (source it from the repository root).

# build_prev REV DIR: builds rtchat from the tree at REV (git archive, no checkout: the
# work tree stays as it is) into DIR/rtchat-prev, says which tree on stderr and prints the
# binary's path.
build_prev() {
  local rev
  rev=$(git rev-parse --short "$1")
  mkdir -p "$2/prev"
  git archive "$rev" | tar -x -C "$2/prev"
  (cd "$2/prev" && go build -o "$2/rtchat-prev" ./cmd/rtchat)
  echo "== previous tree: $rev ($(git log -1 --format=%s "$rev"))" >&2
  echo "$2/rtchat-prev"
}
