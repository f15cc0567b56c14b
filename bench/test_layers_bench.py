"""Forward + backward of each deep-network layer beside a Dense layer of the same width:
pytest bench/test_layers_bench.py --benchmark-only. Each model is Dense(256) then the layer under
test, timed through compute_gradients on a batch of 256 (training mode, no update)."""
import numpy as np
import pytest

import fastmlp as fm

L = fm.layers
WIDTH, BATCH = 256, 256
LAYERS = {
    "dense": lambda: L.Dense(WIDTH),
    "dropout": lambda: L.Dropout(0.2),
    "batch_norm": lambda: L.BatchNorm(),
    "layer_norm": lambda: L.LayerNorm(),
    "activation_relu": lambda: L.Activation("relu"),
    "residual_dense": lambda: L.Residual([L.Dense(WIDTH, activation="relu")]),
    "gaussian_noise": lambda: L.GaussianNoise(0.1),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_forward_backward(benchmark, name):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, WIDTH), dtype=np.float32)
    y = rng.standard_normal((BATCH, WIDTH), dtype=np.float32)
    model = fm.Sequential([L.Dense(WIDTH, activation="relu"), LAYERS[name]()], input_dim=WIDTH)
    model.compile(optimizer="sgd", loss="mse")
    model.compute_gradients(X, y)  # buffers sized before timing
    benchmark.extra_info["samples"] = BATCH
    benchmark.pedantic(model.compute_gradients, args=(X, y), rounds=30, warmup_rounds=3)
