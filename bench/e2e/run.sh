#!/usr/bin/env bash
# End-to-end throughput, side by side (issue 2): random search over Branin,
# the funcs trainer, 4 slots, embedded NATS, bbolt on disk, 5,000 trials;
# against Optuna's RandomSampler with SQLite storage on the same function and
# trial count. Prints trials/s of each run and the medians.
#
#   bench/e2e/run.sh [TRIALS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${1:-5000}
RUNS=${2:-3}
PY=/usr/bin/python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/automl" ./cmd/automl

cat > "$out/space.yaml" <<YAML
study: e2e
objective: {metric: value, direction: minimize}
budget: {trials: $TRIALS}
algorithm: {name: random, seed: 1}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
YAML

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "trials per run: $TRIALS, runs: $RUNS, cpus: $(nproc)"
printf '%-6s %-28s %-28s\n' run "automl (trials/s, study; cmd)" "optuna (trials/s)"
: > "$out/a"; : > "$out/ac"; : > "$out/o"
for i in $(seq "$RUNS"); do
  rm -rf "$out/db" && mkdir "$out/db"
  t0=$(date +%s.%N)
  "$out/automl" search -space "$out/space.yaml" --db "$out/db/automl.db" --workers 4 -q --top 0 >/dev/null
  t1=$(date +%s.%N)
  a=$("$out/automl" studies --db "$out/db/automl.db" --json | $PY -c "import json,sys; s=json.load(sys.stdin)[0]; print(f'{$TRIALS/s[\"elapsed_seconds\"]:.0f}')")
  ac=$($PY -c "print(f'{$TRIALS/($t1-$t0):.0f}')")
  o=$($PY bench/e2e/optuna_random.py "$TRIALS" "$i" | $PY -c 'import json,sys; print(round(json.load(sys.stdin)["rate"], 1))')
  echo "$a" >> "$out/a"; echo "$ac" >> "$out/ac"; echo "$o" >> "$out/o"
  printf '%-6s %-28s %-28s\n' "$i" "$a; $ac" "$o"
done
ma=$(median < "$out/a"); mac=$(median < "$out/ac"); mo=$(median < "$out/o")
echo
echo "median: automl $ma trials/s (study loop), $mac trials/s (whole command incl. start-up); optuna $mo trials/s"
$PY -c "print(f'ratio automl/optuna: {$ma/$mo:.1f}x (study loop), {$mac/$mo:.1f}x (whole command)')"
