#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trains the experiment of configs/iris.yaml from Python, as `nnrun train`
would, then classifies two flowers with the trained pipeline.

    train_iris.py [CONFIG [OUTPUT_DIR]]

Needs PyGObject (python3-gi) and the Nn-1.0 typelib: installed, or from a
build tree with GI_TYPELIB_PATH=build/libcore LD_LIBRARY_PATH=build/libcore.
"""
import array
import os
import sys

import gi

gi.require_version("Nn", "1.0")
from gi.repository import GLib, Nn  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
config = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "configs", "iris.yaml")

experiment = Nn.Experiment.new_from_file(config)
if len(sys.argv) > 2:
    experiment.set_output_dir(sys.argv[2])
experiment.run(None)   # raises GLib.Error on failure, with the reason

print(f"{experiment.get_name()}: {experiment.get_epochs_run()} epochs in {experiment.get_output_dir()}")
columns = experiment.get_history_columns()
last = experiment.get_epochs_run() - 1
for i, column in enumerate(columns):
    print(f"  last epoch {column}: {experiment.get_history_value(last, i):.4f}")
accuracy = experiment.get_final_metric("validation", "accuracy")
print(f"validation accuracy: {accuracy:.4f}")

# The pipeline takes raw features (it scales them as in training): bulk data
# crosses as GBytes of Nn.REAL_NAME values, here from the standard library.
typecode = "d" if Nn.REAL_IS_DOUBLE else "f"
flowers = array.array(typecode, [5.1, 3.5, 1.4, 0.2,    # setosa
                                 6.7, 3.0, 5.2, 2.3])   # virginica
pipeline = experiment.get_pipeline()
probabilities = pipeline.predict(Nn.Matrix.new_from_bytes(2, 4, GLib.Bytes(flowers.tobytes())))
out = array.array(typecode)
out.frombytes(probabilities.get_bytes().get_data())
classes = pipeline.get_class_names()
named = []
for row in range(probabilities.rows):
    p = out[row * probabilities.cols:(row + 1) * probabilities.cols]
    best = max(range(len(p)), key=p.__getitem__)
    named.append(classes[best])
    print(f"flower {row}: {classes[best]} ({p[best]:.3f})")

sys.exit(0 if accuracy >= 0.9 and named == ["setosa", "virginica"] else 1)
