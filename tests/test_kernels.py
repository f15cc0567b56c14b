"""The activation and loss kernels alone (the internal bindings bench/bench_kernels.py times),
against tests/_reference.py's NumPy formulas in float64."""
import numpy as np
import pytest

import fastmlp as fm
from _reference import act_backward, act_forward, data_loss, data_loss_grad_z, sigmoid, softmax

ALPHA = 0.1  # leaky_relu's slope, away from the default so that the argument is seen


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", fm._core.ACTIVATIONS)
def test_activation_forward_and_backward_match_the_reference(name, dtype):
    rng = np.random.default_rng(fm._core.ACTIVATIONS.index(name))
    Z = (3 * rng.standard_normal((37, 19))).astype(dtype)  # no exact zeros: away from the kinks
    ref_name = f"leaky_relu:{ALPHA}" if name == "leaky_relu" else name
    eps = np.finfo(dtype).eps
    A = Z.copy()
    fm._core._activation_forward(name, A, ALPHA)
    np.testing.assert_allclose(A, act_forward(ref_name, Z.astype(np.float64)), rtol=8 * eps, atol=8 * eps)
    G = rng.standard_normal(Z.shape).astype(dtype)
    dZ = G.copy()
    fm._core._activation_backward(name, dZ, A, ALPHA)
    expected = act_backward(ref_name, Z.astype(np.float64), A.astype(np.float64), G.astype(np.float64))
    # Softmax's and tanh's backward subtract nearly equal terms: their error is bounded by a few
    # epsilons of the incoming gradient, not of the result.
    np.testing.assert_allclose(dZ, expected, rtol=8 * eps, atol=8 * eps * np.abs(G).max())


# (fastmlp's name, on logits, the reference's name, the kernel's input made from logits z)
LOSSES = [
    ("mse", False, "mse", lambda z: z),
    ("mae", False, "mae", lambda z: z),
    ("binary_crossentropy", True, "bce_logits", lambda z: z),
    ("binary_crossentropy", False, "bce", sigmoid),
    ("categorical_crossentropy", True, "cce_logits", lambda z: z),
    ("sparse_categorical_crossentropy", True, "scce_logits", lambda z: z),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(LOSSES)), ids=[f"{c[0]}-{c[2]}" for c in LOSSES])
def test_loss_and_its_gradient_match_the_reference(case, dtype):
    name, on_logits, ref, make_input = LOSSES[case]
    rng = np.random.default_rng(case)
    rows, k = 23, 5
    z = 2 * rng.standard_normal((rows, k))
    if name == "sparse_categorical_crossentropy":
        target = rng.integers(0, k, rows)
    elif name == "categorical_crossentropy":
        target = softmax(rng.standard_normal((rows, k))).astype(dtype)  # soft targets
    elif name == "binary_crossentropy":
        target = rng.integers(0, 2, (rows, k)).astype(dtype)
    else:
        target = rng.standard_normal((rows, k)).astype(dtype)
    x = make_input(z).astype(dtype)
    grad = np.empty_like(x)
    loss = fm._core._loss(name, on_logits, x, target, grad)
    # The reference reads the kernel's own input and targets, in float64 ("linear": the input is
    # the output, logits or probabilities as the reference's name says).
    x64, y64 = x.astype(np.float64), target.astype(np.float64)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(loss, data_loss(ref, "linear", x64, x64, y64), rtol=16 * eps)
    np.testing.assert_allclose(grad, data_loss_grad_z(ref, "linear", x64, x64, y64), rtol=16 * eps,
                               atol=16 * eps / rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_crossentropy_keeps_the_loss_of_confident_right_answers(dtype):
    # With every label right and |z| from 5 to 40, each loss is log1p(e^-|z|) alone (down to
    # 4e-18): a kernel that forms softplus(z) - z y loses it to cancellation (exactly 0 past
    # |z| = 16 in float32, 36 in float64).
    rng = np.random.default_rng(0)
    z = (rng.choice([-1.0, 1.0], (64, 9)) * rng.uniform(5, 40, (64, 9))).astype(dtype)
    y = (z > 0).astype(dtype)
    grad = np.empty_like(z)
    loss = fm._core._loss("binary_crossentropy", True, z, y, grad)
    z64 = z.astype(np.float64)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(loss, data_loss("bce_logits", "linear", z64, z64, y), rtol=16 * eps)


@pytest.mark.parametrize("call,message", [
    (lambda: fm._core._activation_backward("relu", np.zeros((4, 3)), np.zeros((3, 4))),
     "dA must be a writeable 2-D array of A's shape"),
    (lambda: fm._core._loss("sparse_categorical_crossentropy", True, np.zeros((3, 4)),
                            np.zeros(2, np.int64), np.zeros((3, 4))), "1-D int64 array of 3 class labels"),
    (lambda: fm._core._loss("sparse_categorical_crossentropy", True, np.zeros((3, 4)),
                            np.array([0, 1, 4]), np.zeros((3, 4))), r"label 4 at index 2 is outside \[0, 4\)"),
    (lambda: fm._core._loss("hinge", True, np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 4))),
     "unknown loss 'hinge'"),
    (lambda: fm._core._loss("categorical_crossentropy", True, np.zeros((1, 0)), np.zeros((1, 0)),
                            np.zeros((1, 0))), "input must be a 2-D array with rows and columns"),
])
def test_kernel_bindings_refuse_what_they_cannot_compute(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_kernel_bindings_refuse_outputs_that_share_memory_with_inputs():
    buffer = np.zeros((4, 6))
    with pytest.raises(ValueError, match="dA and A must not share memory"):
        fm._core._activation_backward("relu", buffer[:, :3].copy(), buffer[:, :3].copy())  # apart: fine
        fm._core._activation_backward("relu", buffer[:2], buffer[1:3])
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="grad must not share memory with input or target"):
        fm._core._loss("mse", False, x, np.zeros((3, 4)), x)
    y = np.zeros((3, 4))
    with pytest.raises(ValueError, match="grad must not share memory with input or target"):
        fm._core._loss("mse", False, np.zeros((3, 4)), y, y)
