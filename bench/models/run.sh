#!/bin/bash
# Side-by-side: automl search (mlp tuned by gp and by tpe) against Optuna
# 3.1 TPE + scikit-learn's MLP, on the same rows. From the repository root:
#
#   bench/models/run.sh                                   # adultlike, seeds 1,2,3, N=24
#   DATA=breast_cancer,wine,iris,sonar,abalone,wine_quality,digits bench/models/run.sh
#   DATA=adultlike SIDES=gp,tpe SET="numeric_transform=quantile" bench/models/run.sh
#
# Needs Go, /usr/bin/python3 with numpy, scikit-learn and optuna (Debian:
# python3-sklearn, python3-optuna). Results are appended to
# $OUT/results.jsonl (default bench/out/models) and tabled by table.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/out/models}
mkdir -p "$OUT"
go build -o "$OUT/automl" ./cmd/automl   # built once per run
args=(--data "${DATA:-adultlike}" --seeds "${SEEDS:-1,2,3}" --trials "${TRIALS:-24}"
      --sides "${SIDES:-gp,tpe,sklearn}" --out "$OUT" --automl "$OUT/automl")
for kv in ${SET:-}; do args+=(--set "$kv"); done
nice -n 10 /usr/bin/python3 bench/models/run.py "${args[@]}"
/usr/bin/python3 bench/models/table.py "$OUT/results.jsonl"
