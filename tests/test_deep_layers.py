"""Dropout, BatchNorm, LayerNorm, Activation and Residual: gradients against finite differences
and PyTorch, training/inference modes, moving statistics, the inference fold."""
import numpy as np
import pytest

import fastmlp as fm

L = fm.layers


def architectures():
    return {
        "batchnorm": lambda: [L.Dense(7), L.BatchNorm(), L.Activation("tanh"), L.Dense(3)],
        "batchnorm_after_act": lambda: [L.Dense(6, activation="sigmoid"), L.BatchNorm(momentum=0.9), L.Dense(3)],
        "layernorm": lambda: [L.Dense(6, activation="relu"), L.LayerNorm(), L.Dense(3)],
        # 37 columns: LayerNorm's row sums run 16 lanes, so two whole rounds and a tail of 5.
        "layernorm_wide": lambda: [L.Dense(37, activation="tanh"), L.LayerNorm(), L.Dense(3)],
        "dropout": lambda: [L.Dense(8, activation="tanh"), L.Dropout(0.4), L.Dense(3)],
        "residual": lambda: [L.Dense(6, activation="tanh"),
                             L.Residual([L.Dense(6, activation="tanh"), L.LayerNorm(), L.Dense(6)]),
                             L.Dense(3)],
        "nested_residual": lambda: [L.Residual([L.Dense(5, activation="tanh"),
                                                L.Residual([L.BatchNorm(), L.Dense(5, activation="sigmoid")]),
                                                L.Dropout(0.2)]),
                                    L.Dense(3, activation=fm.activations.LeakyReLU(0.1))],
    }


def build(name, seed=0):
    m = fm.Sequential(architectures()[name](), input_dim=5, dtype="float64", seed=seed)
    m.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(seed + 10)
    # Non-trivial gamma/beta so their gradients and the normalised paths are exercised.
    m.set_weights([w + rng.normal(scale=0.3, size=w.shape) if w.ndim == 1 and name != "x" else w
                   for w in m.get_weights()])
    return m


def trainable_mask(model):
    return [arena == "params" for arena, _, _ in model._net.layout()]


def loss_in_training_mode(model, X, y):
    return np.mean((model(X, training=True) - y) ** 2)


@pytest.mark.parametrize("name", list(architectures()))
def test_gradients_match_finite_differences(name):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(9, 5)), rng.normal(size=(9, 3))
    m = build(name)
    grads = m.compute_gradients(X, y)
    weights = m.get_weights()
    trainable = [i for i, t in enumerate(trainable_mask(m)) if t]
    assert len(grads) == len(trainable)
    h = 1e-6
    for g, i in zip(grads, trainable):
        numeric = np.zeros_like(weights[i])
        for idx in np.ndindex(weights[i].shape):
            for sign in (1, -1):
                w = [v.copy() for v in weights]
                w[i][idx] += sign * h
                m.set_weights(w)
                numeric[idx] += sign * loss_in_training_mode(m, X, y) / (2 * h)
        m.set_weights(weights)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8, err_msg=f"weight {i}")


def test_training_mode_calls_change_nothing():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(16, 5)), rng.normal(size=(16, 3))
    m = build("nested_residual")
    before = m.get_weights()
    m(X, training=True)
    m.compute_gradients(X, y)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


torch = None


def torch_reference():
    global torch
    torch = pytest.importorskip("torch")
    return torch


@pytest.mark.parametrize("batch", [2, 7, 32])
def test_batchnorm_layernorm_residual_gradients_equal_pytorch(batch):
    t = torch_reference()
    rng = np.random.default_rng(batch)
    X, y = rng.normal(size=(batch, 5)), rng.normal(size=(batch, 3))
    m = fm.Sequential([L.Dense(6), L.BatchNorm(eps=1e-3), L.Activation("relu"),
                       L.Residual([L.Dense(6, activation="tanh"), L.LayerNorm(eps=1e-5), L.Dense(6)]),
                       L.Dense(3)], input_dim=5, dtype="float64", seed=3)
    m.compile(optimizer="sgd", loss="mse")
    w = [v + rng.normal(scale=0.2, size=v.shape) if v.ndim == 1 else v for v in m.get_weights()]
    w[4], w[5] = np.zeros(6), np.ones(6)  # moving statistics: irrelevant in training mode
    m.set_weights(w)
    W1, b1, g1, be1, _, _, W2, b2, g2, be2, W3, b3, W4, b4 = [t.tensor(v, requires_grad=True) for v in w]
    bn = t.nn.BatchNorm1d(6, eps=1e-3).double().train()
    bn.weight, bn.bias = t.nn.Parameter(g1), t.nn.Parameter(be1)
    Xt = t.tensor(X)
    h = t.relu(bn(Xt @ W1 + b1))
    block = t.nn.functional.layer_norm(t.tanh(h @ W2 + b2), (6,), g2, be2, eps=1e-5) @ W3 + b3
    out = (h + block) @ W4 + b4
    t.nn.functional.mse_loss(out, t.tensor(y)).backward()
    expected = [W1.grad, b1.grad, bn.weight.grad, bn.bias.grad, W2.grad, b2.grad, g2.grad, be2.grad,
                W3.grad, b3.grad, W4.grad, b4.grad]
    got = m.compute_gradients(X, y)
    expected = [e.numpy() for e in expected]
    scale = max(np.max(np.abs(e)) for e in expected)
    # A bias right before BatchNorm has exactly zero gradient (the batch mean removes it): both
    # sides hold rounding noise there, so errors are measured against the network's gradient scale.
    assert np.max(np.abs(got[1])) < 1e-12 * scale
    for i, (g, e) in enumerate(zip(got, expected)):
        assert np.max(np.abs(g - e)) <= 1e-9 * max(np.max(np.abs(e)), 1e-3 * scale), f"weight {i}"


