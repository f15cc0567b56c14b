"""Callbacks: hooks into fit, with Keras' names and semantics.

fit sets `callback.model` and calls on_train_begin/end, on_epoch_begin/end(epoch, logs) and,
only when a callback overrides it, on_train_batch_end(batch, logs): a callback that does not
override it leaves the C++ loop running whole epochs uninterrupted. Setting
`model.stop_training = True` ends training after the current batch or epoch."""
import csv
import math
import os

from ._validation import check_bool, check_float, check_int


class Callback:
    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def _unattended_epochs(self):
        """How many epochs may train in one call into the core before this callback sees their
        ends; it then gets every epoch's begin and end, in order. One for any callback that may
        act between epochs (change the learning rate, stop, save, print as epochs finish)."""
        return 1


def overrides_batch_hook(callback):
    return type(callback).on_train_batch_end is not Callback.on_train_batch_end


class _Monitor:
    """Tracks the best value of a logged quantity."""

    def __init__(self, monitor, mode, min_delta):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max'; got {mode!r}")
        self.monitor = monitor
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "r2")) else "min"
        self.mode = mode
        self.min_delta = abs(check_float(min_delta, "min_delta"))
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs):
        if self.monitor not in (logs or {}):
            raise KeyError(f"{type(self).__name__} monitors {self.monitor!r}, which is not "
                           f"logged; logged: {sorted(logs or {})}")
        return logs[self.monitor]

    def improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback, _Monitor):
    """Stop after `patience` epochs in a row in which `monitor` did not improve by more than
    min_delta (patience=0: at the first such epoch), as Keras. With
    restore_best_weights the model ends with exactly the weights of the best epoch."""

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        _Monitor.__init__(self, monitor, mode, min_delta)
        self.patience = check_int(patience, "patience", 0)
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.best_epoch, self.best_weights, self.stopped_epoch = 0, None, None, None

    def on_epoch_end(self, epoch, logs=None):
        value = self.value(logs)
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback, _Monitor):
    """Save the model after every epoch (or only when `monitor` improves, with save_best_only).
    `path` may contain {epoch} and logged names, e.g. "model-{epoch:03d}-{val_loss:.3f}.fmlp".
    Each file is written to a temporary name and renamed, so a crash never leaves it half written."""

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        _Monitor.__init__(self, monitor, mode, 0.0)
        self.path = os.fspath(path)
        self.save_best_only = check_bool(save_best_only, "save_best_only")

    def on_epoch_end(self, epoch, logs=None):
        if self.save_best_only:
            value = self.value(logs)
            if not self.improved(value):
                return
            self.best = value
        self.model.save(self.path.format(epoch=epoch + 1, **(logs or {})))


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch to schedule(epoch, lr)."""

    def __init__(self, schedule):
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(epoch, lr); got {schedule!r}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.lr = self.schedule(epoch, self.model.optimizer.lr)


class StepDecay(LearningRateScheduler):
    """lr = initial_lr * drop ** floor(epoch / every)."""

    def __init__(self, initial_lr, drop=0.5, every=10):
        self.initial_lr = check_float(initial_lr, "initial_lr")
        self.drop = check_float(drop, "drop")
        self.every = check_int(every, "every", 1)
        super().__init__(lambda epoch, lr: self.initial_lr * self.drop ** (epoch // self.every))


class ExponentialDecay(LearningRateScheduler):
    """lr = initial_lr * rate ** epoch."""

    def __init__(self, initial_lr, rate=0.96):
        self.initial_lr = check_float(initial_lr, "initial_lr")
        self.rate = check_float(rate, "rate")
        super().__init__(lambda epoch, lr: self.initial_lr * self.rate ** epoch)


class CosineDecay(LearningRateScheduler):
    """lr = min_lr + (initial_lr - min_lr) * (1 + cos(pi * min(epoch, epochs) / epochs)) / 2."""

    def __init__(self, initial_lr, epochs, min_lr=0.0):
        self.initial_lr = check_float(initial_lr, "initial_lr")
        self.epochs = check_int(epochs, "epochs", 1)
        self.min_lr = check_float(min_lr, "min_lr")
        super().__init__(lambda epoch, lr: self.min_lr + (self.initial_lr - self.min_lr)
                         * (1 + math.cos(math.pi * min(epoch, self.epochs) / self.epochs)) / 2)


class ReduceLROnPlateau(Callback, _Monitor):
    """Multiply the learning rate by `factor` (not below min_lr) after `patience` epochs in a row
    without improvement of `monitor`, then start counting again."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, min_lr=0.0, min_delta=1e-4,
                 mode="auto"):
        _Monitor.__init__(self, monitor, mode, min_delta)
        self.factor = check_float(factor, "factor", 0.0, 1.0)
        self.patience = check_int(patience, "patience", 0)
        self.min_lr = check_float(min_lr, "min_lr")

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        value = self.value(logs)
        if self.improved(value):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.model.optimizer.lr = max(self.model.optimizer.lr * self.factor, self.min_lr)
            self.wait = 0


class CSVLogger(Callback):
    """One row of logs per epoch in a CSV file."""

    def __init__(self, path, separator=",", append=False):
        self.path, self.separator = os.fspath(path), separator
        self.append = check_bool(append, "append")

    def on_train_begin(self, logs=None):
        self._header = None
        self._file = open(self.path, "a" if self.append else "w", newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = {"epoch": epoch, **(logs or {})}
        if self._header is None:
            self._header = list(logs)
            self._writer = csv.DictWriter(self._file, self._header, delimiter=self.separator)
            if not self.append or self._file.tell() == 0:
                self._writer.writeheader()
        self._writer.writerow({k: logs.get(k, "") for k in self._header})
        self._file.flush()

    def on_train_end(self, logs=None):
        self._file.close()


class TerminateOnNaN(Callback):
    """Stop quietly when a batch's loss or gradient becomes NaN or infinite, keeping the weights
    before that batch. The core checks every step; without this callback fit raises
    fastmlp.DivergenceError instead."""
