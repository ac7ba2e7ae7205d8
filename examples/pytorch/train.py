#!/usr/bin/env python3
"""A PyTorch training script for automl's exec trainer.

It trains a multilayer perceptron on a fixed synthetic task (two
interleaved spirals in 2-D plus 6 noise features, 2000 points) and follows
the exec trainer's contract through clients/python/automl_trial.py (copy
that file beside your own script, or put its directory on PYTHONPATH):

- every hyperparameter comes from trial.params();
- trial.report(epoch, val_loss=..., val_accuracy=..., train_loss=...) after
  each epoch; anything else printed is the trial's log;
- it trains the epochs trial.resource_span() names (or --epochs when the job
  has no span), saves model, optimizer and RNG state to
  trial.checkpoint_dir()/checkpoint.pt after every epoch, and resumes from
  it when the span starts after 0; once trial.should_stop() it returns;
- it uses the GPU in CUDA_VISIBLE_DEVICES when there is one.

Needs Debian's python3-torch (or any PyTorch >= 1.13).
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import automl_trial as trial  # noqa: E402
import torch  # noqa: E402
from torch import nn


def spirals(n, noise_dims, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * 3 * math.pi + 0.5
    label = torch.randint(0, 2, (n,), generator=g)
    sign = label.float() * 2 - 1
    x = torch.stack([sign * t * torch.cos(t), sign * t * torch.sin(t)], dim=1) / 5
    x = x + 0.15 * torch.randn(n, 2, generator=g)
    x = torch.cat([x, torch.randn(n, noise_dims, generator=g)], dim=1)
    return x, label


def build(params, inputs):
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}[params.get("activation", "relu")]
    layers, width = [], inputs
    for _ in range(int(params.get("layers", 2))):
        layers += [nn.Linear(width, int(params.get("units", 64))), act(), nn.Dropout(float(params.get("dropout", 0.0)))]
        width = int(params.get("units", 64))
    layers.append(nn.Linear(width, 2))
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    params = trial.params(defaults={"lr": 1e-3})
    start, end = trial.resource_span(default_end=args.epochs)
    ckpt_dir = trial.checkpoint_dir()
    ckpt = os.path.join(ckpt_dir, "checkpoint.pt") if ckpt_dir else ""
    torch.manual_seed(trial.seed())
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    x, y = spirals(2000, noise_dims=6, seed=0)  # the task is fixed; the trial seed drives training
    xtr, ytr, xva, yva = x[:1600].to(device), y[:1600].to(device), x[1600:].to(device), y[1600:].to(device)
    model = build(params, x.shape[1]).to(device)
    lr, wd = float(params["lr"]), float(params.get("weight_decay", 0.0))
    if params.get("optimizer", "adam") == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    if start > 0 and ckpt and os.path.exists(ckpt):
        state = torch.load(ckpt, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        print(f"resumed from epoch {state['epoch']}", file=sys.stderr)
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} params={json.dumps(params)}")

    loss_fn = nn.CrossEntropyLoss()
    batch = int(params.get("batch_size", 64))
    t0 = time.time()
    for epoch in range(start + 1, end + 1):
        model.train()
        perm = torch.randperm(len(xtr)).to(device)
        total = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            out = model(xva)
            val_loss = loss_fn(out, yva).item()
            val_acc = (out.argmax(1) == yva).float().mean().item()
        if not math.isfinite(val_loss):
            print(f"diverged at epoch {epoch}", file=sys.stderr)
            return 2
        if ckpt:
            torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
                        "rng": torch.get_rng_state()}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
        trial.report(epoch, val_loss=val_loss, val_accuracy=val_acc, train_loss=total / len(xtr))
        if trial.should_stop():
            print(f"stopped after epoch {epoch}", file=sys.stderr)
            break
    print(f"trained epochs {start + 1}..{end} in {time.time() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
