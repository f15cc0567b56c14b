"""The `fastmlp` command: train, predict, demo, info. One function per subcommand.

Bad files and arguments end with one line on stderr and exit code 2, never a traceback; a
diverged training run ends the same way with exit code 1."""
import argparse
import csv
import math
import os
import sys
import time

import numpy as np

from . import io as fio

EXIT_FAILED, EXIT_USAGE = 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump), for subcommands too."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {value}")
    return value


def _non_negative_int(text):
    return 0 if text.strip() == "0" else _positive_int(text)


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1); got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1); got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}")
    return value


def _hidden(text):
    """'128,64' -> [128, 64]; '' or 'none' -> [] (a linear model)."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        return [_positive_int(part) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected layer widths like 128,64; got {text!r}") from None


# -- train ---------------------------------------------------------------------------------------
def _targets(table, task, path):
    """(task, y for fit, loss, metrics, output units, class labels) for the table."""
    if table.y is None:
        raise fio.DataError(f"{path}: no target found; name it with --target")
    if task == "auto":
        task = fio.infer_task(table.y)
    if task == "classification":
        if table.y.shape[1] != 1:
            raise fio.DataError("classification takes a single --target column")
        labels, y = fio.class_labels(table.y)
        if len(labels) < 2:
            raise fio.DataError(f"{path}: the target has a single class {labels[0]!r}; nothing to learn")
        return task, y, "sparse_categorical_crossentropy", ["accuracy"], len(labels), labels
    y = fio.numeric_targets(table.y, path, task)
    if task == "multilabel":
        return task, y, "binary_crossentropy", ["accuracy"], y.shape[1], None
    return task, y, "mse", ["rmse", "mae", "r2"], y.shape[1], None


def _split(X, y, args, stratify):
    """{"train": (X, y), "val": ..., "test": ...}; a part with fraction 0 is left out."""
    from . import data

    n = len(X)
    # Fractions rounded up as fm.data does (rounding first drops float noise).
    n_val, n_test = (math.ceil(round(fraction * n, 9)) for fraction in (args.val, args.test))
    if n - n_val - n_test < 1:
        raise fio.DataError(f"--val {args.val} and --test {args.test} leave no training samples out of {n}")
    # Stratify only when every class can appear on each side.
    labels = y if stratify and np.bincount(y).min() >= 3 else None
    # The rows are split by index, and X is gathered once per part, not once more for the
    # training rows left after the test split.
    train, held_out = np.arange(n), {}
    if n_test:
        train, held_out["test"] = data.train_test_split(train, test_size=n_test, stratify=labels,
                                                        seed=args.seed)
    if n_val:
        rest = train
        train, held_out["val"] = data.train_test_split(rest, test_size=n_val, seed=args.seed + 1,
                                                       stratify=None if labels is None else labels[rest])
    parts = {"train": train, **{name: held_out[name] for name in ("val", "test") if name in held_out}}
    return {name: (X[rows], y[rows]) for name, rows in parts.items()}


def _build_model(args, input_dim, units, task):
    import fastmlp as fm

    init = "he_normal" if args.activation in ("relu", "leaky_relu") else "glorot_uniform"
    output = {"classification": "softmax", "multilabel": "sigmoid", "regression": None}[task]
    model = fm.Sequential([fm.layers.Dense(width, activation=args.activation, kernel_init=init)
                           for width in args.hidden] + [fm.layers.Dense(units, activation=output)],
                          input_dim=input_dim, seed=args.seed)
    optimizer = fm.optimizers.get(args.optimizer)
    if args.lr is not None:
        optimizer.lr = args.lr
    return model, optimizer


def _metrics_table(model, parts, prep, task):
    """One row per part: the loss and, in the target's own units, the task's metrics."""
    rows = []
    for name, (X, y) in parts.items():
        values = {"loss": model.evaluate(X, y)["loss"]}
        out = prep.decode(model.predict(X))
        if task == "regression":
            truth = fio.unscale(y, prep.target_scaler)
            err = out - truth
            values["rmse"] = float(np.sqrt(np.mean(err ** 2)))
            values["mae"] = float(np.mean(np.abs(err)))
            spread = np.sum((truth - truth.mean(axis=0)) ** 2, axis=0)
            values["r2"] = float(np.mean(1 - np.sum(err ** 2, axis=0) / np.where(spread > 0, spread, 1.0)))
        elif task == "classification":
            values["accuracy"] = float(np.mean(out == np.asarray(prep.labels, dtype=object)[y]))
        else:
            values["accuracy"] = float(np.mean(out == y))  # per label
            values["exact_match"] = float(np.mean(np.all(out == y, axis=1)))
        rows.append((name, values))
    return rows


def _print_table(rows):
    keys = list(rows[0][1])
    print(f"{'':<7}" + "".join(f"{k:>12}" for k in keys))
    for name, values in rows:
        print(f"{name:<7}" + "".join(f"{values[k]:>12.4f}" for k in keys))


def _plot_curves(history, model_path):
    """The learning curves as a PNG beside the model file; skipped without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = os.path.splitext(model_path)[0] + "_curves.png"
    fig = history.plot()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def train(args):
    import fastmlp as fm

    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):  # checked now rather than after training
        raise fio.DataError(f"-o {args.output}: folder {folder} does not exist")
    if args.threads:
        fm.set_num_threads(args.threads)
    table = fio.read_table(args.data, args.target)
    task, y, loss, metrics, units, labels = _targets(table, args.task, args.data)
    parts = _split(table.X, y, args, stratify=task == "classification")
    prep = fio.Preprocessing(feature_names=table.feature_names, target=table.target_names, task=task,
                             labels=labels, scaler=fio.fit_scaler(parts["train"][0], args.scale))
    if task == "regression" and args.scale != "none":
        prep.target_scaler = fio.fit_scaler(parts["train"][1], "standard")
    model, optimizer = _build_model(args, table.X.shape[1], units, task)
    # In the model's dtype once: fit, evaluate and predict would each convert them again.
    scaled = {name: (prep.transform(X).astype(model.dtype, copy=False), fio.scale(t, prep.target_scaler))
              for name, (X, t) in parts.items()}

    model.preprocessing = prep
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    callbacks = []
    if args.early_stopping and "val" in scaled:
        callbacks.append(fm.callbacks.EarlyStopping(patience=args.early_stopping, restore_best_weights=True))
    sizes = ", ".join(f"{len(X)} {name}" for name, (X, _) in scaled.items())
    shape = "-".join(str(w) for w in [table.X.shape[1], *args.hidden, units])
    print(f"{task}: {sizes} samples; network {shape}, {args.activation}, {args.optimizer}")
    start = time.perf_counter()
    history = model.fit(*scaled["train"], epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=scaled.get("val"), callbacks=callbacks, verbose=args.verbose)
    elapsed = time.perf_counter() - start
    epochs = len(history.epoch)
    print(f"trained {epochs} epochs in {elapsed:.2f} s "
          f"({epochs * len(scaled['train'][0]) / max(elapsed, 1e-9):,.0f} samples/s)")
    _print_table(_metrics_table(model, scaled, prep, task))
    model.save(args.output)
    print(f"wrote {args.output}")
    plot = _plot_curves(history, args.output)
    if plot:
        print(f"wrote {plot}")
    return 0


