"""fastmlp.data: splits, folds, cross-validation, scalers, one_hot and batches, checked against
hand-computed counts, statistics computed here, and scikit-learn where it is installed."""
import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")
from fastmlp import data  # noqa: E402


def labels(*counts):
    """Class k repeated counts[k] times, interleaved the way real data is: not sorted."""
    y = np.repeat(np.arange(len(counts)), counts)
    return y[np.random.default_rng(123).permutation(y.size)]


# -- train_test_split ------------------------------------------------------------------------
@pytest.mark.parametrize("n,test_size,n_test", [(100, 0.25, 25), (10, 0.3, 3), (10, 0.7, 7), (7, 0.5, 4),
                                                (101, 0.1, 11), (50, 13, 13), (2, 1, 1)])
def test_split_sizes_and_disjoint_cover(n, test_size, n_test):
    X = np.arange(n * 2).reshape(n, 2)
    ids = np.arange(n)
    X_tr, X_te, id_tr, id_te = data.train_test_split(X, ids, test_size=test_size, seed=0)
    assert (len(X_te), len(X_tr)) == (n_test, n - n_test)
    np.testing.assert_array_equal(np.sort(np.concatenate([id_tr, id_te])), ids)
    # rows stay paired across the arrays
    np.testing.assert_array_equal(X_tr[:, 0], 2 * id_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * id_te)


def test_split_sizes_match_sklearn():
    ms = pytest.importorskip("sklearn.model_selection")
    for n in (5, 10, 33, 100):
        for ts in (0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 2):
            ours = data.train_test_split(np.arange(n), test_size=ts, seed=0)
            theirs = ms.train_test_split(np.arange(n), test_size=ts, random_state=0)
            assert [len(a) for a in ours] == [len(a) for a in theirs], (n, ts)


def test_split_without_shuffle_takes_the_last_samples_in_order():
    a_tr, a_te, b_tr, b_te = data.train_test_split(np.arange(10), np.arange(10) * 10, test_size=0.3,
                                                   shuffle=False)
    np.testing.assert_array_equal(a_tr, np.arange(7))
    np.testing.assert_array_equal(a_te, [7, 8, 9])
    np.testing.assert_array_equal(b_te, [70, 80, 90])


@pytest.mark.parametrize("counts,test_size,expected_test", [
    ((60, 30, 10), 0.2, (12, 6, 2)),      # exact proportions
    ((50, 30, 20), 0.25, (13, 7, 5)),     # 12.5 / 7.5 / 5: the extra place goes to one class
    ((97, 3), 0.1, (9, 1)),               # 9.7 / 0.3: the minority still gets one test sample
    ((2, 2, 96), 0.05, (1, 1, 3)),        # 0.1 / 0.1 / 4.8: the big class gives up two places
])
def test_stratified_split_counts(counts, test_size, expected_test):
    y = labels(*counts)
    ids = np.arange(y.size)
    id_tr, id_te, y_tr, y_te = data.train_test_split(ids, y, test_size=test_size, stratify=y, seed=1)
    got_test = np.bincount(y_te, minlength=len(counts))
    got_train = np.bincount(y_tr, minlength=len(counts))
    np.testing.assert_array_equal(got_test, expected_test)
    np.testing.assert_array_equal(got_train + got_test, counts)
    assert np.all(got_train >= 1)
    ideal = np.array(counts) * len(y_te) / y.size
    if np.all(ideal >= 0.5):   # no class forced up to one test sample: all within one of ideal
        assert np.all(np.abs(got_test - ideal) < 1)
    np.testing.assert_array_equal(np.sort(np.concatenate([id_tr, id_te])), ids)
    np.testing.assert_array_equal(y[id_te], y_te)


def test_stratified_split_with_string_labels_and_more_classes_than_test_places():
    y = np.array(["a", "b", "c", "d"] * 3)
    _, y_te = data.train_test_split(y, test_size=2, stratify=y, seed=0)
    assert len(y_te) == 2 and len(set(y_te)) == 2


def test_stratified_split_is_shuffled_not_grouped_by_class():
    y = labels(50, 50)
    y_tr, _ = data.train_test_split(y, stratify=y, seed=0)
    assert np.count_nonzero(np.diff(y_tr)) > 5


