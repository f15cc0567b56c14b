"""One model, several Python threads: inference is serialised correctly, training refuses to overlap."""
import threading

import numpy as np
import pytest

import fastmlp as fm


def make_model():
    model = fm.Sequential([fm.layers.Dense(64, activation="tanh"), fm.layers.Dense(4)], input_dim=32, seed=3)
    return model.compile(optimizer="sgd", loss="mse")


def test_concurrent_predict_equals_serial():
    model = make_model()
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(n, 32)).astype(np.float32) for n in (5, 700, 3000, 64)]
    expected = [model.predict(X) for X in inputs]
    results = {}

    def worker(i):
        for _ in range(20):
            results.setdefault(i, []).append(model.predict(inputs[i]))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, outs in results.items():
        for out in outs:
            np.testing.assert_array_equal(out, expected[i])


def test_second_concurrent_fit_raises_instead_of_corrupting():
    model = make_model()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20000, 32)).astype(np.float32)
    y = rng.normal(size=(20000, 4)).astype(np.float32)
    started = threading.Event()
    errors = []

    def long_fit():
        started.set()
        model.fit(X, y, epochs=30, batch_size=8, verbose=0)

    t = threading.Thread(target=long_fit)
    t.start()
    started.wait()
    import time
    time.sleep(0.3)
    try:
        with pytest.raises(RuntimeError, match="already being trained"):
            model.fit(X[:10], y[:10], epochs=1, verbose=0)
    except BaseException as exc:  # report after the worker is joined
        errors.append(exc)
    t.join()
    if errors:
        raise errors[0]
    assert model.iterations == 30 * 2500
