// Scalar sigmoid for the portable (baseline-compiled) kernels. Never include from an ISA file.
#pragma once
#include <cmath>

namespace fastmlp::simd {

// exp(-|x|) never overflows, so both branches stay finite for any x.
template <class T>
T stable_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace fastmlp::simd
