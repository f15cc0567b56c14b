"""SGD, Momentum, Nesterov, Adagrad, RMSprop and Adam on the same network (training loss per
epoch), and their paths on three 2-D test functions: a long narrow valley, Beale's function and a
saddle point. The paths use the same fused update as training (fm.optimizers.minimize).
Writes optimizers_loss.png and optimizers_paths.png.

    python examples/compare_optimizers.py [--epochs N] [--samples N] [--out FOLDER]
"""
import argparse
import os

import numpy as np

import fastmlp as fm

O = fm.optimizers


def optimizers(lr):
    """The six; `lr` holds the learning rate of SGD (shared by Momentum and Nesterov), Adagrad,
    RMSprop and Adam."""
    return {
        "SGD": O.SGD(lr=lr["SGD"]),
        "Momentum": O.SGD(lr=lr["SGD"], momentum=0.9),
        "Nesterov": O.SGD(lr=lr["SGD"], momentum=0.9, nesterov=True),
        "Adagrad": O.Adagrad(lr=lr["Adagrad"]),
        "RMSprop": O.RMSprop(lr=lr["RMSprop"]),
        "Adam": O.Adam(lr=lr["Adam"]),
    }


NETWORK_LR = {"SGD": 0.05, "Adagrad": 0.05, "RMSprop": 1e-3, "Adam": 3e-3}
PATH_LR = {"SGD": 0.01, "Adagrad": 0.5, "RMSprop": 0.01, "Adam": 0.05}  # times each function's scale


# (f, gradient, start, view box, lr scale) of each test function; minima: valley (0, 0),
# Beale (3, 0.5); the saddle has none: starting a hair off its ridge, plain SGD lingers while
# the methods that divide by the gradient's size escape along y.
FUNCTIONS = {
    "long valley: x²/20 + 2y²": (lambda x, y: x ** 2 / 20 + 2 * y ** 2,
                                 lambda p: np.array([p[0] / 10, 4 * p[1]]), (-9.0, 1.2),
                                 (-10, 2, -2, 2), 1.0),
    "Beale's function": (lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
                         + (2.625 - x + x * y ** 3) ** 2,
                         lambda p: _beale_grad(*p), (1.0, 1.4), (-0.5, 4, -1, 2), 0.3),
    "saddle: x² − y²": (lambda x, y: x ** 2 - y ** 2, lambda p: np.array([2 * p[0], -2 * p[1]]),
                        (-1.5, 1e-3), (-2, 2, -2, 2), 0.3),
}


def _beale_grad(x, y):
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    return np.array([2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1),
                     2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2])


def loss_curves(epochs, samples):
    X, y = fm.datasets.two_spirals(n_samples=samples, seed=0)
    curves = {}
    for name, opt in optimizers(NETWORK_LR).items():
        model = fm.Sequential([fm.layers.Dense(64, activation="relu", kernel_init="he_normal"),
                               fm.layers.Dense(64, activation="relu", kernel_init="he_normal"),
                               fm.layers.Dense(2, activation="softmax")], input_dim=2, seed=0)
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
        curves[name] = model.fit(X, y, epochs=epochs, batch_size=32, verbose=0).history["loss"]
    return curves


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=300, help="steps on the 2-D functions")
    parser.add_argument("--out", default=".", help="folder for the PNGs")
    args = parser.parse_args(argv)

    curves = loss_curves(args.epochs, args.samples)
    for name, loss in curves.items():
        print(f"{name:>9}: loss after {args.epochs} epochs {loss[-1]:.4f}")
    paths = {title: {name: O.minimize(grad, start, opt, args.steps)
                     for name, opt in optimizers({k: v * scale for k, v in PATH_LR.items()}).items()}
             for title, (_, grad, start, _, scale) in FUNCTIONS.items()}
    ends = {title: {name: (tuple(p[-1]), float(FUNCTIONS[title][0](*p[-1]))) for name, p in by_opt.items()}
            for title, by_opt in paths.items()}

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, loss in curves.items():
        ax.semilogy(np.arange(1, len(loss) + 1), loss, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title("Two spirals, 2-64-64-2 ReLU network, batch 32", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    written = [os.path.join(args.out, "optimizers_loss.png")]
    fig.savefig(written[-1], dpi=80)

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, (title, (f, _, start, (x0, x1, y0, y1), _)) in zip(axes, FUNCTIONS.items()):
        gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        z = f(gx, gy)
        ax.contour(gx, gy, np.log1p(z - z.min()), levels=12, cmap="Greys", linewidths=0.6)
        for name, path in paths[title].items():
            ax.plot(path[:, 0], path[:, 1], lw=1.3, label=name)
        ax.plot(*start, "ko")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    written.append(os.path.join(args.out, "optimizers_paths.png"))
    fig.savefig(written[-1], dpi=70)
    print("wrote " + ", ".join(written))
    return {"final_loss": {name: loss[-1] for name, loss in curves.items()}, "path_ends": ends}


if __name__ == "__main__":
    main()
