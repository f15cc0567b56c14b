#include "core/layers/dense.h"

#include <algorithm>

#include "core/gemm/gemm.h"

namespace fastmlp {

template <class T>
void dense_forward(T* Y, T* Z, const T* X, const T* W, const T* b, i64 rows, i64 in, i64 out,
                   Activation act) {
  // The GEMM epilogue adds the bias and applies an elementwise activation on the register tile;
  // softmax (whole rows) and an output whose logits the loss keeps are activated afterwards.
  const bool fused = !Z && act.kind != Act::Softmax;
  gemm<T>(rows, out, in, X, in, 1, W, out, 1, Z ? Z : Y, out, false,
          GemmEpilogue<T>{b, fused ? act : Activation{}});
  if (fused) return;
  if (Z) std::copy(Z, Z + rows * out, Y);
  activation_forward(Y, rows, out, act);
}

template <class T>
void dense_backward(T* dX, T* dW, T* db, T* dY, const T* X, const T* Y, const T* W, i64 rows,
                    i64 in, i64 out, Activation act, double l1, double l2) {
  activation_backward(dY, Y, rows, out, act);
  // dW = X^T dZ: A = X^T read with swapped strides.
  gemm<T>(in, out, rows, X, 1, in, dY, out, 1, dW, out, false);
  const T t_l1 = T(l1), two_l2 = T(2.0 * l2);
  if (l1 != 0.0) {
    for (i64 i = 0; i < in * out; ++i)
      dW[i] += t_l1 * T((W[i] > T(0)) - (W[i] < T(0))) + two_l2 * W[i];
  } else if (l2 != 0.0) {
    // L2 alone (scikit-learn's alpha), the common case: the sum without its sign term, which is
    // +-0 here (the same value, up to the sign of a zero), in a loop the compiler vectorises.
#pragma omp simd
    for (i64 i = 0; i < in * out; ++i) dW[i] += two_l2 * W[i];
  }
  if (db) {
    // Rows in order: the sum does not depend on the thread count.
    std::fill(db, db + out, T(0));
    for (i64 r = 0; r < rows; ++r) {
      const T* row = dY + r * out;
#pragma omp simd
      for (i64 j = 0; j < out; ++j) db[j] += row[j];
    }
  }
  // dX = dZ W^T: B = W^T read with swapped strides.
  if (dX) gemm<T>(rows, in, out, dY, out, 1, W, 1, out, dX, in, false);
}

template void dense_forward<float>(float*, float*, const float*, const float*, const float*, i64,
                                   i64, i64, Activation);
template void dense_forward<double>(double*, double*, const double*, const double*, const double*,
                                    i64, i64, i64, Activation);
template void dense_backward<float>(float*, float*, float*, float*, const float*, const float*,
                                    const float*, i64, i64, i64, Activation, double, double);
template void dense_backward<double>(double*, double*, double*, double*, const double*,
                                     const double*, const double*, i64, i64, i64, Activation,
                                     double, double);

}  // namespace fastmlp
