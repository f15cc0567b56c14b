"""Dropout's masks, on every instruction set: the dispatched kernels against a NumPy reference of
the keep rule (element i of a step is kept when the uniform draw of SplitMix64's finaliser at
counter i reaches the rate), bit for bit, in both precisions, forward and in place (backward)."""
import numpy as np
import pytest

from _isa import cpu_has_avx2_fma, cpu_has_avx512f, expected_isa, forced_isa, run_with_isa

fm = pytest.importorskip("fastmlp")
core = fm._core

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniforms(key, n):
    """The uniform draws of counters 0..n-1: their 53 top bits times 2^-53."""
    counters = np.arange(1, n + 1, dtype=np.uint64)
    return (mix64(np.uint64(key) + GOLDEN * counters) >> np.uint64(11)) * 2.0 ** -53


def reference(x, rate, key):
    """Kept where the draw is >= rate, scaled by 1 / (1 - rate)."""
    scale = x.dtype.type(1.0 / (1.0 - rate))
    return np.where(uniforms(key, x.size).reshape(x.shape) >= rate, x * scale, x.dtype.type(0))


def inputs(n, dtype, seed):
    x = np.random.default_rng(seed).normal(size=n).astype(dtype)
    specials = np.array([np.inf, -np.inf, np.nan, -0.0, 0.0], dtype)[: n]
    x[: specials.size] = specials
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9, 0.999])
def test_masks_match_the_reference_bitwise(restore_threads, dtype, rate):
    # Lengths around every vector width (4 and 8 lanes of 64-bit draws), a longer one, and one
    # that two threads share (from 2^15 float32 elements).
    restore_threads.set_num_threads(2)
    for n in (0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 4099, 40_003):
        for key in (0, 1, 0x123456789ABCDEF0, 2 ** 64 - 1):
            x = inputs(n, dtype, n)
            expected = reference(x, rate, key).view(np.uint8)
            for in_place in (False, True):
                y = core._dropout(x, rate, key, in_place)
                assert y.dtype == x.dtype
                assert np.array_equal(y.view(np.uint8), expected), (n, key, in_place)


def test_masks_are_exact_at_the_threshold():
    # The kernels compare the draw's 53 bits as an integer with ceil(rate 2^53); the reference
    # compares in double. Rates just above and below a draw's value split there alike.
    x = np.ones(64)
    draws = uniforms(7, 64)
    for draw in draws[draws < 0.999][:8]:
        for rate in (np.nextafter(draw, 0), draw, np.nextafter(draw, 1)):
            assert np.array_equal(core._dropout(x, rate, 7, False), reference(x, rate, 7))


def test_the_expected_kernels_run():
    # So that the subprocesses below test the instruction set they ask for.
    if expected_isa() is None:
        pytest.skip("this machine's CPU flags are unknown")
    assert core.build_info()["simd"] == expected_isa()


def test_rate_is_checked():
    with pytest.raises(ValueError, match="rate"):
        core._dropout(np.ones(3), 1.0, 0, False)


@pytest.mark.skipif(forced_isa() is not None, reason="a subprocess of the test below")
@pytest.mark.skipif(not cpu_has_avx2_fma(), reason="the portable kernels are the default here")
@pytest.mark.parametrize("isa", ["generic", "avx2"])
def test_every_instruction_set_passes_the_same_tests(isa):
    if isa == "avx2" and not cpu_has_avx512f():
        pytest.skip("AVX2 is the default here")
    proc = run_with_isa(isa, "tests/test_dropout.py")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout
