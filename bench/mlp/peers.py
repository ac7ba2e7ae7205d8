#!/usr/bin/python3
"""Trains the benchmark MLP with PyTorch or scikit-learn on the CSV written
by gen_data.py and prints one JSON line: per-epoch training times (seconds)
and test accuracy.

  peers.py torch|sklearn CSV --hidden 64,64 --batch 32 --epochs 10 --lr 1e-3 --threads 1 --seed 1
"""
import argparse
import json
import os
import time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("side", choices=["torch", "sklearn"])
p.add_argument("csv")
p.add_argument("--hidden", default="64,64")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--epochs", type=int, default=10)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
hidden = [int(h) for h in a.hidden.split(",")]

with open(a.csv) as f:
    header = f.readline().strip().split(",")
raw = np.loadtxt(a.csv, delimiter=",", skiprows=1, dtype=str)
split = raw[:, header.index("split")]
feat = [i for i, h in enumerate(header) if h not in ("split", "target")]
X = raw[:, feat].astype(np.float64).astype(np.float32)
y = raw[:, header.index("target")].astype(np.float32)
tr, te = split == "train", split == "test"
Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]

out = {"side": a.side, "threads": a.threads, "seed": a.seed}
if a.side == "torch":
    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    layers, d = [], Xtr.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
        d = h
    layers.append(torch.nn.Linear(d, 1))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    lossf = torch.nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(Xtr), torch.from_numpy(ytr).unsqueeze(1)
    times = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(xt.shape[0])
        for i in range(0, xt.shape[0], a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad()
            loss = lossf(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    with torch.no_grad():
        pred = (model(torch.from_numpy(Xte)).squeeze(1) > 0).numpy().astype(np.float32)
    out["torch_version"] = torch.__version__
else:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = MLPClassifier(hidden_layer_sizes=tuple(hidden), activation="relu", solver="adam", alpha=0.0,
                        batch_size=a.batch, learning_rate_init=a.lr, max_iter=a.epochs, shuffle=True,
                        random_state=a.seed, tol=0.0, n_iter_no_change=a.epochs + 1)
    t0 = time.perf_counter()
    clf.fit(Xtr, ytr)
    total = time.perf_counter() - t0
    times = [total / clf.n_iter_] * clf.n_iter_  # fit() does not time epochs one by one
    pred = clf.predict(Xte)
out["epoch_times"] = times
out["test_accuracy"] = float((pred == yte).mean())
out["threads_env"] = os.environ.get("OMP_NUM_THREADS")
print(json.dumps(out))
