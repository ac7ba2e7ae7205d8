#!/bin/sh
# Multi-fidelity benchmark, synthetic half: epochs until the best score is
# within 1% of the best any run found, median over seeds, for asha, bohb,
# hyperband, median stopping and random search at the full budget. Flags
# pass through (e.g. -seeds 15). The real-data half is not wired yet; see
# README.md.
set -eu
cd "$(dirname "$0")/../.."
go run ./bench/multifidelity "$@"
