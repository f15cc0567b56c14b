"""compute_gradients and loss values vs. float64 finite differences of an
independent NumPy forward pass; optimizer updates vs. the documented formulas."""
import zlib

import numpy as np
import pytest

from _reference import (SMOOTH_ACTIVATIONS, RefOptimizer, backprop, build_model,
                        fm_loss, fm_optimizer, forward, finite_diff, kink_distance,
                        random_targets, random_weights, total_loss)

fm = pytest.importorskip("fastmlp")

N, D, H = 6, 3, 4


def stable_seed(*key):
    # hash() of str is salted per process; crc32 keeps cases reproducible
    return zlib.crc32(repr(key).encode())

# (output activation, loss, outputs): every valid pairing from the contract.
OUTPUTS = [
    ("linear", "mse", 1), ("linear", "mse", 2), ("tanh", "mse", 2), ("sigmoid", "mse", 2),
    ("relu", "mse", 2), ("leaky_relu", "mse", 2), ("leaky_relu:0.2", "mse", 2),
    ("softmax", "mse", 3),
    ("linear", "mae", 2), ("tanh", "mae", 2), ("sigmoid", "mae", 1), ("relu", "mae", 2),
    ("leaky_relu", "mae", 2), ("softmax", "mae", 3),
    ("sigmoid", "bce", 1), ("sigmoid", "bce", 3),          # fused with the logits
    ("linear", "bce_logits", 1), ("linear", "bce_logits", 2),
    ("softmax", "bce", 3),                                  # BCE on probabilities, not fused
    ("softmax", "cce", 3), ("linear", "cce_logits", 3),
    ("softmax", "scce", 4), ("linear", "scce_logits", 3),
]


def make_case(spec, loss, seed, n=N, d=D):
    """Random X, y, weights with every kink (relu/leaky at 0, mae at 0 residual)
    at least 1e-3 away, so central differences with h=1e-5 are valid."""
    rng = np.random.default_rng(seed)
    k = spec[-1]["units"]
    for _ in range(200):
        X = rng.normal(0, 1, (n, d))
        y = random_targets(loss, n, k, rng)
        w = random_weights(spec, d, rng)
        cache = forward(spec, w, X)
        ok = all(kink_distance(l["act"], z) > 1e-3 for l, (z, _) in zip(spec, cache))
        if loss == "mae":
            ok = ok and np.min(np.abs(cache[-1][1] - y)) > 1e-3
        if ok:
            if k == 1 and loss in ("mse", "mae", "bce", "bce_logits"):
                y = y.ravel()  # contract: (n,) targets for one output
            return X, y, w
    raise RuntimeError("could not draw a kink-free case")


def compiled(spec, loss, weights, optimizer=None, d=D):
    model = build_model(spec, d, dtype="float64", seed=0)
    model.compile(optimizer=optimizer or fm.optimizers.SGD(lr=0.1), loss=fm_loss(loss))
    model.set_weights([w.copy() for w in weights])
    return model


