#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks training with train.precision: bf16 against PyTorch.

Makes a classification problem large enough that every product of the
network goes to oneDNN (1024 samples, 196-128-64-10, inline weights,
full-batch SGD) and trains it with nnrun in bf16 and in float32. It
compares them with PyTorch in two ways.

The first update of the weights, element by element (a loss is an average
in which rounding cancels; an update is not), relative to the largest
update of its layer:
- nn bf16 against float64 with the two operands of every product rounded
  to bfloat16 (the forward product and both backward ones) and all other
  arithmetic in float64, the mathematics nn's bf16 path claims: within
  1e-4, float32's rounding of the sums and of the other steps;
- nn float32 against plain float64: within 1e-4 likewise;
- nn bf16 against plain float64: more than 1e-3 apart, or the products
  were not in bf16.

The loss history over 30 epochs:
- against PyTorch's own mixed precision, torch.autocast(dtype=bfloat16) on
  a float32 model, as Lightning's precision="bf16-mixed": it rounds the
  same operands, and also each product's result, to bfloat16. Each of those
  roundings is within 2^-9 relative (half a unit in the last place of an
  8-bit significand) and the loss, through three layers over the epochs,
  moves by a few of them: the tolerance is 8 · 2^-8 = 3.1e-2 relative;
- against the float64 run with bf16 operands: within RTOL (1e-3, as the
  float32 reference tests against float64).

Usage: torch_bf16.py NNRUN [RTOL]
Exit status 0 when all hold, 1 when one does not, 77 (skipped) when this
build or CPU has no bf16.
"""
import csv
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import read_safetensors  # noqa: E402

N, WIDTHS, CLASSES, EPOCHS, LR = 1024, [196, 128, 64], 10, 30, 0.2
AUTOCAST_RTOL = 8 * 2.0 ** -8


def problem():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(N, WIDTHS[0], generator=g).float()
    teacher = torch.randn(WIDTHS[0], CLASSES, generator=g)
    labels = (torch.tanh(x @ teacher / 8) + 0.3 * torch.randn(N, CLASSES, generator=g)).argmax(1)
    weights, fan_in = [], WIDTHS[0]
    for units in WIDTHS[1:] + [CLASSES]:
        limit = (6.0 / (fan_in + units)) ** 0.5
        w = ((torch.rand(units, fan_in, generator=g) * 2 - 1) * limit).float()
        b = ((torch.rand(units, generator=g) * 2 - 1) * 0.1).float()
        weights.append((w, b))
        fan_in = units
    return x, labels, weights


def write_experiment(directory, x, labels, weights, precision, epochs):
    data = os.path.join(directory, "data.csv")
    with open(data, "w") as f:
        f.write(",".join(f"x{i}" for i in range(WIDTHS[0])) + ",label\n")
        for row, label in zip(x.tolist(), labels.tolist()):
            f.write(",".join(repr(v) for v in row) + f",c{label}\n")
    lines = ["seed: 1",
             "data:",
             "  source: {csv: data.csv, target: label}",
             "  task: multiclass",
             "  scale: none",
             "model:",
             "  layers:"]
    for i, (w, b) in enumerate(weights):
        act = "softmax" if i == len(weights) - 1 else "relu"
        lines += [f"    - units: {w.shape[0]}",
                  f"      activation: {act}",
                  "      weights: [" + ", ".join(
                      "[" + ", ".join(repr(v) for v in r) + "]" for r in w.tolist()) + "]",
                  "      bias: [" + ", ".join(repr(v) for v in b.tolist()) + "]"]
    lines += ["loss: categorical_crossentropy",
              f"optimizer: {{name: sgd, learning_rate: {LR}}}",
              f"train: {{epochs: {epochs}, batch_size: 0, precision: {precision}}}"]
    path = os.path.join(directory, f"{precision}-{epochs}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def bf16(t):
    return t.to(torch.bfloat16).to(t.dtype)


class Bf16Linear(torch.autograd.Function):
    """z = x Wᵀ + b with the operands of all three products in bf16."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return bf16(x) @ bf16(w).T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return bf16(g) @ bf16(w), bf16(g).T @ bf16(x), g.sum(0)


