"""The dispatched vector exp / sigmoid / tanh / softplus against a more precise NumPy reference.

float32: against float64 over a dense grid of the whole float32 range (every 61st bit pattern, both
signs, subnormals and NaNs included) plus edge values. float64: against NumPy's extended precision
(x87 long double, 11 more bits) over random bit patterns, dense grids where the kernels switch
formulas or saturate, and edge values.

Error in ulps of the result: |y - ref| / spacing(ref rounded to the result's type), so 2^-149 or
2^-1074 for subnormal results. Bound: 2 ulp (the vector kernels measure <= 1.50 ulp in both
precisions, see vmath_lanes.h and vmath_avx2.h; AVX-512 gives the AVX2 bits), except the portable
float64 path, which is the C library: glibc documents up to 2 ulp for tanh, and sigmoid adds a
division to exp, so that path is held to 2.5 ulp."""
import numpy as np
import pytest

from _isa import cpu_has_avx512f, forced_generic, forced_isa, run_python_with_isa

fm = pytest.importorskip("fastmlp")
core = fm._core

MAX_ULP = 2.0
EDGES = np.array([0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38, 1.1754944e-38, 1e-30,
                  -1e-7, 1e-7, 0.625, -0.625, 0.62499994, 0.34657359, 9.0, -9.0, 9.1, 17.0, -17.0,
                  88.72283, 88.72284, 88.8, -87.33654, -87.4, -103.27893, -103.97208, -103.98,
                  -104.0, -110.0, 1e30, -1e30, 3.4028235e38, -3.4028235e38, np.inf, -np.inf, np.nan],
                 np.float32)


@pytest.fixture(scope="module")
def grid():
    bits = np.arange(0, 2 ** 32, 61, dtype=np.uint64).astype(np.uint32)
    return np.concatenate([bits.view(np.float32), EDGES])


