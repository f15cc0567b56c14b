"""Why deep sigmoid networks stalled, and what fixed it: per-layer gradient norms of a 10-layer
network with sigmoid + Glorot init, ReLU + He init, sigmoid + BatchNorm, and sigmoid with
residual connections. Writes vanishing_gradients.png.

    python examples/vanishing_gradients.py [--samples N] [--out PATH]
"""
import argparse

import numpy as np

import fastmlp as fm

L = fm.layers
DEPTH, WIDTH = 10, 64


def variants():
    return {
        "sigmoid, Glorot": lambda: [L.Dense(WIDTH, activation="sigmoid") for _ in range(DEPTH)],
        "ReLU, He": lambda: [L.Dense(WIDTH, activation="relu", kernel_init="he_normal") for _ in range(DEPTH)],
        "sigmoid + BatchNorm": lambda: [layer for _ in range(DEPTH)
                                        for layer in (L.Dense(WIDTH), L.BatchNorm(), L.Activation("sigmoid"))],
        "sigmoid + residual": lambda: [L.Dense(WIDTH, activation="sigmoid")] + [
            L.Residual([L.Dense(WIDTH, activation="sigmoid")]) for _ in range(DEPTH - 1)],
    }


def layer_gradient_norms(hidden, X, y, seed=0):
    """Norm of each Dense kernel's gradient, from the input side to the output side."""
    model = fm.Sequential(hidden + [L.Dense(10, activation="softmax")], input_dim=X.shape[1],
                          dtype="float64", seed=seed)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    grads = model.compute_gradients(X, y)
    kernels = [g for g in grads if g.ndim == 2]
    return np.array([np.linalg.norm(k) for k in kernels])


def data(samples, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, 32))
    return X, np.argmax(X[:, :10] + 0.5 * rng.normal(size=(samples, 10)), axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--out", default="vanishing_gradients.png")
    args = parser.parse_args(argv)
    X, y = data(args.samples)
    norms = {name: layer_gradient_norms(make(), X, y) for name, make in variants().items()}
    for name, n in norms.items():
        print(f"{name:>22}: first/last layer gradient norm = {n[0] / n[-1]:.2e}")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, n in norms.items():
        ax.semilogy(np.arange(1, len(n) + 1), n, marker="o", label=name)
    ax.set_xlabel("Dense layer (1 = next to the input)")
    ax.set_ylabel("gradient norm")
    ax.set_title(f"Gradient norms per layer, {DEPTH} hidden layers of {WIDTH}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")
    return norms


if __name__ == "__main__":
    main()
