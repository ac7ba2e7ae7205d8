#!/usr/bin/python3
"""Tables of bench/models results: per data set, trial budget N and side,
the median and interquartile range over seeds of the best trial's test
score (chosen by validation score), the median wall time of the whole
study, and the goal checks against Optuna + scikit-learn.

    table.py [OUT/results.jsonl]

A side run with --set options is labelled gp[key=value]. "matches" means
our median test score is at least scikit-learn's lower quartile
(accuracy) or at most its upper quartile (RMSE), over the same seeds.
Of several runs of one (data, N, side, seed) the newest (its "time") wins.

A second table, for the runs with an ensemble ("ens": automl model
ensemble), puts the ensemble's test score beside the best single trial's
of the same study, and checks issue 22's ensemble goal: the ensemble
beats the best single model by at least 0.3 points of accuracy (or 2% of
RMSE) on at least half of the data sets. A data set counts for a side
when the median over seeds of the ensemble's test gain (accuracy: ensemble
minus single, in points; RMSE: 1 - ensemble / single, in %) reaches that.
"""
import collections
import json
import sys

import numpy as np


def q(v, p):
    return float(np.percentile(v, p))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "bench/out/models/results.jsonl"
    rows = [json.loads(l) for l in open(path) if l.strip()]
    pred = {}
    pp = path.replace("results.jsonl", "predict.jsonl")
    try:
        if pp == path:  # not a results.jsonl (e.g. results/n60.jsonl): no predict figures beside it
            raise FileNotFoundError(pp)
        for l in open(pp):
            x = json.loads(l)
            pred[(x["name"], x["n"], x["side"], x["seed"])] = x["predict_rows_s"]
    except FileNotFoundError:
        pass
    for r in rows:
        if (r["data"], r["n"], r["side"], r["seed"]) in pred and not r.get("set"):
            r["predict_rows_s"] = pred[(r["data"], r["n"], r["side"], r["seed"])]
    by = collections.defaultdict(dict)  # (data, n, label) -> seed -> row (the newest run wins)
    for r in sorted(rows, key=lambda r: r.get("time", "")):
        label = r["side"] + ("[" + ",".join(r["set"]) + "]" if r.get("set") else "")
        by[(r["data"], r["n"], label)][r["seed"]] = r
    print("| data | N | side | seeds | metric | test median | test IQR (q25-q75) | val median | wall median (s) | wall / sklearn | predict rows/s (/ sklearn) | matches sklearn |")
    print("|---|---:|---|---|---|---:|---|---:|---:|---:|---:|---|")
    for (data, n, label) in sorted(by, key=lambda k: (k[0], k[1], k[2] != "sklearn", k[2])):
        runs = by[(data, n, label)]
        sk = by.get((data, n, "sklearn"), {})
        seeds = sorted(runs)
        if label != "sklearn" and sk:
            seeds = sorted(set(seeds) & set(sk))  # compare on the same seeds only
        if not seeds:
            continue
        cls = runs[seeds[0]]["task"] == "classification"
        test = [runs[s]["test"] for s in seeds]
        val = [runs[s]["val"] for s in seeds]
        wall = [runs[s]["wall_s"] for s in seeds]
        ratio, match = "-", "-"
        if label != "sklearn" and sk:
            skt = [sk[s]["test"] for s in seeds]
            skw = [sk[s]["wall_s"] for s in seeds]
            ratio = f"{np.median(wall) / np.median(skw):.2f}"
            if cls:
                ok = np.median(test) >= q(skt, 25)
            else:
                ok = np.median(test) <= q(skt, 75)
            match = ("yes" if ok else "no") + f" (sklearn {np.median(skt):.4f})"
        rps = [runs[s].get("predict_rows_s") for s in seeds if runs[s].get("predict_rows_s")]
        prat = "-"
        if label != "sklearn" and sk and rps:
            skr = [sk[s]["predict_rows_s"] for s in seeds if runs[s].get("predict_rows_s")]
            prat = f"{np.median(rps) / np.median(skr):.1f}x"
        rpsc = f"{int(np.median(rps))} ({prat})" if rps else "-"
        print(f"| {data} | {n} | {label} | {','.join(map(str, seeds))} | {'accuracy' if cls else 'RMSE'} | "
              f"{np.median(test):.4f} | {q(test, 25):.4f}-{q(test, 75):.4f} | {np.median(val):.4f} | "
              f"{np.median(wall):.1f} | {ratio} | {rpsc} | {match} |")
    ensemble_table(by)


def ensemble_table(by):
    keys = [k for k in sorted(by, key=lambda k: (k[0], k[1], k[2])) if any("ens" in r for r in by[k].values())]
    if not keys:
        return
    print()
    print("| data | N | side | seeds | metric | best single test median (IQR) | ensemble test median (IQR) | "
          "gain median (per seed) | best single val median | ensemble val median | members median | goal |")
    print("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    met = collections.defaultdict(list)  # (n, label) -> [data sets where the gain reaches the goal]
    for (data, n, label) in keys:
        runs = {s: r for s, r in by[(data, n, label)].items() if "ens" in r}
        seeds = sorted(runs)
        cls = runs[seeds[0]]["task"] == "classification"
        single = [runs[s]["ens"]["best_test"] for s in seeds]
        ens = [runs[s]["ens"]["test"] for s in seeds]
        if cls:
            gain = [100 * (e - b) for e, b in zip(ens, single)]  # points of accuracy
            ok, unit = np.median(gain) >= 0.3, "pt"
        else:
            gain = [100 * (1 - e / b) for e, b in zip(ens, single)]  # % of RMSE
            ok, unit = np.median(gain) >= 2, "%"
        met[(n, label)].append((data, ok))
        mem = [len(runs[s]["ens"]["members"]) for s in seeds]
        print(f"| {data} | {n} | {label} | {','.join(map(str, seeds))} | {'accuracy' if cls else 'RMSE'} | "
              f"{np.median(single):.4f} ({q(single, 25):.4f}-{q(single, 75):.4f}) | "
              f"{np.median(ens):.4f} ({q(ens, 25):.4f}-{q(ens, 75):.4f}) | "
              f"{np.median(gain):+.2f} {unit} ({', '.join(f'{g:+.2f}' for g in gain)}) | "
              f"{np.median([runs[s]['ens']['best_val'] for s in seeds]):.4f} | "
              f"{np.median([runs[s]['ens']['val'] for s in seeds]):.4f} | {np.median(mem):g} | "
              f"{'beats' if ok else 'no'} |")
    print()
    for (n, label), v in sorted(met.items()):
        k = sum(ok for _, ok in v)
        print(f"ensemble goal, {label} N={n}: beats the best single model by >= 0.3 pt accuracy / 2% RMSE "
              f"(median gain over seeds) on {k} of {len(v)} data sets "
              f"({', '.join(d for d, ok in v if ok) or 'none'}): {'met' if 2 * k >= len(v) else 'missed'}")


if __name__ == "__main__":
    main()
