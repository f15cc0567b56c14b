#include "core/network.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/gather.h"
#include "core/layers/dense.h"
#include "core/layers/dropout.h"
#include "core/layers/noise.h"
#include "core/layers/normalization.h"
#include "core/parallel.h"
#include "core/rng.h"

namespace fastmlp {
namespace {
// Stochastic layer l draws from stream kLayerStream + l, counter block keyed by the step.
constexpr u64 kLayerStream = 16;
// Up to this many float32 operations per step a network of Dense layers trains each step in one
// parallel region (forward_backward_by_rows), where its many small products and passes would
// otherwise each fork or run on one thread. In-process A/B against that solo step on 2 threads:
// synthetic float64 (1.4e8 operations) 1.14-1.21x, 784-512-512-10 float32 at batch 64 (2.6e8)
// 1.06x; above, the products dominate and each splits well on its own: 1024-1024-10 at batch 64
// (4.0e8) 0.91x, mnist-m-128 (4.1e8) 0.95-0.96x, 784-512-512-10 at batch 128 (5.1e8) 0.94x.
constexpr i64 kTeamStepWork = i64(1) << 28;
// From this many a step takes a team at all. A team step meets at barriers (after the gradients,
// after their chunks are finished and summed, and around each weight gradient product split by
// tiles) that a kernel's own region (kParallelWork, 2^21) does not: on the Intel Xeon host, 2
// threads against 1 trained diabetes' 10-100-1 float64 step (2.9e6) 0.77x as fast, breast
// cancer's float32 (3.8e6) 0.86x, 20-64-10 float64 at batch 200 (4.8e6) 1.07x and breast
// cancer's float64 (7.7e6) 1.04-1.08x.
constexpr i64 kTeamStepMinWork = i64(1) << 22;
// A step of that size with at least 2 x 96 rows sums its parameter gradients in two pieces of
// the batch: on two threads each forms one from the rows it carried through the step, where a
// product over all rows had each thread pack all of X^T, half of it gathered by the other
// thread, for its share of the columns. In-process A/B on the Intel Xeon host, 2 threads:
// digits float64 1.24x, float32 1.19x, breast cancer float64 1.14x, synthetic float64 1.12x,
// 64-100-10 float64 at batches of 200-400 1.21-1.26x, 100-256-128-10 float32 at 256 and 512
// 1.10x and 1.15x. Pieces of fewer rows write more partial sums per product: 784-128-10 float32
// at 128 rows 0.93x (at 256 0.99x), mnist-s-64 (two pieces of 32 rows) 0.84x. One thread pays
// for the second product and the sum: digits float64 0.96x, synthetic float64 0.94x.
constexpr i64 kGradPieces = 2, kMinPieceRows = 96;
}  // namespace

template <class T>
Network<T>::Network(i64 input_dim, const std::vector<LayerSpec>& specs, u64 seed) : seed_(seed) {
  if (input_dim < 1 || specs.empty()) throw std::invalid_argument("a network needs inputs and layers");
  i64 in = input_dim, params = 0, state = 0;
  std::vector<i64> open_blocks;
  for (const LayerSpec& s : specs) {
    Layer layer{s, in, in};
    layer.outputs_below = layers_.empty() ? 0 : layers_.back().outputs_below + layers_.back().out;
    layer.param_offset = params;
    layer.state_offset = state;
    switch (s.kind) {
      case LayerKind::Dense:
        if (s.units < 1) throw std::invalid_argument("a dense layer needs at least one unit");
        layer.out = s.units;
        layer.param_count = in * s.units + (s.use_bias ? s.units : 0);
        break;
      case LayerKind::BatchNorm:
        layer.state_count = 2 * in;
        [[fallthrough]];
      case LayerKind::LayerNorm:
        layer.param_count = 2 * in;
        break;
      case LayerKind::Dropout:
        if (!(s.rate >= 0.0 && s.rate < 1.0)) throw std::invalid_argument("dropout rate must be in [0, 1)");
        break;
      case LayerKind::ResidualBegin:
        open_blocks.push_back(i64(layers_.size()));
        break;
      case LayerKind::ResidualEnd: {
        if (open_blocks.empty()) throw std::invalid_argument("residual end without a begin");
        layer.partner = open_blocks.back();
        layers_[size_t(layer.partner)].partner = i64(layers_.size());  // the begin knows its end
        open_blocks.pop_back();
        const i64 width = layers_[size_t(layer.partner)].in;
        if (width != in)
          throw std::invalid_argument("a residual block must keep its width: input " +
                                      std::to_string(width) + ", output " + std::to_string(in));
        break;
      }
      case LayerKind::GaussianNoise:
      case LayerKind::Activation:
        break;
    }
    if (layer.has_params()) {
      if (first_param_layer_ < 0) first_param_layer_ = i64(layers_.size());
      grad_norms_.push_back(0.0);
    }
    params += layer.param_count;
    state += layer.state_count;
    layers_.push_back(layer);
    in = layer.out;
  }
  if (!open_blocks.empty()) throw std::invalid_argument("residual begin without an end");
  // Chunks of 128 values or more (whole cache lines: the arenas start on one); a team's shares
  // of them differ by at most one.
  chunk_ = std::max<i64>(128, round_up(ceil_div(params, kChunks), 128));
  std::vector<std::vector<size_t>> in_chunk(size_t(ceil_div(params, chunk_)));
  const auto add_reduction = [&](typename Reduction::Kind what, size_t l, i64 size) {
    const size_t first = pieces_.size();
    const i64 base = layers_[l].param_offset;
    for (i64 begin = 0; begin < size;) {
      const i64 chunk = (base + begin) / chunk_;
      const i64 end = std::min(size, (chunk + 1) * chunk_ - base);
      in_chunk[size_t(chunk)].push_back(pieces_.size());
      pieces_.push_back({reductions_.size(), begin, end});
      begin = end;
    }
    reductions_.push_back({what, l, first, pieces_.size()});
  };
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    if (layer.has_params()) add_reduction(Reduction::GradSquares, l, layer.param_count);
    if (layer.spec.kind != LayerKind::Dense) continue;
    if (layer.spec.l1 != 0.0) add_reduction(Reduction::KernelAbs, l, layer.in * layer.out);
    if (layer.spec.l2 != 0.0) add_reduction(Reduction::KernelSquares, l, layer.in * layer.out);
  }
  piece_sums_.resize(pieces_.size());
  chunk_pieces_first_.push_back(0);
  for (const auto& pieces : in_chunk) {
    chunk_pieces_.insert(chunk_pieces_.end(), pieces.begin(), pieces.end());
    chunk_pieces_first_.push_back(chunk_pieces_.size());
  }
  params_.assign(size_t(params), T(0));
  grads_.assign(size_t(params), T(0));
  state_.assign(size_t(state), T(0));
  buffers_.resize(layers_.size());
  saved_.resize(layers_.size());
  skip_.resize(layers_.size());
  outputs_.resize(layers_.size());
  set_optimizer(opt_);
}

