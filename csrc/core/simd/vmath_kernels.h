// Per-ISA tables of the float32 array math behind core/vmath.h. Plain types only: this header is
// included by the AVX2 translation unit (see core/gemm/kernels.h on the ODR hazard).
#pragma once
#include "core/common.h"

namespace fastmlp::simd {

struct VmathKernels {
  void (*exp)(float* x, i64 n);
  void (*sigmoid)(float* x, i64 n);
  void (*tanh)(float* x, i64 n);
};

const VmathKernels& generic_vmath_kernels();
#if defined(FASTMLP_HAVE_AVX2)
const VmathKernels& avx2_vmath_kernels();
#endif

}  // namespace fastmlp::simd
