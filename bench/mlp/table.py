#!/usr/bin/python3
"""Reads the JSON lines of run.sh (one per run and side) and prints the
side-by-side table: medians over runs of each run's median epoch time, the
Go/peer ratios against the issue's bars, test accuracy and Go's peak RSS."""
import json
import statistics
import sys
from collections import defaultdict

BARS = {"small": {"torch": 0.5, "sklearn": 0.3}, "large": {"torch": 1.0}}
runs = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[(r["config"], r["threads"], r["side"])].append(r)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


configs = sorted({(c, t) for c, t, _ in runs}, key=lambda ct: (ct[0] != "small", ct[1]))
print("| config | threads | runs | Go epoch (s) | PyTorch epoch (s) | sklearn epoch (s) | Go / PyTorch | Go / sklearn | test acc Go | test acc PyTorch | test acc sklearn | Go peak RSS (MiB) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c, t in configs:
    ep, acc = {}, {}
    for side in ("go", "torch", "sklearn"):
        rs = runs.get((c, t, side), [])
        ep[side] = med([med(r["epoch_times"]) for r in rs])
        acc[side] = med([r["test_accuracy"] for r in rs])
    rss = med([r.get("peak_rss_mb", float("nan")) for r in runs.get((c, t, "go"), [])])

    def ratio(side):
        if ep[side] != ep[side]:
            return "-"
        r = ep["go"] / ep[side]
        bar = BARS.get(c, {}).get(side)
        return f"{r:.2f}" + (f" (bar <= {bar}: {'ok' if r <= bar else 'MISSED'})" if bar else "")

    def f(x, fmt):
        return "-" if x != x else format(x, fmt)

    n = len(runs.get((c, t, "go"), []))
    print(f"| {c} | {t} | {n} | {f(ep['go'], '.4f')} | {f(ep['torch'], '.4f')} | {f(ep['sklearn'], '.4f')} | {ratio('torch')} | {ratio('sklearn')} | {f(acc['go'], '.4f')} | {f(acc['torch'], '.4f')} | {f(acc['sklearn'], '.4f')} | {f(rss, '.0f')} |")