template <class T>
void Network<T>::set_optimizer(const OptimizerConfig& opt) {
  opt_ = opt;
  opt_state_.assign(size_t(optimizer_state_slots(opt)) * params_.size(), T(0));
}

template <class T>
bool Network<T>::loss_absorbs_output_activation() const {
  const LayerSpec& top = layers_.back().spec;
  if (loss_.from_logits || top.kind != LayerKind::Dense) return false;
  switch (loss_.kind) {
    case LossKind::CategoricalCE:
    case LossKind::SparseCategoricalCE:
      return top.act.kind == Act::Softmax;
    case LossKind::BinaryCE:
      return top.act.kind == Act::Sigmoid;
    default:
      return false;
  }
}

template <class T>
bool Network<T>::loss_writes_output() const {
  return loss_absorbs_output_activation() && layers_.back().spec.act.kind == Act::Softmax;
}

template <class T>
void Network<T>::reserve(i64 rows) {
  if (rows <= capacity_) return;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    buffers_[l].resize(size_t(rows * layer.out));
    if (layer.spec.kind == LayerKind::BatchNorm) saved_[l].resize(size_t(2 * layer.in));
    if (layer.spec.kind == LayerKind::LayerNorm) saved_[l].resize(size_t(2 * rows));
    if (layer.spec.kind == LayerKind::ResidualEnd) skip_[l].resize(size_t(rows * layer.out));
  }
  logits_.resize(size_t(rows * output_dim()));
  row_losses_.resize(size_t(rows));
  capacity_ = rows;
}

template <class T>
u64 Network<T>::layer_key(size_t l) const {
  return stream_key(seed_, kLayerStream + l, u64(iterations));
}

