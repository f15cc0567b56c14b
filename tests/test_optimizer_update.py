"""The fused update over long parameter vectors: every element follows torch.optim's formula in
torch's operation order (Adam's eps_hat form: Keras' and scikit-learn's), bit for bit, whatever
the vector width (the AVX2 and portable loops, the tail after the last full vector) and however
many threads share the range. The sum of
squares compiled beside it (gradient norms, the L2 penalty) keeps its documented order, bit for
bit, on both instruction sets."""
import math

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _core
from _isa import cpu_has_avx2_fma, forced_generic, run_generic

O = fm.optimizers
# Odd, and long enough that Adam, Adagrad and RMSprop run on two threads.
N = 100_003
STEPS = 3


def flush(x):
    """The core stores optimizer state with subnormal values as zero (core/optim/update.h)."""
    return np.where(np.abs(x) < np.finfo(x.dtype).tiny, x.dtype.type(0), x)


def reference_step(opt, t, p, g, s0, s1):
    """One step in NumPy, each operation in the order of the core's loop (core/optim/update.h)."""
    lr, wd, eps = opt.lr, opt.weight_decay, getattr(opt, "eps", 0.0)
    if isinstance(opt, O.AdamW):
        p = p * (1.0 - opt.lr * opt.weight_decay)
        wd = 0.0
    g = g + wd * p
    if isinstance(opt, O.SGD):
        if opt.momentum:
            s0[:] = flush(opt.momentum * s0 + g)
            g = g + opt.momentum * s0 if opt.nesterov else s0
        return p - lr * g
    if isinstance(opt, O.Adagrad):
        s0[:] = flush(s0 + g * g)
        return p - lr * g / (np.sqrt(s0) + eps)
    if isinstance(opt, O.RMSprop):
        s0[:] = flush(opt.rho * s0 + (1.0 - opt.rho) * g * g)
        if opt.momentum:
            s1[:] = flush(opt.momentum * s1 + g / (np.sqrt(s0) + eps))
            return p - lr * s1
        return p - lr * g / (np.sqrt(s0) + eps)
    bc2_sqrt = np.sqrt(1.0 - opt.beta2 ** t)
    s0[:] = flush(s0 + (1.0 - opt.beta1) * (g - s0))
    s1[:] = flush(opt.beta2 * s1 + (1.0 - opt.beta2) * g * g)
    if opt.eps_hat:
        return p - lr * bc2_sqrt / (1.0 - opt.beta1 ** t) * s0 / (np.sqrt(s1) + eps)
    step_size = lr / (1.0 - opt.beta1 ** t)
    return p - step_size * (s0 / (np.sqrt(s1) / bc2_sqrt + eps))


OPTIMIZERS = [
    O.SGD(lr=0.05), O.SGD(lr=0.05, momentum=0.9, weight_decay=0.01),
    O.SGD(lr=0.05, momentum=0.9, nesterov=True), O.Adagrad(lr=0.3, weight_decay=0.01),
    O.RMSprop(lr=0.02), O.RMSprop(lr=0.01, momentum=0.5), O.Adam(lr=0.1, weight_decay=0.05),
    O.AdamW(lr=0.1, weight_decay=0.1), O.Adam(lr=0.1, eps=0.5, weight_decay=0.05, eps_hat=True),
    O.AdamW(lr=0.1, eps=0.5, eps_hat=True),
]


def core_path(opt, p, grads):
    args = opt._core_args()
    state = np.zeros(_core.optimizer_state_slots(args["name"], args["momentum"]) * N)
    for t, g in enumerate(grads, start=1):
        _core.optimizer_step(p, g, state, t, **args)
    return p


def problem_arrays():
    rng = np.random.default_rng(5)
    return rng.normal(size=N), [rng.normal(size=N) for _ in range(STEPS)]


@pytest.fixture(scope="module")
def problem():
    return problem_arrays()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=repr)
