// Gaussian noise: Y = X + N(0, std^2) in training, the identity at inference. The noise is a pure
// function of (key, element), so it does not depend on the thread count. Backward is the
// identity: the gradient passes through unchanged, so no kernel is needed for it.
#pragma once
#include "core/common.h"

namespace fastmlp {

template <class T>
void gaussian_noise_forward(T* Y, const T* X, i64 n, double std, u64 key);

}  // namespace fastmlp
