// AVX2+FMA array math (compiled with -mavx2 -mfma; self-contained, see vmath_kernels.h).
#include "core/simd/vmath_avx2.h"

#include "core/simd/vmath_kernels.h"

namespace fastmlp::simd {
namespace {

constexpr VmathKernels kTable = {
    {apply<Ps, exp<Ps>>, apply<Ps, sigmoid<Ps>>, apply<Ps, tanh<Ps>>, apply<Ps, softplus_ps>},
    {apply<Pd, exp<Pd>>, apply<Pd, sigmoid<Pd>>, apply<Pd, tanh<Pd>>, apply<Pd, softplus_pd>}};

}  // namespace

const VmathKernels& avx2_vmath_kernels() { return kTable; }

}  // namespace fastmlp::simd
