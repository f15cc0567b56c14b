"""Reading data files for the command line, and the preprocessing a model file carries with it.

Data: CSV with a header row and numeric feature columns (the target column may hold strings),
a .npz holding arrays "X" and "y", or a .npy of features with the targets in a second .npy.
No pandas: a plain CSV (no quotes, ASCII) is read in one pass by a small Cython scanner
(_csvscan.pyx); any other the csv module reads, and NumPy converts it column by column.

Preprocessing: what turns a raw row into the network's input and its output back into the raw
target (feature names, a per-column scaler, class labels, a target scaler for regression). It
is saved in the model file's JSON header and checked field by field on load, as the rest of the
header is."""
import csv
import dataclasses
import math
import os
import re

import numpy as np

from . import _core, _csvscan

TASKS = ("classification", "regression", "multilabel")
# An integer target with at most this many distinct values is taken as class labels by --task auto.
MAX_AUTO_CLASSES = 20


class DataError(ValueError):
    """A data file that cannot be used as given; the message names the file and the problem."""


@dataclasses.dataclass
class Table:
    """Features X (float64, samples x features) with their names, and the raw target columns
    (strings as read from a CSV, or numbers from .npz/.npy), None when the file had none."""
    X: np.ndarray
    feature_names: list
    y: object = None
    target_names: list = None


def _numeric_column(values, name, path):
    try:
        return values.astype(np.float64)
    except ValueError:
        for row, value in enumerate(values):
            try:
                float(value)
            except ValueError:
                raise DataError(f"{path}: column {name!r} must be numeric; got {str(value)!r} on line "
                                f"{row + 2} (only the target column may hold labels)") from None
        raise


def read_csv(path, target=None, features=None):
    """A Table from a CSV file with a header. `target` is a list of column names; `features`
    the feature columns to read (default: every other column; the rest are ignored)."""
    with open(path, "rb") as f:
        table = _read_plain_csv(f.read(), target or [], features, path)
    return table if table is not None else _read_csv_module(path, target or [], features)


def _read_plain_csv(data, target, features, path):
    """read_csv's Table from the bytes of a plain CSV file (see _csvscan) in one pass, or None
    for _read_csv_module to read it (or to report what is wrong with it)."""
    start = re.match(rb"[\r\n]*", data).end()  # blank lines before the header
    end = data.find(b"\n", start)
    if end < 0:
        return None
    line = data[start:end].removesuffix(b"\r")
    if not line.isascii() or any(c in line for c in (b'"', b"\r", b"\0")):
        return None
    longest_field = csv.field_size_limit()  # the csv module refuses longer fields
    fields = line.decode("ascii").split(",")
    if max(map(len, fields)) > longest_field:
        return None
    header = [name.strip() for name in fields]
    try:
        features = _columns(header, target, features, path)
    except DataError:
        return None
    if len(set(features)) < len(features) or len(set(target)) < len(target) or set(features) & set(target):
        return None  # a column read twice
    position = {name: i for i, name in enumerate(header)}
    x_column = np.full(len(header), -1, dtype=np.intp)
    y_column = np.full(len(header), -1, dtype=np.intp)
    x_column[[position[name] for name in features]] = np.arange(len(features))
    y_column[[position[name] for name in target]] = np.arange(len(target))
    most_rows = data.count(b"\n", end + 1) + (not data.endswith(b"\n"))
    scanned = _csvscan.scan_rows(data, end + 1, x_column, y_column, len(features), len(target),
                                 most_rows, longest_field)
    if scanned is None or len(scanned[0]) == 0 or not _core.all_finite(scanned[0]):
        return None
    X, labels = scanned
    y = np.array(labels, dtype=str) if target else None
    return Table(X, features, y, list(target) or None)


