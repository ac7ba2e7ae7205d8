#!/usr/bin/python3
"""Write one benchmark data set as a CSV with a `split` column.

    gen_data.py NAME SEED OUT.csv

NAME is a file of testdata/datasets (breast_cancer, wine, iris, sonar,
abalone, wine_quality), `digits` (scikit-learn's bundled load_digits, no
network), `adultlike` (50,000 rows like the UCI Adult census data) or
`regress100k` (100,000 rows, regression). Rows are split 60/20/20 into
train/val/test with SEED (stratified for classification); adultlike and
regress100k are also drawn from SEED. Both sides of the benchmark read the
file this writes: the same rows, the same split.
"""
import os
import sys

import numpy as np
import csv
from sklearn.model_selection import train_test_split

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CLASSIFICATION = {"breast_cancer", "wine", "iris", "sonar", "digits", "adultlike"}


def adultlike(seed, n=50_000):
    """Adult-like rows: numeric columns with heavy tails and a point mass at
    0 (capital_gain, capital_loss), low- and high-cardinality categoricals
    (native_country: 42 levels, Zipf-like), about 5% '?' in workclass,
    occupation and native_country, and a binary target drawn from a
    nonlinear rule (Bernoulli of a logistic, so the Bayes accuracy is
    E[max(p, 1-p)], printed on stderr)."""
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(17 + rng.gamma(3.0, 7.0, n)), 17, 90)
    edu = np.clip(np.round(rng.normal(10, 2.6, n)), 1, 16)
    hours = np.clip(np.round(rng.normal(40, 12, n)), 1, 99)
    fnlwgt = np.round(np.exp(rng.normal(12.0, 0.6, n)))
    gain = np.where(rng.random(n) < 0.085, np.round(np.exp(rng.normal(8.3, 1.1, n))), 0)
    gain = np.where(rng.random(n) < 0.005, 99999, gain)
    loss = np.where(rng.random(n) < 0.047, np.round(rng.normal(1850, 350, n)), 0).clip(0)
    work = rng.choice(8, n, p=[.70, .08, .06, .04, .04, .04, .03, .01])
    occ = rng.integers(0, 14, n)
    marital = rng.choice(7, n, p=[.46, .33, .14, .03, .02, .015, .005])
    rel = np.where(marital == 0, rng.choice([0, 1], n, p=[.88, .12]), rng.integers(2, 6, n))
    race = rng.choice(5, n, p=[.85, .10, .03, .01, .01])
    sex = np.where(rel == 1, 1, rng.choice(2, n, p=[.62, .38]))
    zipf = 1.0 / np.arange(1, 42) ** 1.6
    country = np.where(rng.random(n) < 0.90, 0, 1 + rng.choice(41, n, p=zipf / zipf.sum()))
    # the rule
    occ_eff = np.array([1.0, 0.9, -0.9, 0.5, -0.6, -1.2, 0.2, -0.3, 0.0, -1.5, 0.7, -0.2, 0.3, -0.8])
    work_eff = np.array([0.0, 0.4, 0.5, -0.2, 0.2, -0.6, 0.3, -1.0])
    ctry_eff = np.zeros(42)
    ctry_eff[1:] = rng.normal(-0.4, 0.8, 41)
    married = marital == 0
    z = (-3.1 + 1.9 * married + 0.9 * (married & (edu >= 13))
         - 0.0016 * (age - 47) ** 2 + 0.05 * (age - 40) * (~married)
         + 0.33 * (edu - 10) + 0.35 * np.log1p(np.maximum(edu - 12, 0)) * married
         + 0.028 * (hours - 40) - 0.0004 * np.maximum(hours - 50, 0) ** 2
         + occ_eff[occ] + work_eff[work] + ctry_eff[country]
         + 0.25 * (sex == 0) - 0.2 * (race == 1)
         + np.where(gain > 7000, 4.5, np.where(gain > 3000, 0.8, np.where(gain > 0, -0.8, 0)))
         + np.where((loss > 1700) & (loss < 2300), 1.8, np.where(loss > 0, -0.5, 0)))
    p = 1 / (1 + np.exp(-z))
    y = (rng.random(n) < p).astype(int)
    print(f"adultlike seed {seed}: positive rate {y.mean():.3f}, Bayes accuracy {np.maximum(p, 1 - p).mean():.4f}",
          file=sys.stderr)
    names = lambda pre, k: np.array([f"{pre}{i}" for i in range(k)], dtype=object)
    df = {
        "age": age.astype(int), "workclass": names("work", 8)[work], "fnlwgt": fnlwgt.astype(int),
        "education_num": edu.astype(int), "marital_status": names("ms", 7)[marital],
        "occupation": names("occ", 14)[occ], "relationship": names("rel", 6)[rel],
        "race": names("race", 5)[race], "sex": np.where(sex == 0, "Male", "Female"),
        "capital_gain": gain.astype(int), "capital_loss": loss.astype(int), "hours_per_week": hours.astype(int),
        "native_country": names("c", 42)[country],
        "target": np.where(y == 1, ">50K", "<=50K"),
    }
    for col, rate in (("workclass", 0.055), ("occupation", 0.057), ("native_country", 0.018)):
        df[col] = np.where(rng.random(n) < rate, "?", df[col])
    return df


def regress100k(seed, n=100_000):
    """Friedman #1 on 10 uniform columns (5 informative) plus a lognormal
    column with a log effect, a 12-level categorical with its own offsets
    and about 3% missing values in two columns; Gaussian noise, sd 1."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 10))
    inc = np.exp(rng.normal(10, 1, n))
    cat = rng.integers(0, 12, n)
    off = rng.normal(0, 2, 12)
    y = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3] + 5 * x[:, 4]
         + 1.5 * (np.log(inc) - 10) + off[cat] + rng.normal(0, 1, n))
    df = {f"x{i}": x[:, i].round(5) for i in range(10)}
    df["income"] = inc.round(2)
    df["group"] = np.array([f"g{c}" for c in cat], dtype=object)
    df["target"] = y.round(5)
    for col in ("x5", "income"):
        df[col] = np.where(rng.random(n) < 0.03, "?", df[col].astype(object))
    return df


def load(name, seed):
    if name == "adultlike":
        return adultlike(seed)
    if name == "regress100k":
        return regress100k(seed)
    if name == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        df = {f"p{i}": d.data[:, i].astype(int) for i in range(64)}
        df["target"] = np.array([f"d{t}" for t in d.target], dtype=object)
        return df
    with open(os.path.join(ROOT, "testdata", "datasets", name + ".csv"), newline="") as f:
        rows = list(csv.reader(f))
    return {h: np.array([r[i] for r in rows[1:]], dtype=object) for i, h in enumerate(rows[0])}


def main():
    name, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    df = load(name, seed)
    strat = df["target"] if name in CLASSIFICATION else None
    n = len(df["target"])
    idx = np.arange(n)
    tr, rest = train_test_split(idx, test_size=0.4, random_state=seed, stratify=strat)
    va, te = train_test_split(rest, test_size=0.5, random_state=seed,
                              stratify=None if strat is None else strat[rest])
    split = np.empty(n, dtype=object)
    split[tr], split[va], split[te] = "train", "val", "test"
    df["split"] = split
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(df))
        w.writerows(zip(*df.values()))


if __name__ == "__main__":
    main()
