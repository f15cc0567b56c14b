"""Layer specifications. A layer here only describes itself; its forward and backward kernels
run in the core."""
from . import activations, initializers
from ._validation import check_int
from .regularizers import L1L2


class Dense:
    """Fully connected layer: act(X W + b), W of shape (inputs, units)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_init="glorot_uniform",
                 bias_init="zeros", kernel_regularizer=None, name=None):
        self.units = check_int(units, "units", 1)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_init = initializers.get(kernel_init)
        self.bias_init = initializers.get(bias_init)
        if kernel_regularizer is not None and not isinstance(kernel_regularizer, L1L2):
            raise TypeError("kernel_regularizer must be fastmlp.regularizers.L1, L2 or L1L2; "
                            f"got {kernel_regularizer!r}")
        self.kernel_regularizer = kernel_regularizer
        self.name = name

    def _core_spec(self):
        reg = self.kernel_regularizer or L1L2()
        return (self.units, self.activation.name, self.activation.alpha, self.use_bias, reg.l1, reg.l2)

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.name!r})"
