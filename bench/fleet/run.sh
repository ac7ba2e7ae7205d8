#!/usr/bin/env bash
# Fleet scale benchmarks (issue 5, point 8). Each runs the real automl
# binary (scheduler, embedded NATS, bbolt on disk) on a random search over
# Branin with the funcs trainer, and prints its figures:
#
#   Slots64          trials/s of automl search --workers 64 (plugin processes)
#   Simulated64      trials/s, scheduler CPU per trial, peak memory: 64 simulated slots
#   Simulated1000    the same with 1,000 simulated slots (20,000 trials)
#   Utilisation16    busy time / (16 slots x wall) on 1-second trials
#
#   bench/fleet/run.sh [BENCH-REGEXP]        # default: all four, once each
#   AUTOML_BENCH_TRIALS=5000 bench/fleet/run.sh Simulated
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "cpus: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./bench/fleet -run '^$' -bench "${1:-.}" -benchtime 1x -count "${COUNT:-1}" -timeout 30m | grep -E '^(Benchmark|ok|FAIL)'
