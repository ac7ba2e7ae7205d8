#!/usr/bin/python3
"""Optuna's side of the bayes benchmark: the same functions as search/benchfn
(checked against its reference values at start), studies of Optuna's samplers,
one JSON line per study on stdout (same schema as the Go side), and the
suggest-overhead measurement with --overhead.

Run through `go run ./bench/bayes` (see README.md), or alone:
    python3 bench/bayes/optuna_side.py --funcs branin --samplers tpe --seeds 2 --budgets 25,50
"""
import argparse
import json
import math
import multiprocessing
import sys
import time
import warnings

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")


def branin(x):
    a, r, s = 1.0, 6.0, 10.0
    b = 5.1 / (4 * math.pi * math.pi)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    y = x[1] - b * x[0] * x[0] + c * x[0] - r
    return a * y * y + s * (1 - t) * math.cos(x[0]) + s


HART_ALPHA = [1.0, 1.2, 3.0, 3.2]
HART_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
          [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HART_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
          [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    s = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            d = x[j] - HART_P[i][j] * 1e-4
            inner += HART_A[i][j] * d * d
        s += HART_ALPHA[i] * math.exp(-inner)
    return -s


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def ackley(x):
    a, b, c, d = 20.0, 0.2, 2 * math.pi, len(x)
    s1 = sum(v * v for v in x)
    s2 = sum(math.cos(c * v) for v in x)
    return -a * math.exp(-b * math.sqrt(s1 / d)) - math.exp(s2 / d) + a + math.e


def levy(x):
    d = len(x)
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(math.pi * w[0]) ** 2
    for i in range(d - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    s += (w[d - 1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[d - 1]) ** 2)
    return s


def styblinski_tang(x):
    return sum(v ** 4 - 16 * v * v + 5 * v for v in x) / 2


MIXED_BASE = {"a": 0.5, "b": 0.0, "c": 1.0, "d": 2.0}
MIXED_K = {"a": 7, "b": -3, "c": 0, "d": 10}
MIXED_M = {"a": (2, -1), "b": (-1.5, 2.5), "c": (0, 0), "d": (-4, -4)}


def mixed(x1, x2, k, c):
    m = MIXED_M[c]
    dk = k - MIXED_K[c]
    f = MIXED_BASE[c] + 0.1 * dk * dk
    for i, xi in enumerate((x1, x2)):
        d = xi - m[i]
        f += d * d + 1 - math.cos(2 * math.pi * d)
    return f


FUNCS = {
    "branin": (branin, [(-5, 10), (0, 15)], 10 / (8 * math.pi)),
    "hartmann6": (hartmann6, [(0, 1)] * 6, -3.322368011415515),
    "rosenbrock4": (rosenbrock, [(-5, 10)] * 4, 0.0),
    "ackley5": (ackley, [(-32.768, 32.768)] * 5, 0.0),
    "levy4": (levy, [(-10, 10)] * 4, 0.0),
    "styblinski_tang4": (styblinski_tang, [(-5, 5)] * 4, -156.66466281508565),
    "mixed": (None, None, 0.0),
}


def check_reference(path):
    with open(path) as f:
        ref = json.load(f)
    for name, r in ref.items():
        if name not in FUNCS or name == "mixed":
            continue
        fn = FUNCS[name][0]
        got = fn(r["test_point"])
        if abs(got - r["f_at_test_point"]) > 1e-9 * max(1, abs(got)):
            raise SystemExit(f"optuna_side: {name}(test point) = {got}, reference {r['f_at_test_point']}")


def objective_for(name):
    fn, bounds, _ = FUNCS[name]
    if name == "mixed":
        def obj(trial):
            x1 = trial.suggest_float("x1", -5, 5)
            x2 = trial.suggest_float("x2", -5, 5)
            k = trial.suggest_int("k", -10, 10)
            c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
            return mixed(x1, x2, k, c)
        return obj

    def obj(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        return fn(x)
    return obj


def make_sampler(name, seed, q=1):
    s = optuna.samplers
    if name == "random":
        return s.RandomSampler(seed=seed)
    # With trials in flight, TPE lies about them (constant_liar), as the
    # issue's peer is defined; sequentially it is the default sampler.
    if name == "tpe":
        return s.TPESampler(seed=seed, constant_liar=q > 1)
    if name == "tpe-mv":
        return s.TPESampler(seed=seed, multivariate=True, constant_liar=q > 1)
    if name == "qmc":
        # Scrambled (Optuna 3.1's default is scramble=False: the same points
        # for every seed, which starts Ackley at its optimum, the centre).
        return s.QMCSampler(scramble=True, seed=seed)
    if name == "cmaes":
        return s.CmaEsSampler(seed=seed)
    raise SystemExit(f"optuna_side: unknown sampler {name}")


def run(task):
    """One study, driven as bayes drives ours: q trials in flight (asked
    and not told), the oldest told as each finishes and one more asked in
    its slot, until budgets[-1] trials are told."""
    sampler_name, fname, seed, budgets, q = task
    fstar = FUNCS[fname][2]
    study = optuna.create_study(sampler=make_sampler(sampler_name, seed, q))
    obj = objective_for(fname)
    best = math.inf
    name = "optuna-" + sampler_name + (f"(q={q})" if q > 1 else "")
    res = {"sampler": name, "func": fname, "seed": seed, "q": q, "best": {}, "regret": {}}
    budget = budgets[-1]
    # The objective runs at ask time: an independent sampler (TPE without
    # multivariate) draws each parameter when the objective calls
    # suggest_float, so evaluating at tell time would let it see every
    # result told before; its value is told when its slot finishes.
    def ask():
        t = study.ask()
        return t, obj(t)

    running = [ask() for _ in range(min(q, budget))]
    asked, told = len(running), 0
    while running:
        t, v = running.pop(0)
        study.tell(t, v)
        told += 1
        best = min(best, v)
        if told in budgets:
            res["best"][str(told)] = best
            res["regret"][str(told)] = max(0.0, best - fstar)
        if asked < budget:
            running.append(ask())
            asked += 1
    return res


def wallclock(fname, seed, slots, trials, median, sigma):
    """One wall-clock study: TPESampler(constant_liar=True) with
    study.optimize(n_jobs=slots), Optuna's own thread pool; each trial
    sleeps a time drawn from the log-normal median x exp(sigma x z),
    seeded by (seed, trial number), after its parameters are suggested.
    Times in seconds since optimize was called; created: the objective was
    entered (its parameters are drawn from then on), start/end: the sleep."""
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True))
    obj = objective_for(fname)
    rows = []
    t0 = time.monotonic()

    def timed(trial):
        created = time.monotonic() - t0
        v = obj(trial)
        d = median * math.exp(sigma * np.random.default_rng([seed, trial.number]).standard_normal())
        start = time.monotonic() - t0
        time.sleep(d)
        rows.append({"created": created, "start": start, "end": time.monotonic() - t0, "value": v})
        return v

    study.optimize(timed, n_trials=trials, n_jobs=slots)
    return {"sampler": "optuna-tpe", "func": fname, "seed": seed, "slots": slots, "trials": rows}


def overhead(n_obs, reps):
    """Median seconds of one TPE suggestion (6 float params) with n_obs finished trials."""
    out = {}
    for name in ("tpe", "tpe-mv"):
        study = optuna.create_study(sampler=make_sampler(name, 0))
        rng = np.random.RandomState(0)
        dists = {f"x{i}": optuna.distributions.FloatDistribution(0, 1) for i in range(6)}
        trials = []
        for _ in range(n_obs):
            x = rng.rand(6)
            trials.append(optuna.trial.create_trial(
                params={f"x{i}": float(x[i]) for i in range(6)}, distributions=dists, value=hartmann6(x)))
        study.add_trials(trials)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            t = study.ask(fixed_distributions=dists)
            times.append(time.perf_counter() - t0)
            study.tell(t, state=optuna.trial.TrialState.FAIL)  # keeps the model's data at n_obs
        out[name] = float(np.median(times))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--funcs", default=",".join(FUNCS))
    ap.add_argument("--samplers", default="random,tpe,tpe-mv,qmc,cmaes")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budgets", default="25,50,100,200")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--q", type=int, default=1, help="trials in flight (asked, not yet told)")
    ap.add_argument("--reference", default="")
    ap.add_argument("--overhead", type=int, default=0, help="measure TPE suggest time at this many observations")
    ap.add_argument("--wallclock", type=int, default=0, help="one wall-clock study with this many slots (n_jobs)")
    ap.add_argument("--seed", type=int, default=0, help="the wall-clock study's seed")
    ap.add_argument("--trials", type=int, default=100, help="the wall-clock study's trials")
    ap.add_argument("--median", type=float, default=1.0, help="median trial seconds (log-normal)")
    ap.add_argument("--sigma", type=float, default=0.5, help="sigma of the log-normal trial time")
    args = ap.parse_args()
    if args.wallclock:
        print(json.dumps(wallclock(args.funcs, args.seed, args.wallclock, args.trials, args.median, args.sigma)))
        return
    if args.overhead:
        print(json.dumps(overhead(args.overhead, 20)))
        return
    if args.reference:
        check_reference(args.reference)
    budgets = sorted(int(b) for b in args.budgets.split(","))
    tasks = [(s, f, seed, budgets, args.q) for s in args.samplers.split(",") if s
             for f in args.funcs.split(",") for seed in range(args.seeds)]
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for i, res in enumerate(pool.imap(run, tasks)):
            print(json.dumps(res), flush=True)
            if (i + 1) % 50 == 0:
                print(f"optuna: {i + 1}/{len(tasks)} studies", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
