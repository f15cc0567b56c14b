"""Layer specifications. A layer here only describes itself; its forward and backward kernels
run in the core."""
from . import activations, initializers
from ._validation import check_bool, check_float, check_int
from .regularizers import L1L2


class Layer:
    kind = None
    has_weights = False  # trainable weights, in the parameter arena

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {name!r}")
        self.name = name

    def output_dim(self, input_dim):
        return input_dim

    def leaves(self):
        """The layers the core runs, in order (a Residual is its block)."""
        return [self]

    def _core_specs(self):
        """Core layer tuples: (kind, units, activation, alpha, use_bias, l1, l2, rate, momentum, eps)."""
        return [(self.kind, 0, "linear", 0.0, False, 0.0, 0.0, 0.0, 0.0, 0.0)]

    def initialize(self, views, fan_in, seed, stream):
        """Fill this layer's weight views (taken from the iterator, in get_weights order)."""

    def get_config(self):
        return {"kind": self.kind, "name": self.name}


class Dense(Layer):
    """Fully connected layer: act(X W + b), W of shape (inputs, units)."""
    kind = "dense"
    has_weights = True

    def __init__(self, units, activation=None, use_bias=True, kernel_init="glorot_uniform",
                 bias_init="zeros", kernel_regularizer=None, name=None):
        super().__init__(name)
        self.units = check_int(units, "units", 1)
        self.activation = activations.get(activation)
        self.use_bias = check_bool(use_bias, "use_bias")
        self.kernel_init = initializers.get(kernel_init)
        self.bias_init = initializers.get(bias_init)
        if kernel_regularizer is not None and not isinstance(kernel_regularizer, L1L2):
            raise TypeError("kernel_regularizer must be fastmlp.regularizers.L1, L2 or L1L2; "
                            f"got {kernel_regularizer!r}")
        self.kernel_regularizer = kernel_regularizer

    def output_dim(self, input_dim):
        return self.units

    def _core_specs(self):
        reg = self.kernel_regularizer or L1L2()
        return [("dense", self.units, self.activation.name, self.activation.alpha, self.use_bias,
                 reg.l1, reg.l2, 0.0, 0.0, 0.0)]

    def initialize(self, views, fan_in, seed, stream):
        self.kernel_init.fill(next(views).reshape(-1), fan_in, self.units, seed, 2 * stream)
        if self.use_bias:
            self.bias_init.fill(next(views), fan_in, self.units, seed, 2 * stream + 1)

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

    def _core_specs(self):
        return [("gaussian_noise", 0, "linear", 0.0, False, 0.0, 0.0, self.stddev, 0.0, 0.0)]

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "stddev": self.stddev}

    def __repr__(self):
        return f"GaussianNoise({self.stddev})"


class Dropout(Layer):
    """Inverted dropout: in training each input is zeroed with probability `rate` and the others
    scaled by 1 / (1 - rate); the identity in evaluate and predict. Masks come from the model's
    seed and the step count, so training is reproducible for any thread count."""
    kind = "dropout"

    def __init__(self, rate, name=None):
        super().__init__(name)
        self.rate = check_float(rate, "rate", 0.0, 1.0)

    def _core_specs(self):
        return [("dropout", 0, "linear", 0.0, False, 0.0, 0.0, self.rate, 0.0, 0.0)]

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "rate": self.rate}

    def __repr__(self):
        return f"Dropout({self.rate})"


class BatchNorm(Layer):
    """Batch normalisation over the batch, per feature: gamma * (x - mean) / sqrt(var + eps) + beta.

    Training uses the batch's mean and (biased) variance and moves the moving statistics with
    Keras' rule: moving = momentum * moving + (1 - momentum) * batch value. Inference uses the
    moving statistics and folds the normalisation into a preceding linear Dense, so
    Dense -> BatchNorm -> Activation costs one pass. A batch of one sample has variance 0: the
    layer outputs beta for it and passes no gradient to its input (the moving statistics still
    move). Weights: [gamma, beta, moving_mean, moving_var]; the last two are not trainable."""
    kind = "batch_norm"
    has_weights = True

    def __init__(self, momentum=0.99, eps=1e-3, name=None):
        super().__init__(name)
        self.momentum = check_float(momentum, "momentum", 0.0, 1.0, include_max=True)
        self.eps = check_float(eps, "eps", 1e-300)

    def _core_specs(self):
        return [("batch_norm", 0, "linear", 0.0, False, 0.0, 0.0, 0.0, self.momentum, self.eps)]

    def initialize(self, views, fan_in, seed, stream):
        next(views)[...] = 1.0  # gamma
        next(views)[...] = 0.0  # beta
        next(views)[...] = 0.0  # moving mean
        next(views)[...] = 1.0  # moving variance

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "momentum": self.momentum, "eps": self.eps}

    def __repr__(self):
        return f"BatchNorm(momentum={self.momentum}, eps={self.eps})"


