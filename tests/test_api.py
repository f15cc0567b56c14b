"""Model API contract: weights round trip, side-effect freedom, History,
evaluate/metrics, activation forward values, target shapes, loss objects."""
import numpy as np
import pytest

from _reference import act_forward

fm = pytest.importorskip("fastmlp")


def small_model(acts=("tanh", "softmax"), units=(4, 3), use_bias=True, d=3, dtype="float64", seed=0):
    m = fm.Sequential([fm.layers.Dense(u, activation=a, use_bias=use_bias) for u, a in zip(units, acts)],
                      input_dim=d, seed=seed, dtype=dtype)
    return m


def test_get_weights_shapes_and_copies():
    m = small_model()
    w = m.get_weights()
    assert [a.shape for a in w] == [(3, 4), (4,), (4, 3), (3,)]
    w[0][:] = 123.0
    assert not np.any(m.get_weights()[0] == 123.0)  # a copy, not a view


def test_no_bias_weights_list():
    m = small_model(use_bias=False)
    assert [a.shape for a in m.get_weights()] == [(3, 4), (4, 3)]


def test_set_weights_round_trip_and_takes_copies():
    m = small_model()
    rng = np.random.default_rng(0)
    new = [rng.normal(size=a.shape) for a in m.get_weights()]
    m.set_weights(new)
    for a, b in zip(m.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    new[0][:] = 0.0  # mutating the caller's array must not reach the model
    assert np.any(m.get_weights()[0] != 0.0)


def test_set_weights_changes_predictions_as_numpy_forward():
    m = small_model(acts=("relu", "sigmoid"), units=(5, 2))
    rng = np.random.default_rng(1)
    W1, b1, W2, b2 = [rng.normal(size=a.shape) for a in m.get_weights()]
    m.set_weights([W1, b1, W2, b2])
    X = rng.normal(size=(7, 3))
    want = 1 / (1 + np.exp(-(np.maximum(X @ W1 + b1, 0) @ W2 + b2)))
    np.testing.assert_allclose(m.predict(X), want, rtol=1e-12)


def test_compute_gradients_changes_nothing():
    m = small_model()
    m.compile(optimizer=fm.optimizers.Adam(lr=0.1), loss="categorical_crossentropy")
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(5, 3)), np.eye(3)[rng.integers(0, 3, 5)]
    before = m.get_weights()
    g1 = m.compute_gradients(X, Y)
    g2 = m.compute_gradients(X, Y)
    assert m.iterations == 0
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(g1, g2):
        np.testing.assert_array_equal(a, b)
    # optimizer state untouched too: the first real Adam step moves every
    # weight by ~lr (|m_hat/sqrt(v_hat)| = 1 at t=1)
    m.train_on_batch(X, Y)
    step = np.abs(m.get_weights()[0] - before[0])
    nz = np.abs(g1[0]) > 1e-6
    np.testing.assert_allclose(step[nz], 0.1, rtol=1e-4)


def test_train_on_batch_moves_weights_against_gradient():
    m = small_model(acts=("tanh", "linear"), units=(4, 2))
    m.compile(optimizer=fm.optimizers.SGD(lr=0.05), loss="mse")
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    w0, g = m.get_weights(), m.compute_gradients(X, Y)
    m.train_on_batch(X, Y)
    for a, b, gg in zip(m.get_weights(), w0, g):
        np.testing.assert_allclose(a, b - 0.05 * gg, rtol=1e-12, atol=1e-15)
    assert m.iterations == 1


def test_history_keys_and_lengths():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 3, 40)
    Xv, yv = rng.normal(size=(10, 3)), rng.integers(0, 3, 10)
    m = small_model()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(X, y, epochs=3, batch_size=8, validation_data=(Xv, yv), verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time",
                              "grad_norm/dense", "grad_norm/dense_1"}
    assert all(len(v) == 3 for v in h.history.values())
    # validation numbers are computed with the end-of-epoch weights
    ev = m.evaluate(Xv, yv)
    assert h.history["val_loss"][-1] == pytest.approx(ev["loss"], rel=1e-9)
    assert h.history["val_accuracy"][-1] == pytest.approx(ev["accuracy"], abs=1e-12)


