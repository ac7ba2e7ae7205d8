#!/usr/bin/python3
"""Ensemble selection variants on the studies run.py kept (keep_models:
all): for each study of OUT/results.jsonl with an "ens" object (the newest
run per data, N, side and seed; no --set), build every variant with
`automl model ensemble bench --size 20 ARGS -o ens-VARIANT.automl`, predict
the study's test rows with it (`automl predict`) and score it by test
accuracy (classification) or RMSE (regression), beside the best single
trial's (run.py's "best_test"). Studies already in --jsonl are skipped,
so it can be run again as run.py adds studies.

    ens_variants.py [--out bench/out/models] [--automl PATH] [--jsonl FILE]
    ens_variants.py --table FILE [--seeds 1,2,3] [--compare plain,log_loss]

A variant is a policy for both tasks: its arguments for classification
and for regression (log_loss and brier are classification metrics; their
variants select regression by RMSE, bagged or not as named); "plain" is
the selection by the objective's metric itself (accuracy or RMSE), the
default before log_loss. The file of the variant that is run.py's
default (plain, or log_loss where run.py's line says "selected_by":
"log_loss") must predict exactly the test score run.py recorded for the
default ensemble (checked). One JSON line per study and variant goes to --jsonl; --table
prints, per variant, the per-set median gains over the chosen seeds and
the goal count (median gain >= 0.3 points of accuracy or 2% of RMSE).
"""
import argparse
import collections
import json
import os
import subprocess
import sys

import numpy as np

from ens_metric import predict  # this directory: the scripts run as files

# name: (classification args, regression args)
VARIANTS = {
    "plain": (["--metric", "accuracy"], []),
    "init5": (["--init", "5"], ["--init", "5"]),
    "bags20": (["--bags", "20"], ["--bags", "20"]),
    "init5+bags20": (["--init", "5", "--bags", "20"], ["--init", "5", "--bags", "20"]),
    "log_loss": (["--metric", "log_loss"], []),
    "log_loss+bags20": (["--metric", "log_loss", "--bags", "20"], ["--bags", "20"]),
    "brier": (["--metric", "brier"], []),
    "brier+bags20": (["--metric", "brier", "--bags", "20"], ["--bags", "20"]),
}


def test_score(automl, model, data, d, cls):
    pred, rows = predict(automl, model, data, "test", d)
    if cls:
        return float(np.mean([str(a) == r["target"] for a, r in zip(pred, rows)]))
    return float(np.sqrt(np.mean([(float(a) - float(r["target"])) ** 2 for a, r in zip(pred, rows)])))


def gain(x):
    """Points of accuracy, or % of RMSE saved, over the best single trial."""
    if x["task"] == "classification":
        g = 100 * (x["test"] - x["single_test"])
    else:
        g = 100 * (1 - x["test"] / x["single_test"])
    return round(g, 4) + 0.0  # no -0.00 from float noise


def run(args):
    automl = os.path.abspath(args.automl)
    rows = [json.loads(l) for l in open(os.path.join(args.out, "results.jsonl")) if l.strip()]
    newest = {}
    for r in sorted(rows, key=lambda r: r.get("time", "")):
        if "ens" in r and not r.get("set"):
            newest[(r["data"], r["n"], r["side"], r["seed"])] = r
    seen = set()
    if os.path.exists(args.jsonl):
        seen = {(x["data"], x["n"], x["side"], x["seed"]) for x in map(json.loads, open(args.jsonl)) if x}
    with open(args.jsonl, "a") as out:
        for (data, n, side, seed), r in sorted(newest.items()):
            if (data, n, side, seed) in seen:
                continue  # done by an earlier run (the studies are not rerun)
            cls = r["task"] == "classification"
            d = os.path.abspath(os.path.join(args.out, "studies", f"{data}-s{seed}-n{n}-{side}"))
            csvf = os.path.join(args.out, "data", f"{data}-s{seed}.csv")
            done = {}
            for name, (ca, ra) in VARIANTS.items():
                a = ca if cls else ra
                key = tuple(a)
                if key not in done:
                    f = os.path.join(d, "ens-" + ("_".join(a).replace("-", "") or "plain") + ".automl")
                    e = subprocess.run(["nice", "-n", "10", automl, "model", "ensemble", "bench", "--db",
                                        os.path.join(d, "automl.db"), "--size", "20", *a, "-o", f, "--json"],
                                       capture_output=True, text=True, cwd=d)
                    if e.returncode != 0:
                        sys.exit(f"automl model ensemble {a} failed on {d}: {e.stderr[-2000:]}")
                    ens = json.loads(e.stdout)
                    done[key] = (test_score(automl, f, csvf, d, cls), len(ens["members"]), ens["rounds"])
                test, members, rounds = done[key]
                # the variant run.py's default built (selected by accuracy
                # before log loss became the default) predicts what it recorded
                dflt = "log_loss" if r["ens"].get("selected_by") == "log_loss" else "plain"
                if name == dflt and abs(test - r["ens"]["test"]) > 1e-6 * max(1, abs(test)):
                    sys.exit(f"{d}: the {name} ensemble predicts test {test}, run.py recorded {r['ens']['test']}")
                x = {"data": data, "n": n, "side": side, "seed": seed, "task": r["task"], "variant": name,
                     "args": a, "members": members, "rounds": rounds, "test": test,
                     "single_test": r["ens"]["best_test"]}
                x["gain"] = gain(x)
                out.write(json.dumps(x) + "\n")
                out.flush()
            print(f"{data} s{seed} {side}: " + ", ".join(f"{k} {v[0]:.4f}" for k, v in done.items()),
                  file=sys.stderr, flush=True)