template <class T>
size_t Network<T>::foldable(size_t l) const {
  const size_t L = layers_.size();
  if (layers_[l].spec.kind != LayerKind::Dense || layers_[l].spec.act.kind != Act::Linear ||
      l + 1 >= L || layers_[l + 1].spec.kind != LayerKind::BatchNorm)
    return 1;
  const bool act_next = l + 2 < L && layers_[l + 2].spec.kind == LayerKind::Activation &&
                        layers_[l + 2].spec.act.kind != Act::Softmax;
  return act_next ? 3 : 2;
}

// BatchNorm at inference is the affine map x s + t per column (s = gamma / sqrt(var + eps),
// t = beta - mean s), so Dense -> BatchNorm is the Dense with W' = W s and b' = b s + t.
template <class T>
void Network<T>::forward_folded(size_t l, size_t count, const T* input, i64 rows) {
  const Layer& dense = layers_[l];
  const Layer& bn = layers_[l + 1];
  const i64 in = dense.in, out = dense.out;
  folded_.resize(size_t(in * out + out));
  const T* W = params_.data() + dense.param_offset;
  const T* gamma = params_.data() + bn.param_offset;
  const T* beta = gamma + out;
  const T* mean = state_.data() + bn.state_offset;
  const T* var = mean + out;
  T* Wf = folded_.data();
  T* bf = Wf + in * out;
  for (i64 j = 0; j < out; ++j) bf[j] = gamma[j] / std::sqrt(var[j] + T(bn.spec.eps));  // s, for now
  for (i64 i = 0; i < in; ++i)
    for (i64 j = 0; j < out; ++j) Wf[i * out + j] = W[i * out + j] * bf[j];
  for (i64 j = 0; j < out; ++j)
    bf[j] = (dense.spec.use_bias ? W[in * out + j] : T(0)) * bf[j] + beta[j] - mean[j] * bf[j];
  const size_t last = l + count - 1;
  T* y = buffers_[last].data();
  dense_forward(y, static_cast<T*>(nullptr), input, Wf, bf, rows, in, out,
                count == 3 ? layers_[last].spec.act : Activation{Act::Linear});
  for (size_t k = l; k <= last; ++k) outputs_[k] = y;
}

template <class T>
const T* Network<T>::forward(const T* X, i64 rows, bool training, bool update_state,
                            bool loss_follows) {
  reserve(rows);
  const bool keep_logits = loss_absorbs_output_activation();
  const bool loss_activates = loss_follows && loss_writes_output();
  const T* input = X;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const LayerSpec& s = layer.spec;
    T* out = buffers_[l].data();
    T* p = params_.data() + layer.param_offset;
    const i64 n = rows * layer.out;
    const T* result = out;  // the layer's output; the identities pass their input on
    switch (s.kind) {
      case LayerKind::Dense: {
        if (!training) {
          if (const size_t count = foldable(l); count > 1) {
            forward_folded(l, count, input, rows);
            l += count - 1;
            result = outputs_[l];
            break;
          }
        }
        const bool last = l + 1 == layers_.size();
        dense_forward(last && loss_activates ? nullptr : out,
                      last && keep_logits ? logits_.data() : nullptr, input, p,
                      s.use_bias ? p + layer.in * layer.out : nullptr, rows, layer.in, layer.out,
                      s.act);
        break;
      }
      case LayerKind::GaussianNoise:
        if (training) gaussian_noise_forward(out, input, n, s.rate, layer_key(l));
        else result = input;  // the identity at inference: no copy
        break;
      case LayerKind::Dropout:
        if (training) dropout_forward(out, input, n, s.rate, layer_key(l));
        else result = input;
        break;
      case LayerKind::BatchNorm: {
        T* moving = state_.data() + layer.state_offset;
        if (training)
          batchnorm_forward_train(out, saved_[l].data(), saved_[l].data() + layer.in, input, p,
                                  p + layer.in, rows, layer.in, s.eps,
                                  update_state ? moving : nullptr,
                                  update_state ? moving + layer.in : nullptr, s.momentum);
        else
          batchnorm_forward_infer(out, input, p, p + layer.in, moving, moving + layer.in, rows,
                                  layer.in, s.eps);
        break;
      }
      case LayerKind::LayerNorm:
        layernorm_forward(out, saved_[l].data(), saved_[l].data() + rows, input, p, p + layer.in,
                          rows, layer.in, s.eps);
        break;
      case LayerKind::Activation:
        std::copy(input, input + n, out);
        activation_forward(out, rows, layer.out, s.act);
        break;
      case LayerKind::ResidualBegin:
        result = input;
        break;
      case LayerKind::ResidualEnd: {
        const T* skip = outputs_[size_t(layer.partner)];
        for (i64 i = 0; i < n; ++i) out[i] = input[i] + skip[i];
        break;
      }
    }
    outputs_[l] = result;
    input = result;
  }
  return input;
}

