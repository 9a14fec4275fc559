# SPDX-License-Identifier: LGPL-2.1-or-later
"""nnrun export --format onnx against nnrun predict, through ONNX Runtime.

Trains EXPERIMENT (with the --set overrides given), exports the model,
checks it with onnx.checker.check_model(full_check=True), and runs it with
ONNX Runtime (onnxruntime-node) on the experiment's test rows, and on rows
with a missing value in each column that imputes one and an unseen category
in each text column: every output must equal nnrun predict's within 1e-5.

    python3 onnx_check.py NNRUN NODE EXPERIMENT [KEY=VALUE...]

ONNX Runtime is looked for in $NN_ONNXRUNTIME_DIR (a node_modules folder), else
in ~/.cache/nn/onnxruntime/node_modules (tools/install-deps --reference puts
it there). Exits 77 (skipped) without the onnx module, node or ONNX Runtime.
"""
import csv
import gzip
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

TOLERANCE = 1e-5
EXTRA_ROWS = 200

try:
    import onnx
    import onnx.checker
    import onnx.numpy_helper
    import yaml
except ImportError as e:
    print(f"skipped: {e} (Debian packages python3-onnx, python3-yaml)")
    sys.exit(77)


def find_ort():
    base = os.environ.get("NN_ONNXRUNTIME_DIR") or os.path.expanduser(
        "~/.cache/nn/onnxruntime/node_modules")
    module = os.path.join(base, "onnxruntime-node")
    return module if os.path.isdir(module) else None


def run(*args, **kw):
    done = subprocess.run(args, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return done.stdout


def idx_rows(path, names, n):
    with gzip.open(path, "rb") as f:
        _, count, rows, cols = struct.unpack(">IIII", f.read(16))
        pixels = rows * cols
        assert pixels == len(names), (pixels, len(names))
        return [[str(b) for b in f.read(pixels)] for _ in range(min(n, count))]


def test_rows(experiment, names):
    """The header and rows of the experiment's test data: its test or
    source CSV, built-in Iris, or the first test images of an IDX source."""
    base = os.path.dirname(os.path.abspath(experiment))
    with open(experiment) as f:
        data = yaml.safe_load(f)["data"]
    source = data.get("test") or data["source"]
    if source == "iris" or (isinstance(source, dict) and source.get("builtin") == "iris"):
        path = os.path.join(os.environ["NN_SOURCE_ROOT"], "libcore", "data", "iris.csv")
    elif "csv" in source:
        path = os.path.join(base, source["csv"])
    else:
        return names, idx_rows(source["idx"]["images"], names, EXTRA_ROWS)
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    header = table[0]
    return header, [[row[header.index(n)] for n in names] for row in table[1:]]


def imputed_columns(model, names):
    """The numeric columns the graph fills when missing."""
    graph = model.graph
    where = [n for n in graph.node if n.op_type == "Where" and n.input[2] == "features"]
    if not where:
        return []
    init = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    fill = init[where[0].input[1]]
    return [names[i] for i in range(len(names)) if not math.isnan(fill[i])]


def main():
    nnrun, node, experiment = sys.argv[1:4]
    ort = find_ort()
    if not node or not os.path.exists(node) or ort is None:
        print("skipped: node or onnxruntime-node not found "
              "(tools/install-deps --reference, or NN_ONNXRUNTIME_DIR)")
        sys.exit(77)
    sets = [a for kv in sys.argv[4:] for a in ("--set", kv)]
    tmp = tempfile.mkdtemp(prefix="nn-onnx-")
    rundir = os.path.join(tmp, "run")
    path = os.path.join(tmp, "model.onnx")
    run(nnrun, "train", "-q", *sets, "-o", rundir, experiment)
    run(nnrun, "export", rundir, "--format", "onnx", "--out", path)

    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version >= 8 and model.opset_import[0].version >= 13
    meta = {p.key: p.value.split("\n") if p.value else [] for p in model.metadata_props}
    numeric, texts = meta["feature_columns"], meta["text_columns"]
    # The texts read as missing: the run's, not the file's word for them.
    with open(os.path.join(rundir, "config.yaml")) as f:
        missing = yaml.safe_load(f)["data"].get("missing", ["", "NA"])
    if texts or imputed_columns(model, numeric):
        assert meta["missing_values"] == missing, (meta["missing_values"], missing)
    features = [n for n in model.graph.input if n.name == "features"]
    assert features[0].type.tensor_type.shape.dim[0].dim_param, "the batch is not dynamic"

    # Columns in the model's order: numeric then text is how the inputs split.
    columns = numeric + texts
    _, rows = test_rows(experiment, columns)
    rows = rows[:EXTRA_ROWS]
    for name in imputed_columns(model, numeric) + texts:
        row = list(rows[0])
        row[columns.index(name)] = missing[-1] if missing else ""
        rows.append(row)
    for name in texts:
        row = list(rows[0])
        row[columns.index(name)] = "never seen in training"
        rows.append(row)
    rows_csv = os.path.join(tmp, "rows.csv")
    with open(rows_csv, "w", newline="") as f:
        csv.writer(f).writerows([columns] + rows)

    predicted = list(csv.DictReader(run(nnrun, "predict", rundir, rows_csv).splitlines()))
    feeds = {}
    if numeric:
        feeds["features"] = {"type": "float32", "dims": [len(rows), len(numeric)],
                             "data": [None if v in missing or v == "" else float(v)
                                      for r in rows for v in r[:len(numeric)]]}
    for j, name in enumerate(texts):
        feeds[name] = {"type": "string", "dims": [len(rows), 1],
                       "data": [r[len(numeric) + j] for r in rows]}
    inputs = os.path.join(tmp, "inputs.json")
    with open(inputs, "w") as f:
        json.dump(feeds, f)
    out = json.loads(run(node, os.path.join(os.path.dirname(__file__), "onnx_run.js"),
                         ort, path, inputs))
    n, width = out["dims"]
    assert n == len(rows), (n, len(rows))

    labels = meta["outputs"]
    if meta["task"] == ["classification"]:
        keys = ["p_" + l for l in labels]
        if width == 1:
            keys = keys[1:]  # one sigmoid output: the probability of the class called 1
    else:
        keys = ["predicted_" + l for l in labels]
    assert len(keys) == width and all(k in predicted[0] for k in keys), (keys, predicted[0])
    worst = 0.0
    for r in range(n):
        for c, key in enumerate(keys):
            got, want = out["data"][r * width + c], float(predicted[r][key])
            worst = max(worst, abs(got - want))
            if not abs(got - want) <= TOLERANCE:
                sys.exit(f"row {r + 1}, {key}: ONNX Runtime {got!r}, nnrun predict {want!r}")
    print(f"{os.path.basename(experiment)} {' '.join(sys.argv[4:])}: {n} rows x {width} "
          f"outputs, {len(model.graph.node)} nodes, largest difference {worst:.3g}")


main()
