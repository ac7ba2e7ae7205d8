#!/usr/bin/env python3
"""A training program for automl's exec trainer, standard library only.

It fits a linear model to a fixed synthetic regression task by minibatch
SGD with momentum and L2, and follows the exec trainer's contract through
clients/python/automl_trial.py (copy that file beside your own script, or
put its directory on PYTHONPATH):

- parameters: --lr and --momentum come templated into the command line
  ("{lr}"); l2 and batch_size come from trial.params();
- metrics: trial.report(epoch, val_loss=...) prints the JSON line automl
  records; every other line (on stdout or stderr) is the trial's log;
- span and checkpoints: it trains the epochs trial.resource_span() names
  (or --epochs when the job has none), saves its state to
  trial.checkpoint_dir() after each epoch, and resumes from it; asked to
  resume without a checkpoint of the span's start, it fails rather than
  train a fresh model under continued epoch numbers;
- stop: once trial.should_stop() (a prune, a stop, a timeout) it returns
  after saving the epoch it finished.
"""
import argparse
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import automl_trial as trial  # noqa: E402

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
    params = trial.params(defaults={"l2": 1e-4, "batch_size": 32})
    l2 = float(params.get("l2", 0.0))
    batch = int(params.get("batch_size", 32))

    start, end = trial.resource_span(default_end=args.epochs)
    ckpt_dir = trial.checkpoint_dir()
    ckpt = os.path.join(ckpt_dir, "state.json") if ckpt_dir else ""

    xs, ys = make_data(1200, seed=0)  # the task is fixed; the trial seed only shuffles
    train, val = (xs[:1000], ys[:1000]), (xs[1000:], ys[1000:])
    rng = random.Random(trial.seed())
    w, b, vw, vb = [0.0] * DIM, 0.0, [0.0] * DIM, 0.0
    if start > 0:
        # Continuing a promoted trial: without its state, epochs start+1..
        # would train a fresh model under the wrong numbers, so refuse.
        if not ckpt or not os.path.exists(ckpt):
            print(f"asked to resume at epoch {start} but there is no checkpoint in {ckpt_dir}", file=sys.stderr)
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
        trial.report(epoch, val_loss=val_loss, train_loss=mse(w, b, *train))
        if trial.should_stop():
            print(f"stopped after epoch {epoch}", file=sys.stderr)
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
