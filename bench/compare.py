"""Training throughput and peak memory of fastmlp, PyTorch and scikit-learn on the configurations
of configs.py, and the fit time of fastmlp.sklearn's estimators against sklearn.neural_network's.

    python bench/compare.py [--configs a,b | --beside] [--repeats 5] [--threads N] [--quick]
                            [--no-estimators] [--out bench/RESULTS.md] [--json results.json]

Prints a markdown report (machine, tables, method); --out also writes it to a file, replacing it,
and --json writes the same results as JSON. Progress goes to stderr.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from configs import BESIDE, BY_NAME, CONFIGS
from estimators import ESTIMATORS, PROBLEMS, estimator_fitter
from memory import ProbeError, fastmlp_expected_bytes, measure_peak
from runners import SKLEARN_CAVEATS, TRAINERS, Unsupported, set_threads

LIBRARIES = tuple(TRAINERS)  # table column order
ESTIMATOR_COLUMNS = tuple(ESTIMATORS)
QUICK_FRACTION = 1 / 8
# Above this (max - min) / median a median is flagged: the machine's load changed during the runs.
NOISY_SPREAD = 0.5
# Idle time before every timed run. A library's worker threads keep spinning for a while after its
# last call (OpenBLAS's for up to ~0.1 s) and take the cores from the next library's team: with no
# pause, fastmlp's mnist-m-128 runs measured 26k samples/s after another library, 31-35k with it.
SETTLE_SECONDS = 0.3
MIB = 2**20


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", help="comma-separated names (default: "
                        + ", ".join(config.name for config in CONFIGS) + "), among: "
                        + ", ".join(BY_NAME))
    parser.add_argument("--beside", action="store_true",
                        help="the configs beside the targets (one change each to mnist-m-128 or "
                        "wide-256: " + ", ".join(config.name for config in BESIDE)
                        + ") instead of the targets'")
    parser.add_argument("--repeats", type=int, help="timed runs per library and config "
                        "(default 5; 2 with --quick)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for every library (default: the CPUs this process may use)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: one epoch over {QUICK_FRACTION:.3g} of each config's "
                        f"rows, {QUICK_FRACTION:.3g} of each estimator fit's epochs")
    parser.add_argument("--estimators", action=argparse.BooleanOptionalAction, default=True,
                        help="also time fastmlp.sklearn against sklearn.neural_network "
                        "(default: on)")
    parser.add_argument("--out", help="also write the report to this markdown file")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.configs and args.beside:
        parser.error("--configs and --beside both choose the configs: give one")
    if args.configs:
        unknown = [name for name in args.configs.split(",") if name not in BY_NAME]
        if unknown:
            parser.error(f"unknown config(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
        args.configs = [BY_NAME[name] for name in args.configs.split(",")]
    else:
        args.configs = list(BESIDE if args.beside else CONFIGS)
    args.problems = list(PROBLEMS) if args.estimators else []
    if args.quick:
        args.configs = [config.scaled(QUICK_FRACTION) for config in args.configs]
        args.problems = [problem.scaled(QUICK_FRACTION) for problem in args.problems]
    args.repeats = args.repeats or (2 if args.quick else 5)
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be >= 1")
    return args


def cache_line_round_trip():
    """Nanoseconds for a cache line to go between the first two CPUs this process may use and
    back (the best of three probes), or None with one CPU, off Linux or without fastmlp. On a
    virtual machine two vCPUs may share a last-level cache or not, which changes every library's
    speed; the probe says which placement a round ran on."""
    try:
        import fastmlp
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return None
        return min(fastmlp._core._core_to_core_round_trip_ns(cpus[0], cpus[1], 2000)
                   for _ in range(3))
    except (ImportError, AttributeError, RuntimeError):
        return None


def interleave(runs, epochs, repeats, log):
    """({name: [seconds per timed run]}, [round trip ns per round]) of runs {name: run(epochs)}.
    One untimed one-epoch warm-up each (first-call allocations, lazy state, code paths), then
    `repeats` rounds of one timed run each, interleaved with the starting run rotating each round,
    so that changes in the load of a shared machine fall on every run alike; before each round,
    the cache-line round trip between two CPUs (cache_line_round_trip)."""
    for run in runs.values():
        run(1)
    seconds = {name: [] for name in runs}
    round_trips = []
    order = list(runs)
    for round_index in range(repeats):
        round_trips.append(cache_line_round_trip())
        shift = round_index % len(order)
        for name in order[shift:] + order[:shift]:
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            runs[name](epochs)
            seconds[name].append(time.perf_counter() - start)
        trip = "" if round_trips[-1] is None else f" (round trip {round_trips[-1]:.0f} ns)"
        log(f"  round {round_index + 1}/{repeats}{trip}: "
            + ", ".join(f"{name} {seconds[name][-1]:.3f}s" for name in order))
    return seconds, round_trips


def spread(seconds):
    return (max(seconds) - min(seconds)) / statistics.median(seconds)


def timing(seconds):
    return {"seconds": seconds, "median_seconds": statistics.median(seconds),
            "spread": spread(seconds)}


def speedup(fast, slow):
    """fast / slow for two rates; None when either is missing."""
    return fast / slow if fast and slow else None


def measure_config(config, repeats, threads, log):
    """Everything reported for one config, as plain data: timings and rates of every library
    that can train it (the others with the reason), each one's peak memory, and fastmlp's
    expected footprint."""
    X, y = config.data()
    trainers, skipped = {}, {}
    for library, factory in TRAINERS.items():
        try:
            trainers[library] = factory(config, X, y)
        except ImportError:
            skipped[library] = "not installed"
        except Unsupported as exc:
            skipped[library] = str(exc)
    libraries, memory_skipped = {}, {}
    seconds, round_trips = interleave(trainers, config.epochs, repeats, log)
    for library, runs in seconds.items():
        rate = config.samples / statistics.median(runs)
        libraries[library] = {**timing(runs), "samples_per_second": rate,
                              "gflops": 6 * config.weights * rate / 1e9,
                              "peak_memory_mib": None, "rss_before_run_mib": None}
    for library, entry in libraries.items():
        try:
            probe = measure_peak(library, config, threads)
        except ProbeError as exc:
            memory_skipped[library] = str(exc)
            continue
        entry["peak_memory_mib"] = probe["peak_bytes"] / MIB
        entry["rss_before_run_mib"] = probe["baseline_bytes"] / MIB
        log(f"  {library} peak memory: {entry['peak_memory_mib']:.3g} MiB")
    rates = {library: entry["samples_per_second"] for library, entry in libraries.items()}
    expected = fastmlp_expected_bytes(config, threads)
    return {
        "name": config.name, "network": config.describe(), "rows": config.n_rows,
        "epochs": config.epochs, "samples": config.samples, "weights": config.weights,
        "data_mib": (X.nbytes + y.nbytes) / MIB,
        "fastmlp_expected_mib": {**{part: size / MIB for part, size in expected.items()},
                                 "total": sum(expected.values()) / MIB},
        "libraries": libraries, "skipped": skipped, "memory_not_measured": memory_skipped,
        "round_trip_ns": round_trips,
        "ratios": {f"fastmlp/{other}": speedup(rates.get("fastmlp"), rates.get(other))
                   for other in LIBRARIES if other != "fastmlp"},
        "sklearn_caveat": SKLEARN_CAVEATS.get(config.loss) if "sklearn" in libraries else None,
    }


def measure_estimators(problem, repeats, log):
    """Fit times of every estimator column on one problem, and scikit-learn's time over each
    fastmlp column's."""
    X, y = problem.load()
    fits = {column: estimator_fitter(column, problem, X, y) for column in ESTIMATOR_COLUMNS}
    seconds, round_trips = interleave(fits, problem.epochs, repeats, log)
    columns = {column: timing(runs) for column, runs in seconds.items()}
    sklearn_seconds = columns["sklearn"]["median_seconds"]
    return {
        "problem": problem.describe(X, y), "name": problem.name, "epochs": problem.epochs,
        "hidden_layer_sizes": list(problem.hidden_layer_sizes), "estimators": columns,
        "round_trip_ns": round_trips,
        "ratios": {f"sklearn/{column}": sklearn_seconds / columns[column]["median_seconds"]
                   for column in ESTIMATOR_COLUMNS if column != "sklearn"},
    }


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


