#include "core/layers/dense.h"

#include <algorithm>

#include "core/column_sums.h"

namespace fastmlp {
template <class T>
void dense_forward(T* Y, T* Z, const T* X, const T* W, const T* b, i64 rows, i64 in, i64 out,
                   Activation act, T* workspace) {
  // The GEMM epilogue adds the bias and applies an elementwise activation on the register tile;
  // softmax (whole rows) and an output whose logits the loss keeps are activated afterwards.
  const bool fused = !Z && act.kind != Act::Softmax;
  gemm(rows, out, in, X, in, 1, W, out, 1, Z ? Z : Y, out, false,
       GemmEpilogue<T>{b, fused ? act : Activation{}}, workspace);
  if (fused || !Y) return;
  if (Z) std::copy(Z, Z + rows * out, Y);
  activation_forward(Y, rows, out, act);
}

template <class T>
void dense_delta(T* dY, const T* Y, i64 rows, i64 out, Activation act) {
  if (act.kind != Act::Linear && act.kind != Act::Step) activation_backward(dY, Y, rows, out, act);
}

template <class T>
void dense_input_grad(T* dX, const T* dZ, const T* W, i64 rows, i64 in, i64 out,
                      T* workspace) {
  // B = W^T read with swapped strides.
  gemm(rows, in, out, dZ, out, 1, W, 1, out, dX, in, false, {}, workspace);
}

template <class T>
void dense_param_grad_piece(T* partial, const T* dZ, const T* X, i64 rows, i64 in, i64 out,
                            bool with_bias, i64 piece, i64 count, i64 k0, i64 k1, T* workspace) {
  const i64 r0 = piece * rows / count, r1 = (piece + 1) * rows / count;
  // Rows k0.. of X^T are X's columns k0..: A read with swapped strides.
  gemm(k1 - k0, out, r1 - r0, X + r0 * in + k0, 1, in, dZ + r0 * out, out, 1, partial + k0 * out,
       out, false, {}, workspace);
  if (with_bias && k0 == 0 && k1 > 0)
    column_sums(partial + in * out, dZ + r0 * out, r1 - r0, out, 0, out);
}

template <class T>
void dense_param_grads(const Exec<T>& ex, T* dW, T* db, const T* dZ, const T* X, i64 rows,
                       i64 in, i64 out, GradPieces<T> pieces) {
  if (pieces.count > 1) {
    for (i64 p = 0; p < pieces.count; ++p)
      dense_param_grad_piece(pieces.of(dW, p), dZ, X, rows, in, out, db != nullptr, p,
                             pieces.count, 0, in);
    return;
  }
  // dW = X^T dZ: A = X^T read with swapped strides.
  ex.gemm(in, out, rows, X, 1, in, dZ, out, 1, dW, out);
  const Share c = ex.share(out, kLine<T>);
  if (db) column_sums(db, dZ, rows, out, c.begin, c.end);
}

template <class T>
void dense_finish_grads(T* g, const T* partials, i64 stride, i64 count, const T* W, i64 n,
                        double l1, double l2) {
  // Piece by piece over the range: each element still adds its pieces in order.
  for (i64 p = 1; p < count; ++p) {
    const T* partial = partials + (p - 1) * stride;
#pragma omp simd
    for (i64 i = 0; i < n; ++i) g[i] += partial[i];
  }
  if (!W) return;
  const T t_l1 = T(l1), two_l2 = T(2.0 * l2);
  if (l1 != 0.0) {
    for (i64 i = 0; i < n; ++i) g[i] += t_l1 * T((W[i] > T(0)) - (W[i] < T(0))) + two_l2 * W[i];
  } else if (l2 != 0.0) {
    // L2 alone (scikit-learn's alpha), the common case: the sum without its sign term, which is
    // +-0 here (the same value, up to the sign of a zero), in a loop the compiler vectorises.
#pragma omp simd
    for (i64 i = 0; i < n; ++i) g[i] += two_l2 * W[i];
  }
}

template void dense_forward<float>(float*, float*, const float*, const float*, const float*,
                                   i64, i64, i64, Activation, float*);
template void dense_forward<double>(double*, double*, const double*, const double*,
                                    const double*, i64, i64, i64, Activation, double*);
template void dense_delta<float>(float*, const float*, i64, i64, Activation);
template void dense_delta<double>(double*, const double*, i64, i64, Activation);
template void dense_input_grad<float>(float*, const float*, const float*, i64, i64, i64, float*);
template void dense_input_grad<double>(double*, const double*, const double*, i64, i64, i64,
                                       double*);
template void dense_param_grad_piece<float>(float*, const float*, const float*, i64, i64, i64,
                                            bool, i64, i64, i64, i64, float*);
template void dense_param_grad_piece<double>(double*, const double*, const double*, i64, i64,
                                             i64, bool, i64, i64, i64, i64, double*);
template void dense_param_grads<float>(const Exec<float>&, float*, float*, const float*,
                                       const float*, i64, i64, i64, GradPieces<float>);
template void dense_param_grads<double>(const Exec<double>&, double*, double*, const double*,
                                        const double*, i64, i64, i64, GradPieces<double>);
template void dense_finish_grads<float>(float*, const float*, i64, i64, const float*, i64, double,
                                        double);
template void dense_finish_grads<double>(double*, const double*, i64, i64, const double*, i64,
                                         double, double);

}  // namespace fastmlp
