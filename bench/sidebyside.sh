#!/usr/bin/env bash
# Old and new side by side, in one run: builds automl at REV and from the
# working tree, then alternates the two binaries RUNS times on
#   e2e          bench/e2e's study: random search over Branin, the funcs
#                trainer, 4 slots, embedded NATS, bbolt on disk (5,000 trials)
#   Simulated64  bench/fleet's: the scheduler process alone under 64
#                simulated slots over TCP (20,000 trials)
# and prints every run, the medians and new/old. A refactor must not cost
# the loop: the ratios should stay within a few percent of 1.
#
#   bench/sidebyside.sh REV [RUNS]        # e.g. bench/sidebyside.sh 1662885 5
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:?usage: bench/sidebyside.sh REV [RUNS]}
RUNS=${2:-5}
PY=/usr/bin/python3
out=$(mktemp -d)
trap 'git worktree remove --force "$out/old-tree" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
git worktree add -q --detach "$out/old-tree" "$REV"
(cd "$out/old-tree" && go build -o "$out/old" ./cmd/automl && go test -c -o "$out/old.fleet.test" ./bench/fleet)
go build -o "$out/new" ./cmd/automl
go test -c -o "$out/new.fleet.test" ./bench/fleet

cat > "$out/space.yaml" <<YAML
study: e2e
objective: {metric: value, direction: minimize}
budget: {trials: 5000}
algorithm: {name: random, seed: 1}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
YAML

e2e() { # binary -> trials/s of the study loop, and CPU seconds of the whole command (its plugin processes too)
  rm -rf "$out/db" && mkdir "$out/db"
  /usr/bin/time -o "$out/time" -f '%U %S' "$1" search -space "$out/space.yaml" --db "$out/db/automl.db" --workers 4 -q --top 0 >/dev/null
  rate=$("$1" studies --db "$out/db/automl.db" --json | $PY -c 'import json,sys; s=json.load(sys.stdin)[0]; print(round(5000/s["elapsed_seconds"]))')
  echo "$rate $(awk '{printf "%.2f", $1+$2}' "$out/time")"
}
sim64() { # binary, its tree -> trials/s and scheduler CPU per trial (each revision's bench drives its own binary: the slots speak
  # its protocol; a bench older than AUTOML_BENCH_BIN builds automl from the module it runs in, hence its tree)
  (cd "$2" && AUTOML_BENCH_BIN="$1" "$1.fleet.test" -test.run '^$' -test.bench 'Simulated64' -test.benchtime 1x) |
    awk '/^BenchmarkSimulated64/ {for (i=1;i<=NF;i++) {if ($(i+1)=="trials/s") t=$i; if ($(i+1)=="cpu-us/trial") c=$i}; print t, c}'
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "old: $REV ($(git log -1 --format=%cs "$REV")); new: working tree of $(git rev-parse --short HEAD); runs: $RUNS; cpus: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-18s %-18s %-24s %-24s\n' run "e2e old (t/s, cpu s)" "e2e new (t/s, cpu s)" "sim64 old (t/s, us/t)" "sim64 new (t/s, us/t)"
for i in $(seq "$RUNS"); do
  # alternate which goes first, so drift in the machine's load hits both
  if (( i % 2 )); then eo=$(e2e "$out/old"); en=$(e2e "$out/new"); so=$(sim64 "$out/old" "$out/old-tree/bench/fleet"); sn=$(sim64 "$out/new" bench/fleet)
  else en=$(e2e "$out/new"); eo=$(e2e "$out/old"); sn=$(sim64 "$out/new" bench/fleet); so=$(sim64 "$out/old" "$out/old-tree/bench/fleet"); fi
  echo "${eo% *}" >> "$out/eo"; echo "${en% *}" >> "$out/en"; echo "${eo#* }" >> "$out/ceo"; echo "${en#* }" >> "$out/cen"
  echo "${so% *}" >> "$out/so"; echo "${sn% *}" >> "$out/sn"; echo "${so#* }" >> "$out/co"; echo "${sn#* }" >> "$out/cn"
  printf '%-4s %-18s %-18s %-24s %-24s\n' "$i" "$eo" "$en" "$so" "$sn"
done
meo=$(median < "$out/eo"); men=$(median < "$out/en"); mso=$(median < "$out/so"); msn=$(median < "$out/sn")
mco=$(median < "$out/co"); mcn=$(median < "$out/cn"); mceo=$(median < "$out/ceo"); mcen=$(median < "$out/cen")
echo
echo "e2e trials/s, median: old $meo, new $men, new/old $($PY -c "print(f'{$men/$meo:.3f}')")"
echo "e2e CPU seconds of the whole command, median: old $mceo, new $mcen, new/old $($PY -c "print(f'{$mcen/$mceo:.3f}')")"
echo "Simulated64 trials/s, median: old $mso, new $msn, new/old $($PY -c "print(f'{$msn/$mso:.3f}')")"
echo "Simulated64 scheduler CPU us/trial, median: old $mco, new $mcn, new/old $($PY -c "print(f'{$mcn/$mco:.3f}')")"
