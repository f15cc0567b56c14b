// exp, sigmoid and tanh written once over lane traits S (one vector register of S::T and its
// operations by name: vmath_avx2.h's Ps and Pd, vmath_avx512.h's Zs and Zd), and the array loop
// over them. Every operation is an IEEE one, so each set of traits gives the same bits wherever
// they take the same steps. Only S::scale2 differs by instruction set; it rounds once, as the
// steps below require. Included by the ISA translation units only: internal linkage (ODR, see
// core/gemm/kernels.h).
//
// Measured by tests/test_vmath.py. float32, against float64 numpy over every 61st float32 plus
// edge values: max error exp 0.996 ulp, sigmoid 1.47 ulp, tanh 1.30 ulp. float64, against
// extended-precision numpy over random bit patterns and dense grids: exp 1.04 ulp, sigmoid 1.48
// ulp, tanh 1.29 ulp. Saturation is exact (exp -> inf / 0, with subnormals in between rounded
// once by the final scaling; sigmoid -> 0 / 1, tanh -> +-1) and NaN propagates. The coefficients
// were fitted for these functions by fit_vmath.py beside this file.
#pragma once
#include <cstddef>

#include "core/common.h"

namespace fastmlp::simd {
namespace {

template <class T>
struct ExpConsts;
template <>
struct ExpConsts<float> {
  static constexpr float hi = 89.0f, lo = -104.0f, log2e = 1.44269504088896341f;
  static constexpr float ln2_hi = 0.693145751953125f, ln2_lo = 1.42860682030941723e-6f;
  static constexpr float q[] = {1.3814612e-03f, 8.36871e-03f, 4.166839e-02f, 1.6666521e-01f,
                                4.9999994e-01f};
};
template <>
struct ExpConsts<double> {
  static constexpr double hi = 710.0, lo = -746.0, log2e = 0x1.71547652b82fep0;
  // The upper part of ln2 has trailing zeros, so n ln2_hi is exact.
  static constexpr double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
  static constexpr double q[] = {0x1.af389ecfc4b9cp-26, 0x1.28917c89a43a7p-22,
                                 0x1.71de0db2f6b19p-19, 0x1.a019b9149a41cp-16,
                                 0x1.a01a01a7c2efep-13, 0x1.6c16c17889ef1p-10,
                                 0x1.11111111109b5p-7,  0x1.5555555553d68p-5,
                                 0x1.5555555555556p-3,  0x1.0000000000001p-1};
};

// p(u) with tanh x = x + x^3 p(x^2) below 0.625.
template <class T>
struct TanhConsts;
template <>
struct TanhConsts<float> {
  static constexpr float p[] = {-8.051985e-04f, 3.2316085e-03f, -8.753072e-03f, 2.1850506e-02f,
                                -5.396648e-02f, 1.3333325e-01f, -3.3333334e-01f};
};
template <>
struct TanhConsts<double> {
  static constexpr double p[] = {0x1.b33642a122cddp-18,  -0x1.05bbdae896297p-15,
                                 0x1.8445870f6fe41p-14,  -0x1.f243823c8c981p-13,
                                 0x1.3526e9ed54da1p-11,  -0x1.7d9f6f23e8682p-10,
                                 0x1.d6d39ae3905e2p-9,   -0x1.226e3473dce5cp-7,
                                 0x1.664f487e0a749p-6,   -0x1.ba1ba1ba0f126p-5,
                                 0x1.11111111110a8p-3,   -0x1.5555555555555p-2};
};

// c[0] u^(n-1) + ... + c[n-1], by Horner's rule.
template <class S, size_t n>
inline typename S::V horner(typename S::V u, const typename S::T (&c)[n]) {
  typename S::V p = S::set1(c[0]);
#pragma GCC unroll 16
  for (size_t k = 1; k < n; ++k) p = S::fma(p, u, S::set1(c[k]));
  return p;
}

// exp(x) = 2^n e^r with n = round(x / ln2), r = x - n ln2 (two-part ln2 so r keeps its low bits),
// e^r = 1 + r + r^2 q(r) on |r| <= ln2/2. S::scale2 applies 2^n rounding once, so results down
// to the smallest subnormal are rounded once, and past the largest float the product overflows
// to inf by itself.
template <class S>
inline typename S::V exp(typename S::V x) {
  using V = typename S::V;
  using C = ExpConsts<typename S::T>;
  // max/min return their second operand when either is NaN: x stays NaN.
  x = S::min(S::set1(C::hi), S::max(S::set1(C::lo), x));
  const V n = S::round(S::mul(x, S::set1(C::log2e)));
  V r = S::fnma(n, S::set1(C::ln2_hi), x);
  r = S::fnma(n, S::set1(C::ln2_lo), r);
  const V q = horner<S>(r, C::q);
  const V er = S::add(S::fma(S::mul(r, r), q, r), S::set1(1));
  return S::scale2(er, n);
}

// num / (c + e) for 0 <= e <= c as hi + lo: hi the quotient of the rounded sum d = c + e, lo its
// correction. The sum is carried as d + dl (exact, since e <= c) and lo = (num - hi (d + dl)) / d,
// the FMA remainder over d, so hi + lo is the quotient of the exact sum to far below hi's ulp.
template <class S>
struct Quotient {
  typename S::V hi, lo;
};
template <class S>
inline Quotient<S> div_by_sum(typename S::V num, typename S::V c, typename S::V e) {
  using V = typename S::V;
  const V d = S::add(c, e);
  const V dl = S::add(S::sub(c, d), e);
  const V q = S::div(num, d);
  const V rem = S::fnma(q, dl, S::fnma(q, d, num));  // num - q (d + dl)
  return {q, S::div(rem, d)};
}

// 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0, with e = exp(-|x|) <= 1: no overflow.
// Only exp's error and one rounding remain (2.3 ulp in float without div_by_sum's correction).
template <class S>
inline typename S::V sigmoid(typename S::V x) {
  using V = typename S::V;
  const V sign = S::set1(-0.0), one = S::set1(1.0);
  const V e = exp<S>(S::bor(x, sign));  // exp(-|x|)
  const V num = S::blend(one, e, S::lt(x, S::zero()));
  const Quotient<S> q = div_by_sum<S>(num, one, e);
  return S::add(q.hi, q.lo);
}

// Odd: tanh|x| with the sign of x put back. Below 0.625, x + x^3 p(x^2) (the exp form would lose
// ~12 bits to cancellation near 0); above, 1 - 2 / (e^{2|x|} + 1), which rounds to 1 past ~9
// (float) and reaches exactly 1 when e^{2|x|} overflows.
template <class S>
inline typename S::V tanh(typename S::V x) {
  using V = typename S::V;
  const V sign = S::set1(-0.0), one = S::set1(1.0);
  const V a = S::andnot(sign, x);
  const V u = S::mul(a, a);
  const V small = S::fma(S::mul(u, a), horner<S>(u, TanhConsts<typename S::T>::p), a);
  const V e = exp<S>(S::add(a, a));
  const V large = S::sub(one, S::div(S::set1(2.0), S::add(e, one)));
  const V t = S::blend(large, small, S::lt(a, S::set1(0.625)));
  return S::bor(t, S::band(x, sign));
}

// F over an array in place: full vectors, then the tail through a padded one-vector buffer.
template <class S, typename S::V (*F)(typename S::V)>
void apply(typename S::T* x, i64 n) {
  using T = typename S::T;
  constexpr i64 W = S::W;
  i64 i = 0;
  for (; i + W <= n; i += W) S::store(x + i, F(S::load(x + i)));
  if (i == n) return;
  alignas(64) T tail[W] = {};
  for (i64 j = 0; i + j < n; ++j) tail[j] = x[i + j];
  S::store(tail, F(S::load(tail)));
  for (i64 j = 0; i + j < n; ++j) x[i + j] = tail[j];
}

}  // namespace
}  // namespace fastmlp::simd
