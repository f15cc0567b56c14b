// C = A B (+ C, or + a bias row) for row-major C, with A and B given by general strides so that the
// transposed products of backprop (X^T dZ, dZ W^T) need no materialised transpose:
//   A(i, p) = A[i * rsa + p * csa]   (M x K)
//   B(p, j) = B[p * rsb + j * csb]   (K x N)
// Threads split the rows of C only; every element of C sums its K products in the same order, so
// the result is bitwise identical for any thread count.
#pragma once
#include "core/common.h"

namespace fastmlp {

enum class GemmInit {
  Zero,        // C = A B
  Accumulate,  // C += A B
  BiasRow,     // C = bias + A B, bias a length-N row broadcast over the rows of C
};

template <class T>
void gemm(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb, T* C,
          i64 ldc, GemmInit init, const T* bias = nullptr);

}  // namespace fastmlp
