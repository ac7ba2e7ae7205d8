#!/bin/sh
# Multi-fidelity benchmark (issue 7): epochs until the best validation
# score is within 1% of the best any run found, median over seeds, for
# automl's asha, bohb, hyperband, median stopping and random search at the
# full budget, and Optuna TPE with HyperbandPruner / SuccessiveHalvingPruner,
# on sonar, wine_quality (the mlp trainer; scikit-learn's MLP for Optuna)
# and synthetic learning curves. Needs /usr/bin/python3 with optuna and
# scikit-learn (Debian: python3-optuna python3-sklearn). Flags pass
# through, e.g.:
#
#   bench/multifidelity/run.sh                         # the full run (see README.md)
#   bench/multifidelity/run.sh -tasks sonar -seeds 5 -budget 1000
#   bench/multifidelity/run.sh -optuna "" -v           # automl's side only, every run
set -eu
cd "$(dirname "$0")/../.."
go run ./bench/multifidelity "$@"
