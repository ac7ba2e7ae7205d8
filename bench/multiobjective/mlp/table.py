#!/usr/bin/python3
"""The mlp accuracy-vs-params table: per side, the hypervolume of the
front of its first N trials (N = 30 and the study's length), the
objectives as losses (1 - val_accuracy, log10 params), reference point
(1, 5.5): an error of 1 and 10^5.5 parameters, beyond the largest network
of the space (139,777). 2-D hypervolume exactly, by a sweep.

    table.py STUDIES.jsonl...                # the table
    table.py --csv NAME SEED REPORT.csv      # one automl study as a JSON line
"""
import csv
import json
import math
import sys

REF = (1.0, 5.5)


def hypervolume(points):
    pts = sorted((e, p) for e, p in points if e < REF[0] and p < REF[1])
    # vertical strips between consecutive error values, each as high as
    # the fewest params among the points at or left of it
    hv, best_p = 0.0, REF[1]
    xs = sorted(set(e for e, _ in pts)) + [REF[0]]
    j = 0
    for k in range(len(xs) - 1):
        while j < len(pts) and pts[j][0] <= xs[k]:
            best_p = min(best_p, pts[j][1])
            j += 1
        hv += (xs[k + 1] - xs[k]) * (REF[1] - best_p)
    return hv


def quartiles(xs):
    s = sorted(xs)

    def q(f):
        pos = f * (len(s) - 1)
        i = int(pos)
        return s[i] if i + 1 >= len(s) else s[i] + (pos - i) * (s[i + 1] - s[i])
    return q(0.5), q(0.25), q(0.75)


def from_csv(name, seed, path):
    rows = sorted(csv.DictReader(open(path)), key=lambda r: int(r["trial"]))
    out = {"sampler": name, "seed": int(seed), "val_accuracy": [], "params": [], "test_accuracy": []}
    for r in rows:
        ok = r["state"] == "completed" and r["val_accuracy"] not in ("", "-")
        out["val_accuracy"].append(float(r["val_accuracy"]) if ok else None)
        out["params"].append(float(r["params"]) if ok else None)
        out["test_accuracy"].append(float(r["test_accuracy"]) if ok and r["test_accuracy"] not in ("", "-") else None)
    print(json.dumps(out))


def main(paths):
    studies = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    by = {}
    for s in studies:
        by.setdefault(s["sampler"], []).append(s)
    n = max(len(s["params"]) for s in studies)
    budgets = [n // 2, n]
    print(f"reference point (1 - val_accuracy, log10 params) = {REF}; hypervolume of the front of the first N trials, median [IQR] over seeds (higher is better)\n")
    print("| side | seeds | " + " | ".join(f"{b} trials" for b in budgets) + " | per seed, " + str(n) + " trials | front at " + str(n) + " trials, median size | failed trials |")
    print("|---|---|" + "---|" * (len(budgets) + 3))
    for name in sorted(by):
        ss = sorted(by[name], key=lambda s: s["seed"])
        cells, per, sizes, failed = [], [], [], 0
        for b in budgets:
            hvs = []
            for s in ss:
                pts = [(1 - a, math.log10(p)) for a, p in zip(s["val_accuracy"][:b], s["params"][:b]) if a is not None]
                hvs.append(hypervolume(pts))
                if b == n:
                    per.append(f"{hvs[-1]:.4f}")
                    front = [q for q in pts if not any(o[0] <= q[0] and o[1] <= q[1] and o != q for o in pts)]
                    sizes.append(len(set(front)))
                    failed += sum(1 for a in s["val_accuracy"] if a is None)
            m, lo, hi = quartiles(hvs)
            cells.append(f"{m:.4f} [{lo:.4f}, {hi:.4f}]")
        print(f"| {name} | {len(ss)} | " + " | ".join(cells) + f" | {' '.join(per)} | {quartiles(sizes)[0]:g} | {failed} |")


if __name__ == "__main__":
    if sys.argv[1] == "--csv":
        from_csv(*sys.argv[2:5])
    else:
        main(sys.argv[1:])
