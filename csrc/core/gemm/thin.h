// Products with one column (N = 1: a single-output layer's forward pass and weight gradient) or
// one term per sum (K = 1: the input gradient below such a layer) are matrix-vector and outer
// products. The blocked path would pack all of A and run register tiles that are mostly padding
// (4-5x slower than OpenBLAS's matrix-vector product at 200 x 100); these loops read A once.
// Written once and compiled per instruction set (kernel_generic.cpp, kernel_avx2.cpp); internal
// linkage on purpose, as in core/optim/update.h, so the AVX2 copy is never the one a generic
// caller links to.
#pragma once
#include "core/common.h"

namespace fastmlp::gemm_detail {
namespace {

// One value per "vector": the portable build's lanes for dot_rows (kernel_avx2.cpp passes its
// 256-bit ones).
template <class Real>
struct ScalarLanes {
  using T = Real;
  using V = Real;
  static constexpr i64 W = 1;
  static V zero() { return V(0); }
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V set1(T v) { return v; }
  static V add(V a, V b) { return a + b; }
  static V mul(V a, V b) { return a * b; }
};

// Rows r < R of A (stride rsa) times b, into out[r]: one vector of running sums per row, its
// lanes then added in order, then the last K % W terms. A row's result does not depend on R;
// R rows at a time give the additions independent chains to overlap.
template <class S, int R>
void dot_rows(const typename S::T* A, i64 rsa, const typename S::T* b, i64 K,
              typename S::T* out) {
  using T = typename S::T;
  using V = typename S::V;
  constexpr i64 W = S::W;
  V acc[R];
  for (int r = 0; r < R; ++r) acc[r] = S::zero();
  const i64 whole = K / W * W;
  for (i64 p = 0; p < whole; p += W) {
    const V bv = S::load(b + p);
    for (int r = 0; r < R; ++r) acc[r] = S::fma(S::load(A + r * rsa + p), bv, acc[r]);
  }
  for (int r = 0; r < R; ++r) {
    alignas(32) T lanes[W];
    S::store(lanes, acc[r]);
    T sum = lanes[0];
    for (i64 k = 1; k < W; ++k) sum += lanes[k];
    for (i64 p = whole; p < K; ++p) sum += A[r * rsa + p] * b[p];
    out[r] = sum;
  }
}

// Entries [0, NV W) of c = (accumulate ? c : 0) + sum_p A[p csa] b[p rsb] (A advanced to the
// entries' first column), the sums held in registers over all of K, a multiply and an add per p,
// in p order. Adding each p into c in memory spent the time storing and reloading c (14 % of
// breast cancer's float64 fit).
template <class S, int NV>
void scaled_column_sums(typename S::T* c, const typename S::T* A, i64 csa,
                        const typename S::T* b, i64 rsb, i64 K, bool accumulate) {
  using V = typename S::V;
  constexpr i64 W = S::W;
  V acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = accumulate ? S::load(c + v * W) : S::zero();
  for (i64 p = 0; p < K; ++p) {
    const V bp = S::set1(b[p * rsb]);
    const typename S::T* a = A + p * csa;
    for (int v = 0; v < NV; ++v) acc[v] = S::add(acc[v], S::mul(S::load(a + v * W), bp));
  }
  for (int v = 0; v < NV; ++v) S::store(c + v * W, acc[v]);
}

// v plus the bias when there is one (no addition otherwise, as in the register tiles).
template <class T>
T with_bias(T v, const T* bias) {
  return bias ? v + bias[0] : v;
}

// Rows [i0, i1) of C = (accumulate ? C : 0) + A B + bias, for C with ldc == N, in the three cases
// gemm.cpp's is_thin admits: K == 1, or N == 1 with A's columns or its rows contiguous (and B's
// column). Each row is computed the same way whichever thread computes it.
template <class S, class T = typename S::T>
void thin_rows(i64 i0, i64 i1, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb,
               i64 csb, T* C, bool accumulate, const T* bias) {
  if (K == 1) {  // row i of C is A(i, 0) times B's only row
    for (i64 i = i0; i < i1; ++i) {
      const T a = A[i * rsa];
      T* c = C + i * N;
#pragma omp simd
      for (i64 j = 0; j < N; ++j) {
        const T v = (accumulate ? c[j] : T(0)) + a * B[j * csb];
        c[j] = bias ? v + bias[j] : v;
      }
    }
    return;
  }
  if (rsa == 1) {  // A's columns are contiguous (X^T in a weight gradient): scaled column sums
    constexpr i64 W = S::W;
    i64 i = i0;
    for (; i + 8 * W <= i1; i += 8 * W)
      scaled_column_sums<S, 8>(C + i, A + i, csa, B, rsb, K, accumulate);
    if (i + 4 * W <= i1) {
      scaled_column_sums<S, 4>(C + i, A + i, csa, B, rsb, K, accumulate);
      i += 4 * W;
    }
    for (; i + W <= i1; i += W) scaled_column_sums<S, 1>(C + i, A + i, csa, B, rsb, K, accumulate);
    for (; i < i1; ++i)
      scaled_column_sums<ScalarLanes<T>, 1>(C + i, A + i, csa, B, rsb, K, accumulate);
    if (bias)
      for (i64 i = i0; i < i1; ++i) C[i] += bias[0];
    return;
  }
  // Rows of A against a contiguous column (csa == 1, rsb == 1): dot products.
  constexpr int R = 4;
  i64 i = i0;
  T s[R];
  for (; i + R <= i1; i += R) {
    dot_rows<S, R>(A + i * rsa, rsa, B, K, s);
    for (int r = 0; r < R; ++r) C[i + r] = with_bias(accumulate ? C[i + r] + s[r] : s[r], bias);
  }
  for (; i < i1; ++i) {
    dot_rows<S, 1>(A + i * rsa, rsa, B, K, s);
    C[i] = with_bias(accumulate ? C[i] + s[0] : s[0], bias);
  }
}

}  // namespace
}  // namespace fastmlp::gemm_detail