def test_train_val_test_split():
    n = 100
    ids = np.arange(n)
    X = np.arange(n * 3).reshape(n, 3)
    parts = data.train_val_test_split(X, ids, val_size=0.1, test_size=0.2, seed=0)
    X_tr, X_va, X_te, i_tr, i_va, i_te = parts
    assert (len(i_tr), len(i_va), len(i_te)) == (70, 10, 20)
    np.testing.assert_array_equal(np.sort(np.concatenate([i_tr, i_va, i_te])), ids)
    np.testing.assert_array_equal(X_va[:, 0], 3 * i_va)

    i_tr, i_va, i_te = data.train_val_test_split(ids, val_size=5, test_size=10, shuffle=False)
    np.testing.assert_array_equal(i_tr, np.arange(85))
    np.testing.assert_array_equal(i_va, np.arange(85, 90))
    np.testing.assert_array_equal(i_te, np.arange(90, 100))


def test_train_val_test_split_stratified():
    y = labels(100, 60, 40)
    y_tr, y_va, y_te = data.train_val_test_split(y, val_size=0.1, test_size=0.2, stratify=y, seed=3)
    np.testing.assert_array_equal(np.bincount(y_te), [20, 12, 8])
    np.testing.assert_array_equal(np.bincount(y_va), [10, 6, 4])
    np.testing.assert_array_equal(np.bincount(y_tr), [70, 42, 28])


@pytest.mark.parametrize("seed_kind", ["int", "generator"])
def test_split_seed_determinism(seed_kind):
    make = (lambda: 7) if seed_kind == "int" else (lambda: np.random.default_rng(7))
    ids = np.arange(50)
    first = data.train_test_split(ids, seed=make())
    second = data.train_test_split(ids, seed=make())
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = data.train_test_split(ids, seed=8)
    assert not np.array_equal(first[1], other[1])


def test_a_generator_seed_advances():
    rng = np.random.default_rng(0)
    ids = np.arange(50)
    assert not np.array_equal(data.train_test_split(ids, seed=rng)[1], data.train_test_split(ids, seed=rng)[1])


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(test_size=0.0), ValueError, r"test_size must be a fraction in \(0, 1\) or an integer count >= 1; got 0\.0"),
    (dict(test_size=1.5), ValueError, r"test_size must be a fraction .* got 1\.5"),
    (dict(test_size=0), ValueError, r"test_size must be an integer >= 1; got 0"),
    (dict(test_size="a"), ValueError, r"test_size .* got 'a'"),
    (dict(test_size=10), ValueError, r"test_size=10 takes 10 of 10 samples; at least one must remain"),
    (dict(test_size=0.99), ValueError, r"test_size=0\.99 takes 10 of 10 samples"),
    (dict(stratify=np.zeros(10), shuffle=False), ValueError, r"stratify needs shuffle=True"),
    (dict(stratify=np.zeros(9)), ValueError, r"stratify has 9 labels but the data has 10 samples"),
    (dict(stratify=np.zeros((10, 2))), ValueError, r"stratify must be a 1-D array .* shape \(10, 2\)"),
    (dict(seed=-1), ValueError, r"seed must be an integer >= 0; got -1"),
    (dict(seed=1.5), TypeError, r"seed must be None, an integer >= 0 or a numpy.random.Generator; got 1\.5"),
    (dict(shuffle="yes"), TypeError, r"shuffle must be True or False; got 'yes'"),
])
def test_split_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        data.train_test_split(np.arange(10), **kwargs)


def test_split_errors_on_arrays():
    with pytest.raises(ValueError, match=r"arrays\[1\] has 9 samples but arrays\[0\] has 10"):
        data.train_test_split(np.arange(10), np.arange(9))
    with pytest.raises(TypeError, match="at least one array"):
        data.train_test_split()
    with pytest.raises(ValueError, match=r"val_size=0\.5 and test_size=0\.5 take 5 \+ 5 of 10"):
        data.train_val_test_split(np.arange(10), val_size=0.5, test_size=0.5)


# -- KFold / StratifiedKFold -----------------------------------------------------------------
@pytest.mark.parametrize("n,k", [(10, 5), (11, 3), (7, 7), (23, 4)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_kfold_partitions_with_sklearn_sizes(n, k, shuffle):
    cv = data.KFold(k, shuffle=shuffle, seed=0 if shuffle else None)
    assert cv.get_n_splits() == k
    folds = list(cv.split(np.zeros((n, 2))))
    assert len(folds) == k
    expected_sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    assert [len(te) for _, te in folds] == expected_sizes
    tests = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))      # each sample tested once
    for tr, te in folds:
        assert np.intersect1d(tr, te).size == 0 and tr.size + te.size == n


