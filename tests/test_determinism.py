"""Same seed -> bitwise identical training, independent of the thread count and of whether the
machine's matrix products run on AVX2 or AVX-512."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _isa import cpu_has_avx512f, forced_isa, run_python_with_isa

REPO = Path(__file__).resolve().parent.parent

fm = pytest.importorskip("fastmlp")


def make_data():
    rng = np.random.default_rng(123)
    X = rng.normal(size=(2000, 200)).astype(np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.int64) + 2 * (X[:, 10] > 0)
    return X, y


@pytest.fixture(scope="module")
def data():
    return make_data()


def train(X, y, seed, threads, dtype="float32", batch_size=256):
    fm.set_num_threads(threads)
    assert fm.get_num_threads() == threads
    # big enough (1024-wide layers: 6 x rows x weights above 2^28 operations) that each kernel
    # opens its own parallel region rather than the step taking one; a batch of 256 splits the
    # products' rows between threads, one of 64 their columns
    model = fm.Sequential([fm.layers.Dense(1024, activation="relu"),
                           fm.layers.Dense(1024, activation="tanh"),
                           fm.layers.Dense(4, activation="softmax")],
                          input_dim=200, seed=seed, dtype=dtype)
    model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=2, batch_size=batch_size, shuffle=True)
    assert model._net._step_threads(batch_size) == 1
    return model.get_weights()


@pytest.mark.parametrize("batch_size", [256, 64])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_vs_two_threads_bitwise_equal(data, restore_threads, dtype, batch_size):
    w1 = train(*data, seed=7, threads=1, dtype=dtype, batch_size=batch_size)
    w2 = train(*data, seed=7, threads=2, dtype=dtype, batch_size=batch_size)
    assert len(w1) == len(w2) == 6
    for a, b in zip(w1, w2):
        assert a.dtype == np.dtype(dtype)
        assert np.array_equal(a, b)


@pytest.mark.skipif(forced_isa() is not None, reason="compares against a forced subprocess itself")
@pytest.mark.skipif(not cpu_has_avx512f(), reason="no AVX-512 on this machine")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_avx512_training_equals_avx2_training(data, restore_threads, tmp_path, dtype):
    path = tmp_path / "avx2.npz"
    code = ("import sys, numpy as np; sys.path.insert(0, 'tests'); import test_determinism as t; "
            f"np.savez({str(path)!r}, *t.train(*t.make_data(), seed=7, threads=2, dtype={dtype!r}))")
    proc = run_python_with_isa("avx2", "-c", code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = train(*data, seed=7, threads=2, dtype=dtype)
    with np.load(path) as avx2:
        assert len(avx2.files) == len(ours) == 6
        for i, w in enumerate(ours):
            assert np.array_equal(w, avx2[f"arr_{i}"])


def test_same_seed_twice_equal_different_seed_differs(data, restore_threads):
    wa = train(*data, seed=11, threads=2)
    wb = train(*data, seed=11, threads=2)
    wc = train(*data, seed=12, threads=2)
    assert all(np.array_equal(a, b) for a, b in zip(wa, wb))
    assert not np.array_equal(wa[0], wc[0])


def test_shuffle_changes_the_trajectory(data, restore_threads):
    # identical starting weights and seed: shuffle=True must visit the samples
    # in a different order than shuffle=False, hence end elsewhere
    X, y = data[0][:300], data[1][:300]
    fm.set_num_threads(1)
    results = []
    for shuffle in (False, True):
        model = fm.Sequential([fm.layers.Dense(8, activation="tanh"), fm.layers.Dense(4, activation="softmax")],
                              input_dim=200, seed=5, dtype="float32")
        model.compile(optimizer=fm.optimizers.SGD(lr=0.05), loss="sparse_categorical_crossentropy")
        model.fit(X, y, epochs=1, batch_size=32, shuffle=shuffle)
        results.append(model.get_weights())
    assert not np.array_equal(results[0][0], results[1][0])


# Networks of Dense layers whose step weighs at least 2^22 float32 operations (6 x rows x
# weights) train each step in one parallel region on 2 threads (each thread carries its own rows
# through the forward pass, the loss and the deltas; the team shares out the weight gradients),
# and solo on 1. Every variant below takes a different branch of that step: elementwise
# activations forward and backward, a softmax output the loss does not absorb (MSE), a
# cross-entropy on probabilities, one-unit outputs (matrix-vector and outer products), L1 and L2
# penalties, clipping, sample weights, batches read in place (no shuffle) and each optimizer's
# update.
TEAM_STEP_VARIANTS = {
    "sigmoid-tanh-softmax-mse": dict(
        layers=[(96, "sigmoid", None), (64, "tanh", None), (4, "softmax", None)], loss="mse",
        optimizer=lambda: fm.optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True), onehot=True),
    "leaky-relu-l1l2-clipnorm": dict(
        layers=[(128, "leaky_relu", (1e-3, 1e-3)), (64, "relu", (0.0, 1e-2)), (4, "softmax", None)],
        loss="sparse_categorical_crossentropy",
        optimizer=lambda: fm.optimizers.RMSprop(lr=1e-3, momentum=0.5), clip_norm=0.05),
    "relu-sigmoid-categorical-on-probabilities": dict(
        layers=[(128, "relu", None), (4, "sigmoid", None)], loss="categorical_crossentropy",
        optimizer=lambda: fm.optimizers.SGD(lr=0.05), onehot=True),
    "one-unit-bce-clipvalue-weights": dict(
        layers=[(160, "relu", (1e-4, 0.0)), (1, "sigmoid", None)], loss="binary_crossentropy",
        optimizer=lambda: fm.optimizers.Adagrad(lr=0.05), clip_value=0.01, weighted=True),
    "one-unit-regression": dict(
        layers=[(160, "tanh", (0.0, 1e-3)), (1, "linear", None)], loss="mae",
        optimizer=lambda: fm.optimizers.AdamW(lr=1e-3), regression=True, shuffle=False),
}


def train_variant(X, y, variant, threads, dtype, batch_size):
    fm.set_num_threads(threads)
    v = TEAM_STEP_VARIANTS[variant]
    layers = [fm.layers.Dense(units, activation=act,
                              kernel_regularizer=fm.regularizers.L1L2(*reg) if reg else None)
              for units, act, reg in v["layers"]]
    model = fm.Sequential(layers, input_dim=X.shape[1], seed=3, dtype=dtype)
    model.compile(optimizer=v["optimizer"](), loss=v["loss"], clip_norm=v.get("clip_norm"),
                  clip_value=v.get("clip_value"))
    if v.get("onehot"):
        target = np.eye(4, dtype=dtype)[y]
    elif v.get("regression"):
        target = X[:, :3].sum(axis=1, keepdims=True).astype(dtype)
    elif v["loss"] == "binary_crossentropy":
        target = (y % 2).reshape(-1, 1).astype(dtype)
    else:
        target = y
    weights = np.linspace(0.2, 2.0, len(X)) if v.get("weighted") else None
    history = model.fit(X.astype(dtype), target, epochs=2, batch_size=batch_size,
                        sample_weight=weights, shuffle=v.get("shuffle", True), verbose=0)
    assert model._net._step_threads(batch_size) == threads  # the team step, on 2 threads
    return model.get_weights(), history.history


def assert_same_training(first, second):
    (w1, h1), (w2, h2) = first, second
    assert h1.keys() == h2.keys() and any(k.startswith("grad_norm/") for k in h1)
    for key in h1:
        if key != "time":
            assert h1[key] == h2[key], key  # losses and gradient norms, bitwise
    for a, b in zip(w1, w2):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("batch_size", [250, 64])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", sorted(TEAM_STEP_VARIANTS))
def test_team_step_equals_solo_step(data, restore_threads, variant, dtype, batch_size):
    # 1101 rows: the last batch of an epoch is odd, so its row shares differ. Batches of 64 split
    # into 32-row shares that cut register tiles: the hidden layers' forward products then split
    # the whole batch's tiles across the team.
    X, y = data[0][:1101], data[1][:1101]
    assert_same_training(train_variant(X, y, variant, 1, dtype, batch_size),
                         train_variant(X, y, variant, 2, dtype, batch_size))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", ["leaky-relu-l1l2-clipnorm", "one-unit-bce-clipvalue-weights"])
def test_gradient_pieces_on_more_threads_than_pieces(data, restore_threads, variant, dtype):
    # Batches of 250 rows sum their gradients in two pieces; three threads form them as 2 + 1
    # (two threads split one piece's rows of W) and must give the solo step's bits.
    X, y = data[0][:1101], data[1][:1101]
    v = TEAM_STEP_VARIANTS[variant]
    probe = fm.Sequential([fm.layers.Dense(u, activation=a) for u, a, _ in v["layers"]],
                          input_dim=X.shape[1], dtype=dtype)
    probe.build()
    assert probe._net._grad_pieces(250) == 2
    assert_same_training(train_variant(X, y, variant, 1, dtype, 250),
                         train_variant(X, y, variant, 3, dtype, 250))


@pytest.mark.parametrize("threads", [3, 4])
def test_gradient_pieces_shared_by_threads_fit_their_workspace(restore_threads, threads):
    # 264 inputs in float64: half of them (132 rows of W, what one of two threads on a piece
    # forms) pack as one block of A, where all 264 pack in blocks of MC rows, so a piece's share
    # needs more workspace than the whole piece. Too little overran the next thread's.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1024, 264))
    y = rng.integers(0, 10, 1024)

    def train_on(n):
        fm.set_num_threads(n)
        model = fm.Sequential([fm.layers.Dense(64, activation="relu"),
                               fm.layers.Dense(10, activation="softmax")], input_dim=264,
                              seed=5, dtype="float64")
        model.compile(optimizer=fm.optimizers.SGD(lr=0.05), loss="sparse_categorical_crossentropy")
        history = model.fit(X, y, epochs=2, batch_size=512, verbose=0)
        assert model._net._grad_pieces(512) == 2 and model._net._step_threads(512) == n
        return model.get_weights(), history.history

    assert_same_training(train_on(1), train_on(threads))


def test_gradient_pieces_on_a_team_of_one(tmp_path):
    # OMP_THREAD_LIMIT=1 gives a step that asks for 2 threads a team of one: it must form both
    # pieces itself, and train as a solo step does.
    code = ("import sys, numpy as np, fastmlp as fm; sys.path.insert(0, 'tests'); "
            "import test_determinism as t; fm.set_num_threads(int(sys.argv[1])); "
            "fm.set_dynamic_threads(False); "
            "w, _ = t.train_pieces_model(); np.savez(sys.argv[2], *w)")
    results = []
    for threads, limit in ((1, None), (2, "1")):
        env = dict(os.environ, SKBUILD_EDITABLE_VERBOSE="0")
        env.pop("OMP_THREAD_LIMIT", None)
        if limit:
            env["OMP_THREAD_LIMIT"] = limit
        path = tmp_path / f"w{threads}.npz"
        proc = subprocess.run([sys.executable, "-c", code, str(threads), str(path)], env=env,
                              capture_output=True, text=True, cwd=REPO, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        with np.load(path) as f:
            results.append([f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))])
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def train_pieces_model():
    """A 64-100-10 float64 network trained in batches of 200 rows (two gradient pieces)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 64))
    y = rng.integers(0, 10, 600)
    model = fm.Sequential([fm.layers.Dense(100, activation="relu"),
                           fm.layers.Dense(10, activation="softmax")], input_dim=64, seed=1,
                          dtype="float64")
    model.compile(optimizer=fm.optimizers.SGD(lr=0.1), loss="sparse_categorical_crossentropy")
    history = model.fit(X, y, epochs=3, batch_size=200, verbose=0, shuffle=False)
    assert model._net._grad_pieces(200) == 2
    return model.get_weights(), history.history


