#include "core/activations.h"

#include <algorithm>

#include "core/parallel.h"
#include "core/vmath.h"

namespace fastmlp {
namespace {

// Elementwise work is cheap: a region pays off only from roughly this many elements per thread.
constexpr i64 kElementwiseCost = 8;
// Elements per call of the vector math, so threads get whole chunks.
constexpr i64 kChunk = 4096;

// Row-wise softmax of a block of rows, max-subtracted; a row of all -inf gives NaN, as in PyTorch.
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
  switch (act.kind) {
    case Act::Linear:
      return;
    case Act::Sigmoid:
#pragma omp parallel for schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; i += kChunk) vsigmoid(Z + i, std::min(kChunk, n - i));
      return;
    case Act::Tanh:
#pragma omp parallel for schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; i += kChunk) vtanh(Z + i, std::min(kChunk, n - i));
      return;
    case Act::Relu:
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) Z[i] = Z[i] > T(0) ? Z[i] : T(0);
      return;
    case Act::LeakyRelu: {
      const T alpha = T(act.alpha);
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) Z[i] = Z[i] > T(0) ? Z[i] : alpha * Z[i];
      return;
    }
    case Act::Softmax: {
      const i64 block = std::max<i64>(1, kChunk / std::max<i64>(cols, 1));
#pragma omp parallel for schedule(static) num_threads(threads)
      for (i64 r = 0; r < rows; r += block)
        softmax_rows(Z + r * cols, std::min(block, rows - r), cols);
      return;
    }
    case Act::Step:
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) Z[i] = Z[i] > T(0) ? T(1) : T(0);
      return;
  }
}

template <class T>
void activation_backward(T* dA, const T* A, i64 rows, i64 cols, Activation act) {
  const i64 n = rows * cols;
  const int threads = threads_for<T>(kElementwiseCost * n);
  switch (act.kind) {
    case Act::Linear:
    case Act::Step:
      return;
    case Act::Sigmoid:
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) dA[i] *= A[i] * (T(1) - A[i]);
      return;
    case Act::Tanh:
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) dA[i] *= T(1) - A[i] * A[i];
      return;
    case Act::Relu:
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) dA[i] = A[i] > T(0) ? dA[i] : T(0);
      return;
    case Act::LeakyRelu: {
      const T alpha = T(act.alpha);
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) dA[i] = A[i] > T(0) ? dA[i] : alpha * dA[i];
      return;
    }
    case Act::Softmax:
#pragma omp parallel for schedule(static) num_threads(threads)
      for (i64 r = 0; r < rows; ++r) {
        T* d = dA + r * cols;
        const T* a = A + r * cols;
        T dot = 0;
        for (i64 j = 0; j < cols; ++j) dot += d[j] * a[j];
        for (i64 j = 0; j < cols; ++j) d[j] = a[j] * (d[j] - dot);
      }
      return;
  }
}

template void exp_minus_row_max<float>(float*, const float*, i64, i64);
template void exp_minus_row_max<double>(double*, const double*, i64, i64);
template void activation_forward<float>(float*, i64, i64, Activation);
template void activation_forward<double>(double*, i64, i64, Activation);
template void activation_backward<float>(float*, const float*, i64, i64, Activation);
template void activation_backward<double>(double*, const double*, i64, i64, Activation);

}  // namespace fastmlp
