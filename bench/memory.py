"""Peak memory of one training run: measured in a child process per library and config, and what
fastmlp should need, computed from the config.

    python bench/memory.py LIBRARY CONFIG --rows N --epochs E --threads T   (prints JSON)

compare.py starts one child per (library, config): a fresh process holds that library alone, so
no other library's allocations, caches or freed-but-kept heap can hide or inflate its number, and
the timed runs stay undisturbed in the parent. The child makes the config's data, then trains a
narrow copy of the network for one batch, so that code pages, thread pools and lazy
initialisation are resident before the baseline; it returns free heap pages to the system and
resets the kernel's peak-RSS mark (Linux >= 4.0: /proc/self/clear_refs). Then it builds the
model and trains the config's epochs once. The result is the kernel's peak RSS of that run
(VmHWM) minus the RSS at the reset: every page touched counts, however briefly, with no sampling
interval to miss a short-lived copy.
"""
import argparse
import ctypes
import dataclasses
import gc
import json
import os
import subprocess
import sys

from configs import BY_NAME
from runners import TRAINERS, fastmlp_model, set_threads

# Hidden width of the warm-up network: small enough that what it frees cannot be reused by the
# measured run in any amount that matters.
WARM_UP_UNITS = 4


class ProbeError(Exception):
    """The child could not measure (the message says why)."""


def _status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key == field:
                return int(value.split()[0]) * 1024  # reported in kB
    raise ProbeError(f"/proc/self/status has no {field}")


def _release_free_heap():
    """Hand freed heap pages back to the system (glibc), so that the measured run cannot reuse
    memory resident from the data's temporaries without it showing as growth."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except AttributeError:  # not glibc: nothing to trim
        pass


def _reset_peak_rss():
    """Set the peak-RSS mark to the current RSS; returns that RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError as exc:
        raise ProbeError(f"cannot reset the peak RSS (/proc/self/clear_refs: {exc.strerror}); "
                         "needs Linux >= 4.0") from exc
    return _status_bytes("VmRSS")


def warm_up_config(config):
    """The config's layers, optimizer and loss with narrow hidden layers, over one batch."""
    sizes = config.layer_sizes
    hidden = tuple(min(units, WARM_UP_UNITS) for units in sizes[1:-1])
    return dataclasses.replace(config, layer_sizes=(sizes[0], *hidden, sizes[-1]),
                               n_rows=min(config.batch_size, config.n_rows), epochs=1)


def probe(library, config, threads):
    """{"peak_bytes": peak RSS growth of one run, "baseline_bytes": RSS before it}, in this
    process, which should hold nothing else."""
    with set_threads(threads, libraries=(library,)):
        X, y = config.data()
        small = warm_up_config(config)
        TRAINERS[library](small, X[:small.n_rows], y[:small.n_rows])(small.epochs)
        gc.collect()
        _release_free_heap()
        baseline = _reset_peak_rss()
        TRAINERS[library](config, X, y)(config.epochs)
        return {"peak_bytes": _status_bytes("VmHWM") - baseline, "baseline_bytes": baseline}


def measure_peak(library, config, threads):
    """probe() of `library` on `config` in a child process; raises ProbeError with the child's
    last error line when it fails."""
    command = [sys.executable, os.path.abspath(__file__), library, config.name,
               "--rows", str(config.n_rows), "--epochs", str(config.epochs),
               "--threads", str(threads)]
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode != 0:
        lines = child.stderr.strip().splitlines() or [f"exit code {child.returncode}"]
        raise ProbeError(lines[-1])
    # The result is the last line: an editable install may print its rebuild log before it.
    return json.loads(child.stdout.strip().splitlines()[-1])


def team_step_threads(config, rows, threads):
    """How many threads fastmlp's training step of `rows` rows takes (1: no one-region step)."""
    import fastmlp as fm

    before = fm.get_num_threads()
    fm.set_num_threads(threads)
    try:
        model = fastmlp_model(config)
        model.build()
        return model._net._step_threads(rows)
    finally:
        fm.set_num_threads(before)


def fastmlp_expected_bytes(config, threads):
    """What fastmlp's design needs for one run of `config` beyond the data, by part, in bytes:
    the flat arenas (parameters, gradients, optimizer state, BatchNorm moving statistics), the
    per-batch buffers (every layer's output, the output logits, each row's loss, the gathered input
    and target rows, and the backward buffers: two of the widest layer output, or every layer's
    delta where a step runs in one parallel region on `threads` threads, as the network tells)
    and the shuffled row order of an epoch."""
    item = 4  # float32, as runners.fastmlp_model builds it
    sizes, batch = config.layer_sizes, min(config.batch_size, config.n_rows)
    hidden = sum(sizes[1:-1])
    batch_norm = "batch_norm" in config.hidden_extras
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    params += 2 * hidden if batch_norm else 0  # gamma, beta
    optimizer_copies = 2 if config.optimizer == "adam" else int(config.momentum != 0)
    moving_statistics = 2 * hidden if batch_norm else 0
    layer_outputs = sum(sizes[1:]) + len(config.hidden_extras) * hidden
    backward = sum(sizes[1:]) if team_step_threads(config, batch, threads) > 1 else 2 * max(sizes[1:])
    batch_values = batch * (layer_outputs + sizes[-1] + backward + sizes[0])
    sparse_labels = config.loss == "sparse_categorical_crossentropy"
    target_bytes = batch * (8 if sparse_labels else sizes[-1] * item)
    return {
        "arenas": item * (params * (2 + optimizer_copies) + moving_statistics),
        "batch_buffers": item * batch_values + 8 * batch + target_bytes,
        "shuffle_order": 8 * config.n_rows,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", choices=list(TRAINERS))
    parser.add_argument("config", choices=list(BY_NAME))
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    config = dataclasses.replace(BY_NAME[args.config], n_rows=args.rows, epochs=args.epochs)
    try:
        print(json.dumps(probe(args.library, config, args.threads)))
    except ProbeError as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
