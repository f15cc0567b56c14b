"""The packed GEMM against float64 NumPy: every transpose layout, edge tiles, block boundaries,
K = 0, accumulate, every epilogue activation, thread-count determinism, and every ISA path this
machine can run (the AVX-512 kernels bitwise equal to the AVX2 ones)."""
import numpy as np
import pytest

from _isa import (cpu_has_avx2_fma, cpu_has_avx512f, expected_isa, forced_generic, forced_isa,
                  run_generic, run_python_with_isa, run_with_isa)

fm = pytest.importorskip("fastmlp")
core = fm._core

# Blocking (csrc/core/gemm/kernels.h): MR=6, NR=16 (float) / 8 (double), MC=144 / 72, KC=256,
# NC=4080. Shapes cover 1, primes, tiles smaller than MR x NR, and crossing every block boundary.
SHAPES = [(1, 1, 1), (1, 1, 0), (3, 5, 0), (1, 17, 1), (17, 1, 3), (2, 3, 5), (5, 7, 11),
          (6, 16, 8), (7, 17, 13), (11, 9, 1), (13, 31, 29), (37, 53, 300), (64, 128, 784),
          (145, 33, 257), (73, 41, 513), (200, 100, 64), (150, 4097, 5), (12, 4081, 2),
          # One row block split by columns between threads, across an NC boundary.
          (64, 4100, 300),
          # N = 1 and K = 1 take the matrix-vector / outer-product loops: rows in fours and a
          # remainder, K past a whole vector.
          (203, 1, 100), (100, 1, 203), (203, 100, 1), (3, 1, 7), (5, 1, 0)]
TRANSPOSES = [(False, False), (True, False), (False, True), (True, True)]
ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "step"]
RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def reference_act(z, act, alpha):
    if act == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if act == "tanh":
        return np.tanh(z)
    if act == "relu":
        return np.where(z > 0, z, 0.0)
    if act == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if act == "step":
        return np.where(z > 0, 1.0, 0.0)
    return z


def check(M, N, K, dtype, trans_a=False, trans_b=False, act="linear", bias=True, accumulate=False,
          alpha=0.1, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((M, K)).astype(dtype)
    B = rng.standard_normal((K, N)).astype(dtype)
    b = rng.standard_normal(N).astype(dtype) if bias else None
    C0 = rng.standard_normal((M, N)).astype(dtype)
    C = C0.copy()
    core._gemm(np.ascontiguousarray(A.T) if trans_a else A, np.ascontiguousarray(B.T) if trans_b else B,
               trans_a, trans_b, b, act, alpha, accumulate, C)
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    z = A64 @ B64
    scale = np.abs(A64) @ np.abs(B64)
    if accumulate:
        z += C0
        scale += np.abs(C0)
    if bias:
        z += b
        scale += np.abs(b)
    tol = RTOL[dtype] * (scale + 1)
    ref = reference_act(z, act, alpha)
    err = np.abs(C - ref)
    if act == "step":  # a pre-activation within rounding of 0 may land on either side
        err = np.where(np.abs(z) <= tol, 0.0, err)
    assert C.dtype == dtype
    assert np.all(err <= tol), f"max error {err.max():.3g}, tolerance {tol.min():.3g}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans", TRANSPOSES)
@pytest.mark.parametrize("shape", SHAPES)
def test_layouts_and_shapes(shape, trans, dtype):
    check(*shape, dtype, *trans)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans", TRANSPOSES)
@pytest.mark.parametrize("shape", [(203, 1, 100), (100, 1, 203), (203, 100, 1), (17, 1, 3), (11, 9, 1)])
def test_row_stride_wider_than_n(shape, trans, dtype):
    # The library's C rows are N apart (the matrix-vector / outer-product loops need that); a
    # wider C sends N = 1 and K = 1 through the register tiles, edge tiles and kc = 1 included.
    M, N, K = shape
    rng = np.random.default_rng(7)
    A = rng.standard_normal((K, M) if trans[0] else (M, K)).astype(dtype)
    B = rng.standard_normal((N, K) if trans[1] else (K, N)).astype(dtype)
    b = rng.standard_normal(N).astype(dtype)
    C = rng.standard_normal((M, N + 3)).astype(dtype)
    before = C.copy()
    core._gemm(A, B, *trans, b, "relu", 0.0, True, C)
    opA = (A.T if trans[0] else A).astype(np.float64)
    opB = (B.T if trans[1] else B).astype(np.float64)
    want = np.maximum(before[:, :N] + opA @ opB + b, 0.0)
    tol = RTOL[dtype] * (np.abs(before[:, :N]) + np.abs(opA) @ np.abs(opB) + np.abs(b) + 1)
    assert np.all(np.abs(C[:, :N] - want) <= tol)
    np.testing.assert_array_equal(C[:, N:], before[:, N:])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(7, 17, 13), (145, 33, 257), (13, 5, 0), (145, 1, 257), (145, 33, 1)])
