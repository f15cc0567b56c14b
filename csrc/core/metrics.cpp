#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fastmlp {
namespace {

template <class T>
i64 argmax(const T* row, i64 cols) {
  return i64(std::max_element(row, row + cols) - row);
}

}  // namespace

template <class T>
MetricAccumulator<T>::MetricAccumulator(std::vector<MetricSpec> specs, TargetKind targets,
                                        double threshold, i64 cols)
    : specs_(std::move(specs)), targets_(targets), threshold_(T(threshold)), cols_(cols) {
  reset();
}

template <class T>
void MetricAccumulator<T>::reset() {
  correct_ = topk_correct_ = rows_ = sq_err_ = abs_err_ = 0;
  y_sum_.assign(size_t(cols_), 0.0);
  y_sq_sum_.assign(size_t(cols_), 0.0);
  col_sq_err_.assign(size_t(cols_), 0.0);
}

template <class T>
void MetricAccumulator<T>::add(const T* out, Targets<T> y, i64 rows) {
  if (specs_.empty()) return;
  const i64 cols = cols_;
  for (const MetricSpec& m : specs_) {
    switch (m.kind) {
      case MetricKind::Accuracy:
        for (i64 r = 0; r < rows; ++r) {
          const T* o = out + r * cols;
          if (targets_ == TargetKind::Labels)
            correct_ += argmax(o, cols) == y.labels[r];
          else if (targets_ == TargetKind::OneHot)
            correct_ += argmax(o, cols) == argmax(y.dense + r * cols, cols);
          else
            for (i64 j = 0; j < cols; ++j)
              correct_ += double((o[j] > threshold_) == (y.dense[r * cols + j] > T(0.5))) / double(cols);
        }
        break;
      case MetricKind::TopKAccuracy:
        // The true class is in the top k when fewer than k classes score strictly higher.
        for (i64 r = 0; r < rows; ++r) {
          const T* o = out + r * cols;
          const i64 c = targets_ == TargetKind::Labels ? y.labels[r] : argmax(y.dense + r * cols, cols);
          i64 higher = 0;
          for (i64 j = 0; j < cols; ++j) higher += o[j] > o[c];
          topk_correct_ += higher < m.k;
        }
        break;
      case MetricKind::MSE:
      case MetricKind::RMSE:
      case MetricKind::MAE:
      case MetricKind::R2:
        break;  // elementwise sums below, once for all of them
    }
  }
  const bool regression = std::any_of(specs_.begin(), specs_.end(), [](const MetricSpec& m) {
    return m.kind != MetricKind::Accuracy && m.kind != MetricKind::TopKAccuracy;
  });
  if (regression && y.dense) {
    for (i64 r = 0; r < rows; ++r)
      for (i64 j = 0; j < cols; ++j) {
        const double t = double(y.dense[r * cols + j]), d = double(out[r * cols + j]) - t;
        sq_err_ += d * d;
        abs_err_ += std::abs(d);
        col_sq_err_[size_t(j)] += d * d;
        y_sum_[size_t(j)] += t;
        y_sq_sum_[size_t(j)] += t * t;
      }
  }
  rows_ += double(rows);
}

template <class T>
std::vector<double> MetricAccumulator<T>::results() const {
  std::vector<double> out;
  const double n = rows_, elems = rows_ * double(cols_);
  for (const MetricSpec& m : specs_) {
    switch (m.kind) {
      case MetricKind::Accuracy: out.push_back(correct_ / n); break;
      case MetricKind::TopKAccuracy: out.push_back(topk_correct_ / n); break;
      case MetricKind::MSE: out.push_back(sq_err_ / elems); break;
      case MetricKind::RMSE: out.push_back(std::sqrt(sq_err_ / elems)); break;
      case MetricKind::MAE: out.push_back(abs_err_ / elems); break;
      case MetricKind::R2: {
        // Uniform average over outputs of 1 - SS_res / SS_tot, as scikit-learn's r2_score.
        double sum = 0;
        for (i64 j = 0; j < cols_; ++j) {
          const double ss_tot = y_sq_sum_[size_t(j)] - y_sum_[size_t(j)] * y_sum_[size_t(j)] / n;
          sum += ss_tot > 0 ? 1.0 - col_sq_err_[size_t(j)] / ss_tot
                            : (col_sq_err_[size_t(j)] == 0 ? 1.0 : 0.0);
        }
        out.push_back(sum / double(cols_));
        break;
      }
    }
  }
  return out;
}

template class MetricAccumulator<float>;
template class MetricAccumulator<double>;

}  // namespace fastmlp