def test_dropout_zero_fraction_and_mean_preservation():
    X = np.full((50, 2000), 2.0)
    # The dropout output read through an identity Dense.
    ident = fm.Sequential([L.Dropout(0.3), L.Dense(2000, use_bias=False)], input_dim=2000, dtype="float64", seed=5)
    ident.set_weights([np.eye(2000)])
    out = ident(X, training=True)
    assert np.mean(out == 0) == pytest.approx(0.3, abs=0.005)
    assert np.mean(out) == pytest.approx(2.0, rel=0.01)
    np.testing.assert_array_equal(np.unique(out), [0.0, 2.0 / 0.7])
    np.testing.assert_array_equal(ident.predict(X), X)  # identity at inference


def test_dropout_masks_change_with_steps_and_are_thread_independent():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(512, 64)).astype(np.float32), rng.integers(0, 4, 512)

    def train(threads):
        fm.set_num_threads(threads)
        m = fm.Sequential([L.Dense(256, activation="relu"), L.Dropout(0.5), L.BatchNorm(),
                           L.Dense(4, activation="softmax")], input_dim=64, seed=9)
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        m.fit(X, y, epochs=2, batch_size=128, verbose=0)
        return m.get_weights()

    try:
        for a, b in zip(train(1), train(2)):
            np.testing.assert_array_equal(a, b)
    finally:
        fm.set_num_threads(None)


def test_batchnorm_moving_statistics_follow_keras_rule():
    rng = np.random.default_rng(4)
    X1, X2 = rng.normal(2.0, 3.0, size=(10, 3)), rng.normal(-1.0, 0.5, size=(10, 3))
    m = fm.Sequential([L.BatchNorm(momentum=0.9), L.Dense(1)], input_dim=3, dtype="float64")
    m.compile(optimizer=fm.optimizers.SGD(lr=0.0), loss="mse")
    mean, var = np.zeros(3), np.ones(3)
    for Xb in (X1, X2):
        m.train_on_batch(Xb, np.zeros(10))
        mean = 0.9 * mean + 0.1 * Xb.mean(0)
        var = 0.9 * var + 0.1 * Xb.var(0)  # biased batch variance, as Keras
    _, _, moving_mean, moving_var, _, _ = m.get_weights()
    np.testing.assert_allclose(moving_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(moving_var, var, rtol=1e-12)


def test_batchnorm_batch_of_one_outputs_beta():
    m = fm.Sequential([L.BatchNorm(), L.Dense(2, use_bias=False)], input_dim=2, dtype="float64")
    m.set_weights([np.ones(2), np.array([0.5, -1.0]), np.zeros(2), np.ones(2), np.eye(2)])
    np.testing.assert_allclose(m(np.array([[3.0, 4.0]]), training=True), [[0.5, -1.0]])


@pytest.mark.parametrize("act", ["relu", "tanh", None])
def test_inference_folds_dense_batchnorm_activation_exactly_enough(act):
    rng = np.random.default_rng(6)
    layers = [L.Dense(8), L.BatchNorm(eps=1e-3)] + ([L.Activation(act)] if act else []) + [L.Dense(2)]
    m = fm.Sequential(layers, input_dim=4, dtype="float64")
    W1, b1, g, be, mm, mv, W2, b2 = [rng.normal(size=w.shape) for w in m.get_weights()]
    mv = np.abs(mv) + 0.1
    m.set_weights([W1, b1, g, be, mm, mv, W2, b2])
    X = rng.normal(size=(300, 4))
    z = ((X @ W1 + b1) - mm) / np.sqrt(mv + 1e-3) * g + be
    z = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, None: lambda v: v}[act](z)
    np.testing.assert_allclose(m.predict(X), z @ W2 + b2, rtol=1e-10, atol=1e-10)


def test_bad_layer_arguments():
    with pytest.raises(ValueError, match=r"rate must be a finite number >= 0.0, < 1.0; got 1.0"):
        L.Dropout(1.0)
    with pytest.raises(ValueError, match=r"rate must be"):
        L.Dropout(-0.1)
    with pytest.raises(ValueError, match=r"residual block must keep its input's width: 'residual' maps 4 features to 3"):
        fm.Sequential([L.Residual([L.Dense(3)])], input_dim=4).build()
    with pytest.raises(ValueError, match="momentum must be"):
        L.BatchNorm(momentum=1.5)
    with pytest.raises(TypeError, match="Residual's layers must be fastmlp layers"):
        L.Residual([3])


def test_names_weights_and_summary(capsys):
    m = fm.Sequential(architectures()["nested_residual"](), input_dim=5)
    names = [layer.name for layer in m._named_layers()]
    assert names == ["residual", "dense", "residual_1", "batch_norm", "dense_1", "dropout", "dense_2"]
    assert [w.shape for w in m.get_weights()] == [(5, 5), (5,), (5,), (5,), (5,), (5,), (5, 5), (5,), (5, 3), (3,)]
    m.summary()
    out = capsys.readouterr().out
    assert "  batch_norm" in out and "non-trainable 10" in out


def test_save_load_with_every_layer(tmp_path):
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(64, 5)), rng.normal(size=(64, 3))
    m = build("nested_residual")
    m.fit(X, y, epochs=2, batch_size=16, verbose=0)
    m.save(tmp_path / "m.fmlp")
    loaded = fm.load_model(tmp_path / "m.fmlp")
    np.testing.assert_array_equal(loaded.predict(X), m.predict(X))
    m.fit(X, y, epochs=1, batch_size=16, verbose=0)
    loaded.fit(X, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(m.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
