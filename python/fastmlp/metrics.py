"""Metrics on whole prediction arrays (vectorised; no loop over samples)."""
import numpy as np

from ._validation import resolve


def accuracy(y_true, y_pred, loss):
    """Class accuracy: argmax for several outputs, a 0.5 threshold (0 on logits) for one or for
    independent binary labels."""
    if loss.sparse:
        return float(np.mean(np.argmax(y_pred, axis=1) == y_true))
    if loss.name == "categorical_crossentropy":
        return float(np.mean(np.argmax(y_pred, axis=1) == np.argmax(y_true, axis=1)))
    threshold = 0.0 if loss.from_logits else 0.5
    return float(np.mean((y_pred > threshold) == (y_true > 0.5)))


def mse(y_true, y_pred, loss):
    return float(np.mean((y_pred - y_true) ** 2))


def mae(y_true, y_pred, loss):
    return float(np.mean(np.abs(y_pred - y_true)))


_BY_NAME = {"accuracy": lambda: accuracy, "acc": lambda: accuracy, "mse": lambda: mse, "mae": lambda: mae}
_CANONICAL = {accuracy: "accuracy", mse: "mse", mae: "mae"}


def get(identifier):
    """(name, function) of a metric given by name."""
    if not isinstance(identifier, str):
        raise TypeError(f"metrics must be names; got {identifier!r}")
    fn = resolve(identifier, _BY_NAME, "metric")
    return _CANONICAL[fn], fn
