#!/usr/bin/python3
"""Predict throughput of our side's best models, after the studies:
for every gp / tpe line of OUT/results.jsonl without a figure in
OUT/predict.jsonl, retrain the best trial's parameters once with the
benchmark's rule (bench/models/predict) for EPOCHS epochs (default 1: the
throughput depends on the architecture and the preprocessing, not on the
weights) and time model.Predict on the raw test rows, 2 goroutines
(scikit-learn's predict is timed on 2 BLAS threads). Appends to
OUT/predict.jsonl.

    predict_pass.py [OUT] [--data adultlike,iris]
"""
import json
import os
import subprocess
import sys

CLASSIFICATION = {"breast_cancer", "wine", "iris", "sonar", "digits", "adultlike"}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "bench/out/models"
    only = None
    if "--data" in sys.argv:
        only = set(sys.argv[sys.argv.index("--data") + 1].split(","))
    tool = os.path.join(out, "predict")
    subprocess.run(["go", "build", "-o", tool, "./bench/models/predict"], check=True)
    done = set()
    pp = os.path.join(out, "predict.jsonl")
    if os.path.exists(pp):
        for l in open(pp):
            r = json.loads(l)
            done.add((r["name"], r["seed"], r["side"], r["n"]))
    for l in open(os.path.join(out, "results.jsonl")):
        r = json.loads(l)
        key = (r["data"], r["seed"], r["side"], r["n"])
        if r["side"] == "sklearn" or r.get("set") or key in done or (only and r["data"] not in only):
            continue
        csv = os.path.join(out, "data", f"{r['data']}-s{r['seed']}.csv")
        task = "classification" if r["data"] in CLASSIFICATION else "regression"
        p = subprocess.run(["nice", "-n", "10", tool, "-data", csv, "-task", task, "-epochs", os.environ.get("EPOCHS", "1"), "-params", json.dumps(r["best_params"])],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr)
        x = json.loads(p.stdout)
        x.update(name=r["data"], seed=r["seed"], side=r["side"], n=r["n"])
        print(json.dumps(x), flush=True)
        with open(pp, "a") as f:
            f.write(json.dumps(x) + "\n")
        done.add(key)


if __name__ == "__main__":
    main()
