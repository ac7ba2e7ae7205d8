#!/bin/sh
# Speed and quality of the mlp trainer against PyTorch and scikit-learn on
# identical data, same thread count on every side. See README.md.
#
#   bench/mlp/run.sh                 # from the repository root
#   RUNS=5 THREADS="1 2" bench/mlp/run.sh
set -eu
RUNS=${RUNS:-5}
THREADS=${THREADS:-1}
EPOCHS=${EPOCHS:-10}
SKLEARN_LARGE=${SKLEARN_LARGE:-0}
PY=${PY:-/usr/bin/python3}
OUT=${OUT:-bench/out/mlp}
mkdir -p "$OUT"
go build -o "$OUT/gotrain" ./bench/mlp/gotrain
[ -f "$OUT/small.csv" ] || $PY bench/mlp/gen_data.py 10000 "$OUT/small.csv"
[ -f "$OUT/large.csv" ] || $PY bench/mlp/gen_data.py 100000 "$OUT/large.csv"
RES="$OUT/results.jsonl"
: > "$RES"

# one CONFIG CSV HIDDEN BATCH THREADS SEED SIDE: appends a JSON line tagged with the config.
one() {
	cfg=$1 csv=$2 hidden=$3 batch=$4 th=$5 seed=$6 side=$7
	case $side in
	go) line=$(GOMAXPROCS=$th "$OUT/gotrain" -csv "$csv" -hidden "$hidden" -batch "$batch" -epochs "$EPOCHS" -lr 1e-3 -threads "$th" -seed "$seed") ;;
	*) line=$(OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th MKL_NUM_THREADS=$th $PY bench/mlp/peers.py "$side" "$csv" --hidden "$hidden" --batch "$batch" --epochs "$EPOCHS" --lr 1e-3 --threads "$th" --seed "$seed") ;;
	esac
	echo "$line" | $PY -c "import json,sys; r=json.loads(sys.stdin.read()); r['config']='$cfg'; print(json.dumps(r))" >> "$RES"
	echo "  $cfg threads=$th seed=$seed $side done" >&2
}

for th in $THREADS; do
	seed=1
	while [ "$seed" -le "$RUNS" ]; do
		# Sides alternate within each run so background load hits them alike.
		one small "$OUT/small.csv" 64,64 32 "$th" "$seed" go
		one small "$OUT/small.csv" 64,64 32 "$th" "$seed" torch
		one small "$OUT/small.csv" 64,64 32 "$th" "$seed" sklearn
		one large "$OUT/large.csv" 256,256 256 "$th" "$seed" go
		one large "$OUT/large.csv" 256,256 256 "$th" "$seed" torch
		[ "$SKLEARN_LARGE" = 1 ] && one large "$OUT/large.csv" 256,256 256 "$th" "$seed" sklearn
		seed=$((seed + 1))
	done
done
echo
echo "epochs=$EPOCHS runs=$RUNS; epoch time = median over runs of each run's median epoch; $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
$PY bench/mlp/table.py "$RES"