def test_history_without_validation_or_metrics():
    rng = np.random.default_rng(5)
    m = small_model(acts=("tanh", "linear"), units=(4, 1))
    m.compile(optimizer="sgd", loss="mse")
    h = m.fit(rng.normal(size=(20, 3)), rng.normal(size=20), epochs=2, batch_size=5)
    assert set(h.history) == {"loss", "lr", "time", "grad_norm/dense", "grad_norm/dense_1"}
    assert all(len(v) == 2 for v in h.history.values())


def test_evaluate_returns_python_floats():
    rng = np.random.default_rng(6)
    m = small_model()
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    r = m.evaluate(rng.normal(size=(9, 3)), rng.integers(0, 3, 9))
    assert set(r) == {"loss", "accuracy"}
    assert all(isinstance(v, float) for v in r.values())


def test_accuracy_single_sigmoid_output_thresholds_at_half():
    m = fm.Sequential([fm.layers.Dense(1, activation="sigmoid")], input_dim=1, dtype="float64")
    m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    m.set_weights([np.array([[1.0]]), np.array([0.0])])
    X = np.array([[-2.0], [-0.01], [0.01], [3.0], [0.5]])  # p = .12, .4975, .5025, .95, .62
    y = np.array([0, 1, 1, 0, 1])  # right, wrong, right, wrong, right
    assert m.evaluate(X, y)["accuracy"] == pytest.approx(3 / 5)


@pytest.mark.parametrize("loss,onehot", [("categorical_crossentropy", True),
                                         ("sparse_categorical_crossentropy", False)])
def test_accuracy_multiclass_argmax(loss, onehot):
    m = fm.Sequential([fm.layers.Dense(3, activation="softmax")], input_dim=3, dtype="float64")
    m.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    m.set_weights([np.eye(3), np.zeros(3)])
    X = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 3.0], [5.0, 0, 0]])
    labels = np.array([0, 1, 0, 2])  # argmax = 0,1,2,0 -> 2 of 4 right
    y = np.eye(3)[labels] if onehot else labels
    assert m.evaluate(X, y)["accuracy"] == pytest.approx(0.5)