def torch_history(x, labels, weights, mode, epochs=EPOCHS):
    dtype = torch.float32 if mode == "autocast" else torch.float64
    params = [(w.to(dtype).clone().requires_grad_(), b.to(dtype).clone().requires_grad_())
              for w, b in weights]
    opt = torch.optim.SGD([p for pair in params for p in pair], lr=LR, foreach=False)
    x = x.to(dtype)
    history = []
    for _ in range(epochs):
        opt.zero_grad()
        h = x
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "autocast"):
            for i, (w, b) in enumerate(params):
                if mode == "bf16-operands":
                    h = Bf16Linear.apply(h, w, b)
                else:
                    h = torch.nn.functional.linear(h, w, b)
                if i < len(params) - 1:
                    h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h.to(dtype), labels)
        loss.backward()
        opt.step()
        history.append(loss.item())
    return history, [w.detach().to(torch.float64) for w, _ in params]


def nn_history(nnrun, directory, x, labels, weights, precision, epochs=EPOCHS):
    """The loss history and the final weights of each layer."""
    path = write_experiment(directory, x, labels, weights, precision, epochs)
    out = os.path.join(directory, f"run-{precision}-{epochs}")
    subprocess.run([nnrun, "train", path, "--quiet", "--out", out], check=True)
    with open(os.path.join(out, "history.csv")) as f:
        history = [float(r["loss"]) for r in csv.DictReader(f)]
    tensors, _ = read_safetensors.read(os.path.join(out, "model.safetensors"))
    final = [torch.tensor(tensors[f"layers.{i}.weight"][0].astype("float64"))
             for i in range(len(weights))]
    return history, final


def worst(a, b):
    return max(abs(p - q) / abs(q) for p, q in zip(a, b))


def worst_update(got, expected, weights):
    """The largest difference of two first updates, relative to the largest
    update of each layer."""
    return max(((g - w0.double()) - (e - w0.double())).abs().max().item() /
               (e - w0.double()).abs().max().item()
               for g, e, (w0, _) in zip(got, expected, weights))


def main():
    nnrun = sys.argv[1]
    rtol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3
    probe = subprocess.run([nnrun, "bench", "w1", "--epochs", "1", "--precision", "bf16"],
                           capture_output=True, text=True)
    if probe.returncode == 2 and "not available" in probe.stderr:
        print("skipped:", probe.stderr.strip().splitlines()[0])
        return 77
    x, labels, weights = problem()
    torch.manual_seed(0)
    _, exact1 = torch_history(x, labels, weights, "float64", 1)
    _, emulated1 = torch_history(x, labels, weights, "bf16-operands", 1)
    exact, _ = torch_history(x, labels, weights, "float64")
    emulated, _ = torch_history(x, labels, weights, "bf16-operands")
    autocast, _ = torch_history(x, labels, weights, "autocast")
    with tempfile.TemporaryDirectory() as d:
        _, nn32_1 = nn_history(nnrun, d, x, labels, weights, "float32", 1)
        _, nn16_1 = nn_history(nnrun, d, x, labels, weights, "bf16", 1)
        nn16, _ = nn_history(nnrun, d, x, labels, weights, "bf16")
    checks = [
        ("first update, nn bf16 against float64 with bf16 operands",
         worst_update(nn16_1, emulated1, weights), "<=", 1e-4),
        ("first update, nn float32 against float64",
         worst_update(nn32_1, exact1, weights), "<=", 1e-4),
        ("first update, nn bf16 against float64 (must differ)",
         worst_update(nn16_1, exact1, weights), ">", 1e-3),
        ("loss, nn bf16 against PyTorch bf16 autocast", worst(nn16, autocast), "<=",
         AUTOCAST_RTOL),
        ("loss, nn bf16 against float64 with bf16 operands", worst(nn16, emulated), "<=", rtol),
    ]
    print(f"{EPOCHS} epochs, loss {exact[0]:.6g} -> {exact[-1]:.6g} (float64), "
          f"{nn16[-1]:.6g} (nn bf16), {autocast[-1]:.6g} (autocast)")
    ok = True
    for name, value, op, bound in checks:
        good = value <= bound if op == "<=" else value > bound
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {name}: max relative difference {value:.3e} "
              f"({op} {bound:.3g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
