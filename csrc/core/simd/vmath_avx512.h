// The AVX-512F lane traits Zs (16 floats) and Zd (8 doubles) for vmath_lanes.h's exp, sigmoid and
// tanh, with what the AVX-512 GEMM kernels need besides (broadcasts, masked edge loads and stores,
// the activations' masks). The same steps as the AVX2 traits,
// so the same bits; exp's 2^n is one vscalefps/pd, which rounds once as the AVX2 two-step scaling
// does. For the AVX-512 translation units only (they need -mavx512f): internal linkage (ODR).
#pragma once
#include <immintrin.h>

#include "core/common.h"
#include "core/simd/vmath_lanes.h"

namespace fastmlp::simd {
namespace {

// Bitwise operations through the integer view (AVX-512F has no float and/or). min, max, round,
// scale2 (one rounding) and andnot are masked with every lane on: the unmasked intrinsics'
// undefined pass-through operand makes gcc 12 warn (-Wmaybe-uninitialized) at every inlined use.
// The same instructions otherwise.
struct Zs {
  using T = float;
  using V = __m512;
  using Mask = __mmask16;
  static constexpr i64 W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(T v) { return _mm512_set1_ps(v); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a b
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V max(V a, V b) { return _mm512_maskz_max_ps(Mask(~0u), a, b); }
  static V min(V a, V b) { return _mm512_maskz_min_ps(Mask(~0u), a, b); }
  static V round(V v) {
    return _mm512_maskz_roundscale_ps(Mask(~0u), v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static V scale2(V v, V n) { return _mm512_maskz_scalef_ps(Mask(~0u), v, n); }  // v 2^n
  static Mask lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static V band(V a, V b) { return bits(_mm512_and_si512(bits(a), bits(b))); }
  static V bor(V a, V b) { return bits(_mm512_or_si512(bits(a), bits(b))); }
  static V andnot(V a, V b) {  // ~a & b
    return bits(_mm512_maskz_andnot_epi64(__mmask8(~0u), bits(a), bits(b)));
  }
  static V blend(V f, V t, Mask m) { return _mm512_mask_blend_ps(m, f, t); }  // m ? t : f
  static V bcast(const T* p) { return set1(*p); }
  static Mask first(i64 n) { return Mask((1u << n) - 1); }  // lanes [0, n)
  static V load(Mask m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(T* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V or_zero(Mask m, V v) { return _mm512_maskz_mov_ps(m, v); }  // m ? v : 0
 private:
  static __m512i bits(V v) { return _mm512_castps_si512(v); }
  static V bits(__m512i v) { return _mm512_castsi512_ps(v); }
};

struct Zd {
  using T = double;
  using V = __m512d;
  using Mask = __mmask8;
  static constexpr i64 W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(T v) { return _mm512_set1_pd(v); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm512_fnmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V div(V a, V b) { return _mm512_div_pd(a, b); }
  static V max(V a, V b) { return _mm512_maskz_max_pd(Mask(~0u), a, b); }
  static V min(V a, V b) { return _mm512_maskz_min_pd(Mask(~0u), a, b); }
  static V round(V v) {
    return _mm512_maskz_roundscale_pd(Mask(~0u), v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static V scale2(V v, V n) { return _mm512_maskz_scalef_pd(Mask(~0u), v, n); }
  static Mask lt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  static V band(V a, V b) { return bits(_mm512_and_si512(bits(a), bits(b))); }
  static V bor(V a, V b) { return bits(_mm512_or_si512(bits(a), bits(b))); }
  static V andnot(V a, V b) {
    return bits(_mm512_maskz_andnot_epi64(__mmask8(~0u), bits(a), bits(b)));
  }
  static V blend(V f, V t, Mask m) { return _mm512_mask_blend_pd(m, f, t); }
  static V bcast(const T* p) { return set1(*p); }
  static Mask first(i64 n) { return Mask((1u << n) - 1); }
  static V load(Mask m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void store(T* p, Mask m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static V or_zero(Mask m, V v) { return _mm512_maskz_mov_pd(m, v); }
 private:
  static __m512i bits(V v) { return _mm512_castpd_si512(v); }
  static V bits(__m512i v) { return _mm512_castsi512_pd(v); }
};

}  // namespace
}  // namespace fastmlp::simd
