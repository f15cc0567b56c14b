"""fit's workflow: continuation, initial_epoch, validation split, weights, history contents."""
import numpy as np
import pytest

import fastmlp as fm


def data(n=240, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float64)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
    return X, np.minimum(y, classes - 1)


def model(seed=0, optimizer=None, metrics=None, dtype="float64"):
    m = fm.Sequential([fm.layers.Dense(16, activation="tanh"), fm.layers.Dense(3, activation="softmax")],
                      input_dim=5, seed=seed, dtype=dtype)
    return m.compile(optimizer=optimizer or fm.optimizers.Adam(lr=1e-2),
                     loss="sparse_categorical_crossentropy", metrics=metrics)


def test_two_fits_continue_exactly_like_one():
    X, y = data()
    a, b = model(), model()
    a.fit(X, y, epochs=4, batch_size=32, verbose=0)
    b.fit(X, y, epochs=2, batch_size=32, verbose=0)
    b.fit(X, y, epochs=2, batch_size=32, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.iterations == b.iterations == 4 * 8


def test_initial_epoch_runs_the_remaining_epochs():
    X, y = data()
    m = model()
    h = m.fit(X, y, epochs=5, initial_epoch=3, batch_size=24, verbose=0)
    assert h.epoch == [3, 4] and m.iterations == 2 * 10


def test_validation_split_holds_out_the_last_fraction():
    X, y = data()
    m = model()
    h = m.fit(X, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    assert m.iterations == 2 * 6  # 180 training rows
    np.testing.assert_allclose(h.history["val_loss"][-1], m.evaluate(X[180:], y[180:])["loss"], rtol=1e-12)


def test_sample_weight_and_class_weight_weight_the_loss():
    X, y = data(n=60)
    m = model()
    w = np.random.default_rng(1).uniform(0.1, 2.0, len(y))
    # Reference: the weighted mean of per-sample cross-entropies, from predict().
    p = m.predict(X)
    per_sample = -np.log(p[np.arange(len(y)), y])
    assert m.evaluate(X, y, sample_weight=w)["loss"] == pytest.approx(np.mean(w * per_sample), rel=1e-12)
    # class_weight is the same as the sample weights it implies.
    cw = {0: 0.5, 1: 2.0, 2: 1.5}
    a, b = model(), model()
    a.fit(X, y, epochs=2, batch_size=16, class_weight=cw, verbose=0)
    b.fit(X, y, epochs=2, batch_size=16, sample_weight=np.array([cw[c] for c in y]), verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_bad_weights_are_refused():
    X, y = data(n=20)
    with pytest.raises(ValueError, match=r"sample_weight must be a 1-D array of 20 weights"):
        model().fit(X, y, sample_weight=np.ones(3), verbose=0)
    with pytest.raises(ValueError, match="finite weights >= 0"):
        model().fit(X, y, sample_weight=-np.ones(20), verbose=0)
    with pytest.raises(ValueError, match="validation_split must be"):
        model().fit(X, y, validation_split=1.0, verbose=0)


def test_training_metrics_are_those_of_each_batch_before_its_update():
    # Full batch and SGD lr=0: the epoch's running accuracy is the accuracy at the start.
    X, y = data()
    m = model(optimizer=fm.optimizers.SGD(lr=0.0), metrics=["accuracy"])
    expected = np.mean(np.argmax(m.predict(X), axis=1) == y)
    h = m.fit(X, y, epochs=1, batch_size=len(X), verbose=0)
    assert h.history["accuracy"] == [pytest.approx(expected, abs=1e-12)]


@pytest.mark.parametrize("threads", [1, 2])
def test_training_outputs_are_the_models_softmax(threads, restore_threads):
    # A training step's softmax outputs come from its loss (core/losses.h): large enough for a
    # team step on two threads, with lr=0, the epoch's running cross-entropy metric of those
    # outputs is the one evaluate computes from predict's.
    fm.set_num_threads(threads)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 64))
    y = rng.integers(0, 10, size=400)
    m = fm.Sequential([fm.layers.Dense(100, activation="relu"), fm.layers.Dense(10, activation="softmax")],
                      input_dim=64, seed=0)
    m.compile(optimizer=fm.optimizers.SGD(lr=0.0), loss="sparse_categorical_crossentropy",
              metrics=["accuracy", fm.metrics.TopKAccuracy(3)])
    h = m.fit(X, y, epochs=1, batch_size=200, shuffle=False, verbose=0)
    assert m._net._step_threads(200) == threads
    p = m.predict(X)
    assert h.history["accuracy"] == [pytest.approx(np.mean(p.argmax(1) == y), abs=1e-12)]
    top3 = np.argsort(-p, axis=1)[:, :3]
    assert h.history["top_k_accuracy"] == [pytest.approx(np.mean((top3 == y[:, None]).any(1)), abs=1e-12)]


def test_gradient_norms_per_layer_match_compute_gradients():
    X, y = data()
    m = model(optimizer=fm.optimizers.SGD(lr=0.0))
    g = m.compute_gradients(X, y)
    h = m.fit(X, y, epochs=1, batch_size=len(X), verbose=0)
    assert h.history["grad_norm/dense"][0] == pytest.approx(np.sqrt(np.sum(g[0] ** 2) + np.sum(g[1] ** 2)), rel=1e-12)
    assert h.history["grad_norm/dense_1"][0] == pytest.approx(np.sqrt(np.sum(g[2] ** 2) + np.sum(g[3] ** 2)), rel=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_norms_of_large_layers_on_one_and_two_threads(dtype, restore_threads):
    # 300 x 150 weights: the norm is summed in pieces, one per chunk of the parameters
    # (core/network.h), which a team shares out; every thread count must give the same bits, and
    # NumPy's value.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(512, 300)).astype(dtype)
    y = rng.integers(0, 4, size=512)
    norms = {}
    for threads in (1, 2):
        fm.set_num_threads(threads)
        hidden = fm.layers.Dense(150, activation="relu", kernel_regularizer=fm.regularizers.L1L2(1e-4, 1e-3))
        m = fm.Sequential([hidden, fm.layers.Dense(4, activation="softmax")], input_dim=300, seed=0,
                          dtype=dtype)
        m.compile(optimizer=fm.optimizers.SGD(lr=0.0), loss="sparse_categorical_crossentropy")
        g = m.compute_gradients(X, y)
        h = m.fit(X, y, epochs=1, batch_size=len(X), verbose=0)
        norms[threads] = (h.history["grad_norm/dense"][0], h.history["loss"][0])
        expected = np.sqrt(np.sum(g[0].astype(np.float64) ** 2) + np.sum(g[1].astype(np.float64) ** 2))
        # float32: compute_gradients' and the step's gradients may round apart in the last bits
        assert norms[threads][0] == pytest.approx(expected, rel=1e-12 if dtype == "float64" else 1e-6)
    assert norms[1] == norms[2]


def test_progress_bar_shows_speed_and_loss(capsys):
    X, y = data()
    model().fit(X, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "loss" in out


def test_batch_callback_runs_once_per_batch_and_can_stop_training():
    X, y = data()
    seen = []

    class StopAfterThree(fm.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append((batch, logs["batch_loss"]))
            if len(seen) == 3:
                self.model.stop_training = True

    m = model()
    m.fit(X, y, epochs=5, batch_size=32, callbacks=[StopAfterThree()], verbose=0)
    assert [b for b, _ in seen] == [0, 1, 2] and m.iterations == 3


def test_exception_in_a_callback_propagates_and_keeps_the_model_usable():
    X, y = data()

    class Boom(fm.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise RuntimeError("boom")

    m = model()
    with pytest.raises(RuntimeError, match="boom"):
        m.fit(X, y, epochs=1, batch_size=32, callbacks=[Boom()], verbose=0)
    assert m.iterations == 2
    m.fit(X, y, epochs=1, batch_size=32, verbose=0)
    assert m.iterations == 2 + 8


def test_one_core_call_per_fit_without_callbacks(monkeypatch):
    X, y = data()
    m = model()
    m.build()
    calls = []
    real = m._net.train_epochs

    class Spy:
        def __getattr__(self, name):
            return getattr(m._net_real, name)

        def train_epochs(self, *args, **kwargs):
            calls.append(args[3])
            return real(*args, **kwargs)

    m._net_real = m._net
    m._net = Spy()
    m.fit(X, y, epochs=7, verbose=0)
    assert calls == [7]


def test_seed_accepts_a_generator():
    a = fm.Sequential([fm.layers.Dense(2)], input_dim=2, seed=np.random.default_rng(5))
    b = fm.Sequential([fm.layers.Dense(2)], input_dim=2, seed=np.random.default_rng(5))
    c = fm.Sequential([fm.layers.Dense(2)], input_dim=2, seed=np.random.default_rng(6))
    assert a.seed == b.seed != c.seed
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


@pytest.mark.parametrize("opt", [fm.optimizers.Adam(lr=1e-3), fm.optimizers.SGD(lr=1e-3, momentum=0.9)],
                         ids=repr)
def test_dead_units_leave_no_subnormal_optimizer_state(opt):
    # Two hidden units trained, then killed (bias -1e3: ReLU outputs 0, gradients 0 from then on).
    # Their moments decay geometrically; stored as subnormals they would stay a few ulps above
    # zero for good and slow every later update on Intel CPUs (core/optim/update.h).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], np.float32)).reshape(-1, 1)
    model = fm.Sequential([fm.layers.Dense(4, activation="relu"), fm.layers.Dense(1)],
                          input_dim=3, seed=1, dtype="float32")
    model.compile(optimizer=opt, loss="mse")
    model.fit(X, y, epochs=1, batch_size=1, shuffle=False)
    W1, b1, W2, b2 = model.get_weights()
    b1[2:] = -1e3
    model.set_weights([W1, b1, W2, b2])
    state = np.asarray(model._net.optimizer_state)
    tiny = np.finfo(np.float32).tiny
    assert np.abs(state[state != 0]).min() > 1e-12, "moments start far from the subnormal range"
    model.fit(X, y, epochs=2, batch_size=1, shuffle=False)
    state = np.asarray(model._net.optimizer_state)
    assert state.dtype == np.float32
    subnormal = (state != 0) & (np.abs(state) < tiny)
    assert not subnormal.any(), f"{subnormal.sum()} subnormal optimizer state values"
    assert (state == 0).sum() >= 2 * 3, "the dead units' first moments have decayed to zero"


@pytest.mark.parametrize("k", [7, 300])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_weighted_binary_crossentropy_on_many_outputs(dtype, k):
    # 50 rows of k sigmoid outputs: the loss kernel takes 36 whole rows of 7 at a time, or a row of
    # 300 in two runs; the logits reach +-200, where softplus is z or e^z. Reference: NumPy in
    # float64 from the model's own weights, for evaluate's weighted loss (with random labels, then
    # with every label right, where the loss is log1p(e^-|z|) alone) and one full-batch SGD step.
    rng = np.random.default_rng(3)
    n, d = 50, 4
    X = rng.normal(size=(n, d))
    Y = rng.integers(0, 2, (n, k)).astype(np.float64)
    w = rng.uniform(0.1, 2.0, n)
    m = fm.Sequential([fm.layers.Dense(k, activation="sigmoid")], input_dim=d, seed=0, dtype=dtype)
    m.compile(optimizer=fm.optimizers.SGD(lr=0.5), loss="binary_crossentropy")
    W, b = m.get_weights()
    Xc, wc = X.astype(dtype), w.astype(dtype)
    W = (W * (200 / np.abs(X @ W).max())).astype(dtype)  # logits up to +-200
    m.set_weights([W, b])
    z = Xc.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)

    def weighted_loss(labels):
        per_element = np.maximum(z, 0) - z * labels + np.log1p(np.exp(-np.abs(z)))
        return np.mean(w * per_element.mean(axis=1))

    right = (z > 0).astype(np.float64)
    loose = 1e-4 if dtype == "float32" else 1e-10  # the model's float32 logits differ from z
    assert m.evaluate(Xc, right.astype(dtype), sample_weight=wc)["loss"] == pytest.approx(
        weighted_loss(right), rel=loose)
    rtol = 1e-12 if dtype == "float64" else 2e-5
    assert m.evaluate(Xc, Y.astype(dtype), sample_weight=wc)["loss"] == pytest.approx(
        weighted_loss(Y), rel=rtol)
    m.fit(Xc, Y.astype(dtype), sample_weight=wc, batch_size=n, epochs=1, shuffle=False, verbose=0)
    dz = w[:, None] * (1 / (1 + np.exp(-z)) - Y) / (n * k)
    W1, b1 = m.get_weights()
    np.testing.assert_allclose(W1, W - 0.5 * (Xc.astype(np.float64).T @ dz), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b1, b - 0.5 * dz.sum(axis=0), rtol=rtol, atol=rtol)
