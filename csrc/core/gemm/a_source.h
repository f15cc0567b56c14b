// Where a register tile reads A(r, k), row r of the tile, for k = 0, 1, ... in turn: row(r) now,
// next() one k on. Packed: micro-panels of 6 rows with 6 values per k (pack.h), the second one
// 6 kc values on. In place: A as it lies, by its columns (rsa == 1, whole tiles: the tile's rows
// are adjacent values for each k) or by its rows (any strides, one stream per row). The tile
// computes the same sums either way, so its results do not depend on the source. For the ISA
// kernel files; internal linkage on purpose (see kernels.h).
#pragma once
#include "core/common.h"

namespace fastmlp::gemm_detail {
namespace {

template <class T>
struct PackedA {
  const T *a, *a1;
  PackedA(const T* a_, i64 kc) : a(a_), a1(a_ + 6 * kc) {}
  const T* row(int r) const { return r < 6 ? a + r : a1 + (r - 6); }
  void next() { a += 6, a1 += 6; }
};

// Whole tiles only: every row read is one of A's.
template <class T>
struct ColumnsOfA {
  const T* a;
  i64 csa;
  const T* row(int r) const { return a + r; }
  void next() { a += csa; }
};

// Any strides, one pointer per row; rows from m on read row m - 1 again: the tile does not store
// them, and A may end there.
template <class T, int rows>
struct RowsOfA {
  const T* base[rows];
  i64 csa, k = 0;
  RowsOfA(const T* a, i64 rsa, i64 csa_, i64 m) : csa(csa_) {
    for (int r = 0; r < rows; ++r) base[r] = a + (r < m ? r : m - 1) * rsa;
  }
  const T* row(int r) const { return base[r] + k; }
  void next() { k += csa; }
};

}  // namespace
}  // namespace fastmlp::gemm_detail