def test_kfold_equals_sklearn():
    ms = pytest.importorskip("sklearn.model_selection")
    for n, k in [(10, 5), (11, 3), (23, 4), (100, 7)]:
        X = np.zeros((n, 1))
        ours = list(data.KFold(k).split(X))
        theirs = list(ms.KFold(k).split(X))
        for (a_tr, a_te), (b_tr, b_te) in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a_tr, b_tr)
            np.testing.assert_array_equal(a_te, b_te)
        shuffled = list(ms.KFold(k, shuffle=True, random_state=0).split(X))
        assert [len(te) for _, te in data.KFold(k, shuffle=True, seed=0).split(X)] == [len(te) for _, te in shuffled]


def test_kfold_shuffle_seed():
    X = np.zeros((30, 1))
    a = [te for _, te in data.KFold(3, shuffle=True, seed=5).split(X)]
    b = [te for _, te in data.KFold(3, shuffle=True, seed=5).split(X)]
    cv = data.KFold(3, shuffle=True, seed=5)
    c = [te for _, te in cv.split(X)]
    d = [te for _, te in cv.split(X)]                      # an int seed: same folds on every call
    for x, y_, z, w in zip(a, b, c, d):
        np.testing.assert_array_equal(x, y_)
        np.testing.assert_array_equal(x, z)
        np.testing.assert_array_equal(x, w)
    assert not np.array_equal(a[0], np.arange(10))
    g = [te for _, te in data.KFold(3, shuffle=True, seed=np.random.default_rng(5)).split(X)]
    np.testing.assert_array_equal(np.sort(np.concatenate(g)), np.arange(30))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("counts,k", [((30, 20, 10), 5), ((17, 9, 4), 3), ((50, 7), 4)])