def test_gradient_pieces_of_a_one_input_layer_on_three_threads(restore_threads):
    # Two threads share piece 0's one row of W: one of them gets no rows, the other forms dW and
    # db of the piece.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 1)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)

    def train_on(threads):
        fm.set_num_threads(threads)
        model = fm.Sequential([fm.layers.Dense(1000, activation="relu"),
                               fm.layers.Dense(100, activation="tanh"),
                               fm.layers.Dense(2, activation="softmax")], input_dim=1, seed=2)
        model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
        history = model.fit(X, y, epochs=2, batch_size=200, verbose=0)
        assert model._net._grad_pieces(200) == 2 and model._net._step_threads(200) == threads
        return model.get_weights(), history.history

    assert_same_training(train_on(1), train_on(3))


@pytest.mark.parametrize("batch_size", [1, 2, 7])
def test_team_step_with_fewer_rows_than_threads(restore_threads, batch_size):
    # 4000 inputs: even one row weighs more than the 2^22 operations a team step needs, so every
    # batch takes a team of 3 (threads without rows still form weight gradients) and 7 rows split
    # 2 + 2 + 3.
    rng = np.random.default_rng(7)
    X = rng.normal(size=(21, 4000)).astype(np.float32)
    y = rng.integers(0, 3, 21)

    def train_on(threads):
        fm.set_num_threads(threads)
        model = fm.Sequential([fm.layers.Dense(200, activation="relu"),
                               fm.layers.Dense(3, activation="softmax")], input_dim=4000, seed=1)
        model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
        history = model.fit(X, y, epochs=2, batch_size=batch_size, verbose=0)
        assert model._net._step_threads(batch_size) == threads
        return model.get_weights(), history.history

    assert_same_training(train_on(1), train_on(3))
