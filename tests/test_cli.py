"""The command line: train / predict on CSV, .npz and .npy; demo; info; errors exit with code 2
and one line on stderr, never a traceback."""
import csv
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastmlp as fm
from fastmlp.cli import main

SPECIES = np.array(["setosa", "versicolor", "virginica"])


def run(*args, cwd=None):
    env = {**os.environ, "SKBUILD_EDITABLE_VERBOSE": "0"}  # the editable build's rebuild log goes to stderr
    return subprocess.run([sys.executable, "-m", "fastmlp", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def blobs(n=240, seed=0):
    """Three classes on very different column scales, so an unscaled input would hurt."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.normal(0, 0.3, (n, 3)) + np.eye(3)[y]) * [1.0, 100.0, 0.01] + [0.0, 5000.0, -3.0]
    return X, y


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cls")
    X, y = blobs()
    data = write_csv(folder / "flowers.csv", ["a", "b", "c", "species"],
                     [[*x, s] for x, s in zip(X.tolist(), SPECIES[y])])
    model = str(folder / "m.fmlp")
    assert main(["train", data, "--target", "species", "--epochs", "40", "--hidden", "16", "--lr", "0.01", "--batch-size", "16",
                 "--verbose", "0", "-o", model]) == 0
    return folder, data, model, X, y


def test_train_classification_with_string_labels(classifier, capsys):
    folder, _, model, _, _ = classifier
    loaded = fm.load_model(model)
    prep = loaded.preprocessing
    assert prep.task == "classification" and prep.labels == list(SPECIES)
    assert prep.feature_names == ["a", "b", "c"] and prep.target == ["species"]
    assert prep.scaler["kind"] == "standard"
    pytest.importorskip("matplotlib")  # the curves are drawn only when it is installed
    assert (folder / "m_curves.png").stat().st_size > 5_000


def test_train_prints_a_table_of_train_val_test_metrics(tmp_path, capsys):
    X, y = blobs(seed=1)
    data = write_csv(tmp_path / "d.csv", ["a", "b", "c", "label"], [[*x, s] for x, s in zip(X.tolist(), y)])
    assert main(["train", data, "--target", "label", "--epochs", "40", "--hidden", "16", "--lr", "0.01", "--batch-size", "16",
                 "--verbose", "0", "-o", str(tmp_path / "m.fmlp")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("classification: ")  # integer labels with few values are classes
    assert re.search(r"trained \d+ epochs in [0-9.]+ s \([0-9,]+ samples/s\)", out)
    rows = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(train|val|test) +[0-9.]+ +([0-9.]+)$", out, re.M)}
    assert set(rows) == {"train", "val", "test"} and rows["test"] > 0.8


def test_predict_applies_the_stored_scaler_and_returns_the_original_labels(classifier):
    folder, data, model, X, y = classifier
    out = str(folder / "pred.csv")
    assert main(["predict", model, data, "-o", out]) == 0
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["species", "p(setosa)", "p(versicolor)", "p(virginica)"]
    predicted = [row[0] for row in rows[1:]]
    assert np.mean(np.array(predicted) == SPECIES[y]) > 0.9

    # By hand: standardise with the training part's statistics, run the network, map the argmax.
    loaded = fm.load_model(model)
    scaler = loaded.preprocessing.scaler
    probabilities = loaded.predict((X - scaler["center"]) / scaler["scale"])
    assert predicted == list(SPECIES[np.argmax(probabilities, axis=1)])
    np.testing.assert_allclose(np.array([row[1:] for row in rows[1:]], float), probabilities, rtol=1e-5)


def test_predict_reads_feature_columns_by_name_in_any_order(classifier, tmp_path):
    _, data, model, X, _ = classifier
    shuffled = write_csv(tmp_path / "s.csv", ["c", "note", "a", "b"],
                         [[x[2], "n/a", x[0], x[1]] for x in X.tolist()])
    assert main(["predict", model, data, "-o", str(tmp_path / "1.csv")]) == 0
    assert main(["predict", model, shuffled, "-o", str(tmp_path / "2.csv")]) == 0
    assert (tmp_path / "1.csv").read_text() == (tmp_path / "2.csv").read_text()


def test_train_and_predict_regression_in_the_target_units(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)) * [1.0, 50.0]
    price = 2000.0 + 300.0 * X[:, 0] + 2.0 * X[:, 1]
    data = write_csv(tmp_path / "r.csv", ["x", "z", "price"], np.column_stack([X, price]).tolist())
    model = str(tmp_path / "r.fmlp")
    assert main(["train", data, "--target", "price", "--epochs", "60", "--hidden", "16", "--lr", "0.01", "--batch-size", "16",
                 "--early-stopping", "0", "--verbose", "0", "-o", model]) == 0
    out = capsys.readouterr().out
    assert out.startswith("regression: ") and "rmse" in out and "r2" in out
    assert main(["predict", model, data, "-o", str(tmp_path / "p.csv")]) == 0
    predicted = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    assert np.sqrt(np.mean((predicted - price) ** 2)) < 0.1 * price.std()


def test_train_multilabel(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0]).astype(int)
    data = write_csv(tmp_path / "m.csv", ["a", "b", "c", "red", "round"], np.column_stack([X, Y]).tolist())
    model = str(tmp_path / "m.fmlp")
    assert main(["train", data, "--target", "red,round", "--epochs", "60", "--hidden", "16", "--lr", "0.01", "--batch-size", "16",
                 "--verbose", "0", "-o", model]) == 0
    assert capsys.readouterr().out.startswith("multilabel: ")
    assert main(["predict", model, data, "-o", str(tmp_path / "p.csv")]) == 0
    with open(tmp_path / "p.csv") as f:
        assert f.readline().strip() == "red,round,p(red),p(round)"
    predicted = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)[:, :2]
    assert np.mean(predicted == Y) > 0.9


def test_npz_and_npy_inputs(tmp_path):
    X, y = blobs()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    for args in ([str(tmp_path / "d.npz")], [str(tmp_path / "X.npy"), "--target", str(tmp_path / "y.npy")]):
        model = str(tmp_path / "m.fmlp")
        assert main(["train", *args, "--epochs", "30", "--hidden", "16", "--lr", "0.01", "--batch-size", "16", "--verbose", "0", "-o", model]) == 0
        assert main(["predict", model, args[0], "-o", str(tmp_path / "p.csv")]) == 0
        predicted = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)[:, 0]
        assert np.mean(predicted == y) > 0.9


def test_demo_trains_and_reports_accuracy_and_speed():
    result = run("demo", "--epochs", "40", "--samples", "2000")
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.9
    assert re.search(r"[0-9,]+ samples/s", result.stdout)


def test_info_shows_the_build():
    result = run("info")
    assert result.returncode == 0
    assert "OpenMP" in result.stdout and "SIMD" in result.stdout


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, classifier):
    folder = tmp_path_factory.mktemp("bad")
    write_csv(folder / "ok.csv", ["a", "b", "y"], [[1, 2, "u"], [3, 4, "v"]] * 10)
    write_csv(folder / "text.csv", ["a", "colour", "y"], [[1, "red", 0], [2, "blue", 1]] * 10)
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "model.fmlp").write_bytes(b"not a zip")
    return folder, classifier[2]


@pytest.mark.parametrize("args,message", [
    (("demo", "--epochs", "0"), "--epochs"),
    (("demo", "--epochs", "x"), "--epochs"),
    (("frobnicate",), "invalid choice"),
    (("train", "missing.csv", "--target", "y"), "no such file"),
    (("train", "ok.csv", "--target", "z"), "no target column 'z'"),
    (("train", "text.csv", "--target", "y"), "column 'colour' must be numeric"),
    (("train", "binary.csv", "--target", "y"), "binary.csv"),
    (("train", "ok.csv", "--target", "y", "--lr", "-1"), "--lr"),
    (("train", "ok.csv", "--target", "y", "--hidden", "64,0"), "--hidden"),
    (("train", "ok.csv", "--target", "y", "--task", "ranking"), "--task"),
    (("train", "ok.csv", "--target", "y", "--task", "regression"), "numeric target"),
    (("train", "ok.csv", "--target", "y", "--val", "0.5", "--test", "0.5"), "no training samples"),
    (("train", "ok.csv", "--target", "y", "-o", "nowhere/m.fmlp"), "does not exist"),
    (("predict", "model.fmlp", "ok.csv"), "not a fastmlp model file"),
    (("predict", "TRAINED", "ok.csv"), "missing feature column"),
])
def test_bad_files_and_arguments_exit_2_with_one_line(bad_files, args, message):
    folder, trained = bad_files
    result = run(*[trained if a == "TRAINED" else a for a in args], cwd=folder)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_a_diverging_run_ends_with_one_line_and_exit_1(bad_files):
    folder, _ = bad_files
    write_csv(folder / "big.csv", ["a", "b", "y"], [[i, -i, 1e6 * i] for i in range(30)])
    result = run("train", "big.csv", "--target", "y", "--scale", "none", "--optimizer", "sgd",
                 "--lr", "10", "--verbose", "0", cwd=folder)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "training diverged" in lines[0], result.stderr
