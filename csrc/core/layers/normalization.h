// Batch and layer normalisation, forward and backward side by side.
//
// Both normalise x_hat = (x - mean) * inv_std with inv_std = 1 / sqrt(var + eps), var the biased
// variance, and output gamma * x_hat + beta; BatchNorm over the rows of a batch (per column),
// LayerNorm over the columns of a row. The forward passes save mean and inv_std; backward
// rebuilds x_hat from the input, so no normalised copy is stored. Sums run over rows in order, so
// results do not depend on the thread count.
#pragma once
#include "core/common.h"

namespace fastmlp {

// Training: batch statistics (saved to mean/inv_std, cols each). A batch of one row has variance
// 0, so its output is beta. When moving_mean/moving_var are non-null they are updated Keras-style:
// moving = momentum * moving + (1 - momentum) * batch statistic.
template <class T>
void batchnorm_forward_train(T* Y, T* mean, T* inv_std, const T* X, const T* gamma, const T* beta,
                             i64 rows, i64 cols, double eps, T* moving_mean, T* moving_var,
                             double momentum);

// Inference: the affine map given by the moving statistics.
template <class T>
void batchnorm_forward_infer(T* Y, const T* X, const T* gamma, const T* beta,
                             const T* moving_mean, const T* moving_var, i64 rows, i64 cols,
                             double eps);

// dX (may be null), dgamma, dbeta from dY and the saved statistics.
template <class T>
void batchnorm_backward(T* dX, T* dgamma, T* dbeta, const T* dY, const T* X, const T* mean,
                        const T* inv_std, const T* gamma, i64 rows, i64 cols);

// Per-row statistics saved to mean/inv_std (rows each).
template <class T>
void layernorm_forward(T* Y, T* mean, T* inv_std, const T* X, const T* gamma, const T* beta,
                       i64 rows, i64 cols, double eps);

template <class T>
void layernorm_backward(T* dX, T* dgamma, T* dbeta, const T* dY, const T* X, const T* mean,
                        const T* inv_std, const T* gamma, i64 rows, i64 cols);

}  // namespace fastmlp
