#include "core/losses.h"

#include <algorithm>
#include <cmath>

#include "core/activations.h"
#include "core/vmath.h"

namespace fastmlp {
namespace {

// PyTorch clamps log-probabilities at -100 so that p = 0 gives a large finite loss.
constexpr double kLogFloor = -100.0;
// PyTorch's BCELoss divides its gradient by max(p (1 - p), 1e-12).
constexpr double kBceGradEps = 1e-12;

template <class T>
double clamped_log(T p) {
  return std::max(std::log(double(p)), kLogFloor);
}

// Row-wise log-sum-exp pieces: max and sum of exp(z - max).
template <class T>
void logsumexp_parts(const T* z, i64 cols, T& m, T& s) {
  m = *std::max_element(z, z + cols);
  s = 0;
  for (i64 j = 0; j < cols; ++j) s += std::exp(z[j] - m);
}

template <class T>
void categorical_from_logits(const T* Z, Targets<T> t, i64 begin, i64 end, i64 rows, i64 cols,
                             T* grad, double* row_loss, T* probs) {
  const T inv_rows = T(1) / T(rows);
  if (grad)  // the gradient starts as exp(z - max)
    exp_minus_row_max(grad + begin * cols, Z + begin * cols, end - begin, cols);
  for (i64 r = begin; r < end; ++r) {
    const T* z = Z + r * cols;
    const T w = t.weight(r), scale = w * inv_rows;
    T* g = grad ? grad + r * cols : nullptr;
    T m, s;
    if (g) {
      m = *std::max_element(z, z + cols);
      s = 0;
      for (i64 j = 0; j < cols; ++j) s += g[j];
    } else {
      logsumexp_parts(z, cols, m, s);
    }
    const T lse = m + std::log(s);
    if (g && probs) {  // softmax_rows' operations on the same exponentials and sum
      const T inv = T(1) / s;
      for (i64 j = 0; j < cols; ++j) probs[r * cols + j] = g[j] * inv;
    }
    if (t.labels) {
      const i64 c = t.labels[r];
      row_loss[r] = double(w * (lse - z[c]));
      if (g) {
        for (i64 j = 0; j < cols; ++j) g[j] = g[j] / s * scale;
        g[c] -= scale;
      }
    } else {
      const T* y = t.dense + r * cols;
      T loss = 0, y_sum = 0;
      for (i64 j = 0; j < cols; ++j) {
        loss += y[j] * (lse - z[j]);
        y_sum += y[j];
      }
      row_loss[r] = double(w * loss);
      // d/dz of -sum_j y_j log softmax(z)_j = softmax(z) * sum(y) - y (targets need not sum to 1).
      if (g)
        for (i64 j = 0; j < cols; ++j) g[j] = (g[j] / s * y_sum - y[j]) * scale;
    }
  }
}

template <class T>
void categorical_from_probs(const T* P, Targets<T> t, i64 begin, i64 end, i64 rows, i64 cols,
                            T* grad, double* row_loss) {
  const T inv_rows = T(1) / T(rows);
  for (i64 r = begin; r < end; ++r) {
    const T* p = P + r * cols;
    const T w = t.weight(r), scale = w * inv_rows;
    T* g = grad ? grad + r * cols : nullptr;
    if (g) std::fill(g, g + cols, T(0));
    double loss = 0;
    for (i64 j = 0; j < cols; ++j) {
      const T y = t.labels ? T(t.labels[r] == j) : t.dense[r * cols + j];
      if (y == T(0)) continue;
      const double logp = clamped_log(p[j]);
      loss -= double(w) * double(y) * logp;
      // Inside the clamp the loss is flat, so its gradient is zero there.
      if (g && logp > kLogFloor) g[j] = -y / p[j] * scale;
    }
    row_loss[r] = loss;
  }
}

// Binary cross-entropy on logits: max(z, 0) - z y + log1p(e^-|z|) per element (finite for finite
// z; the log term, softplus(-|z|), added last, since a confident right answer's loss is that term
// alone: softplus(z) - z y would cancel it away) and the gradient (sigmoid(z) - y) / n, through
// the vector math on runs of the block copied to a stack buffer: as many whole rows as kRun
// values hold (so a one-column output is not taken a value at a time), or kRun columns of a
// longer row. Each row's loss adds its columns in order, so the value is the same however the
// rows are shared out.
template <class T>
void binary_from_logits(const T* Z, Targets<T> t, i64 begin, i64 end, i64 rows, i64 cols, T* grad,
                        double* row_loss) {
  constexpr i64 kRun = 256;
  alignas(64) T buf[kRun];
  const T inv_n = T(1) / T(rows * cols);
  const i64 run_rows = std::max<i64>(1, kRun / cols), run_cols = std::min(cols, kRun);
  for (i64 r0 = begin; r0 < end; r0 += run_rows) {
    const i64 r1 = std::min(end, r0 + run_rows);
    for (i64 r = r0; r < r1; ++r) row_loss[r] = 0;
    for (i64 c0 = 0; c0 < cols; c0 += run_cols) {
      const i64 c1 = std::min(cols, c0 + run_cols), width = c1 - c0, n = (r1 - r0) * width;
      // The run: rows [r0, r1) x columns [c0, c1), contiguous when it holds whole rows.
      const auto gather = [&](auto f) {
        for (i64 r = r0; r < r1; ++r)
          std::transform(Z + r * cols + c0, Z + r * cols + c1, buf + (r - r0) * width, f);
      };
      gather([](T z) { return -std::abs(z); });
      vsoftplus(buf, n);
      for (i64 r = r0; r < r1; ++r) {
        const T* b = buf + (r - r0) * width;
        const T *z = Z + r * cols + c0, *y = t.dense + r * cols + c0;
        double sum = row_loss[r];
        for (i64 j = 0; j < width; ++j) sum += double(std::max(z[j], T(0)) - z[j] * y[j] + b[j]);
        row_loss[r] = sum;
      }
      if (!grad) continue;
      gather([](T z) { return z; });
      vsigmoid(buf, n);
      for (i64 r = r0; r < r1; ++r) {
        const T* b = buf + (r - r0) * width;
        const T* y = t.dense + r * cols + c0;
        T* g = grad + r * cols + c0;
        const T scale = t.weight(r) * inv_n;
        for (i64 j = 0; j < width; ++j) g[j] = (b[j] - y[j]) * scale;
      }
    }
    for (i64 r = r0; r < r1; ++r) row_loss[r] *= double(t.weight(r));
  }
}

template <class T>
void elementwise(LossKind kind, const T* a, Targets<T> t, i64 begin, i64 end, i64 rows, i64 cols,
                 T* grad, double* row_loss) {
  const T inv_n = T(1) / T(rows * cols);
  for (i64 r = begin; r < end; ++r) {
    const T w = t.weight(r), scale = w * inv_n;
    double row_total = 0;
    for (i64 i = r * cols; i < (r + 1) * cols; ++i) {
      const T y = t.dense[i], d = a[i] - y;
      T g;
      switch (kind) {
        case LossKind::MSE:
          row_total += double(d) * double(d);
          g = T(2) * d * scale;
          break;
        case LossKind::MAE:
          row_total += std::abs(double(d));
          g = T((d > T(0)) - (d < T(0))) * scale;
          break;
        default: {  // BinaryCE on probabilities (binary_from_logits takes logits)
          const T p = a[i];
          row_total -= double(y) * clamped_log(p) + double(T(1) - y) * clamped_log(T(1) - p);
          g = T(double(d) / std::max(double(p) * double(T(1) - p), kBceGradEps)) * scale;
          break;
        }
      }
      if (grad) grad[i] = g;
    }
    row_loss[r] = double(w) * row_total;
  }
}

}  // namespace

template <class T>
void loss_rows(LossKind kind, bool on_logits, const T* input, Targets<T> target, i64 begin,
               i64 end, i64 rows, i64 cols, T* grad, double* row_loss, T* probs) {
  switch (kind) {
    case LossKind::CategoricalCE:
    case LossKind::SparseCategoricalCE:
      if (on_logits)
        return categorical_from_logits(input, target, begin, end, rows, cols, grad, row_loss,
                                       probs);
      return categorical_from_probs(input, target, begin, end, rows, cols, grad, row_loss);
    case LossKind::BinaryCE:
      if (on_logits)
        return binary_from_logits(input, target, begin, end, rows, cols, grad, row_loss);
      [[fallthrough]];
    default:
      return elementwise(kind, input, target, begin, end, rows, cols, grad, row_loss);
  }
}

double loss_sum(LossKind kind, const double* row_loss, i64 rows, i64 cols) {
  double total = 0;
  for (i64 r = 0; r < rows; ++r) total += row_loss[r];
  const bool categorical = kind == LossKind::CategoricalCE || kind == LossKind::SparseCategoricalCE;
  return categorical ? total : total / double(cols);
}

template void loss_rows<float>(LossKind, bool, const float*, Targets<float>, i64, i64, i64, i64,
                               float*, double*, float*);
template void loss_rows<double>(LossKind, bool, const double*, Targets<double>, i64, i64, i64,
                                i64, double*, double*, double*);

}  // namespace fastmlp
