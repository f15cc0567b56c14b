"""Checks at the door: every public entry point converts and validates here, once, with messages
that name the argument, what was expected and what was given."""
import numbers

import numpy as np

from . import _core


def as_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be 'float32' or 'float64'; got {dtype!r}") from exc
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dt.name!r}")
    return dt


def check_bool(value, name):
    # bool(value) would take any object: "no" and [0] are true.
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_float(value, name, minimum=0.0, maximum=None, include_max=False):
    """A finite real number in [minimum, maximum) (or [minimum, maximum] when include_max)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    upper_ok = maximum is None or (value <= maximum if include_max else value < maximum)
    if not (np.isfinite(value) and value >= minimum and upper_ok):
        bound = "" if maximum is None else (f", <= {maximum}" if include_max else f", < {maximum}")
        raise ValueError(f"{name} must be a finite number >= {minimum}{bound}; got {value}")
    return value


def _numeric_array(a, name):
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers; got an array of dtype {arr.dtype}")
    return arr


def _check_finite(arr, name):
    if arr.dtype.kind != "f" or not arr.size:
        return
    if arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous and arr.flags.aligned:
        # The core's pass: threaded, and exact where a sum can overflow.
        if _core.all_finite(arr):
            return
    else:
        # A finite sum proves every value finite in one pass, without a mask of the whole array.
        # A sum that is not finite comes from a value that is not, or from finite values that
        # overflow it: the mask tells them apart.
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(arr.sum()):
                return
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        pos = f"row {where[0]}, column {where[1]}" if len(where) == 2 else f"index {where[0]}"
        raise ValueError(f"{name} contains {arr[where]} at {pos}; inputs must be finite")


def check_X(X, dtype, n_features=None, name="X"):
    """X as a C-contiguous 2-D array of `dtype`: no copy when it already is one."""
    arr = _numeric_array(X, name)
    if arr.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be a 2-D array (samples, features); got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the model expects {n_features}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    _check_finite(arr, name)
    return arr


def check_targets(y, n_rows, loss, n_outputs, dtype, name="y"):
    """Targets in the layout the core reads: int64 labels for sparse cross-entropy, else a
    C-contiguous (n_rows, n_outputs) array of `dtype`."""
    arr = _numeric_array(y, name)
    if arr.shape[:1] != (n_rows,):
        raise ValueError(f"{name} has {arr.shape[0] if arr.ndim else 0} rows but X has {n_rows}")
    if loss.sparse:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array of integer class labels for {loss.name}; "
                             f"got shape {arr.shape}")
        _check_finite(arr, name)
        labels = arr.astype(np.int64, copy=False)
        if arr.dtype.kind == "f" and not np.array_equal(labels, arr):
            bad = int(np.flatnonzero(labels != arr)[0])
            raise ValueError(f"{name} must hold integer class labels; got {arr[bad]} at index {bad}")
        lo, hi = labels.min(), labels.max()
        if lo < 0 or hi >= n_outputs:
            bad = int(np.flatnonzero((labels < 0) | (labels >= n_outputs))[0])
            raise ValueError(f"{name} has label {labels[bad]} at index {bad}; valid labels for "
                             f"{n_outputs} outputs are 0..{n_outputs - 1}")
        return np.ascontiguousarray(labels)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != n_outputs:
        hint = (" (integer labels need loss='sparse_categorical_crossentropy')"
                if loss.name == "categorical_crossentropy" and arr.shape[1:] in ((), (1,)) else "")
        raise ValueError(f"{name} must have shape ({n_rows}, {n_outputs}) to match the model's "
                         f"{n_outputs} outputs; got {arr.shape}{hint}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    _check_finite(arr, name)
    return arr


def resolve(identifier, table, kind):
    """An object from a name (case-insensitive) or the object itself; lists valid names."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in table:
            raise ValueError(f"unknown {kind} {identifier!r}; expected one of: "
                             + ", ".join(repr(k) for k in table))
        return table[key]()
    return identifier
