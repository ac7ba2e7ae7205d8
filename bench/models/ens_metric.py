#!/usr/bin/python3
"""The ensemble selected by another metric, on the studies run.py kept:
for each classification study of OUT/results.jsonl with an "ens" object
(the newest run per data, N, side and seed), build
`automl model ensemble bench --metric METRIC --size K -o ens-METRIC.automl`
from the same kept models, predict the study's validation and test rows
with it (`automl predict`), and print its accuracy there beside the best
single trial's and the default (accuracy-selected) ensemble's.

    ens_metric.py [--out bench/out/models] [--metric log_loss] [--size 20]

Run after run.py; it reads OUT/studies/<data>-s<seed>-n<N>-<side>/ and
OUT/data/<data>-s<seed>.csv, and writes nothing else there but the
ensemble file and its predictions.
"""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys

import numpy as np


def predict(automl, model, data, split, d):
    """The model's predictions for the data file's rows of split (written
    once to d/rows-SPLIT.csv without the split column), through `automl
    predict`, and those rows."""
    with open(data) as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    part = os.path.join(d, f"rows-{split}.csv")
    if not os.path.exists(part):
        cols = [c for c in rows[0] if c != "split"]
        with open(part, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
    p = subprocess.run(["nice", "-n", "10", automl, "predict", "-m", model, part, "--json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"automl predict failed on {model}: {p.stderr[-2000:]}")
    pred = [x["prediction"] for x in json.loads(p.stdout)["predictions"]]
    if len(pred) != len(rows):
        sys.exit(f"{model}: {len(pred)} predictions for {len(rows)} {split} rows")
    return pred, rows


def accuracy(automl, model, data, split, d):
    pred, rows = predict(automl, model, data, split, d)
    return float(np.mean([str(a) == r["target"] for a, r in zip(pred, rows)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/models")
    ap.add_argument("--metric", default="log_loss")
    ap.add_argument("--size", type=int, default=20)
    args = ap.parse_args()
    automl = os.path.abspath(os.path.join(args.out, "automl"))
    rows = [json.loads(l) for l in open(os.path.join(args.out, "results.jsonl")) if l.strip()]
    newest = {}
    for r in sorted(rows, key=lambda r: r.get("time", "")):
        if "ens" in r and r["task"] == "classification" and not r.get("set"):
            newest[(r["data"], r["n"], r["side"], r["seed"])] = r
    by = collections.defaultdict(list)
    for (data, n, side, seed), r in sorted(newest.items()):
        d = os.path.abspath(os.path.join(args.out, "studies", f"{data}-s{seed}-n{n}-{side}"))
        f = os.path.join(d, f"ens-{args.metric}.automl")
        e = subprocess.run(["nice", "-n", "10", automl, "model", "ensemble", "bench", "--db",
                            os.path.join(d, "automl.db"), "--size", str(args.size), "--metric", args.metric,
                            "-o", f, "--json"], capture_output=True, text=True, cwd=d)
        if e.returncode != 0:
            sys.exit(f"automl model ensemble failed on {d}: {e.stderr[-2000:]}")
        ens = json.loads(e.stdout)
        csvf = os.path.join(args.out, "data", f"{data}-s{seed}.csv")
        val, test = accuracy(automl, f, csvf, "val", d), accuracy(automl, f, csvf, "test", d)
        # check the scoring: the default ensemble's file must give the accuracy run.py recorded
        dflt = accuracy(automl, os.path.join(d, "automl.db.models", "bench", "ensemble.automl"), csvf, "test", d)
        if abs(dflt - r["ens"]["test"]) > 1e-9:
            sys.exit(f"{d}: ensemble.automl predicts test accuracy {dflt}, run.py recorded {r['ens']['test']}")
        x = {"data": data, "n": n, "side": side, "seed": seed, "metric": args.metric,
             "members": len(ens["members"]), "val": val, "test": test,
             "single_val": r["ens"]["best_val"], "single_test": r["ens"]["best_test"],
             "acc_ens_test": r["ens"]["test"]}
        print(json.dumps(x), file=sys.stderr, flush=True)
        by[(data, n, side)].append(x)
    print(f"| data | N | side | seeds | best single test | ensemble (accuracy) test | ensemble ({args.metric}) "
          f"test | gain ({args.metric}) median (per seed) | ensemble ({args.metric}) val | members | goal |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
    met = collections.defaultdict(list)
    for (data, n, side), v in sorted(by.items()):
        gain = [100 * (x["test"] - x["single_test"]) for x in v]
        ok = np.median(gain) >= 0.3
        met[(n, side)].append((data, ok))
        print(f"| {data} | {n} | {side} | {','.join(str(x['seed']) for x in v)} | "
              f"{np.median([x['single_test'] for x in v]):.4f} | {np.median([x['acc_ens_test'] for x in v]):.4f} | "
              f"{np.median([x['test'] for x in v]):.4f} | {np.median(gain):+.2f} pt "
              f"({', '.join(f'{g:+.2f}' for g in gain)}) | {np.median([x['val'] for x in v]):.4f} | "
              f"{np.median([x['members'] for x in v]):g} | {'beats' if ok else 'no'} |")
    print()
    for (n, side), v in sorted(met.items()):
        k = sum(ok for _, ok in v)
        print(f"{args.metric}-selected ensemble, {side} N={n}: >= 0.3 pt test accuracy over the best single model "
              f"on {k} of {len(v)} classification sets ({', '.join(d for d, ok in v if ok) or 'none'})")


if __name__ == "__main__":
    main()
