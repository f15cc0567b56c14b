#include "core/train.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include "core/rng.h"

namespace fastmlp {
namespace {
constexpr u64 kShuffleStream = 1;
}

void epoch_permutation(i64* order, i64 n, u64 seed, i64 epoch) {
  std::iota(order, order + n, i64(0));
  const u64 key = stream_key(seed, kShuffleStream, u64(epoch));
  // Fisher-Yates from the end; draw i uses counter i.
  for (i64 i = n - 1; i > 0; --i) std::swap(order[i], order[random_below(key, u64(i), u64(i + 1))]);
}

template <class T>
TrainResult train_epochs(Network<T>& net, const T* X, Targets<T> y, i64 n, const TrainOptions& opt,
                         double* epoch_loss, const std::function<bool()>& should_stop) {
  using clock = std::chrono::steady_clock;
  const i64 in = net.input_dim(), out = net.output_dim();
  const i64 batch = std::min(opt.batch_size, n);

  // Workspaces for the whole call; the batch loop below never allocates.
  std::vector<i64> order(opt.shuffle ? size_t(n) : 0);
  std::vector<T> x_batch(opt.shuffle ? size_t(batch * in) : 0);
  std::vector<T> y_dense(opt.shuffle && y.dense ? size_t(batch * out) : 0);
  std::vector<i64> y_labels(opt.shuffle && y.labels ? size_t(batch) : 0);

  TrainResult result;
  auto next_poll = clock::now() + std::chrono::duration<double>(opt.poll_seconds);
  for (i64 e = 0; e < opt.epochs; ++e) {
    if (opt.shuffle) epoch_permutation(order.data(), n, opt.seed, opt.first_epoch + e);
    double loss_sum = 0;
    for (i64 start = 0; start < n; start += batch) {
      const i64 rows = std::min(batch, n - start);
      const T* xb = X + start * in;
      Targets<T> yb = y.offset(start, out);
      if (opt.shuffle) {
        for (i64 r = 0; r < rows; ++r) {
          const i64 src = order[size_t(start + r)];
          std::copy(X + src * in, X + (src + 1) * in, x_batch.data() + r * in);
          if (y.dense) std::copy(y.dense + src * out, y.dense + (src + 1) * out, y_dense.data() + r * out);
          if (y.labels) y_labels[size_t(r)] = y.labels[src];
        }
        xb = x_batch.data();
        yb = {y.dense ? y_dense.data() : nullptr, y.labels ? y_labels.data() : nullptr};
      }
      loss_sum += net.train_step(xb, yb, rows) * double(rows);
      if (clock::now() >= next_poll) {
        if (should_stop && should_stop()) {
          result.stopped = true;
          return result;
        }
        next_poll = clock::now() + std::chrono::duration<double>(opt.poll_seconds);
      }
    }
    epoch_loss[e] = loss_sum / double(n);
    result.epochs_done = e + 1;
  }
  return result;
}

template TrainResult train_epochs<float>(Network<float>&, const float*, Targets<float>, i64,
                                         const TrainOptions&, double*, const std::function<bool()>&);
template TrainResult train_epochs<double>(Network<double>&, const double*, Targets<double>, i64,
                                          const TrainOptions&, double*,
                                          const std::function<bool()>&);

}  // namespace fastmlp
