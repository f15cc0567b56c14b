// A stack of layers over three flat arenas: parameters, gradients and optimizer state. Layers
// hold offsets into the arenas, so an optimizer step is one loop and a checkpoint one copy.
// Activation buffers are sized for the largest batch seen and reused: nothing is allocated per
// batch once training runs.
//
// Convention for backward: gradients are overwritten (not accumulated) by every backward pass.
#pragma once
#include <vector>

#include "core/activations.h"
#include "core/aligned.h"
#include "core/common.h"
#include "core/exec.h"
#include "core/layers/dense.h"
#include "core/losses.h"
#include "core/metrics.h"
#include "core/optim.h"
#include "core/thread_choice.h"

namespace fastmlp {

// A residual block is flattened to ResidualBegin, the block's layers, ResidualEnd: the end adds
// the begin's input to the block's output (and, backward, hands its gradient to the begin).
enum class LayerKind : int {
  Dense, GaussianNoise, Dropout, BatchNorm, LayerNorm, Activation, ResidualBegin, ResidualEnd
};

inline constexpr std::array<std::string_view, 8> kLayerNames = {
    "dense", "gaussian_noise", "dropout", "batch_norm", "layer_norm", "activation",
    "residual_begin", "residual_end"};

struct LayerSpec {
  LayerKind kind = LayerKind::Dense;
  i64 units = 1;              // Dense
  Activation act;             // Dense, Activation
  bool use_bias = true;       // Dense
  double l1 = 0.0, l2 = 0.0;  // Dense kernel penalty l1 * sum|W| + l2 * sum W^2, added to the loss
  double rate = 0.0;          // GaussianNoise: stddev; Dropout: drop probability in [0, 1)
  double momentum = 0.99;     // BatchNorm (Keras semantics)
  double eps = 1e-3;          // BatchNorm, LayerNorm
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
    // Trainable weights in the parameter arena: Dense W (in x out) then b; norms gamma then beta.
    i64 param_offset = 0, param_count = 0;
    // Non-trainable weights in the state arena: BatchNorm moving mean then moving variance.
    i64 state_offset = 0, state_count = 0;
    i64 partner = -1;  // ResidualEnd: index of its ResidualBegin; ResidualBegin: of its end
    i64 outputs_below = 0;  // the output widths of the layers below: where a team step keeps dZ
    bool has_params() const { return param_count > 0; }
  };

  Network(i64 input_dim, const std::vector<LayerSpec>& specs, u64 seed);

  const std::vector<Layer>& layers() const { return layers_; }
  i64 input_dim() const { return layers_.front().in; }
  i64 output_dim() const { return layers_.back().out; }
  i64 num_params() const { return i64(params_.size()); }
  T* params() { return params_.data(); }
  T* grads() { return grads_.data(); }
  i64 num_state() const { return i64(state_.size()); }
  T* state() { return state_.data(); }
  LineVector<T>& optimizer_state() { return opt_state_; }
  const LineVector<T>& optimizer_state() const { return opt_state_; }

  const LossConfig& loss() const { return loss_; }
  void set_loss(const LossConfig& loss) { loss_ = loss; }
  const OptimizerConfig& optimizer() const { return opt_; }
  void set_optimizer(const OptimizerConfig& opt);  // resets the optimizer state
  void set_learning_rate(double lr) { opt_.lr = lr; }
  void set_clip(const ClipConfig& clip) { clip_ = clip; }

  i64 iterations = 0;  // optimizer steps taken; Adam's bias correction and the noise key read it

