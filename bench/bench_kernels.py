"""fastmlp's kernels alone, each timed by pytest-benchmark on a training-sized block:

    pytest bench/bench_kernels.py --benchmark-only     (also collected by `pytest bench/`)

- the activations, forward and backward, on 256 x 1024 (a wide hidden layer's batch);
- each loss with its gradient, on 256 rows of 10 outputs (an output layer's batch; the cross-
  entropies on logits, as training computes them);
- one optimizer step of each update rule on 1,000,000 float64 parameters (the step
  fastmlp.optimizers.minimize takes; training runs the same loops on the model's dtype);
- dropout's mask at rate 0.2 on 128 x 256 (deep-bn-dropout's hidden layers, a size that takes
  the team), forward, into a new array.

In-place kernels get their input restored before each round, outside the timing. extra_info
records the values per round, so values/s = values / time."""
import numpy as np
import pytest

import fastmlp as fm

ROWS, COLS = 256, 1024
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax"]
LOSSES = [("mse", False), ("mae", False), ("binary_crossentropy", True),
          ("categorical_crossentropy", True), ("sparse_categorical_crossentropy", True)]
# (rule, momentum, nesterov): SGD plain and with either momentum, and the adaptive rules.
OPTIMIZERS = [("sgd", 0.0, False), ("sgd", 0.9, False), ("sgd", 0.9, True), ("adagrad", 0.0, False),
              ("rmsprop", 0.0, False), ("adam", 0.0, False), ("adamw", 0.0, False)]
PARAMS = 1_000_000


def restored(buffer, original):
    """A pedantic setup that copies `original` back into `buffer` before each round."""
    def setup():
        np.copyto(buffer, original)
    return setup


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward(benchmark, name, dtype):
    Z = np.random.default_rng(0).standard_normal((ROWS, COLS)).astype(dtype)
    A = Z.copy()
    benchmark.extra_info["values"] = Z.size
    benchmark.pedantic(fm._core._activation_forward, args=(name, A), setup=restored(A, Z),
                       rounds=50, warmup_rounds=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward(benchmark, name, dtype):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((ROWS, COLS)).astype(dtype)
    fm._core._activation_forward(name, A)
    G = rng.standard_normal((ROWS, COLS)).astype(dtype)
    dA = G.copy()
    benchmark.extra_info["values"] = G.size
    benchmark.pedantic(fm._core._activation_backward, args=(name, dA, A), setup=restored(dA, G),
                       rounds=50, warmup_rounds=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,on_logits", LOSSES, ids=[name for name, _ in LOSSES])
def test_loss(benchmark, name, on_logits, dtype):
    rng = np.random.default_rng(2)
    rows, k = 256, 10
    logits = rng.standard_normal((rows, k)).astype(dtype)
    labels = rng.integers(0, k, rows)
    if name == "sparse_categorical_crossentropy":
        target = labels
    elif name in ("mse", "mae"):
        target = rng.standard_normal((rows, k)).astype(dtype)
    else:
        target = np.eye(k, dtype=dtype)[labels]
    grad = np.empty_like(logits)
    benchmark.extra_info["values"] = logits.size
    benchmark(fm._core._loss, name, on_logits, logits, target, grad)


@pytest.mark.parametrize("rule,momentum,nesterov", OPTIMIZERS,
                         ids=["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_optimizer_step(benchmark, rule, momentum, nesterov):
    rng = np.random.default_rng(3)
    params = rng.standard_normal(PARAMS)
    grads = 1e-2 * rng.standard_normal(PARAMS)
    state = np.zeros(fm._core.optimizer_state_slots(rule, momentum) * PARAMS)
    step = iter(range(1, 1 << 30))
    benchmark.extra_info["values"] = PARAMS
    benchmark(lambda: fm._core.optimizer_step(params, grads, state, next(step), rule, 1e-3, momentum,
                                              nesterov, 0.0, 0.9, 0.999, 0.99, 1e-8, False))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_dropout(benchmark, dtype):
    X = np.random.default_rng(0).standard_normal((128, 256)).astype(dtype)
    benchmark.extra_info["values"] = X.size
    benchmark(lambda: fm._core._dropout(X, 0.2, 12345, False))