template <class T>
double Network<T>::backward(const T* X, Targets<T> y, i64 rows) {
  const bool absorbed = loss_absorbs_output_activation();
  // Gradients of layer outputs only: the input's is never computed. Sized here, where they are
  // used: a team step keeps every layer's dZ instead (deltas_).
  i64 widest = 1;
  for (const Layer& layer : layers_) widest = std::max(widest, layer.out);
  if (delta_.size() < size_t(rows * widest)) {
    delta_.resize(size_t(rows * widest));
    delta_next_.resize(size_t(rows * widest));
  }
  const i64 pieces = grad_pieces(rows);
  reserve_grad_pieces(pieces);
  T* delta = delta_.data();
  T* spare = delta_next_.data();
  loss_rows(loss_.kind, absorbed || loss_.from_logits, absorbed ? logits_.data() : outputs_.back(),
            y, 0, rows, rows, output_dim(), delta, row_losses_.data(),
            loss_writes_output() ? buffers_.back().data() : nullptr);
  // Walk down to the lowest layer with weights; below it no gradient is needed.
  for (i64 l = i64(layers_.size()) - 1; l >= first_param_layer_ && l >= 0; --l) {
    const size_t li = size_t(l);
    const Layer& layer = layers_[li];
    const LayerSpec& s = layer.spec;
    const bool need_dx = l > first_param_layer_;
    const T* input = l == 0 ? X : outputs_[li - 1];
    T* g = grads_.data() + layer.param_offset;
    const T* p = params_.data() + layer.param_offset;
    const i64 n = rows * layer.out;
    T* dX = need_dx ? spare : nullptr;
    switch (s.kind) {
      case LayerKind::Dense: {
        const bool top = li + 1 == layers_.size();
        dense_delta(delta, outputs_[li], rows, layer.out,
                    top && absorbed ? Activation{Act::Linear} : s.act);
        dense_param_grads(Exec<T>{}, g, s.use_bias ? g + layer.in * layer.out : nullptr, delta,
                          input, rows, layer.in, layer.out, layer_pieces(layer, pieces));
        if (dX) dense_input_grad(dX, delta, p, rows, layer.in, layer.out);
        break;
      }
      case LayerKind::BatchNorm:
        batchnorm_backward(dX, g, g + layer.in, delta, input, saved_[li].data(),
                           saved_[li].data() + layer.in, p, rows, layer.in);
        break;
      case LayerKind::LayerNorm:
        layernorm_backward(dX, g, g + layer.in, delta, input, saved_[li].data(),
                           saved_[li].data() + rows, p, rows, layer.in);
        break;
      case LayerKind::Dropout:
        if (need_dx) dropout_backward(delta, n, s.rate, layer_key(li));
        dX = nullptr;  // in place
        break;
      case LayerKind::Activation:
        if (need_dx) activation_backward(delta, outputs_[li], rows, layer.out, s.act);
        dX = nullptr;
        break;
      case LayerKind::ResidualEnd:
        if (need_dx) std::copy(delta, delta + n, skip_[li].data());
        dX = nullptr;
        break;
      case LayerKind::ResidualBegin: {
        if (need_dx) {
          // The end's gradient reaches the begin's input directly, and through the block.
          const T* skip = skip_[size_t(layer.partner)].data();
          for (i64 i = 0; i < n; ++i) delta[i] += skip[i];
        }
        dX = nullptr;
        break;
      }
      case LayerKind::GaussianNoise:
        dX = nullptr;  // the gradient passes through unchanged
        break;
    }
    if (dX) std::swap(delta, spare);
  }
  // The pieces added, the penalties' gradients and the reductions' pieces, all chunks (a team
  // step finishes its own share of them instead).
  for_shares(num_chunks(), threads_for<T>(4 * num_params()), 1, [&](i64 c0, i64 c1) {
    finish_chunks(c0, c1, pieces);
  });
  return loss_sum(loss_.kind, row_losses_.data(), rows, output_dim());
}

