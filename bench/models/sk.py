#!/usr/bin/python3
"""Optuna 3.1 TPE tuning scikit-learn's MLPClassifier / MLPRegressor on a
CSV written by gen_data.py (a `split` column: train / val / test).

    sk.py DATA.csv TASK N SEED [EPOCHS PATIENCE]   # TASK: classification | regression
    sk.py DATA.csv TASK --predict PARAMS_JSON [EPOCHS]

Preprocessing (fitted on the train rows only): numeric columns median
imputation + StandardScaler; categorical columns (any non-numeric value)
most-frequent imputation + OneHotEncoder(handle_unknown='ignore'); '?' and
'' are missing. Each trial trains with partial_fit, one epoch per call, at
most EPOCHS epochs, and stops early when the validation loss has not
improved for PATIENCE epochs, restoring the best epoch's weights: the same
rule as the mlp trainer's `patience`. The objective is validation accuracy
(classification) or validation RMSE (regression); the best trial by it
gives the test score. Prints one JSON line.

--predict times prediction only, for a given architecture (the JSON of a
trial's parameters: num_layers, units_i, activation, ...): the pipeline
fitted as above, the network trained for EPOCHS epochs (default 1: the
throughput depends on the architecture, not the weights), then
predict(transform(raw test rows)) timed as after a study, on the BLAS
threads the environment gives (OPENBLAS_NUM_THREADS): rows/s, and rows
per second of the process's CPU time (cpu_rows_s).
"""
import copy
import csv
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import numpy as np
import optuna
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING = {"?", ""}


