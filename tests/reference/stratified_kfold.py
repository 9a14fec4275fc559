#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nn's folds against scikit-learn's StratifiedKFold and KFold.

Usage: stratified_kfold.py FOLDS_PRINT

For random class labels and a random permutation, FOLDS_PRINT (which runs
nn_folds_assign on the rows in that order) must give every row the fold
that StratifiedKFold(shuffle=False) (KFold without classes) gives it on the
rows taken in the same order. Exit 77 without scikit-learn.
"""
import subprocess
import sys

try:
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold
except ImportError:
    print("scikit-learn is not installed: skipped")
    sys.exit(77)


def nn_folds(prog, n, k, classes, order):
    lines = [f"{n} {k} {0 if classes is None else int(classes.max()) + 1}"]
    if classes is not None:
        lines.append(" ".join(map(str, classes)))
    lines.append(" ".join(map(str, order)))
    out = subprocess.run([prog], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True).stdout
    return np.array([int(x) for x in out.split()])


def sklearn_folds(n, k, classes, order):
    fold = np.full(n, -1)
    X = np.zeros((n, 1))
    if classes is None:
        splits = KFold(n_splits=k).split(X)
    else:
        splits = StratifiedKFold(n_splits=k).split(X, classes[order])
    for f, (_, test) in enumerate(splits):
        fold[order[test]] = f
    return fold


def main():
    prog = sys.argv[1]
    rng = np.random.default_rng(17)
    cases = 0
    for _ in range(300):
        n_classes = int(rng.integers(0, 6))
        k = int(rng.integers(2, 8))
        if n_classes == 0:
            n = int(rng.integers(k, 60))
            classes = None
        else:
            # Unequal classes, each with at least k rows.
            sizes = rng.integers(k, k + 25, size=n_classes)
            classes = np.repeat(np.arange(n_classes), sizes)
            rng.shuffle(classes)
            n = len(classes)
        order = rng.permutation(n)
        ours = nn_folds(prog, n, k, classes, order)
        theirs = sklearn_folds(n, k, classes, order)
        if not np.array_equal(ours, theirs):
            print(f"case {cases}: n={n} k={k} classes={n_classes}")
            print("nn:     ", ours.tolist())
            print("sklearn:", theirs.tolist())
            sys.exit(1)
        cases += 1
    print(f"{cases} cases: the folds equal scikit-learn's")


main()