template <class T>
void Network<T>::forward_backward_by_rows(const Exec<T>& ex, const T* X, Targets<T> y, i64 rows) {
  // Each thread carries its own rows through every layer, the loss and the deltas alone (its
  // products are gemm() calls on its rows, each packing the weights itself): no barrier, where
  // splitting every product's tiles across the team took two barriers per product. Only the
  // weight gradients sum over all rows: the team forms them afterwards, tile by tile, or from
  // pieces of the batch (grad_pieces).
  const Share own = ex.share(rows);
  const i64 r0 = own.begin, n = own.end - own.begin;
  const bool absorbed = loss_absorbs_output_activation();
  const size_t top = layers_.size() - 1;
  const auto dZ_of = [&](size_t l) { return deltas_.data() + rows * layers_[l].outputs_below; };
  // The products of a thread's rows cover them in whole register tiles. Where the shares cut
  // tiles (64 rows on 2 threads: 6 + 6 tiles of 6 rows where the batch needs 11) a hidden
  // layer's forward product splits the whole batch's tiles across the team instead, at the cost
  // of a barrier or two. mnist-s-64 against the step that split every product's tiles: by rows
  // alone 0.91-1.06x (three A/Bs), with this 0.99-1.03x (two).
  const i64 tile = gemm_tile_rows<T>(), nth = ex.team.nth;
  const bool cut = 16 * nth * ceil_div(ceil_div(rows, nth), tile) > 17 * ceil_div(rows, tile);
  const T* input = X;
  bool input_whole = false;  // every row of `input` visible to all (X: each gathered its own)
  for (size_t l = 0; l <= top; ++l) {
    const Layer& layer = layers_[l];
    const T* p = params_.data() + layer.param_offset;
    const T* b = layer.spec.use_bias ? p + layer.in * layer.out : nullptr;
    T* Y = buffers_[l].data();
    if (cut && l < top && layer.spec.act.kind != Act::Softmax) {
      if (!input_whole) ex.barrier();
      gemm_team(rows, layer.out, layer.in, input, layer.in, 1, p, layer.out, 1, Y, layer.out,
                GemmEpilogue<T>{b, layer.spec.act}, ex.team, ex.workspace);
      ex.barrier();
      input_whole = true;
    } else {
      T* Z = l == top && absorbed ? logits_.data() + r0 * layer.out : nullptr;
      dense_forward(l == top && loss_writes_output() ? nullptr : Y + r0 * layer.out, Z,
                    input + r0 * layer.in, p, b, n, layer.in, layer.out,
                    layer.spec.act, ex.own);
      input_whole = false;  // each thread wrote its own rows
    }
    if (ex.leader()) outputs_[l] = Y;
    input = Y;
  }
  loss_rows(loss_.kind, absorbed || loss_.from_logits,
            absorbed ? logits_.data() : buffers_[top].data(), y, own.begin, own.end, rows,
            output_dim(), dZ_of(top), row_losses_.data(),
            loss_writes_output() ? buffers_[top].data() : nullptr);
  for (size_t l = top + 1; l-- > 0;) {
    const Layer& layer = layers_[l];
    T* dZ = dZ_of(l) + r0 * layer.out;
    dense_delta(dZ, buffers_[l].data() + r0 * layer.out, n, layer.out,
                l == top && absorbed ? Activation{Act::Linear} : layer.spec.act);
    if (l > 0)  // the layer below's dL/dY, its rows r0..
      dense_input_grad(dZ_of(l - 1) + r0 * layer.in, dZ, params_.data() + layer.param_offset, n,
                       layer.in, layer.out, ex.own);
  }
  const i64 pieces = grad_pieces(rows);
  if (pieces == 1) {
    ex.barrier();  // every row's deltas are written
    for (size_t l = 0; l <= top; ++l) {
      const Layer& layer = layers_[l];
      T* g = grads_.data() + layer.param_offset;
      dense_param_grads(ex, g, layer.spec.use_bias ? g + layer.in * layer.out : nullptr, dZ_of(l),
                        l == 0 ? X : buffers_[l - 1].data(), rows, layer.in, layer.out);
    }
  } else {
    // With as many threads as pieces, thread t forms piece t: its own rows, which no other thread
    // wrote. More threads: thread t joins piece t % pieces, whose rows of W its threads split.
    // Fewer (a region may get fewer threads than asked): thread t forms pieces t, t + nth, ...
    if (nth != pieces) ex.barrier();
    const i64 first = ex.team.tid % pieces, stride = std::min(nth, pieces);
    const Team on_piece = nth < pieces ? Team{}
                                       : Team{int(ex.team.tid / pieces),
                                              int((nth - first + pieces - 1) / pieces)};
    for (i64 piece = first; piece < pieces; piece += stride)
      for (size_t l = 0; l <= top; ++l) {
        const Layer& layer = layers_[l];
        const Share k = share_of(layer.in, on_piece);
        const GradPieces<T> g = layer_pieces(layer, pieces);
        dense_param_grad_piece(g.of(grads_.data() + layer.param_offset, piece), dZ_of(l),
                               l == 0 ? X : buffers_[l - 1].data(), rows, layer.in, layer.out,
                               layer.spec.use_bias, piece, pieces, k.begin, k.end, ex.own);
      }
  }
}

