// Portable array math: the C library, one element at a time. float32 sigmoid, tanh and softplus
// go through double so the float result is rounded once (float tanhf and a float sigmoid reach
// 2.3 ulp).
#include <algorithm>
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

// max(x, 0) + log1p(exp(-|x|)): never overflows. Through double for float, as above.
template <class T>
void softplus_array(T* x, i64 n) {
  for (i64 i = 0; i < n; ++i) {
    const double v = x[i];
    x[i] = T(std::max(v, 0.0) + std::log1p(std::exp(-std::abs(v))));
  }
}

constexpr VmathKernels kTable = {
    {exp_array<float>, sigmoid_array<float>, tanh_array<float>, softplus_array<float>},
    {exp_array<double>, sigmoid_array<double>, tanh_array<double>, softplus_array<double>}};

}  // namespace

const VmathKernels& generic_vmath_kernels() { return kTable; }

}  // namespace fastmlp::simd
