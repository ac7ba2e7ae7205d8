#!/usr/bin/python3
"""Optuna's side of the multi-fidelity benchmark: Optuna's TPE sampler with a
HyperbandPruner or a SuccessiveHalvingPruner, one trial at a time, until
the run has trained --budget epochs. main.go runs it once per task, pruner
and seed, in the same run as automl's side, and reads the one JSON line it
prints: the epochs trained and, at each improvement, the epochs trained so
far and the best validation score then (every epoch's score counts).

  optuna_side.py --task csv --csv FILE [--regression] --pruner hyperband --seed 1
  optuna_side.py --task synthetic --pruner sha --seed 1

csv: scikit-learn's MLPClassifier (MLPRegressor with --regression), one
partial_fit pass per epoch, on the file main.go prepared: its `split`
column (train / val) is the split automl's mlp trainer uses, features are
standardised on the training rows and categorical ones one-hot encoded, a
regression target is standardised and its score is the RMSE in the
target's units (val_rmse); a binary classifier's is the ROC AUC (val_auc),
another classifier's the accuracy (val_accuracy).
The space is automl's without dropout, which scikit-learn's MLP lacks; its
alpha (L2) is divided by the batch size where automl's l2 is not.

synthetic: the learning curves of search/fidelity/fidelitytest, the score
1/(1 + loss) with loss(u, r) = f(u) + (0.5 + u0) exp(-r / (1 + 6 u2)).
"""
import argparse
import csv
import json
import math
import warnings

p = argparse.ArgumentParser()
p.add_argument("--task", choices=["csv", "synthetic"], required=True)
p.add_argument("--csv")
p.add_argument("--regression", action="store_true")
p.add_argument("--pruner", choices=["hyperband", "sha"], default="hyperband")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--budget", type=float, default=2000, help="epochs the run trains in all")
p.add_argument("--max-epochs", type=int, default=27)
p.add_argument("--min-epochs", type=int, default=1)
p.add_argument("--eta", type=int, default=3)
a = p.parse_args()

import numpy as np  # noqa: E402  (after argparse: --help stays fast)
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def load(path, regression):
    with open(path) as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    ti, si = head.index("target"), head.index("split")
    cols = []
    for i in range(len(head)):
        if i in (ti, si):
            continue
        col = [r[i] for r in body]
        try:
            cols.append(np.array([float(v) for v in col])[:, None])
        except ValueError:  # categorical: one-hot
            levels = sorted(set(col))
            cols.append(np.array([[1.0 if v == lv else 0.0 for lv in levels] for v in col]))
    X = np.hstack(cols)
    y = np.array([float(r[ti]) if regression else r[ti] for r in body])
    train = np.array([r[si] == "train" for r in body])
    val = np.array([r[si] in ("val", "validation") for r in body])
    mu, sd = X[train].mean(axis=0), X[train].std(axis=0)
    sd[sd == 0] = 1
    X = (X - mu) / sd
    return X[train], y[train], X[val], y[val]


def csv_objective(state):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    Xtr, ytr, Xva, yva = load(a.csv, a.regression)
    if a.regression:
        ymu, ysd = ytr.mean(), ytr.std()
        ztr = (ytr - ymu) / ysd
    else:
        classes = np.unique(ytr)

    def score_classifier(model, X, y):
        if len(classes) != 2:
            return float(model.score(X, y))
        # Binary: ROC AUC of the second class's probability (val_auc).
        from sklearn.metrics import roc_auc_score
        return float(roc_auc_score(y == model.classes_[1], model.predict_proba(X)[:, 1]))

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
        depth = trial.suggest_int("num_layers", 1, 3)
        width = trial.suggest_int("units", 16, 128, log=True)
        l2 = trial.suggest_float("l2", 1e-6, 1e-2, log=True)
        batch = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
        kw = dict(hidden_layer_sizes=(width,) * depth, alpha=l2, learning_rate_init=lr,
                  batch_size=min(batch, len(Xtr)), random_state=a.seed * 100003 + trial.number)
        model = MLPRegressor(**kw) if a.regression else MLPClassifier(**kw)
        score = float("nan")
        for epoch in range(1, a.max_epochs + 1):
            if state.spent():
                break
            # One partial_fit call is one shuffled pass in batches of batch_size.
            if a.regression:
                model.partial_fit(Xtr, ztr)
                pred = model.predict(Xva) * ysd + ymu
                score = float(np.sqrt(np.mean((pred - yva) ** 2)))
                if not math.isfinite(score):
                    raise optuna.TrialPruned()  # diverged
            else:
                model.partial_fit(Xtr, ytr, classes=classes)
                score = score_classifier(model, Xva, yva)
            state.epoch(score)
            trial.report(score, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return score

    return objective


def optimum(i):
    x = i * 0.6180339887
    return 0.25 + 0.5 * (x - math.floor(x))


def synthetic_objective(state):
    def objective(trial):
        u = [trial.suggest_float("x%d" % i, 0.0, 1.0) for i in range(3)]
        f = sum((v - optimum(i)) ** 2 for i, v in enumerate(u))
        score = float("nan")
        for r in range(1, a.max_epochs + 1):
            if state.spent():
                break
            score = 1 / (1 + f + (0.5 + u[0]) * math.exp(-r / (1 + 6 * u[2])))
            state.epoch(score)
            trial.report(score, r)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return score

    return objective


class State:
    """The run's epochs and best score, and its epoch budget."""

    def __init__(self, maximize):
        self.maximize, self.epochs, self.best, self.timeline = maximize, 0, None, []

    def spent(self):
        return self.epochs >= a.budget

    def epoch(self, score):
        self.epochs += 1
        if self.best is None or (score > self.best if self.maximize else score < self.best):
            self.best = score
            self.timeline.append([self.epochs, score])


maximize = not a.regression
state = State(maximize)
objective = synthetic_objective(state) if a.task == "synthetic" else csv_objective(state)
if a.pruner == "hyperband":
    pruner = optuna.pruners.HyperbandPruner(min_resource=a.min_epochs, max_resource=a.max_epochs, reduction_factor=a.eta)
else:
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=a.min_epochs, reduction_factor=a.eta)
# A fixed study name: HyperbandPruner assigns trials to brackets by a hash
# of the study name and trial number, and the default name is random.
study = optuna.create_study(study_name="bench-%s-%d" % (a.pruner, a.seed), direction="maximize" if maximize else "minimize",
                            sampler=optuna.samplers.TPESampler(seed=a.seed), pruner=pruner)


def stop_when_spent(study, _trial):
    if state.spent():
        study.stop()


study.optimize(objective, callbacks=[stop_when_spent], catch=(ValueError, FloatingPointError))
print(json.dumps({"method": "optuna-tpe+" + a.pruner, "seed": a.seed, "epochs": state.epochs,
                  "trials": len(study.trials), "timeline": state.timeline,
                  "best": state.best, "optuna": optuna.__version__}), flush=True)
