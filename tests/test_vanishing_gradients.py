"""The seeds' central lesson: a deep sigmoid network's first layers barely learn; ReLU + He,
BatchNorm or residual connections keep the gradient flowing. Runs the example that plots it."""
import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "vanishing_gradients.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("vanishing_gradients", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def norms(example, tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("plot") / "vg.png"
    result = example.main(["--samples", "512", "--out", str(out)])
    assert out.stat().st_size > 10_000
    return result


def first_over_last_hidden(n):
    return n[0] / n[-2]  # n[-1] is the output layer


def test_sigmoid_with_glorot_vanishes(norms):
    n = norms["sigmoid, Glorot"]
    assert first_over_last_hidden(n) < 1e-4
    assert np.all(np.diff(n[:-1]) > 0)  # shrinking layer by layer towards the input


@pytest.mark.parametrize("variant", ["ReLU, He", "sigmoid + BatchNorm", "sigmoid + residual"])
def test_fixes_keep_gradients_comparable(norms, variant):
    assert first_over_last_hidden(norms[variant]) > 1e-2