def _read_csv_module(path, target, features):
    """read_csv's Table through the csv module: any CSV the module reads, and the errors."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a valid CSV file: {exc}") from None
    rows = [row for row in rows if row]  # blank lines, e.g. a trailing one
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header):  # before the rows' widths (_columns checks it again)
        raise DataError(f"{path}: the header names a column twice")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"{path}: line {line} has {len(row)} fields; the header has {len(header)}")
    cells = np.char.strip(np.array(rows[1:], dtype=str))
    features = _columns(header, target, features, path)
    X = np.stack([_numeric_column(cells[:, header.index(name)], name, path) for name in features], axis=1)
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"{path}: column {features[col]!r} holds {X[row, col]} on line {row + 2}")
    y = np.stack([cells[:, header.index(name)] for name in target], axis=1) if target else None
    return Table(X, features, y, list(target) or None)


def _columns(header, target, features, path):
    """The feature columns to read: `features`, or every column that is not a target."""
    if len(set(header)) != len(header):
        raise DataError(f"{path}: the header names a column twice")
    for name in target:
        if name not in header:
            raise DataError(f"{path}: no target column {name!r}; columns are: {', '.join(header)}")
    if features is None:
        features = [name for name in header if name not in target]
    missing = [name for name in features if name not in header]
    if missing:
        raise DataError(f"{path}: missing feature column(s) {', '.join(missing)}")
    if not features:
        raise DataError(f"{path}: no feature columns left besides the target")
    return list(features)


def _load_npy(path, what):
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read {what}: {exc}") from None


def _features(X, path):
    if X.dtype.kind not in "biuf" or X.ndim != 2 or X.shape[0] == 0:
        raise DataError(f"{path}: features must be a non-empty 2-D numeric array; got {X.dtype} {X.shape}")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise DataError(f"{path}: features must be finite")
    return X


def read_table(path, target=None, features=None):
    """A Table from a .csv, .npz or .npy file. For .npz, `target` names the target array (the
    features are "X"); for .npy, it is the path of the targets' .npy file. `features` selects
    CSV columns by name (see read_csv)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"{path}: cannot read the archive: {exc}") from None
        if "X" not in arrays:
            raise DataError(f"{path}: needs an array named 'X'; has {', '.join(arrays) or 'none'}")
        X = _features(arrays["X"], path)
        name = (target or ["y"])[0]
        if target and name not in arrays:
            raise DataError(f"{path}: no target array {name!r}; has {', '.join(arrays)}")
        y = arrays.get(name)
        return Table(X, [f"x{i}" for i in range(X.shape[1])], _target_columns(y, X, path),
                     None if y is None else [name])
    if ext == ".npy":
        X = _features(_load_npy(path, "features"), path)
        y = None
        if target:
            y = _load_npy(target[0], "targets")
        return Table(X, [f"x{i}" for i in range(X.shape[1])], _target_columns(y, X, path),
                     None if y is None else [os.path.splitext(os.path.basename(target[0]))[0]])
    if ext in (".csv", ".txt", ".tsv") or not ext:
        return read_csv(path, target, features)
    raise DataError(f"{path}: unknown file type {ext!r}; expected .csv, .npz or .npy")


def _target_columns(y, X, path):
    """Targets as a 2-D array with one column per target, rows matching X."""
    if y is None:
        return None
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise DataError(f"{path}: targets of shape {y.shape} do not match {X.shape[0]} samples")
    if y.dtype.kind not in "biufU":
        raise DataError(f"{path}: targets must be numbers or strings; got {y.dtype}")
    return y.reshape(len(y), -1)


def infer_task(y):
    """--task auto: several columns of 0/1 are multilabel; strings, or integers with few distinct
    values, are classes; anything else is regression."""
    numeric = _try_numeric(y)
    if numeric is None:
        return "classification"
    if y.shape[1] > 1:
        return "multilabel" if np.isin(numeric, (0.0, 1.0)).all() else "regression"
    integral = np.array_equal(numeric, np.round(numeric))
    return "classification" if integral and len(np.unique(numeric)) <= MAX_AUTO_CLASSES else "regression"


def _try_numeric(y):
    try:
        numeric = y.astype(np.float64)
    except ValueError:
        return None
    return numeric if np.isfinite(numeric).all() else None


def class_labels(y):
    """Sorted distinct labels of one target column, as strings (numerically sorted when they
    are numbers), and each sample's index into them."""
    column = y[:, 0]
    numeric = _try_numeric(column)
    if numeric is not None:
        values, index = np.unique(numeric, return_inverse=True)
        labels = [_number_text(v) for v in values]
    else:
        values, index = np.unique(column.astype(str), return_inverse=True)
        labels = [str(v) for v in values]
    return labels, index.reshape(-1).astype(np.int64)


