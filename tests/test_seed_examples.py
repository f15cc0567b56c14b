"""Small textbook examples with hand-derived expected numbers."""
import math

import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")

X_BOOL = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y_AND = np.array([0, 0, 0, 1])
Y_XOR = np.array([0, 1, 1, 0])


def test_perceptron_and_final_weights():
    # hand-traced perceptron rule, lr 0.2, zero init, in-order online updates:
    # converges at w = (0.4, 0.2), b = -0.4
    p = fm.Perceptron(lr=0.2, epochs=50)
    assert p.fit(X_BOOL, Y_AND) is p
    assert np.shape(p.coef_) == (1, 2) and np.shape(p.intercept_) == (1,)
    np.testing.assert_allclose(p.coef_, [[0.4, 0.2]], atol=1e-6)
    np.testing.assert_allclose(p.intercept_, [-0.4], atol=1e-6)
    pred = np.asarray(p.predict(X_BOOL))
    assert pred.shape == (4,)
    np.testing.assert_array_equal(pred, Y_AND)


def test_perceptron_first_epoch_hand_trace():
    # one epoch from zero: (0,0) predicts step(0)=0, no update; (0,1), (1,0) no update;
    # (1,1) predicts 0 but y=1 -> w += 0.2*(1,1), b += 0.2
    p = fm.Perceptron(lr=0.2, epochs=1).fit(X_BOOL, Y_AND)
    np.testing.assert_allclose(p.coef_, [[0.2, 0.2]], atol=1e-12)
    np.testing.assert_allclose(p.intercept_, [0.2], atol=1e-12)


def test_perceptron_cannot_fit_xor():
    p = fm.Perceptron(lr=0.2, epochs=50).fit(X_BOOL, Y_XOR)
    pred = np.asarray(p.predict(X_BOOL))
    assert set(np.unique(pred)) <= {0, 1}
    assert np.mean(pred == Y_XOR) < 1.0  # XOR is not linearly separable


def test_two_two_one_sigmoid_network_learns_xor():
    model = fm.Sequential(
        [fm.layers.Dense(2, activation="sigmoid", kernel_init=fm.initializers.RandomUniform(-0.1, 0.1)),
         fm.layers.Dense(1, activation="sigmoid", kernel_init=fm.initializers.RandomUniform(-0.1, 0.1))],
        input_dim=2, seed=0, dtype="float64")  # some seeds (e.g. 1) hit the known XOR local minimum
    w0 = model.get_weights()
    for W in (w0[0], w0[2]):
        assert np.all(np.abs(W) <= 0.1) and np.any(W != 0)
    model.compile(optimizer=fm.optimizers.SGD(lr=0.2), loss="mse")
    # MSE's vanishing sigmoid gradients make this slow: thousands of online epochs
    model.fit(X_BOOL, Y_XOR.astype(float), epochs=8000, batch_size=1, shuffle=True)
    out = model.predict(X_BOOL)
    assert out.shape == (4, 1)
    np.testing.assert_array_equal(np.round(out[:, 0]), Y_XOR)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("true_class,p", [(0, 0.7), (1, 0.2), (2, 0.1)])
def test_cross_entropy_is_minus_log_true_class_probability(sparse, true_class, p):
    # zero kernel: softmax(b) = [0.7, 0.2, 0.1] for every input
    model = fm.Sequential([fm.layers.Dense(3, activation="softmax")], input_dim=2, dtype="float64")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy" if sparse else "categorical_crossentropy")
    model.set_weights([np.zeros((2, 3)), np.log([0.7, 0.2, 0.1])])
    X = np.array([[1.0, -2.0], [0.5, 3.0]])
    y = np.full(2, true_class) if sparse else np.eye(3)[[true_class, true_class]]
    np.testing.assert_allclose(model.predict(X), [[0.7, 0.2, 0.1]] * 2, rtol=1e-12)
    assert model.evaluate(X, y)["loss"] == pytest.approx(-math.log(p), abs=1e-5)
    if true_class == 0:
        assert model.evaluate(X, y)["loss"] == pytest.approx(0.35667, abs=1e-5)


def _three_blobs(rng, n_per=20):
    # class c centred on 3*e_c in R^4: separable by a bias-free linear map
    X = np.vstack([rng.normal(0, 0.4, (n_per, 4)) + 3 * np.eye(4)[c] for c in range(3)])
    y = np.repeat(np.arange(3), n_per)
    return X, y


def test_bias_free_softmax_classifier_gradient_and_training():
    rng = np.random.default_rng(0)
    X, y = _three_blobs(rng)
    Y = np.eye(3)[y]
    model = fm.Sequential([fm.layers.Dense(3, activation="softmax", use_bias=False)],
                          input_dim=4, seed=3, dtype="float64")
    model.compile(optimizer=fm.optimizers.SGD(lr=0.5), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    weights = model.get_weights()
    assert len(weights) == 1 and weights[0].shape == (4, 3)

    # textbook softmax-regression gradient: X^T (P - Y) / n
    W = rng.normal(0, 0.5, (4, 3))
    model.set_weights([W])
    Z = X @ W
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    (g,) = model.compute_gradients(X, Y)
    np.testing.assert_allclose(g, X.T @ (P - Y) / len(X), rtol=1e-10, atol=1e-14)

    model.fit(X, Y, epochs=100, batch_size=16)
    assert model.evaluate(X, Y)["accuracy"] == 1.0
    assert np.mean(np.argmax(model.predict(X), 1) == y) == 1.0


@pytest.mark.parametrize("n,batch,epochs,expected", [(1000, 100, 5, 50), (1001, 100, 5, 55),
                                                     (7, 3, 2, 6), (5, 32, 3, 3)])
def test_iterations_count_optimizer_steps(n, batch, epochs, expected):
    rng = np.random.default_rng(0)
    model = fm.Sequential([fm.layers.Dense(1)], input_dim=2)
    model.compile(optimizer="sgd", loss="mse")
    assert model.iterations == 0
    model.fit(rng.normal(size=(n, 2)), rng.normal(size=n), epochs=epochs, batch_size=batch)
    assert model.iterations == expected  # ceil(n / batch) steps per epoch
