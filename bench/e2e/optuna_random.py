"""Optuna's side of bench/e2e: RandomSampler + SQLite storage on Branin.

Prints one JSON line: {"trials": N, "seconds": wall time of optimize()}.
"""
import json
import math
import os
import sys
import tempfile
import time

import optuna


def branin(x0, x1):
    a, r, s = 1.0, 6.0, 10.0
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return a * (x1 - b * x0**2 + c * x0 - r) ** 2 + s * (1 - t) * math.cos(x0) + s


def objective(trial):
    return branin(trial.suggest_float("x0", -5, 10), trial.suggest_float("x1", 0, 15))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as d:
        storage = "sqlite:///" + os.path.join(d, "optuna.db")
        study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=seed))
        start = time.perf_counter()
        study.optimize(objective, n_trials=n)
        secs = time.perf_counter() - start
        print(json.dumps({"trials": len(study.trials), "seconds": secs, "rate": len(study.trials) / secs,
                          "best": study.best_value, "optuna": optuna.__version__}))


if __name__ == "__main__":
    main()
