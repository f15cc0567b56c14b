// exp, sigmoid and tanh on 8 floats for the AVX2+FMA translation units only (they need -mavx2
// -mfma). Everything has internal linkage so no copy of it can leak into baseline code (ODR).
//
// Measured against float64 numpy over every 61st float32 plus edge values (tests/test_vmath.py):
// max error exp 0.996 ulp, sigmoid 1.47 ulp, tanh 1.30 ulp. Saturation is exact (exp -> inf / 0
// with correctly rounded subnormals in between, sigmoid -> 0 / 1, tanh -> +-1) and NaN propagates.
// Coefficients were fitted for this file by fit_vmath.py beside it.
#pragma once
#include <immintrin.h>

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

// 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0, with e = exp(-|x|) <= 1: no overflow.
// 1 + e is carried as d + dl (exact, since e <= 1) and the quotient corrected by the exact FMA
// remainder, so only exp's error and one rounding remain (2.3 ulp without the correction).
inline __m256 sigmoid_ps(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_ps(_mm256_or_ps(x, sign));  // exp(-|x|)
  const __m256 d = _mm256_add_ps(one, e);
  const __m256 dl = _mm256_add_ps(_mm256_sub_ps(one, d), e);
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 num = _mm256_blendv_ps(one, e, neg);
  const __m256 q = _mm256_div_ps(num, d);
  const __m256 rem = _mm256_fnmadd_ps(q, dl, _mm256_fnmadd_ps(q, d, num));  // num - q (d + dl)
  return _mm256_add_ps(q, _mm256_div_ps(rem, d));
}

// Odd: tanh|x| with the sign of x put back. Below 0.625, x + x^3 p(x^2) (the exp form would lose
// ~12 bits to cancellation near 0); above, 1 - 2 / (e^{2|x|} + 1), which rounds to 1 past ~9 and
// reaches exactly 1 when e^{2|x|} overflows.
inline __m256 tanh_ps(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 a = _mm256_andnot_ps(sign, x);
  const __m256 u = _mm256_mul_ps(a, a);
  __m256 p = _mm256_set1_ps(-8.051985e-04f);
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(3.2316085e-03f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-8.753072e-03f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(2.1850506e-02f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-5.396648e-02f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(1.3333325e-01f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-3.3333334e-01f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(u, a), p, a);
  const __m256 e = exp_ps(_mm256_add_ps(a, a));
  const __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  const __m256 is_small = _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  const __m256 t = _mm256_blendv_ps(large, small, is_small);
  return _mm256_or_ps(t, _mm256_and_ps(x, sign));
}

}  // namespace
}  // namespace fastmlp::simd
