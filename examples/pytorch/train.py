#!/usr/bin/env python3
"""A PyTorch training script for automl's exec trainer.

It trains a multilayer perceptron on a fixed synthetic task (two
interleaved spirals in 2-D plus 6 noise features, 2000 points) and follows
the exec trainer's contract:

- every hyperparameter is read from the JSON file AUTOML_PARAMS names;
- one JSON line per epoch on stdout: {"step", "val_loss", "val_accuracy",
  "train_loss"}; anything else printed is the trial's log;
- it trains epochs AUTOML_RESOURCE_FROM+1 .. AUTOML_RESOURCE_TO (or
  --epochs when the job has no span), saves model, optimizer and RNG state
  to AUTOML_CHECKPOINT_DIR/checkpoint.pt after every epoch, and resumes
  from it when AUTOML_RESOURCE_FROM > 0;
- it uses the GPU in CUDA_VISIBLE_DEVICES when there is one.

Needs Debian's python3-torch (or any PyTorch >= 1.13).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
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
    with open(os.environ["AUTOML_PARAMS"]) as f:
        params = json.load(f)
    start = int(float(os.environ.get("AUTOML_RESOURCE_FROM", "0")))
    end = int(float(os.environ.get("AUTOML_RESOURCE_TO", "0"))) or args.epochs
    ckpt_dir = os.environ.get("AUTOML_CHECKPOINT_DIR", "")
    ckpt = os.path.join(ckpt_dir, "checkpoint.pt") if ckpt_dir else ""
    torch.manual_seed(int(os.environ.get("AUTOML_SEED", "0")))
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
        print(json.dumps({"step": epoch, "val_loss": val_loss, "val_accuracy": val_acc,
                          "train_loss": total / len(xtr)}), flush=True)
    print(f"trained epochs {start + 1}..{end} in {time.time() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
