#!/usr/bin/env python3
"""A training program for automl's exec trainer, standard library only.

It fits a linear model to a fixed synthetic regression task by minibatch
SGD with momentum and L2, and follows the exec trainer's contract:

- parameters: --lr and --momentum come templated into the command line
  ("{lr}"); l2 and batch_size are read from the JSON file AUTOML_PARAMS
  names (AUTOML_PARAMS_JSON holds the same text);
- metrics: one JSON line per epoch on stdout, {"step": epoch, "val_loss": ...};
  every other line (on stdout or stderr) is the trial's log;
- span and checkpoints: it trains epochs AUTOML_RESOURCE_FROM+1 ..
  AUTOML_RESOURCE_TO (or --epochs when no span is given), saves its state
  to AUTOML_CHECKPOINT_DIR after each epoch, and resumes from it; asked to
  resume without a checkpoint of epoch AUTOML_RESOURCE_FROM, it fails
  rather than train a fresh model under continued epoch numbers.
"""
import argparse
import json
import math
import os
import random
import sys

DIM = 8


def make_data(n, seed):
    rng = random.Random(seed)
    w_true = [rng.uniform(-2, 2) for _ in range(DIM)]
    xs, ys = [], []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in range(DIM)]
        y = sum(w * xi for w, xi in zip(w_true, x)) + 0.5 * math.sin(2 * x[0]) + rng.gauss(0, 0.3)
        xs.append(x)
        ys.append(y)
    return xs, ys


def mse(w, b, xs, ys):
    return sum((sum(wi * xi for wi, xi in zip(w, x)) + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--momentum", type=float, default=0.0)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    with open(os.environ["AUTOML_PARAMS"]) as f:
        params = json.load(f)
    l2 = float(params.get("l2", 0.0))
    batch = int(params.get("batch_size", 32))

    start = int(float(os.environ.get("AUTOML_RESOURCE_FROM", "0")))
    end = int(float(os.environ.get("AUTOML_RESOURCE_TO", "0"))) or args.epochs
    ckpt_dir = os.environ.get("AUTOML_CHECKPOINT_DIR", "")
    ckpt = os.path.join(ckpt_dir, "state.json") if ckpt_dir else ""

    xs, ys = make_data(1200, seed=0)  # the task is fixed; the trial seed only shuffles
    train, val = (xs[:1000], ys[:1000]), (xs[1000:], ys[1000:])
    rng = random.Random(int(os.environ.get("AUTOML_SEED", "0")))
    w, b, vw, vb = [0.0] * DIM, 0.0, [0.0] * DIM, 0.0
    if start > 0:
        # Continuing a promoted trial: without its state, epochs start+1..
        # would train a fresh model under the wrong numbers, so refuse.
        if not ckpt or not os.path.exists(ckpt):
            print(f"asked to resume at epoch {start} but there is no checkpoint in AUTOML_CHECKPOINT_DIR", file=sys.stderr)
            return 2
        with open(ckpt) as f:
            s = json.load(f)
        if s["epoch"] != start:
            print(f"asked to resume at epoch {start} but the checkpoint holds epoch {s['epoch']}", file=sys.stderr)
            return 2
        w, b, vw, vb = s["w"], s["b"], s["vw"], s["vb"]
        rng.setstate((s["rng"][0], tuple(s["rng"][1]), s["rng"][2]))
        print(f"resumed from epoch {s['epoch']}", file=sys.stderr)
    print(f"training epochs {start + 1}..{end}: lr={args.lr} momentum={args.momentum} l2={l2} batch={batch}")

    for epoch in range(start + 1, end + 1):
        order = list(range(len(train[0])))  # a fresh permutation: the rng alone carries state
        rng.shuffle(order)
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            gw, gb = [0.0] * DIM, 0.0
            for j in idx:
                x, y = train[0][j], train[1][j]
                err = sum(wi * xi for wi, xi in zip(w, x)) + b - y
                for k in range(DIM):
                    gw[k] += 2 * err * x[k] / len(idx)
                gb += 2 * err / len(idx)
            for k in range(DIM):
                vw[k] = args.momentum * vw[k] - args.lr * (gw[k] + 2 * l2 * w[k])
                w[k] += vw[k]
            vb = args.momentum * vb - args.lr * gb
            b += vb
        val_loss = mse(w, b, *val)
        if not math.isfinite(val_loss):
            print(f"diverged at epoch {epoch}", file=sys.stderr)
            return 2
        if ckpt:
            with open(ckpt + ".tmp", "w") as f:
                json.dump({"epoch": epoch, "w": w, "b": b, "vw": vw, "vb": vb, "rng": rng.getstate()}, f)
            os.replace(ckpt + ".tmp", ckpt)
        print(json.dumps({"step": epoch, "val_loss": val_loss, "train_loss": mse(w, b, *train)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
