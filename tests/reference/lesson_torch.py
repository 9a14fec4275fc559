#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The lesson network in PyTorch float64, as an independent check of nn.

Trains the network of configs/lesson.yaml (4-2-1 sigmoid, the lesson's
initial weights, binary cross-entropy for setosa vs the rest, per-feature
min-max scaling, full-batch gradient descent with learning rate 0.1) and
compares its loss per epoch with the `loss` column of a history.csv.

Usage: lesson_torch.py IRIS_CSV HISTORY_CSV RTOL
Exit status 0 when every epoch agrees within RTOL (relative), 1 otherwise.
"""
import csv
import sys

import torch


def main():
    iris_csv, history_csv, rtol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rows = list(csv.DictReader(open(iris_csv)))
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    x = torch.tensor([[float(r[n]) for n in names] for r in rows], dtype=torch.float64)
    y = torch.tensor([[1.0 if r["species"] == "setosa" else 0.0] for r in rows],
                     dtype=torch.float64)
    lo, hi = x.min(0).values, x.max(0).values
    x = (x - lo) / (hi - lo)

    hidden = torch.nn.Linear(4, 2).double()
    output = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        hidden.weight.copy_(torch.tensor([[0.49671415, -0.1382643, 0.64768854, 1.52302986],
                                          [-0.23415337, -0.23413696, 1.57921282, 0.76743473]]))
        hidden.bias.zero_()
        output.weight.copy_(torch.tensor([[-0.46947439, 0.54256004]]))
        output.bias.zero_()
    model = torch.nn.Sequential(hidden, torch.nn.Sigmoid(), output, torch.nn.Sigmoid())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.BCELoss()

    expected = []
    for _ in range(100):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        expected.append(loss.item())

    got = [float(r["loss"]) for r in csv.DictReader(open(history_csv))]
    if len(got) != len(expected):
        print(f"history has {len(got)} epochs, expected {len(expected)}")
        return 1
    worst = max(abs(g - e) / abs(e) for g, e in zip(got, expected))
    print(f"max relative difference over {len(got)} epochs: {worst:.3e} (tolerance {rtol:g})")
    print(f"first epochs: nn {got[:3]}  torch {expected[:3]}")
    return 0 if worst <= rtol else 1


if __name__ == "__main__":
    sys.exit(main())
