#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An activation defined in Python works: a subclass of Nn.Activation whose
do_forward and do_backward fill the matrices they are given with
Nn.Matrix.set_bytes. A dense layer with it computes what NumPy computes,
forward and backward, and trains; a wrong size is refused with its reason."""
import sys

try:
    import numpy as np
except ImportError:
    print("NumPy is not installed (python3-numpy)", file=sys.stderr)
    sys.exit(77)

import gi

gi.require_version("Nn", "1.0")
from gi.repository import GLib, Nn  # noqa: E402

REAL = np.float64 if Nn.REAL_IS_DOUBLE else np.float32
TOL = 1e-12 if Nn.REAL_IS_DOUBLE else 1e-5


def to_matrix(array):
    array = np.ascontiguousarray(array, dtype=REAL)
    return Nn.Matrix.new_from_bytes(array.shape[0], array.shape[1], GLib.Bytes(array.tobytes()))


def to_numpy(matrix):
    return np.frombuffer(matrix.get_bytes().get_data(), REAL).reshape(matrix.rows, matrix.cols)


class Softsign(Nn.Activation):
    """f(z) = z / (1 + |z|)"""

    def do_forward(self, z, a):
        x = to_numpy(z)
        a.set_bytes(GLib.Bytes((x / (1 + np.abs(x))).astype(REAL).tobytes()))

    def do_backward(self, z, a, grad_a, grad_z):
        x = to_numpy(z)
        grad = to_numpy(grad_a) / (1 + np.abs(x)) ** 2
        grad_z.set_bytes(GLib.Bytes(grad.astype(REAL).tobytes()))


failures = 0


def check(what, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


model = Nn.Model.new()
model.add_layer(Nn.DenseLayer.new(3, 2, Softsign()))
model.set_loss(Nn.Loss.new_by_name("mean_squared_error"))
optimizer = Nn.Optimizer.new_by_name("sgd")
optimizer.set_property("learning-rate", 0.5)
model.set_optimizer(optimizer)
model.set_seed(3)
model.init_parameters(Nn.Init.GLOROT_UNIFORM)

rng = np.random.default_rng(5)
x = rng.normal(size=(6, 3))
y = rng.normal(size=(6, 2)) * 0.5
w = to_numpy(model.get_parameter(0)).astype(np.float64)
b = to_numpy(model.get_parameter(1)).astype(np.float64)
z = x @ w.T + b
expected = z / (1 + np.abs(z))

predicted = to_numpy(model.predict(to_matrix(x)))
check("forward through the Python activation equals NumPy's",
      np.allclose(predicted, expected, atol=TOL, rtol=0))

# Backward: dL/dW of the mean squared error, through f'(z) = 1 / (1 + |z|)².
model.set_training(True)
model.forward(to_matrix(x))
model.backward(to_matrix(x), to_matrix(y))
grad_a = 2 * (expected - y) / y.size
grad_w = (grad_a / (1 + np.abs(z)) ** 2).T @ x
check("backward through the Python activation equals NumPy's",
      np.allclose(to_numpy(model.get_gradient(0)), grad_w, atol=TOL, rtol=0))

trainer = Nn.Trainer.new(model)
trainer.set_epochs(100)
trainer.set_batch_size(6)
before = model.evaluate(to_matrix(x), to_matrix(y))
trainer.fit(to_matrix(x), to_matrix(y), None, None, None)
after = model.evaluate(to_matrix(x), to_matrix(y))
check(f"training with it lowers the loss ({before:.4f} -> {after:.4f})", after < before * 0.9)

try:
    Nn.Matrix.new_from_bytes(2, 3, GLib.Bytes(b"\0" * 5))
    check("five bytes as a 2 × 3 matrix are refused", False)
except GLib.Error as e:
    check(f"five bytes as a 2 × 3 matrix are refused: {e.message}",
          e.matches(Nn.Model.error_quark(), Nn.ModelError.SHAPE_MISMATCH) and "2 × 3" in e.message)

try:
    model.get_parameter(0).set_bytes(GLib.Bytes(b"\0" * 4))
    check("four bytes into a 2 × 3 matrix are refused", False)
except GLib.Error as e:
    check(f"four bytes into a 2 × 3 matrix are refused: {e.message}", "4 bytes" in e.message)

sys.exit(1 if failures else 0)
