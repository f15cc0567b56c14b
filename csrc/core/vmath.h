// In-place exp, sigmoid, tanh and softplus over arrays, on the instruction set chosen at run time
// (core/simd/isa.h): the vector kernels on AVX2 and AVX-512, bitwise alike (<= 1.55 ulp in
// float32 and in float64), else the C library.
// NaN in gives NaN out; exp saturates to inf / 0, sigmoid to 0 / 1, tanh to -1 / 1, softplus to
// 0 / x.
#pragma once
#include "core/common.h"

namespace fastmlp {

template <class T>
void vexp(T* x, i64 n);
template <class T>
void vsigmoid(T* x, i64 n);
template <class T>
void vtanh(T* x, i64 n);
// log(1 + e^x), as max(x, 0) + log1p(exp(-|x|)).
template <class T>
void vsoftplus(T* x, i64 n);

}  // namespace fastmlp
