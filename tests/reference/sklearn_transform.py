#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nn's imputation, one-hot encoding and scaling against scikit-learn's.

Usage: sklearn_transform.py TRANSFORM_DUMP EXPERIMENT.yaml

TRANSFORM_DUMP prints the training, validation and test features of the
experiment as nn prepares them. The same CSV files go through a
ColumnTransformer of, per column in the file's order, a SimpleImputer and a
StandardScaler (numeric columns) or a SimpleImputer and a
OneHotEncoder(handle_unknown='ignore') (categorical ones), fitted on the
training rows; the matrices must agree to 1e-6. The experiment splits
without shuffling, so its training rows are the first ones.
"""
import os
import subprocess
import sys

try:
    import csv
    import numpy as np
    import yaml
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)


def read_dump(dump, experiment):
    out = subprocess.run([dump, experiment], check=True, capture_output=True, text=True).stdout
    parts = {}
    lines = out.splitlines()
    i = 0
    while i < len(lines):
        name, rows, cols = lines[i].split()
        rows, cols = int(rows), int(cols)
        parts[name] = np.array([[float(v) for v in lines[i + 1 + r].split(",")]
                                for r in range(rows)]).reshape(rows, cols)
        i += 1 + rows
    return parts


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def read_table(path, missing):
    """The columns of a CSV file as pandas would read them: a column of
    numbers as floats, any other as text; missing values NaN."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    columns = {}
    for c, name in enumerate(header):
        cells = [row[c] for row in rows]
        values = [c for c in cells if c not in missing]
        numeric = all(number(v) is not None for v in values)
        columns[name] = [np.nan if v in missing else (float(v) if numeric else v) for v in cells]
    return header, columns


def matrix(header, columns, target):
    names = [n for n in header if n != target]
    return np.array([columns[n] for n in names], dtype=object).T


def transformer(spec, header, columns):
    data = spec["data"]
    rules = data.get("columns", {})
    target = data["source"]["target"]
    steps = []
    for index, name in enumerate(n for n in header if n != target):
        rule = rules.get(name, {})
        text = any(isinstance(v, str) for v in columns[name])
        categorical = text or rule == "categorical"
        impute = rule.get("impute") if isinstance(rule, dict) else None
        if isinstance(impute, dict):
            imputer = SimpleImputer(strategy="constant", fill_value=impute["constant"])
        elif impute is not None:
            imputer = SimpleImputer(strategy=impute)
        else:
            imputer = SimpleImputer(strategy="most_frequent")
        if categorical:
            step = make_pipeline(imputer, OneHotEncoder(handle_unknown="ignore",
                                                        sparse_output=False))
        else:
            step = make_pipeline(imputer, StandardScaler())
        steps.append((name, step, [index]))
    return ColumnTransformer(steps)


def main():
    dump, experiment = sys.argv[1], sys.argv[2]
    with open(experiment) as f:
        spec = yaml.safe_load(f)
    base = os.path.dirname(experiment)
    missing = spec["data"].get("missing", ["", "NA"])
    target = spec["data"]["source"]["target"]
    header, columns = read_table(os.path.join(base, spec["data"]["source"]["csv"]), missing)
    test_header, test_columns = read_table(os.path.join(base, spec["data"]["test"]["csv"]),
                                           missing)
    x, x_test = matrix(header, columns, target), matrix(test_header, test_columns, target)
    ct = transformer(spec, header, columns)
    nn = read_dump(dump, experiment)
    n_train = nn["train"].shape[0]
    ct.fit(x[:n_train])
    failed = False
    for name, part in (("train", x[:n_train]), ("validation", x[n_train:]), ("test", x_test)):
        want = ct.transform(part).astype(float)
        got = nn[name]
        if got.shape != want.shape or not np.allclose(got, want, rtol=0, atol=1e-6):
            failed = True
            print(f"{name}: nn and scikit-learn differ")
            print("nn:\n", np.array2string(got, precision=6, max_line_width=200))
            print("sklearn:\n", np.array2string(want, precision=6, max_line_width=200))
        else:
            print(f"{name}: {got.shape[0]} × {got.shape[1]} agree, largest difference "
                  f"{np.abs(got - want).max():.2e}")
    sys.exit(1 if failed else 0)


main()
