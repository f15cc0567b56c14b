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
    X = rng.normal(size=(2000, 32)).astype(np.float32)
    y = rng.normal(size=(2000, 4)).astype(np.float32)
    in_fit, tried = threading.Event(), threading.Event()
    errors = []

    class HoldFirstEpoch(fm.callbacks.Callback):
        # Keeps the first fit inside its epoch loop until the second one has been tried, however
        # fast the training runs (a sleep raced with it).
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                in_fit.set()
                tried.wait(timeout=60)

    def long_fit():
        model.fit(X, y, epochs=3, batch_size=8, verbose=0, callbacks=[HoldFirstEpoch()])

    t = threading.Thread(target=long_fit)
    t.start()
    try:
        assert in_fit.wait(timeout=60)
        with pytest.raises(RuntimeError, match="already being trained"):
            model.fit(X[:10], y[:10], epochs=1, verbose=0)
    except BaseException as exc:  # report after the worker is joined
        errors.append(exc)
    finally:
        tried.set()
    t.join()
    if errors:
        raise errors[0]
    assert model.iterations == 3 * 250


def test_fit_from_its_own_callback_raises():
    model = make_model()
    X = np.zeros((16, 32), np.float32)
    y = np.zeros((16, 4), np.float32)

    class RefitInside(fm.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            model.fit(X, y, epochs=1, verbose=0)

    with pytest.raises(RuntimeError, match="already being trained"):
        model.fit(X, y, epochs=2, batch_size=8, verbose=0, callbacks=[RefitInside()])
    model.fit(X, y, epochs=1, batch_size=8, verbose=0)  # the lock was released
    assert model.iterations == 2 + 2
