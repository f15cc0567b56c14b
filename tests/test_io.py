"""fastmlp.io: reading data files, and the preprocessing record a model file carries."""
import io
import json
import zipfile

import numpy as np
import pytest

import fastmlp as fm
from fastmlp.io import DataError, Preprocessing, fit_scaler, infer_task, read_table
from fastmlp.saving import model_from_bytes, model_to_bytes


def classifier_with_preprocessing():
    model = fm.Sequential([fm.layers.Dense(4, activation="relu"), fm.layers.Dense(3, activation="softmax")],
                          input_dim=2, seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.build()
    model.preprocessing = Preprocessing(
        feature_names=["a", "b"], target=["kind"], task="classification", labels=["x", "y", "z"],
        scaler={"kind": "standard", "center": [1.0, -2.0], "scale": [0.5, 3.0]})
    return model


def with_header_edit(data, edit):
    src = zipfile.ZipFile(io.BytesIO(data))
    header = json.loads(np.load(io.BytesIO(src.read("header.npy"))).tobytes())
    edit(header)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(json.dumps(header).encode(), np.uint8))
        zf.writestr("header.npy", buf.getvalue())
        for name in ("params.npy", "state.npy", "optimizer_state.npy"):
            zf.writestr(name, src.read(name))
    return out.getvalue()


def test_preprocessing_round_trips_through_the_model_file():
    model = classifier_with_preprocessing()
    loaded = model_from_bytes(model_to_bytes(model))
    assert loaded.preprocessing == model.preprocessing
    X = np.array([[1.5, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(loaded.preprocessing.transform(X), [[1.0, 1.0], [-2.0, 2 / 3]])
    assert list(loaded.preprocessing.decode(np.array([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]]))) == ["y", "x"]


def test_a_model_without_preprocessing_loads_with_none():
    model = classifier_with_preprocessing()
    model.preprocessing = None
    assert model_from_bytes(model_to_bytes(model)).preprocessing is None


@pytest.mark.parametrize("edit", [
    lambda p: p.update(labels=["x", "y"]),                       # fewer labels than outputs
    lambda p: p.update(labels=["x", "x", "z"]),                  # duplicate labels
    lambda p: p.update(labels=[1, 2, 3]),                        # not strings
    lambda p: p.update(feature_names=["a"]),                     # wrong width
    lambda p: p.update(task="clustering"),
    lambda p: p.update(extra=1),
    lambda p: p.pop("target"),
    lambda p: p["scaler"].update(scale=[0.5, 0.0]),              # division by zero
    lambda p: p["scaler"].update(center=[1.0, float("nan")]),
    lambda p: p["scaler"].update(center=[1.0]),
    lambda p: p["scaler"].update(center="1,2"),
    lambda p: p["scaler"].update(kind="robust"),
    lambda p: p.update(scaler=[1, 2]),
    lambda p: p.update(target_scaler={"kind": "standard", "center": [0.0] * 3, "scale": [1.0] * 3}),
])
def test_corrupt_preprocessing_is_refused_with_a_value_error(edit):
    data = with_header_edit(model_to_bytes(classifier_with_preprocessing()),
                            lambda header: edit(header["preprocessing"]))
    with pytest.raises(ValueError, match="preprocessing"):
        model_from_bytes(data)


def test_preprocessing_that_is_not_an_object_is_refused():
    data = with_header_edit(model_to_bytes(classifier_with_preprocessing()),
                            lambda header: header.update(preprocessing="scale everything"))
    with pytest.raises(ValueError, match="preprocessing"):
        model_from_bytes(data)


def test_csv_reads_numeric_features_and_string_targets(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a, b ,label\n1,2.5,cat\n-3,1e3,dog\n\n")
    table = read_table(path, ["label"])
    assert table.feature_names == ["a", "b"] and table.target_names == ["label"]
    np.testing.assert_array_equal(table.X, [[1, 2.5], [-3, 1000]])
    assert table.y[:, 0].tolist() == ["cat", "dog"]


@pytest.mark.parametrize("text,message", [
    ("a,b\n1,x\n", "column 'b' must be numeric; got 'x' on line 2"),
    ("a,b\n1,\n", "column 'b' must be numeric"),
    ("a,b\n1,2,3\n", "line 2 has 3 fields"),
    ("a,a\n1,2\n", "names a column twice"),
    ("a,b\n", "at least one data row"),
    ("a,b\n1,nan\n", "column 'b' holds nan"),
])
def test_bad_csv_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_table(path)


def test_npz_and_npy_pairs(tmp_path):
    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 1, 0])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    table = read_table(tmp_path / "d.npz")
    np.testing.assert_array_equal(table.X, X)
    np.testing.assert_array_equal(table.y[:, 0], y)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "labels.npy", y)
    table = read_table(tmp_path / "X.npy", [str(tmp_path / "labels.npy")])
    assert table.target_names == ["labels"] and table.feature_names == ["x0", "x1"]
    np.testing.assert_array_equal(table.y[:, 0], y)


def test_task_inference_and_scaler_fit():
    assert infer_task(np.array([["a"], ["b"]])) == "classification"
    assert infer_task(np.array([["0"], ["2"], ["1"]])) == "classification"
    assert infer_task(np.array([["0.5"], ["2"]])) == "regression"
    assert infer_task(np.array([["0", "1"], ["1", "1"]])) == "multilabel"
    scaler = fit_scaler(np.array([[0.0, 5.0], [2.0, 5.0]]), "minmax")
    assert scaler == {"kind": "minmax", "center": [0.0, 5.0], "scale": [2.0, 1.0]}
