#include "core/layers/normalization.h"

#include <algorithm>
#include <cmath>

#include "core/column_sums.h"
#include "core/lane_sum.h"

namespace fastmlp {
namespace {
// LayerNorm's sums over a row's columns (core/lane_sum.h).
constexpr i64 kLanes = 16;
}  // namespace

template <class T>
void batchnorm_forward_train(T* Y, T* mean, T* inv_std, const T* X, const T* gamma, const T* beta,
                             i64 rows, i64 cols, double eps, T* moving_mean, T* moving_var,
                             double momentum) {
  // Two passes (mean, then squared deviations) for accuracy; rows in order.
  column_sums(mean, X, rows, cols, 0, cols);
  for (i64 j = 0; j < cols; ++j) mean[j] /= T(rows);
  std::fill(inv_std, inv_std + cols, T(0));  // holds the variance until the end
  for (i64 r = 0; r < rows; ++r)
    for (i64 j = 0; j < cols; ++j) {
      const T d = X[r * cols + j] - mean[j];
      inv_std[j] += d * d;
    }
  for (i64 j = 0; j < cols; ++j) {
    const T var = inv_std[j] / T(rows);
    if (moving_mean) {
      moving_mean[j] = T(momentum) * moving_mean[j] + T(1.0 - momentum) * mean[j];
      moving_var[j] = T(momentum) * moving_var[j] + T(1.0 - momentum) * var;
    }
    inv_std[j] = T(1) / std::sqrt(var + T(eps));
  }
  for (i64 r = 0; r < rows; ++r)
    for (i64 j = 0; j < cols; ++j)
      Y[r * cols + j] = gamma[j] * ((X[r * cols + j] - mean[j]) * inv_std[j]) + beta[j];
}

template <class T>
void batchnorm_forward_infer(T* Y, const T* X, const T* gamma, const T* beta,
                             const T* moving_mean, const T* moving_var, i64 rows, i64 cols,
                             double eps) {
  for (i64 r = 0; r < rows; ++r)
    for (i64 j = 0; j < cols; ++j)
      Y[r * cols + j] =
          gamma[j] * ((X[r * cols + j] - moving_mean[j]) / std::sqrt(moving_var[j] + T(eps))) +
          beta[j];
}

template <class T>
void batchnorm_backward(T* dX, T* dgamma, T* dbeta, const T* dY, const T* X, const T* mean,
                        const T* inv_std, const T* gamma, i64 rows, i64 cols) {
  std::fill(dgamma, dgamma + cols, T(0));
  std::fill(dbeta, dbeta + cols, T(0));
  for (i64 r = 0; r < rows; ++r)
    for (i64 j = 0; j < cols; ++j) {
      const T x_hat = (X[r * cols + j] - mean[j]) * inv_std[j];
      dgamma[j] += dY[r * cols + j] * x_hat;
      dbeta[j] += dY[r * cols + j];
    }
  if (!dX) return;
  // dX = gamma inv_std / N (N dY - sum dY - x_hat sum(dY x_hat))
  for (i64 r = 0; r < rows; ++r)
    for (i64 j = 0; j < cols; ++j) {
      const T x_hat = (X[r * cols + j] - mean[j]) * inv_std[j];
      dX[r * cols + j] = gamma[j] * inv_std[j] / T(rows) *
                         (T(rows) * dY[r * cols + j] - dbeta[j] - x_hat * dgamma[j]);
    }
}

template <class T>
void layernorm_forward(T* Y, T* mean, T* inv_std, const T* X, const T* gamma, const T* beta,
                       i64 rows, i64 cols, double eps) {
  for (i64 r = 0; r < rows; ++r) {
    const T* x = X + r * cols;
    const T m = lane_sum<kLanes, T>(cols, [x](i64 j) { return x[j]; }) / T(cols);
    const T v = lane_sum<kLanes, T>(cols, [x, m](i64 j) { return (x[j] - m) * (x[j] - m); });
    const T s = T(1) / std::sqrt(v / T(cols) + T(eps));
    mean[r] = m;
    inv_std[r] = s;
    for (i64 j = 0; j < cols; ++j) Y[r * cols + j] = gamma[j] * ((x[j] - m) * s) + beta[j];
  }
}

template <class T>
void layernorm_backward(T* dX, T* dgamma, T* dbeta, const T* dY, const T* X, const T* mean,
                        const T* inv_std, const T* gamma, i64 rows, i64 cols) {
  std::fill(dgamma, dgamma + cols, T(0));
  std::fill(dbeta, dbeta + cols, T(0));
  for (i64 r = 0; r < rows; ++r) {
    const T* x = X + r * cols;
    const T* dy = dY + r * cols;
    const T m = mean[r], s = inv_std[r];
    for (i64 j = 0; j < cols; ++j) {
      dgamma[j] += dy[j] * ((x[j] - m) * s);
      dbeta[j] += dy[j];
    }
    // The row's sums of dx_hat = dY gamma and of dx_hat x_hat.
    const T sum_dxh = lane_sum<kLanes, T>(cols, [dy, gamma](i64 j) { return dy[j] * gamma[j]; });
    const T sum_dxh_xh = lane_sum<kLanes, T>(
        cols, [dy, gamma, x, m, s](i64 j) { return dy[j] * gamma[j] * ((x[j] - m) * s); });
    if (!dX) continue;
    // dX = inv_std / C (C dx_hat - sum dx_hat - x_hat sum(dx_hat x_hat)), dx_hat = dY gamma
    for (i64 j = 0; j < cols; ++j) {
      const T x_hat = (x[j] - m) * s;
      dX[r * cols + j] = s / T(cols) * (T(cols) * dy[j] * gamma[j] - sum_dxh - x_hat * sum_dxh_xh);
    }
  }
}

template void batchnorm_forward_train<float>(float*, float*, float*, const float*, const float*, const float*,
                                             i64, i64, double, float*, float*, double);
template void batchnorm_forward_infer<float>(float*, const float*, const float*, const float*, const float*,
                                             const float*, i64, i64, double);
template void batchnorm_backward<float>(float*, float*, float*, const float*, const float*, const float*, const float*,
                                        const float*, i64, i64);
template void layernorm_forward<float>(float*, float*, float*, const float*, const float*, const float*, i64, i64,
                                       double);
template void layernorm_backward<float>(float*, float*, float*, const float*, const float*, const float*, const float*,
                                        const float*, i64, i64);

template void batchnorm_forward_train<double>(double*, double*, double*, const double*, const double*, const double*,
                                             i64, i64, double, double*, double*, double);
template void batchnorm_forward_infer<double>(double*, const double*, const double*, const double*, const double*,
                                             const double*, i64, i64, double);
template void batchnorm_backward<double>(double*, double*, double*, const double*, const double*, const double*, const double*,
                                        const double*, i64, i64);
template void layernorm_forward<double>(double*, double*, double*, const double*, const double*, const double*, i64, i64,
                                       double);
template void layernorm_backward<double>(double*, double*, double*, const double*, const double*, const double*, const double*,
                                        const double*, i64, i64);

}  // namespace fastmlp
