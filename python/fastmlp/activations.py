"""Activation functions, by name or object. The kernels (forward and backward) live in the core;
the names come from it, so an activation added there appears here."""
from . import _core
from ._validation import check_float

NAMES = _core.ACTIVATIONS


class Activation:
    """An activation by its core name. "step" is Heaviside (step(0) = 0) with a straight-through
    backward pass, as the perceptron rule needs."""

    def __init__(self, name):
        if name not in NAMES:
            raise ValueError(f"unknown activation {name!r}; expected one of: "
                             + ", ".join(repr(n) for n in NAMES) + " or None")
        self.name = name
        self.alpha = 0.01

    def __repr__(self):
        return f"Activation({self.name!r})"


class LeakyReLU(Activation):
    """max(x, alpha x); alpha >= 0 so that the derivative can be read from the output's sign."""

    def __init__(self, alpha=0.01):
        super().__init__("leaky_relu")
        self.alpha = check_float(alpha, "alpha")

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


def get(identifier):
    if identifier is None:
        return Activation("linear")
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        return Activation(identifier.lower())
    raise TypeError(f"activation must be a name, an Activation or None; got {identifier!r}")
