"""Independent float64 NumPy reference for fastmlp tests.

Nothing here calls fastmlp except the small `build_model`/`fm_*` adapters that
translate a test's plain-data network spec into library objects.  Forward pass,
losses, penalties, backprop and optimizer updates are written from the textbook
/ PyTorch-documented formulas so they can serve as an oracle.

A network spec is a list of dicts, one per Dense layer:
    {"units": int, "act": str, "bias": bool, "reg": None | (kind, *coefs)}
act is one of ACTIVATIONS, or "leaky_relu:<alpha>" meaning the object
fm.activations.LeakyReLU(alpha=<alpha>).  reg is ("l1", a), ("l2", b) or
("l1l2", a, b).
"""
import numpy as np

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "step"]
SMOOTH_ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax",
                      "leaky_relu:0.2"]

# Loss keys used by the tests -> (kind, from_logits flag)
LOSSES = ["mse", "mae", "bce", "bce_logits", "cce", "cce_logits", "scce", "scce_logits"]


# ----------------------------------------------------------------- adapters
def fm_activation(name):
    import fastmlp as fm
    if name.startswith("leaky_relu:"):
        return fm.activations.LeakyReLU(alpha=float(name.split(":")[1]))
    return name


def fm_regularizer(reg):
    import fastmlp as fm
    if reg is None:
        return None
    kind = reg[0]
    if kind == "l1":
        return fm.regularizers.L1(reg[1])
    if kind == "l2":
        return fm.regularizers.L2(reg[1])
    if kind == "l1l2":
        return fm.regularizers.L1L2(reg[1], reg[2])
    raise ValueError(reg)


def fm_loss(key):
    import fastmlp as fm
    return {
        "mse": "mse",
        "mae": "mae",
        "bce": "binary_crossentropy",
        "bce_logits": fm.losses.BinaryCrossentropy(from_logits=True),
        "cce": "categorical_crossentropy",
        "cce_logits": fm.losses.CategoricalCrossentropy(from_logits=True),
        "scce": "sparse_categorical_crossentropy",
        "scce_logits": fm.losses.SparseCategoricalCrossentropy(from_logits=True),
    }[key]


def build_model(spec, input_dim, dtype="float64", seed=0):
    import fastmlp as fm
    layers = [
        fm.layers.Dense(l["units"], activation=fm_activation(l["act"]),
                        use_bias=l.get("bias", True),
                        kernel_regularizer=fm_regularizer(l.get("reg")))
        for l in spec
    ]
    return fm.Sequential(layers, input_dim=input_dim, seed=seed, dtype=dtype)


# ------------------------------------------------------------ random inputs
def random_weights(spec, input_dim, rng, lo=0.2, hi=1.0):
    """Weights with |w| in [lo, hi] (away from 0 so L1's kink is never hit)."""
    ws = []
    fan_in = input_dim
    for l in spec:
        scale = 1.0 / np.sqrt(fan_in)
        W = rng.uniform(lo, hi, (fan_in, l["units"])) * rng.choice([-1.0, 1.0], (fan_in, l["units"]))
        ws.append(W * max(scale, 0.3))
        if l.get("bias", True):
            ws.append(rng.uniform(lo, hi, l["units"]) * rng.choice([-1.0, 1.0], l["units"]) * 0.5)
        fan_in = l["units"]
    return ws


def random_targets(loss, n, k, rng):
    if loss in ("mse", "mae"):
        return rng.normal(0.0, 1.0, (n, k))
    if loss in ("bce", "bce_logits"):
        return rng.integers(0, 2, (n, k)).astype(np.float64)
    if loss in ("cce", "cce_logits"):
        # soft (probability) rows exercise the general formula, not only one-hot
        p = rng.uniform(0.05, 1.0, (n, k))
        return p / p.sum(axis=1, keepdims=True)
    if loss in ("scce", "scce_logits"):
        return rng.integers(0, k, n)
    raise ValueError(loss)


# --------------------------------------------------------------- activations
def _parse(name):
    if name is None or name in ("linear", "none"):
        return "linear", None
    if name.startswith("leaky_relu:"):
        return "leaky_relu", float(name.split(":")[1])
    if name == "leaky_relu":
        return "leaky_relu", 0.01
    return name, None


def sigmoid(z):
    # branch-free stable logistic
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def act_forward(name, z):
    kind, alpha = _parse(name)
    if kind == "linear":
        return z.copy()
    if kind == "sigmoid":
        return sigmoid(z)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if kind == "softmax":
        return softmax(z)
    if kind == "step":
        return (z > 0).astype(z.dtype)  # Heaviside with step(0) = 0
    raise ValueError(name)


