"""Property-based: random shapes, dtypes, batch sizes and thread counts never crash, give finite
outputs for finite inputs, agree across dtypes, and do not depend on the thread count."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import fastmlp as fm

ACTS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu"]


@st.composite
def problems(draw):
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 12))
    hidden = draw(st.lists(st.integers(1, 24), min_size=0, max_size=3))
    acts = draw(st.lists(st.sampled_from(ACTS), min_size=len(hidden), max_size=len(hidden)))
    extras = draw(st.lists(st.sampled_from(["none", "dropout", "batch_norm", "layer_norm"]),
                           min_size=len(hidden), max_size=len(hidden)))
    task = draw(st.sampled_from(["regression", "binary", "multiclass"]))
    batch = draw(st.sampled_from([1, 2, 7, n, n + 5]))
    seed = draw(st.integers(0, 2**31))
    return n, d, hidden, acts, extras, task, batch, seed


def build(problem, dtype):
    n, d, hidden, acts, extras, task, batch, seed = problem
    layers = []
    for units, act, extra in zip(hidden, acts, extras):
        layers.append(fm.layers.Dense(units, activation=act))
        layers += {"none": [], "dropout": [fm.layers.Dropout(0.3)], "batch_norm": [fm.layers.BatchNorm()],
                   "layer_norm": [fm.layers.LayerNorm()]}[extra]
    out, loss = {"regression": (fm.layers.Dense(2), "mse"),
                 "binary": (fm.layers.Dense(1, activation="sigmoid"), "binary_crossentropy"),
                 "multiclass": (fm.layers.Dense(3, activation="softmax"), "sparse_categorical_crossentropy")}[task]
    m = fm.Sequential(layers + [out], input_dim=d, dtype=dtype, seed=seed % 1000)
    return m.compile(optimizer=fm.optimizers.SGD(lr=0.05, momentum=0.9), loss=loss, clip_norm=10.0)


def data(problem):
    n, d, _, _, _, task, _, seed = problem
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = {"regression": lambda: rng.normal(size=(n, 2)), "binary": lambda: rng.integers(0, 2, n).astype(float),
         "multiclass": lambda: rng.integers(0, 3, n)}[task]()
    return X, y


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_fit_never_crashes_and_stays_finite_and_dtypes_agree(problem):
    X, y = data(problem)
    trained = {}
    for dtype in ("float64", "float32"):
        m = build(problem, dtype)
        m.fit(X, y, epochs=2, batch_size=problem[6], verbose=0)
        p = m.predict(X)
        assert p.dtype == np.dtype(dtype) and np.isfinite(p).all()
        trained[dtype] = m
    # The precisions are compared at the same point, not along their own trajectories (those may
    # legitimately part: batch statistics of two samples, momentum on batch 1): the float64
    # weights in a float32 model give the same outputs and gradients to float32 accuracy.
    reference = trained["float64"]
    twin = build(problem, "float32")
    twin.set_weights(reference.get_weights())
    expected = reference.predict(X)
    np.testing.assert_allclose(twin.predict(X), expected, rtol=1e-4,
                               atol=1e-4 * max(1.0, np.max(np.abs(expected))))
    fresh64 = build(problem, "float64")  # iterations 0 in both: the same dropout masks
    fresh64.set_weights(reference.get_weights())
    grads32, grads64 = twin.compute_gradients(X, y), fresh64.compute_gradients(X, y)
    # Against the network's gradient scale: some gradients are exactly zero (a bias before
    # BatchNorm), where each dtype holds its own rounding noise.
    scale = max(1e-6, max(np.max(np.abs(g)) for g in grads64))
    for g32, g64 in zip(grads32, grads64):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-3 * scale)


@settings(max_examples=15, deadline=None)
@given(problems(), st.sampled_from([1, 2, 3]))
def test_results_do_not_depend_on_the_thread_count(problem, threads):
    X, y = data(problem)
    weights = []
    try:
        for t in (1, threads):
            fm.set_num_threads(t)
            m = build(problem, "float32")
            m.fit(X, y, epochs=2, batch_size=problem[6], verbose=0)
            weights.append(m.get_weights())
    finally:
        fm.set_num_threads(None)
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_corrupted_model_files_raise_value_error(data):
    from fastmlp.saving import model_from_bytes

    blob = bytearray(_saved_model())
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        pos = data.draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set":
            blob[pos] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del blob[pos:pos + data.draw(st.integers(1, 64))]
        else:
            blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        if not blob:
            blob = bytearray(b"\0")
    try:
        model = model_from_bytes(bytes(blob))
    except ValueError:
        return
    assert model.predict(np.zeros((2, 6))).shape == (2, 3)  # a surviving file is a working model


_CACHE = {}


def _saved_model():
    if "blob" not in _CACHE:
        from fastmlp.saving import model_to_bytes

        m = fm.Sequential([fm.layers.Dense(8, activation="relu"), fm.layers.BatchNorm(),
                           fm.layers.Residual([fm.layers.Dense(8)]), fm.layers.Dense(3, activation="softmax")],
                          input_dim=6)
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        m.fit(np.zeros((8, 6)), np.zeros(8, int), epochs=1, verbose=0)
        _CACHE["blob"] = model_to_bytes(m)
    return _CACHE["blob"]