# -- predict -------------------------------------------------------------------------------------
def predict(args):
    import fastmlp as fm

    if not os.path.isfile(args.model):
        raise fio.DataError(f"{args.model}: no such file")
    model = fm.load_model(args.model)
    prep = model.preprocessing
    csv_input = os.path.splitext(args.data)[1].lower() not in (".npz", ".npy")
    table = fio.read_table(args.data, features=prep.feature_names if prep and csv_input else None)
    if prep is None:  # a model saved from Python without preprocessing: columns in order, raw outputs
        X, names = table.X, [f"output_{i}" for i in range(model.output_dim)]
        out = model.predict(X)
    else:
        if table.X.shape[1] != len(prep.feature_names):
            raise fio.DataError(f"{args.data}: has {table.X.shape[1]} features; the model takes "
                                f"{len(prep.feature_names)}")
        X = table.X
        out = model.predict(prep.transform(X)).astype(np.float64)
        decoded = prep.decode(out)
        if prep.task == "classification":
            names = prep.target + [f"p({label})" for label in prep.labels]
            out = np.column_stack([decoded, out])
        elif prep.task == "multilabel":
            names = prep.target + [f"p({t})" for t in prep.target]
            out = np.column_stack([decoded, out])
        else:
            names, out = prep.target, decoded
    with open(args.output, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows(out.tolist())
    print(f"wrote {len(out)} predictions to {args.output}")
    return 0


# -- demo and info -------------------------------------------------------------------------------
def _demo_run(title, model, X, y, split, epochs, batch_size):
    start = time.perf_counter()
    model.fit(X[:split], y[:split], epochs=epochs, batch_size=batch_size, verbose=0)
    elapsed = time.perf_counter() - start
    accuracy = model.evaluate(X[split:], y[split:])["accuracy"]
    print(f"{title}: {split} training, {len(X) - split} test samples; {epochs} epochs in {elapsed:.2f} s "
          f"({epochs * split / elapsed:,.0f} samples/s); test accuracy: {accuracy:.3f}")
    return accuracy


def demo(args):
    import fastmlp as fm

    L = fm.layers
    X, y = fm.datasets.two_spirals(n_samples=args.samples, seed=args.seed)
    model = fm.Sequential([L.Dense(64, activation="relu", kernel_init="he_normal"),
                           L.Dense(64, activation="relu", kernel_init="he_normal"),
                           L.Dense(2, activation="softmax")], input_dim=2, seed=args.seed)
    model.compile(optimizer=fm.optimizers.Adam(lr=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    _demo_run("two spirals, network 2-64-64-2", model, X, y, int(0.8 * len(X)), args.epochs, 32)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("(install scikit-learn to also train on its handwritten digits)")
        return 0
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(args.seed).permutation(len(X))
    X, y = X[order] / 16.0, y[order]
    model = fm.Sequential([L.Dense(128, activation="relu", kernel_init="he_normal"),
                           L.Dense(10, activation="softmax")], input_dim=64, seed=args.seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    _demo_run("digits 8x8, network 64-128-10", model, X, y, int(0.8 * len(X)), 30, 32)
    return 0


def info(args):
    import fastmlp as fm

    fm.show_config()
    return 0


# -- entry point ---------------------------------------------------------------------------------
def _parser():
    parser = _Parser(prog="fastmlp", description="Fast multilayer perceptrons on the CPU.")
    commands = parser.add_subparsers(dest="command", required=True)

    t = commands.add_parser("train", help="train a network on a CSV, .npz or .npy file and save it",
                            description="Train on DATA (.csv with a header, .npz with X and y, or .npy "
                                        "features with --target naming the targets' .npy).")
    t.add_argument("data", metavar="DATA")
    t.add_argument("--target", type=lambda s: [c.strip() for c in s.split(",")],
                   help="target column(s), comma-separated; for .npz the targets' array (default y), "
                        "for .npy the targets' .npy file")
    t.add_argument("--task", choices=("auto", *fio.TASKS), default="auto")
    t.add_argument("--hidden", type=_hidden, default=[128, 64], help="hidden widths (default 128,64)")
    t.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu"), default="relu")
    t.add_argument("--epochs", type=_positive_int, default=50)
    t.add_argument("--batch-size", type=_positive_int, default=64)
    t.add_argument("--optimizer", choices=("sgd", "adagrad", "rmsprop", "adam", "adamw"), default="adam")
    t.add_argument("--lr", type=_positive_float, help="learning rate (default: the optimizer's)")
    t.add_argument("--val", type=_fraction, default=0.2, help="validation fraction (default 0.2)")
    t.add_argument("--test", type=_fraction, default=0.2, help="test fraction (default 0.2)")
    t.add_argument("--early-stopping", type=_non_negative_int, default=5, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better val_loss; 0 turns it off")
    t.add_argument("--scale", choices=("standard", "minmax", "none"), default="standard")
    t.add_argument("--seed", type=_non_negative_int, default=0)
    t.add_argument("--threads", type=_positive_int)
    t.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                   help="0 silent, 1 progress bar, 2 a line per epoch (default: 1 on a terminal, else 2)")
    t.add_argument("-o", "--output", default="model.fmlp")
    t.set_defaults(run=train)

    p = commands.add_parser("predict", help="apply a saved model to a data file")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument("-o", "--output", default="predictions.csv")
    p.set_defaults(run=predict)

    d = commands.add_parser("demo", help="train on two spirals made in-process (and digits, with scikit-learn)")
    d.add_argument("--epochs", type=_positive_int, default=60)
    d.add_argument("--samples", type=int, default=4000)
    d.add_argument("--seed", type=_non_negative_int, default=0)
    d.set_defaults(run=demo)
    commands.add_parser("info", help="show version, compiler, OpenMP and SIMD level").set_defaults(run=info)
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo" and args.samples < 10:
        parser.error("--samples must be >= 10")
    if getattr(args, "verbose", 0) is None:
        args.verbose = "auto"
    try:
        return args.run(args)
    except (ValueError, OSError) as exc:
        # Bad data and the library's argument checks raise these with messages that name the
        # problem; anything else is a bug and keeps its traceback.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"fastmlp {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except FloatingPointError as exc:  # fm.DivergenceError: the data and options were fine
        print(f"fastmlp {args.command}: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("fastmlp: interrupted", file=sys.stderr)
        return 130
