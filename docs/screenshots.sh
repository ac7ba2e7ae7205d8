#!/usr/bin/env bash
# Remakes the screenshots in docs/ from real runs (needs chromium):
#   docs/report.png     the HTML report of the examples/mlp study, run here
#   docs/dashboard.png  the live dashboard, from its browser test (a running
#                       multi-fidelity study on two GPU machines)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/automl" ./cmd/automl
"$work/automl" search -space examples/mlp/space.yaml --db "$work/automl.db" --workers 2 -q >/dev/null
"$work/automl" report mlp-breast-cancer --db "$work/automl.db" --format html -o "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
  --user-data-dir="$work/profile" --hide-scrollbars --window-size=1400,2250 \
  --screenshot="$PWD/docs/report.png" "file://$work/report.html" 2>/dev/null
AUTOML_SCREENSHOTS="$PWD/docs" go test ./cmd/automl -run 'TestDashboardInBrowser$' -count=1