template <class T>
void Network<T>::finish_chunks(i64 c0, i64 c1, i64 grad_pieces) {
  const i64 n = num_params();
  for (i64 c = c0; c < c1; ++c) {
    const i64 begin = c * chunk_, end = std::min(n, begin + chunk_);
    for (const Layer& layer : layers_) {
      const LayerSpec& s = layer.spec;
      if (s.kind != LayerKind::Dense) continue;  // others' gradients are complete
      // The layer's values [b, e) in the chunk: kernel values (penalised) or bias values.
      const auto finish = [&](i64 b, i64 e, bool kernel) {
        if (b >= e) return;
        const T* partials = grad_pieces > 1 ? grad_partials_.data() + b : nullptr;
        dense_finish_grads(grads_.data() + b, partials, n, grad_pieces,
                           kernel ? params_.data() + b : nullptr, e - b, s.l1, s.l2);
      };
      const i64 bias = layer.param_offset + layer.in * layer.out;
      finish(std::max(begin, layer.param_offset), std::min(end, bias), true);
      finish(std::max(begin, bias), std::min(end, layer.param_offset + layer.param_count), false);
    }
    for (size_t i = chunk_pieces_first_[size_t(c)]; i < chunk_pieces_first_[size_t(c) + 1]; ++i)
      piece_sums_[chunk_pieces_[i]] = reduce(pieces_[chunk_pieces_[i]]);
  }
}

template <class T>
double Network<T>::reduce(const Piece& piece) const {
  const Reduction& r = reductions_[piece.reduction];
  const i64 offset = layers_[r.layer].param_offset + piece.begin, n = piece.end - piece.begin;
  switch (r.what) {
    case Reduction::GradSquares:
      return sum_squares(grads_.data() + offset, n);
    case Reduction::KernelAbs: {
      const T* W = params_.data() + offset;
      double abs_sum = 0;
      for (i64 i = 0; i < n; ++i) abs_sum += std::abs(double(W[i]));
      return abs_sum;
    }
    case Reduction::KernelSquares:
      return sum_squares(params_.data() + offset, n);
  }
  return 0.0;
}

template <class T>
template <class PieceValue>
double Network<T>::sum_of(size_t k, PieceValue&& piece_value) const {
  double sum = 0;
  for (size_t i = reductions_[k].first_piece; i < reductions_[k].end_piece; ++i)
    sum += piece_value(i);
  return sum;
}

template <class T>
template <class Value>
double Network<T>::penalty_of(Value&& value) const {
  double total = 0;
  for (size_t k = 0; k < reductions_.size(); ++k) {
    const Reduction& r = reductions_[k];
    const LayerSpec& s = layers_[r.layer].spec;
    if (r.what == Reduction::KernelAbs) total += s.l1 * value(k);
    if (r.what == Reduction::KernelSquares) total += s.l2 * value(k);
  }
  return total;
}

template <class T>
double Network<T>::penalty() const {
  return penalty_of(
      [&](size_t k) { return sum_of(k, [&](size_t i) { return reduce(pieces_[i]); }); });
}

template <class T>
bool Network<T>::team_sized(i64 rows) const {
  // A team step runs Dense layers only; the products weigh 6 operations per weight and row.
  for (const Layer& layer : layers_)
    if (layer.spec.kind != LayerKind::Dense) return false;
  const i64 work = 6 * rows * num_params() * i64(sizeof(T) / sizeof(float));
  return work >= kTeamStepMinWork && work <= kTeamStepWork;
}

template <class T>
int Network<T>::step_threads(i64 rows) const {
  return team_sized(rows) ? threads_for<T>(6 * rows * num_params()) : 1;
}

template <class T>
i64 Network<T>::grad_pieces(i64 rows) const {
  return team_sized(rows) && rows >= kGradPieces * kMinPieceRows ? kGradPieces : 1;
}

