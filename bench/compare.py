"""Training throughput of fastmlp, PyTorch and scikit-learn on the configurations of configs.py.

    python bench/compare.py [--configs a,b] [--repeats 5] [--threads N] [--quick] [--out bench/RESULTS.md]

Prints a markdown report (machine, table, method); --out also writes it to a file, replacing it.
Progress goes to stderr.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from configs import BY_NAME, CONFIGS
from runners import SKLEARN_CAVEATS, TRAINERS, Unsupported

LIBRARIES = tuple(TRAINERS)  # table column order
QUICK_FRACTION = 1 / 8
# Above this (max - min) / median a median is flagged: the machine's load changed during the runs.
NOISY_SPREAD = 0.5


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", help="comma-separated names (default: all): "
                        + ", ".join(BY_NAME))
    parser.add_argument("--repeats", type=int, help="timed runs per library and config "
                        "(default 5; 2 with --quick)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for every library (default: the CPUs this process may use)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: one epoch over {QUICK_FRACTION:.3g} of each config's rows")
    parser.add_argument("--out", help="also write the report to this markdown file")
    args = parser.parse_args(argv)
    if args.configs:
        unknown = [name for name in args.configs.split(",") if name not in BY_NAME]
        if unknown:
            parser.error(f"unknown config(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
        args.configs = [BY_NAME[name] for name in args.configs.split(",")]
    else:
        args.configs = list(CONFIGS)
    if args.quick:
        args.configs = [config.scaled(QUICK_FRACTION) for config in args.configs]
    args.repeats = args.repeats or (2 if args.quick else 5)
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be >= 1")
    return args


def set_threads(threads):
    """The same thread count for every library; returns the limiter that holds BLAS to it
    (scikit-learn's matrix products run in NumPy's BLAS)."""
    import fastmlp
    from threadpoolctl import threadpool_limits

    fastmlp.set_num_threads(threads)
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        pass
    return threadpool_limits(limits=threads, user_api="blas")


def measure(config, repeats, log):
    """{library: [seconds per timed run]} (None if the library is absent or cannot express the
    config) and {library: reason skipped}."""
    X, y = config.data()
    trainers, skipped = {}, {}
    for library, factory in TRAINERS.items():
        try:
            trainers[library] = factory(config, X, y)
        except ImportError:
            skipped[library] = "not installed"
        except Unsupported as exc:
            skipped[library] = str(exc)

    # Warm-up: one untimed epoch each (first-call allocations, lazy optimizer state, code paths).
    for train in trainers.values():
        train(1)
    seconds = {library: [] for library in trainers}
    order = list(trainers)
    for round_index in range(repeats):
        # Interleaved, with the starting library rotating each round, so changes in the load of
        # a shared machine fall on every library alike.
        shift = round_index % len(order)
        for library in order[shift:] + order[:shift]:
            start = time.perf_counter()
            trainers[library](config.epochs)
            seconds[library].append(time.perf_counter() - start)
        log(f"  round {round_index + 1}/{repeats}: "
            + ", ".join(f"{lib} {seconds[lib][-1]:.3f}s" for lib in order))
    return seconds, skipped


def cpu_model():
    """(model name, the SIMD flags that matter here) of the first CPU in /proc/cpuinfo."""
    fields = {}
    with open("/proc/cpuinfo") as cpuinfo:
        for key, _, value in (line.partition(":") for line in cpuinfo):
            fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    name = fields.get("model name") or platform.processor() or "unknown"
    return name, [flag for flag in ("avx2", "fma", "avx512f") if flag in flags]


def versions():
    import fastmlp
    import sklearn

    found = {"fastmlp": fastmlp._core.build_info(), "sklearn": sklearn.__version__,
             "numpy": np.__version__, "python": platform.python_version()}
    try:
        import torch
        found["torch"] = torch.__version__
    except ImportError:
        found["torch"] = None
    return found


def source_state():
    """Which fastmlp ran: this work tree's sources (editable install; git HEAD, flagged when the
    library sources on disk differ from it) or an installed build elsewhere."""
    import fastmlp

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    package = os.path.dirname(os.path.abspath(fastmlp.__file__))
    if os.path.commonpath([package, root]) != root:
        return f"fastmlp imported from {package}, a build installed outside this work tree"
    try:
        def git(*args):
            return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True,
                                  check=True).stdout.strip()
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "csrc", "python", "CMakeLists.txt", "pyproject.toml")
    except (OSError, subprocess.CalledProcessError):
        return f"fastmlp imported from {package} (not a git work tree)"
    return (f"this work tree at git {head}"
            + (" with uncommitted changes to the library sources" if dirty else ""))


def header(threads, load_before, load_after):
    name, flags = cpu_model()
    info = versions()
    build = info["fastmlp"]
    return [
        "# fastmlp training throughput",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {name}, {os.cpu_count()} logical CPUs (flags: {' '.join(flags) or 'none of avx2/fma/avx512f'}), "
        f"{platform.system()} {platform.release()}",
        f"- fastmlp {build['version']}: {build['compiler']}, _OPENMP {build['openmp']}, "
        f"SIMD {build['simd']}, default threads {build['threads']}",
        f"- Source: {source_state()}",
        f"- PyTorch {info['torch'] or 'not installed'}; scikit-learn {info['sklearn']}; "
        f"NumPy {info['numpy']}; Python {info['python']}",
        f"- Threads: {threads} for every library; 1-minute load average {load_before:.2f} before, "
        f"{load_after:.2f} after",
    ]


def config_table(configs):
    rows = ["| config | network | samples per run | weights |", "|---|---|---:|---:|"]
    rows += [f"| {c.name} | {c.describe()} | {c.samples:,} ({c.n_rows:,} x {c.epochs} "
             f"epoch{'s' if c.epochs > 1 else ''}) | {c.weights:,} |" for c in configs]
    return rows


def ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}x" if numerator and denominator else "-"


def spread(seconds):
    return (max(seconds) - min(seconds)) / statistics.median(seconds)


def rate(value, runs):
    if not value:
        return "-"
    return f"{value:,.0f}" + (" (noisy)" if spread(runs) > NOISY_SPREAD else "")


def results_table(results):
    rows = ["| config | fastmlp samples/s | torch samples/s | sklearn samples/s | fastmlp/torch "
            "| fastmlp/sklearn | fastmlp GFLOP/s |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for config, seconds, _ in results:
        per_s = {lib: config.samples / statistics.median(seconds[lib]) if lib in seconds else None
                 for lib in LIBRARIES}
        fm_rate = per_s["fastmlp"]
        gflops = f"{6 * config.weights * fm_rate / 1e9:.3g}" if fm_rate else "-"
        cells = [rate(per_s[lib], seconds.get(lib)) for lib in LIBRARIES]
        rows.append(f"| {config.name} | " + " | ".join(cells) + f" | {ratio(fm_rate, per_s['torch'])} "
                    f"| {ratio(fm_rate, per_s['sklearn'])} | {gflops} |")
    return rows


def spread_table(results):
    """(slowest - fastest) / median of each library's timed runs: how noisy each median is."""
    rows = ["| config | " + " | ".join(LIBRARIES) + " |", "|---|" + "---:|" * len(LIBRARIES)]
    for config, seconds, _ in results:
        cells = [f"{spread(seconds[lib]):.0%}" if lib in seconds else "-" for lib in LIBRARIES]
        rows.append(f"| {config.name} | " + " | ".join(cells) + " |")
    return rows


