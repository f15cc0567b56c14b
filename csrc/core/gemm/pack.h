// Portable packing of A and B into the micro-panel layouts the kernels stream through
// (kernels.h): the generic table's, and the AVX2 one's for edge panels and general strides. The
// general strides absorb every transpose: A(i, p) = A[i * rsa + p * csa], B(p, j) = B[p * rsb +
// j * csb]. Rows or columns past the matrix edge are zero so that the kernels always run full
// MR x NR tiles.
#pragma once
#include "core/common.h"

namespace fastmlp::gemm_detail {

// mc x kc block of A starting at A -> ceil(mc / MR) panels, each kc steps of MR values.
template <class T>
void pack_a(i64 mc, i64 kc, const T* A, i64 rsa, i64 csa, T* out);

// kc x n slice (n <= NR) of B starting at B -> one panel of kc steps of NR values.
template <class T>
void pack_b_panel(i64 kc, i64 n, const T* B, i64 rsb, i64 csb, T* out);

}  // namespace fastmlp::gemm_detail
