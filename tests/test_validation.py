"""Bad input stops at the door with a message naming the argument, the expectation and the value."""
import re

import numpy as np
import pytest

import fastmlp as fm


def compiled(loss="mse", outputs=1, activation=None, dtype="float32"):
    model = fm.Sequential([fm.layers.Dense(outputs, activation=activation)], input_dim=3, dtype=dtype)
    return model.compile(optimizer="sgd", loss=loss)


X = np.zeros((4, 3), np.float32)
y = np.zeros(4, np.float32)


@pytest.mark.parametrize("bad,match", [
    (np.zeros(4), r"X must be a 2-D array .* got shape \(4,\).*reshape"),
    (np.zeros((0, 3)), r"X is empty"),
    (np.zeros((4, 5)), r"X has 5 features, but the model expects 3"),
    (np.array([["a", "b", "c"]] * 4), r"X must hold numbers; got an array of dtype <U1"),
    (np.array([[0, 0, 0], [0, np.nan, 0], [0, 0, 0], [0, 0, 0]]), r"X contains nan at row 1, column 1"),
    (np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, -np.inf]]), r"X contains -inf at row 3, column 2"),
])
@pytest.mark.parametrize("entry", ["fit", "evaluate", "predict", "train_on_batch", "compute_gradients"])
def test_bad_X_at_every_entry_point(entry, bad, match):
    model = compiled()
    call = getattr(model, entry)
    with pytest.raises((ValueError, TypeError), match=match):
        call(bad) if entry == "predict" else call(bad, np.zeros(len(bad)))


@pytest.mark.parametrize("dtype,big", [(np.float32, 3e38), (np.float64, 1e308)])
@pytest.mark.parametrize("layout", ["C", "strided"])
def test_finite_values_whose_sum_overflows_are_accepted(dtype, big, layout):
    # A C-contiguous array takes the core's check, any other layout NumPy's sum: finite values
    # whose sum overflows are not an error on either path...
    Xbig = np.full((4, 6), big, dtype)
    Xbig[1] = -big
    if layout == "strided":
        Xbig = Xbig[:, ::2]
    else:
        assert fm._validation.check_X(Xbig, dtype) is Xbig  # accepted, and not copied
    check = fm._validation._check_finite
    check(Xbig, "X")
    # ...but a non-finite value among them still is, wherever the sum ends up.
    Xbig[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"X contains inf at row 2, column 1"):
        check(Xbig, "X")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 15, 65536 + 17, 300_001])