  // Forward pass of `rows` rows of X; returns the (rows x output_dim) output. Training mode
  // applies the stochastic layers (keyed by the step count) and batch statistics; update_state
  // also moves BatchNorm's moving statistics (a training step does, a training-mode call does
  // not). Inference folds Dense -> BatchNorm (-> Activation) into one Dense pass. With
  // loss_follows, a softmax output is left to backward's loss (loss_writes_output): the output
  // (and last_output()) is written only when backward() returns.
  const T* forward(const T* X, i64 rows, bool training, bool update_state = false,
                   bool loss_follows = false);
  // After forward(X, rows, true): the summed data loss of the rows, with every gradient of the
  // batch mean loss plus the kernel penalties written to grads().
  double backward(const T* X, Targets<T> y, i64 rows);
  // Kernel penalty sum l1 |W| + l2 W^2 over all layers.
  double penalty() const;
  // Each parametrised layer's gradient L2 norm (before clipping) in the last training step.
  const std::vector<double>& grad_norms() const { return grad_norms_; }
  // Output of the last forward pass, (rows x output_dim).
  const T* last_output() const { return outputs_.back(); }

  // 1: a step of `rows` rows runs solo; else the team size of a step in one parallel region.
  int step_threads(i64 rows) const;
  // The pieces of the batch a step's weight gradients sum (GradPieces in dense.h): whatever the
  // thread count, so that solo and team steps give the same bits.
  i64 grad_pieces(i64 rows) const;
  // Forward, backward, clipping and update on one batch; `loss` receives its mean loss + penalty
  // before the update. Returns false when the loss or a gradient is not finite: then no weight
  // changes, so the network keeps the last finite weights. A network of Dense layers runs the
  // whole step in one parallel region when it is large enough for a team (step_threads).
  // With rows_of_x, the batch is X's rows rows_of_x[0, rows), which the step copies into x_batch
  // (rows x input_dim) first; without, X's first rows.
  bool train_step(const T* X, Targets<T> y, i64 rows, double& loss,
                  const i64* rows_of_x = nullptr, T* x_batch = nullptr);
  // The choice between one thread and a team for the steps that earn one (and its step counts),
  // and the news that training resumes after a pause (ThreadChoice::resume).
  const ThreadChoice& thread_choice() const { return thread_choice_; }
  void resume_thread_choice() { thread_choice_.resume(); }
  // Mean loss + penalty over n rows in inference mode, in chunks; metrics (if any) accumulate.
  double evaluate(const T* X, Targets<T> y, i64 n, MetricAccumulator<T>* metrics);
  // Outputs of n rows into out (n x output_dim), in chunks.
  void predict(const T* X, i64 n, T* out, bool training);

