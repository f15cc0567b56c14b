"""Optimizers: hyperparameter holders for the core's fused update, one pass over all parameters
per step. Each follows torch.optim's documented update rule exactly (g gradient, p parameter,
t the 1-based step), with PyTorch's defaults, except that optimizer state (momenta, moments)
is stored with subnormal values flushed to zero: a dead unit's decaying moments would otherwise
stay subnormal for good, and arithmetic on subnormals is many times slower on Intel CPUs."""
import numpy as np

from ._validation import check_bool, check_float, resolve


def _check_eps(eps):
    # eps keeps the step finite where a moment is zero: a parameter that never had a gradient,
    # or a dead unit's, whose moments decay to zero (subnormals are stored as zero).
    if check_float(eps, "eps") == 0:
        raise ValueError("eps must be > 0: it keeps the update finite where the second moment "
                         "is zero; got 0.0")
    return float(eps)


class Optimizer:
    name = None

    def __init__(self, lr, weight_decay=0.0):
        self._network = None  # the compiled model's core network, set by compile()
        self.lr = lr
        self.weight_decay = check_float(weight_decay, "weight_decay")

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = check_float(value, "lr")
        if self._network is not None:
            self._network.learning_rate = self._lr

    def _core_args(self):
        return dict(name=self.name, lr=self.lr, momentum=0.0, nesterov=False,
                    weight_decay=self.weight_decay, beta1=0.9, beta2=0.999, rho=0.99, eps=1e-8,
                    eps_hat=False)

    def __repr__(self):
        args = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        return f"{type(self).__name__}(lr={self.lr}, " + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum (torch.optim.SGD,
    dampening 0)::

        g = g + weight_decay * p
        b = momentum * b + g                     (b = 0 before the first step)
        g = g + momentum * b if nesterov else b  (when momentum > 0)
        p = p - lr * g
    """
    name = "sgd"

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = check_float(momentum, "momentum")
        self.nesterov = check_bool(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0")

    def _core_args(self):
        return {**super()._core_args(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad, lr_decay 0, initial accumulator 0)::

        g = g + weight_decay * p
        s = s + g^2
        p = p - lr * g / (sqrt(s) + eps)
    """
    name = "adagrad"

    def __init__(self, lr=0.01, eps=1e-10, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.eps = _check_eps(eps)

    def _core_args(self):
        return {**super()._core_args(), "eps": self.eps}


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop, not centered; rho is torch's alpha)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g^2
        a = sqrt(v) + eps
        b = momentum * b + g / a;  p = p - lr * b   (momentum > 0)
        p = p - lr * g / a                          (momentum = 0)
    """
    name = "rmsprop"

    def __init__(self, lr=0.01, rho=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.rho = check_float(rho, "rho", 0.0, 1.0)
        self.eps = _check_eps(eps)
        self.momentum = check_float(momentum, "momentum")

    def _core_args(self):
        return {**super()._core_args(), "rho": self.rho, "eps": self.eps, "momentum": self.momentum}


class Adam(Optimizer):
    """Adam (torch.optim.Adam; weight decay added to the gradient, as L2)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    With eps_hat=True, eps is Kingma and Ba's epsilon hat, added to sqrt(v) before the bias
    correction, as in Keras and scikit-learn (one division per parameter instead of two: faster
    where the update is a noticeable part of a step)::

        p = p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

    The first is the second with eps * sqrt(1 - beta2^t) in place of eps: the same but for eps's
    weight in the first steps.
    """
    name = "adam"

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 eps_hat=False):
        super().__init__(lr, weight_decay)
        self.beta1 = check_float(beta1, "beta1", 0.0, 1.0)
        self.beta2 = check_float(beta2, "beta2", 0.0, 1.0)
        self.eps = _check_eps(eps)
        self.eps_hat = check_bool(eps_hat, "eps_hat")

    def _core_args(self):
        return {**super()._core_args(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "eps_hat": self.eps_hat}


class AdamW(Adam):
    """AdamW (torch.optim.AdamW): Adam with decoupled weight decay::

        p = p * (1 - lr * weight_decay)
        then the Adam update above with weight_decay = 0 (either form of eps)
    """
    name = "adamw"

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                 eps_hat=False):
        super().__init__(lr, beta1, beta2, eps, weight_decay, eps_hat)


_BY_NAME = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


def get(identifier):
    opt = resolve(identifier, _BY_NAME, "optimizer")
    if not isinstance(opt, Optimizer):
        raise TypeError(f"optimizer must be a name or a fastmlp.optimizers.Optimizer; got {identifier!r}")
    return opt


def minimize(grad_fn, x0, optimizer, steps):
    """Run `optimizer`'s fused core update (the one fit uses) on a small float64 vector whose
    gradient comes from Python: x_{t} = update(x_{t-1}, grad_fn(x_{t-1})) for t = 1..steps.

    For pictures of optimizers on test functions (e.g. the 2-D paths in
    examples/compare_optimizers.py). Returns the path, an array of shape (steps + 1, len(x0))
    starting with x0; stops early, with a shorter path, once x or the gradient is not finite."""
    from . import _core
    from ._validation import check_int

    optimizer = get(optimizer)
    steps = check_int(steps, "steps", 0)
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"x0 must be a non-empty vector of finite numbers; got {x0!r}")
    args = optimizer._core_args()
    state = np.zeros(_core.optimizer_state_slots(args["name"], args["momentum"]) * x.size)
    path = [x.copy()]
    for t in range(1, steps + 1):
        g = np.asarray(grad_fn(x.copy()), dtype=np.float64).reshape(-1)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn must return {x.size} values; got shape {g.shape}")
        if not np.isfinite(g).all():
            break
        _core.optimizer_step(x, g, state, t, **args)
        if not np.isfinite(x).all():
            break
        path.append(x.copy())
    return np.array(path)
