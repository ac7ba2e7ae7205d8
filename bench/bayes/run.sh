#!/bin/sh
# The bayes benchmark in one run: our GP and TPE (and random) in-process,
# Optuna's samplers through /usr/bin/python3, then the tables. Arguments
# are passed on (see README.md), e.g.
#   bench/bayes/run.sh -seeds 5 -budgets 25,50
set -e
cd "$(dirname "$0")/../.."
exec go run ./bench/bayes "$@"
