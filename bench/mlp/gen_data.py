#!/usr/bin/python3
"""Writes the benchmark data set both sides read: scikit-learn's
make_classification(n_samples=N, n_features=20, n_informative=10,
random_state=42), split 80/20 (stratified, random_state=42), standardised
with the training rows' statistics. Columns x01..x20, split (train/test),
target (0/1)."""
import sys

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

n, out = int(sys.argv[1]), sys.argv[2]
X, y = make_classification(n_samples=n, n_features=20, n_informative=10, random_state=42)
idx = np.arange(n)
tr, te = train_test_split(idx, test_size=0.2, random_state=42, stratify=y)
scaler = StandardScaler().fit(X[tr])
X = scaler.transform(X)
split = np.empty(n, dtype=object)
split[tr], split[te] = "train", "test"
with open(out, "w") as f:
    f.write(",".join(f"x{j + 1:02d}" for j in range(20)) + ",split,target\n")
    for i in range(n):
        f.write(",".join(f"{v:.8g}" for v in X[i]) + f",{split[i]},{y[i]}\n")