def test_stratified_kfold_keeps_class_ratios(counts, k, shuffle):
    y = labels(*counts)
    n = y.size
    cv = data.StratifiedKFold(k, shuffle=shuffle, seed=2 if shuffle else None)
    folds = list(cv.split(np.zeros((n, 1)), y))
    assert len(folds) == k
    assert [len(te) for _, te in folds] == [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    np.testing.assert_array_equal(np.sort(np.concatenate([te for _, te in folds])), np.arange(n))
    for tr, te in folds:
        assert np.intersect1d(tr, te).size == 0 and tr.size + te.size == n
        per_class = np.bincount(y[te], minlength=len(counts))
        assert np.all(np.abs(per_class - np.array(counts) / k) < 1), per_class


def test_stratified_kfold_fold_sizes_match_sklearn():
    ms = pytest.importorskip("sklearn.model_selection")
    y = labels(30, 20, 13)
    X = np.zeros((y.size, 1))
    ours = [len(te) for _, te in data.StratifiedKFold(4).split(X, y)]
    theirs = [len(te) for _, te in ms.StratifiedKFold(4).split(X, y)]
    assert ours == theirs


def test_stratified_kfold_warns_on_a_small_class_and_needs_y():
    y = labels(20, 2)
    with pytest.warns(UserWarning, match="smallest class has 2 members, fewer than n_splits=3"):
        list(data.StratifiedKFold(3).split(np.zeros((22, 1)), y))
    with pytest.raises(ValueError, match="needs y"):
        list(data.StratifiedKFold(3).split(np.zeros((22, 1))))


@pytest.mark.parametrize("make,exc,match", [
    (lambda: data.KFold(1), ValueError, r"n_splits must be an integer >= 2; got 1"),
    (lambda: data.KFold(2.5), TypeError, r"n_splits must be an integer >= 2; got 2\.5"),
    (lambda: data.KFold(3, seed=0), ValueError, r"seed has no effect when shuffle=False"),
    (lambda: data.KFold(3, shuffle=True, seed="x"), TypeError, r"seed must be None, an integer"),
    (lambda: list(data.KFold(5).split(np.zeros(3))), ValueError,
     r"n_splits=5 is greater than the number of samples \(3\)"),
    (lambda: list(data.StratifiedKFold(2).split(np.zeros(4), np.zeros(3))), ValueError,
     r"y has 3 labels but the data has 4 samples"),
])
def test_kfold_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# -- cross_validate --------------------------------------------------------------------------
def separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    X += np.where(y[:, None] == 1, 0.5, -0.5).astype(np.float32)   # a margin between the classes
    return X, y


def softmax_model():
    model = fm.Sequential([fm.layers.Dense(2, activation="softmax")], input_dim=2)
    return model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def test_cross_validate_on_a_separable_problem():
    X, y = separable()
    built = []

    def build():
        built.append(softmax_model())
        return built[-1]

    res = data.cross_validate(build, X, y, cv=4, fit_kwargs=dict(epochs=40, batch_size=16), seed=0)
    assert set(res) == {"loss", "accuracy", "fit_time"}
    assert len(built) == 4 and len({id(m) for m in built}) == 4      # a fresh model per fold
    for key in res:
        assert res[key].shape == (4,)
    assert np.all(res["accuracy"] > 0.9)
    assert np.all((res["loss"] > 0) & (res["loss"] < 0.5))
    assert np.all(res["fit_time"] > 0)
    # each fold trained on 150 samples: ceil(150 / 16) steps per epoch, 40 epochs
    assert [m.iterations for m in built] == [10 * 40] * 4


def test_cross_validate_with_a_splitter_and_its_folds():
    X, y = separable(60)
    seen = []

    class Recording(data.KFold):
        def split(self, X, y=None):
            for tr, te in super().split(X, y):
                seen.append(te)
                yield tr, te

    res = data.cross_validate(softmax_model, X, y, cv=Recording(3), fit_kwargs=dict(epochs=1))
    assert len(seen) == 3 and res["loss"].shape == (3,)
    assert np.all((res["accuracy"] >= 0) & (res["accuracy"] <= 1))


class Stub:
    """Records what cross_validate hands a model; scores are simple functions of the fold."""

    def __init__(self, log):
        self.log = log

    def fit(self, X, y, **kwargs):
        self.log.append(("fit", len(X), kwargs))

    def evaluate(self, X, y):
        self.log.append(("evaluate", set(X[:, 0].astype(int))))
        return {"loss": float(len(X)), "mae": float(y.mean())}


def test_cross_validate_passes_folds_and_fit_kwargs():
    X = np.c_[np.arange(10), np.zeros(10)]
    y = np.arange(10) * 1.5                  # float targets: plain KFold
    log = []
    res = data.cross_validate(lambda: Stub(log), X, y, cv=data.KFold(3), fit_kwargs={"epochs": 2})
    assert set(res) == {"loss", "mae", "fit_time"}
    np.testing.assert_array_equal(res["loss"], [4, 3, 3])                 # test-fold sizes
    np.testing.assert_allclose(res["mae"], [1.5 * 1.5, 1.5 * 5, 1.5 * 8])  # mean of each test fold
    assert res["fit_time"].dtype == np.float64 and res["fit_time"].shape == (3,)
    fits = [e for e in log if e[0] == "fit"]
    assert [f[1] for f in fits] == [6, 7, 7]
    assert all(f[2] == {"verbose": 0, "epochs": 2} for f in fits)
    tested = [e[1] for e in log if e[0] == "evaluate"]
    assert tested == [{0, 1, 2, 3}, {4, 5, 6}, {7, 8, 9}]
    data.cross_validate(lambda: Stub(log), X, y, cv=2, fit_kwargs={"verbose": 1})
    assert log[-2][2] == {"verbose": 1}


def test_cross_validate_int_cv_stratifies_integer_labels():
    y = labels(12, 6)
    X = np.c_[np.arange(18), np.zeros(18)]
    log = []
    data.cross_validate(lambda: Stub(log), X, y, cv=3, seed=0)
    for tested in (e[1] for e in log if e[0] == "evaluate"):
        np.testing.assert_array_equal(np.bincount(y[sorted(tested)]), [4, 2])


def test_cross_validate_errors():
    X, y = separable(20)
    with pytest.raises(TypeError, match="build_fn must be a function"):
        data.cross_validate(Stub([]), X, y)
    with pytest.raises(TypeError, match="cv must be an integer or a splitter"):
        data.cross_validate(Stub, X, y, cv="five")
    with pytest.raises(TypeError, match=r"cv must be an integer or a splitter .* got 2\.5"):
        data.cross_validate(Stub, X, y, cv=2.5)
    with pytest.raises(ValueError, match="seed only applies when cv is an integer"):
        data.cross_validate(Stub, X, y, cv=data.KFold(2), seed=0)
    with pytest.raises(ValueError, match="y has 19 samples but X has 20"):
        data.cross_validate(Stub, X, y[:-1])
    with pytest.raises(TypeError, match="fit_kwargs must be a dict"):
        data.cross_validate(Stub, X, y, fit_kwargs=[("epochs", 1)])


# -- scalers ---------------------------------------------------------------------------------
def sample_X(dtype=np.float64):
    rng = np.random.default_rng(4)
    X = rng.normal(3.0, [1.0, 10.0, 0.1], size=(50, 3))
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minmax_scaler(dtype):
    X = sample_X(dtype)
    s = data.MinMaxScaler()
    Z = s.fit_transform(X)
    assert Z.dtype == dtype and s.n_features_in_ == 3
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Z.min(axis=0), 0, atol=tol)
    np.testing.assert_allclose(Z.max(axis=0), 1, atol=tol)
    np.testing.assert_allclose(s.data_min_, X.min(axis=0))
    np.testing.assert_allclose(s.data_max_, X.max(axis=0))
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-5 if dtype == np.float32 else 1e-12)
    Z2 = data.MinMaxScaler(feature_range=(-1, 3)).fit_transform(X)
    np.testing.assert_allclose(Z2.min(axis=0), -1, atol=10 * tol)
    np.testing.assert_allclose(Z2.max(axis=0), 3, atol=10 * tol)
    assert not np.shares_memory(Z, X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standard_scaler(dtype):
    X = sample_X(dtype)
    s = data.StandardScaler()
    Z = s.fit_transform(X)
    assert Z.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=tol)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=tol)
    X64 = X.astype(np.float64)
    np.testing.assert_allclose(s.mean_, X64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.var_, ((X64 - X64.mean(axis=0)) ** 2).mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(s.scale_, np.sqrt(s.var_))
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_standard_scaler_options():
    X = sample_X()
    centred = data.StandardScaler(with_std=False).fit(X)
    assert centred.scale_ is None and centred.var_ is None
    np.testing.assert_allclose(centred.transform(X), X - X.mean(axis=0), atol=1e-12)
    scaled = data.StandardScaler(with_mean=False).fit(X)
    np.testing.assert_allclose(scaled.transform(X), X / X.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaled.inverse_transform(scaled.transform(X)), X, rtol=1e-12)


def test_scalers_equal_sklearn():
    pre = pytest.importorskip("sklearn.preprocessing")
    X = sample_X()
    X[:, 2] = 7.0
    X_new = sample_X() * 2 - 1
    pairs = [(data.MinMaxScaler(), pre.MinMaxScaler()),
             (data.MinMaxScaler((-2, 5)), pre.MinMaxScaler((-2, 5))),
             (data.StandardScaler(), pre.StandardScaler()),
             (data.StandardScaler(with_mean=False), pre.StandardScaler(with_mean=False)),
             (data.StandardScaler(with_std=False), pre.StandardScaler(with_std=False))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.fit_transform(X), theirs.fit_transform(X), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.transform(X_new), theirs.transform(X_new), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.inverse_transform(X_new), theirs.inverse_transform(X_new),
                                   rtol=1e-12, atol=1e-12)
        for attr in ("min_", "scale_", "data_min_", "data_max_", "data_range_", "mean_", "var_"):
            if hasattr(theirs, attr) and getattr(theirs, attr) is not None:
                np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=1e-12)
        assert ours.n_features_in_ == theirs.n_features_in_


