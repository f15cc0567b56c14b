// AVX-512F array math (compiled with -mavx512f; self-contained, see vmath_kernels.h): exp, sigmoid
// and tanh on zmm registers, bitwise the AVX2 results; softplus, which runs in double for
// float, is the AVX2 one.
#include "core/simd/vmath_avx512.h"

#include "core/simd/vmath_kernels.h"

namespace fastmlp::simd {

const VmathKernels& avx512_vmath_kernels() {
  static const VmathKernels table = [] {
    VmathKernels t = avx2_vmath_kernels();
    t.s.exp = apply<Zs, exp<Zs>>;
    t.s.sigmoid = apply<Zs, sigmoid<Zs>>;
    t.s.tanh = apply<Zs, tanh<Zs>>;
    t.d.exp = apply<Zd, exp<Zd>>;
    t.d.sigmoid = apply<Zd, sigmoid<Zd>>;
    t.d.tanh = apply<Zd, tanh<Zd>>;
    return t;
  }();
  return table;
}

}  // namespace fastmlp::simd
