// Loss values and their output gradients in one pass.
//
// Reduction follows PyTorch's defaults: MSE, MAE and BCE average over every element, the
// categorical losses sum over classes and average over rows. loss_rows writes each row's weighted
// loss (for the elementwise losses, its sum over the columns) and loss_sum adds them in row order
// (taking the elementwise losses' mean over columns once), so the sum is the same however the
// rows were shared between threads: a batch mean is sum / rows and a dataset mean over chunks is
// the chunk sums / n. When `grad` is non-null it receives dL/d(input) of the batch MEAN, i.e.
// already divided by rows (and cols).
//
// `on_logits` means `input` holds pre-activations: the categorical losses apply a log-softmax and
// BCE a log-sigmoid internally (log-sum-exp, never overflowing), and the gradient is the fused
// p - y. That path serves both from_logits=True and a softmax/sigmoid output layer.
#pragma once
#include <array>
#include <string_view>

#include "core/common.h"

namespace fastmlp {

enum class LossKind : int { MSE, MAE, BinaryCE, CategoricalCE, SparseCategoricalCE };

inline constexpr std::array<std::string_view, 5> kLossNames = {
    "mse", "mae", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy"};

// Targets of a block of rows: dense (rows x cols, same layout as the input) or class indices,
// and optional per-row sample weights. A weight scales its row's loss and gradient; the batch
// mean still divides by the row count (Keras' sum-over-batch-size reduction).
template <class T>
struct Targets {
  const T* dense = nullptr;
  const i64* labels = nullptr;
  const T* weights = nullptr;
  Targets offset(i64 row, i64 cols) const {
    return {dense ? dense + row * cols : nullptr, labels ? labels + row : nullptr,
            weights ? weights + row : nullptr};
  }
  T weight(i64 row) const { return weights ? weights[row] : T(1); }
};

// Rows [begin, end) of a batch of `rows` (input, target, grad, row_loss and probs all address the
// whole batch): row_loss[r] and grad's row r for each of them. With probs (the categorical losses
// on logits, with grad), also their softmax, bitwise activation_forward's, from the exponentials
// the gradient needs: a training step's output layer need not compute them itself.
template <class T>
void loss_rows(LossKind kind, bool on_logits, const T* input, Targets<T> target, i64 begin,
               i64 end, i64 rows, i64 cols, T* grad, double* row_loss, T* probs = nullptr);

// The batch's loss summed over rows: row_loss[0, rows) added in order, divided by cols for the
// elementwise losses.
double loss_sum(LossKind kind, const double* row_loss, i64 rows, i64 cols);

}  // namespace fastmlp
