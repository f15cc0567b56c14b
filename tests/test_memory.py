"""Memory: no growth over hundreds of builds and fits; fit reads X in place; 64-bit indexing past
2^31 elements."""
import ctypes
import gc
import sys

import numpy as np
import pytest

import fastmlp as fm


def status_bytes(field):
    """A memory field of /proc/self/status (VmRSS: resident now, VmHWM: peak resident)."""
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == field:
                return int(value.split()[0]) * 1024


def rss_bytes():
    return status_bytes("VmRSS")


def peak_rss_growth(run):
    """How far the resident set rose above its starting size at any moment during run()."""
    # Freed heap pages of earlier tests stay resident (glibc) and a copy could reuse them unseen:
    # hand them back first.
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except AttributeError:  # not glibc: nothing to trim
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # the peak mark (VmHWM) restarts from the current RSS
    except OSError as exc:
        pytest.skip(f"cannot reset the peak RSS: {exc}")
    before = rss_bytes()
    run()
    return status_bytes("VmHWM") - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_no_leak_over_hundreds_of_builds_and_fits(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(256, 20)).astype(np.float32), rng.integers(0, 4, 256)

    def cycle():
        m = fm.Sequential([fm.layers.Dense(64, activation="relu"), fm.layers.BatchNorm(), fm.layers.Dropout(0.1),
                           fm.layers.Dense(4, activation="softmax")], input_dim=20)
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        m.fit(X, y, epochs=2, batch_size=32, validation_split=0.2, verbose=0)
        m.predict(X)
        m.save(tmp_path / "m.fmlp")
        fm.load_model(tmp_path / "m.fmlp").evaluate(X, y)

    for _ in range(30):  # warm-up: allocator pools and caches settle
        cycle()
    gc.collect()
    before = rss_bytes()
    for _ in range(300):
        cycle()
    gc.collect()
    growth = rss_bytes() - before
    # One model is ~100 KB with its buffers; a leak of one per cycle would add ~30 MB.
    assert growth < 8 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 300 cycles"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("x_dtype, model_dtype", [("float32", "float32"), ("float64", "float64"),
                                                  ("float64", "float32")])
def test_fit_copies_X_only_to_change_its_dtype(x_dtype, model_dtype):
    # The page-level peak sees copies made anywhere, in Python or in the core. A converting copy
    # is the case that must show: it proves the measurement would catch a needless one.
    X = np.full((2**27 // (64 * np.dtype(x_dtype).itemsize), 64), 0.5, dtype=x_dtype)  # 128 MiB
    y = np.ones((len(X), 1), dtype=model_dtype)
    model = fm.Sequential([fm.layers.Dense(1)], input_dim=64, seed=0, dtype=model_dtype)
    model.compile(optimizer="sgd", loss="mse")
    growth = peak_rss_growth(lambda: model.fit(X, y, epochs=1, batch_size=1024, verbose=0))
    converted = X.size * np.dtype(model_dtype).itemsize
    if x_dtype == model_dtype:
        # Left for the run: the shuffled order (8 bytes per row, 2-4 MiB here) and batch buffers.
        assert growth < X.nbytes / 8, f"fit's memory rose by {growth / 2**20:.0f} MiB: X was copied"
    else:
        assert growth > 0.9 * converted, f"the {converted / 2**20:.0f} MiB conversion went unseen"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_batch_buffers_scale_with_the_layers_not_the_input():
    # One full batch of 2048 features into 4 units, unshuffled (no gathered copy): the backward
    # buffers need the width of the layer outputs, never of the input, whose gradient is not used.
    X = np.full((2**13, 2**11), 0.5, dtype=np.float32)  # 64 MiB
    y = np.ones((len(X), 4), dtype=np.float32)
    model = fm.Sequential([fm.layers.Dense(4)], input_dim=X.shape[1], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    growth = peak_rss_growth(lambda: model.fit(X, y, epochs=1, batch_size=len(X), shuffle=False,
                                               verbose=0))
    assert growth < X.nbytes / 8, f"fit's memory rose by {growth / 2**20:.0f} MiB for a 4-unit layer"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("widths", [(3, 1), (30, 64, 1), (1024, 1024, 10)])
def test_parameter_and_gradient_arenas_start_on_a_cache_line(dtype, widths):
    # malloc gives 16-byte alignment (a large block starts 16 bytes into a page): the kernels'
    # 64-byte accesses to rows of W and tiles of the gradients would straddle two lines.
    model = fm.Sequential([fm.layers.Dense(w) for w in widths[1:]], input_dim=widths[0],
                          dtype=dtype).build()
    for arena in (model._net.params, model._net.grads):
        assert arena.ctypes.data % 64 == 0


@pytest.mark.skipif(sys.maxsize < 2**40, reason="needs a 64-bit address space")
def test_predict_over_more_than_2_31_elements_of_a_memory_mapped_file(tmp_path):
    rows, cols = 2**27 + 3, 16  # 2^31 + 48 float32 elements, 8 GiB, sparse on disk
    path = tmp_path / "big.f32"
    with open(path, "wb") as f:
        f.truncate(rows * cols * 4)
    X = np.memmap(path, dtype=np.float32, mode="r+", shape=(rows, cols))
    rng = np.random.default_rng(0)
    tail = rng.normal(size=(3, cols)).astype(np.float32)
    X[-3:] = tail  # the only data past the 2^31st element
    X.flush()
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, cols))
    m = fm.Sequential([fm.layers.Dense(1)], input_dim=cols, seed=1)
    W, b = m.get_weights()
    out = m.predict(X)
    assert out.shape == (rows, 1)
    np.testing.assert_allclose(out[-3:], tail @ W + b, rtol=1e-5)
    np.testing.assert_array_equal(out[:5], np.broadcast_to(b, (5, 1)))
