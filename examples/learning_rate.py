"""The learning rate: too large oscillates or diverges, too small crawls, and a decaying schedule
takes big steps early and small ones late. Plain SGD on one network and data set, plus the same
lesson on f(x) = x² where the step is easy to see. Writes learning_rate.png.

    python examples/learning_rate.py [--epochs N] [--samples N] [--out FOLDER]
"""
import argparse
import os

import numpy as np

import fastmlp as fm

C = fm.callbacks


def settings(epochs):
    """name: (learning rate, schedule callbacks)."""
    return {
        "too large (lr 1.0)": (1.0, []),
        "too small (lr 0.001)": (1e-3, []),
        "good (lr 0.1)": (0.1, []),
        "step decay from 0.5": (0.5, [C.StepDecay(0.5, drop=0.5, every=max(epochs // 6, 1))]),
        "cosine decay from 0.5": (0.5, [C.CosineDecay(0.5, epochs)]),
    }


def data(samples, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, 8))
    w = rng.normal(size=(8, 1))
    return X, np.tanh(X @ w) + 0.1 * rng.normal(size=(samples, 1))


def train(lr, callbacks, X, y, epochs):
    model = fm.Sequential([fm.layers.Dense(32, activation="tanh"), fm.layers.Dense(1)], input_dim=8,
                          seed=0, dtype="float64")
    model.compile(optimizer=fm.optimizers.SGD(lr=lr), loss="mse")
    initial = model.evaluate(X, y)["loss"]
    history = model.fit(X, y, epochs=epochs, batch_size=32, verbose=0,
                        callbacks=[*callbacks, C.TerminateOnNaN()])
    return [initial, *history.history["loss"]], history.history["lr"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    X, y = data(args.samples)
    runs = {name: train(lr, callbacks, X, y, args.epochs) for name, (lr, callbacks) in settings(args.epochs).items()}
    for name, (loss, _) in runs.items():
        print(f"{name:>22}: loss {loss[0]:.4f} -> {loss[-1]:.4g} after {len(loss) - 1} epochs")
    # On x²: lr above 1 overshoots more each step (|1 - 2 lr| > 1), between 0.5 and 1 it
    # oscillates in, below 0.5 it creeps in from one side.
    parabola = {lr: fm.optimizers.minimize(lambda x: 2 * x, [1.0], fm.optimizers.SGD(lr=lr), 12)[:, 0]
                for lr in (1.05, 0.9, 0.3, 0.02)}

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, (loss, _) in runs.items():
        # a diverged run is drawn up to the top edge instead of to 1e250
        axes[0].semilogy(np.arange(len(loss)), np.minimum(np.nan_to_num(loss, nan=np.inf), 1e2), label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training loss (MSE)")
    axes[0].set_title("SGD on an 8-32-1 network", fontsize=10)
    axes[0].legend(fontsize=7)
    for name, (_, lr) in runs.items():
        if "decay" in name:
            axes[1].plot(np.arange(1, len(lr) + 1), lr, label=name)
    axes[1].set_xlabel("epoch")
    axes[1].set_title("decay schedules: learning rate", fontsize=10)
    axes[1].legend(fontsize=7)
    x = np.linspace(-1.8, 1.8, 100)
    axes[2].plot(x, x ** 2, color="0.6")
    for lr, path in parabola.items():
        axes[2].plot(path, path ** 2, marker="o", ms=3, lw=0.8, label=f"lr {lr}")
    axes[2].set_ylim(0, 3.3)
    axes[2].set_title("steps on f(x) = x²", fontsize=10)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(args.out, "learning_rate.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")
    return {name: loss for name, (loss, _) in runs.items()}


if __name__ == "__main__":
    main()