def assert_grads_close(got, want, rtol=1e-6, atol=1e-8):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def check_against_fd(spec, loss, seed):
    X, y, w = make_case(spec, loss, seed)
    model = compiled(spec, loss, w)
    f = lambda ws: total_loss(spec, loss, ws, X, y)
    assert_grads_close(model.compute_gradients(X, y), finite_diff(f, w))
    # train_on_batch reports the loss (with penalty) before its update
    assert model.train_on_batch(X, y) == pytest.approx(f(w), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("out_act,loss,k", OUTPUTS)
@pytest.mark.parametrize("hidden", SMOOTH_ACTIVATIONS)
def test_gradient_vs_finite_differences(hidden, out_act, loss, k):
    spec = [{"units": H, "act": hidden}, {"units": k, "act": out_act}]
    check_against_fd(spec, loss, seed=stable_seed(hidden, out_act, loss, k))


@pytest.mark.parametrize("out_act,loss,k", OUTPUTS)
def test_single_layer_gradient_vs_finite_differences(out_act, loss, k):
    check_against_fd([{"units": k, "act": out_act}], loss, seed=7)


@pytest.mark.parametrize("regs", [
    (("l1", 0.03), None, None),
    (None, ("l2", 0.05), None),
    (("l1l2", 0.02, 0.04), None, ("l1", 0.01)),
    (("l2", 0.1), ("l1l2", 0.0, 0.3), ("l2", 0.2)),
])
@pytest.mark.parametrize("acts,loss,k", [
    (("tanh", "sigmoid", "linear"), "mse", 2),
    (("relu", "leaky_relu", "softmax"), "cce", 3),
    (("sigmoid", "tanh", "sigmoid"), "bce", 1),
    (("leaky_relu:0.2", "softmax", "linear"), "scce_logits", 3),
    (("tanh", "relu", "relu"), "mae", 2),
])
@pytest.mark.parametrize("middle_bias", [True, False])
def test_deeper_regularized_gradient_vs_finite_differences(regs, acts, loss, k, middle_bias):
    spec = [{"units": 5, "act": acts[0], "reg": regs[0]},
            {"units": 3, "act": acts[1], "reg": regs[1], "bias": middle_bias},
            {"units": k, "act": acts[2], "reg": regs[2]}]
    check_against_fd(spec, loss, seed=stable_seed(regs, acts, middle_bias))


@pytest.mark.parametrize("out_act,loss,k", [("linear", "mse", 2), ("softmax", "cce", 3),
                                            ("sigmoid", "bce", 1)])
def test_evaluate_loss_matches_numpy(out_act, loss, k):
    spec = [{"units": H, "act": "tanh"}, {"units": k, "act": out_act}]
    X, y, w = make_case(spec, loss, seed=3)
    model = compiled(spec, loss, w)
    assert model.evaluate(X, y)["loss"] == pytest.approx(total_loss(spec, loss, w, X, y), rel=1e-10)


def test_step_backward_is_straight_through():
    # step's true derivative is 0 a.e.; the contract says its gradient passes unchanged
    spec = [{"units": H, "act": "step"}, {"units": 2, "act": "linear"}]
    X, y, w = make_case(spec, "mse", seed=11)
    model = compiled(spec, "mse", w)
    g = model.compute_gradients(X, y)
    assert np.any(np.abs(g[0]) > 1e-3)  # would be all zero with the true derivative
    assert_grads_close(g, backprop(spec, "mse", w, X, y), rtol=1e-10, atol=1e-13)


def test_step_output_single_layer_hand_derived():
    # o = step(x.w + b); L = mean((o-y)^2); dL/dz = 2(o-y)/n passed straight through
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -3.0]])
    y = np.array([0.0, 1.0, 1.0])
    W, b = np.array([[0.5], [0.25]]), np.array([-0.2])
    o = (X @ W[:, 0] + b > 0).astype(float)
    dz = 2 * (o - y) / 3
    model = compiled([{"units": 1, "act": "step"}], "mse", [W, b], d=2)
    gW, gb = model.compute_gradients(X, y)
    np.testing.assert_allclose(gW[:, 0], X.T @ dz, rtol=1e-12)
    np.testing.assert_allclose(gb, [dz.sum()], rtol=1e-12)


OPT_CASES = [
    ("sgd", {}), ("sgd", dict(lr=0.1)), ("sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True)), ("sgd", dict(lr=0.1, weight_decay=0.1)),
    ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("adagrad", {}), ("adagrad", dict(lr=0.1, eps=1e-3, weight_decay=0.1)),
    ("rmsprop", {}), ("rmsprop", dict(lr=0.02, rho=0.9, eps=1e-6, momentum=0.5, weight_decay=0.1)),
    ("rmsprop", dict(lr=0.02, momentum=0.9)),
    ("adam", {}), ("adam", dict(lr=0.01, beta1=0.8, beta2=0.9, eps=1e-6, weight_decay=0.1)),
    ("adamw", {}), ("adamw", dict(lr=0.01, weight_decay=0.5)),
    ("adamw", dict(lr=0.05, beta1=0.5, beta2=0.7, eps=1e-4, weight_decay=0.0)),
]


# strings stand for the default hyper-parameters
OPT_PARAMS = [(k, hp, False) for k, hp in OPT_CASES] + [(k, {}, True) for k in
                                                      ("sgd", "adagrad", "rmsprop", "adam", "adamw")]


@pytest.mark.parametrize("kind,hp,as_string", OPT_PARAMS)
def test_optimizer_first_steps_match_update_formulas(kind, hp, as_string):
    spec = [{"units": H, "act": "tanh", "reg": ("l2", 0.05)}, {"units": 2, "act": "linear"}]
    X, y, w = make_case(spec, "mse", seed=5)
    f = lambda ws: total_loss(spec, "mse", ws, X, y)
    # the analytic NumPy gradient is itself checked against finite differences
    assert_grads_close(backprop(spec, "mse", w, X, y), finite_diff(f, w))
    model = compiled(spec, "mse", w, optimizer=kind if as_string else fm_optimizer(kind, **hp))
    ref, ref_w = RefOptimizer(kind, **hp), [x.copy() for x in w]
    for _ in range(3):
        assert model.train_on_batch(X, y) == pytest.approx(f(ref_w), rel=1e-10)
        ref_w = ref.step(ref_w, backprop(spec, "mse", ref_w, X, y))
    assert model.iterations == 3
    for got, want, start in zip(model.get_weights(), ref_w, w):
        assert not np.allclose(want, start)  # the steps moved this parameter
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
