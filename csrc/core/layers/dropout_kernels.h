// The contract between dropout (core/layers/dropout.cpp) and its per-ISA element loops.
// Plain types only: this header is included by the AVX2 and AVX-512 translation units (see
// core/gemm/kernels.h on the ODR hazard).
#pragma once
#include "core/common.h"

namespace fastmlp::dropout_detail {

// Y[i] = X[i] * scale where element i is kept, else 0, for i in [begin, end) (Y may be X). Element
// i is kept where the top 53 bits of its draw random_bits(key, i), as an integer, reach
// `threshold`.
template <class T>
using MaskFn = void (*)(T* Y, const T* X, i64 begin, i64 end, T scale, u64 key, i64 threshold);

struct DropoutKernels {
  MaskFn<float> s;
  MaskFn<double> d;
};

const DropoutKernels& generic_dropout_kernels();
#if defined(FASTMLP_HAVE_AVX2)
const DropoutKernels& avx2_dropout_kernels();
#endif
#if defined(FASTMLP_HAVE_AVX512)
const DropoutKernels& avx512_dropout_kernels();
#endif

}  // namespace fastmlp::dropout_detail
