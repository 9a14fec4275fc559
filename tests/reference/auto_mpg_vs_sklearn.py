#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""configs/auto-mpg.yaml against scikit-learn's MLPClassifier on the same
split, preprocessing and architecture (32 ReLU units, softmax, Adam at
0.01, batches of 16, 100 epochs, no penalty): the mean test accuracy over
seeds 1 to 10 of each is within one point of the other's. One seed's
accuracy moves by two to three points with the initial weights, in both;
the mean of ten is what the two can be held to.

    auto_mpg_vs_sklearn.py NNRUN CONFIG
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower",
           "Weight_in_lbs", "Acceleration"]
SEEDS = range(1, 11)


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    numeric = np.array([[float(r[c]) if r[c] != "" else np.nan for c in NUMERIC] for r in rows])
    year = np.array([[r["Year"]] for r in rows], dtype=object)
    return numeric, year, np.array([r["Origin"] for r in rows])


def sklearn_accuracies(data_dir):
    xn, xc, y = load(os.path.join(data_dir, "auto-mpg-train.csv"))
    tn, tc, ty = load(os.path.join(data_dir, "auto-mpg-test.csv"))
    imputer = SimpleImputer(strategy="median").fit(xn)
    scaler = StandardScaler().fit(imputer.transform(xn))
    encoder = OneHotEncoder(handle_unknown="ignore").fit(xc)
    x = np.hstack([scaler.transform(imputer.transform(xn)), encoder.transform(xc).toarray()])
    t = np.hstack([scaler.transform(imputer.transform(tn)), encoder.transform(tc).toarray()])
    accuracies = []
    for seed in SEEDS:
        model = MLPClassifier(hidden_layer_sizes=(32,), solver="adam", learning_rate_init=0.01,
                              batch_size=16, max_iter=100, alpha=0.0, n_iter_no_change=1000,
                              random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x, y)
        accuracies.append(model.score(t, ty))
    return accuracies


def nn_accuracies(nnrun, config):
    accuracies = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SEEDS:
            run = os.path.join(tmp, str(seed))
            subprocess.run([nnrun, "train", config, "--quiet", "--out", run,
                            "--set", f"seed={seed}"], check=True)
            with open(os.path.join(run, "summary.json")) as f:
                accuracies.append(json.load(f)["final"]["test"]["accuracy"])
    return accuracies


def main():
    nnrun, config = sys.argv[1], sys.argv[2]
    ours = nn_accuracies(nnrun, config)
    theirs = sklearn_accuracies(os.path.join(os.path.dirname(config), "data"))
    print("nn      ", " ".join(f"{a:.4f}" for a in ours), f"mean {statistics.mean(ours):.4f}")
    print("sklearn ", " ".join(f"{a:.4f}" for a in theirs), f"mean {statistics.mean(theirs):.4f}")
    difference = abs(statistics.mean(ours) - statistics.mean(theirs))
    if difference > 0.01:
        print(f"the mean test accuracies differ by {100 * difference:.2f} points, more than 1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
