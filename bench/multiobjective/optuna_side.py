#!/usr/bin/python3
"""Optuna's side of the multi-objective benchmark: the problems of
problems.go (ZDT1, ZDT2, ZDT3, DTLZ2, the mixed space) and constrained.go
(cbranin, chartmann6, tnk, ctp1), studies of Optuna's NSGAIISampler,
TPESampler (multi-objective) and RandomSampler, one JSON line per study on
stdout: every trial's parameters and objective values, in order, and the
constraint values of constrained problems (feasible when each is at most
0: the samplers get them through constraints_func, read from the trial's
user attribute "c" set before tell). The Go side computes the hypervolumes (the same code for both
sides) and checks the first trial's values against its own functions.

Run through `go run ./bench/multiobjective` (see RESULTS.md), or alone:
    python3 bench/multiobjective/optuna_side.py --funcs zdt1 --samplers nsga2 --seeds 1 --trials 50
"""
import argparse
import json
import math
import multiprocessing
import sys
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

D = 6  # variables of ZDT and DTLZ2


def zdt_g(x):
    return 1 + 9 * sum(x[1:]) / (len(x) - 1)


def zdt1(x):
    g = zdt_g(x)
    return [x[0], g * (1 - math.sqrt(x[0] / g))]


def zdt2(x):
    g = zdt_g(x)
    return [x[0], g * (1 - (x[0] / g) ** 2)]


def zdt3(x):
    g = zdt_g(x)
    h = x[0] / g
    return [x[0], g * (1 - math.sqrt(h) - h * math.sin(10 * math.pi * x[0]))]


def dtlz2(x):
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)]


def cube(fn, k):
    def objective(trial):
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(D)]
        return fn(x)
    return objective, k


def mixed_objective(trial):
    # problems.go's mixed: ZDT1's shape, g from a float, an int, a
    # categorical and a float active only for kind c.
    x0 = trial.suggest_float("x0", 0, 1)
    x1 = trial.suggest_float("x1", 0, 1)
    n = trial.suggest_int("n", 0, 10)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    pen = {"a": 0.5, "b": 1.0}.get(kind)
    if kind == "c":
        pen = trial.suggest_float("z", 0, 1)
    g = 1 + 9 * (x1 + n / 10 + pen) / 3
    return [x0, g * (1 - math.sqrt(x0 / g))]


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    y = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return y * y + 10 * (1 - t) * math.cos(x[0]) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6)))
                for i in range(4))


def cbranin(x):
    return [branin(x)], [(x[0] - 2.5) ** 2 + (x[1] - 7.5) ** 2 - 50]


def chartmann6(x):
    return [hartmann6(x)], [sum(v * v for v in x) - 1]


def tnk(x):
    a, b = x
    return [a, b], [-(a * a + b * b - 1 - 0.1 * math.cos(16 * math.atan2(a, b))), (a - 0.5) ** 2 + (b - 0.5) ** 2 - 0.5]


def ctp1(x):
    g = zdt_g(x)
    f1 = x[0]
    f2 = g * math.exp(-f1 / g)
    return [f1, f2], [0.858 * math.exp(-0.541 * f1) - f2, 0.728 * math.exp(-0.295 * f1) - f2]


def boxed(fn, bounds):
    def objective(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        f, c = fn(x)
        trial.set_user_attr("c", c)
        return f[0] if len(f) == 1 else f
    return objective


CONSTRAINED = {
    "cbranin": (boxed(cbranin, [(-5, 10), (0, 15)]), 1),
    "chartmann6": (boxed(chartmann6, [(0, 1)] * 6), 1),
    "tnk": (boxed(tnk, [(0, math.pi)] * 2), 2),
    "ctp1": (boxed(ctp1, [(0, 1)] * D), 2),
}


def constraints(trial):
    return trial.user_attrs["c"]


PROBLEMS = {
    "zdt1": cube(zdt1, 2),
    "zdt2": cube(zdt2, 2),
    "zdt3": cube(zdt3, 2),
    "dtlz2": cube(dtlz2, 3),
    "mixed": (mixed_objective, 2),
}


def make_sampler(name, seed, constrained):
    cf = constraints if constrained else None
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constraints_func=cf)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit(f"unknown sampler {name}")


def run(task):
    sampler_name, fname, seed, trials = task
    constrained = fname in CONSTRAINED
    objective, k = {**PROBLEMS, **CONSTRAINED}[fname]
    study = optuna.create_study(directions=["minimize"] * k, sampler=make_sampler(sampler_name, seed, constrained))
    out = {"sampler": "optuna-" + sampler_name, "func": fname, "seed": seed, "params": [], "losses": []}
    if constrained:
        out["cons"] = []
    for _ in range(trials):
        t = study.ask()
        v = objective(t)
        study.tell(t, v)
        out["params"].append(t.params)
        out["losses"].append([v] if k == 1 else v)
        if constrained:
            out["cons"].append(t.user_attrs["c"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--funcs", default=",".join(PROBLEMS))
    ap.add_argument("--samplers", default="nsga2,tpe,random")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    tasks = [(s, f, seed, args.trials) for s in args.samplers.split(",") if s
             for f in args.funcs.split(",") for seed in range(args.seed0, args.seed0 + args.seeds)]
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for i, res in enumerate(pool.imap(run, tasks)):
            print(json.dumps(res), flush=True)
            if (i + 1) % 20 == 0:
                print(f"optuna: {i + 1}/{len(tasks)} studies", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
