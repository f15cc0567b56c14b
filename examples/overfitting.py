"""Under- and over-fitting on few samples: a tiny network cannot follow the curve, a large one
follows the noise too (training loss falls, validation loss rises). L2 weight penalties, dropout
and early stopping each narrow the gap. Writes overfitting.png.

    python examples/overfitting.py [--epochs N] [--samples N] [--out FOLDER]
"""
import argparse
import os

import numpy as np

import fastmlp as fm

L = fm.layers


def large(regularizer=None, dropout=0.0):
    layers = []
    for _ in range(2):
        layers.append(L.Dense(128, activation="relu", kernel_init="he_normal", kernel_regularizer=regularizer))
        if dropout:
            layers.append(L.Dropout(dropout))
    return layers + [L.Dense(1)]


VARIANTS = {  # name: (layers, early stopping)
    "small (1-2-1)": (lambda: [L.Dense(2, activation="tanh"), L.Dense(1)], False),
    "large (1-128-128-1)": (large, False),
    "large + L2": (lambda: large(regularizer=fm.regularizers.L2(3e-3)), False),
    "large + dropout 0.5": (lambda: large(dropout=0.5), False),
    "large + early stopping": (large, True),
}


def data(samples, seed=0):
    """y = sin(3x) + noise: a few training points, many validation points."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (samples + 200, 1))
    y = np.sin(3 * x) + 0.3 * rng.normal(size=x.shape)
    return (x[:samples], y[:samples]), (x[samples:], y[samples:])


def train(make, early, train_data, val_data, epochs):
    model = fm.Sequential(make(), input_dim=1, seed=0)
    model.compile(optimizer=fm.optimizers.Adam(lr=1e-2), loss="mse")
    callbacks = [fm.callbacks.EarlyStopping(patience=epochs // 10, restore_best_weights=True)] if early else []
    history = model.fit(*train_data, epochs=epochs, batch_size=len(train_data[0]),
                        validation_data=val_data, callbacks=callbacks, verbose=0)
    # MSE from the predictions: evaluate's loss would include the L2 penalty
    final = {part: float(np.mean((model.predict(x) - y) ** 2))
             for part, (x, y) in (("train", train_data), ("val", val_data))}
    return model, history, final


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=600)
    parser.add_argument("--samples", type=int, default=20, help="training samples")
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    train_data, val_data = data(args.samples)
    runs = {name: train(make, early, train_data, val_data, args.epochs) for name, (make, early) in VARIANTS.items()}
    results = {}
    for name, (_, _, final) in runs.items():
        results[name] = {**final, "gap": final["val"] - final["train"]}
        print(f"{name:>24}: train MSE {final['train']:.4f}, validation MSE {final['val']:.4f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    grid = np.linspace(-1, 1, 300).reshape(-1, 1)
    axes[0].scatter(*train_data, s=14, color="k", zorder=3, label="training points")
    axes[0].plot(grid, np.sin(3 * grid), color="0.6", ls="--", label="truth")
    for name, (model, history, _) in runs.items():
        axes[0].plot(grid, model.predict(grid), lw=1.2, label=name)
    axes[0].set_ylim(-2, 2)
    axes[0].set_title("fits", fontsize=10)
    axes[0].legend(fontsize=6)
    for ax, names in zip(axes[1:], (list(VARIANTS)[:2], list(VARIANTS)[1:])):
        for name in names:
            history = runs[name][1].history
            line, = ax.semilogy(history["loss"], lw=1, label=f"{name}: train")
            ax.semilogy(history["val_loss"], lw=1.5, ls="--", color=line.get_color(), label="validation")
        ax.set_xlabel("epoch")
        ax.legend(fontsize=6, ncol=1)
    axes[1].set_title("under- vs over-fitting", fontsize=10)
    axes[2].set_title("regularised", fontsize=10)
    fig.tight_layout()
    path = os.path.join(args.out, "overfitting.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
