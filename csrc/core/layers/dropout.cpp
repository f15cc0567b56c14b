#include "core/layers/dropout.h"

#include <cmath>

#include "core/layers/dropout_kernels.h"
#include "core/parallel.h"
#include "core/simd/isa.h"

namespace fastmlp {
namespace {

// Work per element in kParallelWork's units, chosen so that a 128 x 256 float32 layer
// (deep-bn-dropout's) takes the team: two threads ran that config 1.06-1.09x as fast with the
// AVX2 kernels (about 1 ns per element on the AMD Zen 4 host) and 1.01-1.02x with the AVX-512
// ones (0.3 ns).
constexpr i64 kCostPerElement = 64;

// Element i is kept when random_unit(key, i) >= rate: exactly P(keep) = 1 - rate up to 2^-53.
// random_unit is the draw's top 53 bits b times 2^-53, exactly, so that is b >= rate 2^53, and,
// b being an integer, b >= ceil(rate 2^53): the threshold the kernels compare with.
i64 keep_threshold(double rate) { return i64(std::ceil(std::ldexp(rate, 53))); }

template <class T>
void apply(T* Y, const T* X, i64 n, double rate, u64 key) {
  using namespace dropout_detail;
  const auto& kernels = FASTMLP_ACTIVE_TABLE3(generic_dropout_kernels, avx2_dropout_kernels,
                                              avx512_dropout_kernels);
  const auto mask = for_type<T>(kernels);
  const T scale = T(1.0 / (1.0 - rate));
  const i64 threshold = keep_threshold(rate);
  for_shares(n, threads_for<T>(kCostPerElement * n), kLine<T>,
             [&](i64 begin, i64 end) { mask(Y, X, begin, end, scale, key, threshold); });
}

}  // namespace

template <class T>
void dropout_forward(T* Y, const T* X, i64 n, double rate, u64 key) {
  apply(Y, X, n, rate, key);
}

template <class T>
void dropout_backward(T* dY, i64 n, double rate, u64 key) {
  apply(dY, dY, n, rate, key);
}

template void dropout_forward<float>(float*, const float*, i64, double, u64);
template void dropout_forward<double>(double*, const double*, i64, double, u64);
template void dropout_backward<float>(float*, i64, double, u64);
template void dropout_backward<double>(double*, i64, double, u64);

}  // namespace fastmlp
