// The epoch loop: shuffle, gather the batch, forward, loss, backward, clip, update. Runs whole
// epochs without returning to the caller. `on_progress` is called between steps, about every
// `poll_seconds` (or after every step when `every_step`), so a host language can draw progress,
// run per-batch callbacks and deliver Ctrl-C; returning true stops the loop, which always leaves
// the weights of the last finished step.
#pragma once
#include <functional>
#include <vector>

#include "core/common.h"
#include "core/metrics.h"
#include "core/network.h"

namespace fastmlp {

struct TrainOptions {
  i64 epochs = 1;
  i64 batch_size = 32;
  bool shuffle = true;
  u64 seed = 0;
  i64 first_epoch = 0;  // epoch number of the first epoch run: it keys that epoch's shuffle
  double poll_seconds = 0.05;
  bool every_step = false;
};

struct Progress {
  i64 epoch;        // 0-based, counted from the first epoch of this call
  i64 step;         // steps finished in this epoch
  i64 steps;        // steps per epoch
  double loss;      // mean loss of the epoch's finished steps
  double last_loss; // loss of the last step
};

struct EpochRecord {
  double loss = 0;                   // sample-weighted mean of the batch losses
  std::vector<double> metrics;       // on the training batches, before each update
  std::vector<double> grad_norms;    // per parametrised layer, mean over the epoch's steps
};

struct TrainResult {
  std::vector<EpochRecord> epochs;  // finished epochs
  bool stopped = false;             // on_progress returned true
  // The loss or a gradient became non-finite at (epoch of this call, 0-based step); the network
  // keeps the weights before that step.
  bool diverged = false;
  i64 diverged_epoch = 0, diverged_step = 0;
  double diverged_loss = 0;
};

// Sample order of one epoch: a pure function of (seed, epoch), so a resumed run shuffles as an
// uninterrupted one would.
void epoch_permutation(i64* order, i64 n, u64 seed, i64 epoch);

template <class T>
TrainResult train_epochs(Network<T>& net, const T* X, Targets<T> y, i64 n, const TrainOptions& opt,
                         MetricAccumulator<T>& metrics,
                         const std::function<bool(const Progress&)>& on_progress);

}  // namespace fastmlp
