"""fastmlp's packed GEMM vs NumPy's matmul (OpenBLAS) on the MLP's shapes, float32 and float64,
1 and 2 threads (both libraries limited to the same count).

    pytest bench/bench_gemm.py --benchmark-only          # pytest-benchmark timings
    python bench/bench_gemm.py                           # GFLOP/s table (median of repeats)

Shapes are (name, M, N, K, trans_a, trans_b); the backward products read the forward operands
transposed in place, as network.cpp does (dW = X^T dZ, dX = dZ W^T)."""
import statistics
import sys
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fastmlp as fm

SHAPES = [
    ("1024^3", 1024, 1024, 1024, False, False),
    ("fwd 128x784@784x512", 128, 512, 784, False, False),
    ("dW 784x128@128x512", 784, 512, 128, True, False),
    ("dX 128x512@512x784", 128, 784, 512, False, True),
    ("256x1024@1024x2048", 256, 2048, 1024, False, False),
    ("64x784@784x128", 64, 128, 784, False, False),
    ("dW 784x64@64x128", 784, 128, 64, True, False),
    ("200x64@64x100", 200, 100, 64, False, False),
    # A one-output layer (binary classifier, regressor): matrix-vector and outer products.
    ("fwd 200x100@100x1", 200, 1, 100, False, False),
    ("dW 100x200@200x1", 100, 1, 200, True, False),
    ("dX 200x1@1x100", 200, 100, 1, False, True),
]

IDLE_SECONDS = 0.5


def operands(M, N, K, trans_a, trans_b, dtype):
    """Arrays as stored (A is K x M when transposed, B is N x K) and the NumPy views of op(A), op(B)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    B = rng.standard_normal((N, K) if trans_b else (K, N)).astype(dtype)
    C = np.zeros((M, N), dtype)
    return A, B, C, (A.T if trans_a else A), (B.T if trans_b else B)


def runners(shape, dtype):
    _, M, N, K, ta, tb = shape
    A, B, C, opA, opB = operands(M, N, K, ta, tb, dtype)
    return {
        "fastmlp": lambda: fm._core._gemm(A, B, ta, tb, None, "linear", 0.0, False, C),
        "numpy": lambda: np.matmul(opA, opB, out=C),
    }


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("lib", ["fastmlp", "numpy"])
@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_gemm(benchmark, shape, lib, dtype, threads):
    fm.set_num_threads(threads)
    run = runners(shape, dtype)[lib]
    _, M, N, K, _, _ = shape
    benchmark.extra_info["gflop"] = 2 * M * N * K / 1e9
    with threadpool_limits(threads):
        benchmark(run)


def gflops(run, flop, repeats=9):
    """Median GFLOP/s over repeats of a batch sized to ~0.2 s."""
    run()
    t = time.perf_counter()
    run()
    reps = max(1, int(0.2 / max(time.perf_counter() - t, 1e-7)))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(reps):
            run()
        times.append((time.perf_counter() - t) / reps)
    return flop / statistics.median(times) / 1e9


def main():
    print(f"fastmlp gemm isa: {fm._core._gemm_isa()}")
    print(f"{'shape':24} {'dtype':7} {'thr':>3} {'fastmlp':>9} {'numpy':>9} {'ratio':>6}")
    for dtype in (np.float32, np.float64):
        for threads in (1, 2):
            fm.set_num_threads(threads)
            with threadpool_limits(threads):
                for shape in SHAPES:
                    _, M, N, K, _, _ = shape
                    r = runners(shape, dtype)
                    # Each library's worker threads spin for a while after its last call; on 2
                    # cores they would take a core from the next library's team.
                    time.sleep(IDLE_SECONDS)
                    f = gflops(r["fastmlp"], 2 * M * N * K)
                    time.sleep(IDLE_SECONDS)
                    n = gflops(r["numpy"], 2 * M * N * K)
                    print(f"{shape[0]:24} {np.dtype(dtype).name:7} {threads:3d} {f:9.1f} {n:9.1f} {f / n:6.2f}",
                          flush=True)


if __name__ == "__main__":
    sys.exit(main())