def test_update_equals_the_formula_bit_for_bit(problem, opt, threads, restore_threads):
    fm.set_num_threads(threads)
    p0, grads = problem
    ours = core_path(opt, p0.copy(), grads)
    p, s0, s1 = p0.copy(), np.zeros(N), np.zeros(N)
    for t, g in enumerate(grads, start=1):
        p = reference_step(opt, t, p, g, s0, s1)
    mismatched = np.flatnonzero(ours != p)
    assert mismatched.size == 0, f"{mismatched.size} elements differ, first at {mismatched[:5]}"


def test_adam_eps_hat_is_scikit_learns_adam():
    # An independent reference: scikit-learn's own optimizer, on the same parameters and
    # gradients. Its first moment is beta1 m + (1 - beta1) g where ours is torch's lerp: equal
    # up to rounding.
    optimizers = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    p0, grads = problem_arrays()
    opt = O.Adam(lr=0.1, beta1=0.8, beta2=0.99, eps=0.5, eps_hat=True)
    ours = core_path(opt, p0.copy(), grads)
    theirs = [p0.copy()]
    ref = optimizers.AdamOptimizer(theirs, learning_rate_init=0.1, beta_1=0.8, beta_2=0.99,
                                   epsilon=0.5)
    for g in grads:
        ref.update_params(theirs, [g])
    np.testing.assert_allclose(ours, theirs[0], rtol=1e-14, atol=1e-15)
    # PyTorch's placement of the same eps is another update.
    assert np.abs(core_path(O.Adam(lr=0.1, beta1=0.8, beta2=0.99, eps=0.5), p0.copy(), grads)
                  - ours).max() > 1e-3


@pytest.mark.parametrize("opt", [o for o in OPTIMIZERS if o._core_args()["name"] != "sgd"
                                 or o.momentum], ids=repr)
def test_state_of_a_parameter_without_gradient_decays_to_zero(opt):
    # A dead unit's weights: no gradient, state just above the subnormal range. Without flushing,
    # the decaying moments would stop a few subnormal ulps above zero for good and slow every
    # later step on Intel CPUs. (float32 models: test_trainer.py's dead-unit test.)
    tiny = np.finfo(np.float64).tiny
    n = 37
    args = dict(opt._core_args(), weight_decay=0.0)
    state = np.full(_core.optimizer_state_slots(args["name"], args["momentum"]) * n, 1.5 * tiny)
    p, zero = np.zeros(n), np.zeros(n)
    for t in range(1, 1000):
        _core.optimizer_step(p, zero, state, t, **args)
    subnormal = (state != 0) & (np.abs(state) < tiny)
    assert not subnormal.any(), f"{subnormal.sum()} subnormal state values"
    if args["name"] == "adagrad":  # a running sum: nothing decays
        assert np.all(state == 1.5 * tiny)
    else:
        assert np.all(state == 0)


def sixteen_lane_sum_squares(x):
    """core/optim/update.h's order: lane k sums x[k], x[k + 16], ... in turn; then halves fold."""
    squares = x.astype(np.float64) ** 2
    lanes = np.zeros(16)
    padded = np.concatenate([squares, np.zeros(-len(squares) % 16)]).reshape(-1, 16)
    for row in padded:  # one row at a time: NumPy's own reductions would pair terms differently
        lanes += row
    width = 8
    while width:
        lanes[:width] += lanes[width:2 * width]
        width //= 2
    return lanes[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 33, 1000, N])
def test_sum_squares_keeps_its_order_bit_for_bit(n, dtype):
    rng = np.random.default_rng(n)
    # Magnitudes over 12 decades, so that a different order rounds differently.
    x = (rng.normal(size=n) * 10.0 ** rng.integers(-6, 6, size=n)).astype(dtype)
    got = _core._sum_squares(x)
    assert got == sixteen_lane_sum_squares(x)
    assert got == pytest.approx(math.fsum(float(v) ** 2 for v in x.astype(np.float64)), rel=1e-13, abs=0)


@pytest.mark.skipif(forced_generic(), reason="already running on the portable kernels")
@pytest.mark.skipif(not cpu_has_avx2_fma(), reason="the portable kernels are the default here")
def test_portable_update_passes_the_same_tests():
    proc = run_generic("tests/test_optimizer_update.py")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout
