"""Data preparation: splits, cross-validation, scalers, one-hot labels and mini-batches.

NumPy only and vectorised: Python loops run over folds, classes or batches, never over samples.
Every `seed` is None (fresh entropy), an integer >= 0 (the same result on every call) or a
numpy.random.Generator (used as given, so successive calls differ).
"""
import math
import numbers
import time
import warnings

import numpy as np

from ._validation import _check_finite, as_dtype, check_bool, check_int, check_X

__all__ = [
    "train_test_split", "train_val_test_split", "KFold", "StratifiedKFold", "cross_validate",
    "MinMaxScaler", "StandardScaler", "one_hot", "batches",
]


# -- shared checks ---------------------------------------------------------------------------
def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be None, an integer >= 0 or a numpy.random.Generator; got {seed!r}")
    return np.random.default_rng(check_int(seed, "seed", 0))


def _as_samples(a, name):
    """`a` as an array whose first axis runs over samples (no copy for an ndarray)."""
    arr = np.asarray(a)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with one entry per sample; got the scalar {arr!r}")
    return arr


def _same_length(arrays, names):
    n = arrays[0].shape[0]
    for arr, name in zip(arrays[1:], names[1:]):
        if arr.shape[0] != n:
            raise ValueError(f"{name} has {arr.shape[0]} samples but {names[0]} has {n}")
    return n


def _labels(y, n, name):
    """Class labels for stratification: a 1-D array of n hashable values."""
    y = _as_samples(y, name)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels; got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} labels but the data has {n} samples")
    return y


# -- hold-out splits -------------------------------------------------------------------------
def _part_size(size, n, name):
    """Samples in a part given as a fraction of n (rounded up, as scikit-learn) or a count."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        count = check_int(size, name, 1)
    elif isinstance(size, numbers.Real) and not isinstance(size, bool) and 0.0 < size < 1.0:
        # Rounding first keeps float noise (0.7 * 10 = 7.000000000000001) from adding a sample.
        count = math.ceil(round(float(size) * n, 9))
    else:
        raise ValueError(f"{name} must be a fraction in (0, 1) or an integer count >= 1; got {size!r}")
    if count >= n:
        raise ValueError(f"{name}={size!r} takes {count} of {n} samples; at least one must remain "
                         "for training")
    return count


def _allocate(counts, total):
    """Share `total` among classes in proportion to `counts` (largest remainder first), keeping at
    least one sample of every class with two or more on each side when the sizes allow it."""
    ideal = counts * (total / counts.sum())
    lo = (counts >= 2).astype(np.int64)
    hi = counts - lo
    if lo.sum() > total:   # fewer test places than classes: some classes cannot be in the part
        lo = np.zeros_like(lo)
    if hi.sum() < total:
        hi = counts
    take = np.clip(np.floor(ideal).astype(np.int64), lo, hi)
    # Each round moves up to |short| classes by one sample, those furthest from their ideal first;
    # a stable sort breaks ties by class order so the counts never depend on the seed.
    while (short := total - int(take.sum())) != 0:
        if short > 0:
            room = np.flatnonzero(take < hi)
            pick = room[np.argsort(take[room] - ideal[room], kind="stable")[:short]]
            take[pick] += 1
        else:
            room = np.flatnonzero(take > lo)
            pick = room[np.argsort(ideal[room] - take[room], kind="stable")[:-short]]
            take[pick] -= 1
    return take


def _split(n, n_test, labels, shuffle, rng):
    """(train, test) indices with len(test) == n_test."""
    if not shuffle:
        return np.arange(n - n_test), np.arange(n - n_test, n)
    if labels is None:
        order = rng.permutation(n)
        return order[n_test:], order[:n_test]
    _, cls, counts = np.unique(labels, return_inverse=True, return_counts=True)
    cls = cls.reshape(-1)
    test_counts = _allocate(counts, n_test)
    # Group samples by class, each class in random order; the first test_counts[k] of class k
    # go to test.
    order = rng.permutation(n)
    order = order[np.argsort(cls[order], kind="stable")]
    cls_sorted = cls[order]
    rank = np.arange(n) - (np.cumsum(counts) - counts)[cls_sorted]
    in_test = rank < test_counts[cls_sorted]
    # Shuffle again so each part is not ordered by class.
    return rng.permutation(order[~in_test]), rng.permutation(order[in_test])


def _prepare(arrays, stratify, shuffle):
    if not arrays:
        raise TypeError("at least one array is required")
    names = [f"arrays[{i}]" for i in range(len(arrays))]
    arrays = [_as_samples(a, name) for a, name in zip(arrays, names)]
    n = _same_length(arrays, names)
    shuffle = check_bool(shuffle, "shuffle")
    labels = None
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify needs shuffle=True: an unshuffled split takes the last samples "
                             "as they come")
        labels = _labels(stratify, n, "stratify")
    return arrays, n, labels, shuffle


def train_test_split(*arrays, test_size=0.25, stratify=None, shuffle=True, seed=None):
    """Split arrays (same number of rows) into train and test parts.

    Returns [a_train, a_test, b_train, b_test, ...]. `test_size` is a fraction in (0, 1) (the
    test part gets ceil(test_size * n) samples) or a count. `stratify` holds class labels: each
    class is split in the same proportion, with at least one of its samples on each side when it
    has two or more and there are enough test places. shuffle=False takes the last samples as
    the test part, in order.
    """
    arrays, n, labels, shuffle = _prepare(arrays, stratify, shuffle)
    n_test = _part_size(test_size, n, "test_size")
    train, test = _split(n, n_test, labels, shuffle, _rng(seed))
    return [part for a in arrays for part in (a[train], a[test])]


def train_val_test_split(*arrays, val_size=0.1, test_size=0.2, stratify=None, shuffle=True, seed=None):
    """Split arrays into train, validation and test parts: [a_train, a_val, a_test, b_train, ...].

    `val_size` and `test_size` are fractions of all samples (rounded up) or counts; `stratify`
    and `shuffle` work as in train_test_split (unshuffled, the order is train, val, test).
    """
    arrays, n, labels, shuffle = _prepare(arrays, stratify, shuffle)
    n_test = _part_size(test_size, n, "test_size")
    n_val = _part_size(val_size, n, "val_size")
    if n_val + n_test >= n:
        raise ValueError(f"val_size={val_size!r} and test_size={test_size!r} take {n_val} + {n_test} "
                         f"of {n} samples; at least one must remain for training")
    rng = _rng(seed)
    rest, test = _split(n, n_test, labels, shuffle, rng)
    train, val = _split(rest.size, n_val, None if labels is None else labels[rest], shuffle, rng)
    train, val = rest[train], rest[val]
    return [part for a in arrays for part in (a[train], a[val], a[test])]


# -- cross-validation ------------------------------------------------------------------------
def _fold_sizes(n, n_splits):
    """The first n % n_splits folds hold one sample more, as scikit-learn's."""
    sizes = np.full(n_splits, n // n_splits)
    sizes[:n % n_splits] += 1
    return sizes


class KFold:
    """K folds of consecutive samples (of a permutation when shuffle=True); each fold is the test
    part once. With an integer seed every call to split gives the same folds."""

    def __init__(self, n_splits=5, shuffle=False, seed=None):
        self.n_splits = check_int(n_splits, "n_splits", 2)
        self.shuffle = check_bool(shuffle, "shuffle")
        if seed is not None:
            if not self.shuffle:
                raise ValueError("seed has no effect when shuffle=False; pass shuffle=True or seed=None")
            _rng(seed)  # reject a bad seed now rather than at split time
        self.seed = seed

    def __repr__(self):
        return f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, seed={self.seed!r})"

    def get_n_splits(self, X=None, y=None):
        return self.n_splits

    def _n_samples(self, X):
        n = _as_samples(X, "X").shape[0]
        if self.n_splits > n:
            raise ValueError(f"n_splits={self.n_splits} is greater than the number of samples ({n})")
        return n

    def _test_folds(self, n, y):
        """The fold number of every sample."""
        order = _rng(self.seed).permutation(n) if self.shuffle else np.arange(n)
        fold = np.empty(n, np.int64)
        fold[order] = np.repeat(np.arange(self.n_splits), _fold_sizes(n, self.n_splits))
        return fold

    def split(self, X, y=None):
        """Yield (train_idx, test_idx) for each fold; both sorted ascending."""
        n = self._n_samples(X)
        fold = self._test_folds(n, y)
        for k in range(self.n_splits):
            in_test = fold == k
            yield np.flatnonzero(~in_test), np.flatnonzero(in_test)


class StratifiedKFold(KFold):
    """K folds that keep each class's share: every fold holds within one sample of
    count/n_splits of each class, and fold sizes are those of KFold."""

    def _test_folds(self, n, y):
        if y is None:
            raise ValueError("StratifiedKFold.split needs y, the class labels")
        y = _labels(y, n, "y")
        _, cls, counts = np.unique(y, return_inverse=True, return_counts=True)
        cls = cls.reshape(-1)
        if counts.min() < self.n_splits:
            warnings.warn(f"the smallest class has {counts.min()} members, fewer than "
                          f"n_splits={self.n_splits}: some folds will lack it", UserWarning, stacklevel=3)
        # Deal the class-sorted samples round-robin to the folds: per (fold, class) counts that
        # differ by at most one across folds, and fold sizes as KFold's.
        sorted_cls = np.sort(cls)
        per_fold = np.bincount(np.arange(n) % self.n_splits * counts.size + sorted_cls,
                               minlength=self.n_splits * counts.size).reshape(self.n_splits, counts.size)
        rng = _rng(self.seed) if self.shuffle else None
        fold = np.empty(n, np.int64)
        for k in range(counts.size):
            members = np.flatnonzero(cls == k)
            if rng is not None:
                members = rng.permutation(members)
            fold[members] = np.repeat(np.arange(self.n_splits), per_fold[:, k])
        return fold


def cross_validate(build_fn, X, y, cv=5, fit_kwargs=None, seed=None):
    """Fit and evaluate a fresh model on every fold.

    build_fn() must return a compiled fastmlp model. `cv` is a splitter (anything with
    split(X, y)) or an integer k: then StratifiedKFold(k, shuffle=True, seed) when y is a 1-D array
    of integer (or bool) class labels, else KFold(k, shuffle=True, seed). `fit_kwargs` go to fit
    (verbose=0 unless given). Returns {key: array of per-fold values} for every key of
    model.evaluate ("loss" and the metrics), plus "fit_time" in seconds.
    """
    if not callable(build_fn):
        raise TypeError(f"build_fn must be a function returning a compiled model; got {build_fn!r}")
    X, y = _as_samples(X, "X"), _as_samples(y, "y")
    _same_length([X, y], ["X", "y"])
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        splitter = StratifiedKFold if y.ndim == 1 and y.dtype.kind in "biu" else KFold
        cv = splitter(cv, shuffle=True, seed=seed)
    elif isinstance(cv, str) or not callable(getattr(cv, "split", None)):
        raise TypeError(f"cv must be an integer or a splitter with a split(X, y) method; got {cv!r}")
    elif seed is not None:
        raise ValueError("seed only applies when cv is an integer; give the splitter its own seed")
    if fit_kwargs is not None and not isinstance(fit_kwargs, dict):
        raise TypeError(f"fit_kwargs must be a dict of fit arguments; got {fit_kwargs!r}")
    fit_kwargs = {"verbose": 0, **(fit_kwargs or {})}

    results = {}
    for train, test in cv.split(X, y):
        model = build_fn()
        start = time.perf_counter()
        model.fit(X[train], y[train], **fit_kwargs)
        elapsed = time.perf_counter() - start
        for key, value in model.evaluate(X[test], y[test]).items():
            results.setdefault(key, []).append(value)
        results.setdefault("fit_time", []).append(elapsed)
    return {key: np.asarray(values, dtype=np.float64) for key, values in results.items()}


# -- scalers ---------------------------------------------------------------------------------
class _Scaler:
    """fit / transform / inverse_transform over columns; fit sets the affine map
    transform(X) = (X - _center) * _mul + _offset. Subtracting the centre first keeps float32
    exact where it matters: a constant column maps exactly to its target value."""

    def _checked(self, X, fitting=False):
        """X as a finite 2-D float array: float32 stays float32, anything else becomes float64."""
        if not fitting and not hasattr(self, "n_features_in_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(X) first")
        arr = np.asarray(X)
        arr = check_X(arr, np.float32 if arr.dtype == np.float32 else np.float64)
        if not fitting and arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {arr.shape[1]} features, but {type(self).__name__} was "
                             f"fitted with {self.n_features_in_}")
        return arr

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def transform(self, X):
        """Scale X with the fitted statistics (a new array in X's float dtype)."""
        X = self._checked(X)
        out = X - self._center.astype(X.dtype)
        out *= self._mul.astype(X.dtype)
        out += self._offset.astype(X.dtype)
        return out

    def inverse_transform(self, X):
        """Undo transform."""
        X = self._checked(X)
        out = X - self._offset.astype(X.dtype)
        out /= self._mul.astype(X.dtype)
        out += self._center.astype(X.dtype)
        return out


