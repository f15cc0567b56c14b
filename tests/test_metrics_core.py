"""Metrics computed in the core, against numpy and scikit-learn formulas."""
import numpy as np
import pytest

import fastmlp as fm


def regression_model(outputs=2):
    m = fm.Sequential([fm.layers.Dense(outputs)], input_dim=3, dtype="float64", seed=1)
    return m.compile(optimizer="sgd", loss="mse", metrics=["mse", "mae", "rmse", "r2"])


def test_regression_metrics():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3000, 3)), rng.normal(size=(3000, 2)) * [1.0, 5.0] + [0.0, 100.0]
    m = regression_model()
    p = m.predict(X)
    got = m.evaluate(X, y)
    assert got["mse"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    assert got["mae"] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-12)
    assert got["rmse"] == pytest.approx(np.sqrt(np.mean((p - y) ** 2)), rel=1e-12)
    r2 = np.mean(1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0))
    assert got["r2"] == pytest.approx(r2, rel=1e-9)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_accuracy(k):
    rng = np.random.default_rng(k)
    X, y = rng.normal(size=(500, 3)), rng.integers(0, 6, 500)
    m = fm.Sequential([fm.layers.Dense(6, activation="softmax")], input_dim=3, dtype="float64")
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
              metrics=["accuracy", fm.metrics.TopKAccuracy(k)])
    p = m.predict(X)
    in_top_k = (p > p[np.arange(500), y][:, None]).sum(1) < k
    got = m.evaluate(X, y)
    assert got["top_k_accuracy"] == pytest.approx(in_top_k.mean(), abs=1e-12)
    assert got["accuracy"] == pytest.approx(np.mean(p.argmax(1) == y), abs=1e-12)


def test_binary_and_multilabel_accuracy_threshold():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(400, 3)), (rng.random((400, 4)) > 0.5).astype(float)
    for from_logits, act, thr in ((False, "sigmoid", 0.5), (True, None, 0.0)):
        m = fm.Sequential([fm.layers.Dense(4, activation=act)], input_dim=3, dtype="float64")
        m.compile(optimizer="sgd", loss=fm.losses.BinaryCrossentropy(from_logits=from_logits), metrics=["acc"])
        p = m.predict(X)
        assert m.evaluate(X, y)["accuracy"] == pytest.approx(np.mean((p > thr) == (y > 0.5)), abs=1e-12)


def test_metric_and_loss_mismatches_are_refused():
    m = fm.Sequential([fm.layers.Dense(3, activation="softmax")], input_dim=3)
    with pytest.raises(ValueError, match="'mse' needs numeric targets"):
        m.compile(loss="sparse_categorical_crossentropy", metrics=["mse"])
    with pytest.raises(ValueError, match="needs a categorical loss"):
        m.compile(loss="mse", metrics=[fm.metrics.TopKAccuracy(2)])
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        fm.metrics.TopKAccuracy(0)
