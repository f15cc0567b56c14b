#include "core/column_sums.h"

namespace fastmlp {
namespace {

// Up to kBlock columns at a time, their sums held in registers over all the rows: a loop adding
// each row into sums[] in memory spends its time storing and reloading them (measured at 77 % of
// the bias gradient's samples).
template <class T>
constexpr i64 kBlock = 2 * kLine<T>;

template <class T>
inline __attribute__((always_inline)) void sum_block(T* sums, const T* X, i64 rows, i64 ld,
                                                     i64 n) {
  T acc[kBlock<T>] = {};
  for (i64 r = 0; r < rows; ++r) {
    const T* x = X + r * ld;
#pragma omp simd
    for (i64 k = 0; k < n; ++k) acc[k] += x[k];
  }
  for (i64 k = 0; k < n; ++k) sums[k] = acc[k];
}

}  // namespace

template <class T>
void column_sums(T* sums, const T* X, i64 rows, i64 ld, i64 begin, i64 end) {
  i64 j = begin;
  for (; j + kBlock<T> <= end; j += kBlock<T>) sum_block(sums + j, X + j, rows, ld, kBlock<T>);
  if (j < end) sum_block(sums + j, X + j, rows, ld, end - j);
}

template void column_sums<float>(float*, const float*, i64, i64, i64, i64);
template void column_sums<double>(double*, const double*, i64, i64, i64, i64);

}  // namespace fastmlp