def act_backward(name, z, a, g):
    kind, alpha = _parse(name)
    if kind == "linear" or kind == "step":  # step: straight-through estimator
        return g
    if kind == "sigmoid":
        return g * a * (1 - a)
    if kind == "tanh":
        return g * (1 - a * a)
    if kind == "relu":
        return g * (z > 0)
    if kind == "leaky_relu":
        return g * np.where(z > 0, 1.0, alpha)
    if kind == "softmax":
        return a * (g - (g * a).sum(axis=1, keepdims=True))
    raise ValueError(name)


def kink_distance(name, z):
    """How far pre-activations are from a point where act is not smooth."""
    kind, _ = _parse(name)
    if kind in ("relu", "leaky_relu", "step"):
        return np.min(np.abs(z)) if z.size else np.inf
    return np.inf


# ------------------------------------------------------------------ network
def unpack(spec, weights):
    out, i = [], 0
    for l in spec:
        W = weights[i]
        i += 1
        b = None
        if l.get("bias", True):
            b = weights[i]
            i += 1
        out.append((W, b))
    assert i == len(weights)
    return out


def forward(spec, weights, X):
    """Returns [(z, a), ...] per layer."""
    cache = []
    h = np.asarray(X, dtype=np.float64)
    for l, (W, b) in zip(spec, unpack(spec, weights)):
        z = h @ W
        if b is not None:
            z = z + b
        h = act_forward(l["act"], z)
        cache.append((z, h))
    return cache


def _y2d(y, k):
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(-1, k) if y.ndim == 1 else y


def data_loss(loss, out_act, z, a, y):
    """Mean data loss following PyTorch's default reductions."""
    n, k = z.shape
    if loss == "mse":
        return np.mean((a - _y2d(y, k)) ** 2)
    if loss == "mae":
        return np.mean(np.abs(a - _y2d(y, k)))
    if loss == "bce_logits" or (loss == "bce" and _parse(out_act)[0] == "sigmoid"):
        y = _y2d(y, k)  # BCEWithLogitsLoss on the pre-activation
        return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    if loss == "bce":  # torch.nn.BCELoss: logs clamped at -100
        y = _y2d(y, k)
        with np.errstate(divide="ignore"):
            lp = np.maximum(np.log(a), -100.0)
            l1p = np.maximum(np.log(1 - a), -100.0)
        return np.mean(-(y * lp + (1 - y) * l1p))
    if loss in ("cce", "cce_logits"):
        return np.mean(-(y * log_softmax(z)).sum(axis=1))
    if loss in ("scce", "scce_logits"):
        y = np.asarray(y).astype(int)
        return np.mean(-log_softmax(z)[np.arange(n), y])
    raise ValueError(loss)


def data_loss_grad_z(loss, out_act, z, a, y):
    """dL/dz of the output layer (exact, for smooth points)."""
    n, k = z.shape
    if loss == "bce_logits" or (loss == "bce" and _parse(out_act)[0] == "sigmoid"):
        return (sigmoid(z) - _y2d(y, k)) / (n * k)
    if loss in ("cce", "cce_logits"):
        return (softmax(z) - y) / n
    if loss in ("scce", "scce_logits"):
        Y = np.zeros_like(z)
        Y[np.arange(n), np.asarray(y).astype(int)] = 1.0
        return (softmax(z) - Y) / n
    if loss == "mse":
        ga = 2 * (a - _y2d(y, k)) / (n * k)
    elif loss == "mae":
        ga = np.sign(a - _y2d(y, k)) / (n * k)
    elif loss == "bce":
        yy = _y2d(y, k)
        ga = (-(yy / a) + (1 - yy) / (1 - a)) / (n * k)
    else:
        raise ValueError(loss)
    return act_backward(out_act, z, a, ga)


def penalty(spec, weights):
    p = 0.0
    for l, (W, _) in zip(spec, unpack(spec, weights)):
        reg = l.get("reg")
        if reg is None:
            continue
        l1 = reg[1] if reg[0] in ("l1", "l1l2") else 0.0
        l2 = reg[1] if reg[0] == "l2" else (reg[2] if reg[0] == "l1l2" else 0.0)
        p += l1 * np.abs(W).sum() + l2 * (W ** 2).sum()
    return p


