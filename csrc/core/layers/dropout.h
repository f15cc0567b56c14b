// Inverted dropout: in training each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), so inference is the identity. The keep decision is a pure function of
// (key, element): backward recomputes it instead of storing a mask, and the result does not
// depend on the thread count.
#pragma once
#include "core/common.h"

namespace fastmlp {

template <class T>
void dropout_forward(T* Y, const T* X, i64 n, double rate, u64 key);

// dY becomes dX in place.
template <class T>
void dropout_backward(T* dY, i64 n, double rate, u64 key);

}  // namespace fastmlp
