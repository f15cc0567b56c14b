"""Layer specifications. A layer here only describes itself; its forward and backward kernels
run in the core."""
from . import activations, initializers
from ._validation import check_float, check_int
from .regularizers import L1L2


class Layer:
    kind = None
    has_weights = False

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {name!r}")
        self.name = name

    def output_dim(self, input_dim):
        return input_dim


class Dense(Layer):
    """Fully connected layer: act(X W + b), W of shape (inputs, units)."""
    kind = "dense"
    has_weights = True

    def __init__(self, units, activation=None, use_bias=True, kernel_init="glorot_uniform",
                 bias_init="zeros", kernel_regularizer=None, name=None):
        super().__init__(name)
        self.units = check_int(units, "units", 1)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_init = initializers.get(kernel_init)
        self.bias_init = initializers.get(bias_init)
        if kernel_regularizer is not None and not isinstance(kernel_regularizer, L1L2):
            raise TypeError("kernel_regularizer must be fastmlp.regularizers.L1, L2 or L1L2; "
                            f"got {kernel_regularizer!r}")
        self.kernel_regularizer = kernel_regularizer

    def output_dim(self, input_dim):
        return self.units

    def _core_spec(self):
        reg = self.kernel_regularizer or L1L2()
        return ("dense", self.units, self.activation.name, self.activation.alpha, self.use_bias,
                reg.l1, reg.l2, 0.0)

    def get_config(self):
        reg = self.kernel_regularizer
        return {"kind": self.kind, "name": self.name, "units": self.units,
                "activation": self.activation.name, "alpha": self.activation.alpha,
                "use_bias": self.use_bias,
                "l1": reg.l1 if reg else 0.0, "l2": reg.l2 if reg else 0.0}

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.name!r})"


class GaussianNoise(Layer):
    """Adds N(0, stddev^2) noise to its input in training only (data augmentation for tabular
    inputs, or a regulariser between layers); the identity in evaluate and predict. The noise is
    drawn from the model's seed and the step count, so training stays reproducible."""
    kind = "gaussian_noise"

    def __init__(self, stddev, name=None):
        super().__init__(name)
        self.stddev = check_float(stddev, "stddev")

    def _core_spec(self):
        return ("gaussian_noise", 0, "linear", 0.0, False, 0.0, 0.0, self.stddev)

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "stddev": self.stddev}

    def __repr__(self):
        return f"GaussianNoise({self.stddev})"


def from_config(config):
    """A layer from get_config()'s dict, every field validated by the constructor."""
    if not isinstance(config, dict):
        raise ValueError(f"a layer config must be a dict; got {type(config).__name__}")
    cfg = dict(config)
    kind = cfg.pop("kind", None)
    try:
        if kind == "dense":
            from .regularizers import L1L2 as Reg
            act = activations.LeakyReLU(cfg["alpha"]) if cfg["activation"] == "leaky_relu" else cfg["activation"]
            reg = Reg(cfg["l1"], cfg["l2"]) if cfg["l1"] or cfg["l2"] else None
            return Dense(cfg["units"], activation=act, use_bias=cfg["use_bias"],
                         kernel_regularizer=reg, name=cfg["name"])
        if kind == "gaussian_noise":
            return GaussianNoise(cfg["stddev"], name=cfg["name"])
    except KeyError as exc:
        raise ValueError(f"layer config {config!r} lacks the field {exc}") from None
    raise ValueError(f"unknown layer kind {kind!r} in a layer config")
