#include "core/train.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "core/aligned.h"
#include "core/gather.h"
#include "core/parallel.h"
#include "core/rng.h"

namespace fastmlp {
namespace {
constexpr u64 kShuffleStream = 1;
}  // namespace

void epoch_permutation(i64* order, i64 n, u64 seed, i64 epoch) {
  std::iota(order, order + n, i64(0));
  const u64 key = stream_key(seed, kShuffleStream, u64(epoch));
  // Fisher-Yates from the end; draw i uses counter i.
  for (i64 i = n - 1; i > 0; --i) std::swap(order[i], order[random_below(key, u64(i), u64(i + 1))]);
}

template <class T>
TrainResult train_epochs(Network<T>& net, const T* X, Targets<T> y, i64 n, const TrainOptions& opt,
                         MetricAccumulator<T>& metrics,
                         const std::function<bool(const Progress&)>& on_progress) {
  using clock = std::chrono::steady_clock;
  const i64 in = net.input_dim(), out = net.output_dim();
  const i64 batch = std::min(opt.batch_size, n), steps = ceil_div(n, batch);
  const auto poll_every = std::chrono::duration<double>(opt.poll_seconds);

  // Workspaces for the whole call; the batch loop below never allocates.
  std::vector<i64> order(opt.shuffle ? size_t(n) : 0);
  LineVector<T> x_batch(opt.shuffle ? size_t(batch * in) : 0);
  LineVector<T> y_dense(opt.shuffle && y.dense ? size_t(batch * out) : 0);
  std::vector<i64> y_labels(opt.shuffle && y.labels ? size_t(batch) : 0);
  LineVector<T> w_batch(opt.shuffle && y.weights ? size_t(batch) : 0);
  std::vector<double> norm_sums(net.grad_norms().size());

  TrainResult result;
  result.epochs.reserve(size_t(opt.epochs));
  net.resume_thread_choice();
  auto next_poll = clock::now() + poll_every;
  for (i64 e = 0; e < opt.epochs; ++e) {
    if (opt.shuffle) epoch_permutation(order.data(), n, opt.seed, opt.first_epoch + e);
    metrics.reset();
    std::fill(norm_sums.begin(), norm_sums.end(), 0.0);
    double loss_sum = 0;
    for (i64 step = 0; step < steps; ++step) {
      const i64 start = step * batch, rows = std::min(batch, n - start);
      const T* xb = X + start * in;
      const i64* batch_rows = nullptr;
      Targets<T> yb = y.offset(start, out);
      if (opt.shuffle) {  // the step gathers X's rows into x_batch; the targets are gathered here
        batch_rows = order.data() + start;
        xb = X;
        if (y.dense) gather_rows(y_dense.data(), y.dense, batch_rows, rows, out);
        for (i64 r = 0; r < rows; ++r) {
          const i64 src = batch_rows[r];
          if (y.labels) y_labels[size_t(r)] = y.labels[src];
          if (y.weights) w_batch[size_t(r)] = y.weights[src];
        }
        yb = {y.dense ? y_dense.data() : nullptr, y.labels ? y_labels.data() : nullptr,
              y.weights ? w_batch.data() : nullptr};
      }
      double step_loss;
      if (!net.train_step(xb, yb, rows, step_loss, batch_rows, x_batch.data())) {
        result.diverged = true;
        result.diverged_epoch = e;
        result.diverged_step = step;
        result.diverged_loss = step_loss;
        return result;
      }
      loss_sum += step_loss * double(rows);
      metrics.add(net.last_output(), yb, rows);  // outputs of this step, before its update
      const auto& norms = net.grad_norms();
      for (size_t k = 0; k < norms.size(); ++k) norm_sums[k] += norms[k];
      if (opt.every_step || clock::now() >= next_poll) {
        const Progress p{e, step + 1, steps, loss_sum / double(start + rows), step_loss};
        if (on_progress && on_progress(p)) {
          result.stopped = true;
          return result;
        }
        next_poll = clock::now() + poll_every;
      }
    }
    EpochRecord record;
    record.loss = loss_sum / double(n);
    record.metrics = metrics.results();
    for (double s : norm_sums) record.grad_norms.push_back(s / double(steps));
    result.epochs.push_back(std::move(record));
  }
  return result;
}

template TrainResult train_epochs<float>(Network<float>&, const float*, Targets<float>, i64,
                                         const TrainOptions&, MetricAccumulator<float>&,
                                         const std::function<bool(const Progress&)>&);
template TrainResult train_epochs<double>(Network<double>&, const double*, Targets<double>, i64,
                                          const TrainOptions&, MetricAccumulator<double>&,
                                          const std::function<bool(const Progress&)>&);

}  // namespace fastmlp
