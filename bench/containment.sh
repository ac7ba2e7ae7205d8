#!/usr/bin/env bash
# What a trainer leaves behind, and how its death reads, with the real
# automl binary (automl search, embedded NATS, in-process slots, the exec
# trainer), for issue 16's points 1 and 8:
#
#   strays   a 4-trial study on 2 slots whose program starts
#            `setsid sleep 300 &` and `nohup sleep 300 &` per trial: the
#            processes alive after the study (each run's own STRAY_MARK in
#            their environment)
#   stopped  a 1-trial study whose first attempt SIGSTOPs its own plugin
#            process, with trainer.progress_timeout PROGRESS (default 5s):
#            how long the study took, the trial's state and attempts
#            (automl search is given SIGINT after 60 s, once)
#   signals  a trial whose program ends by kill -9 $$, kill -SEGV $$, or
#            kill -9 of its plugin process: the trial's error
#
#   bench/containment.sh BINARY strays|stopped|signals [PROGRESS]
#
# A binary older than progress_timeout runs `stopped` with PROGRESS=none.
# Processes a run leaves are listed with their pids, not killed.
set -uo pipefail
BIN=${1:?usage: bench/containment.sh BINARY strays|stopped|signals [PROGRESS]}
WHAT=${2:?usage: bench/containment.sh BINARY strays|stopped|signals [PROGRESS]}
PROGRESS=${3:-5s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mark=m$$-$RANDOM

# marked: the live processes whose environment holds STRAY_MARK=$mark.
marked() {
	local n=0 pids=""
	for p in $(ls /proc | grep -E '^[0-9]+$'); do
		if tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "STRAY_MARK=$mark"; then
			st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
			[ -n "$st" ] && [ "$st" != Z ] && { n=$((n + 1)); pids="$pids $p"; }
		fi
	done
	echo "$n${pids:+ (pids$pids)}"
}

# space PROGRAM [TRAINER KEY]: a one-parameter study running PROGRAM with sh -c.
space() {
	cat >"$dir/space.yaml" <<YAML
study: contain
objective: {metric: loss, direction: minimize}
budget: {trials: ${TRIALS:-1}}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  ${2:-}
  config:
    command: [sh, -c, "$1"]
    env: {STRAY_MARK: $mark}
parameters:
  x: {type: float, low: 0, high: 1}
YAML
}

trials() { "$BIN" trials --db "$dir/automl.db" contain 2>&1 | head -3; }

case $WHAT in
strays)
	TRIALS=4 space "setsid sleep 300 & nohup sleep 300 & echo '{\\\"step\\\": 1, \\\"loss\\\": 0.5}'"
	"$BIN" search -space "$dir/space.yaml" --db "$dir/automl.db" --workers 2 -q --top 0 >/dev/null 2>"$dir/err" || cat "$dir/err"
	echo "alive after the study: $(marked)"
	;;
stopped)
	key="progress_timeout: $PROGRESS"
	[ "$PROGRESS" = none ] && key=""
	space "if [ ! -e $dir/stopped ]; then echo \$PPID > $dir/stopped; kill -STOP \$PPID; sleep 300; fi; echo '{\\\"step\\\": 1, \\\"loss\\\": 0.25}'" "$key"
	start=$(date +%s.%N)
	"$BIN" search -space "$dir/space.yaml" --db "$dir/automl.db" --workers 1 -q --top 0 >/dev/null 2>"$dir/err" &
	pid=$!
	for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -INT $pid 2>/dev/null && echo "still running after 60 s: sent SIGINT"
	for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		echo "still running 10 s after SIGINT (pid $pid left running)"
	else
		wait $pid
		echo "exit $? after $(echo "$(date +%s.%N) - $start" | bc) s"
	fi
	stopped=$(cat "$dir/stopped")
	echo "stopped plugin $stopped: $(awk '{print "state " $3}' /proc/$stopped/stat 2>/dev/null || echo gone)"
	trials
	echo "alive of the trial's processes: $(marked)"
	;;
signals)
	for prog in 'echo {\\\"loss\\\": 1}; kill -9 $$' 'echo {\\\"loss\\\": 1}; kill -SEGV $$' 'echo {\\\"loss\\\": 1}; kill -9 $PPID; sleep 5'; do
		rm -f "$dir/automl.db"
		space "$prog"
		"$BIN" search -space "$dir/space.yaml" --db "$dir/automl.db" --workers 1 -q --top 0 >/dev/null 2>&1
		"$BIN" trials --db "$dir/automl.db" contain --json | /usr/bin/python3 -c 'import json,sys; [print(t["state"], "|", (t.get("error") or "").splitlines()[0]) for t in json.load(sys.stdin)["trials"]]'
	done
	;;
*)
	echo "unknown measurement $WHAT: strays, stopped or signals" >&2
	exit 2
	;;
esac
