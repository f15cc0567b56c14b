// exp, sigmoid, tanh and softplus on 8 floats or 4 doubles for the AVX2+FMA translation units only
// (they need -mavx2 -mfma). Everything has internal linkage so no copy of it can leak into
// baseline code (ODR). exp and softplus are written per precision (the exponent field differs;
// float softplus finishes in double); sigmoid and tanh are written once over the lane traits Ps (8
// floats) and Pd (4 doubles), which the GEMM kernels use too.
//
// Measured by tests/test_vmath.py. float32, against float64 numpy over every 61st float32 plus
// edge values: max error exp 0.996 ulp, sigmoid 1.47 ulp, tanh 1.30 ulp, softplus 1.44 ulp (1.49
// over every float32). float64, against extended-precision numpy over random bit patterns and
// dense grids: exp 1.04 ulp, sigmoid 1.48 ulp, tanh 1.29 ulp, softplus 1.50 ulp (1.54 over 10^8
// random points in [-700, 40]). Saturation is exact (exp -> inf / 0, with subnormals in between
// rounded once by the final scaling; sigmoid -> 0 / 1, tanh -> +-1, softplus -> 0 / x) and NaN
// propagates. exp's and tanh's coefficients were fitted for this file by fit_vmath.py beside it;
// softplus's are its series' own.
#pragma once
#include <immintrin.h>

#include "core/common.h"

namespace fastmlp::simd {
namespace {

// exp(x) = 2^n e^r with n = round(x / ln2), r = x - n ln2 (two-part ln2 so r keeps its low bits),
// e^r = 1 + r + r^2 q(r) on |r| <= ln2/2. 2^n is applied as two halves so results down to the
// smallest subnormal are rounded once, and past +88.72 the product overflows to inf by itself.
inline __m256 exp_ps(__m256 x) {
  const __m256 hi = _mm256_set1_ps(89.0f), lo = _mm256_set1_ps(-104.0f);
  // max/min return their second operand when either is NaN: x stays NaN.
  x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);  // ln2, upper bits
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860682030941723e-6f), r);    // ln2, the rest
  __m256 q = _mm256_set1_ps(1.3814612e-03f);
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(8.36871e-03f));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(4.166839e-02f));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.6666521e-01f));
  q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(4.9999994e-01f));
  const __m256 er = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(r, r), q, r), _mm256_set1_ps(1.0f));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(er, s1), s2);
}

// 2^k for integer-valued k in [-1022, 1023], built in the exponent field: adding 1.5 * 2^52 puts k
// in the low mantissa bits (AVX2 has no double -> int64 conversion).
inline __m256d pow2_pd(__m256d k) {
  const __m256d magic = _mm256_set1_pd(0x1.8p52);
  const __m256i ki = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(k, magic)),
                                      _mm256_castpd_si256(magic));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(ki, _mm256_set1_epi64x(1023)), 52));
}

// As exp_ps: n = round(x / ln2), r = x - n ln2 with ln2 in two parts (the upper one has trailing
// zeros, so n ln2_hi is exact), e^r = 1 + r + r^2 q(r), then 2^n applied as two halves.
inline __m256d exp_pd(__m256d x) {
  const __m256d hi = _mm256_set1_pd(710.0), lo = _mm256_set1_pd(-746.0);
  x = _mm256_min_pd(hi, _mm256_max_pd(lo, x));  // NaN stays NaN, as in exp_ps
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(0x1.71547652b82fep0)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0x1.62e42feep-1), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0x1.a39ef35793c76p-33), r);
  __m256d q = _mm256_set1_pd(0x1.af389ecfc4b9cp-26);
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.28917c89a43a7p-22));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.71de0db2f6b19p-19));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.a019b9149a41cp-16));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.a01a01a7c2efep-13));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.6c16c17889ef1p-10));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.11111111109b5p-7));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.5555555553d68p-5));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.5555555555556p-3));
  q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0x1.0000000000001p-1));
  const __m256d er =
      _mm256_add_pd(_mm256_fmadd_pd(_mm256_mul_pd(r, r), q, r), _mm256_set1_pd(1.0));
  const __m256d n1 = _mm256_floor_pd(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
  const __m256d n2 = _mm256_sub_pd(n, n1);
  return _mm256_mul_pd(_mm256_mul_pd(er, pow2_pd(n1)), pow2_pd(n2));
}

// The odd polynomial of tanh below 0.625: p(u) with tanh x = x + x^3 p(x^2).
inline __m256 tanh_poly_ps(__m256 u) {
  __m256 p = _mm256_set1_ps(-8.051985e-04f);
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(3.2316085e-03f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-8.753072e-03f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(2.1850506e-02f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-5.396648e-02f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(1.3333325e-01f));
  return _mm256_fmadd_ps(p, u, _mm256_set1_ps(-3.3333334e-01f));
}

inline __m256d tanh_poly_pd(__m256d u) {
  __m256d p = _mm256_set1_pd(0x1.b33642a122cddp-18);
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(-0x1.05bbdae896297p-15));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(0x1.8445870f6fe41p-14));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(-0x1.f243823c8c981p-13));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(0x1.3526e9ed54da1p-11));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(-0x1.7d9f6f23e8682p-10));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(0x1.d6d39ae3905e2p-9));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(-0x1.226e3473dce5cp-7));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(0x1.664f487e0a749p-6));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(-0x1.ba1ba1ba0f126p-5));
  p = _mm256_fmadd_pd(p, u, _mm256_set1_pd(0x1.11111111110a8p-3));
  return _mm256_fmadd_pd(p, u, _mm256_set1_pd(-0x1.5555555555555p-2));
}

