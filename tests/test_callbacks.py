"""Callbacks: early stopping, checkpoints, schedules, plateau, CSV, NaN."""
import csv
import math
import os

import numpy as np
import pytest

import fastmlp as fm


def data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=200)
    return X, y


def model(lr=0.05):
    m = fm.Sequential([fm.layers.Dense(8, activation="tanh"), fm.layers.Dense(1)], input_dim=4, dtype="float64")
    return m.compile(optimizer=fm.optimizers.SGD(lr=lr), loss="mse")


class RecordWeights(fm.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_restores_exactly_the_best_epoch():
    X, y = data()
    Xv, yv = data(seed=1)
    rec = RecordWeights()
    stop = fm.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    m = model(lr=0.3)  # large enough to overshoot now and then
    h = m.fit(X, y, epochs=200, batch_size=8, validation_data=(Xv, yv), callbacks=[rec, stop], verbose=0)
    losses = h.history["val_loss"]
    best = int(np.argmin(losses))
    assert stop.best_epoch == best and len(losses) <= 200
    if stop.stopped_epoch is not None:
        assert len(losses) == best + 3  # patience 2: stops on the second epoch without improvement
    for a, b in zip(m.get_weights(), rec.weights[best]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_min_delta_and_mode():
    m = model()
    stop = fm.callbacks.EarlyStopping(monitor="val_acc", patience=0)
    assert stop.mode == "max"
    stop = fm.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=0.5)
    stop.set_model(m)
    stop.on_train_begin()
    for epoch, loss in enumerate([10.0, 9.8, 9.7]):  # improvements below min_delta do not count
        stop.on_epoch_end(epoch, {"loss": loss})
    assert m.stop_training and stop.best == 10.0


def test_unknown_monitor_says_what_is_logged():
    X, y = data()
    with pytest.raises(KeyError, match="monitors 'val_loss', which is not logged"):
        model().fit(X, y, epochs=1, callbacks=[fm.callbacks.EarlyStopping()], verbose=0)


@pytest.mark.parametrize("schedule,expected", [
    (fm.callbacks.StepDecay(0.1, drop=0.5, every=2), [0.1, 0.1, 0.05, 0.05, 0.025]),
    (fm.callbacks.ExponentialDecay(0.1, rate=0.9), [0.1 * 0.9 ** e for e in range(5)]),
    (fm.callbacks.CosineDecay(0.1, epochs=4, min_lr=0.01),
     [0.01 + 0.09 * (1 + math.cos(math.pi * min(e, 4) / 4)) / 2 for e in range(5)]),
    (fm.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5), [0.025, 0.0125, 0.00625, 0.003125, 0.0015625]),
])
def test_schedules_give_the_documented_lr_sequence(schedule, expected):
    X, y = data()
    m = model()
    h = m.fit(X, y, epochs=5, callbacks=[schedule], verbose=0)
    np.testing.assert_allclose(h.history["lr"], expected, rtol=1e-15)
    assert m._net.learning_rate == pytest.approx(expected[-1], rel=1e-15)  # the core uses it


def test_learning_rate_reaches_the_core_update():
    X, y = data()
    a, b = model(), model()
    a.fit(X, y, epochs=1, callbacks=[fm.callbacks.LearningRateScheduler(lambda e, lr: 0.0)], verbose=0)
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


def test_reduce_lr_on_plateau():
    m = model(lr=0.1)
    cb = fm.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.03)
    cb.set_model(m)
    cb.on_train_begin()
    lrs = []
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 0.5]):
        cb.on_epoch_end(epoch, {"loss": loss})
        lrs.append(m.optimizer.lr)
    assert lrs == [0.1, 0.05, 0.03, 0.03, 0.03, 0.03]


def test_model_checkpoint_saves_best_only_atomically(tmp_path):
    X, y = data()
    Xv, yv = data(seed=1)
    path = tmp_path / "best-{epoch:02d}.fmlp"
    ckpt = fm.callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    m = model()
    h = m.fit(X, y, epochs=6, batch_size=16, validation_data=(Xv, yv), callbacks=[ckpt], verbose=0)
    losses = h.history["val_loss"]
    improved = [e + 1 for e in range(6) if losses[e] < min(losses[:e], default=np.inf)]
    assert sorted(os.listdir(tmp_path)) == [f"best-{e:02d}.fmlp" for e in improved]
    last = fm.load_model(tmp_path / f"best-{improved[-1]:02d}.fmlp")
    assert last.evaluate(Xv, yv)["loss"] == pytest.approx(min(losses), rel=1e-12)


def test_csv_logger(tmp_path):
    X, y = data()
    path = tmp_path / "log.csv"
    model().fit(X, y, epochs=3, callbacks=[fm.callbacks.CSVLogger(path)], verbose=0)
    rows = list(csv.DictReader(open(path)))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2] and float(rows[-1]["loss"]) > 0


def test_terminate_on_nan_stops_at_the_first_bad_batch():
    X, y = data()
    m = model(lr=1e3)  # diverges within a few steps
    m.fit(X * 1e3, y, epochs=50, batch_size=8, callbacks=[fm.callbacks.TerminateOnNaN()], verbose=0)
    assert m.iterations < 50 * 25


def test_history_plot_says_how_to_get_matplotlib(monkeypatch):
    import sys

    X, y = data()
    h = model().fit(X, y, epochs=2, verbose=0)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "fastmlp\[plot\]"'):
        h.plot()


def test_history_plot_draws_when_matplotlib_is_there(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = data()
    h = model().fit(X, y, epochs=3, validation_data=data(seed=1), verbose=0)
    h.plot(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_a_history_subclass_sees_each_epoch_as_it_ends():
    # History alone lets every epoch run in one call into the core; a subclass may act between
    # epochs (here: stop), so it must see each one before the next trains.
    class StopAfterTwo(fm.History):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            if epoch == 1:
                self.model.stop_training = True

    X, y = data()
    m = model()
    m.fit(X, y, epochs=10, callbacks=[StopAfterTwo()], verbose=0)
    assert m._epochs_done == 2
