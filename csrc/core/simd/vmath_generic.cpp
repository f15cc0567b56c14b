// Portable array math: the C library, one element at a time. float32 sigmoid and tanh go through
// double so the float result is rounded once (float tanhf and a float sigmoid reach 2.3 ulp).
#include <cmath>

#include "core/simd/scalar_math.h"
#include "core/simd/vmath_kernels.h"

namespace fastmlp::simd {
namespace {

template <class T>
void exp_array(T* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = std::exp(x[i]);
}

template <class T>
void sigmoid_array(T* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = T(stable_sigmoid(double(x[i])));
}

template <class T>
void tanh_array(T* x, i64 n) {
  for (i64 i = 0; i < n; ++i) x[i] = T(std::tanh(double(x[i])));
}

constexpr VmathKernels kTable = {{exp_array<float>, sigmoid_array<float>, tanh_array<float>},
                                 {exp_array<double>, sigmoid_array<double>, tanh_array<double>}};

}  // namespace

const VmathKernels& generic_vmath_kernels() { return kTable; }

}  // namespace fastmlp::simd
