"""Reading a CSV for `fastmlp train`: fastmlp.io.read_csv (the one-pass Cython scanner for plain
files), its csv-module reader (quoted or non-ASCII files), and NumPy's loadtxt (numbers only,
no label column as text) on an MNIST-shaped file: 784 pixel columns (0-255, 60 % zeros) and a
label.

    pytest bench/bench_csv.py --benchmark-only     # pytest-benchmark timings
    python bench/bench_csv.py [rows]               # seconds (median of 5) and the ratios"""
import statistics
import sys
import time

import numpy as np
import pytest

from fastmlp import io as fio

ROWS = 20000
PIXELS = 784


def write_csv(path, rows):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (rows, PIXELS))
    X[X < 150] = 0
    y = rng.integers(0, 10, rows)
    header = ",".join([f"p{i}" for i in range(PIXELS)] + ["label"])
    np.savetxt(path, np.column_stack([X, y]), fmt="%d", delimiter=",", header=header, comments="")


def readers(path):
    return {
        "read_csv": lambda: fio.read_csv(path, ["label"]),
        "csv module": lambda: fio._read_csv_module(path, ["label"], None),
        "np.loadtxt": lambda: np.loadtxt(path, delimiter=",", skiprows=1),
    }


@pytest.fixture(scope="module")
def mnist_csv(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("csv") / "mnist.csv")
    write_csv(path, ROWS)
    return path


@pytest.mark.parametrize("reader", ["read_csv", "csv module", "np.loadtxt"])
def test_read(benchmark, mnist_csv, reader):
    benchmark.extra_info["rows"] = ROWS
    benchmark.pedantic(readers(mnist_csv)[reader], rounds=3, iterations=1)


def main():
    import tempfile

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/mnist.csv"
        write_csv(path, rows)
        seconds = {}
        for name, read in readers(path).items():
            times = []
            for _ in range(5):
                t = time.perf_counter()
                read()
                times.append(time.perf_counter() - t)
            seconds[name] = statistics.median(times)
        print(f"{rows} x {PIXELS + 1} CSV:")
        for name, s in seconds.items():
            print(f"  {name:11} {s:7.3f} s  ({s / seconds['read_csv']:.1f}x read_csv's time)")


if __name__ == "__main__":
    sys.exit(main())
