#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks an nnrun loss history against PyTorch in float64.

Runs `nnrun train EXPERIMENT` into a temporary directory, rebuilds the same
experiment with PyTorch (an implementation of the same mathematics that
shares no code with nn), trains it, and compares the `loss` column of
history.csv epoch by epoch.

It covers what makes such a check exact: every layer's weights given inline,
full-batch training (batch_size 0), no validation or test split, and a data
source of `iris` or a CSV file. Every built-in optimizer is mapped to its
torch.optim class with the same parameters.
A layer's `regularizer: {l1, l2}` adds `l1*W.abs().sum() +
l2*(W**2).sum()` of its weights to the loss, as a training loop with Keras'
`kernel_regularizer` semantics would. Class weights (train.class_weight)
and sample weights (data.source.weight) make the data loss
(w*l).sum()/w.sum() of the per-sample losses l.
Layers of `type: activation` are the activation on its own, and layers of
`type: batch_norm` are torch.nn.BatchNorm1d with the same momentum, eps and
affine. After training, the saved model's loss on the training data through
`nnrun eval` (evaluation mode: batch normalization by its running
statistics) is compared with PyTorch's in model.eval() mode.

Usage: torch_history.py NNRUN EXPERIMENT.yaml RTOL
Exit status: 0 if every epoch agrees within RTOL (relative), 1 if not,
2 if the experiment is outside what this check covers.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
IRIS = os.path.join(HERE, "..", "..", "libcore", "data", "iris.csv")
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


class Unsupported(Exception):
    pass


def named(spec):
    if isinstance(spec, dict):
        params = {k: v for k, v in spec.items() if k != "name"}
        return spec["name"], params
    return spec, {}


def activation(spec):
    name, p = named(spec)
    table = {
        "linear": lambda: torch.nn.Identity(),
        "sigmoid": lambda: torch.nn.Sigmoid(),
        "tanh": lambda: torch.nn.Tanh(),
        "relu": lambda: torch.nn.ReLU(),
        "leaky_relu": lambda: torch.nn.LeakyReLU(p.get("alpha", 0.01)),
        "elu": lambda: torch.nn.ELU(p.get("alpha", 1.0)),
        "softplus": lambda: torch.nn.Softplus(p.get("beta", 1.0), p.get("threshold", 20.0)),
        "softmax": lambda: torch.nn.Softmax(dim=1),
        "gelu": lambda: torch.nn.GELU(),
        "silu": lambda: torch.nn.SiLU(),
    }
    if name not in table:
        raise Unsupported(f"activation {name}")
    return table[name]()


def loss_function(spec):
    """The loss of each sample: a row's mean over its outputs for the
    element-wise losses."""
    name, p = named(spec)
    if name == "binary_crossentropy":
        return lambda pred, y: torch.nn.BCELoss(reduction="none")(pred, y).mean(1)
    if name == "categorical_crossentropy":
        # Probabilities in, as nn's loss takes the softmax output.
        return lambda pred, y: -(y * torch.log(pred)).sum(1)
    if name == "mean_squared_error":
        return lambda pred, y: torch.nn.MSELoss(reduction="none")(pred, y).mean(1)
    if name == "mean_absolute_error":
        return lambda pred, y: torch.nn.L1Loss(reduction="none")(pred, y).mean(1)
    if name == "huber":
        delta = p.get("delta", 1.0)
        return lambda pred, y: torch.nn.HuberLoss(reduction="none", delta=delta)(pred, y).mean(1)
    raise Unsupported(f"loss {name}")


def sample_weights(exp, source, rows, labels, y):
    """Class weight times sample weight of each sample, or None."""
    class_weight = exp.get("train", {}).get("class_weight")
    weight_column = source.get("weight") if isinstance(source, dict) else None
    if class_weight is None and weight_column is None:
        return None
    w = torch.ones(len(rows), dtype=torch.float64)
    if weight_column is not None:
        w = w * torch.tensor([float(r[weight_column]) for r in rows], dtype=torch.float64)
    if class_weight == "balanced":
        # scikit-learn: n_samples / (n_classes * count), over the classes the
        # network learns (1 and 0 for a binary task).
        if y.shape[1] == 1:
            learnt = [str(int(v)) for v in y[:, 0].tolist()]
        else:
            learnt = [str(int(i)) for i in y.argmax(1).tolist()]
        counts = {c: learnt.count(c) for c in set(learnt)}
        w = w * torch.tensor([len(learnt) / (len(counts) * counts[c]) for c in learnt],
                             dtype=torch.float64)
    elif class_weight is not None:
        mapping = {str(k): float(v) for k, v in class_weight.items()}
        w = w * torch.tensor([mapping.get(v, 1.0) for v in labels], dtype=torch.float64)
    return w


# nn's optimizer parameters -> torch.optim keyword arguments. A (name, i)
# target is element i of a pair argument such as betas.
OPTIMIZERS = {
    "sgd": (torch.optim.SGD, {"learning_rate": "lr", "momentum": "momentum",
                              "dampening": "dampening", "nesterov": "nesterov",
                              "weight_decay": "weight_decay"}),
    "adam": (torch.optim.Adam, {"learning_rate": "lr", "beta1": ("betas", 0),
                                "beta2": ("betas", 1), "epsilon": "eps",
                                "weight_decay": "weight_decay", "amsgrad": "amsgrad"}),
    "adamw": (torch.optim.AdamW, {"learning_rate": "lr", "beta1": ("betas", 0),
                                  "beta2": ("betas", 1), "epsilon": "eps",
                                  "weight_decay": "weight_decay", "amsgrad": "amsgrad"}),
    "rmsprop": (torch.optim.RMSprop, {"learning_rate": "lr", "alpha": "alpha", "epsilon": "eps",
                                      "momentum": "momentum", "weight_decay": "weight_decay",
                                      "centered": "centered"}),
    "adagrad": (torch.optim.Adagrad, {"learning_rate": "lr", "epsilon": "eps",
                                      "weight_decay": "weight_decay", "lr_decay": "lr_decay",
                                      "initial_accumulator_value": "initial_accumulator_value"}),
    "rprop": (torch.optim.Rprop, {"learning_rate": "lr", "eta_minus": ("etas", 0),
                                  "eta_plus": ("etas", 1), "step_min": ("step_sizes", 0),
                                  "step_max": ("step_sizes", 1)}),
}
PAIR_DEFAULTS = {"betas": (0.9, 0.999), "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)}


def optimizer(spec, parameters):
    name, p = named(spec)
    if name not in OPTIMIZERS:
        raise Unsupported(f"optimizer {name}")
    cls, keywords = OPTIMIZERS[name]
    # torch.optim.SGD has no default learning rate; nn's is 0.01.
    kwargs = {"lr": 0.01} if name == "sgd" else {}
    for key, value in p.items():
        if key not in keywords:
            raise Unsupported(f"optimizer {name} parameter {key}")
        target = keywords[key]
        if isinstance(target, tuple):
            pair = list(kwargs.get(target[0], PAIR_DEFAULTS[target[0]]))
            pair[target[1]] = value
            kwargs[target[0]] = tuple(pair)
        else:
            kwargs[target] = value
    # The single-tensor code path, the reference formulas of torch.optim.
    return cls(parameters, foreach=False, **kwargs)


def load_data(exp, base):
    data = exp["data"]
    source = data["source"]
    if source == "iris":
        rows = list(csv.DictReader(open(IRIS)))
        features, target = IRIS_FEATURES, "species"
    elif isinstance(source, dict) and "csv" in source:
        rows = list(csv.DictReader(open(os.path.join(base, source["csv"]))))
        target = source["target"]
        features = source.get("features") or [c for c in rows[0].keys()
                                              if c not in (target, source.get("weight"))]
    else:
        raise Unsupported("data source")
    x = torch.tensor([[float(r[f]) for f in features] for r in rows], dtype=torch.float64)
    labels = [r[target] for r in rows]
    task = data.get("task")
    if "positive" in data:
        y = torch.tensor([[1.0 if v == data["positive"] else 0.0] for v in labels],
                         dtype=torch.float64)
    elif task == "multiclass":
        classes = sorted(set(labels))
        y = torch.zeros(len(labels), len(classes), dtype=torch.float64)
        for i, v in enumerate(labels):
            y[i, classes.index(v)] = 1.0
    elif task == "regression":
        y = torch.tensor([[float(v)] for v in labels], dtype=torch.float64)
    else:
        raise Unsupported("give data.task or data.positive")

    scale = data.get("scale", "none")
    if scale == "minmax":
        lo, hi = x.min(0).values, x.max(0).values
        x = (x - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi))
    elif scale == "standard":
        mean, std = x.mean(0), x.std(0, unbiased=False)
        x = (x - mean) / torch.where(std > 0, std, torch.ones_like(std))
    split = data.get("split", {})
    if split.get("validation", 0) or split.get("test", 0):
        raise Unsupported("a validation or test split")
    return x, y, sample_weights(exp, source, rows, labels, y), target_scaler(data, y)


def target_scaler(data, y):
    """scikit-learn's scaler of data.target_scale, fitted on the targets."""
    kind = data.get("target_scale", "none")
    if kind == "none":
        return None
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    scaler = {"standard": StandardScaler, "minmax": MinMaxScaler}[kind]()
    return scaler.fit(y.numpy())


def build_kind(spec, width):
    """A layer of another kind than dense, as PyTorch module."""
    kind = spec["type"]
    if kind == "activation":
        return activation(spec["activation"])
    if kind == "batch_norm":
        if set(spec) - {"type", "momentum", "epsilon", "affine"}:
            raise Unsupported(f"batch_norm keys {sorted(spec)}")
        return torch.nn.BatchNorm1d(width, eps=spec.get("epsilon", 1e-5),
                                    momentum=spec.get("momentum", 0.1),
                                    affine=spec.get("affine", True)).double()
    raise Unsupported(f"layer type {kind}")


def build_model(exp, n_inputs):
    """The network, and its layers' regularization terms as (l1, l2, weight)."""
    layers, penalties, width = [], [], n_inputs
    for spec in exp["model"]["layers"]:
        if spec.get("type", "dense") != "dense":
            layers.append(build_kind(spec, width))
            continue
        if "weights" not in spec:
            raise Unsupported("a layer without inline weights")
        linear = torch.nn.Linear(width, spec["units"]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(spec["weights"], dtype=torch.float64))
            linear.bias.copy_(torch.tensor(spec.get("bias", [0.0] * spec["units"]),
                                           dtype=torch.float64))
        layers += [linear, activation(spec.get("activation", "linear"))]
        regularizer = spec.get("regularizer", {})
        if set(regularizer) - {"l1", "l2"}:
            raise Unsupported(f"regularizer keys {sorted(regularizer)}")
        penalties.append((regularizer.get("l1", 0.0), regularizer.get("l2", 0.0), linear.weight))
        width = spec["units"]
    return torch.nn.Sequential(*layers), penalties


def penalty(penalties):
    """Keras' kernel_regularizer: l1·Σ|W| + l2·ΣW² of each layer's weights."""
    return sum(l1 * w.abs().sum() + l2 * (w ** 2).sum() for l1, l2, w in penalties)


def reference_history(path):
    exp = yaml.safe_load(open(path))
    train = exp.get("train", {})
    if train.get("batch_size", 0) != 0:
        raise Unsupported("mini-batches (the order of samples is nn's own)")
    x, y, w, scaler = load_data(exp, os.path.dirname(os.path.abspath(path)))
    y_raw = y
    if scaler is not None:
        y = torch.tensor(scaler.transform(y.numpy()), dtype=torch.float64)
    model, penalties = build_model(exp, x.shape[1])
    opt = optimizer(exp.get("optimizer", "sgd"), model.parameters())
    loss_fn = loss_function(exp["loss"])
    history = []
    for _ in range(train.get("epochs", 100)):
        opt.zero_grad()
        losses = loss_fn(model(x), y)
        loss = losses.mean() if w is None else (w * losses).sum() / w.sum()
        loss = loss + penalty(penalties)
        loss.backward()
        opt.step()
        history.append(loss.item())
    model.eval()
    with torch.no_grad():
        out = model(x)
        losses = loss_fn(out, y)
        evaluated = (losses.mean() if w is None else (w * losses).sum() / w.sum()).item()
    if scaler is not None:
        # The metrics are in the targets' units: the outputs mapped back.
        from sklearn.metrics import mean_absolute_error
        evaluated = mean_absolute_error(y_raw.numpy(), scaler.inverse_transform(out.numpy()))
    return history, evaluated


def main():
    nnrun, experiment, rtol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    try:
        expected, expected_eval = reference_history(experiment)
    except Unsupported as e:
        print(f"{experiment}: outside this check: {e}")
        return 2
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([nnrun, "train", experiment, "--quiet", "--out", out], check=True)
        got = [float(r["loss"]) for r in csv.DictReader(open(os.path.join(out, "history.csv")))]
        got_eval = None
        if yaml.safe_load(open(experiment))["data"].get("target_scale", "none") != "none":
            summary = json.load(open(os.path.join(out, "summary.json")))
            got_eval = summary["final"]["train"]["mae"]
        elif any(s.get("type") == "batch_norm" for s in yaml.safe_load(open(experiment))["model"]["layers"]):
            source = yaml.safe_load(open(experiment))["data"]["source"]
            if source != "iris":
                raise SystemExit(f"{experiment}: the evaluation check takes iris only")
            result = subprocess.run([nnrun, "eval", "--json", out, "iris"], check=True,
                                    capture_output=True, text=True)
            got_eval = json.loads(result.stdout)["loss"]
    if len(got) != len(expected):
        print(f"nn ran {len(got)} epochs, PyTorch {len(expected)}")
        return 1
    worst = max(abs(g - e) / abs(e) for g, e in zip(got, expected))
    print(f"{os.path.basename(experiment)}: {len(got)} epochs, loss {got[0]:.10g} -> {got[-1]:.10g}, "
          f"max relative difference from PyTorch float64 {worst:.3e} (tolerance {rtol:g})")
    if got_eval is not None:
        eval_diff = abs(got_eval - expected_eval) / abs(expected_eval)
        print(f"final evaluation (loss by the running statistics, or mae in the targets' units) "
              f"{got_eval:.10g}, PyTorch and scikit-learn {expected_eval:.10g}, "
              f"relative difference {eval_diff:.3e}")
        worst = max(worst, eval_diff)
    return 0 if worst <= rtol else 1


if __name__ == "__main__":
    sys.exit(main())
