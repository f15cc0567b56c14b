"""Command line: `fastmlp demo` trains on data made in-process; `fastmlp info` shows the build."""
import argparse
import sys
import time


def demo(args):
    import fastmlp as fm

    X, y = fm.datasets.two_spirals(n_samples=args.samples, seed=args.seed)
    split = int(0.8 * len(X))
    model = fm.Sequential([
        fm.layers.Dense(64, activation="relu", kernel_init="he_normal"),
        fm.layers.Dense(64, activation="relu", kernel_init="he_normal"),
        fm.layers.Dense(2, activation="softmax"),
    ], input_dim=2, seed=args.seed)
    model.compile(optimizer=fm.optimizers.Adam(lr=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"two spirals: {split} training and {len(X) - split} test points, network 2-64-64-2")
    start = time.perf_counter()
    history = model.fit(X[:split], y[:split], epochs=args.epochs, batch_size=32, verbose=0)
    elapsed = time.perf_counter() - start
    test = model.evaluate(X[split:], y[split:])
    print(f"trained {args.epochs} epochs in {elapsed:.2f} s "
          f"({args.epochs * split / elapsed:,.0f} samples/s); final training loss "
          f"{history.history['loss'][-1]:.4f}")
    print(f"test accuracy: {test['accuracy']:.3f}")
    return 0


def info(args):
    import fastmlp as fm

    fm.show_config()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fastmlp", description="Fast multilayer perceptrons on the CPU.")
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("demo", help="train a small network on two spirals made in-process")
    d.add_argument("--epochs", type=int, default=60)
    d.add_argument("--samples", type=int, default=4000)
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(run=demo)
    commands.add_parser("info", help="show version, compiler, OpenMP and SIMD level").set_defaults(run=info)
    args = parser.parse_args(argv)
    if args.command == "demo" and (args.epochs < 1 or args.samples < 10):
        parser.error("--epochs must be >= 1 and --samples >= 10")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
