"""The perceptron learns AND but cannot learn XOR; a 2-2-1 sigmoid network can. Writes
perceptron_xor.png with the decision boundaries.

    python examples/perceptron_xor.py [--epochs N] [--out FOLDER]
"""
import argparse
import os

import numpy as np

import fastmlp as fm

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
AND = np.array([0, 0, 0, 1])
XOR = np.array([0, 1, 1, 0])


def xor_network(epochs, seed=0):
    """2 sigmoid hidden units, 1 sigmoid output, binary cross-entropy, full-batch SGD + momentum."""
    model = fm.Sequential([fm.layers.Dense(2, activation="sigmoid"), fm.layers.Dense(1, activation="sigmoid")],
                          input_dim=2, seed=seed, dtype="float64")
    model.compile(optimizer=fm.optimizers.SGD(lr=0.5, momentum=0.9), loss="binary_crossentropy")
    model.fit(X, XOR.astype(float), epochs=epochs, batch_size=4, verbose=0)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500, help="epochs for the 2-2-1 network")
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    and_p = fm.Perceptron(lr=0.2, epochs=50).fit(X, AND)
    xor_p = fm.Perceptron(lr=0.2, epochs=50).fit(X, XOR)
    net = xor_network(args.epochs)
    results = {"perceptron_and": and_p.score(X, AND), "perceptron_xor": xor_p.score(X, XOR),
               "network_xor": float(np.mean((net.predict(X)[:, 0] > 0.5) == XOR))}
    for name, value in results.items():
        print(f"{name:>15}: accuracy {value:.2f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    grid = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(grid, grid)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    panels = [("perceptron, AND", and_p.predict(points), AND),
              ("perceptron, XOR (fails)", xor_p.predict(points), XOR),
              ("2-2-1 sigmoid network, XOR", net.predict(points)[:, 0], XOR)]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    for ax, (title, z, y) in zip(axes, panels):
        ax.contourf(gx, gy, z.reshape(gx.shape), levels=[-0.1, 0.5, 1.1], colors=["#dde6f5", "#f7dcc8"])
        ax.contour(gx, gy, z.reshape(gx.shape), levels=[0.5], colors="k", linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=90, edgecolors="k", zorder=3)
        ax.set_title(title, fontsize=10)
        ax.set_aspect("equal")
    fig.tight_layout()
    path = os.path.join(args.out, "perceptron_xor.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
