"""Threads, build configuration report, and dtype handling."""
import re

import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")


@pytest.mark.parametrize("n", [1, 2, 3, 1])
def test_num_threads_round_trip(n, restore_threads):
    fm.set_num_threads(n)
    assert fm.get_num_threads() == n


@pytest.mark.parametrize("bad", [0, -1, -8])
def test_invalid_num_threads_raises(bad, restore_threads):
    before = fm.get_num_threads()
    with pytest.raises(ValueError):
        fm.set_num_threads(bad)
    assert fm.get_num_threads() == before


def test_show_config_reports_build(capsys):
    fm.show_config()
    out = capsys.readouterr().out
    assert isinstance(fm.__version__, str) and fm.__version__
    assert fm.__version__ in out
    assert "OpenMP" in out
    assert re.search(r"(?i)\b(avx-?512\w*|avx2|avx|sse\d(\.\d)?|neon|sve|scalar|generic|none)\b", out), out
    assert re.search(r"(?i)thread", out), out


def _model(dtype, seed=0):
    m = fm.Sequential([fm.layers.Dense(5, activation="tanh"), fm.layers.Dense(3, activation="softmax")],
                      input_dim=4, seed=seed, dtype=dtype)
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    m.get_weights()  # build first: lazy building on predict is tested in test_api.py
    return m


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_dtype_follows_model(dtype):
    m = _model(dtype)
    X = np.random.default_rng(0).normal(size=(6, 4))
    for Xin in (X.astype(np.float32), X.astype(np.float64)):
        out = m.predict(Xin)
        assert isinstance(out, np.ndarray) and out.dtype == np.dtype(dtype) and out.shape == (6, 3)
        assert np.asarray(m(Xin, training=False)).dtype == np.dtype(dtype)
    assert all(w.dtype == np.dtype(dtype) for w in m.get_weights())


def test_float64_model_accepts_float32_input():
    m = _model("float64")
    X32 = np.random.default_rng(1).normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_array_equal(m.predict(X32), m.predict(X32.astype(np.float64)))


def test_float32_model_accepts_float64_input():
    m = _model("float32")
    X64 = np.random.default_rng(2).normal(size=(7, 4))
    np.testing.assert_array_equal(m.predict(X64), m.predict(X64.astype(np.float32)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_call_equals_predict(dtype):
    m = _model(dtype)
    X = np.random.default_rng(3).normal(size=(5, 4))
    np.testing.assert_array_equal(np.asarray(m(X, training=False)), m.predict(X))


def test_none_returns_to_the_openmp_default_that_threadpoolctl_limits(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    fm.set_num_threads(1)
    fm.set_num_threads(None)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fm.get_num_threads() == 1
    fm.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fm.get_num_threads() == 2  # an explicit count wins


def test_build_on_a_built_model_keeps_its_weights():
    m = fm.Sequential([fm.layers.Dense(1)], input_dim=3)
    m.compile(optimizer="sgd", loss="mse")
    m.fit(np.ones((4, 3)), np.ones(4), epochs=2, verbose=0)
    before, steps = m.get_weights(), m.iterations
    m.build()
    assert m.iterations == steps
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="built for input_dim 3; got 4"):
        m.build(4)
