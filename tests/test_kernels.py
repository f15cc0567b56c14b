"""The activation and loss kernels alone (the internal bindings bench/bench_kernels.py times),
against tests/_reference.py's NumPy formulas in float64."""
import numpy as np
import pytest

import fastmlp as fm
from _reference import act_backward, act_forward, data_loss, data_loss_grad_z, sigmoid, softmax

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "step"]
ALPHA = 0.1  # leaky_relu's slope, away from the default so that the argument is seen


def tolerance(dtype):
    return {"rtol": 2e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-15}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward_and_backward_match_the_reference(name, dtype):
    rng = np.random.default_rng(ACTIVATIONS.index(name))
    Z = (3 * rng.standard_normal((37, 19))).astype(dtype)  # no exact zeros: away from the kinks
    ref_name = f"leaky_relu:{ALPHA}" if name == "leaky_relu" else name
    A = Z.copy()
    fm._core._activation_forward(name, A, ALPHA)
    np.testing.assert_allclose(A, act_forward(ref_name, Z.astype(np.float64)), **tolerance(dtype))
    G = rng.standard_normal(Z.shape).astype(dtype)
    dZ = G.copy()
    fm._core._activation_backward(name, dZ, A, ALPHA)
    expected = act_backward(ref_name, Z.astype(np.float64), A.astype(np.float64), G.astype(np.float64))
    np.testing.assert_allclose(dZ, expected, **tolerance(dtype))


def one_hot(labels, k):
    return np.eye(k)[labels]


# (fastmlp's name, on logits, the reference's name, how the input is made from logits z)
LOSSES = [
    ("mse", False, "mse", lambda z: z),
    ("mae", False, "mae", lambda z: z),
    ("binary_crossentropy", True, "bce_logits", lambda z: z),
    ("binary_crossentropy", False, "bce", sigmoid),
    ("categorical_crossentropy", True, "cce_logits", lambda z: z),
    ("sparse_categorical_crossentropy", True, "scce_logits", lambda z: z),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,on_logits,ref,make_input", LOSSES, ids=[f"{c[0]}-{c[2]}" for c in LOSSES])
def test_loss_and_its_gradient_match_the_reference(name, on_logits, ref, make_input, dtype):
    rng = np.random.default_rng(len(ref))
    rows, k = 23, 5
    z = 2 * rng.standard_normal((rows, k))
    labels = rng.integers(0, k, rows)
    if name == "sparse_categorical_crossentropy":
        target, y = labels, labels
    elif name == "categorical_crossentropy":
        y = softmax(rng.standard_normal((rows, k)))  # soft targets: rows of probabilities
        target = y.astype(dtype)
    elif name == "binary_crossentropy":
        y = rng.integers(0, 2, (rows, k)).astype(np.float64)
        target = y.astype(dtype)
    else:
        y = rng.standard_normal((rows, k))
        target = y.astype(dtype)
    x = make_input(z).astype(dtype)
    x64 = x.astype(np.float64)
    grad = np.empty_like(x)
    loss = fm._core._loss(name, on_logits, x, target, grad)
    # The reference reads the kernel's own input (z for logits, a for probabilities).
    z_ref, a_ref = (x64, sigmoid(x64)) if on_logits and ref == "bce_logits" else (x64, x64)
    if ref in ("cce_logits", "scce_logits"):
        a_ref = softmax(x64)
    tol = tolerance(dtype)
    np.testing.assert_allclose(loss, data_loss(ref, "linear", z_ref, a_ref, y), **tol)
    np.testing.assert_allclose(grad, data_loss_grad_z(ref, "linear", z_ref, a_ref, y), **tol)


def test_kernel_bindings_refuse_mismatched_shapes():
    A = np.zeros((3, 4))
    with pytest.raises(ValueError, match="dA must be a writeable 2-D array of A's shape"):
        fm._core._activation_backward("relu", np.zeros((4, 3)), A)
    with pytest.raises(ValueError, match="one label per row"):
        fm._core._loss("sparse_categorical_crossentropy", True, A, np.zeros(2, np.int64), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="label out of range"):
        fm._core._loss("sparse_categorical_crossentropy", True, A, np.array([0, 1, 4]), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        fm._core._loss("hinge", True, A, A, np.zeros((3, 4)))
