#!/usr/bin/python3
"""How much of a side's test score is the luck of picking one trial by
validation score: per run with per-trial scores (results.jsonl lines with
"trials", written since they were added), the best-by-validation trial's
test score against the median test score of the 5 best by validation and
of all trials, and the best test score any trial reached.

    selection.py [OUT/results.jsonl] [--data adultlike]
"""
import json
import sys

import numpy as np


def main():
    path = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "bench/out/models/results.jsonl"
    only = sys.argv[sys.argv.index("--data") + 1] if "--data" in sys.argv else None
    print("| data | side | seed | best-by-val test | top-5-by-val median test | all trials median test | best test of any trial |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for l in open(path):
        r = json.loads(l)
        if "trials" not in r or (only and r["data"] != only) or r.get("set"):
            continue
        t = np.array(r["trials"], dtype=float)
        sign = 1 if r["task"] == "classification" else -1
        o = np.argsort(-sign * t[:, 0], kind="stable")
        best = (max if sign > 0 else min)(t[:, 1])
        print(f"| {r['data']} | {r['side']} | {r['seed']} | {r['test']:.4f} | {np.median(t[o[:5], 1]):.4f} | "
              f"{np.median(t[:, 1]):.4f} | {best:.4f} |")


if __name__ == "__main__":
    main()
