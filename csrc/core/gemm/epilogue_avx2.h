// The AVX2 register-tile epilogue: C added back, the bias, then the activation, on one tile row
// held in two 256-bit registers, and the store. For the AVX2 kernel file only: everything has
// internal linkage (see kernels.h). Its steps are the vector math's (activation_forward), so the
// results are those bit for bit, as the AVX-512 kernels' own epilogue's are.
#pragma once
#include <immintrin.h>

#include "core/gemm/kernels.h"
#include "core/simd/vmath_avx2.h"

namespace fastmlp::gemm_detail {
namespace {

// The lane traits with sigmoid and tanh out of line: inlined twelve times they would make gcc keep
// activate() itself out of line.
template <class L>
struct Lanes : L {
  using V = typename L::V;
  __attribute__((noinline)) static V sigmoid(V v) { return simd::sigmoid<L>(v); }
  __attribute__((noinline)) static V tanh(V v) { return simd::tanh<L>(v); }
};
using F32 = Lanes<simd::Ps>;
using F64 = Lanes<simd::Pd>;

// Same results as activation_forward: relu and step send NaN to 0 (z > 0 ? ... : 0), leaky_relu
// keeps it. max(z, 0) returns its second operand, 0, when z is NaN.
// Inlined into the epilogue: as a call it would make every row spill the tile's other accumulators
// (all ymm registers are caller-saved), which costs short-K products several percent.
template <class S>
inline __attribute__((always_inline)) typename S::V activate(typename S::V v, Act act,
                                                            typename S::T alpha) {
  switch (act) {
    case Act::Sigmoid:
      return S::sigmoid(v);
    case Act::Tanh:
      return S::tanh(v);
    case Act::Relu:
      return S::max(v, S::zero());
    case Act::LeakyRelu:
      return S::blend(S::mul(v, S::set1(alpha)), v, S::gt(v, S::zero()));
    case Act::Step:
      return S::band(S::gt(v, S::zero()), S::set1(1));
    case Act::Linear:
    case Act::Softmax:  // never fused (whole rows): the caller passes a linear epilogue
      return v;
  }
  return v;
}

// One row of the tile: v0, v1 hold columns [0, W) and [W, 2W).
template <class S>
inline __attribute__((always_inline)) void store_row(typename S::V v0, typename S::V v1, i64 r,
                                                       const TileColumn<typename S::T>& t) {
  using T = typename S::T;
  constexpr i64 NR = 2 * S::W;
  if (r >= t.m) return;
  T* c = t.c + r * t.ldc;
  if (t.n == NR) {
    if (t.load_c) {
      v0 = S::add(v0, S::load(c));
      v1 = S::add(v1, S::load(c + S::W));
    }
    if (t.bias) {
      v0 = S::add(v0, S::load(t.bias));
      v1 = S::add(v1, S::load(t.bias + S::W));
    }
    if (t.last) {
      v0 = activate<S>(v0, t.act, t.alpha);
      v1 = activate<S>(v1, t.act, t.alpha);
    }
    S::store(c, v0);
    S::store(c + S::W, v1);
    return;
  }
  // Edge tile: go through a padded row so that nothing past column n is read or written.
  alignas(32) T buf[NR] = {};
  if (t.load_c) {
    for (i64 j = 0; j < t.n; ++j) buf[j] = c[j];
    v0 = S::add(v0, S::load(buf));
    v1 = S::add(v1, S::load(buf + S::W));
  }
  if (t.bias) {
    for (i64 j = 0; j < t.n; ++j) buf[j] = t.bias[j];
    v0 = S::add(v0, S::load(buf));
    v1 = S::add(v1, S::load(buf + S::W));
  }
  if (t.last) {
    v0 = activate<S>(v0, t.act, t.alpha);
    v1 = activate<S>(v1, t.act, t.alpha);
  }
  S::store(buf, v0);
  S::store(buf + S::W, v1);
  for (i64 j = 0; j < t.n; ++j) c[j] = buf[j];
}

}  // namespace
}  // namespace fastmlp::gemm_detail
