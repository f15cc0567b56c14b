// Per-ISA tables of the array math behind core/vmath.h. Plain types only: this header is
// included by the AVX2 and AVX-512 translation units (see core/gemm/kernels.h on the ODR hazard).
#pragma once
#include "core/common.h"

namespace fastmlp::simd {

template <class T>
struct VmathOps {
  void (*exp)(T* x, i64 n);
  void (*sigmoid)(T* x, i64 n);
  void (*tanh)(T* x, i64 n);
  void (*softplus)(T* x, i64 n);
};

struct VmathKernels {
  VmathOps<float> s;
  VmathOps<double> d;
};

const VmathKernels& generic_vmath_kernels();
#if defined(FASTMLP_HAVE_AVX2)
const VmathKernels& avx2_vmath_kernels();
#endif
#if defined(FASTMLP_HAVE_AVX512)
const VmathKernels& avx512_vmath_kernels();
#endif

}  // namespace fastmlp::simd
