"""Gradients, losses, predictions and optimizer trajectories vs. PyTorch
autograd / torch.optim on identical weights, for random architectures."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
fm = pytest.importorskip("fastmlp")

from _reference import LOSSES, build_model, fm_loss, fm_optimizer, random_targets, random_weights  # noqa: E402
from _torchref import TorchMLP, torch_optimizer  # noqa: E402

HIDDEN = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "step", "leaky_relu:0.3"]
REGS = [None, None, ("l1", 0.01), ("l2", 0.02), ("l1l2", 0.01, 0.03)]
# valid output activations per loss (sigmoid+bce / softmax+cce are fused in fastmlp)
OUT = {
    "mse": ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "step", "leaky_relu:0.3"],
    "mae": ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"],
    "bce": ["sigmoid", "softmax"],
    "bce_logits": ["linear"],
    "cce": ["softmax"], "cce_logits": ["linear"],
    "scce": ["softmax"], "scce_logits": ["linear"],
}


def random_case(loss, seed, dtype):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 18))
    spec = [{"units": int(rng.integers(1, 18)), "act": HIDDEN[rng.integers(len(HIDDEN))],
             "bias": bool(rng.random() < 0.75), "reg": REGS[rng.integers(len(REGS))]}
            for _ in range(int(rng.integers(0, 3)))]
    out_act = OUT[loss][rng.integers(len(OUT[loss]))]
    k = int(rng.integers(2, 6)) if (loss[0] in "cs" or out_act == "softmax") else int(rng.integers(1, 5))
    spec.append({"units": k, "act": out_act, "bias": bool(rng.random() < 0.75),
                 "reg": REGS[rng.integers(len(REGS))]})
    n = int(rng.integers(1, 10))
    X = rng.normal(0, 1.5, (n, d))
    y = random_targets(loss, n, k, rng)
    if k == 1 and rng.random() < 0.5 and loss not in ("scce", "scce_logits"):
        y = y.ravel()
    w = random_weights(spec, d, rng, lo=0.05, hi=1.2)
    # identical values on both sides: round through the model's dtype
    X = X.astype(dtype).astype(np.float64)
    w = [a.astype(dtype).astype(np.float64) for a in w]
    return spec, d, X, y, w


def rel_err(got, want, scale):
    """Norm-wise relative error; the floor (1e-3 of the global gradient norm)
    keeps tiny arrays produced by cancellation (saturated softmax) from
    demanding more digits than float64 can give.  scale == 0 (everything
    dead) requires exact zeros."""
    err = np.linalg.norm(np.asarray(got, np.float64) - want)
    if scale == 0:
        return err
    return err / (np.linalg.norm(want) + 1e-3 * scale)


TOL = {"float64": 1e-9, "float32": 1e-4}


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradients_loss_and_predict_match_torch(dtype, loss, seed):
    spec, d, X, y, w = random_case(loss, 1000 * seed + LOSSES.index(loss), dtype)
    model = build_model(spec, d, dtype=dtype, seed=seed)
    model.compile(optimizer=fm.optimizers.SGD(lr=0.1), loss=fm_loss(loss))
    model.set_weights([a.astype(dtype) for a in w])
    ref = TorchMLP(spec, w, "float64")  # float64 reference for both model dtypes
    L, g_ref = ref.gradients(loss, X, y)
    Xd = X.astype(dtype)

    got = model.compute_gradients(Xd, y)
    assert [np.shape(g) for g in got] == [g.shape for g in g_ref]
    scale = np.sqrt(sum(np.sum(g ** 2) for g in g_ref))
    for g, gr in zip(got, g_ref):
        assert rel_err(g, gr, scale) < TOL[dtype]

    pred = model.predict(Xd)
    assert pred.dtype == np.dtype(dtype)
    want = ref.forward(X)[1].detach().numpy()
    np.testing.assert_allclose(pred, want, rtol=TOL[dtype], atol=TOL[dtype] * 1e-2)
    assert model.train_on_batch(Xd, y) == pytest.approx(L, rel=TOL[dtype], abs=TOL[dtype] * 1e-2)


# A step large enough for a team (Dense layers, 6 x rows x weights x 2 in float64 of at least
# 2^22) with at least 192 rows sums its gradients in two pieces of the batch (network.cpp,
# kGradPieces), on any number of threads. Against autograd on identical weights, with biases and
# an L2 penalty: 200 rows (two pieces) and 150 (one).
PIECES_SPEC = [{"units": 80, "act": "relu", "reg": ("l2", 0.01)}, {"units": 5, "act": "softmax"}]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rows", [200, 150])
def test_gradients_summed_in_pieces_match_torch(rows, threads, restore_threads):
    rng = np.random.default_rng(rows)
    d = 20
    w = random_weights(PIECES_SPEC, d, rng, lo=0.05, hi=1.0)
    X, y = rng.normal(0, 1, (rows, d)), random_targets("scce", rows, 5, rng)
    fm.set_num_threads(threads)
    model = build_model(PIECES_SPEC, d)
    model.compile(optimizer=fm.optimizers.SGD(lr=0.1), loss=fm_loss("scce"))
    model.set_weights(w)
    assert model._net._grad_pieces(rows) == (2 if rows >= 192 else 1)
    _, g_ref = TorchMLP(PIECES_SPEC, w, "float64").gradients("scce", X, y)
    got = model.compute_gradients(X, y)
    scale = np.sqrt(sum(np.sum(g ** 2) for g in g_ref))
    for g, gr in zip(got, g_ref):
        assert rel_err(g, gr, scale) < TOL["float64"]


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("kind,hp", [("sgd", dict(lr=0.05, momentum=0.9)), ("adam", dict(lr=0.01))])
def test_fit_with_gradients_in_pieces_matches_torch(kind, hp, threads, restore_threads):
    # 450 rows in batches of 200, 200 and 50: two steps in pieces (a team's on 2 and 3 threads,
    # with 3 one piece split between two threads), then one over all 50 rows.
    rng = np.random.default_rng(9)
    d, n, batch = 20, 450, 200
    w = random_weights(PIECES_SPEC, d, rng, lo=0.05, hi=1.0)
    X, y = rng.normal(0, 1, (n, d)), random_targets("scce", n, 5, rng)
    fm.set_num_threads(threads)
    model = build_model(PIECES_SPEC, d)
    model.compile(optimizer=fm_optimizer(kind, **hp), loss=fm_loss("scce"))
    model.set_weights(w)
    assert model._net._grad_pieces(batch) == 2 and model._net._step_threads(batch) == threads
    model.fit(X, y, epochs=2, batch_size=batch, shuffle=False)
    ref = TorchMLP(PIECES_SPEC, w)
    opt = torch_optimizer(kind, hp, ref.parameters())
    for _ in range(2):
        for s in range(0, n, batch):
            opt.zero_grad()
            ref.loss("scce", X[s:s + batch], y[s:s + batch]).backward()
            opt.step()
    for g, wt in zip(model.get_weights(), ref.weights()):
        np.testing.assert_allclose(g, wt, rtol=1e-8, atol=1e-11)


OPTS = [
    ("sgd", dict(lr=0.1)), ("sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True)), ("sgd", dict(lr=0.1, weight_decay=0.05)),
    ("sgd", dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.1)),
    ("adagrad", dict(lr=0.1)), ("adagrad", dict(lr=0.1, eps=1e-6, weight_decay=0.05)),
    ("rmsprop", dict(lr=0.01)), ("rmsprop", dict(lr=0.01, rho=0.9, eps=1e-6)),
    ("rmsprop", dict(lr=0.01, momentum=0.9)),
    ("rmsprop", dict(lr=0.01, rho=0.8, momentum=0.5, weight_decay=0.1)),
    ("adam", dict(lr=0.01)), ("adam", dict(lr=0.01, beta1=0.5, beta2=0.9, eps=1e-6)),
    ("adam", dict(lr=0.01, weight_decay=0.1)),
    ("adamw", dict(lr=0.01)), ("adamw", dict(lr=0.02, beta1=0.7, weight_decay=0.3)),
]

ARCHS = {
    "tanh-relu-softmax": ([{"units": 6, "act": "tanh", "reg": ("l2", 0.01)},
                           {"units": 4, "act": "relu", "bias": False},
                           {"units": 3, "act": "softmax"}], "cce", 5),
    "sigmoid-linear": ([{"units": 7, "act": "sigmoid", "reg": ("l1l2", 0.01, 0.02)},
                        {"units": 2, "act": "linear", "reg": ("l1", 0.005)}], "mse", 4),
    "leaky-sigmoid-bce": ([{"units": 5, "act": "leaky_relu"},
                           {"units": 1, "act": "sigmoid"}], "bce", 3),
}


def run_both(spec, loss, d, kind, hp, dtype="float64", steps=5, clip=None, seed=0):
    rng = np.random.default_rng(seed)
    k = spec[-1]["units"]
    w = [a.astype(dtype).astype(np.float64) for a in random_weights(spec, d, rng, lo=0.05, hi=1.0)]
    batches = [(rng.normal(0, 1, (8, d)).astype(dtype), random_targets(loss, 8, k, rng)) for _ in range(steps)]

    model = build_model(spec, d, dtype=dtype)
    clip_kw = {} if clip is None else {clip[0]: clip[1]}
    model.compile(optimizer=fm_optimizer(kind, **hp), loss=fm_loss(loss), **clip_kw)
    model.set_weights([a.astype(dtype) for a in w])

    ref = TorchMLP(spec, w, dtype)
    opt = torch_optimizer(kind, hp, ref.parameters())
    clipped = False
    for X, y in batches:
        opt.zero_grad()
        L = ref.loss(loss, X, y)
        L.backward()
        if clip is not None and clip[0] == "clip_norm":
            clipped |= float(torch.nn.utils.clip_grad_norm_(ref.parameters(), clip[1])) > clip[1]
        elif clip is not None:
            clipped |= max(float(p.grad.abs().max()) for p in ref.parameters()) > clip[1]
            torch.nn.utils.clip_grad_value_(ref.parameters(), clip[1])
        opt.step()
        got_loss = model.train_on_batch(X, y)
        assert got_loss == pytest.approx(float(L.detach()), rel=1e-9 if dtype == "float64" else 1e-5)
    assert clip is None or clipped, "clipping threshold never active: test would prove nothing"
    assert model.iterations == steps
    return model.get_weights(), ref.weights(), w


@pytest.mark.parametrize("arch", list(ARCHS))
@pytest.mark.parametrize("kind,hp", OPTS)
def test_optimizer_trajectory_matches_torch(kind, hp, arch):
    spec, loss, d = ARCHS[arch]
    got, want, start = run_both(spec, loss, d, kind, hp)
    for g, wt, s in zip(got, want, start):
        assert not np.allclose(wt, s)
        np.testing.assert_allclose(g, wt, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("clip", [("clip_norm", 0.02), ("clip_norm", 0.1), ("clip_value", 0.01),
                                  ("clip_value", 0.05)])
@pytest.mark.parametrize("kind,hp", [("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
                                     ("adam", dict(lr=0.01)), ("rmsprop", dict(lr=0.01, momentum=0.5)),
                                     ("adagrad", dict(lr=0.1))])
@pytest.mark.parametrize("arch", ["tanh-relu-softmax", "sigmoid-linear"])
def test_clipping_matches_torch(arch, kind, hp, clip):
    spec, loss, d = ARCHS[arch]
    got, want, _ = run_both(spec, loss, d, kind, hp, clip=clip)
    for g, wt in zip(got, want):
        np.testing.assert_allclose(g, wt, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("clip", [None, ("clip_norm", 0.1)])
@pytest.mark.parametrize("kind,hp", [("sgd", dict(lr=0.1)), ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True))])
def test_float32_sgd_trajectory_matches_torch(kind, hp, clip):
    spec, loss, d = ARCHS["sigmoid-linear"]
    got, want, _ = run_both(spec, loss, d, kind, hp, dtype="float32", clip=clip)
    for g, wt in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, wt, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("n,batch", [(7, 3), (8, 4), (5, 32)])
@pytest.mark.parametrize("kind,hp", [("sgd", dict(lr=0.1, momentum=0.9)), ("adam", dict(lr=0.01))])
def test_fit_without_shuffle_matches_torch_minibatch_loop(kind, hp, n, batch):
    # fit = consecutive slices (last one partial, its own mean), one step each
    spec, loss, d = ARCHS["sigmoid-linear"]
    rng = np.random.default_rng(42)
    w = random_weights(spec, d, rng, lo=0.05, hi=1.0)
    X, y = rng.normal(0, 1, (n, d)), random_targets(loss, n, spec[-1]["units"], rng)
    model = build_model(spec, d)
    model.compile(optimizer=fm_optimizer(kind, **hp), loss=fm_loss(loss))
    model.set_weights(w)
    model.fit(X, y, epochs=2, batch_size=batch, shuffle=False)
    ref = TorchMLP(spec, w)
    opt = torch_optimizer(kind, hp, ref.parameters())
    steps = 0
    for _ in range(2):
        for s in range(0, n, batch):
            opt.zero_grad()
            ref.loss(loss, X[s:s + batch], y[s:s + batch]).backward()
            opt.step()
            steps += 1
    assert model.iterations == steps
    for g, wt in zip(model.get_weights(), ref.weights()):
        np.testing.assert_allclose(g, wt, rtol=1e-8, atol=1e-11)
