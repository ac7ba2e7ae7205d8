#!/bin/sh
# The mlp accuracy-vs-params benchmark (see ../RESULTS.md): automl's mlp
# trainer tuned by automl search (each of ALGOS, seeds 0..SEEDS-1) against
# scikit-learn's MLPClassifier tuned by Optuna 3.1 (each of OPTUNA), the
# same data and split, TRIALS trials one at a time; then the hypervolume
# table (table.py). Run from the repository root:
#   SEEDS=3 bench/multiobjective/mlp/run.sh
set -eu
SEEDS=${SEEDS:-3}
TRIALS=${TRIALS:-60}
EPOCHS=${EPOCHS:-100}
ALGOS=${ALGOS:-"tpe gp"}
OPTUNA=${OPTUNA:-tpe,nsga2}
PY=${PY:-/usr/bin/python3}
OUT=${OUT:-bench/out/mofront}
HERE=bench/multiobjective/mlp
mkdir -p "$OUT"
go build -o "$OUT/automl" ./cmd/automl
[ -f "$OUT/bc.csv" ] || $PY $HERE/data.py "$OUT/bc.csv"
: > "$OUT/ours.jsonl"
for algo in $ALGOS; do
	seed=0
	while [ "$seed" -lt "$SEEDS" ]; do
		rm -rf "$OUT/$algo-$seed.db"*
		sed -e "s/ALGO/$algo/g; s/SEED/$seed/g; s/TRIALS/$TRIALS/; s/EPOCHS/$EPOCHS/; s#DATA#$OUT/bc.csv#" $HERE/space.yaml.in >"$OUT/$algo-$seed.yaml"
		"$OUT/automl" search -space "$OUT/$algo-$seed.yaml" --db "$OUT/$algo-$seed.db" --workers 1 -q >/dev/null
		"$OUT/automl" report "mlpfront-$algo-$seed" --db "$OUT/$algo-$seed.db" --format csv --columns trial,state,val_accuracy,params,test_accuracy -o "$OUT/$algo-$seed.csv"
		$PY $HERE/table.py --csv "automl-$algo+mlp" "$seed" "$OUT/$algo-$seed.csv" >>"$OUT/ours.jsonl"
		echo "automl $algo seed $seed done" >&2
		seed=$((seed + 1))
	done
done
$PY $HERE/optuna_side.py "$OUT/bc.csv" --samplers "$OPTUNA" --seeds "$SEEDS" --trials "$TRIALS" --epochs "$EPOCHS" >"$OUT/optuna.jsonl"
$PY $HERE/table.py "$OUT/ours.jsonl" "$OUT/optuna.jsonl"
