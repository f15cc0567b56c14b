// The epoch loop: shuffle, gather the batch, forward, loss, backward, clip, update. Runs whole
// epochs without returning to the caller; `should_stop` is polled between steps (about every
// `poll_seconds`) so a host language can deliver Ctrl-C, and a stop always leaves the weights of
// the last finished step.
#pragma once
#include <functional>

#include "core/common.h"
#include "core/network.h"

namespace fastmlp {

struct TrainOptions {
  i64 epochs = 1;
  i64 batch_size = 32;
  bool shuffle = true;
  u64 seed = 0;
  i64 first_epoch = 0;  // epoch number of the first epoch run: it keys that epoch's shuffle
  double poll_seconds = 0.05;
};

struct TrainResult {
  i64 epochs_done = 0;
  bool stopped = false;  // should_stop returned true
};

// Sample order of one epoch: a pure function of (seed, epoch), so a resumed run shuffles as an
// uninterrupted one would.
void epoch_permutation(i64* order, i64 n, u64 seed, i64 epoch);

// epoch_loss[e] receives the sample-weighted mean of the batch losses of epoch e.
template <class T>
TrainResult train_epochs(Network<T>& net, const T* X, Targets<T> y, i64 n, const TrainOptions& opt,
                         double* epoch_loss, const std::function<bool()>& should_stop);

}  // namespace fastmlp
