#!/usr/bin/python3
"""Optuna's side of the multi-objective benchmark: the problems of
problems.go (ZDT1, ZDT2, ZDT3, DTLZ2, the mixed space), studies of Optuna's
NSGAIISampler, TPESampler (multi-objective) and RandomSampler, one JSON
line per study on stdout: every trial's parameters and objective values,
in order. The Go side computes the hypervolumes (the same code for both
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


PROBLEMS = {
    "zdt1": cube(zdt1, 2),
    "zdt2": cube(zdt2, 2),
    "zdt3": cube(zdt3, 2),
    "dtlz2": cube(dtlz2, 3),
    "mixed": (mixed_objective, 2),
}


def make_sampler(name, seed):
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit(f"unknown sampler {name}")


def run(task):
    sampler_name, fname, seed, trials = task
    objective, k = PROBLEMS[fname]
    study = optuna.create_study(directions=["minimize"] * k, sampler=make_sampler(sampler_name, seed))
    out = {"sampler": "optuna-" + sampler_name, "func": fname, "seed": seed, "params": [], "losses": []}
    for _ in range(trials):
        t = study.ask()
        v = objective(t)
        study.tell(t, v)
        out["params"].append(t.params)
        out["losses"].append(v)
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