@pytest.mark.parametrize("value", [0.1, 5.0, -3e7])
def test_constant_column(value):
    X = np.c_[np.full(9, value, np.float32), np.arange(9, dtype=np.float32)]
    mm = data.MinMaxScaler((2, 4)).fit(X)
    assert mm.scale_[0] == 2.0          # range taken as 1: (4 - 2) / 1
    Z = mm.transform(X)
    assert np.all(np.isfinite(Z)) and np.all(Z[:, 0] == 2.0)
    ss = data.StandardScaler().fit(X)
    assert ss.scale_[0] == 1.0 and ss.var_[0] == 0.0
    Z = ss.transform(X)
    assert np.all(Z[:, 0] == 0.0)
    np.testing.assert_allclose(ss.inverse_transform(Z)[:, 0], value, rtol=1e-7)


def test_integer_input_becomes_float64():
    Z = data.StandardScaler().fit_transform(np.arange(12).reshape(6, 2))
    assert Z.dtype == np.float64


@pytest.mark.parametrize("cls", [data.MinMaxScaler, data.StandardScaler])
def test_scaler_errors(cls):
    X = sample_X()
    with pytest.raises(RuntimeError, match=f"this {cls.__name__} is not fitted yet"):
        cls().transform(X)
    with pytest.raises(RuntimeError, match="not fitted"):
        cls().inverse_transform(X)
    s = cls().fit(X)
    with pytest.raises(ValueError, match=f"X has 2 features, but {cls.__name__} was fitted with 3"):
        s.transform(X[:, :2])
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="X contains nan at row 4, column 1"):
        cls().fit(bad)
    bad[4, 1] = np.inf
    with pytest.raises(ValueError, match="X contains inf at row 4, column 1"):
        s.transform(bad)
    with pytest.raises(ValueError, match=r"X must be a 2-D array .* got shape \(5,\)"):
        cls().fit(np.zeros(5))
    with pytest.raises(TypeError, match="X must hold numbers"):
        cls().fit(np.array([["a", "b"]]))