def total_loss(spec, loss, weights, X, y):
    z, a = forward(spec, weights, X)[-1]
    return data_loss(loss, spec[-1]["act"], z, a, y) + penalty(spec, weights)


def backprop(spec, loss, weights, X, y):
    """Analytic gradient of total_loss, in get_weights order."""
    X = np.asarray(X, dtype=np.float64)
    cache = forward(spec, weights, X)
    params = unpack(spec, weights)
    z, a = cache[-1]
    dz = data_loss_grad_z(loss, spec[-1]["act"], z, a, y)
    grads = []
    for i in range(len(spec) - 1, -1, -1):
        h_prev = X if i == 0 else cache[i - 1][1]
        W, b = params[i]
        dW = h_prev.T @ dz
        reg = spec[i].get("reg")
        if reg is not None:
            l1 = reg[1] if reg[0] in ("l1", "l1l2") else 0.0
            l2 = reg[1] if reg[0] == "l2" else (reg[2] if reg[0] == "l1l2" else 0.0)
            dW = dW + l1 * np.sign(W) + 2 * l2 * W
        layer = [dW] + ([dz.sum(axis=0)] if b is not None else [])
        grads = layer + grads
        if i > 0:
            zp, ap = cache[i - 1]
            dz = act_backward(spec[i - 1]["act"], zp, ap, dz @ W.T)
    return grads


def finite_diff(f, weights, h=1e-5):
    """Central differences of scalar f over every entry of every array."""
    grads = []
    for idx, w in enumerate(weights):
        g = np.zeros_like(w)
        for j in np.ndindex(w.shape):
            wp = [x.copy() for x in weights]
            wm = [x.copy() for x in weights]
            wp[idx][j] += h
            wm[idx][j] -= h
            g[j] = (f(wp) - f(wm)) / (2 * h)
        grads.append(g)
    return grads


# ---------------------------------------------------------------- optimizers
class RefOptimizer:
    """torch.optim update rules (documented pseudo-code), one state per param."""

    def __init__(self, kind, **hp):
        self.kind, self.hp, self.state, self.t = kind, hp, {}, 0

    def step(self, params, grads):
        self.t += 1
        return [self._one(i, p, g) for i, (p, g) in enumerate(zip(params, grads))]

    def _one(self, i, p, g):
        hp, t = self.hp, self.t
        st = self.state.setdefault(i, {})
        p = p.copy()
        wd = hp.get("weight_decay", 0.0)
        if self.kind == "sgd":
            lr, mu, nesterov = hp.get("lr", 0.01), hp.get("momentum", 0.0), hp.get("nesterov", False)
            g = g + wd * p
            if mu != 0:
                st["b"] = g.copy() if "b" not in st else mu * st["b"] + g
                g = g + mu * st["b"] if nesterov else st["b"]
            return p - lr * g
        if self.kind == "adagrad":
            lr, eps = hp.get("lr", 0.01), hp.get("eps", 1e-10)
            g = g + wd * p
            st["sum"] = st.get("sum", 0.0) + g * g
            return p - lr * g / (np.sqrt(st["sum"]) + eps)
        if self.kind == "rmsprop":
            lr, rho, eps, mu = hp.get("lr", 0.01), hp.get("rho", 0.99), hp.get("eps", 1e-8), hp.get("momentum", 0.0)
            g = g + wd * p
            st["v"] = rho * st.get("v", 0.0) + (1 - rho) * g * g
            avg = np.sqrt(st["v"]) + eps
            if mu > 0:
                st["buf"] = mu * st.get("buf", 0.0) + g / avg
                return p - lr * st["buf"]
            return p - lr * g / avg
        if self.kind in ("adam", "adamw"):
            lr = hp.get("lr", 1e-3)
            b1, b2, eps = hp.get("beta1", 0.9), hp.get("beta2", 0.999), hp.get("eps", 1e-8)
            if self.kind == "adamw":
                wd = hp.get("weight_decay", 0.01)
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
            st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
            st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
            bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
            denom = np.sqrt(st["v"]) / np.sqrt(bc2) + eps
            return p - (lr / bc1) * st["m"] / denom
        raise ValueError(self.kind)


def fm_optimizer(kind, **hp):
    import fastmlp as fm
    cls = {"sgd": fm.optimizers.SGD, "adagrad": fm.optimizers.Adagrad,
           "rmsprop": fm.optimizers.RMSprop, "adam": fm.optimizers.Adam,
           "adamw": fm.optimizers.AdamW}[kind]
    return cls(**hp)
