"""The trainer behind Model.fit: validation splits, sample and class weights, callbacks, progress
display and the history. The epochs themselves run in the core; control comes back to Python
between epochs only when something here needs it, and within an epoch only for the progress bar
(about ten times a second) or a callback that overrides on_train_batch_end."""
import sys
import time

import numpy as np

from . import _core
from ._validation import check_bool, check_float, check_int
from .callbacks import Callback, TerminateOnNaN, overrides_batch_hook
from .history import History


class _ProgressBar(Callback):
    """verbose=1: a tqdm bar per epoch with batches, samples/s, running loss and ETA."""

    def __init__(self, epochs, batch_size):
        self.epochs, self.batch_size = epochs, batch_size

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=self.model._steps_per_epoch, unit="batch", leave=True,
                         desc=f"Epoch {epoch + 1}/{self.epochs}", file=sys.stdout,
                         bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}<{remaining}]{postfix}")
        self._start = time.perf_counter()

    def update(self, step, loss):
        rate = step * self.batch_size / max(time.perf_counter() - self._start, 1e-9)
        self._bar.n = step
        self._bar.set_postfix_str(f"{rate:,.0f} samples/s, loss {loss:.4f}", refresh=True)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.n = self.model._steps_per_epoch
        shown = {k: v for k, v in logs.items() if k != "time" and not k.startswith("grad_norm/")}
        self._bar.set_postfix_str(", ".join(f"{k} {v:.4g}" for k, v in shown.items()), refresh=True)
        self._bar.close()


