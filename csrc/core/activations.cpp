#include "core/activations.h"

#include <algorithm>

#include "core/parallel.h"
#include "core/vmath.h"

namespace fastmlp {
namespace {

// Elementwise work is cheap: a region pays off only from roughly this many elements per thread.
constexpr i64 kElementwiseCost = 8;
// Row-wise softmax of a block of rows, max-subtracted; a row of all -inf gives NaN, as in PyTorch.
// The fused softmax cross-entropy repeats these operations (loss_rows' probs).
template <class T>
void softmax_rows(T* z, i64 rows, i64 cols) {
  exp_minus_row_max(z, z, rows, cols);
  for (i64 r = 0; r < rows; ++r) {
    T* row = z + r * cols;
    T sum = 0;
    for (i64 j = 0; j < cols; ++j) sum += row[j];
    const T inv = T(1) / sum;
    for (i64 j = 0; j < cols; ++j) row[j] *= inv;
  }
}

}  // namespace

template <class T>
void exp_minus_row_max(T* E, const T* Z, i64 rows, i64 cols) {
  if (cols <= 0) return;  // no row has a maximum
  for (i64 r = 0; r < rows; ++r) {
    const T* z = Z + r * cols;
    T* e = E + r * cols;
    const T m = *std::max_element(z, z + cols);
    for (i64 j = 0; j < cols; ++j) e[j] = z[j] - m;
  }
  vexp(E, rows * cols);
}

template <class T>
void activation_forward(T* Z, i64 rows, i64 cols, Activation act) {
  const i64 n = rows * cols;
  const int threads = threads_for<T>(kElementwiseCost * n);
  // Elementwise results do not depend on where the shares are cut (the vector math's tail runs
  // the same lanes), nor softmax's on how rows are grouped.
  const auto each = [&](auto&& body) { for_shares(n, threads, kLine<T>, body); };
  switch (act.kind) {
    case Act::Linear:
      return;
    case Act::Sigmoid:
      return each([&](i64 b, i64 e) { vsigmoid(Z + b, e - b); });
    case Act::Tanh:
      return each([&](i64 b, i64 e) { vtanh(Z + b, e - b); });
    case Act::Relu:
      return each([&](i64 b, i64 e) {
#pragma omp simd
        for (i64 i = b; i < e; ++i) Z[i] = Z[i] > T(0) ? Z[i] : T(0);
      });
    case Act::LeakyRelu:
      return each([&](i64 b, i64 e) {
        // alpha a local: read through the closure (which Z might alias, as far as g++ knows),
        // the loop stayed scalar with a branch per value (see also -fno-trapping-math).
        const T alpha = T(act.alpha);
#pragma omp simd
        for (i64 i = b; i < e; ++i) Z[i] = Z[i] > T(0) ? Z[i] : alpha * Z[i];
      });
    case Act::Softmax:
      return for_shares(rows, threads, 1,
                        [&](i64 b, i64 e) { softmax_rows(Z + b * cols, e - b, cols); });
    case Act::Step:
      return each([&](i64 b, i64 e) {
#pragma omp simd
        for (i64 i = b; i < e; ++i) Z[i] = Z[i] > T(0) ? T(1) : T(0);
      });
  }
}

template <class T>
void activation_backward(T* dA, const T* A, i64 rows, i64 cols, Activation act) {
  const i64 n = rows * cols;
  const int threads = threads_for<T>(kElementwiseCost * n);
  const auto each = [&](auto&& body) { for_shares(n, threads, kLine<T>, body); };
  switch (act.kind) {
    case Act::Linear:
    case Act::Step:
      return;
    case Act::Sigmoid:
      return each([&](i64 b, i64 e) {
#pragma omp simd
        for (i64 i = b; i < e; ++i) dA[i] *= A[i] * (T(1) - A[i]);
      });
    case Act::Tanh:
      return each([&](i64 b, i64 e) {
#pragma omp simd
        for (i64 i = b; i < e; ++i) dA[i] *= T(1) - A[i] * A[i];
      });
    case Act::Relu:
      return each([&](i64 b, i64 e) {
#pragma omp simd
        for (i64 i = b; i < e; ++i) dA[i] = A[i] > T(0) ? dA[i] : T(0);
      });
    case Act::LeakyRelu:
      return each([&](i64 b, i64 e) {
        const T alpha = T(act.alpha);  // a local, as in activation_forward
#pragma omp simd
        for (i64 i = b; i < e; ++i) dA[i] = A[i] > T(0) ? dA[i] : alpha * dA[i];
      });
    case Act::Softmax:
      return for_shares(rows, threads, 1, [&](i64 b, i64 e) {
        for (i64 r = b; r < e; ++r) {
          T* d = dA + r * cols;
          const T* a = A + r * cols;
          T dot = 0;
          for (i64 j = 0; j < cols; ++j) dot += d[j] * a[j];
          for (i64 j = 0; j < cols; ++j) d[j] = a[j] * (d[j] - dot);
        }
      });
  }
}

template void exp_minus_row_max<float>(float*, const float*, i64, i64);
template void exp_minus_row_max<double>(double*, const double*, i64, i64);
template void activation_forward<float>(float*, i64, i64, Activation);
template void activation_forward<double>(double*, i64, i64, Activation);
template void activation_backward<float>(float*, const float*, i64, i64, Activation);
template void activation_backward<double>(double*, const double*, i64, i64, Activation);

}  // namespace fastmlp
