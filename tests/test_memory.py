"""Memory: no growth over hundreds of builds and fits; 64-bit indexing past 2^31 elements."""
import gc
import os
import sys

import numpy as np
import pytest

import fastmlp as fm


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
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
