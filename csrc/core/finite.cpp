#include "core/finite.h"

#include <atomic>
#include <cmath>

#include "core/parallel.h"

namespace fastmlp {
namespace {
// A pass that reads each value once. On the Intel Xeon host a second thread halved it from 64 Ki
// float32 values up (in cache: 262144 in 43 us on one thread, 21 on two), so 32 work units per
// value put that size at kParallelWork. A 6144 x 784 float32 X: 0.38 ms on two threads, where
// numpy's sum, the check before, took 0.98.
constexpr i64 kReadCost = 32;

// x * 0 is +-0 for a finite x and NaN for an infinity or a NaN, and a sum that takes in a NaN
// stays NaN: one vectorised pass, with no comparison or branch per value.
template <class T>
bool share_finite(const T* x, i64 begin, i64 end) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (i64 i = begin; i < end; ++i) acc += x[i] * T(0);
  return !std::isnan(acc);
}
}  // namespace

template <class T>
bool all_finite(const T* x, i64 n) {
  std::atomic<bool> finite{true};
  for_shares(n, threads_for<T>(kReadCost * n), 1, [&](i64 begin, i64 end) {
    if (!share_finite(x, begin, end)) finite.store(false, std::memory_order_relaxed);
  });
  return finite.load(std::memory_order_relaxed);
}

template bool all_finite<float>(const float*, i64);
template bool all_finite<double>(const double*, i64);

}  // namespace fastmlp
