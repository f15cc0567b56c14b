#include "core/layers/noise.h"

#include "core/init.h"

namespace fastmlp {

template <class T>
void gaussian_noise_forward(T* Y, const T* X, i64 n, double std, u64 key) {
  fill_normal(Y, n, 0.0, std, key);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) Y[i] += X[i];
}

template void gaussian_noise_forward<float>(float*, const float*, i64, double, u64);
template void gaussian_noise_forward<double>(double*, const double*, i64, double, u64);

}  // namespace fastmlp