def _number_text(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def numeric_targets(y, path, task):
    numeric = _try_numeric(y)
    if numeric is None:
        raise DataError(f"{path}: {task} needs numeric target values")
    if task == "multilabel" and not np.isin(numeric, (0.0, 1.0)).all():
        raise DataError(f"{path}: multilabel targets must be 0 or 1")
    return numeric


@dataclasses.dataclass
class Preprocessing:
    """How raw rows become network inputs and outputs become raw targets.

    scaler: None or {"kind": "standard" | "minmax", "center": [...], "scale": [...]}, applied as
    (x - center) / scale per feature column. target_scaler (regression only): the same map for
    the targets, undone on the outputs. labels: the class names, one per output (classification)."""
    feature_names: list
    target: list
    task: str
    labels: list = None
    scaler: dict = None
    target_scaler: dict = None

    def transform(self, X):
        return scale(X, self.scaler)

    def decode(self, outputs):
        """Network outputs -> raw targets: label strings (classification), 0/1 (multilabel) or
        values in the target's units (regression)."""
        if self.task == "classification":
            return np.asarray(self.labels, dtype=object)[np.argmax(outputs, axis=1)]
        if self.task == "multilabel":
            return (outputs > 0.5).astype(np.int64)
        return unscale(outputs, self.target_scaler)

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, entry, input_dim, output_dim):
        """Check an entry read from an untrusted model file against the model it came with."""
        if not isinstance(entry, dict):
            raise ValueError("'preprocessing' must be an object")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(entry) - fields
        if unknown:
            raise ValueError(f"'preprocessing' has unknown fields {sorted(unknown)}")
        missing = {"feature_names", "target", "task"} - set(entry)
        if missing:
            raise ValueError(f"'preprocessing' lacks {sorted(missing)}")
        p = cls(**entry)
        _check_names(p.feature_names, "feature_names", input_dim)
        if p.task not in TASKS:
            raise ValueError(f"'preprocessing.task' must be one of {TASKS}; got {p.task!r}")
        _check_names(p.target, "target", 1 if p.task == "classification" else output_dim)
        if p.task == "classification":
            _check_names(p.labels, "labels", output_dim)
        elif p.labels is not None:
            raise ValueError(f"'preprocessing.labels' is only for classification; task is {p.task!r}")
        p.scaler = _check_scaler(p.scaler, "scaler", input_dim, kinds=("standard", "minmax"))
        if p.target_scaler is not None and p.task != "regression":
            raise ValueError("'preprocessing.target_scaler' is only for regression")
        p.target_scaler = _check_scaler(p.target_scaler, "target_scaler", output_dim, kinds=("standard",))
        return p


def scale(X, scaler):
    """(X - center) / scale per column; X itself when scaler is None."""
    if scaler is None:
        return X
    return (X - np.asarray(scaler["center"], X.dtype)) / np.asarray(scaler["scale"], X.dtype)


def unscale(Y, scaler):
    """The inverse of scale."""
    if scaler is None:
        return Y
    return Y * np.asarray(scaler["scale"], Y.dtype) + np.asarray(scaler["center"], Y.dtype)


def _check_names(names, what, count):
    if (not isinstance(names, list) or len(names) != count
            or not all(isinstance(n, str) for n in names) or len(set(names)) != count):
        raise ValueError(f"'preprocessing.{what}' must be a list of {count} distinct strings")


def _check_scaler(scaler, what, width, kinds):
    if scaler is None:
        return None
    if not isinstance(scaler, dict) or set(scaler) != {"kind", "center", "scale"}:
        raise ValueError(f"'preprocessing.{what}' must be an object with kind, center and scale")
    if scaler["kind"] not in kinds:
        raise ValueError(f"'preprocessing.{what}.kind' must be one of {kinds}; got {scaler['kind']!r}")
    for key in ("center", "scale"):
        values = scaler[key]
        if (not isinstance(values, list) or len(values) != width
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                           for v in values)):
            raise ValueError(f"'preprocessing.{what}.{key}' must be a list of {width} finite numbers")
    if not all(v > 0 for v in scaler["scale"]):
        raise ValueError(f"'preprocessing.{what}.scale' must be positive")
    return {"kind": scaler["kind"], "center": [float(v) for v in scaler["center"]],
            "scale": [float(v) for v in scaler["scale"]]}


def fit_scaler(X, kind):
    """The scaler record for `kind` ("standard", "minmax" or "none") fitted on X's columns."""
    if kind == "none":
        return None
    if kind == "standard":
        center, scale = X.mean(axis=0), X.std(axis=0)
    else:
        center, scale = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
    scale = np.where(scale > 0, scale, 1.0)  # a constant column maps to 0
    return {"kind": kind, "center": center.tolist(), "scale": scale.tolist()}
