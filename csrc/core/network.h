// A stack of dense layers over three flat arenas: parameters, gradients and optimizer state.
// Layers hold offsets into the arenas, so an optimizer step is one loop and a checkpoint one copy.
// Activation buffers are sized for the largest batch seen and reused: nothing is allocated per
// batch once training runs.
//
// Convention for backward: gradients are overwritten (not accumulated) by every backward pass.
#pragma once
#include <vector>

#include "core/activations.h"
#include "core/common.h"
#include "core/losses.h"
#include "core/optim.h"

namespace fastmlp {

struct DenseSpec {
  i64 units = 1;
  Activation act;
  bool use_bias = true;
  double l1 = 0.0, l2 = 0.0;  // kernel penalty l1 * sum|W| + l2 * sum W^2, added to the loss
};

struct LossConfig {
  LossKind kind = LossKind::MSE;
  bool from_logits = false;
};

struct ClipConfig {
  double norm = 0.0;   // > 0: rescale gradients to this global L2 norm at most (as clip_grad_norm_)
  double value = 0.0;  // > 0: clamp every gradient to [-value, value]
};

template <class T>
class Network {
 public:
  struct Dense {
    i64 in, out;
    Activation act;
    bool use_bias;
    double l1, l2;
    i64 w_offset;  // W, (in x out) row-major, in the arenas
    i64 b_offset;  // b, (out), follows W; unused without bias
  };

  Network(i64 input_dim, const std::vector<DenseSpec>& specs);

  const std::vector<Dense>& layers() const { return layers_; }
  i64 input_dim() const { return layers_.front().in; }
  i64 output_dim() const { return layers_.back().out; }
  i64 num_params() const { return i64(params_.size()); }
  T* params() { return params_.data(); }
  T* grads() { return grads_.data(); }
  std::vector<T>& optimizer_state() { return opt_state_; }

  const LossConfig& loss() const { return loss_; }
  void set_loss(const LossConfig& loss) { loss_ = loss; }
  const OptimizerConfig& optimizer() const { return opt_; }
  void set_optimizer(const OptimizerConfig& opt);  // resets the optimizer state
  void set_learning_rate(double lr) { opt_.lr = lr; }
  void set_clip(const ClipConfig& clip) { clip_ = clip; }

  i64 iterations = 0;  // optimizer steps taken; Adam's bias correction reads it

  // Forward pass of `rows` rows of X; returns the (rows x output_dim) activated output.
  const T* forward(const T* X, i64 rows);
  // After forward(X, rows): the summed data loss of the rows, with every gradient of the batch
  // mean loss plus the kernel penalties written to grads().
  double backward(const T* X, Targets<T> y, i64 rows);
  // Kernel penalty sum l1 |W| + l2 W^2 over all layers.
  double penalty() const;
  // Clip, then one optimizer step on the current gradients.
  void apply_update();

  // Forward, backward and update on one batch; returns its mean loss + penalty before the update.
  double train_step(const T* X, Targets<T> y, i64 rows);
  // Mean loss + penalty over n rows, in chunks, no gradient.
  double evaluate(const T* X, Targets<T> y, i64 n);
  // Outputs of n rows into out (n x output_dim), in chunks.
  void predict(const T* X, i64 n, T* out);

 private:
  // The loss reads logits and the gradient it returns is dL/dZ of the last layer: softmax + CE and
  // sigmoid + BCE fused, the stable form and the cheap gradient p - y.
  bool loss_absorbs_output_activation() const;
  void reserve(i64 rows);
  i64 inference_chunk() const;

  std::vector<Dense> layers_;
  std::vector<T> params_, grads_, opt_state_;
  std::vector<std::vector<T>> outputs_;  // per layer, capacity_ x out
  std::vector<T> logits_;                // last layer's Z when the loss absorbs its activation
  std::vector<T> delta_, delta_next_;    // backward ping-pong, capacity_ x widest layer
  i64 capacity_ = 0;
  LossConfig loss_;
  OptimizerConfig opt_;
  ClipConfig clip_;
};

}  // namespace fastmlp
