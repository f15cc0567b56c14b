"""fm.optimizers.minimize drives the core's fused optimizer step on a Python-side problem; each
step must follow the formula in the optimizer's docstring."""
import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _core

O = fm.optimizers


def grad(x):
    """Gradient of an anisotropic quadratic 0.5 * (x0^2 + 10 x1^2) + x0 x1."""
    return np.array([x[0] + x[1], 10 * x[1] + x[0]])


def reference_path(opt, x0, steps):
    """The documented update rules, written out in NumPy."""
    p = np.array(x0, float)
    b = np.zeros(2); s = np.zeros(2); m = np.zeros(2); v = np.zeros(2)
    path = [p.copy()]
    for t in range(1, steps + 1):
        g = grad(p)
        if isinstance(opt, O.AdamW):
            p = p * (1 - opt.lr * opt.weight_decay)
        else:
            g = g + opt.weight_decay * p
        if isinstance(opt, O.SGD):
            if opt.momentum:
                b = opt.momentum * b + g
                g = g + opt.momentum * b if opt.nesterov else b
            p = p - opt.lr * g
        elif isinstance(opt, O.Adagrad):
            s = s + g * g
            p = p - opt.lr * g / (np.sqrt(s) + opt.eps)
        elif isinstance(opt, O.RMSprop):
            v = opt.rho * v + (1 - opt.rho) * g * g
            a = np.sqrt(v) + opt.eps
            if opt.momentum:
                b = opt.momentum * b + g / a
                p = p - opt.lr * b
            else:
                p = p - opt.lr * g / a
        else:
            m = opt.beta1 * m + (1 - opt.beta1) * g
            v = opt.beta2 * v + (1 - opt.beta2) * g * g
            p = p - opt.lr / (1 - opt.beta1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - opt.beta2 ** t) + opt.eps)
        path.append(p.copy())
    return np.array(path)


@pytest.mark.parametrize("opt", [
    O.SGD(lr=0.05), O.SGD(lr=0.05, momentum=0.9), O.SGD(lr=0.05, momentum=0.9, nesterov=True),
    O.SGD(lr=0.05, weight_decay=0.1), O.Adagrad(lr=0.3), O.RMSprop(lr=0.02),
    O.RMSprop(lr=0.01, momentum=0.5), O.Adam(lr=0.1), O.Adam(lr=0.1, weight_decay=0.05),
    O.AdamW(lr=0.1, weight_decay=0.1),
], ids=repr)
def test_minimize_follows_the_documented_update(opt):
    path = O.minimize(grad, [1.5, -1.0], opt, 40)
    assert path.shape == (41, 2)
    np.testing.assert_allclose(path, reference_path(opt, [1.5, -1.0], 40), rtol=1e-12, atol=1e-14)


def test_minimize_stops_when_the_path_diverges():
    # lr 3 on x^2 / 2 doubles |x| each step: it overflows after ~1024 steps
    path = O.minimize(lambda x: x, [1.0], O.SGD(lr=3.0), 2000)
    assert 1000 < len(path) < 1100 and np.isfinite(path).all()


def test_minimize_checks_its_inputs():
    with pytest.raises(ValueError, match="grad_fn must return 2 values"):
        O.minimize(lambda x: np.zeros(3), [0.0, 0.0], "sgd", 1)
    with pytest.raises(ValueError, match="x0"):
        O.minimize(grad, [np.nan, 0.0], "sgd", 1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        O.minimize(grad, [0.0, 0.0], "lbfgs", 1)


def test_the_binding_refuses_mismatched_sizes():
    args = O.Adam()._core_args()
    p, g = np.zeros(3), np.zeros(3)
    with pytest.raises(ValueError, match="state 6"):
        _core.optimizer_step(p, g, np.zeros(3), 1, **args)
    with pytest.raises(ValueError, match="grads must have 3"):
        _core.optimizer_step(p, np.zeros(2), np.zeros(6), 1, **args)
    with pytest.raises(ValueError, match="1-based"):
        _core.optimizer_step(p, g, np.zeros(6), 0, **args)
    with pytest.raises(TypeError):  # updated in place, so never a silent converted copy
        _core.optimizer_step(p.astype(np.float32), g, np.zeros(6), 1, **args)
