"""A bias-free softmax classifier: 4 inputs, 3 classes, one weight matrix and nothing else.
The textbook seed example that tests/test_seed_examples.py checks by hand. Trains it with SGD on three clusters in R^4 and writes softmax_seeds.png (loss and accuracy per
epoch, and the learned weights: each class's column points at its cluster).

    python examples/softmax_seeds.py [--samples N] [--out FOLDER]
"""
import argparse
import os

import numpy as np

import fastmlp as fm


def clusters(samples, seed=0):
    """Class c is centred on 3 * e_c in R^4 (the fourth input is noise only)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, samples)
    return rng.normal(0, 0.6, (samples, 4)) + 3 * np.eye(4)[y], y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    X, y = clusters(args.samples)
    X_train, X_test, y_train, y_test = fm.data.train_test_split(X, y, test_size=0.25, stratify=y, seed=0)
    model = fm.Sequential([fm.layers.Dense(3, activation="softmax", use_bias=False)], input_dim=4, seed=0)
    model.compile(optimizer=fm.optimizers.SGD(lr=0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X_train, y_train, epochs=30, batch_size=16, validation_data=(X_test, y_test), verbose=0)
    (W,) = model.get_weights()
    result = {"test_accuracy": model.evaluate(X_test, y_test)["accuracy"], "loss": history.history["loss"],
              "weights": W}
    print(f"weights (4 inputs x 3 classes):\n{np.round(W, 2)}")
    print(f"test accuracy: {result['test_accuracy']:.3f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    for ax, key in zip(axes, ("loss", "accuracy")):
        ax.plot(history.epoch, history.history[key], label="train")
        ax.plot(history.epoch, history.history[f"val_{key}"], label="test")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
    image = axes[2].imshow(W, cmap="RdBu_r", vmin=-np.abs(W).max(), vmax=np.abs(W).max())
    axes[2].set_xticks(range(3), [f"class {c}" for c in range(3)])
    axes[2].set_yticks(range(4), [f"x{i}" for i in range(4)])
    axes[2].set_title("W (no bias)")
    fig.colorbar(image, ax=axes[2])
    fig.tight_layout()
    path = os.path.join(args.out, "softmax_seeds.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