 private:
  // The loss reads logits and the gradient it returns is dL/dZ of the last layer: softmax + CE and
  // sigmoid + BCE fused, the stable form and the cheap gradient p - y.
  bool loss_absorbs_output_activation() const;
  // Among those, softmax + cross-entropy: the loss writes the softmax outputs from the
  // exponentials its gradient needs, and a training step's forward pass leaves them to it.
  bool loss_writes_output() const;
  void reserve(i64 rows);
  // Dense layers only, and a step's work in the range where a team pays (step_threads).
  bool team_sized(i64 rows) const;
  // Room in grad_partials_ for `count` pieces (outside any parallel region), and a layer's view.
  void reserve_grad_pieces(i64 count);
  GradPieces<T> layer_pieces(const Layer& layer, i64 count);
  i64 inference_chunk() const;
  u64 layer_key(size_t l) const;
  // Layers (from l) that inference runs as one folded Dense: 1 (no fold), 2 or 3.
  size_t foldable(size_t l) const;
  void forward_folded(size_t l, size_t count, const T* input, i64 rows);
  // A training step's sums: each parametrised layer's squared gradient norm, and the sums over
  // Dense kernels that their penalties weigh, in layer order. The parameter arena is cut into
  // chunks of chunk_ values (at most kChunks of them), and each sum into pieces, one per chunk
  // it covers, summed separately and then added in order: every thread count gets the same bits,
  // and a thread that finishes a chunk's gradients sums its pieces while they are in its cache.
  struct Reduction {
    enum Kind { GradSquares, KernelAbs, KernelSquares } what;
    size_t layer;
    size_t first_piece, end_piece;
  };
  struct Piece {
    size_t reduction;
    i64 begin, end;  // values [begin, end) of the reduction's array
  };
  static constexpr i64 kChunks = 256;
  double reduce(const Piece& piece) const;
  i64 num_chunks() const { return i64(chunk_pieces_first_.size()) - 1; }
  // Chunks [c0, c1) of a step whose gradients were formed in `grad_pieces` pieces: their
  // gradients completed (pieces added, penalties' gradients) and their reduction pieces summed
  // into piece_sums_.
  void finish_chunks(i64 c0, i64 c1, i64 grad_pieces);
  // Reduction k: piece_value(i) of each of its pieces i, added in order (one order for every
  // thread count).
  template <class PieceValue>
  double sum_of(size_t k, PieceValue&& piece_value) const;
  // l1 * KernelAbs + l2 * KernelSquares in layer order, value(k) giving reduction k's sum.
  template <class Value>
  double penalty_of(Value&& value) const;
  // Forward, backward, reductions, clipping and update, solo or as a member of the team; true
  // when the loss and gradients are finite and the weights were updated.
  bool step(const Exec<T>& ex, const T* X, Targets<T> y, i64 rows, double& loss);
  // Room a team step of `rows` rows on up to `threads` threads packs into: the team's products,
  // and each thread's own (values of T, whole cache lines).
  struct TeamWorkspace {
    i64 rows = -1;
    int threads = 0;
    i64 team = 0, own = 0;
  };
  TeamWorkspace team_workspace(i64 rows, int threads);
  // A team's forward and backward (Dense layers only): as forward() then backward() short of
  // finish_chunks, with every value bitwise the same; each row's loss in row_losses_. Complete
  // after the team's next barrier.
  void forward_backward_by_rows(const Exec<T>& ex, const T* X, Targets<T> y, i64 rows);

  std::vector<Layer> layers_;
  u64 seed_;
  i64 first_param_layer_ = -1;  // no input gradient is needed at or below it
  LineVector<T> params_, grads_, opt_state_, state_;
  std::vector<LineVector<T>> buffers_;   // per layer, capacity_ x out
  std::vector<LineVector<T>> saved_;     // per layer: normalisation statistics of the last forward
  std::vector<LineVector<T>> skip_;      // per ResidualEnd: the gradient for the skip path
  LineVector<T> folded_;                 // folded W' and b' of the inference fast path
  LineVector<T> saved_state_;            // state before a training step, restored if it diverges
  ThreadChoice thread_choice_;           // one thread or a team, for steps that earn a team
  std::vector<const T*> outputs_;        // per layer, the last forward's output (may alias input)
  LineVector<T> logits_;                 // last layer's Z when the loss absorbs its activation
  LineVector<T> delta_, delta_next_;     // backward's ping-pong, rows x widest layer output
  LineVector<T> deltas_;                 // a team step's dZ of every layer, rows x out each
  LineVector<T> grad_partials_;          // (pieces - 1) x num_params(): gradient pieces 1, 2, ...
  std::vector<double> row_losses_;       // per row of the batch: its loss, summed in row order
  std::vector<double> grad_norms_;       // per layer with trainable weights
  std::vector<Reduction> reductions_;
  std::vector<Piece> pieces_;
  std::vector<double> piece_sums_;       // the last step's sum of each piece
  i64 chunk_ = 0;                        // values per chunk of the parameter arena
  std::vector<size_t> chunk_pieces_;     // the pieces of chunk c: [first[c], first[c + 1])
  std::vector<size_t> chunk_pieces_first_;
  TeamWorkspace team_workspace_;         // the last one sized
  i64 capacity_ = 0;
  LossConfig loss_;
  OptimizerConfig opt_;
  ClipConfig clip_;
};

}  // namespace fastmlp
