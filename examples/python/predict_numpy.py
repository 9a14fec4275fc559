#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds a network in code, trains it on XOR and predicts on a NumPy array,
the arrays crossing as GBytes: one copy, where a list of Python floats
converts value by value, some ten times slower.

Needs PyGObject (python3-gi), NumPy (python3-numpy; without it the script
exits 77, "skipped") and the Nn-1.0 typelib: installed, or from a build tree
with GI_TYPELIB_PATH=build/libcore LD_LIBRARY_PATH=build/libcore.
"""
import sys

try:
    import numpy as np
except ImportError:
    print("predict_numpy.py: NumPy is not installed (python3-numpy)", file=sys.stderr)
    sys.exit(77)

import gi

gi.require_version("Nn", "1.0")
from gi.repository import GLib, Nn  # noqa: E402

# The scalar type of this build of nn: float32, or float64 with -Dreal=double.
REAL = np.float64 if Nn.REAL_IS_DOUBLE else np.float32


def to_matrix(array):
    array = np.ascontiguousarray(array, dtype=REAL)
    rows, cols = array.shape
    return Nn.Matrix.new_from_bytes(rows, cols, GLib.Bytes(array.tobytes()))


def to_numpy(matrix):
    return np.frombuffer(matrix.get_bytes().get_data(), REAL).reshape(matrix.rows, matrix.cols)


model = Nn.Model.new()
model.add_layer(Nn.DenseLayer.new(2, 8, Nn.Activation.new_by_name("tanh")))
model.add_layer(Nn.DenseLayer.new(8, 1, Nn.Activation.new_by_name("sigmoid")))
model.set_loss(Nn.Loss.new_by_name("binary_crossentropy"))
optimizer = Nn.Optimizer.new_by_name("adam")
optimizer.set_property("learning-rate", 0.05)
model.set_optimizer(optimizer)
model.set_seed(7)
model.init_parameters(Nn.Init.GLOROT_UNIFORM)

x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
y = np.array([[0], [1], [1], [0]])
trainer = Nn.Trainer.new(model)
trainer.set_epochs(500)
trainer.set_batch_size(4)
trainer.fit(to_matrix(x), to_matrix(y), None, None, None)

predicted = to_numpy(model.predict(to_matrix(x)))
for row, p in zip(x, predicted[:, 0]):
    print(f"{row[0]} xor {row[1]} -> {p:.3f}")
sys.exit(0 if np.array_equal(predicted[:, 0] > 0.5, y[:, 0] > 0.5) else 1)
