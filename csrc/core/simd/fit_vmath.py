"""Fits the polynomial coefficients of csrc/core/simd/vmath_lanes.h.

exp:  e^r = 1 + r + r^2 q(r)        on |r| <= ln2/2, q of degree 4 (float32) or 9 (float64)
tanh: tanh x = x + x^3 p(x^2)        on |x| <= 0.625, p of degree 6 (float32) or 11 (float64)

float32: least squares on a dense grid in float64, then Lawson's iteration (reweighting by the
error) towards minimax, relative error of e^r / tanh weighted. float64 needs more precision than
float64 least squares has: Chebyshev interpolation of q and p in 40-digit arithmetic (mpmath's
chebyfit, near-minimax for functions this smooth). Coefficients are rounded to the target type
before the error is reported. Run: python csrc/core/simd/fit_vmath.py"""
import mpmath
import numpy as np

mpmath.mp.dps = 40


def lawson(basis, target, weight, iters=60):
    """Minimise max |weight * (basis @ c - target)| by iteratively reweighted least squares."""
    w = np.ones_like(target)
    for _ in range(iters):
        sw = np.sqrt(w) * weight
        c, *_ = np.linalg.lstsq(basis * sw[:, None], target * sw, rcond=None)
        err = np.abs(weight * (basis @ c - target))
        w = w * err
        w /= w.sum()
    return c


def fit_exp():
    h = float(mpmath.log(2) / 2)
    r = np.cos(np.linspace(0, np.pi, 4001)) * h
    r = r[np.abs(r) > 1e-6]
    q = np.array([float((mpmath.exp(mpmath.mpf(x)) - 1 - x) / mpmath.mpf(x) ** 2) for x in r])
    e = np.exp(r)
    basis = np.vander(r, 5, increasing=True)
    c = lawson(basis, q, r * r / e).astype(np.float32)
    approx = 1 + r + r * r * (np.vander(r, 5, increasing=True) @ c.astype(np.float64))
    return c, np.max(np.abs(approx / e - 1))


def fit_tanh(t=0.625, degree=6):
    x = (np.cos(np.linspace(0, np.pi, 4001)) + 1) / 2 * t
    x = x[x > 1e-4]
    u = x * x
    p = np.array([float((mpmath.tanh(mpmath.mpf(v)) - v) / mpmath.mpf(v) ** 3) for v in x])
    th = np.tanh(x)
    basis = np.vander(u, degree + 1, increasing=True)
    c = lawson(basis, p, x ** 3 / th).astype(np.float32)
    approx = x + x ** 3 * (basis @ c.astype(np.float64))
    return c, np.max(np.abs(approx / th - 1))


def _exp_q(r):
    r = mpmath.mpf(r)
    return mpmath.mpf(1) / 2 + r / 6 if abs(r) < 1e-20 else (mpmath.exp(r) - 1 - r) / r ** 2


def _tanh_p(u):
    x = mpmath.sqrt(mpmath.mpf(u))
    return -mpmath.mpf(1) / 3 + 2 * x * x / 15 if x < 1e-15 else (mpmath.tanh(x) - x) / x ** 3


def chebyshev_double(q, interval, degree):
    """q's Chebyshev interpolant of the given degree, coefficients rounded to float64, lowest first."""
    return [float(v) for v in reversed(mpmath.chebyfit(q, interval, degree + 1))]


def fit_exp_double():
    h = mpmath.log(2) / 2
    c = chebyshev_double(_exp_q, [-h, h], 9)
    poly = [mpmath.mpf(v) for v in reversed(c)]
    rs = [-h + 2 * h * i / 2000 for i in range(2001)]
    return c, float(max(abs((1 + r + r * r * mpmath.polyval(poly, r)) / mpmath.exp(r) - 1) for r in rs))


def fit_tanh_double(t=mpmath.mpf("0.625")):
    c = chebyshev_double(_tanh_p, [0, t * t], 11)
    poly = [mpmath.mpf(v) for v in reversed(c)]
    xs = [t * i / 2000 for i in range(1, 2001)]
    return c, float(max(abs((x + x ** 3 * mpmath.polyval(poly, x * x)) / mpmath.tanh(x) - 1) for x in xs))


if __name__ == "__main__":
    ulp = 2.0 ** -23
    for name, (c, err) in (("exp q(r)", fit_exp()), ("tanh p(u)", fit_tanh())):
        print(f"{name}: max relative error {err:.3g} ({err / ulp:.3f} float32 ulp at 1.0)")
        for i, v in enumerate(c):
            print(f"  c{i} = {np.format_float_scientific(v, unique=True)}f  ({float(v).hex()})")
    ulp = 2.0 ** -52
    for name, (c, err) in (("exp q(r), double", fit_exp_double()),
                           ("tanh p(u), double", fit_tanh_double())):
        print(f"{name}: max relative error {err:.3g} ({err / ulp:.3f} float64 ulp at 1.0)")
        for i, v in enumerate(c):
            print(f"  c{i} = {v!r}  ({v.hex()})")
