#include "core/layers/dropout.h"

#include "core/rng.h"

namespace fastmlp {
namespace {

// Keep when a uniform draw is >= rate: exactly P(keep) = 1 - rate up to 2^-53.
inline bool kept(u64 key, i64 i, double rate) { return random_unit(key, u64(i)) >= rate; }

}  // namespace

template <class T>
void dropout_forward(T* Y, const T* X, i64 n, double rate, u64 key) {
  const T scale = T(1.0 / (1.0 - rate));
  for (i64 i = 0; i < n; ++i) Y[i] = kept(key, i, rate) ? X[i] * scale : T(0);
}

template <class T>
void dropout_backward(T* dY, i64 n, double rate, u64 key) {
  const T scale = T(1.0 / (1.0 - rate));
  for (i64 i = 0; i < n; ++i) dY[i] = kept(key, i, rate) ? dY[i] * scale : T(0);
}

template void dropout_forward<float>(float*, const float*, i64, double, u64);
template void dropout_forward<double>(double*, const double*, i64, double, u64);
template void dropout_backward<float>(float*, i64, double, u64);
template void dropout_backward<double>(double*, i64, double, u64);

}  // namespace fastmlp
