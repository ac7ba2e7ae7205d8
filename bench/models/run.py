#!/usr/bin/python3
"""Side-by-side driver: for each data set and seed, write the CSV once
(gen_data.py), then run, one after the other, automl search (mlp tuned by
gp and by tpe) and Optuna + scikit-learn (sk.py) on it, appending one JSON
line per run to OUT/results.jsonl.

    run.py --data adultlike,iris --seeds 1,2,3 --trials 24 [--sides gp,tpe,sklearn]
           [--out bench/out/models] [--automl PATH] [--set key=value ...] [--ens-size 20]

Every completed trial keeps its model (keep_models: all); after each
automl study, `automl model ensemble bench --size 20 --json` builds the
ensemble of them and its validation and test scores go in the line's
"ens" object beside the best single trial's.

--set adds a trainer config key to automl's study file (e.g.
numeric_transform=quantile), to measure one option against the default.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSIFICATION = {"breast_cancer", "wine", "iris", "sonar", "digits", "adultlike"}

SPACE = """study: {study}
objective: {{metric: {metric}, direction: {direction}}}
budget: {{trials: {trials}}}
keep_models: all
algorithm: {{name: {algo}, seed: {seed}}}
trainer:
  plugin: mlp
  config:
    dataset: {data}
    target: target
    task: {task}
    split_column: split
    missing_values: ["?", ""]
    epochs: {epochs}
    patience: {patience}
    threads: 1
    dropout: 0
{extra}parameters:
  num_layers:    {{type: int, low: 1, high: 3}}
  units_1:       {{type: int, low: 16, high: 256, log: true}}
  units_2:       {{type: int, low: 16, high: 256, log: true, when: {{num_layers: [2, 3]}}}}
  units_3:       {{type: int, low: 16, high: 256, log: true, when: {{num_layers: [3]}}}}
  activation:    {{type: categorical, choices: [relu, tanh]}}
  learning_rate: {{type: float, low: 1.0e-4, high: 3.0e-2, log: true}}
  l2:            {{type: float, low: 1.0e-6, high: 1.0e-2, log: true}}
  batch_size:    {{type: categorical, choices: [32, 64, 128, 256]}}
"""


def run_automl(args, name, seed, csv, algo, outdir):
    cls = name in CLASSIFICATION
    tag = f"{name}-s{seed}-n{args.trials}-{algo}" + (("-" + "-".join(args.set)).replace("=", "_") if args.set else "")
    d = os.path.abspath(os.path.join(outdir, "studies", tag))
    os.makedirs(d, exist_ok=True)
    db = os.path.join(d, "automl.db")
    for f in os.listdir(d):
        subprocess.run(["rm", "-rf", os.path.join(d, f)], check=True)
    extra = "".join(f"    {kv.split('=', 1)[0]}: {kv.split('=', 1)[1]}\n" for kv in args.set)
    space = SPACE.format(study="bench", metric="val_accuracy" if cls else "val_rmse",
                         direction="maximize" if cls else "minimize", trials=args.trials, algo=algo, seed=seed,
                         data=os.path.abspath(csv), task="classification" if cls else "regression",
                         epochs=args.epochs, patience=args.patience, extra=extra)
    sp = os.path.join(d, "space.yaml")
    with open(sp, "w") as f:
        f.write(space)
    t0 = time.perf_counter()
    p = subprocess.run(["nice", "-n", "10", args.automl, "search", "-space", sp, "--db", db, "--workers", "2", "-q"],
                       capture_output=True, text=True, cwd=d)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"automl search failed on {tag}: {p.stderr[-2000:]}")
    tr = json.loads(subprocess.run([args.automl, "trials", "bench", "--db", db, "--json"], capture_output=True,
                                   text=True, check=True).stdout)
    best = next(t for t in tr["trials"] if t["state"] == "completed")
    m = best["metrics"]
    key = "accuracy" if cls else "rmse"
    done = sum(t["state"] == "completed" for t in tr["trials"])
    # The ensemble of the study's models (every completed trial keeps one:
    # keep_models: all), by greedy selection on the validation rows with
    # the default metric: scored by the objective's (accuracy or rmse),
    # selected by log loss for accuracy since it was made the default
    # ("selected_by").
    e = subprocess.run(["nice", "-n", "10", args.automl, "model", "ensemble", "bench", "--db", db,
                        "--size", str(args.ens_size), "--json"], capture_output=True, text=True, cwd=d)
    if e.returncode != 0:
        sys.exit(f"automl model ensemble failed on {tag}: {e.stderr[-2000:]}")
    ens = json.loads(e.stdout)
    if ens["metric"] != key or ens["best"]["trial"] != best["id"]:
        sys.exit(f"{tag}: the ensemble's metric {ens['metric']} / best trial {ens['best']['trial']} "
                 f"is not the study's {key} / trial {best['id']}")
    return {"side": algo, "data": name, "task": "classification" if cls else "regression", "n": args.trials,
            "seed": seed, "val": m["val_" + key], "test": m["test_" + key], "wall_s": round(wall, 2),
            "best_trial": best["id"], "best_params": best["params"], "epochs": m.get("best_epoch"),
            "completed": done, "set": args.set,
            "ens": {"size": ens["size"], "rounds": ens["rounds"], "val": ens["val"], "test": ens["test"],
                    "members": [[x["trial"], x["weight"]] for x in ens["members"]],
                    "best_val": ens["best"]["val"], "best_test": ens["best"]["test"],
                    "selected_by": ens.get("selected_by", ens["metric"])},
            "trials": [[t["metrics"]["val_" + key], t["metrics"]["test_" + key]] for t in tr["trials"]
                       if t["state"] == "completed"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="adultlike")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--sides", default="gp,tpe,sklearn")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--out", default="bench/out/models")
    ap.add_argument("--automl", default="bench/out/models/automl")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--ens-size", type=int, default=20, help="automl model ensemble --size")
    args = ap.parse_args()
    args.automl = os.path.abspath(args.automl)
    os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
    res = os.path.join(args.out, "results.jsonl")
    for name in args.data.split(","):
        for seed in map(int, args.seeds.split(",")):
            csv = os.path.join(args.out, "data", f"{name}-s{seed}.csv")
            if not os.path.exists(csv):
                subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen_data.py"), name, str(seed), csv], check=True)
            for side in args.sides.split(","):
                if side == "sklearn":
                    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", MKL_NUM_THREADS="2")
                    p = subprocess.run(["nice", "-n", "10", "/usr/bin/python3", os.path.join(HERE, "sk.py"), csv,
                                        "classification" if name in CLASSIFICATION else "regression",
                                        str(args.trials), str(seed), str(args.epochs), str(args.patience)],
                                       capture_output=True, text=True, env=env)
                    if p.returncode != 0:
                        sys.exit(f"sk.py failed on {name} seed {seed}: {p.stderr[-2000:]}")
                    r = json.loads(p.stdout.strip().splitlines()[-1])
                    r["data"] = name
                else:
                    r = run_automl(args, name, seed, csv, side, args.out)
                r["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
                print(json.dumps(r), flush=True)
                with open(res, "a") as f:
                    f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