// Lane traits: one AVX2 register of T and the operations the kernels need, by name.
struct Ps {
  using T = float;
  using V = __m256;
  static constexpr i64 W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(T v) { return _mm256_set1_ps(v); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a b
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static V lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static V band(V a, V b) { return _mm256_and_ps(a, b); }
  static V bor(V a, V b) { return _mm256_or_ps(a, b); }
  static V andnot(V a, V b) { return _mm256_andnot_ps(a, b); }  // ~a & b
  static V blend(V f, V t, V mask) { return _mm256_blendv_ps(f, t, mask); }
  static V exp(V v) { return exp_ps(v); }
  static V tanh_poly(V u) { return tanh_poly_ps(u); }
};

struct Pd {
  using T = double;
  using V = __m256d;
  static constexpr i64 W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(T v) { return _mm256_set1_pd(v); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V div(V a, V b) { return _mm256_div_pd(a, b); }
  static V max(V a, V b) { return _mm256_max_pd(a, b); }
  static V gt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  static V lt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
  static V band(V a, V b) { return _mm256_and_pd(a, b); }
  static V bor(V a, V b) { return _mm256_or_pd(a, b); }
  static V andnot(V a, V b) { return _mm256_andnot_pd(a, b); }
  static V blend(V f, V t, V mask) { return _mm256_blendv_pd(f, t, mask); }
  static V exp(V v) { return exp_pd(v); }
  static V tanh_poly(V u) { return tanh_poly_pd(u); }
};

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
  const V e = S::exp(S::bor(x, sign));  // exp(-|x|)
  const V num = S::blend(one, e, S::lt(x, S::zero()));
  const Quotient<S> q = div_by_sum<S>(num, one, e);
  return S::add(q.hi, q.lo);
}

// log1p(e) for e in [0, 1] as 2 atanh(t) with t = e / (2 + e) <= 1/3, given t as hi + lo: the
// series 2t (1 + t^2/3 + t^4/5 + ...) to t^(2 terms). The first term left out is at most
// (1/9)^(terms + 1) / (2 terms + 3) of the sum, and all of them together 9/8 of that: 2^-55 for
// 15 terms, 2^-32 for 8. 2 hi is added last, so its rounding is the result's only large one.
template <int terms>
inline __m256d log1p_from_t_pd(__m256d hi, __m256d lo) {
  using S = Pd;
  const __m256d u = S::mul(hi, hi), t2 = S::add(hi, hi);
  __m256d p = S::set1(1.0 / (2 * terms + 1));
  for (int k = terms - 1; k >= 1; --k) p = S::fma(p, u, S::set1(1.0 / (2 * k + 1)));
  return S::add(t2, S::fma(S::mul(t2, u), p, S::add(lo, lo)));
}

// log(1 + e^x) = max(x, 0) + log1p(e) with e = exp(-|x|) <= 1: no overflow, and no cancellation
// for x far below 0, where the result is e itself. max returns its second operand, 0, for NaN, and
// exp carries the NaN into the sum.
inline __m256d softplus_pd(__m256d x) {
  using S = Pd;
  const __m256d e = S::exp(S::bor(x, S::set1(-0.0)));
  const Quotient<S> t = div_by_sum<S>(e, S::set1(2.0), e);
  return S::add(S::max(x, S::zero()), log1p_from_t_pd<15>(t.hi, t.lo));
}

// float: e from the float exp, the rest in double (where t's plain quotient and 8 terms are far
// below float's precision) and rounded once, so exp's error and that rounding are all that remain.
inline __m256 softplus_ps(__m256 x) {
  const __m256 e = exp_ps(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
  const auto half = [](__m128 x4, __m128 e4) {
    const __m256d ed = _mm256_cvtps_pd(e4);
    const __m256d t = _mm256_div_pd(ed, _mm256_add_pd(_mm256_set1_pd(2.0), ed));
    const __m256d sum = _mm256_add_pd(_mm256_max_pd(_mm256_cvtps_pd(x4), _mm256_setzero_pd()),
                                      log1p_from_t_pd<8>(t, _mm256_setzero_pd()));
    return _mm256_cvtpd_ps(sum);
  };
  return _mm256_set_m128(half(_mm256_extractf128_ps(x, 1), _mm256_extractf128_ps(e, 1)),
                         half(_mm256_castps256_ps128(x), _mm256_castps256_ps128(e)));
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
  const V small = S::fma(S::mul(u, a), S::tanh_poly(u), a);
  const V e = S::exp(S::add(a, a));
  const V large = S::sub(one, S::div(S::set1(2.0), S::add(e, one)));
  const V t = S::blend(large, small, S::lt(a, S::set1(0.625)));
  return S::bor(t, S::band(x, sign));
}

}  // namespace
}  // namespace fastmlp::simd