def machine_info(threads, load_before, load_after):
    name, flags = cpu_model()
    return {"date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
            "cpu": name, "logical_cpus": os.cpu_count(), "simd_flags": flags,
            "system": f"{platform.system()} {platform.release()}", "source": source_state(),
            "versions": versions(), "threads": threads,
            "load_average_1min": {"before": load_before, "after": load_after}}


def header(machine):
    build, info, load = machine["versions"]["fastmlp"], machine["versions"], machine["load_average_1min"]
    return [
        "# fastmlp training throughput",
        "",
        f"- Date: {machine['date']}",
        f"- Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs (flags: "
        f"{' '.join(machine['simd_flags']) or 'none of avx2/fma/avx512f'}), {machine['system']}",
        f"- fastmlp {build['version']}: {build['compiler']}, _OPENMP {build['openmp']}, "
        f"SIMD {build['simd']}, default threads {build['threads']}",
        f"- Source: {machine['source']}",
        f"- PyTorch {info['torch'] or 'not installed'}; scikit-learn {info['sklearn']}; "
        f"NumPy {info['numpy']}; Python {info['python']}",
        f"- Threads: {machine['threads']} for every library; 1-minute load average "
        f"{load['before']:.2f} before, {load['after']:.2f} after",
    ]


def config_table(configs):
    rows = ["| config | network | samples per run | weights |", "|---|---|---:|---:|"]
    rows += [f"| {c['name']} | {c['network']} | {c['samples']:,} ({c['rows']:,} x {c['epochs']} "
             f"epoch{'s' if c['epochs'] > 1 else ''}) | {c['weights']:,} |" for c in configs]
    return rows


