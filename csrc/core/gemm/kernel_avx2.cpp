// AVX2+FMA micro-kernels: a 6x16 float tile and a 6x8 double tile, each two ymm registers per row.
// Compiled with -mavx2 -mfma and reached only after the CPU check, so this file is self-contained:
// everything is in an anonymous namespace except the table getter, no standard-library templates
// or shared inline helpers are instantiated here, and no namespace-scope object needs dynamic
// initialisation (see kernels.h).
#include <immintrin.h>

#include "core/gemm/kernels.h"
#include "core/simd/vmath_avx2.h"

namespace fastmlp::gemm_detail {
namespace {

struct F32 {
  using T = float;
  using V = __m256;
  static constexpr i64 W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(T v) { return _mm256_set1_ps(v); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static V band(V a, V b) { return _mm256_and_ps(a, b); }
  static V blend(V f, V t, V mask) { return _mm256_blendv_ps(f, t, mask); }
  static V sigmoid(V v) { return simd::sigmoid_ps(v); }
  static V tanh(V v) { return simd::tanh_ps(v); }
};

// No vector exp for double: the driver applies sigmoid/tanh after the kernel (dgemm_exp false).
struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr i64 W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(T v) { return _mm256_set1_pd(v); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V max(V a, V b) { return _mm256_max_pd(a, b); }
  static V gt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  static V band(V a, V b) { return _mm256_and_pd(a, b); }
  static V blend(V f, V t, V mask) { return _mm256_blendv_pd(f, t, mask); }
  static V sigmoid(V v) { return v; }
  static V tanh(V v) { return v; }
};

// Same results as activation_forward: relu and step send NaN to 0 (z > 0 ? ... : 0), leaky_relu
// keeps it. max(z, 0) returns its second operand, 0, when z is NaN.
template <class S>
typename S::V activate(typename S::V v, Act act, typename S::T alpha) {
  switch (act) {
    case Act::Sigmoid:
      return S::sigmoid(v);
    case Act::Tanh:
      return S::tanh(v);
    case Act::Relu:
      return S::max(v, S::zero());
    case Act::LeakyRelu:
      return S::blend(S::mul(v, S::set1(alpha)), v, S::gt(v, S::zero()));
    case Act::Step:
      return S::band(S::gt(v, S::zero()), S::set1(1));
    case Act::Linear:
    case Act::Softmax:  // never fused (whole rows): the caller passes a linear epilogue
      return v;
  }
  return v;
}

// One row of the tile: v0, v1 hold columns [0, W) and [W, 2W).
template <class S>
inline __attribute__((always_inline)) void store_row(typename S::V v0, typename S::V v1, i64 r, const MicroTile<typename S::T>& t) {
  using T = typename S::T;
  constexpr i64 NR = 2 * S::W;
  if (r >= t.m) return;
  T* c = t.c + r * t.ldc;
  if (t.n == NR) {
    if (t.load_c) {
      v0 = S::add(v0, S::load(c));
      v1 = S::add(v1, S::load(c + S::W));
    }
    if (t.bias) {
      v0 = S::add(v0, S::load(t.bias));
      v1 = S::add(v1, S::load(t.bias + S::W));
    }
    if (t.last) {
      v0 = activate<S>(v0, t.act, t.alpha);
      v1 = activate<S>(v1, t.act, t.alpha);
    }
    S::store(c, v0);
    S::store(c + S::W, v1);
    return;
  }
  // Edge tile: go through a padded row so that nothing past column n is read or written.
  alignas(32) T buf[NR] = {};
  if (t.load_c) {
    for (i64 j = 0; j < t.n; ++j) buf[j] = c[j];
    v0 = S::add(v0, S::load(buf));
    v1 = S::add(v1, S::load(buf + S::W));
  }
  if (t.bias) {
    for (i64 j = 0; j < t.n; ++j) buf[j] = t.bias[j];
    v0 = S::add(v0, S::load(buf));
    v1 = S::add(v1, S::load(buf + S::W));
  }
  if (t.last) {
    v0 = activate<S>(v0, t.act, t.alpha);
    v1 = activate<S>(v1, t.act, t.alpha);
  }
  S::store(buf, v0);
  S::store(buf + S::W, v1);
  for (i64 j = 0; j < t.n; ++j) c[j] = buf[j];
}

// C tile (+)= sum_p a[p][0..6) x b[p][0..2W): per k two loads of B, six broadcasts of A and twelve
// FMAs. Twelve named accumulators: gcc 12 spills an array of them to the stack.
template <class S>
void kernel(i64 kc, const typename S::T* a, const typename S::T* b,
            const MicroTile<typename S::T>& t) {
  using V = typename S::V;
  constexpr i64 W = S::W;
  // C is read and written only after the K loop: start fetching its rows now.
  for (i64 r = 0; r < t.m; ++r) _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
  V c00 = S::zero(), c01 = S::zero(), c10 = S::zero(), c11 = S::zero();
  V c20 = S::zero(), c21 = S::zero(), c30 = S::zero(), c31 = S::zero();
  V c40 = S::zero(), c41 = S::zero(), c50 = S::zero(), c51 = S::zero();
  for (i64 p = 0; p < kc; ++p) {
    const V b0 = S::load(b), b1 = S::load(b + W);
    V ai = S::bcast(a + 0);
    c00 = S::fma(ai, b0, c00);
    c01 = S::fma(ai, b1, c01);
    ai = S::bcast(a + 1);
    c10 = S::fma(ai, b0, c10);
    c11 = S::fma(ai, b1, c11);
    ai = S::bcast(a + 2);
    c20 = S::fma(ai, b0, c20);
    c21 = S::fma(ai, b1, c21);
    ai = S::bcast(a + 3);
    c30 = S::fma(ai, b0, c30);
    c31 = S::fma(ai, b1, c31);
    ai = S::bcast(a + 4);
    c40 = S::fma(ai, b0, c40);
    c41 = S::fma(ai, b1, c41);
    ai = S::bcast(a + 5);
    c50 = S::fma(ai, b0, c50);
    c51 = S::fma(ai, b1, c51);
    a += 6;
    b += 2 * W;
  }
  store_row<S>(c00, c01, 0, t);
  store_row<S>(c10, c11, 1, t);
  store_row<S>(c20, c21, 2, t);
  store_row<S>(c30, c31, 3, t);
  store_row<S>(c40, c41, 4, t);
  store_row<S>(c50, c51, 5, t);
}

static_assert(Blocking<float>::MR == 6 && Blocking<float>::NR == 2 * F32::W, "6x16 float tile");
static_assert(Blocking<double>::MR == 6 && Blocking<double>::NR == 2 * F64::W, "6x8 double tile");

constexpr GemmKernels kTable = {"avx2+fma", kernel<F32>, kernel<F64>, false};

}  // namespace

const GemmKernels& avx2_gemm_kernels() { return kTable; }

}  // namespace fastmlp::gemm_detail