class _EpochLogger(Callback):
    """verbose=2: one line per epoch."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        shown = {k: v for k, v in logs.items() if k != "time" and not k.startswith("grad_norm/")}
        print(f"Epoch {epoch + 1}/{self.epochs} - {logs['time']:.2f}s - "
              + " - ".join(f"{k}: {v:.4g}" for k, v in shown.items()), flush=True)


def sample_weights(model, y, sample_weight, class_weight):
    """Per-sample weights from sample_weight and/or class_weight ({class: weight}), or None."""
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=model.dtype)
        if weights.shape != (len(y),):
            raise ValueError(f"sample_weight must be a 1-D array of {len(y)} weights; got shape {weights.shape}")
        if not (np.isfinite(weights).all() and (weights >= 0).all()):
            raise ValueError("sample_weight must hold finite weights >= 0")
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict {{class: weight}}; got {class_weight!r}")
        labels = y if y.ndim == 1 else (np.argmax(y, axis=1) if y.shape[1] > 1 else (y[:, 0] > 0.5).astype(int))
        table = np.ones(int(max(labels.max(), max(class_weight, default=0))) + 1)
        for cls, w in class_weight.items():
            table[check_int(cls, "class_weight key", 0)] = check_float(w, f"class_weight[{cls}]")
        per_sample = table[labels].astype(model.dtype)
        weights = per_sample if weights is None else weights * per_sample
    return None if weights is None else np.ascontiguousarray(weights)


class Trainer:
    def __init__(self, model):
        self.model = model

    def fit(self, X, y, epochs=1, batch_size=32, shuffle=True, validation_split=0.0,
            validation_data=None, callbacks=None, verbose="auto", class_weight=None,
            sample_weight=None, initial_epoch=0, resume_from=None):
        model = self.model
        if resume_from is not None:
            from .saving import restore_into

            initial_epoch = max(check_int(initial_epoch, "initial_epoch", 0), restore_into(model, resume_from))
        epochs = check_int(epochs, "epochs", 0)
        initial_epoch = check_int(initial_epoch, "initial_epoch", 0)
        batch_size = check_int(batch_size, "batch_size", 1)
        shuffle = check_bool(shuffle, "shuffle")
        validation_split = check_float(validation_split, "validation_split", 0.0, 1.0)
        verbose = (1 if sys.stdout.isatty() else 2) if verbose == "auto" else check_int(verbose, "verbose", 0)
        X, y = model._xy(X, y)
        weights = sample_weights(model, y, sample_weight, class_weight)

        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (X_val, y_val) or (X_val, y_val, sample_weight)")
            Xv, yv = model._xy(*validation_data[:2], name_x="validation_data[0]", name_y="validation_data[1]")
            val = (Xv, yv, None if len(validation_data) == 2 else
                   sample_weights(model, yv, validation_data[2], None))
        elif validation_split > 0:
            # The last fraction, before any shuffling, as Keras does.
            split = len(X) - int(round(validation_split * len(X)))
            if split < 1 or split == len(X):
                raise ValueError(f"validation_split={validation_split} leaves no training or no "
                                 f"validation samples out of {len(X)}")
            val = (X[split:], y[split:], None if weights is None else weights[split:])
            X, y = X[:split], y[:split]
            weights = None if weights is None else weights[:split]

        history = History()
        callbacks = [history, *(callbacks or [])]
        if verbose == 1:
            bar = _ProgressBar(epochs, batch_size)
            callbacks.append(bar)
        elif verbose == 2:
            callbacks.append(_EpochLogger(epochs))
        batch_callbacks = [cb for cb in callbacks if overrides_batch_hook(cb)]
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be fastmlp.callbacks.Callback objects; got {cb!r}")
            cb.set_model(model)

        model.stop_training = False
        model.history = history
        model._steps_per_epoch = -(-len(X) // batch_size)
        net = model._net
        norm_keys = [f"grad_norm/{leaf.name}" for leaf in model._leaves() if leaf.has_weights]

        def on_progress(epoch, step, steps, mean_loss, last_loss):
            for cb in batch_callbacks:
                cb.on_train_batch_end(step - 1, {"loss": mean_loss, "batch_loss": last_loss})
            if verbose == 1:
                bar.update(step, mean_loss)
            return model.stop_training

        for cb in callbacks:
            cb.on_train_begin()
        epoch = initial_epoch
        while epoch < epochs and not model.stop_training:
            # As many epochs per call into the core as every callback allows (History: all of
            # them); validation needs the weights after each epoch.
            count = 1
            if val is None:
                count = max(1, min(epochs - epoch, *(cb._unattended_epochs() for cb in callbacks)))
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            start = time.perf_counter()
            result = net.train_epochs(X, y, weights, count, batch_size, shuffle, model.seed,
                                      model._epochs_done, on_progress if (verbose == 1 or batch_callbacks) else None,
                                      bool(batch_callbacks), 0.1)
            elapsed = (time.perf_counter() - start) / max(len(result["loss"]), 1)
            for i, loss in enumerate(result["loss"]):
                logs = {"loss": float(loss)}
                logs.update({name: float(v) for name, v in zip(model._metric_names, result["metrics"][i])})
                if val is not None:
                    logs.update({f"val_{k}": v for k, v in model._evaluate_arrays(*val).items()})
                logs["lr"] = model.optimizer.lr
                logs["time"] = elapsed
                logs.update({k: float(v) for k, v in zip(norm_keys, result["grad_norms"][i])})
                model._epochs_done += 1
                if i > 0:
                    for cb in callbacks:
                        cb.on_epoch_begin(epoch)
                for cb in callbacks:
                    cb.on_epoch_end(epoch, logs)
                epoch += 1
            if result["stopped"]:
                model.stop_training = True
            if result["diverged"] is not None:
                if any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
                    model.stop_training = True
                    continue
                failed_epoch, step, loss = result["diverged"]
                raise _core.DivergenceError(
                    f"training diverged at epoch {epoch + 1}, step {step + 1} of "
                    f"{model._steps_per_epoch}: the loss or a gradient became non-finite (loss "
                    f"{loss}). The model keeps the weights from before that step. Lower the "
                    f"learning rate (now {model.optimizer.lr:g}) or clip gradients with "
                    "compile(clip_norm=1.0)")
        for cb in callbacks:
            cb.on_train_end()
        return history
