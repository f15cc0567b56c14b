"""Small data sets made in-process, so examples and the demo need no download."""
import numpy as np


def two_spirals(n_samples=2000, noise=0.3, turns=1.75, seed=0):
    """Two interleaved spirals in the plane: X (n_samples, 2) float32, y (n_samples,) in {0, 1}.
    A classic that no linear model separates."""
    rng = np.random.default_rng(seed)
    n = n_samples // 2
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * turns * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    X = np.concatenate([arm, -arm]) + rng.normal(0.0, noise, (2 * n, 2))
    y = np.concatenate([np.zeros(n), np.ones(n)]).astype(np.int64)
    order = rng.permutation(2 * n)
    return (X[order] / (turns * 2 * np.pi)).astype(np.float32), y[order]