template <class T>
void Network<T>::reserve_grad_pieces(i64 count) {
  if (count > 1 && grad_partials_.size() < size_t((count - 1) * num_params()))
    grad_partials_.resize(size_t((count - 1) * num_params()));
}

template <class T>
GradPieces<T> Network<T>::layer_pieces(const Layer& layer, i64 count) {
  if (count == 1) return {};
  return {count, grad_partials_.data() + layer.param_offset, num_params()};
}

template <class T>
bool Network<T>::step(const Exec<T>& ex, const T* X, Targets<T> y, i64 rows, double& loss) {
  // Solo, backward finishes the gradients and sums their reductions' pieces (in a region of its
  // own when the network is large); a team finishes its share of the chunks, the same share it
  // then clips and updates, and each thread adds up every reduction from the pieces in order.
  const Share chunks = ex.share(num_chunks());
  double data_loss;
  if (ex.solo()) {
    forward(X, rows, true, true, true);
    data_loss = backward(X, y, rows);
  } else {
    forward_backward_by_rows(ex, X, y, rows);
    ex.barrier();  // every row's loss and every gradient (or piece of one) is written
    data_loss = loss_sum(loss_.kind, row_losses_.data(), rows, output_dim());
    finish_chunks(chunks.begin, chunks.end, grad_pieces(rows));
    ex.barrier();  // every piece sum is written
  }
  const auto reduced = [&](size_t k) {
    return sum_of(k, [&](size_t i) { return piece_sums_[i]; });
  };
  loss = data_loss / double(rows) + penalty_of(reduced);
  if (!std::isfinite(loss)) return false;
  // Per-layer norms in layer order; their sum of squares is the global norm clipping needs.
  double total_sq = 0;
  for (size_t k = 0, norm = 0; k < reductions_.size(); ++k) {
    if (reductions_[k].what != Reduction::GradSquares) continue;
    const double squares = reduced(k);
    if (ex.leader()) grad_norms_[norm] = std::sqrt(squares);
    ++norm;
    total_sq += squares;
  }
  if (!std::isfinite(total_sq)) return false;
  const i64 n = num_params();
  T* g = grads_.data();
  // Elementwise from here: each its own chunks (whole cache lines).
  const Share part{chunks.begin * chunk_, std::min(n, chunks.end * chunk_)};
  if (clip_.norm > 0.0) {
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6), never up.
    const double coef = clip_.norm / (std::sqrt(total_sq) + 1e-6);
    if (coef < 1.0)
      for (i64 i = part.begin; i < part.end; ++i) g[i] *= T(coef);
  }
  if (clip_.value > 0.0) {
    const T v = T(clip_.value);
    for (i64 i = part.begin; i < part.end; ++i) g[i] = std::clamp(g[i], -v, v);
  }
  const i64 t = iterations + 1;
  if (ex.solo()) optimizer_step(opt_, t, params_.data(), g, opt_state_.data(), n);
  else optimizer_step(opt_, t, params_.data(), g, opt_state_.data(), n, part);
  return true;
}

template <class T>
typename Network<T>::TeamWorkspace Network<T>::team_workspace(i64 rows, int threads) {
  // The same batch size step after step: sized once (some forty products' plans).
  if (rows == team_workspace_.rows && threads == team_workspace_.threads) return team_workspace_;
  // The team's products (the weight gradients, and hidden layers' forward products where the
  // row shares cut register tiles), then each thread's part for the products of its own rows:
  // sized for any team the region may get (fewer threads, larger shares), so that no thread
  // allocates inside the region.
  const i64 pieces = grad_pieces(rows);
  i64 team_size = 0, own_size = 0;
  for (int nth = 1; nth <= threads; ++nth)
    for (const Layer& layer : layers_) {
      team_size = std::max({team_size, gemm_team_workspace_size<T>(layer.in, layer.out, rows, nth),
                            gemm_team_workspace_size<T>(rows, layer.out, layer.in, nth)});
      for (const i64 share : {rows / nth, ceil_div(rows, nth)})
        own_size = std::max({own_size, gemm_workspace_size<T>(share, layer.out, layer.in),
                             gemm_workspace_size<T>(share, layer.in, layer.out)});
      // A piece's weight gradient, or the share of its rows of W one of `group` threads on
      // the piece forms: every size that occurs, since a product's packing need is not
      // monotonic in its rows (one row block up to column_split_rows, blocks of MC above).
      if (pieces > 1)
        for (i64 group = 1; group <= ceil_div(nth, pieces); ++group)
          for (const i64 m : {layer.in / group, ceil_div(layer.in, group)})
            for (const i64 piece_rows : {rows / pieces, ceil_div(rows, pieces)})
              own_size = std::max(own_size, gemm_workspace_size<T>(m, layer.out, piece_rows));
    }
  team_workspace_ = {rows, threads, round_up(team_size, kLine<T>), round_up(own_size, kLine<T>)};
  return team_workspace_;
}

