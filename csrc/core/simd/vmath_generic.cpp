// Portable float32 array math: the C library, one element at a time. Sigmoid and tanh go through
// double so the float result is rounded once (float tanhf and a float sigmoid reach 2.3 ulp).
#include <cmath>

#include "core/simd/scalar_math.h"
#include "core/simd/vmath_kernels.h"

namespace fastmlp::simd {
namespace {

void exp_array(float* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

void sigmoid_array(float* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = float(stable_sigmoid(double(x[i])));
}

void tanh_array(float* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = float(std::tanh(double(x[i])));
}

constexpr VmathKernels kTable = {exp_array, sigmoid_array, tanh_array};

}  // namespace

const VmathKernels& generic_vmath_kernels() { return kTable; }

}  // namespace fastmlp::simd