def test_scaler_parameter_errors():
    X = sample_X()
    with pytest.raises(ValueError, match=r"feature_range must be finite with min < max; got \(1, 0\)"):
        data.MinMaxScaler((1, 0)).fit(X)
    with pytest.raises(TypeError, match=r"feature_range must be a pair"):
        data.MinMaxScaler((0, 1, 2)).fit(X)
    with pytest.raises(TypeError, match="with_mean must be True or False; got 'no'"):
        data.StandardScaler(with_mean="no").fit(X)


# -- one_hot ---------------------------------------------------------------------------------
def test_one_hot_values():
    out = data.one_hot([2, 0, 1, 2])
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.float32
    out = data.one_hot(np.array([1.0, 0.0]), num_classes=4, dtype="float64")
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert out.dtype == np.float64
    assert data.one_hot(np.array([[1], [0]])).shape == (2, 2)
    assert data.one_hot(np.array([], dtype=int), num_classes=3).shape == (0, 3)


@pytest.mark.parametrize("y,kwargs,exc,match", [
    ([0, 3, 1], dict(num_classes=3), ValueError, r"y has label 3 at index 1; valid labels for num_classes=3 are 0\.\.2"),
    ([0, -1], {}, ValueError, r"y has label -1 at index 1"),
    ([0, 1.5, 2], {}, ValueError, r"y must hold integer class labels; got 1\.5 at index 1"),
    ([0, np.nan], {}, ValueError, r"y contains nan at index 1"),
    (["a", "b"], {}, TypeError, r"y must hold integer class labels; got an array of dtype <U1"),
    ([[0, 1]], {}, ValueError, r"y must be a 1-D array .* got shape \(1, 2\)"),
    ([0, 1], dict(num_classes=0), ValueError, r"num_classes must be an integer >= 1; got 0"),
    ([0, 1], dict(dtype="int8"), ValueError, r"dtype must be 'float32' or 'float64'; got 'int8'"),
    ([], {}, ValueError, r"y is empty: pass num_classes"),
])
def test_one_hot_errors(y, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        data.one_hot(np.asarray(y), **kwargs)


# -- batches ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n,batch_size", [(10, 3), (10, 5), (10, 32), (1, 1), (64, 64)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_cover_every_sample_once(n, batch_size, shuffle):
    X = np.arange(2 * n).reshape(n, 2)
    y = np.arange(n)
    got = list(data.batches(X, y, batch_size=batch_size, shuffle=shuffle, seed=0))
    sizes = [len(yb) for _, yb in got]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = np.concatenate([yb for _, yb in got])
    np.testing.assert_array_equal(np.sort(seen), y)
    for Xb, yb in got:
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)      # rows stay paired
    if not shuffle:
        np.testing.assert_array_equal(seen, y)


def test_batches_without_y_and_views():
    X = np.arange(20.0).reshape(10, 2)
    got = list(data.batches(X, batch_size=4))
    assert [b.shape for b in got] == [(4, 2), (4, 2), (2, 2)]
    assert np.shares_memory(got[0], X)


def test_batches_seed():
    y = np.arange(40)
    order = lambda seed: np.concatenate(list(data.batches(y, batch_size=7, shuffle=True, seed=seed)))  # noqa: E731
    np.testing.assert_array_equal(order(3), order(3))
    np.testing.assert_array_equal(order(np.random.default_rng(3)), order(np.random.default_rng(3)))
    assert not np.array_equal(order(3), y)
    assert not np.array_equal(order(3), order(4))


def test_batches_errors_are_raised_at_the_call():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1; got 0"):
        data.batches(np.zeros(4), batch_size=0)
    with pytest.raises(ValueError, match="y has 3 samples but X has 4"):
        data.batches(np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match="X must be an array with one entry per sample"):
        data.batches(5)
