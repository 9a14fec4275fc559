#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nnrun export --format c: for the configs that train in seconds and a
model per built-in activation and layer kind, the exported C compiles with
`cc -std=c99 -Wall -Wextra -Werror -pedantic`, and its outputs on raw rows
(missing values and categories included) are nnrun predict's within 1e-5.
Bad input stops it with the reason and writes nothing.

Usage: test-export-c.py NNRUN SOURCE_ROOT PLUGIN_DIR MAIN.c C_PLUGIN_DIR"""
import csv
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile

NNRUN, ROOT, PLUGIN_DIR, MAIN, C_PLUGIN_DIR = sys.argv[1:6]
CC = os.environ.get("CC", "cc").split()[0]
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
IRIS = os.path.join(ROOT, "libcore", "data", "iris.csv")
TOLERANCE = 1e-5
failures = []


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def train(tmp, name, config, sets=()):
    out = os.path.join(tmp, name)
    args = [NNRUN, "train", os.path.join(ROOT, "configs", config), "--out", out, "-q"]
    for s in sets:
        args += ["--set", s]
    r = run(args)
    if r.returncode != 0:
        raise SystemExit(f"{name}: training failed: {r.stderr}")
    return out


def predicted(run_dir, data):
    """nnrun predict's outputs: the probabilities, or the values."""
    r = run([NNRUN, "predict", run_dir, data])
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    header = rows[0]
    p = [i for i, h in enumerate(header) if h.startswith("p_")]
    cols = p if p else [i for i, h in enumerate(header) if h.startswith("predicted_")]
    return [[float(row[i]) for i in cols] for row in rows[1:]]


def exported(run_dir, name, data):
    """The exported C's outputs on data, built as a user would."""
    r = run([NNRUN, "export", run_dir, "--format", "c", "--name", name,
             "--out", os.path.join(run_dir, name)])
    assert r.returncode == 0, r.stderr
    exe = os.path.join(run_dir, name + "-main")
    r = run([CC] + CFLAGS + [f"-DMODEL={name}", "-include", os.path.join(run_dir, name + ".h"),
             MAIN, os.path.join(run_dir, name + ".c"), "-lm", "-o", exe])
    assert r.returncode == 0, r.stderr
    r = run([exe, data])
    assert r.returncode == 0, f"exit {r.returncode}"
    return [[float(v) for v in line.split(",")] for line in r.stdout.splitlines()], exe


def check(tmp, name, config, data, sets=()):
    run_dir = train(tmp, name, config, sets)
    want = predicted(run_dir, data)
    got, exe = exported(run_dir, name, data)
    if len(got[0]) == 1 and len(want[0]) == 2:
        want = [[w[1]] for w in want]  # one sigmoid: the second class's probability
    assert len(got) == len(want) > 0, f"{len(got)} rows, nnrun predict gives {len(want)}"
    worst = max(abs(g - w) for gr, wr in zip(got, want) for g, w in zip(gr, wr))
    if worst > TOLERANCE or any(len(g) != len(w) for g, w in zip(got, want)):
        failures.append(f"{name}: off by {worst:g}")
    print(f"{name}: {len(got)} rows, largest difference {worst:.3g}, "
          f"{os.path.getsize(os.path.join(run_dir, name + '.c'))} bytes of C")
    return run_dir, exe


def layers(*specs):
    return "model.layers=[" + ", ".join(specs) + "]"


def expect_failure(what, args, status, words, absent, env=None):
    r = run([NNRUN, "export"] + args, env=env)
    message = r.stderr.strip()
    if r.returncode != status or not all(w in message for w in words):
        failures.append(f"{what}: exit {r.returncode}, '{message}'")
    for path in absent:
        if os.path.exists(path):
            failures.append(f"{what}: {path} written")
    print(f"{what}: exit {r.returncode}: {message}")


