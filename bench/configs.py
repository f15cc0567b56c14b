"""The benchmark configurations, as data: compare.py and test_bench.py both read them from here.

Each configuration fixes the network, the optimizer, the loss, the batch size and how much is
trained per measurement (n_rows samples held in memory, `epochs` full passes over them). The data
are synthetic, made in-process from a seed, so nothing is downloaded and every library trains on
the same float32 arrays.
"""
import dataclasses
from typing import Callable, Tuple

import numpy as np

_XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
_XOR_Y = np.array([0, 1, 1, 0], dtype=np.float32)


def xor_rows(n_rows, seed):
    """The four XOR rows repeated in order (the seed is unused: there is nothing to draw)."""
    del seed
    return np.resize(_XOR_X, (n_rows, 2)), np.resize(_XOR_Y, n_rows)


def tabular_binary(n_rows, seed, n_features=30):
    """Standard-normal features; the label is a noisy, mildly non-linear function of them."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    w = rng.standard_normal(n_features).astype(np.float32)
    score = X @ w + 2.0 * np.sin(X[:, 0] * X[:, 1]) + rng.standard_normal(n_rows, dtype=np.float32)
    return X, (score > 0).astype(np.int64)


def image_like(n_rows, seed, n_features=784, n_classes=10):
    """MNIST-shaped data: one [0, 1] pixel prototype per class plus clipped pixel noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((n_classes, n_features), dtype=np.float32)
    labels = rng.integers(0, n_classes, n_rows)
    noise = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    X = np.clip(prototypes[labels] + 0.5 * noise, 0.0, 1.0, out=noise)
    return X, labels


def gaussian_clusters(n_rows, seed, n_features=1024, n_classes=10):
    """One standard-normal cluster per class around a random centre."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, n_features), dtype=np.float32)
    labels = rng.integers(0, n_classes, n_rows)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    X += centres[labels]
    return X, labels


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    name: str
    layer_sizes: Tuple[int, ...]  # inputs, then the units of every layer
    activations: Tuple[str, ...]  # one per layer, in fastmlp's names
    batch_size: int
    optimizer: str  # "sgd" or "adam"
    lr: float
    momentum: float  # SGD only
    loss: str  # fastmlp's name
    n_rows: int  # samples generated and held in memory
    epochs: int  # full passes over them per measurement
    make_data: Callable[[int, int], Tuple[np.ndarray, np.ndarray]]  # (n_rows, seed) -> X, y
    # Layers after every hidden Dense, in order: "batch_norm" (momentum 0.99, eps 1e-3),
    # "dropout" (rate 0.2).
    hidden_extras: Tuple[str, ...] = ()

    @property
    def samples(self):
        """Samples trained per measurement."""
        return self.n_rows * self.epochs

    @property
    def weights(self):
        """Kernel entries (biases excluded): the count behind the nominal 6 FLOPs/weight/sample."""
        return sum(a * b for a, b in zip(self.layer_sizes, self.layer_sizes[1:]))

    @property
    def is_classification(self):
        """y holds int64 class labels (else float32 regression targets)."""
        return self.loss in ("binary_crossentropy", "sparse_categorical_crossentropy")

    def data(self, seed=0):
        X, y = self.make_data(self.n_rows, seed)
        return np.ascontiguousarray(X, dtype=np.float32), y

    def scaled(self, fraction):
        """The same network trained for one epoch over `fraction` of the rows (at least a batch):
        a smaller workload for smoke runs and pytest-benchmark."""
        rows = max(self.batch_size, int(self.n_rows * fraction))
        return dataclasses.replace(self, n_rows=rows, epochs=1)

    def describe(self):
        shape = "-".join(map(str, self.layer_sizes))
        acts = "/".join(dict.fromkeys(self.activations))  # distinct, in order
        acts += "".join(f" +{extra}" for extra in self.hidden_extras)
        opt = f"{self.optimizer} lr={self.lr:g}" + (f" momentum={self.momentum:g}" if self.momentum else "")
        return f"{shape} {acts}, batch {self.batch_size}, {opt}, {self.loss}"


# Sample counts give fastmlp roughly 0.3 s or more per measurement on a quiet 2-core Zen 3,
# except xor-online: at batch 1 PyTorch and scikit-learn run ~50x slower than fastmlp, and the
# same count for all three must stay affordable, so fastmlp's run there is ~0.2 s.
CONFIGS = (
    BenchConfig("xor-online", (2, 2, 1), ("sigmoid", "sigmoid"), batch_size=1,
                optimizer="sgd", lr=0.2, momentum=0.0, loss="mse",
                n_rows=4096, epochs=8, make_data=xor_rows),
    BenchConfig("tabular-32", (30, 64, 64, 1), ("relu", "relu", "sigmoid"), batch_size=32,
                optimizer="adam", lr=1e-3, momentum=0.0, loss="binary_crossentropy",
                n_rows=20_000, epochs=4, make_data=tabular_binary),
    BenchConfig("mnist-s-64", (784, 128, 10), ("relu", "softmax"), batch_size=64,
                optimizer="adam", lr=1e-3, momentum=0.0, loss="sparse_categorical_crossentropy",
                n_rows=8192, epochs=2, make_data=image_like),
    BenchConfig("mnist-m-128", (784, 512, 256, 10), ("relu", "relu", "softmax"), batch_size=128,
                optimizer="adam", lr=1e-3, momentum=0.0, loss="sparse_categorical_crossentropy",
                n_rows=6144, epochs=1, make_data=image_like),
    BenchConfig("wide-256", (1024, 2048, 2048, 10), ("relu", "relu", "softmax"), batch_size=256,
                optimizer="sgd", lr=0.01, momentum=0.9, loss="sparse_categorical_crossentropy",
                n_rows=1024, epochs=1, make_data=gaussian_clusters),
    BenchConfig("deep-bn-dropout", (784, 256, 256, 256, 256, 10), ("relu",) * 4 + ("softmax",),
                batch_size=128, optimizer="adam", lr=1e-3, momentum=0.0,
                loss="sparse_categorical_crossentropy", n_rows=6144, epochs=1,
                make_data=image_like, hidden_extras=("batch_norm", "dropout")),
)

# Beside the targets: the regimes a user reaches by changing one thing in mnist-m-128 or
# wide-256 (the batch size, the hidden activation, the optimizer, the depth), so that the
# comparison shows where the lead grows or shrinks away from the targets' points.
# `compare.py --beside` runs these instead of CONFIGS; pytest-benchmark does not time them.
_TARGETS = {config.name: config for config in CONFIGS}
_MNIST_M = _TARGETS["mnist-m-128"]
BESIDE = (
    dataclasses.replace(_MNIST_M, name="mnist-m-b32", batch_size=32, n_rows=4096),
    dataclasses.replace(_MNIST_M, name="mnist-m-b512", batch_size=512, n_rows=8192),
    dataclasses.replace(_MNIST_M, name="mnist-m-tanh", activations=("tanh", "tanh", "softmax")),
    dataclasses.replace(_MNIST_M, name="mnist-m-sigmoid",
                        activations=("sigmoid", "sigmoid", "softmax")),
    dataclasses.replace(_MNIST_M, name="mnist-m-sgdm", optimizer="sgd", lr=0.01, momentum=0.9),
    dataclasses.replace(_MNIST_M, name="deep-8x256", layer_sizes=(784,) + (256,) * 8 + (10,),
                        activations=("relu",) * 8 + ("softmax",)),
    dataclasses.replace(_TARGETS["wide-256"], name="wide-64", batch_size=64, n_rows=512),
)

BY_NAME = {config.name: config for config in CONFIGS + BESIDE}
