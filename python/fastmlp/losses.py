"""Losses, reduced as PyTorch's defaults: MSE, MAE and binary cross-entropy average over every
element; the categorical cross-entropies sum over classes and average over samples.

Softmax + categorical cross-entropy and sigmoid + binary cross-entropy are computed from the
logits (log-sum-exp) with the fused gradient p - y, so they stay finite for any input.
With ``from_logits=True`` the model's last layer outputs logits and the loss applies softmax or
sigmoid itself."""
from . import _core
from ._validation import check_bool, resolve


class Loss:
    name = None
    sparse = False

    def __init__(self, from_logits=False):
        self.from_logits = check_bool(from_logits, "from_logits")

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    """mean((y_pred - y)^2) over all elements."""
    name = "mse"


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y|) over all elements."""
    name = "mae"


class BinaryCrossentropy(Loss):
    """-mean(y log p + (1 - y) log(1 - p)) over all elements; one column per label for
    multi-label problems. On probabilities the logs are clamped at -100, as torch.nn.BCELoss."""
    name = "binary_crossentropy"


class CategoricalCrossentropy(Loss):
    """-sum_c y_c log p_c averaged over samples, y one-hot (or probability) rows."""
    name = "categorical_crossentropy"


class SparseCategoricalCrossentropy(Loss):
    """-log p_y averaged over samples, y integer class labels."""
    name = "sparse_categorical_crossentropy"
    sparse = True


_BY_NAME = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
assert {cls.name for cls in _BY_NAME.values()} == set(_core.LOSSES)


def get(identifier):
    loss = resolve(identifier, _BY_NAME, "loss")
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a name or a fastmlp.losses.Loss; got {identifier!r}")
    return loss