def test_epilogue_activations(shape, act, dtype):
    check(*shape, dtype, act=act)
    check(*shape, dtype, act=act, bias=False, trans_a=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 17, 13), (145, 33, 600), (5, 9, 0)])
def test_accumulate(shape, dtype):
    check(*shape, dtype, accumulate=True, bias=False)
    check(*shape, dtype, accumulate=True, act="tanh", trans_b=True)


# A product whose N one kernel call covers (N <= 16 doubles / 32 floats with AVX-512, 8 / 16
# with AVX2) reads A in place, by its columns (A^T, a weight gradient) or by its rows; a wider one
# packs it. Each column's sums do not depend on N, so the narrow product must give the wide one's
# first N columns bitwise: M past whole tiles and past MC (two row blocks), K past KC (two K
# blocks).
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans", TRANSPOSES)
@pytest.mark.parametrize("M", [1, 5, 6, 7, 12, 13, 23, 150])
@pytest.mark.parametrize("K", [3, 300])
def test_a_read_in_place_gives_the_packed_results(M, K, trans, dtype):
    ta, tb = trans
    rng = np.random.default_rng([M, K, int(ta), int(tb)])
    wide = 72
    A = (rng.standard_normal((K, M) if ta else (M, K)) / np.sqrt(K)).astype(dtype)
    B = rng.standard_normal((wide, K) if tb else (K, wide)).astype(dtype)
    bias = rng.standard_normal(wide).astype(dtype)
    C0 = rng.standard_normal((M, wide)).astype(dtype)
    for act, accumulate in (("relu", False), ("sigmoid", True), ("linear", True)):
        C_wide = C0.copy()
        core._gemm(A, B, ta, tb, bias, act, 0.1, accumulate, C_wide)
        for N in (2, 3, 8, 9, 16, 17, 31, 32):
            Bn = (B[:N] if tb else B[:, :N]).copy()
            C = C0[:, :N].copy()  # a copy also where one row of C0 would be a contiguous view
            core._gemm(A, Bn, ta, tb, bias[:N].copy(), act, 0.1, accumulate, C)
            assert np.array_equal(C, C_wide[:, :N]), (act, N)


# Products split by columns read B's rows in place where the AVX-512 kernels pack B as they go:
# the last panel, cut by B's edge, must be read with a mask (the sanitizer job catches a read
# past B's end) and packed with zeros like the rest. Widths past the 32 columns that read A in
# place instead, edges in every position of a panel, one and several K blocks, one row block
# (M at most 72: float64's MC) of one tile and of several; two threads where the product is
# large enough to take them.
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("N", [40, 47, 48, 100, 1000])
@pytest.mark.parametrize("K", [5, 600])
def test_products_split_by_columns_read_nothing_past_b(N, K, dtype, restore_threads):
    for threads in (1, 2):
        fm.set_num_threads(threads)
        for M in (7, 60):
            check(M, N, K, dtype, act="relu", accumulate=True, seed=N + K)


def test_leaky_relu_alpha_is_used():
    check(9, 20, 7, np.float32, act="leaky_relu", alpha=0.3)
    check(9, 20, 7, np.float64, act="leaky_relu", alpha=2.5)


