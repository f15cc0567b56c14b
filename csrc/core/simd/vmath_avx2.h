// The AVX2+FMA lane traits Ps (8 floats) and Pd (4 doubles) for vmath_lanes.h's exp, sigmoid and
// tanh (the GEMM kernels use them too), and softplus, written per precision (float finishes in
// double). For the AVX2+FMA translation units only (they need -mavx2 -mfma); everything has
// internal linkage so no copy of it can leak into baseline code (ODR).
//
// softplus, measured by tests/test_vmath.py as vmath_lanes.h says: float32 1.44 ulp (1.49 over
// every float32), float64 1.50 ulp (1.54 over 10^8 random points in [-700, 40]); 0 / x at the
// ends, and NaN propagates. Its coefficients are its series' own.
#pragma once
#include <immintrin.h>

#include "core/common.h"
#include "core/simd/vmath_lanes.h"

namespace fastmlp::simd {
namespace {

// 2^k for integer-valued k in [-1022, 1023], built in the exponent field: adding 1.5 * 2^52 puts k
// in the low mantissa bits (AVX2 has no double -> int64 conversion).
inline __m256d pow2_pd(__m256d k) {
  const __m256d magic = _mm256_set1_pd(0x1.8p52);
  const __m256i ki = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(k, magic)),
                                      _mm256_castpd_si256(magic));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(ki, _mm256_set1_epi64x(1023)), 52));
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
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V round(V v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // v 2^n (n integer-valued) as v 2^(n >> 1) 2^(n - (n >> 1)): exact but for the second product,
  // which alone rounds, down to the smallest subnormal.
  static V scale2(V v, V n) {
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    const __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(v, s1), s2);
  }
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
  static V min(V a, V b) { return _mm256_min_pd(a, b); }
  static V round(V v) { return _mm256_round_pd(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // As Ps::scale2, the halves floor(n / 2) and the rest.
  static V scale2(V v, V n) {
    const __m256d n1 = _mm256_floor_pd(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
    const __m256d n2 = _mm256_sub_pd(n, n1);
    return _mm256_mul_pd(_mm256_mul_pd(v, pow2_pd(n1)), pow2_pd(n2));
  }
};

// log1p(e) for e in [0, 1] as 2 atanh(t) with t = e / (2 + e) <= 1/3, given t as hi + lo: the
// series 2t (1 + t^2/3 + t^4/5 + ...) to t^(2 terms). The first term left out is at most
// (1/9)^(terms + 1) / (2 terms + 3) of the sum, and all of them together 9/8 of that: 2^-55 for
// 15 terms, 2^-32 for 8. 2 hi is added last, so its rounding is the result's only large one.
template <int terms>
struct AtanhSeries {
  double c[terms];  // 1 / (2 terms + 1), ..., 1/5, 1/3: highest power first, as horner takes them
  constexpr AtanhSeries() : c{} {
    for (int k = 0; k < terms; ++k) c[k] = 1.0 / (2 * (terms - k) + 1);
  }
};
template <int terms>
inline __m256d log1p_from_t_pd(__m256d hi, __m256d lo) {
  using S = Pd;
  static constexpr AtanhSeries<terms> series{};
  const __m256d u = S::mul(hi, hi), t2 = S::add(hi, hi);
  return S::add(t2, S::fma(S::mul(t2, u), horner<S>(u, series.c), S::add(lo, lo)));
}

// log(1 + e^x) = max(x, 0) + log1p(e) with e = exp(-|x|) <= 1: no overflow, and no cancellation
// for x far below 0, where the result is e itself. max returns its second operand, 0, for NaN, and
// exp carries the NaN into the sum.
inline __m256d softplus_pd(__m256d x) {
  using S = Pd;
  const __m256d e = exp<S>(S::bor(x, S::set1(-0.0)));
  const Quotient<S> t = div_by_sum<S>(e, S::set1(2.0), e);
  return S::add(S::max(x, S::zero()), log1p_from_t_pd<15>(t.hi, t.lo));
}

// float: e from the float exp, the rest in double (where t's plain quotient and 8 terms are far
// below float's precision) and rounded once, so exp's error and that rounding are all that remain.
inline __m256 softplus_ps(__m256 x) {
  const __m256 e = exp<Ps>(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
  const auto half = [](__m128 x4, __m128 e4) {
    using S = Pd;
    const __m256d ed = _mm256_cvtps_pd(e4);
    const __m256d t = S::div(ed, S::add(S::set1(2.0), ed));
    const __m256d sum = S::add(S::max(_mm256_cvtps_pd(x4), S::zero()),
                               log1p_from_t_pd<8>(t, S::zero()));
    return _mm256_cvtpd_ps(sum);
  };
  return _mm256_set_m128(half(_mm256_extractf128_ps(x, 1), _mm256_extractf128_ps(e, 1)),
                         half(_mm256_castps256_ps128(x), _mm256_castps256_ps128(e)));
}

}  // namespace
}  // namespace fastmlp::simd