def table(args):
    seeds = set(map(int, args.seeds.split(",")))
    xs = [json.loads(l) for l in open(args.table) if l.strip()]
    xs = [x for x in xs if x["seed"] in seeds]
    by = collections.defaultdict(list)
    for x in xs:
        by[(x["variant"], x["data"], x["side"])].append(x)
    sets = sorted({(x["data"], x["task"]) for x in xs})
    sides = sorted({x["side"] for x in xs})
    print(f"seeds {args.seeds}: median gain over the seeds per set and side (accuracy points, or % of RMSE), "
          f"goal count (median >= 0.3 pt / 2 %), mean gain over the studies of each task\n")
    print("| variant | " + " | ".join(f"{d} {s}" for d, _ in sets for s in sides) +
          " | goal gp | goal tpe | mean gain classification (pt) | mean gain regression (%) |")
    print("|---|" + "---:|" * (len(sets) * len(sides)) + "---:|---:|---:|---:|")
    for v in VARIANTS:
        cells, goal, allg = [], collections.Counter(), collections.defaultdict(list)
        for d, task in sets:
            for s in sides:
                g = [gain(x) for x in sorted(by[(v, d, s)], key=lambda x: x["seed"])]
                if not g:
                    cells.append("-")
                    continue
                med = round(float(np.median(g)), 4) + 0.0
                allg[task] += g
                ok = med >= (0.3 if task == "classification" else 2.0)
                goal[s] += ok
                cells.append(f"{med:+.2f}{'*' if ok else ''}")
        mean = {t: f"{np.mean(g):+.3f} ({len(g)})" if g else "-" for t, g in allg.items()}
        print(f"| {v} | " + " | ".join(cells) + f" | {goal['gp']} | {goal['tpe']} | "
              f"{mean.get('classification', '-')} | {mean.get('regression', '-')} |")
    print("\n(* reaches the goal)")
    if args.compare:
        vs = args.compare.split(",")
        print(f"\n| data | side | " + " | ".join(f"{v}: gain per seed ({args.seeds}) | median | members" for v in vs) + " |")
        print("|---|---|" + "---|---:|---:|" * len(vs))
        for d, task in sets:
            for s in sides:
                cells = []
                for v in vs:
                    g = sorted(by[(v, d, s)], key=lambda x: x["seed"])
                    unit = " pt" if task == "classification" else " %"
                    cells.append(", ".join(f"{gain(x):+.2f}" for x in g) + f" | {np.median([gain(x) for x in g]):+.2f}{unit}"
                                 f" | {np.median([x['members'] for x in g]):g}")
                print(f"| {d} | {s} | " + " | ".join(cells) + " |")
    if args.per_seed:
        print("\nper seed gains:\n")
        for v in VARIANTS:
            for d, _ in sets:
                for s in sides:
                    g = sorted(by[(v, d, s)], key=lambda x: x["seed"])
                    print(f"{v} {d} {s}: " + ", ".join(f"s{x['seed']} {gain(x):+.2f} ({x['members']}m)" for x in g))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/models")
    ap.add_argument("--automl", default=None)
    ap.add_argument("--jsonl", default=None)
    ap.add_argument("--table", default=None)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--per-seed", action="store_true")
    ap.add_argument("--compare", default=None, help="variants for a per-seed table, e.g. plain,log_loss")
    args = ap.parse_args()
    if args.table:
        table(args)
        return
    args.automl = args.automl or os.path.join(args.out, "automl")
    args.jsonl = args.jsonl or os.path.join(args.out, "variants.jsonl")
    run(args)


if __name__ == "__main__":
    main()