def notes(results):
    lines = []
    if any(spread(runs) > NOISY_SPREAD for _, seconds, _ in results for runs in seconds.values()):
        lines.append(f"- (noisy): the timed runs of that cell spread by more than {NOISY_SPREAD:.0%} "
                     "of their median; the machine's load changed while they ran: rerun before "
                     "trusting it.")
    for config, _, skipped in results:
        lines += [f"- {config.name}: {lib} skipped ({reason})." for lib, reason in skipped.items()]
        if "sklearn" not in skipped and config.loss in SKLEARN_CAVEATS:
            lines.append(f"- {config.name}: {SKLEARN_CAVEATS[config.loss]}")
    return lines


def method(repeats, threads):
    return (
        f"Method. All three libraries run in this one process, with {threads} threads each "
        "(fastmlp.set_num_threads, torch.set_num_threads, threadpoolctl's BLAS limit for "
        "scikit-learn, whose matrix products are NumPy's). Per config every library trains on the "
        "same in-memory float32 arrays (synthetic, seeded) for the same number of full epochs of "
        "shuffled mini-batches, each with its own default initialisation. Models, optimizers and "
        "targets are built before timing; each library then trains one untimed warm-up epoch, "
        f"followed by {repeats} timed runs, interleaved across libraries with a rotating start; a "
        "model keeps training from run to run. Each cell is the samples trained per run divided by "
        "the median wall time of the runs. PyTorch: nn.Sequential, torch.optim with fused=True, "
        "one randperm gather per epoch, then contiguous batch slices; softmax/sigmoid are folded "
        "into CrossEntropyLoss/BCEWithLogitsLoss, as fastmlp folds them into its losses. "
        "scikit-learn: MLPClassifier/MLPRegressor with the same hidden sizes, activation, solver, "
        "learning rate, momentum and batch size, alpha=0, warm_start, max_iter = epochs and "
        "n_iter_no_change = epochs, so each fit runs exactly those epochs; it also evaluates the "
        "loss of every batch, as part of its training step. GFLOP/s is the nominal "
        "6 x weights x samples / time (biases, activations, losses and the skipped input "
        "gradient of the first layer are not counted)."
    )


def main(argv=None):
    args = parse_args(argv)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    results = []
    with set_threads(args.threads):
        for config in args.configs:
            log(f"{config.name}: {config.samples:,} samples per run")
            seconds, skipped = measure(config, args.repeats, log)
            results.append((config, seconds, skipped))
    load_after = os.getloadavg()[0]

    report = "\n".join(
        header(args.threads, load_before, load_after)
        + ["", "## Configurations", ""] + config_table(args.configs)
        + ["", "## Throughput (median of repeats)", ""] + results_table(results)
        + ["", "## Spread of the timed runs ((max - min) / median)", ""] + spread_table(results)
        + ["", "## Notes", ""] + notes(results) + ["", method(args.repeats, args.threads), ""])
    print(report)
    if args.out:
        with open(args.out, "w") as out:
            out.write(report)
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
