#include "core/vmath.h"

#include <cmath>

#include "core/simd/isa.h"
#include "core/simd/scalar_math.h"
#include "core/simd/vmath_kernels.h"

namespace fastmlp {
namespace {

const simd::VmathKernels& table() {
#if defined(FASTMLP_HAVE_AVX2)
  static const simd::VmathKernels& t = active_isa() == Isa::Avx2Fma ? simd::avx2_vmath_kernels()
                                                                    : simd::generic_vmath_kernels();
  return t;
#else
  return simd::generic_vmath_kernels();
#endif
}

}  // namespace

template <>
void vexp<float>(float* x, i64 n) { table().exp(x, n); }
template <>
void vsigmoid<float>(float* x, i64 n) { table().sigmoid(x, n); }
template <>
void vtanh<float>(float* x, i64 n) { table().tanh(x, n); }

template <>
void vexp<double>(double* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}
template <>
void vsigmoid<double>(double* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = simd::stable_sigmoid(x[i]);
}
template <>
void vtanh<double>(double* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

}  // namespace fastmlp
