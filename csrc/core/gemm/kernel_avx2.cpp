// AVX2+FMA micro-kernels (a 6x16 float tile and a 6x8 double tile, each two ymm registers per
// row) and the packing of the stride cases training hits, with portable packing for the rest.
// Compiled with -mavx2 -mfma and reached only after the CPU check, so this file is self-contained:
// everything is in an anonymous namespace except the table getter, no standard-library templates
// or shared inline helpers are instantiated here, and no namespace-scope object needs dynamic
// initialisation (see kernels.h). The portable packing it falls back to is only called: pack.h
// declares the templates, pack.cpp instantiates them in baseline code.
#include <immintrin.h>

#include "core/gemm/a_source.h"
#include "core/gemm/epilogue_avx2.h"
#include "core/gemm/kernels.h"
#include "core/gemm/pack.h"
#include "core/gemm/thin.h"

namespace fastmlp::gemm_detail {
namespace {

// One tile, the first min(t.m, 6) rows of t, (+)= sum_p A(0..6, p) x b[p][0..NV W) with A's
// rows from src (a_source.h): per k NV loads of B, six broadcasts of A and 6 NV FMAs. Twelve
// named accumulators: gcc 12 spills an array of them to the stack.
template <class S, int NV, class Src>
__attribute__((noinline)) void tile(i64 kc, Src src, const typename S::T* b,
                                    const TileColumn<typename S::T>& t) {
  using V = typename S::V;
  constexpr i64 W = S::W;
  // C is read and written only after the K loop: start fetching its rows now.
  for (i64 r = 0; r < t.m && r < 6; ++r)
    _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
  V c00 = S::zero(), c01 = S::zero(), c10 = S::zero(), c11 = S::zero();
  V c20 = S::zero(), c21 = S::zero(), c30 = S::zero(), c31 = S::zero();
  V c40 = S::zero(), c41 = S::zero(), c50 = S::zero(), c51 = S::zero();
  for (i64 p = 0; p < kc; ++p) {
    const V b0 = S::load(b), b1 = NV == 2 ? S::load(b + W) : b0;
    V ai = S::bcast(src.row(0));
    c00 = S::fma(ai, b0, c00);
    if constexpr (NV == 2) c01 = S::fma(ai, b1, c01);
    ai = S::bcast(src.row(1));
    c10 = S::fma(ai, b0, c10);
    if constexpr (NV == 2) c11 = S::fma(ai, b1, c11);
    ai = S::bcast(src.row(2));
    c20 = S::fma(ai, b0, c20);
    if constexpr (NV == 2) c21 = S::fma(ai, b1, c21);
    ai = S::bcast(src.row(3));
    c30 = S::fma(ai, b0, c30);
    if constexpr (NV == 2) c31 = S::fma(ai, b1, c31);
    ai = S::bcast(src.row(4));
    c40 = S::fma(ai, b0, c40);
    if constexpr (NV == 2) c41 = S::fma(ai, b1, c41);
    ai = S::bcast(src.row(5));
    c50 = S::fma(ai, b0, c50);
    if constexpr (NV == 2) c51 = S::fma(ai, b1, c51);
    src.next();
    b += 2 * W;
  }
  store_row<S>(c00, c01, 0, t);
  store_row<S>(c10, c11, 1, t);
  store_row<S>(c20, c21, 2, t);
  store_row<S>(c30, c31, 3, t);
  store_row<S>(c40, c41, 4, t);
  store_row<S>(c50, c51, 5, t);
}

// A tile at most W wide (the last column panel of N = 100, say) needs only the left half of the
// FMAs: the padding columns of its panel are not computed.
template <class S, class Src>
void tiles(i64 kc, Src src, const typename S::T* b, const TileColumn<typename S::T>& t) {
  if (t.n <= S::W)
    tile<S, 1>(kc, src, b, t);
  else
    tile<S, 2>(kc, src, b, t);
}

// The column's tiles six rows at a time. Two functions, not one with both loops inlined: that
// cost the full tiles 1-2 % (measured when the driver called a kernel per tile).
template <class S>
void kernel(i64 kc, const typename S::T* a, const typename S::T* b,
            const TileColumn<typename S::T>& col) {
  constexpr i64 MR = 6;
  TileColumn<typename S::T> t = col;
  for (i64 ir = 0; ir < col.m; ir += MR, a += MR * kc, t.c += MR * t.ldc) {
    t.m = col.m - ir;
    tiles<S>(kc, PackedA<typename S::T>(a, kc), b, t);
  }
}

// The same column with A read where it lies (rsa == 1 or csa == 1) instead of packed.
template <class S>
void kernel_in_place(i64 kc, const typename S::T* a, i64 rsa, i64 csa, const typename S::T* b,
                     const TileColumn<typename S::T>& col) {
  using T = typename S::T;
  constexpr i64 MR = 6;
  TileColumn<T> t = col;
  for (i64 ir = 0; ir < col.m; ir += MR, a += MR * rsa, t.c += MR * t.ldc) {
    t.m = col.m - ir;
    if (rsa == 1 && t.m >= MR)
      tiles<S>(kc, ColumnsOfA<T>{a, csa}, b, t);
    else
      tiles<S>(kc, RowsOfA<T, MR>(a, rsa, csa, t.m), b, t);
  }
}

// Packing (contract in pack.h). Only whole panels with a unit stride are vectorised here: rows of
// A or columns of B contiguous (forward X, dZ W^T's W^T: transposes in registers) or the other way
// round (X^T in dW, forward W: plain copies). Edge panels and general strides use pack.cpp's loops.

// r[0..8) rows of 8 -> r[q] = column q.
inline __attribute__((always_inline)) void transpose(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  // u0 holds columns 0 | 4 of rows 0-3, u1 columns 1 | 5, ...; u4-u7 the same of rows 4-7.
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// r[0..4) rows of 4 -> r[q] = column q.
inline __attribute__((always_inline)) void transpose(__m256d r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// 6 values per k from six contiguous rows: 8 k at a time, rows 0-3 through two 4x4 transposes
// (one per 128-bit lane), rows 4-5 interleaved pairwise.
void pack_a_rows(i64 kc, const float* a, i64 rsa, float* out) {
  i64 p = 0;
  for (; p + 8 <= kc; p += 8, out += 48) {
    const float* s = a + p;
    const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + rsa);
    const __m256 r2 = _mm256_loadu_ps(s + 2 * rsa), r3 = _mm256_loadu_ps(s + 3 * rsa);
    const __m256 r4 = _mm256_loadu_ps(s + 4 * rsa), r5 = _mm256_loadu_ps(s + 5 * rsa);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    // Rows 0-3 of k = q | q + 4 in u[q]; rows 4-5 of k = 0, 1 | 4, 5 in v0, of 2, 3 | 6, 7 in v1.
    const __m256 u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                         _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE)};
    const __m256 v0 = _mm256_unpacklo_ps(r4, r5), v1 = _mm256_unpackhi_ps(r4, r5);
    for (int h = 0; h < 2; ++h) {
      float* o = out + 24 * h;
      const __m128 w0 = h ? _mm256_extractf128_ps(v0, 1) : _mm256_castps256_ps128(v0);
      const __m128 w1 = h ? _mm256_extractf128_ps(v1, 1) : _mm256_castps256_ps128(v1);
      for (int q = 0; q < 4; ++q)
        _mm_storeu_ps(o + 6 * q, h ? _mm256_extractf128_ps(u[q], 1) : _mm256_castps256_ps128(u[q]));
      _mm_storel_pi(reinterpret_cast<__m64*>(o + 4), w0);
      _mm_storeh_pi(reinterpret_cast<__m64*>(o + 10), w0);
      _mm_storel_pi(reinterpret_cast<__m64*>(o + 16), w1);
      _mm_storeh_pi(reinterpret_cast<__m64*>(o + 22), w1);
    }
  }
  for (; p < kc; ++p, out += 6)
    for (i64 i = 0; i < 6; ++i) out[i] = a[i * rsa + p];
}

// 4 k at a time: rows 0-3 through a 4x4 transpose, rows 4-5 interleaved pairwise.
void pack_a_rows(i64 kc, const double* a, i64 rsa, double* out) {
  i64 p = 0;
  for (; p + 4 <= kc; p += 4, out += 24) {
    const double* s = a + p;
    __m256d r[4] = {_mm256_loadu_pd(s), _mm256_loadu_pd(s + rsa), _mm256_loadu_pd(s + 2 * rsa),
                    _mm256_loadu_pd(s + 3 * rsa)};
    transpose(r);
    const __m256d r4 = _mm256_loadu_pd(s + 4 * rsa), r5 = _mm256_loadu_pd(s + 5 * rsa);
    // Rows 4-5 of k = 0 | 2 in v0, of k = 1 | 3 in v1.
    const __m256d v0 = _mm256_unpacklo_pd(r4, r5), v1 = _mm256_unpackhi_pd(r4, r5);
    for (int q = 0; q < 4; ++q) _mm256_storeu_pd(out + 6 * q, r[q]);
    _mm_storeu_pd(out + 4, _mm256_castpd256_pd128(v0));
    _mm_storeu_pd(out + 10, _mm256_castpd256_pd128(v1));
    _mm_storeu_pd(out + 16, _mm256_extractf128_pd(v0, 1));
    _mm_storeu_pd(out + 22, _mm256_extractf128_pd(v1, 1));
  }
  for (; p < kc; ++p, out += 6)
    for (i64 i = 0; i < 6; ++i) out[i] = a[i * rsa + p];
}

// 6 contiguous values per k: a copy.
void pack_a_cols(i64 kc, const float* a, i64 csa, float* out) {
  for (i64 p = 0; p < kc; ++p, a += csa, out += 6) {
    _mm_storeu_ps(out, _mm_loadu_ps(a));
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 4),
                  _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(a + 4)));
  }
}

