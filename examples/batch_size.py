"""Batch size: full-batch gradient descent (one step per epoch), online SGD (one step per
sample) and mini-batches, on the same network and data with the same learning rate. Plots the
training loss against optimizer steps and against wall-clock time. Writes batch_size.png.

    python examples/batch_size.py [--epochs N] [--samples N] [--out FOLDER]
"""
import argparse
import os
import time

import numpy as np

import fastmlp as fm


class FullLoss(fm.callbacks.Callback):
    """The loss on the whole training set after each epoch, and the training time so far
    (the evaluation itself not counted)."""

    def __init__(self, X, y):
        self.X, self.y = X, y
        self.loss, self.seconds, self._spent = [], [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self._spent += time.perf_counter() - self._start
        self.seconds.append(self._spent)
        self.loss.append(self.model.evaluate(self.X, self.y)["loss"])


def data(samples, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, 10))
    y = (np.sin(X[:, :3].sum(axis=1)) + 0.1 * rng.normal(size=samples)).reshape(-1, 1)
    return X, y


def run(X, y, batch_size, epochs):
    model = fm.Sequential([fm.layers.Dense(64, activation="tanh"), fm.layers.Dense(1)], input_dim=10, seed=0)
    model.compile(optimizer=fm.optimizers.SGD(lr=0.02), loss="mse")
    record = FullLoss(X, y)
    model.fit(X, y, epochs=epochs, batch_size=batch_size, callbacks=[record], verbose=0)
    return {"steps": model.iterations, "steps_per_epoch": model.iterations // epochs,
            "loss": record.loss, "seconds": record.seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    X, y = data(args.samples)
    runs = {f"full batch ({len(X)})": run(X, y, len(X), args.epochs),
            "mini-batch (32)": run(X, y, 32, args.epochs),
            "online (1)": run(X, y, 1, args.epochs)}
    for name, r in runs.items():
        print(f"{name:>18}: {r['steps']:>7} steps in {r['seconds'][-1]:.2f} s, final loss {r['loss'][-1]:.4f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, r in runs.items():
        steps = r["steps_per_epoch"] * np.arange(1, len(r["loss"]) + 1)
        axes[0].loglog(steps, r["loss"], marker=".", label=name)
        axes[1].semilogy(r["seconds"], r["loss"], marker=".", label=name)
    axes[0].set_xlabel("optimizer steps")
    axes[1].set_xlabel("training time (s)")
    for ax in axes:
        ax.set_ylabel("training loss (MSE)")
        ax.legend(fontsize=8)
    axes[0].set_title(f"SGD lr 0.02, {args.epochs} epochs each", fontsize=10)
    fig.tight_layout()
    path = os.path.join(args.out, "batch_size.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")
    return runs


if __name__ == "__main__":
    main()
