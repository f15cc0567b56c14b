#include "core/finite.h"

#include <atomic>
#include <cstdint>
#include <cstring>

#include "core/parallel.h"

namespace fastmlp {
namespace {
// A pass that reads each value once. On the Intel Xeon host a second thread halved it from 64 Ki
// float32 values up (in cache: 262144 in 43 us on one thread, 21 on two), so 32 work units per
// value put that size at kParallelWork. A 6144 x 784 float32 X: 0.38 ms on two threads, where
// NumPy's sum, the check before, took 0.98.
constexpr i64 kReadCost = 32;

// T's bits as an unsigned integer, its exponent field (full in an infinity or a NaN), and the
// field's lowest bit.
template <class T>
struct Bits;
template <>
struct Bits<float> {
  using U = std::uint32_t;
  static constexpr U kExponent = 0x7f800000u, kExponentOne = 0x00800000u;
};
template <>
struct Bits<double> {
  using U = std::uint64_t;
  static constexpr U kExponent = 0x7ff0000000000000u, kExponentOne = 0x0010000000000000u;
};

// The exponent tested as an integer, not the value as a float, so that no floating-point option a
// build may add (-ffinite-math-only, -Ofast) can reason the test away. Adding one to the exponent
// field carries into the sign bit exactly when the field is full: an and, an add and an or per
// value, which vectorise with baseline SSE2 (a 64-bit compare would not).
template <class T>
bool share_finite(const T* x, i64 begin, i64 end) {
  using U = typename Bits<T>::U;
  U carries = 0;
#pragma omp simd reduction(| : carries)
  for (i64 i = begin; i < end; ++i) {
    U bits;
    std::memcpy(&bits, x + i, sizeof bits);
    carries |= (bits & Bits<T>::kExponent) + Bits<T>::kExponentOne;
  }
  return carries >> (8 * sizeof(U) - 1) == 0;
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