@pytest.mark.parametrize("act", ["linear", None, "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "step"])
def test_activation_forward_values(act):
    m = fm.Sequential([fm.layers.Dense(4, activation=act)], input_dim=4, dtype="float64")
    m.set_weights([np.eye(4), np.zeros(4)])
    X = np.array([[-3.0, -0.5, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0], [1e-3, -1e-3, 40.0, -40.0]])
    np.testing.assert_allclose(m.predict(X), act_forward(act or "linear", X), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("classes,rows", [(2, 140001), (3, 100003), (10, 30011), (4097, 70)])
def test_softmax_over_many_short_rows(dtype, classes, rows):
    # Softmax exponentiates blocks of ~4096 values at a time: rows of every width must come out
    # right across block edges and vector tails, and the same on 1 and 2 threads. Every shape has
    # enough values (>= 280k) for the core to use both threads.
    rng = np.random.default_rng(classes)
    Z = rng.normal(scale=4.0, size=(rows, classes)).astype(dtype)
    before = fm.get_num_threads()
    try:
        outs = []
        for threads in (1, 2):
            fm.set_num_threads(threads)
            A = Z.copy()
            fm._core._activation_forward("softmax", A)
            outs.append(A)
    finally:
        fm.set_num_threads(before)
    np.testing.assert_array_equal(outs[0], outs[1])
    # A row sum of n terms carries up to ~n roundings.
    rtol = (classes + 8) * np.finfo(dtype).eps
    np.testing.assert_allclose(outs[0], act_forward("softmax", Z.astype(np.float64)), rtol=rtol, atol=1e-300)


def test_leaky_relu_object_default_alpha_matches_string():
    X = np.array([[-3.0, 2.0, -0.25]])
    outs = []
    for act in ("leaky_relu", fm.activations.LeakyReLU()):
        m = fm.Sequential([fm.layers.Dense(3, activation=act)], input_dim=3, dtype="float64")
        m.set_weights([np.eye(3), np.zeros(3)])
        outs.append(m.predict(X))
    np.testing.assert_allclose(outs[0], [[-0.03, 2.0, -0.0025]], rtol=1e-14)
    np.testing.assert_array_equal(outs[0], outs[1])


def test_step_at_zero_is_zero_and_leaky_alpha_object():
    m = fm.Sequential([fm.layers.Dense(2, activation="step")], input_dim=1, dtype="float64")
    m.set_weights([np.array([[0.0, 1.0]]), np.array([0.0, 0.0])])
    np.testing.assert_array_equal(m.predict(np.array([[0.0], [1.0], [-1.0]])), [[0, 0], [0, 1], [0, 0]])
    m = fm.Sequential([fm.layers.Dense(1, activation=fm.activations.LeakyReLU(alpha=0.3))],
                      input_dim=1, dtype="float64")
    m.set_weights([np.array([[1.0]]), np.array([0.0])])
    np.testing.assert_allclose(m.predict(np.array([[-2.0], [5.0]])), [[-0.6], [5.0]], rtol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "mae", "binary_crossentropy"])
def test_one_output_targets_n_and_n1_equivalent(loss):
    m = fm.Sequential([fm.layers.Dense(1, activation="sigmoid")], input_dim=2, seed=0, dtype="float64")
    m.compile(optimizer="sgd", loss=loss)
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(6, 2)), rng.integers(0, 2, 6).astype(float)
    a, b = m.evaluate(X, y)["loss"], m.evaluate(X, y.reshape(-1, 1))["loss"]
    assert a == pytest.approx(b, rel=1e-14)
    for g1, g2 in zip(m.compute_gradients(X, y), m.compute_gradients(X, y.reshape(-1, 1))):
        np.testing.assert_allclose(g1, g2, rtol=1e-14)


@pytest.mark.parametrize("name,obj", [
    ("mse", lambda: fm.losses.MeanSquaredError()),
    ("mae", lambda: fm.losses.MeanAbsoluteError()),
    ("binary_crossentropy", lambda: fm.losses.BinaryCrossentropy()),
    ("categorical_crossentropy", lambda: fm.losses.CategoricalCrossentropy(from_logits=False)),
    ("sparse_categorical_crossentropy", lambda: fm.losses.SparseCategoricalCrossentropy()),
])
def test_loss_string_equals_object(name, obj):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(6, 3))
    y = {"sparse_categorical_crossentropy": rng.integers(0, 3, 6),
         "categorical_crossentropy": np.eye(3)[rng.integers(0, 3, 6)]}.get(name, rng.integers(0, 2, (6, 3)).astype(float))
    out = {"binary_crossentropy": "sigmoid", "mse": "tanh", "mae": "tanh"}.get(name, "softmax")
    losses = []
    for loss in (name, obj()):
        m = small_model(acts=("tanh", out), units=(4, 3), seed=1)
        m.compile(optimizer="sgd", loss=loss)
        losses.append(m.evaluate(X, y)["loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-14)


def test_bce_on_exact_zero_one_probabilities_is_clamped_at_100():
    # step outputs exactly 0/1: torch.nn.BCELoss clamps log at -100, so each
    # confidently-wrong element costs exactly 100 and each right one 0
    m = fm.Sequential([fm.layers.Dense(2, activation="step")], input_dim=1, dtype="float64")
    m.compile(optimizer="sgd", loss="binary_crossentropy")
    m.set_weights([np.array([[1.0, -1.0]]), np.array([0.0, 0.0])])
    X = np.array([[1.0], [-1.0]])           # outputs [[1, 0], [0, 1]]
    y = np.array([[1.0, 1.0], [1.0, 1.0]])  # 2 of 4 elements wrong
    assert m.evaluate(X, y)["loss"] == pytest.approx(50.0, rel=1e-12)


def test_fit_verbose_levels(capsys, monkeypatch):
    # Keras' default: a line per epoch when stdout is not a terminal; verbose=0 is silent.
    rng = np.random.default_rng(9)
    m = small_model()
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 3, 10)
    m.fit(X, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    m.fit(X, y, epochs=2, validation_data=(X[:4], y[:4]))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ") and "val_accuracy" in lines[0]
