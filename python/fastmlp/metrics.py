"""Metrics, computed in the core during training epochs (on each batch's outputs before its
update, as Keras reports them) and evaluation passes; this module names and configures them.

- "accuracy" ("acc"): class labels vs argmax for the sparse loss, argmax vs argmax for one-hot
  targets, otherwise each output thresholded at 0.5 (0 for logits) against targets > 0.5.
- "top_k_accuracy" (k=5) or TopKAccuracy(k): the true class among the k highest outputs.
- "mse", "mae", "rmse", "r2" (uniform average over outputs, as scikit-learn's r2_score).
Sample weights do not weight metrics."""
from . import _core
from ._validation import check_int


class Metric:
    def __init__(self, name, k=5):
        if name not in _core.METRICS:
            raise ValueError(f"unknown metric {name!r}; expected one of: "
                             + ", ".join(repr(n) for n in _core.METRICS))
        self.name, self.k = name, k

    def _core_spec(self):
        return (self.name, self.k)


class TopKAccuracy(Metric):
    def __init__(self, k=5):
        super().__init__("top_k_accuracy", check_int(k, "k", 1))


_ALIASES = {"acc": "accuracy", "mean_squared_error": "mse", "mean_absolute_error": "mae"}
_NEEDS_DENSE_TARGETS = {"mse", "mae", "rmse", "r2"}
_NEEDS_CLASSES = {"top_k_accuracy"}


def get(identifier, loss):
    """The Metric for a name or object, checked against the loss's kind of targets."""
    if isinstance(identifier, str):
        name = identifier.lower()
        metric = Metric(_ALIASES.get(name, name))
    elif isinstance(identifier, Metric):
        metric = identifier
    else:
        raise TypeError(f"metrics must be names or fastmlp.metrics.Metric; got {identifier!r}")
    if loss.sparse and metric.name in _NEEDS_DENSE_TARGETS:
        raise ValueError(f"metric {metric.name!r} needs numeric targets; with "
                         f"{loss.name} the targets are class labels")
    if metric.name in _NEEDS_CLASSES and not (loss.sparse or loss.name == "categorical_crossentropy"):
        raise ValueError(f"metric {metric.name!r} needs a categorical loss; got {loss.name}")
    return metric


def target_kind(loss):
    """How the core reads targets for accuracy, and the decision threshold for binary outputs."""
    if loss.sparse:
        return "labels", 0.5
    if loss.name == "categorical_crossentropy":
        return "onehot", 0.5
    return "binary", 0.0 if loss.from_logits else 0.5