void pack_a_cols(i64 kc, const double* a, i64 csa, double* out) {
  for (i64 p = 0; p < kc; ++p, a += csa, out += 6) {
    _mm256_storeu_pd(out, _mm256_loadu_pd(a));
    _mm_storeu_pd(out + 4, _mm_loadu_pd(a + 4));
  }
}

template <class S>
void pack_a_avx2(i64 mc, i64 kc, const typename S::T* A, i64 rsa, i64 csa, typename S::T* out) {
  constexpr i64 MR = 6;
  for (i64 i0 = 0; i0 < mc; i0 += MR, out += MR * kc) {
    const i64 m = mc - i0 < MR ? mc - i0 : MR;
    const typename S::T* a = A + i0 * rsa;
    if (m == MR && csa == 1)
      pack_a_rows(kc, a, rsa, out);
    else if (m == MR && rsa == 1)
      pack_a_cols(kc, a, csa, out);
    else
      pack_a(m, kc, a, rsa, csa, out);
  }
}

// NR values per k from NR contiguous columns of B: W x W blocks transposed in registers.
template <class S>
void pack_b_cols(i64 kc, const typename S::T* B, i64 csb, typename S::T* out) {
  constexpr i64 W = S::W, NR = 2 * W;
  i64 p = 0;
  for (; p + W <= kc; p += W)
    for (i64 j0 = 0; j0 < NR; j0 += W) {
      typename S::V r[W];
      for (i64 q = 0; q < W; ++q) r[q] = S::load(B + (j0 + q) * csb + p);
      transpose(r);
      for (i64 q = 0; q < W; ++q) S::store(out + (p + q) * NR + j0, r[q]);
    }
  for (; p < kc; ++p)
    for (i64 j = 0; j < NR; ++j) out[p * NR + j] = B[j * csb + p];
}