def test_softmax_is_not_an_epilogue():
    with pytest.raises(ValueError):
        core._gemm(np.ones((2, 2)), np.ones((2, 2)), False, False, None, "softmax", 0.0, False,
                   np.zeros((2, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [2, 1], ids=["register-tile", "outer-product"])
def test_saturation_and_nan_in_epilogue(dtype, K):
    A = np.full((4, K), 1.0 / K, dtype)  # halves are exact: the sums are B's row
    B = np.tile(np.array([1e4, -1e4, np.nan, 0.0], dtype), (K, 1))
    for act, expected in [("sigmoid", [1, 0, np.nan, 0.5]), ("tanh", [1, -1, np.nan, 0]),
                          ("linear", [1e4, -1e4, np.nan, 0])]:
        C = np.empty((4, 4), dtype)
        core._gemm(A, B, False, False, None, act, 0.0, False, C)
        np.testing.assert_array_equal(C, np.tile(np.array(expected, dtype), (4, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
@pytest.mark.parametrize("shape", [(37, 45, 29), (37, 1, 29), (37, 45, 1)])
def test_epilogue_activation_is_the_vector_math(shape, act, dtype):
    # The epilogue and activation_forward share one kernel per ISA: fusing must not change a bit.
    M, N, K = shape
    rng = np.random.default_rng(3)
    A = rng.normal(scale=3.0, size=(M, K)).astype(dtype)
    B = rng.normal(size=(K, N)).astype(dtype)
    b = rng.normal(size=N).astype(dtype)
    fused, linear = np.empty((M, N), dtype), np.empty((M, N), dtype)
    core._gemm(A, B, False, False, b, act, 0.0, False, fused)
    core._gemm(A, B, False, False, b, "linear", 0.0, False, linear)
    np.testing.assert_array_equal(fused, core._vmath(act, linear.ravel()).reshape(linear.shape))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans", TRANSPOSES)
# One row block split by columns (M <= MC) with K blocks of unequal length (257 = 129 + 128) and
# across an NC boundary: each thread packs its own panels, so panel storage must not move
# between blocks while another thread still reads it. Repeated, since a race shows up by chance.
# (300 | 200, 300, 300): one row block of more than MC rows split by columns, where L2 holds it
# (2 MiB: gemm.cpp's column_split_rows); elsewhere row blocks. (128, 512, 784): by columns, in
# float64 too (from 512 KiB of L2 up), as row blocks would give each thread only one. (256, 2048,
# 256) and (240, 2048, 256): at or past a quarter of L2 (float64 on a 2 MiB L2, float32 on a
# 512 KiB one), by columns since B's panel is too large for row blocks' own copies. (300, 200, 600),
# (200, 100, 64), (512, 256, 128) and (600, 4200, 64, across an NC boundary): row blocks whose
# threads each pack all of B (Plan::own_b) where it fits in L2. (120, 8, 1400): row blocks too
# few rows for that, sharing B's panel over six K blocks.
@pytest.mark.parametrize("shape", [(300, 200, 600), (5, 700, 300), (128, 512, 784), (200, 100, 64),
                                   (512, 256, 128), (600, 4200, 64), (120, 8, 1400),
                                   (256, 2048, 256), (240, 2048, 256), (300, 300, 300),
                                   (200, 300, 300),
                                   (64, 4100, 300), (64, 128, 257), (64, 200, 301), (6, 4100, 257),
                                   (20003, 1, 301), (3001, 401, 1)])
def test_bitwise_identical_for_one_and_two_threads(shape, trans, dtype, restore_threads):
    M, N, K = shape
    rng = np.random.default_rng(1)
    # Pre-activations of order 1, so that tanh does not saturate and hide a difference.
    A = (rng.standard_normal((K, M) if trans[0] else (M, K)) / np.sqrt(K)).astype(dtype)
    B = rng.standard_normal((N, K) if trans[1] else (K, N)).astype(dtype)
    b = rng.standard_normal(N).astype(dtype)
    fm.set_num_threads(1)
    expected = np.zeros((M, N), dtype)
    core._gemm(A, B, *trans, b, "tanh", 0.0, False, expected)
    fm.set_num_threads(2)
    for _ in range(5):
        C = np.zeros((M, N), dtype)
        core._gemm(A, B, *trans, b, "tanh", 0.0, False, C)
        assert np.array_equal(C, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_three_threads_each_packing_b_give_the_one_thread_result(dtype, restore_threads):
    # Row blocks, several per thread, each thread with its own packed copy of B (Plan::own_b),
    # repacked for each of three K blocks.
    rng = np.random.default_rng(2)
    A = rng.standard_normal((600, 512)).astype(dtype)  # X^T for a weight gradient
    B = rng.standard_normal((600, 256)).astype(dtype)
    fm.set_num_threads(1)
    expected = np.zeros((512, 256), dtype)
    core._gemm(A, B, True, False, None, "linear", 0.0, False, expected)
    fm.set_num_threads(3)
    for _ in range(5):
        C = np.zeros((512, 256), dtype)
        core._gemm(A, B, True, False, None, "linear", 0.0, False, C)
        assert np.array_equal(C, expected)


def test_reported_isa_is_the_dispatched_one():
    isa = core._gemm_isa()
    assert isa == core.build_info()["simd"]
    if expected_isa() is None:
        pytest.skip("this machine's CPU flags are unknown")
    assert isa == expected_isa()


@pytest.mark.skipif(forced_isa() is not None, reason="a subprocess of the test below")
@pytest.mark.skipif(not cpu_has_avx2_fma(), reason="the portable kernels are the default here")
def test_portable_path_passes_the_same_tests():
    proc = run_generic("tests/test_gemm.py", "tests/test_vmath.py")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout


@pytest.mark.skipif(forced_isa() is not None, reason="a subprocess of the test below")
@pytest.mark.skipif(not cpu_has_avx512f(), reason="no AVX-512 on this machine: AVX2 is the default")
def test_avx2_path_passes_the_same_tests_on_an_avx512_machine():
    proc = run_with_isa("avx2", "tests/test_gemm.py")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout


def isa_cases():
    """Every shape and layout above with each activation, bias and accumulation: name -> C."""
    out = {}
    for dtype in (np.float32, np.float64):
        # Beyond SHAPES: row blocks with their own B, and products split by columns whose
        # AVX-512 kernels pack B's panels as they read them (three K blocks; in float32 a
        # partial last panel).
        for M, N, K in SHAPES + [(1024, 300, 600), (130, 33, 1000), (100, 1000, 600)]:
            for t, (ta, tb) in enumerate(TRANSPOSES):
                for a, act in enumerate(ACTIVATIONS):
                    # Over the four layouts each activation meets a bias, accumulation, both and
                    # neither, with pre-activations of spread 1 or 10 (sigmoid and tanh saturate).
                    rng = np.random.default_rng([M, N, K, t, a])
                    scale = 10.0 ** (t % 2) / np.sqrt(max(K, 1))
                    A = (rng.standard_normal((K, M) if ta else (M, K)) * scale).astype(dtype)
                    B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
                    b = rng.standard_normal(N).astype(dtype) if (a + t) % 2 else None
                    C = rng.standard_normal((M, N)).astype(dtype)
                    core._gemm(A, B, ta, tb, b, act, 0.1, (a + t // 2) % 2 == 0, C)
                    out[f"{np.dtype(dtype).name}_{M}x{N}x{K}_{t}_{act}"] = C
    return out


@pytest.mark.skipif(forced_isa() is not None, reason="compares against a forced subprocess itself")
@pytest.mark.skipif(not cpu_has_avx512f(), reason="no AVX-512 on this machine")
def test_avx512_kernels_give_the_avx2_results_bitwise(tmp_path):
    assert core._gemm_isa() == "avx512f"
    path = tmp_path / "avx2.npz"
    code = ("import sys, numpy as np; sys.path.insert(0, 'tests'); import test_gemm; "
            f"np.savez({str(path)!r}, isa=test_gemm.core._gemm_isa(), **test_gemm.isa_cases())")
    proc = run_python_with_isa("avx2", "-c", code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(path) as avx2:
        assert str(avx2["isa"]) == "avx2+fma"
        ours = isa_cases()
        assert set(ours) == set(avx2.files) - {"isa"}
        for name, C in ours.items():
            assert np.array_equal(C.view(np.uint8), avx2[name].view(np.uint8)), name  # bitwise


def test_forced_generic_is_reported_by_show_config():
    import os
    import subprocess
    import sys
    env = dict(os.environ, FASTMLP_ISA="generic", SKBUILD_EDITABLE_VERBOSE="0")
    code = "import fastmlp as fm; fm.show_config(); print('gemm', fm._core._gemm_isa())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300).stdout
    assert "SIMD:     generic" in out and "gemm generic" in out


@pytest.mark.skipif(forced_isa() is not None, reason="compares with this process's default")
@pytest.mark.parametrize("cap", ["avx2+fma", "AVX512", "bogus"])
def test_isa_cap_spellings(cap):
    import os
    import subprocess
    import sys
    env = dict(os.environ, FASTMLP_ISA=cap, SKBUILD_EDITABLE_VERBOSE="0")
    code = "import fastmlp as fm; print('gemm', fm._core._gemm_isa())"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    if cap == "avx2+fma":  # the reported name caps like "avx2"
        assert "Warning" not in proc.stderr
        if cpu_has_avx2_fma():
            assert "gemm avx2+fma" in proc.stdout
    else:
        assert f"FASTMLP_ISA must be one of 'generic', 'avx2', 'avx2+fma'; got {cap!r}" in proc.stderr
        assert f"gemm {core._gemm_isa()}" in proc.stdout  # ignored: the default choice
