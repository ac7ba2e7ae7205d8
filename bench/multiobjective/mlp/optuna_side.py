#!/usr/bin/python3
"""Optuna's side of the mlp accuracy-vs-params benchmark: Optuna 3.1's
multi-objective TPESampler or NSGAIISampler tunes scikit-learn's
MLPClassifier on the CSV data.py wrote (train on the train rows, accuracy
on the val rows) for two objectives, val_accuracy (maximised) and params
(the trainable weights and biases, minimised), in the space of the
automl side's space file: num_layers 1..3, units_i 4..256 (log, int),
learning_rate_init 1e-4..3e-2 (log), alpha 1e-5..1e-1 (log); Adam, ReLU,
batch 32, max_iter EPOCHS (scikit-learn's own stopping rule on the
training loss left on). One JSON line per study on stdout: each trial's
val_accuracy, params and test accuracy, in order.

    optuna_side.py CSV --samplers tpe,nsga2 --seeds 3 --trials 60 --epochs 100
"""
import argparse
import json
import sys
import warnings

import numpy as np
import optuna
from sklearn.neural_network import MLPClassifier

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

ap = argparse.ArgumentParser()
ap.add_argument("csv")
ap.add_argument("--samplers", default="tpe,nsga2")
ap.add_argument("--seeds", type=int, default=3)
ap.add_argument("--seed0", type=int, default=0)
ap.add_argument("--trials", type=int, default=60)
ap.add_argument("--epochs", type=int, default=100)
a = ap.parse_args()

with open(a.csv) as f:
    header = f.readline().strip().split(",")
raw = np.loadtxt(a.csv, delimiter=",", skiprows=1, dtype=str)
split = raw[:, header.index("split")]
feat = [i for i, h in enumerate(header) if h not in ("split", "target")]
X = raw[:, feat].astype(np.float64)
y = raw[:, header.index("target")]
part = {s: (X[split == s], y[split == s]) for s in ("train", "val", "test")}


def run(sampler_name, seed):
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    elif sampler_name == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    out = {"sampler": "optuna-" + sampler_name + "+sklearn", "seed": seed, "val_accuracy": [], "params": [], "test_accuracy": []}
    for _ in range(a.trials):
        t = study.ask()
        n = t.suggest_int("num_layers", 1, 3)
        hidden = tuple(t.suggest_int(f"units_{i + 1}", 4, 256, log=True) for i in range(n))
        lr = t.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
        alpha = t.suggest_float("alpha", 1e-5, 1e-1, log=True)
        m = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=alpha, batch_size=32,
                          learning_rate_init=lr, max_iter=a.epochs, random_state=seed * 1000 + t.number)
        m.fit(*part["train"])
        acc = float(m.score(*part["val"]))
        params = int(sum(w.size for w in m.coefs_) + sum(b.size for b in m.intercepts_))
        study.tell(t, [acc, params])
        out["val_accuracy"].append(acc)
        out["params"].append(params)
        out["test_accuracy"].append(float(m.score(*part["test"])))
    return out


for s in a.samplers.split(","):
    for seed in range(a.seed0, a.seed0 + a.seeds):
        print(json.dumps(run(s, seed)), flush=True)
        print(f"optuna {s} seed {seed} done", file=sys.stderr, flush=True)
