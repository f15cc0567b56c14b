"""Faults lose nothing: divergence keeps the last finite weights, checkpoints resume exactly."""
import numpy as np
import pytest

import fastmlp as fm


def exploding(dtype="float64"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) * 1e3
    m = fm.Sequential([fm.layers.Dense(8, activation="relu"), fm.layers.BatchNorm(), fm.layers.Dense(1)],
                      input_dim=4, dtype=dtype)
    m.compile(optimizer=fm.optimizers.SGD(lr=10.0), loss="mse")
    return m, X, X.sum(1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_divergence_raises_and_keeps_the_weights_before_the_bad_step(dtype):
    m, X, y = exploding(dtype)
    with pytest.raises(fm.DivergenceError, match=r"diverged at epoch 1, step \d+ of 7.*Lower the learning rate \(now 10\)"):
        m.fit(X, y, epochs=50, verbose=0)
    assert isinstance(fm.DivergenceError("x"), FloatingPointError)
    assert all(np.isfinite(w).all() for w in m.get_weights())
    before = m.get_weights()
    with pytest.raises(fm.DivergenceError):
        for _ in range(20):
            before = m.get_weights()
            m.train_on_batch(X, y)
    for a, b in zip(before, m.get_weights()):  # the failing step changed nothing, moving stats included
        np.testing.assert_array_equal(a, b)


def test_terminate_on_nan_stops_quietly_with_finite_weights():
    m, X, y = exploding()
    h = m.fit(X, y, epochs=50, callbacks=[fm.callbacks.TerminateOnNaN()], verbose=0)
    assert len(h.epoch) < 50 and all(np.isfinite(w).all() for w in m.get_weights())


def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    return X, rng.integers(0, 3, 300)


def fresh():
    m = fm.Sequential([fm.layers.Dense(16, activation="relu"), fm.layers.Dropout(0.2), fm.layers.BatchNorm(),
                       fm.layers.Dense(3, activation="softmax")], input_dim=6, seed=3)
    return m.compile(optimizer=fm.optimizers.Adam(lr=1e-2), loss="sparse_categorical_crossentropy")


def test_resume_from_a_checkpoint_ends_where_an_uninterrupted_run_does(tmp_path):
    X, y = data()
    full = fresh()
    full.fit(X, y, epochs=6, batch_size=32, verbose=0)
    # "Crash" after epoch 3: a checkpoint every epoch, then a new process-like fresh model.
    first = fresh()
    first.fit(X, y, epochs=3, batch_size=32, verbose=0,
              callbacks=[fm.callbacks.ModelCheckpoint(str(tmp_path / "ckpt.fmlp"), monitor="loss")])
    resumed = fresh()
    h = resumed.fit(X, y, epochs=6, batch_size=32, verbose=0, resume_from=tmp_path / "ckpt.fmlp")
    assert h.epoch == [3, 4, 5]
    for a, b in zip(full.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The same through load_model + initial_epoch.
    loaded = fm.load_model(tmp_path / "ckpt.fmlp")
    loaded.fit(X, y, epochs=6, initial_epoch=3, batch_size=32, verbose=0)
    for a, b in zip(full.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resume_from_another_architecture_is_refused(tmp_path):
    X, y = data()
    other = fm.Sequential([fm.layers.Dense(3, activation="softmax")], input_dim=6)
    other.save(tmp_path / "other.fmlp")
    with pytest.raises(ValueError, match="different architecture"):
        fresh().fit(X, y, epochs=1, verbose=0, resume_from=tmp_path / "other.fmlp")