def sigmoid64(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus64(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


REFERENCES = {"exp": np.exp, "sigmoid": sigmoid64, "tanh": np.tanh, "softplus": softplus64}
NAMES = list(REFERENCES)


def ulp_errors(y, ref):
    with np.errstate(over="ignore"):
        r32 = ref.astype(np.float32)
    finite = np.isfinite(r32)
    # The largest finite value's spacing is inf (softplus returns it): the saturation tests
    # check that one exactly.
    with np.errstate(over="ignore"):
        spacing = np.spacing(np.abs(r32[finite])).astype(np.float64)
    return np.abs(y[finite].astype(np.float64) - ref[finite]) / spacing, finite


@pytest.mark.parametrize("name", NAMES)
def test_float32_ulp_error_over_the_whole_range(grid, name):
    with np.errstate(over="ignore", invalid="ignore"):
        ref = REFERENCES[name](grid.astype(np.float64))
    y = core._vmath(name, grid)
    assert y.dtype == np.float32 and y.shape == grid.shape
    nan = np.isnan(grid)
    assert np.all(np.isnan(y[nan])), "NaN must propagate"
    err, finite = ulp_errors(y[~nan], ref[~nan])
    worst = np.argmax(err)
    assert err[worst] <= MAX_ULP, f"{name}({grid[~nan][finite][worst]!r}) off by {err[worst]:.3f} ulp"
    # Results that overflow float32 must be inf of the right sign.
    over = ~finite
    assert np.all(np.isinf(y[~nan][over]) & (np.sign(y[~nan][over]) == np.sign(ref[~nan][over])))


def test_saturation():
    x = np.array([-np.inf, -1e30, -200.0, -104.0, 89.0, 200.0, 1e30, np.inf], np.float32)
    np.testing.assert_array_equal(core._vmath("exp", x), [0, 0, 0, 0, np.inf, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(core._vmath("sigmoid", x), [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(core._vmath("tanh", x), [-1, -1, -1, -1, 1, 1, 1, 1])
    # softplus: 0 below, x itself above (up to float32's largest: no overflow on the way).
    np.testing.assert_array_equal(core._vmath("softplus", x), np.maximum(x, 0))
    top = np.array([3.4028235e38, 17.0, -110.0], np.float32)
    np.testing.assert_array_equal(core._vmath("softplus", top), np.maximum(top, 0))
    zeros = np.array([0.0, -0.0], np.float32)
    assert np.array_equal(np.signbit(core._vmath("tanh", zeros)), [False, True])
    np.testing.assert_array_equal(core._vmath("exp", zeros), [1, 1])
    np.testing.assert_array_equal(core._vmath("sigmoid", zeros), [0.5, 0.5])


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 23, 4099])
def test_tails_and_lengths(n):
    x = np.linspace(-5, 5, n).astype(np.float32)
    for name, f in REFERENCES.items():
        np.testing.assert_allclose(core._vmath(name, x), f(x.astype(np.float64)), rtol=5e-7, atol=0)


EDGES64 = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, -1e-20, 1e-20,
                    0.625, -0.625, np.nextafter(0.625, 0), 0.34657359027997264, 19.0, -19.0, 40.0,
                    709.782712893384, 709.7827128933841, 710.0, -708.3964185322641,
                    -745.1332191019411, -745.1332191019412, -745.14, -746.0, -800.0, 1e300,
                    -1e300, 1.7976931348623157e308, -1.7976931348623157e308, np.inf, -np.inf,
                    np.nan])


@pytest.fixture(scope="module")
def grid64():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2 ** 64, 1_000_000, dtype=np.uint64, endpoint=False)
    return np.concatenate([bits.view(np.float64), np.linspace(-750, 750, 300_001),
                           np.linspace(-1, 1, 100_001), np.linspace(-40, 40, 100_001), EDGES64])


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an extended long double")
@pytest.mark.parametrize("name", NAMES)
def test_float64_ulp_error(grid64, name):
    with np.errstate(over="ignore", invalid="ignore"):
        ref = REFERENCES[name](grid64.astype(np.longdouble))
        ref64 = ref.astype(np.float64)
    y = core._vmath(name, grid64)
    assert y.dtype == np.float64 and y.shape == grid64.shape
    nan = np.isnan(grid64)
    assert np.all(np.isnan(y[nan])), "NaN must propagate"
    finite = np.isfinite(ref64) & ~nan
    with np.errstate(over="ignore"):  # as in ulp_errors
        spacing = np.spacing(np.abs(ref64[finite])).astype(np.longdouble)
    err = np.abs(y[finite].astype(np.longdouble) - ref[finite]) / spacing
    worst = np.argmax(err)
    # The vector kernels (AVX2 or AVX-512: the same bits) or the portable path, which calls libm.
    bound = MAX_ULP if core.build_info()["simd"] != "generic" else 2.5
    assert err[worst] <= bound, f"{name}({grid64[finite][worst]!r}) off by {float(err[worst]):.3f} ulp"
    over = ~finite & ~nan
    assert np.array_equal(y[over], ref64[over]), "results past float64's range must be +-inf"


def test_float64_saturation_and_lengths():
    x = np.array([-np.inf, -1e300, -746.0, 710.0, 1e300, np.inf])
    np.testing.assert_array_equal(core._vmath("exp", x), [0, 0, 0, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(core._vmath("sigmoid", x), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(core._vmath("tanh", x), [-1, -1, -1, 1, 1, 1])
    np.testing.assert_array_equal(core._vmath("softplus", x), [0, 0, 0, 710, 1e300, np.inf])
    assert np.array_equal(np.signbit(core._vmath("tanh", np.array([0.0, -0.0]))), [False, True])
    for n in (0, 1, 3, 4, 5, 11, 4099):
        v = np.linspace(-5, 5, n)
        for name, f in REFERENCES.items():
            np.testing.assert_allclose(core._vmath(name, v), f(v), rtol=1e-15, atol=0)


def test_dispatch_matches_the_build_report():
    expected = "generic" if forced_generic() else core._gemm_isa()
    assert core.build_info()["simd"] == expected


def isa_grid():
    """Every function over float32 and float64 inputs across their whole ranges: name -> output."""
    rng = np.random.default_rng(7)
    x32 = np.concatenate([np.arange(0, 2 ** 32, 4099, dtype=np.uint64).astype(np.uint32).view(np.float32),
                          rng.uniform(-30, 30, 100_003).astype(np.float32), EDGES])
    x64 = np.concatenate([rng.integers(0, 2 ** 64, 300_001, dtype=np.uint64).view(np.float64),
                          rng.uniform(-750, 750, 100_003), EDGES64])
    return {f"{name}_{x.dtype.name}": core._vmath(name, x) for name in NAMES for x in (x32, x64)}


@pytest.mark.skipif(forced_isa() is not None, reason="compares against a forced subprocess itself")
@pytest.mark.skipif(not cpu_has_avx512f(), reason="no AVX-512 on this machine")
def test_avx512_vector_math_gives_the_avx2_results_bitwise(tmp_path):
    assert core.build_info()["simd"] == "avx512f"
    path = tmp_path / "avx2.npz"
    code = ("import sys, numpy as np; sys.path.insert(0, 'tests'); import test_vmath; "
            f"np.savez({str(path)!r}, isa=test_vmath.core.build_info()['simd'], **test_vmath.isa_grid())")
    proc = run_python_with_isa("avx2", "-c", code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    avx2 = np.load(path)
    assert str(avx2["isa"]) == "avx2+fma"
    for name, y in isa_grid().items():
        # Bit patterns, so that NaNs compare too.
        assert np.array_equal(y.view(np.uint8), avx2[name].view(np.uint8)), name