class MinMaxScaler(_Scaler):
    """Map each column's [min, max] seen in fit onto feature_range. A constant column maps to
    feature_range[0] (its range is taken as 1, as scikit-learn)."""

    def __init__(self, feature_range=(0, 1)):
        self.feature_range = feature_range

    def fit(self, X, y=None):
        try:
            lo, hi = (float(v) for v in self.feature_range)
        except (TypeError, ValueError):
            raise TypeError(f"feature_range must be a pair (min, max) of numbers; got "
                            f"{self.feature_range!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"feature_range must be finite with min < max; got {self.feature_range!r}")
        X = self._checked(X, fitting=True)
        self.n_features_in_ = X.shape[1]
        self.data_min_ = X.min(axis=0).astype(np.float64)
        self.data_max_ = X.max(axis=0).astype(np.float64)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (hi - lo) / np.where(self.data_range_ == 0.0, 1.0, self.data_range_)
        self.min_ = lo - self.data_min_ * self.scale_
        self._center, self._mul, self._offset = self.data_min_, self.scale_, np.full(X.shape[1], lo)
        return self


class StandardScaler(_Scaler):
    """Centre each column on its mean and divide by its (population) standard deviation. A
    constant column gets scale 1, so it maps to 0."""

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        with_mean = check_bool(self.with_mean, "with_mean")
        with_std = check_bool(self.with_std, "with_std")
        X = self._checked(X, fitting=True)
        self.n_features_in_ = X.shape[1]
        lo, hi = X.min(axis=0), X.max(axis=0)
        constant = lo == hi
        # A constant column's float mean can be off by an ulp, which would leave a tiny variance
        # and a huge 1/std; its exact value is known, so use it.
        self.mean_ = np.where(constant, lo, X.mean(axis=0, dtype=np.float64))
        self.var_ = self.scale_ = None
        if with_std:
            self.var_ = np.where(constant, 0.0, X.var(axis=0, dtype=np.float64))
            self.scale_ = np.where(constant, 1.0, np.sqrt(self.var_))
        self._center = self.mean_ if with_mean else np.zeros(self.n_features_in_)
        self._mul = 1.0 / self.scale_ if with_std else np.ones(self.n_features_in_)
        self._offset = np.zeros(self.n_features_in_)
        return self


# -- labels and batches ----------------------------------------------------------------------
def one_hot(y, num_classes=None, dtype="float32"):
    """Integer class labels (n,) -> rows (n, num_classes) with a 1 in each label's column.
    num_classes defaults to max(y) + 1."""
    dtype = as_dtype(dtype)
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D array of integer class labels; got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"y must hold integer class labels; got an array of dtype {arr.dtype}")
    _check_finite(arr, "y")
    labels = arr.astype(np.int64)
    if arr.dtype.kind == "f" and not np.array_equal(labels, arr):
        bad = int(np.flatnonzero(labels != arr)[0])
        raise ValueError(f"y must hold integer class labels; got {arr[bad]} at index {bad}")
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("y is empty: pass num_classes to one-hot encode no labels")
        num_classes = max(int(labels.max()) + 1, 1)
    else:
        num_classes = check_int(num_classes, "num_classes", 1)
    out_of_range = (labels < 0) | (labels >= num_classes)
    if out_of_range.any():
        bad = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(f"y has label {labels[bad]} at index {bad}; valid labels for "
                         f"num_classes={num_classes} are 0..{num_classes - 1}")
    out = np.zeros((labels.size, num_classes), dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def batches(X, y=None, batch_size=32, shuffle=False, seed=None):
    """Iterate over (X_batch, y_batch), or X_batch when y is None, covering every sample once.

    Batches hold batch_size samples (the last one may be smaller). Unshuffled they are views of
    consecutive rows; shuffled they are copies gathered from a fresh permutation.
    """
    X = _as_samples(X, "X")
    arrays = [X] if y is None else [X, _as_samples(y, "y")]
    n = _same_length(arrays, ["X", "y"][:len(arrays)])
    batch_size = check_int(batch_size, "batch_size", 1)
    order = _rng(seed).permutation(n) if check_bool(shuffle, "shuffle") else None
    # Checks above run now; the generator below runs only when iterated.
    return _batches(arrays, n, batch_size, order)


def _batches(arrays, n, batch_size, order):
    for start in range(0, n, batch_size):
        rows = slice(start, start + batch_size) if order is None else order[start:start + batch_size]
        parts = tuple(a[rows] for a in arrays)
        yield parts if len(parts) == 2 else parts[0]
