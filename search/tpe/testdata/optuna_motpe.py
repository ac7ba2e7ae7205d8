#!/usr/bin/python3
"""What Optuna 3.1's TPESampler (Debian python3-optuna) does with several
objectives, for the figures in multi_test.go and the README. Run from
this directory:

    /usr/bin/python3 optuna_motpe.py split   # TestSplitRankThenHypervolume's good groups
    /usr/bin/python3 optuna_motpe.py weights # TestBelowWeights' kernel weights
    /usr/bin/python3 optuna_motpe.py zdt1    # ZDT1 side by side (BenchmarkZDT1SideBySide), minutes

zdt1 prints, over seeds 0..9 of 200 trials of ZDT1 in 6 variables, the
median hypervolume of the first 100 and 200 trials at the reference points
(1.1, 11) and (1.1, 1.1).
"""
import math
import sys
import warnings

import numpy as np
import optuna
from optuna._hypervolume import WFG
from optuna.samplers._tpe.sampler import (
    _calculate_weights_below_for_multi_objective,
    _split_observation_pairs,
)

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)
INF = float("inf")


def split():
    # TestSplitRankThenHypervolume's complete feasible trials, in order
    # (its rows 0, 1, 2, 3, 5, 6, 8).
    rows = [0, 1, 2, 3, 5, 6, 8]
    pts = [(1.5, 2.45), (5, 1.2), (0, 4), (2, 2), (4, 0), (1, 5), (1, 1)]
    loss_vals = [(-INF, list(p)) for p in pts]
    for n in range(1, 8):
        below, _ = _split_observation_pairs(loss_vals, n, None)
        print(n, sorted(rows[i] for i in below))


def weights():
    pts = [(0, 4), (4, 0), (1, 1), (2, 2)]
    loss_vals = [(-INF, list(p)) for p in pts]
    print(_calculate_weights_below_for_multi_objective(loss_vals, np.arange(4), None))


def zdt1():
    def objective(t):
        x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
        g = 1 + 9 * sum(x[1:]) / 5
        return x[0], g * (1 - math.sqrt(x[0] / g))

    def hv(vals, ref):
        pts = np.array(vals)
        pts = pts[(pts < ref).all(axis=1)]
        return WFG().compute(pts, ref) if len(pts) else 0.0

    res = {}
    for seed in range(10):
        study = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(objective, n_trials=200)
        vals = [t.values for t in study.trials]
        for n in (100, 200):
            for ref in ((1.1, 11.0), (1.1, 1.1)):
                res.setdefault((n, ref), []).append(hv(vals[:n], np.array(ref)))
    for (n, ref), v in sorted(res.items()):
        print("optuna tpe, %d trials, reference %s: median hypervolume %.4f" % (n, ref, np.median(v)))


{"split": split, "weights": weights, "zdt1": zdt1}[sys.argv[1]]()
