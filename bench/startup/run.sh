#!/usr/bin/env bash
# Binary size and start-up time of automl (issue 21), in one run:
#   - the size of the default build (go build), of the static one the
#     Dockerfile and .ci/run make (CGO_ENABLED=0 -trimpath) and of that
#     stripped (-ldflags="-s -w");
#   - the medians of `automl version` (exec to exit) and of `automl plugin
#     serve funcs` (exec to the go-plugin handshake line: what a worker
#     slot waits for before a fresh trainer process takes its trial), wall
#     time and the process's CPU time (steadier on a loaded machine), with
#     the package initialisation GODEBUG=inittrace=1 reports, over N runs
#     (bench/startup/main.go).
# With REV, the static binary of that revision runs alternately with the
# working tree's, so both see the same machine load.
#
#   bench/startup/run.sh [REV] [N]        # e.g. bench/startup/run.sh main 50
set -euo pipefail
cd "$(dirname "$0")/../.."
REV=${1:-}
N=${2:-40}
out=$(mktemp -d)
trap 'if [ -n "$REV" ]; then git worktree remove --force "$out/old-tree" >/dev/null 2>&1 || true; fi; rm -rf "$out"' EXIT

go build -o "$out/automl-default" ./cmd/automl
CGO_ENABLED=0 go build -trimpath -o "$out/automl-static" ./cmd/automl
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out/automl-static-stripped" ./cmd/automl
go build -o "$out/startup" ./bench/startup
size() { stat -c %s "$1" | awk '{printf "%.1f MB (%d bytes)", $1/1e6, $1}'; }
echo "binary size (this tree, $(go env GOOS)/$(go env GOARCH), $(go version | cut -d' ' -f3))"
echo "  go build                                         $(size "$out/automl-default")"
echo "  CGO_ENABLED=0 go build -trimpath                 $(size "$out/automl-static")"
echo "  CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" $(size "$out/automl-static-stripped")"
echo

bins=("new=$out/automl-static")
if [ -n "$REV" ]; then
  git worktree add -q --detach "$out/old-tree" "$REV"
  (cd "$out/old-tree" && CGO_ENABLED=0 go build -trimpath -o "$out/automl-old" ./cmd/automl)
  bins=("old=$out/automl-old" "${bins[@]}")
fi
bins+=("stripped=$out/automl-static-stripped")
echo "start-up (CGO_ENABLED=0 -trimpath builds; stripped: with -ldflags=\"-s -w\")"
"$out/startup" -n "$N" -inittrace "${bins[@]}"
