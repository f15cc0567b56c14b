// A stack of layers over three flat arenas: parameters, gradients and optimizer state. Layers
// hold offsets into the arenas, so an optimizer step is one loop and a checkpoint one copy.
// Activation buffers are sized for the largest batch seen and reused: nothing is allocated per
// batch once training runs.
//
// Convention for backward: gradients are overwritten (not accumulated) by every backward pass.
#pragma once
#include <vector>

#include "core/activations.h"
#include "core/common.h"
#include "core/losses.h"
#include "core/metrics.h"
#include "core/optim.h"

namespace fastmlp {

enum class LayerKind : int { Dense, GaussianNoise };

inline constexpr std::array<std::string_view, 2> kLayerNames = {"dense", "gaussian_noise"};

struct LayerSpec {
  LayerKind kind = LayerKind::Dense;
  i64 units = 1;  // Dense
  Activation act;
  bool use_bias = true;
  double l1 = 0.0, l2 = 0.0;  // kernel penalty l1 * sum|W| + l2 * sum W^2, added to the loss
  double stddev = 0.0;        // GaussianNoise
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
  struct Layer {
    LayerSpec spec;
    i64 in, out;
    i64 w_offset, b_offset;  // W (in x out) row-major, then b (out), in the arenas; Dense only
    bool has_params() const { return spec.kind == LayerKind::Dense; }
  };

  Network(i64 input_dim, const std::vector<LayerSpec>& specs, u64 seed);

  const std::vector<Layer>& layers() const { return layers_; }
  i64 input_dim() const { return layers_.front().in; }
  i64 output_dim() const { return layers_.back().out; }
  i64 num_params() const { return i64(params_.size()); }
  T* params() { return params_.data(); }
  T* grads() { return grads_.data(); }
  std::vector<T>& optimizer_state() { return opt_state_; }
  const std::vector<T>& optimizer_state() const { return opt_state_; }

  const LossConfig& loss() const { return loss_; }
  void set_loss(const LossConfig& loss) { loss_ = loss; }
  const OptimizerConfig& optimizer() const { return opt_; }
  void set_optimizer(const OptimizerConfig& opt);  // resets the optimizer state
  void set_learning_rate(double lr) { opt_.lr = lr; }
  void set_clip(const ClipConfig& clip) { clip_ = clip; }

  i64 iterations = 0;  // optimizer steps taken; Adam's bias correction and the noise key read it

  // Forward pass of `rows` rows of X; returns the (rows x output_dim) output. Training mode
  // applies the stochastic layers (noise), keyed by the step count.
  const T* forward(const T* X, i64 rows, bool training);
  // After forward(X, rows, true): the summed data loss of the rows, with every gradient of the
  // batch mean loss plus the kernel penalties written to grads().
  double backward(const T* X, Targets<T> y, i64 rows);
  // Kernel penalty sum l1 |W| + l2 W^2 over all layers.
  double penalty() const;
  // Clip, then one optimizer step on the current gradients. Records each parametrised layer's
  // gradient L2 norm (before clipping) in grad_norms().
  void apply_update();
  const std::vector<double>& grad_norms() const { return grad_norms_; }
  // Output of the last forward pass, (rows x output_dim).
  const T* last_output() const { return outputs_.back(); }

  // Forward, backward and update on one batch; returns its mean loss + penalty before the update.
  double train_step(const T* X, Targets<T> y, i64 rows);
  // Mean loss + penalty over n rows in inference mode, in chunks; metrics (if any) accumulate.
  double evaluate(const T* X, Targets<T> y, i64 n, MetricAccumulator<T>* metrics);
  // Outputs of n rows into out (n x output_dim), in chunks.
  void predict(const T* X, i64 n, T* out, bool training);

 private:
  // The loss reads logits and the gradient it returns is dL/dZ of the last layer: softmax + CE and
  // sigmoid + BCE fused, the stable form and the cheap gradient p - y.
  bool loss_absorbs_output_activation() const;
  void reserve(i64 rows);
  i64 inference_chunk() const;

  std::vector<Layer> layers_;
  u64 seed_;
  i64 first_param_layer_ = -1;  // no input gradient is needed at or below it
  std::vector<T> params_, grads_, opt_state_;
  std::vector<std::vector<T>> buffers_;  // per layer, capacity_ x out
  std::vector<const T*> outputs_;        // per layer, the last forward's output (may alias input)
  std::vector<T> logits_;                // last layer's Z when the loss absorbs its activation
  std::vector<T> delta_, delta_next_;    // backward ping-pong, capacity_ x widest layer
  std::vector<double> grad_norms_;       // per parametrised layer
  i64 capacity_ = 0;
  LossConfig loss_;
  OptimizerConfig opt_;
  ClipConfig clip_;
};

}  // namespace fastmlp