def isnum(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    cols = {h: [r[i] for r in body] for i, h in enumerate(head)}
    split = np.array(cols.pop("split"))
    y = cols.pop("target")
    num, cat = [], []
    for h, v in cols.items():
        (num if all(isnum(s) or s in MISSING for s in v) else cat).append(h)
    X = np.empty((len(body), len(num) + len(cat)), dtype=object)
    for j, h in enumerate(num):
        X[:, j] = [float(s) if s not in MISSING else np.nan for s in cols[h]]
    for j, h in enumerate(cat):
        X[:, len(num) + j] = [s if s not in MISSING else np.nan for s in cols[h]]
    return X, np.array(y), split, len(num), len(cat)


def preprocessor(nnum, ncat):
    parts = []
    if nnum:
        parts.append(("num", Pipeline([("imp", SimpleImputer(strategy="median")), ("sc", StandardScaler())]),
                      list(range(nnum))))
    if ncat:
        parts.append(("cat", Pipeline([("imp", SimpleImputer(strategy="most_frequent")),
                                       ("oh", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
                      list(range(nnum, nnum + ncat))))
    return ColumnTransformer(parts)


def throughput(m, pre, raw, cpu=False):
    """Rows/s of predict(transform(raw)), repeated for at least a second;
    with cpu, also rows per second of the process's CPU time (all
    threads)."""
    reps, t1, c1 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t1 < 1.0 or reps < 3:
        m.predict(pre.transform(raw))
        reps += 1
    rps = reps * len(raw) / (time.perf_counter() - t1)
    if not cpu:
        return rps
    return rps, reps * len(raw) / max(time.process_time() - c1, 1e-9)


def predict_only(path, task, params, epochs):
    X, y, split, nnum, ncat = read(path)
    cls = task == "classification"
    if not cls:
        y = y.astype(float)
    tr, te = split == "train", split == "test"
    pre = preprocessor(nnum, ncat).fit(X[tr])
    Xtr = pre.transform(X[tr]).astype(np.float64)
    ymu, ysd = (0.0, 1.0) if cls else (y[tr].mean(), y[tr].std() or 1.0)
    layers = tuple(params[f"units_{i}"] for i in range(1, params["num_layers"] + 1))
    m = (MLPClassifier if cls else MLPRegressor)(hidden_layer_sizes=layers, activation=params["activation"],
                                                 solver="adam", random_state=1)
    for _ in range(epochs):
        if cls:
            m.partial_fit(Xtr, y[tr], classes=np.unique(y[tr]))
        else:
            m.partial_fit(Xtr, (y[tr] - ymu) / ysd)
    raw = X[te]
    rps, cpu = throughput(m, pre, raw, cpu=True)
    print(json.dumps({"side": "sklearn", "data": path, "rows": len(raw), "layers": list(layers),
                      "activation": params["activation"], "predict_rows_s": round(rps), "cpu_rows_s": round(cpu)}))


def main():
    if len(sys.argv) > 3 and sys.argv[3] == "--predict":
        return predict_only(sys.argv[1], sys.argv[2], json.loads(sys.argv[4]),
                            int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    path, task, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 60
    patience = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    t0 = time.perf_counter()
    X, y, split, nnum, ncat = read(path)
    cls = task == "classification"
    if not cls:
        y = y.astype(float)
    tr, va, te = split == "train", split == "val", split == "test"
    pre = preprocessor(nnum, ncat).fit(X[tr])
    Xtr, Xva, Xte = (pre.transform(X[m]).astype(np.float64) for m in (tr, va, te))
    ymu, ysd = (0.0, 1.0) if cls else (y[tr].mean(), y[tr].std() or 1.0)
    ytr = y[tr] if cls else (y[tr] - ymu) / ysd
    classes = np.unique(y[tr]) if cls else None

    def val_loss(m):
        if cls:
            p = np.clip(m.predict_proba(Xva), 1e-12, 1)
            idx = np.searchsorted(m.classes_, y[va])
            return -np.log(p[np.arange(len(idx)), idx]).mean()
        return np.mean((m.predict(Xva) - (y[va] - ymu) / ysd) ** 2)

    def score(m, Xs, ys):  # accuracy, or RMSE in target units
        if cls:
            return float((m.predict(Xs) == ys).mean())
        return float(np.sqrt(np.mean((m.predict(Xs) * ysd + ymu - ys) ** 2)))

    results = []

    def objective(trial):
        nl = trial.suggest_int("num_layers", 1, 3)
        layers = tuple(trial.suggest_int(f"units_{i}", 16, 256, log=True) for i in range(1, nl + 1))
        kw = dict(hidden_layer_sizes=layers, activation=trial.suggest_categorical("activation", ["relu", "tanh"]),
                  learning_rate_init=trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True),
                  alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
                  batch_size=trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
                  solver="adam", random_state=seed * 1000 + trial.number)
        m = (MLPClassifier if cls else MLPRegressor)(**kw)
        best, best_m, bad = np.inf, None, 0
        for ep in range(epochs):
            if cls:
                m.partial_fit(Xtr, ytr, classes=classes)
            else:
                m.partial_fit(Xtr, ytr)
            vl = val_loss(m)
            if vl < best - 1e-12:
                best, best_m, bad = vl, copy.deepcopy(m), 0
            else:
                bad += 1
                if bad > patience:
                    break
        m = best_m
        v, t = score(m, Xva, y[va]), score(m, Xte, y[te])
        results.append((v, t, m, ep + 1))
        return v

    sampler = optuna.samplers.TPESampler(seed=seed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize" if cls else "minimize", sampler=sampler)
    study.optimize(objective, n_trials=n, n_jobs=1)
    wall = time.perf_counter() - t0
    best = study.best_trial.number
    v, t, m, ep = results[best]
    # predict throughput: raw test rows -> preprocessing -> network, as a user would
    rps = throughput(m, pre, X[te])
    print(json.dumps({"side": "sklearn", "data": path, "task": task, "n": n, "seed": seed, "val": v, "test": t,
                      "wall_s": round(wall, 2), "predict_rows_s": round(rps), "best_trial": best,
                      "best_params": study.best_trial.params, "epochs": ep,
                      "trials": [[r[0], r[1]] for r in results]}))


if __name__ == "__main__":
    main()
