"""End-to-end: a 64-128-10 MLP on scikit-learn's 8x8 digits."""
import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")
datasets = pytest.importorskip("sklearn.datasets")
model_selection = pytest.importorskip("sklearn.model_selection")


def test_digits_mlp_reaches_96_percent():
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xte, ytr, yte = model_selection.train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    model = fm.Sequential([fm.layers.Dense(128, activation="relu"),
                           fm.layers.Dense(10, activation="softmax")],
                          input_dim=64, seed=0)
    model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(Xtr, ytr, epochs=30, batch_size=32, validation_data=(Xte, yte))
    assert len(hist.history["loss"]) == 30
    assert hist.history["loss"][-1] < hist.history["loss"][0]

    acc = model.evaluate(Xte, yte)["accuracy"]
    proba = model.predict(Xte)
    assert proba.shape == (len(yte), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    manual = np.mean(np.argmax(proba, axis=1) == yte)
    assert acc == pytest.approx(manual, abs=1e-9)
    assert acc >= 0.96
    assert hist.history["val_accuracy"][-1] == pytest.approx(manual, abs=1e-9)
