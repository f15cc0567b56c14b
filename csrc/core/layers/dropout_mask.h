// The dropout element loop, written once and compiled once per instruction set
// (dropout_generic.cpp, dropout_avx2.cpp, dropout_avx512.cpp). Internal linkage on purpose, as
// core/optim/update.h: each including translation unit gets its own copy.
#pragma once
#include "core/layers/dropout_kernels.h"
#include "core/rng.h"

namespace fastmlp::dropout_detail {
namespace {

// The product for every element, then a select on an integer comparison: no branch on the
// random keep decision (a misprediction for about every other element at rate 0.5), and a loop
// the compiler vectorises wherever the target has 64-bit vector multiplies (AVX-512DQ) or can
// build them (AVX2).
template <class T>
void apply_mask(T* Y, const T* X, i64 begin, i64 end, T scale, u64 key, i64 threshold) {
  for (i64 i = begin; i < end; ++i) {
    const T scaled = X[i] * scale;
    Y[i] = i64(random_bits(key, u64(i)) >> 11) >= threshold ? scaled : T(0);
  }
}

}  // namespace
}  // namespace fastmlp::dropout_detail