template <class T>
bool Network<T>::train_step(const T* X, Targets<T> y, i64 rows, double& loss,
                            const i64* rows_of_x, T* x_batch) {
  // Moving statistics are the exception: a batch that diverges may still have moved them, so
  // they are saved and put back along with refusing the update.
  saved_state_.assign(state_.begin(), state_.end());
  reserve(rows);
  const int team_size = step_threads(rows);
  const bool choose = dynamic_threads();
  const int threads = choose ? thread_choice_.next(team_size) : team_size;
  // Only steps with a team to choose against read the clock (2^22 operations or more): a batch of
  // one row trains in about a microsecond.
  const bool timed = choose && thread_choice_.timing_wanted();
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = timed ? Clock::now() : Clock::time_point{};
  bool ok = false;
  const T* batch = rows_of_x ? x_batch : X;
  if (threads == 1) {
    const OneThread alone(team_size > 1);
    if (rows_of_x) gather_rows(x_batch, X, rows_of_x, rows, input_dim());
    ok = step(Exec<T>{}, batch, y, rows, loss);
  } else {
    reserve_grad_pieces(grad_pieces(rows));
    const TeamWorkspace size = team_workspace(rows, threads);
    T* workspace = gemm_team_workspace<T>(size.team + threads * size.own);
    // Grows with the largest batch a team has trained: in steady state it does not allocate.
    const Layer& top = layers_.back();
    const size_t deltas = size_t(rows * (top.outputs_below + top.out));
    if (deltas_.size() < deltas) deltas_.resize(deltas);
#pragma omp parallel num_threads(threads)
    {
      const Team team{omp_get_thread_num(), omp_get_num_threads()};
      const Exec<T> ex{team, workspace, true, workspace + size.team + team.tid * size.own};
      // Each thread copies the rows it carries through forward_backward_by_rows (the same share):
      // the others read them only after its first barrier.
      if (rows_of_x) {
        const Share own = ex.share(rows);
        copy_rows(x_batch, X, rows_of_x, own.begin, own.end, input_dim());
      }
      double team_loss = 0;
      const bool team_ok = step(ex, batch, y, rows, team_loss);
      if (ex.leader()) {
        ok = team_ok;
        loss = team_loss;
      }
    }
  }
  if (timed)
    thread_choice_.record(std::chrono::duration<double>(Clock::now() - start).count(), rows);
  if (ok) {
    ++iterations;
    return true;
  }
  std::copy(saved_state_.begin(), saved_state_.end(), state_.begin());
  return false;
}

template <class T>
i64 Network<T>::inference_chunk() const {
  return std::max<i64>(capacity_, 1024);
}

template <class T>
double Network<T>::evaluate(const T* X, Targets<T> y, i64 n, MetricAccumulator<T>* metrics) {
  const i64 chunk = inference_chunk(), in = input_dim(), out = output_dim();
  const bool absorbed = loss_absorbs_output_activation();
  double total = 0;
  for (i64 start = 0; start < n; start += chunk) {
    const i64 rows = std::min(chunk, n - start);
    const T* a = forward(X + start * in, rows, false);
    const Targets<T> yb = y.offset(start, out);
    loss_rows(loss_.kind, absorbed || loss_.from_logits, absorbed ? logits_.data() : a, yb, 0,
              rows, rows, out, static_cast<T*>(nullptr), row_losses_.data());
    total += loss_sum(loss_.kind, row_losses_.data(), rows, output_dim());
    if (metrics) metrics->add(a, yb, rows);
  }
  return total / double(n) + penalty();
}

template <class T>
void Network<T>::predict(const T* X, i64 n, T* out, bool training) {
  const i64 chunk = inference_chunk(), in = input_dim(), width = output_dim();
  for (i64 start = 0; start < n; start += chunk) {
    const i64 rows = std::min(chunk, n - start);
    const T* a = forward(X + start * in, rows, training);
    std::copy(a, a + rows * width, out + start * width);
  }
}

template class Network<float>;
template class Network<double>;

}  // namespace fastmlp