template <class S>
void pack_b_avx2(i64 kc, i64 n, const typename S::T* B, i64 rsb, i64 csb, typename S::T* out) {
  constexpr i64 W = S::W, NR = 2 * W;
  if (n == NR && csb == 1) {
    for (i64 p = 0; p < kc; ++p, B += rsb, out += NR) {
      S::store(out, S::load(B));
      S::store(out + W, S::load(B + W));
    }
  } else if (n == NR && rsb == 1) {
    pack_b_cols<S>(kc, B, csb, out);
  } else {
    pack_b_panel(kc, n, B, rsb, csb, out);
  }
}

static_assert(Blocking<float>::MR == 6 && Blocking<float>::NR == 2 * F32::W, "6x16 float tile");
static_assert(Blocking<double>::MR == 6 && Blocking<double>::NR == 2 * F64::W, "6x8 double tile");

constexpr GemmKernels kTable = {
    "avx2+fma",
    {kernel<F32>, 1, pack_a_avx2<F32>, pack_b_avx2<F32>, thin_rows<F32>, kernel_in_place<F32>},
    {kernel<F64>, 1, pack_a_avx2<F64>, pack_b_avx2<F64>, thin_rows<F64>, kernel_in_place<F64>}};

}  // namespace

const GemmKernels& avx2_gemm_kernels() { return kTable; }

}  // namespace fastmlp::gemm_detail
