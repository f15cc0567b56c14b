// A sum of n terms in kLanes running sums, term i into sum i % kLanes, added up pairwise in a
// fixed order at the end: the compiler keeps the sums in vector registers without reassociating
// anything (one running sum would wait on every addition's latency), so every instruction set
// and vector width gives the same bits.
// Internal linkage: the AVX2 optimizer loops include this (see core/gemm/kernels.h on the ODR
// hazard).
#pragma once
#include "core/common.h"

namespace fastmlp {
namespace {

template <i64 kLanes, class Acc, class Term>
inline Acc lane_sum(i64 n, Term&& term) {
  Acc acc[kLanes] = {};
  const i64 whole = n / kLanes * kLanes;
  for (i64 i = 0; i < whole; i += kLanes)
    for (i64 k = 0; k < kLanes; ++k) acc[k] += term(i + k);
  for (i64 k = 0; whole + k < n; ++k) acc[k] += term(whole + k);
  for (i64 width = kLanes / 2; width > 0; width /= 2)
    for (i64 k = 0; k < width; ++k) acc[k] += acc[k + width];
  return acc[0];
}

}  // namespace
}  // namespace fastmlp