def times(value):
    return f"{value:.2f}x" if value else "-"


def noisy(entry):
    return " (noisy)" if entry["spread"] > NOISY_SPREAD else ""


def results_table(configs):
    rows = ["| config | fastmlp samples/s | torch samples/s | sklearn samples/s | fastmlp/torch "
            "| fastmlp/sklearn | fastmlp GFLOP/s |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for c in configs:
        ran = c["libraries"]
        cells = [f"{ran[lib]['samples_per_second']:,.0f}{noisy(ran[lib])}" if lib in ran else "-"
                 for lib in LIBRARIES]
        gflops = f"{ran['fastmlp']['gflops']:.3g}" if "fastmlp" in ran else "-"
        rows.append(f"| {c['name']} | " + " | ".join(cells) + f" | {times(c['ratios']['fastmlp/torch'])} "
                    f"| {times(c['ratios']['fastmlp/sklearn'])} | {gflops} |")
    return rows


def round_trip_range(trips):
    """'min-max' ns of a config's rounds ('-' where not measured)."""
    known = [trip for trip in trips if trip is not None]
    return f"{min(known):.0f}-{max(known):.0f}" if known else "-"


def spread_table(configs):
    """(slowest - fastest) / median of each library's timed runs: how noisy each median is; and
    the cache-line round trip between two CPUs before the rounds."""
    rows = ["| config | " + " | ".join(LIBRARIES) + " | CPU round trip, ns |",
            "|---|" + "---:|" * (len(LIBRARIES) + 1)]
    for c in configs:
        cells = [f"{c['libraries'][lib]['spread']:.0%}" if lib in c["libraries"] else "-"
                 for lib in LIBRARIES]
        rows.append(f"| {c['name']} | " + " | ".join(cells)
                    + f" | {round_trip_range(c['round_trip_ns'])} |")
    return rows


def memory_table(configs):
    rows = ["| config | data (X, y) | " + " | ".join(LIBRARIES) + " | fastmlp expected |",
            "|---|---:|" + "---:|" * (len(LIBRARIES) + 1)]
    for c in configs:
        peaks = [c["libraries"].get(lib, {}).get("peak_memory_mib") for lib in LIBRARIES]
        cells = [f"{c['data_mib']:.3g}"] + ["-" if peak is None else f"{peak:.3g}" for peak in peaks]
        rows.append(f"| {c['name']} | " + " | ".join(cells)
                    + f" | {c['fastmlp_expected_mib']['total']:.3g} |")
    return rows


def estimator_table(problems):
    fastmlp_columns = [column for column in ESTIMATOR_COLUMNS if column != "sklearn"]
    rows = ["| problem | sklearn | " + " | ".join(f"{column} | sklearn / {column}"
                                                  for column in fastmlp_columns) + " |",
            "|---|---:|" + "---:|---:|" * len(fastmlp_columns)]
    for p in problems:
        fits = p["estimators"]
        cells = [f"{fits['sklearn']['median_seconds']:.3f} s{noisy(fits['sklearn'])}"]
        cells += [f"{fits[column]['median_seconds']:.3f} s{noisy(fits[column])} | "
                  f"{times(p['ratios'][f'sklearn/{column}'])}" for column in fastmlp_columns]
        rows.append(f"| {p['problem']} | " + " | ".join(cells) + " |")
    return rows


def notes(configs, problems):
    spreads = [entry["spread"] for c in configs for entry in c["libraries"].values()]
    spreads += [entry["spread"] for p in problems for entry in p["estimators"].values()]
    lines = []
    if any(value > NOISY_SPREAD for value in spreads):
        lines.append(f"- (noisy): the timed runs of that cell spread by more than {NOISY_SPREAD:.0%} "
                     "of their median; the machine's load changed while they ran: rerun before "
                     "trusting it.")
    for c in configs:
        lines += [f"- {c['name']}: {lib} skipped ({reason})." for lib, reason in c["skipped"].items()]
        lines += [f"- {c['name']}: {lib}'s peak memory not measured ({reason})."
                  for lib, reason in c["memory_not_measured"].items()]
        if c["sklearn_caveat"]:
            lines.append(f"- {c['name']}: {c['sklearn_caveat']}")
    return lines


def method(repeats, threads, with_estimators):
    paragraphs = [(
        f"Method. All three libraries run in this one process, with {threads} threads each "
        "(fastmlp.set_num_threads, torch.set_num_threads, threadpoolctl's BLAS limit for "
        "scikit-learn, whose matrix products are NumPy's); fastmlp keeps its default dynamic "
        "threads, so a mid-size network's steps run on one thread while that times faster. "
        "Per config every library trains on the same in-memory float32 arrays (synthetic, "
        "seeded) for the same number of full epochs of shuffled mini-batches, each with its own default initialisation. Models, optimizers and "
        "targets are built before timing; each library then trains one untimed warm-up epoch, "
        f"followed by {repeats} timed runs, interleaved across libraries with a rotating start, "
        f"each after {SETTLE_SECONDS} s idle so that the previous library's spinning worker "
        "threads are asleep; a model keeps training from run to run. Each cell is the samples trained per run divided by "
        "the median wall time of the runs. PyTorch: nn.Sequential, torch.optim with fused=True, "
        "one randperm gather per epoch, then contiguous batch slices; softmax/sigmoid are folded "
        "into CrossEntropyLoss/BCEWithLogitsLoss, as fastmlp folds them into its losses. "
        "scikit-learn: MLPClassifier/MLPRegressor with the same hidden sizes, activation, solver, "
        "learning rate, momentum and batch size, alpha=0, warm_start, max_iter = epochs and "
        "n_iter_no_change = epochs, so each fit runs exactly those epochs; it also evaluates the "
        "loss of every batch, as part of its training step. GFLOP/s is the nominal "
        "6 x weights x samples / time (biases, activations, losses and the skipped input "
        "gradient of the first layer are not counted). CPU round trip: before each round, the "
        "time a cache line takes to go from the first CPU this process may use to the second "
        "and back (fastmlp._core._core_to_core_round_trip_ns, the best of three probes), the "
        "lowest and highest of the config's rounds. Two vCPUs of a virtual machine may share a "
        "last-level cache or sit in different ones, which changes every library's speed; a "
        "config whose rounds saw both placements mixes them."
    ), (
        "Peak memory: the growth of the resident set during one run of the config's epochs, "
        "above the data, in MiB. Each library is measured alone in a fresh child process with "
        "the same thread count, after the timing, so it is free of the other libraries' "
        "allocations and caches and disturbs no timed run. The child makes the data, trains a "
        "copy of the network with hidden layers at most 4 wide for one batch (so that code pages, "
        "thread pools and lazy initialisation are resident beforehand), returns free heap pages "
        "to the system (malloc_trim) and resets the kernel's peak-RSS mark "
        "(/proc/self/clear_refs); it then builds the model and trains. The cell is the kernel's "
        "peak (VmHWM) minus the RSS at the reset: exact for every page touched, however briefly, "
        "where a sampling thread could miss a short-lived copy. The PyTorch runner's shuffled "
        "gather copies X and y once per epoch, so its peak includes a copy of the data. "
        "\"fastmlp expected\" is what the design needs for the run, computed from the config: "
        "parameters, gradients and optimizer state (Adam two copies of the parameters, SGD with "
        "momentum one), BatchNorm statistics, per-batch buffers (every layer's output, the "
        "logits, each row's loss, the gathered input and targets, and two backward buffers of "
        "the widest layer, or every layer's delta where a step runs in one parallel region) and "
        "the shuffled row order (8 bytes per row); it leaves out the GEMM packing buffers "
        "(at most ~4 MiB per thread), allocator rounding and page granularity (4 KiB). A "
        "measured fastmlp cell near it means no copy of X; one near the data's size means a copy."
    )]
    if with_estimators:
        paragraphs.append(
            "Estimators: fastmlp.sklearn's MLPClassifier/MLPRegressor against "
            "sklearn.neural_network's, in the same process and thread settings, on scikit-learn's "
            "bundled datasets (standardised features; digits scaled to [0, 1]) and a synthetic "
            "make_classification problem. Both get the same parameters (hidden sizes, max_iter = "
            "n_iter_no_change = epochs, random_state; everything else at the common defaults: "
            "adam, lr 1e-3, batch min(200, n), alpha 1e-4, relu), and every fit is checked to run "
            "exactly those epochs. A fit builds a fresh estimator, so each time includes input "
            "validation, target encoding and initialisation, as a user's fit does. fastmlp runs in "
            "float64, as scikit-learn does, and with dtype=\"float32\". Each estimator fits once "
            f"for one untimed epoch, then {repeats} timed fits, interleaved with a rotating start "
            "and the same idle time before each; cells are median seconds and the ratio is scikit-learn's median over fastmlp's.")
    return "\n\n".join(paragraphs)


def write(path, text, log):
    with open(path, "w") as out:
        out.write(text)
    log(f"wrote {path}")


def main(argv=None):
    args = parse_args(argv)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    configs, problems = [], []
    with set_threads(args.threads):
        for config in args.configs:
            log(f"{config.name}: {config.samples:,} samples per run")
            configs.append(measure_config(config, args.repeats, args.threads, log))
        for problem in args.problems:
            log(f"estimators, {problem.name}: {problem.epochs} epochs per fit")
            problems.append(measure_estimators(problem, args.repeats, log))
    machine = machine_info(args.threads, load_before, os.getloadavg()[0])
    method_text = method(args.repeats, args.threads, bool(problems))

    estimator_section = (["", "## fastmlp.sklearn vs sklearn.neural_network: fit seconds (median "
                          "of repeats), same parameters, same epochs", ""] + estimator_table(problems)
                         if problems else [])
    report = "\n".join(
        header(machine)
        + ["", "## Configurations", ""] + config_table(configs)
        + ["", "## Throughput (median of repeats)", ""] + results_table(configs)
        + ["", "## Spread of the timed runs ((max - min) / median)", ""] + spread_table(configs)
        + ["", "## Peak memory of one training run (MiB above the data)", ""] + memory_table(configs)
        + estimator_section
        + ["", "## Notes", ""] + notes(configs, problems) + ["", method_text, ""])
    print(report)
    if args.out:
        write(args.out, report, log)
    if args.json:
        results = {"machine": machine, "repeats": args.repeats, "quick": args.quick,
                   "configs": configs, "estimators": problems, "method": method_text}
        write(args.json, json.dumps(results, indent=1) + "\n", log)


if __name__ == "__main__":
    main()
