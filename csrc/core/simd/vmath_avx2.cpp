// AVX2+FMA array math (compiled with -mavx2 -mfma; self-contained, see vmath_kernels.h).
#include "core/simd/vmath_avx2.h"

#include "core/simd/vmath_kernels.h"

namespace fastmlp::simd {
namespace {

// Full vectors in place; the tail goes through a padded one-vector buffer.
template <class S, typename S::V (*F)(typename S::V)>
void apply(typename S::T* x, i64 n) {
  using T = typename S::T;
  constexpr i64 W = S::W;
  i64 i = 0;
  for (; i + W <= n; i += W) S::store(x + i, F(S::load(x + i)));
  if (i == n) return;
  alignas(32) T tail[W] = {};
  for (i64 j = 0; i + j < n; ++j) tail[j] = x[i + j];
  S::store(tail, F(S::load(tail)));
  for (i64 j = 0; i + j < n; ++j) x[i + j] = tail[j];
}

constexpr VmathKernels kTable = {
    {apply<Ps, exp_ps>, apply<Ps, sigmoid<Ps>>, apply<Ps, tanh<Ps>>, apply<Ps, softplus_ps>},
    {apply<Pd, exp_pd>, apply<Pd, sigmoid<Pd>>, apply<Pd, tanh<Pd>>, apply<Pd, softplus_pd>}};

}  // namespace

const VmathKernels& avx2_vmath_kernels() { return kTable; }

}  // namespace fastmlp::simd
