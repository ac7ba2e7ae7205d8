#!/bin/sh
# The multi-objective benchmark, one problem at a time (each problem's
# studies are written to $OUT/<problem>.jsonl as soon as it is done, so a
# run cut short keeps what it finished), then the tables of all of them.
#   SEEDS=5 bench/multiobjective/run.sh
set -e
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-20}
OUT=${OUT:-bench/multiobjective/results}
FUNCS=${FUNCS:-"zdt1 zdt2 zdt3 mixed dtlz2"}
mkdir -p "$OUT"
go build -o "$OUT/mobench" ./bench/multiobjective
for f in $FUNCS; do
	"$OUT/mobench" -funcs "$f" -seeds "$SEEDS" -out "$OUT/$f.jsonl" "$@" >/dev/null
done
for f in $FUNCS; do cat "$OUT/$f.jsonl"; done >"$OUT/all.jsonl"
"$OUT/mobench" -in "$OUT/all.jsonl" "$@"
