// Metrics accumulated over batches or evaluation chunks: sums kept in double, results read once.
// Accuracy follows the loss: class labels (sparse), argmax of one-hot rows (categorical), or each
// output thresholded independently (binary, multi-label).
#pragma once
#include <array>
#include <string_view>
#include <vector>

#include "core/common.h"
#include "core/losses.h"

namespace fastmlp {

enum class MetricKind : int { Accuracy, TopKAccuracy, MSE, MAE, RMSE, R2 };

inline constexpr std::array<std::string_view, 6> kMetricNames = {
    "accuracy", "top_k_accuracy", "mse", "mae", "rmse", "r2"};

enum class TargetKind : int { Labels, OneHot, Binary };

struct MetricSpec {
  MetricKind kind = MetricKind::Accuracy;
  i64 k = 5;  // top-k
};

template <class T>
class MetricAccumulator {
 public:
  MetricAccumulator(std::vector<MetricSpec> specs, TargetKind targets, double threshold, i64 cols);
  void reset();
  // Adds a block of rows: network outputs and their targets (sample weights are not applied).
  void add(const T* out, Targets<T> y, i64 rows);
  std::vector<double> results() const;
  bool empty() const { return specs_.empty(); }

 private:
  std::vector<MetricSpec> specs_;
  TargetKind targets_;
  T threshold_;
  i64 cols_;
  double correct_ = 0, topk_correct_ = 0, rows_ = 0, sq_err_ = 0, abs_err_ = 0;
  std::vector<double> y_sum_, y_sq_sum_, col_sq_err_;  // per output, for R^2
};

}  // namespace fastmlp
