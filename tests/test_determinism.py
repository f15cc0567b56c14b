"""Same seed -> bitwise identical training, independent of the thread count."""
import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(123)
    X = rng.normal(size=(2000, 200)).astype(np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.int64) + 2 * (X[:, 10] > 0)
    return X, y


def train(X, y, seed, threads, dtype="float32", batch_size=256):
    fm.set_num_threads(threads)
    assert fm.get_num_threads() == threads
    # big enough (256-wide layers) that the parallel kernels engage; a batch of 256 splits the
    # products' rows between threads, one of 64 their columns
    model = fm.Sequential([fm.layers.Dense(256, activation="relu"),
                           fm.layers.Dense(256, activation="tanh"),
                           fm.layers.Dense(4, activation="softmax")],
                          input_dim=200, seed=seed, dtype=dtype)
    model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=2, batch_size=batch_size, shuffle=True)
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
