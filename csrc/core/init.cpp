#include "core/init.h"

#include <cmath>

#include "core/parallel.h"
#include "core/rng.h"

namespace fastmlp {
namespace {
// Work per normal draw in kParallelWork's units: a logarithm, a square root, a sine and a cosine
// per pair, about 16 ns a value on one thread (AMD Zen 4), so a fill splits from 8192 values.
constexpr i64 kNormalCost = 256;
}  // namespace

template <class T>
void fill_uniform(T* out, i64 n, double low, double high, u64 key) {
  for (i64 i = 0; i < n; ++i) out[i] = T(low + (high - low) * random_unit(key, u64(i)));
}

template <class T>
void fill_normal(T* out, i64 n, double mean, double std, u64 key) {
  const double two_pi = 6.283185307179586;
  // Shares of whole cache lines start at even counters, so each pair stays on one thread: the
  // same draws for any thread count.
  for_shares(n, threads_for<T>(kNormalCost * n), kLine<T>, [&](i64 begin, i64 end) {
    for (i64 i = begin; i < end; i += 2) {
      // 1 - u lies in (0, 1], so the log is finite.
      const double radius = std::sqrt(-2.0 * std::log(1.0 - random_unit(key, u64(i))));
      const double angle = two_pi * random_unit(key, u64(i + 1));
      out[i] = T(mean + std * radius * std::cos(angle));
      if (i + 1 < n) out[i + 1] = T(mean + std * radius * std::sin(angle));
    }
  });
}

template void fill_uniform<float>(float*, i64, double, double, u64);
template void fill_uniform<double>(double*, i64, double, double, u64);
template void fill_normal<float>(float*, i64, double, double, u64);
template void fill_normal<double>(double*, i64, double, double, u64);

}  // namespace fastmlp
