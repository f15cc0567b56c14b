// AVX2+FMA array math (compiled with -mavx2 -mfma; self-contained, see vmath_kernels.h).
#include "core/simd/vmath_avx2.h"

#include "core/simd/vmath_kernels.h"

namespace fastmlp::simd {
namespace {

// Full vectors in place; the tail goes through a padded one-vector buffer.
template <__m256 (*F)(__m256)>
void apply(float* x, i64 n) {
  i64 i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, F(_mm256_loadu_ps(x + i)));
  if (i == n) return;
  alignas(32) float tail[8] = {};
  for (i64 j = 0; i + j < n; ++j) tail[j] = x[i + j];
  _mm256_store_ps(tail, F(_mm256_load_ps(tail)));
  for (i64 j = 0; i + j < n; ++j) x[i + j] = tail[j];
}

template <__m256d (*F)(__m256d)>
void apply(double* x, i64 n) {
  i64 i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, F(_mm256_loadu_pd(x + i)));
  if (i == n) return;
  alignas(32) double tail[4] = {};
  for (i64 j = 0; i + j < n; ++j) tail[j] = x[i + j];
  _mm256_store_pd(tail, F(_mm256_load_pd(tail)));
  for (i64 j = 0; i + j < n; ++j) x[i + j] = tail[j];
}

constexpr VmathKernels kTable = {{apply<exp_ps>, apply<sigmoid_ps>, apply<tanh_ps>},
                                 {apply<exp_pd>, apply<sigmoid_pd>, apply<tanh_pd>}};

}  // namespace

const VmathKernels& avx2_vmath_kernels() { return kTable; }

}  // namespace fastmlp::simd
