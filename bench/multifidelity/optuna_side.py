#!/usr/bin/python3
"""Optuna's side of the multi-fidelity benchmark (DRAFT: not yet run for
figures; see README.md). Optuna TPE with a HyperbandPruner or a
SuccessiveHalvingPruner tunes scikit-learn's MLPClassifier (partial_fit, one
epoch per step) on a CSV of testdata/datasets, and prints one JSON line per
seed: the best validation accuracy over the epochs trained so far.

  optuna_side.py CSV --pruner hyperband|sha --seeds 5 --trials 100 --max-epochs 27

Dropout is not tuned here: scikit-learn's MLP has none (the automl side
tunes it with the mlp trainer).
"""
import argparse
import json
import warnings

import numpy as np
import optuna
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

p = argparse.ArgumentParser()
p.add_argument("csv")
p.add_argument("--pruner", choices=["hyperband", "sha"], default="hyperband")
p.add_argument("--seeds", type=int, default=5)
p.add_argument("--trials", type=int, default=100)
p.add_argument("--max-epochs", type=int, default=27)
p.add_argument("--min-epochs", type=int, default=1)
p.add_argument("--eta", type=int, default=3)
p.add_argument("--validation", type=float, default=0.2)
a = p.parse_args()

with open(a.csv) as f:
    header = f.readline().strip().split(",")
raw = np.genfromtxt(a.csv, delimiter=",", skip_header=1, dtype=str)
cols = []
for i, name in enumerate(header[:-1]):
    col = raw[:, i]
    try:
        cols.append(col.astype(np.float64)[:, None])
    except ValueError:  # categorical: one-hot
        levels = sorted(set(col))
        cols.append(np.stack([(col == v).astype(np.float64) for v in levels], axis=1))
X = np.hstack(cols)
y = raw[:, -1]
classes = np.unique(y)
Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=a.validation, stratify=y, random_state=1)
scaler = StandardScaler().fit(Xtr)
Xtr, Xva = scaler.transform(Xtr), scaler.transform(Xva)
warnings.filterwarnings("ignore", category=ConvergenceWarning)
optuna.logging.set_verbosity(optuna.logging.WARNING)


def run(seed):
    state = {"epochs": 0, "best": 0.0, "timeline": []}

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
        depth = trial.suggest_int("num_layers", 1, 3)
        width = trial.suggest_int("units", 16, 256, log=True)
        l2 = trial.suggest_float("l2", 1e-6, 1e-2, log=True)
        batch = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
        clf = MLPClassifier(hidden_layer_sizes=(width,) * depth, alpha=l2, learning_rate_init=lr,
                            batch_size=min(batch, len(Xtr)), random_state=seed * 100003 + trial.number)
        acc = 0.0
        for epoch in range(1, a.max_epochs + 1):
            # One partial_fit call is one shuffled pass in batches of batch_size.
            clf.partial_fit(Xtr, ytr, classes=classes)
            acc = clf.score(Xva, yva)
            state["epochs"] += 1
            if acc > state["best"]:
                state["best"] = acc
                state["timeline"].append([state["epochs"], acc])
            trial.report(acc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return acc

    if a.pruner == "hyperband":
        pruner = optuna.pruners.HyperbandPruner(min_resource=a.min_epochs, max_resource=a.max_epochs, reduction_factor=a.eta)
    else:
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=a.min_epochs, reduction_factor=a.eta)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    study.optimize(objective, n_trials=a.trials)
    return {"method": "optuna-tpe+" + a.pruner, "seed": seed, "epochs": state["epochs"], "timeline": state["timeline"]}


for seed in range(1, a.seeds + 1):
    print(json.dumps(run(seed)), flush=True)