def main():
    tmp = tempfile.mkdtemp(prefix="nn-export-c-")
    try:
        for config, epochs in [("iris.yaml", 20), ("iris-binary.yaml", 20),
                               ("iris-regression.yaml", 20), ("lesson.yaml", 20),
                               ("breast-cancer.yaml", 5)]:
            data = (os.path.join(ROOT, "configs", "data", "breast-cancer.csv")
                    if config.startswith("breast") else IRIS)
            check(tmp, config[:-5].replace("-", "_"), config, data,
                  [f"train.epochs={epochs}"])
        fashion = "/usr/share/datasets/fashion-mnist"
        if os.path.isdir(fashion):
            images = gzip.open(os.path.join(fashion, "t10k-images-idx3-ubyte.gz")).read()
            rows = os.path.join(tmp, "fashion-mnist.csv")
            with open(rows, "w") as f:
                f.write(",".join(f"pixel{j}" for j in range(784)) + "\n")
                for i in range(200):
                    f.write(",".join(map(str, images[16 + 784 * i:16 + 784 * (i + 1)])) + "\n")
            check(tmp, "fashion_mnist", "fashion-mnist.yaml", rows, ["train.epochs=1"])
        # Missing values, a text category and values unseen in training, raw.
        mpg, _ = check(tmp, "auto_mpg", "auto-mpg.yaml",
                       os.path.join(ROOT, "tests", "data", "export-auto-mpg.csv"),
                       ["train.epochs=5"])
        # Every built-in activation, and every layer kind.
        for act in ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
                    "softmax", "gelu", "silu"]:
            check(tmp, "act_" + act, "iris.yaml", IRIS,
                  ["train.epochs=20", layers(f"{{units: 8, activation: {act}}}",
                                             "{units: 3, activation: softmax}")])
        # A regression's outputs mapped back by the target scaler.
        check(tmp, "params", "iris-regression.yaml", IRIS,
              ["train.epochs=20", "data.target_scale=standard", layers("{units: 8, activation: {name: leaky_relu, alpha: 0.3}}",
                                         "{units: 8, activation: {name: elu, alpha: 0.5}}",
                                         "{units: 8, activation: {name: softplus, beta: 2, threshold: 1}}",
                                         "{units: 1, activation: linear}")])
        kinds, exe = check(tmp, "kinds", "iris.yaml", IRIS,
                           ["train.epochs=20",
                            layers("{units: 8, activation: linear}", "{type: batch_norm}",
                                   "{type: activation, activation: gelu}",
                                   "{type: dropout, rate: 0.3}",
                                   "{type: batch_norm, affine: false}",
                                   "{units: 3, activation: softmax}")])
        # A plugin's activation with its own C form.
        built_in = os.environ.get("NN_PLUGIN_PATH", "")
        os.environ["NN_PLUGIN_PATH"] = C_PLUGIN_DIR + os.pathsep + built_in
        check(tmp, "plugin", "iris.yaml", IRIS,
              ["train.epochs=20", layers("{units: 8, activation: fixture_softsign}",
                                         "{type: fixture_noise, stddev: 0.5}",
                                         "{units: 3, activation: softmax}")])
        os.environ["NN_PLUGIN_PATH"] = built_in
        # A missing value the model does not impute is refused, not guessed.
        if run([exe, "--nan"]).stdout.strip() != "1":
            failures.append("NaN without imputation: not refused")

        # Bad input.
        env = dict(os.environ, NN_PLUGIN_PATH=PLUGIN_DIR)
        swish = os.path.join(tmp, "swish")
        r = run([NNRUN, "train", os.path.join(ROOT, "configs", "iris.yaml"), "--out", swish, "-q",
                 "--set", "train.epochs=2",
                 "--set", layers("{units: 8, activation: swish}", "{units: 3, activation: softmax}")],
                env=env)
        assert r.returncode == 0, r.stderr
        expect_failure("plugin without a C form", [swish, "--format", "c", "--out", swish + "/m.c"],
                       2, ["'swish'", "no C form", "NnActivationClass.to_c", "swish.so"],
                       [swish + "/m.c", swish + "/m.h"], env)
        noise = os.path.join(tmp, "noise")
        r = run([NNRUN, "train", os.path.join(ROOT, "configs", "iris.yaml"), "--out", noise, "-q",
                 "--set", "train.epochs=2",
                 "--set", layers("{units: 8, activation: relu}", "{type: gaussian_noise}",
                                 "{units: 3, activation: softmax}")], env=env)
        assert r.returncode == 0, r.stderr
        expect_failure("layer plugin without a C form",
                       [noise, "--format", "c", "--out", noise + "/m.c"],
                       2, ["'gaussian_noise'", "no C form", "NnLayerClass.to_c", "gaussian_noise.so"],
                       [noise + "/m.c", noise + "/m.h"], env)
        expect_failure("unwritable output", [kinds, "--format", "c", "--out", "/proc/m.c"],
                       1, ["/proc/m.c"], [])
        # The header can be written, the source not: neither stays.
        blocked = os.path.join(tmp, "blocked")
        os.makedirs(os.path.join(blocked, "m.c"))
        expect_failure("source not writable", [kinds, "--format", "c", "--out", blocked + "/m.c"],
                       1, [blocked + "/m.c"], [blocked + "/m.h"])
        locked = os.path.join(tmp, "locked")
        os.mkdir(locked, 0o500)
        if os.access(locked, os.W_OK):
            print("running as root: the read-only folder is skipped")
        else:
            expect_failure("read-only folder", [kinds, "--format", "c", "--out", locked + "/m.c"],
                           1, [locked], [locked + "/m.h", locked + "/m.c"])
        # model.yaml of one model, model.safetensors of another.
        bad = os.path.join(tmp, "mismatched")
        shutil.copytree(mpg, bad)
        shutil.copy(os.path.join(kinds, "model.safetensors"), os.path.join(bad, "model.safetensors"))
        expect_failure("mismatched files", [bad, "--format", "c", "--out", bad + "/m.c"],
                       2, ["model"], [bad + "/m.c", bad + "/m.h"])
        expect_failure("unknown format", [kinds, "--format", "fortran"], 2, ["--format"], [])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


sys.exit(main())