@pytest.mark.parametrize("threads", [1, 2])
def test_core_finite_check_finds_every_non_finite_value(dtype, n, threads, restore_threads):
    # Sizes on both sides of the vector width and of the size from which two threads share the
    # pass; places at both ends and where two threads' shares meet.
    fm.set_num_threads(threads)
    x = np.random.default_rng(n).standard_normal(n).astype(dtype)
    assert fm._core.all_finite(x)
    for place in sorted({0, n // 2 - 1, n // 2, n - 1} - {-1}):
        for bad in (np.nan, np.inf, -np.inf):
            x_bad = x.copy()
            x_bad[place] = bad
            assert not fm._core.all_finite(x_bad), (place, bad)
    # The largest finite values and signed zeros are finite: no product or sum of them misleads.
    edges = np.array([np.finfo(dtype).max, -np.finfo(dtype).max, -0.0, np.finfo(dtype).tiny], dtype)
    assert fm._core.all_finite(np.resize(edges, n))


def test_core_check_refuses_unaligned_arrays():
    unaligned = np.frombuffer(b"\0" + np.zeros(4, np.float32).tobytes(), np.float32, offset=1)
    with pytest.raises(ValueError, match=r"x must be aligned to its dtype; got an unaligned array"):
        fm._core.all_finite(unaligned)


class CoreCheckSpy:
    """Stands in for fastmlp._core in _validation: records the arrays all_finite is given."""

    def __init__(self):
        self.calls = []

    def all_finite(self, x):
        self.calls.append(x)
        return fm._core.all_finite(x)


@pytest.mark.parametrize("make,by_core", [
    (lambda a: a, True),                                                # C-contiguous
    (lambda a: np.frombuffer(a.tobytes(), a.dtype), True),              # read-only
    (lambda a: a[::-1], False),                                         # negative strides
    (lambda a: a.astype(a.dtype.newbyteorder()), False),                # byte-swapped
    (lambda a: np.frombuffer(b"\0" + a.tobytes(), a.dtype, offset=1), False),  # unaligned
    (lambda a: a.astype(np.float16), False),                            # another float type
])
def test_each_layout_takes_its_check_and_the_message_names_the_value(make, by_core, monkeypatch):
    # C-contiguous, aligned float32 or float64 goes to the core's check, any other array to
    # NumPy's sum; either way the message names the place of the NaN.
    a = np.zeros(10, np.float32)
    a[7] = np.nan
    arr = make(a)
    spy = CoreCheckSpy()
    monkeypatch.setattr(fm._validation, "_core", spy)
    index = int(np.flatnonzero(np.isnan(arr))[0])
    with pytest.raises(ValueError, match=rf"y contains nan at index {index}"):
        fm._validation._check_finite(arr, "y")
    assert [call is arr for call in spy.calls] == ([True] if by_core else [])


def test_row_counts_must_agree():
    with pytest.raises(ValueError, match=r"y has 3 rows but X has 4"):
        compiled().fit(X, np.zeros(3), verbose=0)


def test_target_width_must_match_outputs():
    with pytest.raises(ValueError, match=r"y must have shape \(4, 2\) .* 2 outputs; got \(4, 3\)"):
        compiled(outputs=2).fit(X, np.zeros((4, 3)), verbose=0)


def test_integer_labels_with_categorical_loss_suggest_sparse():
    model = compiled("categorical_crossentropy", outputs=3, activation="softmax")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(X, np.array([0, 1, 2, 1]), verbose=0)


@pytest.mark.parametrize("labels,match", [
    ([0, 1, 3, 1], r"label 3 at index 2; valid labels for 3 outputs are 0..2"),
    ([0, -1, 2, 1], r"label -1 at index 1"),
    ([0, 1.5, 2, 1], r"integer class labels; got 1.5 at index 1"),
    ([0, np.nan, 2, 1], r"y contains nan at index 1"),
])
def test_sparse_labels_checked(labels, match):
    model = compiled("sparse_categorical_crossentropy", outputs=3, activation="softmax")
    with pytest.raises(ValueError, match=match):
        model.fit(X, np.array(labels), verbose=0)


@pytest.mark.parametrize("kwargs,match", [
    ({"epochs": -1}, r"epochs must be an integer >= 0; got -1"),
    ({"batch_size": 0}, r"batch_size must be an integer >= 1; got 0"),
    ({"epochs": 1.5}, r"epochs must be an integer"),
    ({"validation_data": (X,)}, r"validation_data must be a tuple"),
])
def test_fit_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        compiled().fit(X, y, verbose=0, **kwargs)


def test_validation_data_is_checked_and_named():
    with pytest.raises(ValueError, match=r"validation_data\[0\] has 2 features"):
        compiled().fit(X, y, validation_data=(np.zeros((2, 2)), np.zeros(2)), verbose=0)


@pytest.mark.parametrize("make,match", [
    (lambda: fm.optimizers.SGD(lr=-0.1), r"lr must be a finite number >= 0.0; got -0.1"),
    (lambda: fm.optimizers.Adam(lr=float("nan")), r"lr must be a finite number"),
    (lambda: fm.optimizers.Adam(beta1=1.0), r"beta1 must be a finite number >= 0.0, < 1.0; got 1.0"),
    (lambda: fm.optimizers.RMSprop(rho=-0.5), r"rho must be"),
    (lambda: fm.optimizers.Adam(eps=0), r"eps must be > 0: .*; got 0.0"),
    (lambda: fm.optimizers.AdamW(eps=0.0), r"eps must be > 0"),
    (lambda: fm.optimizers.RMSprop(eps=0), r"eps must be > 0"),
    (lambda: fm.optimizers.Adagrad(eps=-1e-8), r"eps must be a finite number >= 0.0; got -1e-08"),
    (lambda: fm.optimizers.Adagrad(eps=0), r"eps must be > 0"),
    (lambda: fm.optimizers.SGD(nesterov=True), r"nesterov=True needs momentum > 0"),
    (lambda: fm.layers.Dense(0), r"units must be an integer >= 1; got 0"),
    (lambda: fm.layers.Dense(2.5), r"units must be an integer"),
    (lambda: fm.layers.Dense(2, activation="swish"), r"unknown activation 'swish'; expected one of: 'linear'"),
    (lambda: fm.layers.Dense(2, kernel_init="orthogonal"), r"unknown initializer 'orthogonal'; expected one of:.*'he_normal'"),
    (lambda: fm.layers.Dense(2, kernel_regularizer=0.1), r"kernel_regularizer must be"),
    (lambda: fm.activations.LeakyReLU(alpha=-0.1), r"alpha must be a finite number >= 0.0"),
    (lambda: fm.Sequential(dtype="int32"), r"dtype must be 'float32' or 'float64'; got 'int32'"),
    (lambda: fm.Sequential([fm.layers.Dense(1)], input_dim=0), r"input_dim must be an integer >= 1"),
    (lambda: compiled().compile(optimizer="lbfgs", loss="mse"), r"unknown optimizer 'lbfgs'; expected one of: 'sgd'"),
    (lambda: compiled().compile(optimizer="sgd", loss="hinge"), r"unknown loss 'hinge'; expected one of:"),
    (lambda: compiled().compile(optimizer="sgd"), r"compile needs a loss"),
    (lambda: compiled().compile(loss="mse", clip_norm=-1.0), r"clip_norm must be"),
    (lambda: compiled().compile(loss="mse", metrics=["f1"]), r"unknown metric 'f1'"),
])
def test_constructor_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


# Every boolean option, as a function of the value passed: bool() would read "no" as True.
BOOLEAN_OPTIONS = {
    "shuffle": lambda v: compiled().fit(X, y, shuffle=v, verbose=0),
    "training": lambda v: compiled()(X, training=v),
    "use_bias": lambda v: fm.layers.Dense(2, use_bias=v),
    "nesterov": lambda v: fm.optimizers.SGD(momentum=0.9, nesterov=v),
    "eps_hat": lambda v: fm.optimizers.Adam(eps_hat=v),
    "from_logits": lambda v: fm.losses.BinaryCrossentropy(from_logits=v),
    "restore_best_weights": lambda v: fm.callbacks.EarlyStopping(restore_best_weights=v),
    "save_best_only": lambda v: fm.callbacks.ModelCheckpoint("m.fmlp", save_best_only=v),
    "append": lambda v: fm.callbacks.CSVLogger("log.csv", append=v),
}


@pytest.mark.parametrize("name", sorted(BOOLEAN_OPTIONS))
@pytest.mark.parametrize("bad", ["no", 0, 1.0, None, [False]])
def test_boolean_options_take_only_booleans(name, bad):
    with pytest.raises(TypeError, match=rf"{name} must be True or False; got {re.escape(repr(bad))}"):
        BOOLEAN_OPTIONS[name](bad)


@pytest.mark.parametrize("name", sorted(BOOLEAN_OPTIONS))
def test_boolean_options_take_numpy_booleans(name):
    for value in (np.True_, np.False_, True, False):
        BOOLEAN_OPTIONS[name](value)


def test_fit_before_compile():
    model = fm.Sequential([fm.layers.Dense(1)], input_dim=3)
    with pytest.raises(RuntimeError, match=r"call compile\(optimizer=..., loss=...\) before fit"):
        model.fit(X, y)


def test_set_weights_checks_everything_before_writing():
    model = compiled()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(1,\); got \(2,\)"):
        model.set_weights([np.ones((3, 1)), np.ones(2)])
    with pytest.raises(ValueError, match=r"set_weights needs 2 arrays; got 1"):
        model.set_weights([np.ones((3, 1))])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_model_says_how_to_build():
    with pytest.raises(ValueError, match="pass input_dim"):
        fm.Sequential([fm.layers.Dense(1)]).get_weights()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_core_rechecks_shapes_behind_the_python_layer(dtype):
    # The bindings must refuse what would read out of bounds even when the Python checks are skipped.
    model = compiled("sparse_categorical_crossentropy", outputs=3, activation="softmax", dtype=dtype)
    net = model.build()._net
    Xd = np.zeros((4, 3), dtype)
    with pytest.raises(ValueError, match="2 columns|3 columns"):
        net.predict(np.zeros((4, 2), dtype))
    with pytest.raises(ValueError, match=r"label 7 at index 0 is outside \[0, 3\)"):
        net.train_on_batch(Xd, np.array([7, 0, 0, 0], np.int64))
    with pytest.raises(ValueError, match="1-D int64 array of 4"):
        net.evaluate(Xd, np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        net.train_epochs(Xd, np.zeros(4, np.int64), None, 1, 0, True, 0, 0)


@pytest.mark.parametrize("make", [
    lambda X: np.asfortranarray(X),
    lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    lambda X: X.astype(np.float64),
    lambda X: np.round(X * 10).astype(np.int32),
    lambda X: X.tolist(),
])
def test_any_numeric_layout_gives_the_same_result(make):
    rng = np.random.default_rng(0)
    X = (np.round(rng.normal(size=(6, 3)) * 10) / 10).astype(np.float32)
    model = compiled()
    expected = model.predict(np.ascontiguousarray(np.asarray(make(X), dtype=np.float32)))
    np.testing.assert_array_equal(model.predict(make(X)), expected)


def test_c_contiguous_input_of_the_model_dtype_is_not_copied():
    from fastmlp._validation import check_X
    X64 = np.ones((5, 3))
    assert check_X(X64, np.float64) is X64
    assert check_X(X64, np.float32) is not X64


def test_int64_labels_are_not_copied():
    from fastmlp._validation import check_targets
    loss = compiled("sparse_categorical_crossentropy", outputs=3, activation="softmax").loss
    labels = np.array([0, 2, 1, 2], dtype=np.int64)
    assert check_targets(labels, 4, loss, 3, np.float32) is labels
    assert check_targets(labels.astype(np.int32), 4, loss, 3, np.float32).dtype == np.int64
