#!/usr/bin/python3
"""Writes the data set both sides of the mlp accuracy-vs-params benchmark
read: testdata/datasets/breast_cancer.csv (569 rows, 30 features, target
M or B) split 60/20/20 into train, val and test (stratified,
random_state=0), every feature standardised with the training rows'
statistics, as one CSV with a split column (train/val/test).

    data.py OUT.csv
"""
import sys

import numpy as np
from sklearn.model_selection import train_test_split

SRC = "testdata/datasets/breast_cancer.csv"
with open(SRC) as f:
    header = f.readline().strip().split(",")
raw = np.loadtxt(SRC, delimiter=",", skiprows=1, dtype=str)
ti = header.index("target")
feat = [i for i in range(len(header)) if i != ti]
X, y = raw[:, feat].astype(np.float64), raw[:, ti]
idx = np.arange(len(y))
tr, rest = train_test_split(idx, test_size=0.4, random_state=0, stratify=y)
va, te = train_test_split(rest, test_size=0.5, random_state=0, stratify=y[rest])
mu, sd = X[tr].mean(0), X[tr].std(0)
X = (X - mu) / sd
split = np.empty(len(y), dtype=object)
split[tr], split[va], split[te] = "train", "val", "test"
with open(sys.argv[1], "w") as f:
    f.write(",".join(header[i] for i in feat) + ",split,target\n")
    for i in range(len(y)):
        f.write(",".join(f"{v:.8g}" for v in X[i]) + f",{split[i]},{y[i]}\n")
