#include "core/gather.h"

#include <algorithm>

#include "core/parallel.h"

namespace fastmlp {
namespace {
// Copying a batch's rows from their shuffled places in X (or y) is bound by memory latency, and
// a second thread doubles the rows in flight: measured 1.06x per mnist-s-64 epoch (64 rows of 784
// float32 per batch). A copy from 128 KiB up takes the team (64 work units per 4 bytes:
// kParallelWork is 2^21 units).
constexpr i64 kGatherCost = 64;
}  // namespace

template <class T>
void copy_rows(T* dst, const T* X, const i64* rows_of_x, i64 begin, i64 end, i64 width) {
  for (i64 r = begin; r < end; ++r) {
    const T* src = X + rows_of_x[r] * width;
    std::copy(src, src + width, dst + r * width);
  }
}

template <class T>
void gather_rows(T* dst, const T* X, const i64* rows_of_x, i64 rows, i64 width) {
  for_shares(rows, threads_for<T>(kGatherCost * rows * width), 1,
             [&](i64 begin, i64 end) { copy_rows(dst, X, rows_of_x, begin, end, width); });
}

template void copy_rows<float>(float*, const float*, const i64*, i64, i64, i64);
template void copy_rows<double>(double*, const double*, const i64*, i64, i64, i64);
template void gather_rows<float>(float*, const float*, const i64*, i64, i64);
template void gather_rows<double>(double*, const double*, const i64*, i64, i64);

}  // namespace fastmlp
