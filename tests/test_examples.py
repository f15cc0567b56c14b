"""Every example runs with a reduced size, writes its PNGs, and its numbers show its lesson.
(examples/vanishing_gradients.py has its own test file.)"""
import importlib.util
import pathlib

import numpy as np
import pytest

pytest.importorskip("matplotlib")
EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def run(name, tmp_path, *args):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main([*args, "--out", str(tmp_path)])


def pngs(folder):
    return {p.name: p.stat().st_size for p in pathlib.Path(folder).glob("*.png")}


def test_every_example_is_tested():
    tested = {"perceptron_xor", "softmax_seeds", "output_layers", "compare_optimizers", "learning_rate",
              "overfitting", "batch_size", "vanishing_gradients"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested


def test_perceptron_learns_and_but_not_xor_and_the_network_does(tmp_path):
    result = run("perceptron_xor", tmp_path, "--epochs", "300")
    assert result == {"perceptron_and": 1.0, "perceptron_xor": pytest.approx(0.5, abs=0.26),
                      "network_xor": 1.0}
    assert pngs(tmp_path)["perceptron_xor.png"] > 10_000


def test_bias_free_softmax_separates_the_clusters(tmp_path):
    result = run("softmax_seeds", tmp_path, "--samples", "300")
    assert result["weights"].shape == (4, 3)
    assert result["test_accuracy"] > 0.95
    # each class's weight column is largest on its own cluster's input
    assert list(np.argmax(result["weights"][:3], axis=0)) == [0, 1, 2]
    assert "softmax_seeds.png" in pngs(tmp_path)


def test_four_output_layers_each_fit_their_targets(tmp_path):
    result = run("output_layers", tmp_path, "--samples", "800", "--epochs", "30")
    assert result["regression"] > 0.7  # r2
    assert min(result["binary"], result["multiclass"], result["multilabel"]) > 0.85
    assert "output_layers.png" in pngs(tmp_path)


def test_optimizers_compared(tmp_path):
    result = run("compare_optimizers", tmp_path, "--epochs", "15", "--samples", "1000", "--steps", "200")
    loss = result["final_loss"]
    assert loss["Momentum"] < loss["SGD"] and loss["Adam"] < loss["SGD"]
    valley = result["path_ends"]["long valley: x²/20 + 2y²"]
    assert valley["Momentum"][1] < valley["SGD"][1]  # momentum runs along the valley floor
    beale = result["path_ends"]["Beale's function"]
    assert np.allclose(beale["Momentum"][0], (3, 0.5), atol=0.05)  # Beale's minimum
    saddle = result["path_ends"]["saddle: x² − y²"]
    assert abs(saddle["Adam"][0][1]) > 1 > abs(saddle["SGD"][0][1])  # Adam escapes, SGD lingers
    assert {"optimizers_loss.png", "optimizers_paths.png"} <= set(pngs(tmp_path))


def test_learning_rate_too_large_diverges_too_small_crawls(tmp_path):
    result = run("learning_rate", tmp_path, "--epochs", "15", "--samples", "600")
    large, small, good = (result[k] for k in ("too large (lr 1.0)", "too small (lr 0.001)", "good (lr 0.1)"))
    assert not np.isfinite(large[-1]) or large[-1] > large[0]
    assert good[-1] < small[-1] < small[0]
    for decayed in ("step decay from 0.5", "cosine decay from 0.5"):
        assert result[decayed][-1] < small[-1]
    assert "learning_rate.png" in pngs(tmp_path)


def test_regularisation_narrows_the_overfitting_gap(tmp_path):
    result = run("overfitting", tmp_path, "--epochs", "300")
    large = result["large (1-128-128-1)"]
    assert large["train"] < result["small (1-2-1)"]["train"]  # the large network fits the noise
    for fixed in ("large + L2", "large + dropout 0.5", "large + early stopping"):
        assert result[fixed]["gap"] < large["gap"], fixed
    assert "overfitting.png" in pngs(tmp_path)


def test_batch_size_steps_and_losses(tmp_path):
    result = run("batch_size", tmp_path, "--epochs", "8", "--samples", "1000")
    full, mini, online = result["full batch (1000)"], result["mini-batch (32)"], result["online (1)"]
    assert (full["steps"], mini["steps"], online["steps"]) == (8, 8 * 32, 8 * 1000)
    # same epochs, same learning rate: more (noisier) steps get further than one exact step
    assert mini["loss"][-1] < full["loss"][-1] and online["loss"][-1] < full["loss"][-1]
    assert "batch_size.png" in pngs(tmp_path)
