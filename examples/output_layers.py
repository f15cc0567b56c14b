"""The same hidden layers under four output layers, for four kinds of target, side by side:
regression (linear output + MSE), binary (sigmoid + binary cross-entropy), multiclass (softmax +
cross-entropy) and multilabel (one sigmoid per label + binary cross-entropy on each).
Writes output_layers.png.

    python examples/output_layers.py [--samples N] [--out FOLDER]
"""
import argparse
import os

import numpy as np

import fastmlp as fm

L = fm.layers
TASKS = {  # name: (output units, output activation, loss, metric)
    "regression": (1, None, "mse", "r2"),
    "binary": (1, "sigmoid", "binary_crossentropy", "accuracy"),
    "multiclass": (3, "softmax", "sparse_categorical_crossentropy", "accuracy"),
    "multilabel": (2, "sigmoid", "binary_crossentropy", "accuracy"),
}


def targets(X, rng):
    """Each task's targets for the same 2-D inputs."""
    r = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 1], X[:, 0])
    return {
        "regression": np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.05 * rng.normal(size=len(X)),
        "binary": (r < 1.2).astype(np.float64),                          # inside a circle
        "multiclass": ((angle + np.pi) // (2 * np.pi / 3)).astype(np.int64) % 3,  # three sectors
        "multilabel": np.column_stack([X[:, 0] > 0, X[:, 1] > X[:, 0] ** 2 - 1]).astype(np.float64),
    }


def train(task, X, y, epochs, seed=0):
    units, activation, loss, metric = TASKS[task]
    model = fm.Sequential([L.Dense(32, activation="tanh"), L.Dense(32, activation="tanh"),
                           L.Dense(units, activation=activation)], input_dim=2, seed=seed)
    model.compile(optimizer=fm.optimizers.Adam(lr=1e-2), loss=loss, metrics=[metric])
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (args.samples, 2))
    X_test = rng.uniform(-2, 2, (1000, 2))
    train_y, test_y = targets(X, rng), targets(X_test, rng)
    models, results = {}, {}
    for task in TASKS:
        models[task] = train(task, X, train_y[task], args.epochs)
        metric = TASKS[task][3]
        results[task] = models[task].evaluate(X_test, test_y[task])[metric]
        print(f"{task:>10}: test {metric} {results[task]:.3f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    grid = np.linspace(-2, 2, 121)
    gx, gy = np.meshgrid(grid, grid)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.5))
    for ax, task in zip(axes, TASKS):
        out = models[task].predict(points)
        if task == "regression":
            shown, cmap = out[:, 0], "viridis"
        elif task == "multiclass":
            shown, cmap = np.argmax(out, axis=1), "Set2"
        else:  # binary: p(1); multilabel: the four label combinations as 0..3
            shown = (out > 0.5) @ (2 ** np.arange(out.shape[1]))
            cmap = "coolwarm" if task == "binary" else "Set3"
        ax.pcolormesh(gx, gy, shown.reshape(gx.shape), cmap=cmap, shading="auto")
        ax.set_title(f"{task}: {TASKS[task][1] or 'linear'} + {TASKS[task][2].replace('_', ' ')}",
                     fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    path = os.path.join(args.out, "output_layers.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