class LayerNorm(Layer):
    """Layer normalisation over each sample's features: gamma * (x - mean) / sqrt(var + eps) +
    beta, the same in training and inference. Weights: [gamma, beta]."""
    kind = "layer_norm"
    has_weights = True

    def __init__(self, eps=1e-5, name=None):
        super().__init__(name)
        self.eps = check_float(eps, "eps", 1e-300)

    def _core_specs(self):
        return [("layer_norm", 0, "linear", 0.0, False, 0.0, 0.0, 0.0, 0.0, self.eps)]

    def initialize(self, views, fan_in, seed, stream):
        next(views)[...] = 1.0
        next(views)[...] = 0.0

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "eps": self.eps}

    def __repr__(self):
        return f"LayerNorm(eps={self.eps})"


class Activation(Layer):
    """An activation as a layer of its own, e.g. after BatchNorm: Dense(64), BatchNorm(),
    Activation("relu")."""
    kind = "activation"

    def __init__(self, activation, name=None):
        super().__init__(name)
        self.activation = activations.get(activation)

    def _core_specs(self):
        return [("activation", 0, self.activation.name, self.activation.alpha, False, 0.0, 0.0,
                 0.0, 0.0, 0.0)]

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "activation": self.activation.name,
                "alpha": self.activation.alpha}

    def __repr__(self):
        return f"Activation({self.activation.name!r})"


class Residual(Layer):
    """output = input + block(input): the block must end at its input's width."""
    kind = "residual"

    def __init__(self, layers, name=None):
        super().__init__(name)
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Residual needs at least one layer in its block")
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Residual's layers must be fastmlp layers; got {layer!r}")

    @property
    def has_weights(self):
        return any(layer.has_weights for layer in self.layers)

    def output_dim(self, input_dim):
        width = input_dim
        for layer in self.layers:
            width = layer.output_dim(width)
        if width != input_dim:
            raise ValueError(f"a residual block must keep its input's width: {self.name!r} maps "
                             f"{input_dim} features to {width}")
        return input_dim

    def leaves(self):
        return [leaf for layer in self.layers for leaf in layer.leaves()]

    def _core_specs(self):
        inner = [spec for layer in self.layers for spec in layer._core_specs()]
        marker = lambda kind: (kind, 0, "linear", 0.0, False, 0.0, 0.0, 0.0, 0.0, 0.0)  # noqa: E731
        return [marker("residual_begin"), *inner, marker("residual_end")]

    def get_config(self):
        return {"kind": self.kind, "name": self.name, "layers": [l.get_config() for l in self.layers]}

    def __repr__(self):
        return f"Residual({self.layers!r})"


def from_config(config):
    """A layer from get_config()'s dict, every field validated by the constructor."""
    if not isinstance(config, dict):
        raise ValueError(f"a layer config must be a dict; got {type(config).__name__}")
    cfg = dict(config)
    kind = cfg.pop("kind", None)
    try:
        if kind == "dense":
            act = activations.LeakyReLU(cfg["alpha"]) if cfg["activation"] == "leaky_relu" else cfg["activation"]
            reg = L1L2(cfg["l1"], cfg["l2"]) if cfg["l1"] or cfg["l2"] else None
            return Dense(cfg["units"], activation=act, use_bias=cfg["use_bias"],
                         kernel_regularizer=reg, name=cfg["name"])
        if kind == "gaussian_noise":
            return GaussianNoise(cfg["stddev"], name=cfg["name"])
        if kind == "dropout":
            return Dropout(cfg["rate"], name=cfg["name"])
        if kind == "batch_norm":
            return BatchNorm(cfg["momentum"], cfg["eps"], name=cfg["name"])
        if kind == "layer_norm":
            return LayerNorm(cfg["eps"], name=cfg["name"])
        if kind == "activation":
            act = activations.LeakyReLU(cfg["alpha"]) if cfg["activation"] == "leaky_relu" else cfg["activation"]
            return Activation(act, name=cfg["name"])
        if kind == "residual":
            if not isinstance(cfg["layers"], list):
                raise ValueError("a residual config's 'layers' must be a list")
            return Residual([from_config(c) for c in cfg["layers"]], name=cfg["name"])
    except KeyError as exc:
        raise ValueError(f"layer config {config!r} lacks the field {exc}") from None
    raise ValueError(f"unknown layer kind {kind!r} in a layer config")
