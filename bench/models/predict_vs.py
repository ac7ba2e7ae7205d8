#!/usr/bin/python3
"""Predict throughput side by side on one data file, for given
architectures: ours (bench/models/predict: the configuration trained for
EPOCHS epochs, model.Predict on the raw test rows as CSV strings, 2
goroutines) and scikit-learn's (sk.py --predict: the pipeline fitted on
the train rows, the network trained for EPOCHS epochs, predict(transform)
on the raw test rows, 2 BLAS threads), both under nice -n 10 as run.py
runs them. The runs alternate, REPS rounds, so the machine's load falls
on both sides alike; each line of output is one run, then the medians and
each of ours against each of scikit-learn's, of the wall rows/s and of
the rows per second of each process's CPU time (cpu_rows_s: the work per
row, which the machine's other work leaves comparable; with --threads 1,
as BLAS threads waiting for work spin and count).

    predict_vs.py DATA.csv TASK --ours 'PARAMS' [--ours ...] --sklearn 'PARAMS' [--sklearn ...]
                  [--reps 3] [--threads 2] [--tool PATH] [--label NAME=PATH ...]

PARAMS is a trial's parameters as JSON (num_layers, units_i, activation;
others as the benchmark's space). --label NAME=PATH adds another build of
the predict tool (an older commit's, say) for every --ours
configuration.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def arch(params):
    p = json.loads(params)
    return "-".join(str(p[f"units_{i}"]) for i in range(1, p["num_layers"] + 1)) + " " + p["activation"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("task")
    ap.add_argument("--ours", action="append", default=[])
    ap.add_argument("--sklearn", action="append", default=[])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--epochs", default="1")
    ap.add_argument("--tool", default="bench/out/models/predict")
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--threads", default="2", help="goroutines on our side, BLAS threads on scikit-learn's")
    a = ap.parse_args()
    tools = [("ours", a.tool)] + [tuple(l.split("=", 1)) for l in a.label]
    if not os.path.exists(a.tool):
        subprocess.run(["go", "build", "-o", a.tool, "./bench/models/predict"], check=True)
    runs = []  # (side, params, command, env)
    for name, tool in tools:
        for p in a.ours:
            runs.append((name, p, ["nice", "-n", "10", tool, "-data", a.data, "-task", a.task, "-epochs", a.epochs,
                                   "-threads", a.threads, "-params", p], None))
    env = dict(os.environ, OPENBLAS_NUM_THREADS=a.threads, OMP_NUM_THREADS=a.threads, MKL_NUM_THREADS=a.threads)
    for p in a.sklearn:
        runs.append(("sklearn", p, ["nice", "-n", "10", "/usr/bin/python3", os.path.join(HERE, "sk.py"), a.data, a.task,
                                    "--predict", p, a.epochs], env))
    got = {}
    for rep in range(a.reps):
        for side, p, cmd, e in runs:
            r = subprocess.run(cmd, capture_output=True, text=True, env=e)
            if r.returncode != 0:
                sys.exit(f"{side} {arch(p)}: {r.stderr[-2000:]}")
            x = json.loads(r.stdout)
            x.update(side=side, arch=arch(p), rep=rep + 1)
            print(json.dumps(x), flush=True)
            for metric in ("predict_rows_s", "cpu_rows_s"):
                got.setdefault((metric, side, arch(p)), []).append(x.get(metric, 0))
    for metric in ("predict_rows_s", "cpu_rows_s"):
        med = {k[1:]: statistics.median(v) for k, v in got.items() if k[0] == metric}
        print(f"\n{a.data}: median {metric} over {a.reps} alternating runs, {a.threads} thread(s) a side")
        for (side, ar), m in med.items():
            print(f"  {side:8s} {ar:18s} {m:10.0f}   ({', '.join(str(round(v)) for v in got[(metric, side, ar)])})")
        for (side, ar), m in med.items():
            if side == "sklearn":
                continue
            for (s2, a2), m2 in med.items():
                if s2 == "sklearn" and m2:
                    print(f"  {side} {ar} / sklearn {a2}: {m / m2:.2f}x")


if __name__ == "__main__":
    main()
