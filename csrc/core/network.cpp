#include "core/network.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/layers/dense.h"
#include "core/layers/noise.h"
#include "core/rng.h"

namespace fastmlp {
namespace {
constexpr u64 kNoiseStream = 2;
}

template <class T>
Network<T>::Network(i64 input_dim, const std::vector<LayerSpec>& specs, u64 seed) : seed_(seed) {
  if (input_dim < 1 || specs.empty()) throw std::invalid_argument("a network needs inputs and layers");
  i64 in = input_dim, offset = 0;
  for (const LayerSpec& s : specs) {
    Layer layer{s, in, in, offset, offset};
    if (s.kind == LayerKind::Dense) {
      if (s.units < 1) throw std::invalid_argument("a dense layer needs at least one unit");
      layer.out = s.units;
      layer.b_offset = offset + in * s.units;
      offset = layer.b_offset + (s.use_bias ? s.units : 0);
      if (first_param_layer_ < 0) first_param_layer_ = i64(layers_.size());
      grad_norms_.push_back(0.0);
    }
    layers_.push_back(layer);
    in = layer.out;
  }
  params_.assign(size_t(offset), T(0));
  grads_.assign(size_t(offset), T(0));
  buffers_.resize(layers_.size());
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
void Network<T>::reserve(i64 rows) {
  if (rows <= capacity_) return;
  i64 widest = input_dim();
  for (size_t l = 0; l < layers_.size(); ++l) {
    buffers_[l].resize(size_t(rows * layers_[l].out));
    widest = std::max(widest, layers_[l].out);
  }
  logits_.resize(size_t(rows * output_dim()));
  delta_.resize(size_t(rows * widest));
  delta_next_.resize(size_t(rows * widest));
  capacity_ = rows;
}

template <class T>
const T* Network<T>::forward(const T* X, i64 rows, bool training) {
  reserve(rows);
  const bool keep_logits = loss_absorbs_output_activation();
  const T* input = X;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    T* out = buffers_[l].data();
    switch (layer.spec.kind) {
      case LayerKind::Dense: {
        const bool last = l + 1 == layers_.size();
        dense_forward(out, last && keep_logits ? logits_.data() : nullptr, input,
                      params_.data() + layer.w_offset,
                      layer.spec.use_bias ? params_.data() + layer.b_offset : nullptr, rows,
                      layer.in, layer.out, layer.spec.act);
        outputs_[l] = out;
        break;
      }
      case LayerKind::GaussianNoise:
        if (training)
          gaussian_noise_forward(out, input, rows * layer.out, layer.spec.stddev,
                                 stream_key(seed_, kNoiseStream + l, u64(iterations)));
        outputs_[l] = training ? out : input;  // the identity at inference: no copy
        break;
    }
    input = outputs_[l];
  }
  return outputs_.back();
}

template <class T>
double Network<T>::backward(const T* X, Targets<T> y, i64 rows) {
  const bool absorbed = loss_absorbs_output_activation();
  T* delta = delta_.data();
  const double loss_sum = loss_forward_backward(loss_.kind, absorbed || loss_.from_logits,
                                                absorbed ? logits_.data() : outputs_.back(), y,
                                                rows, output_dim(), delta);
  for (i64 l = i64(layers_.size()) - 1; l >= first_param_layer_ && l >= 0; --l) {
    const Layer& layer = layers_[size_t(l)];
    if (!layer.has_params()) continue;  // noise: the gradient passes through unchanged
    const bool top = l + 1 == i64(layers_.size());
    T* dX = l > first_param_layer_ ? delta_next_.data() : nullptr;
    dense_backward(dX, grads_.data() + layer.w_offset,
                   layer.spec.use_bias ? grads_.data() + layer.b_offset : nullptr, delta,
                   l == 0 ? X : outputs_[size_t(l - 1)], outputs_[size_t(l)],
                   params_.data() + layer.w_offset, rows, layer.in, layer.out,
                   top && absorbed ? Activation{Act::Linear} : layer.spec.act, layer.spec.l1,
                   layer.spec.l2);
    if (!dX) break;
    std::swap(delta_, delta_next_);
    delta = delta_.data();
  }
  return loss_sum;
}

template <class T>
double Network<T>::penalty() const {
  double total = 0;
  for (const Layer& layer : layers_) {
    if (!layer.has_params() || (layer.spec.l1 == 0.0 && layer.spec.l2 == 0.0)) continue;
    const T* W = params_.data() + layer.w_offset;
    double abs_sum = 0, sq_sum = 0;
    for (i64 i = 0; i < layer.in * layer.out; ++i) {
      abs_sum += std::abs(double(W[i]));
      sq_sum += double(W[i]) * double(W[i]);
    }
    total += layer.spec.l1 * abs_sum + layer.spec.l2 * sq_sum;
  }
  return total;
}

template <class T>
void Network<T>::apply_update() {
  const i64 n = num_params();
  T* g = grads_.data();
  // Per-layer norms in layer order; their sum of squares is the global norm clipping needs.
  double total_sq = 0;
  size_t k = 0;
  for (const Layer& layer : layers_) {
    if (!layer.has_params()) continue;
    const i64 begin = layer.w_offset, end = layer.b_offset + (layer.spec.use_bias ? layer.out : 0);
    double sq = 0;
#pragma omp simd reduction(+ : sq)
    for (i64 i = begin; i < end; ++i) sq += double(g[i]) * double(g[i]);
    grad_norms_[k++] = std::sqrt(sq);
    total_sq += sq;
  }
  if (clip_.norm > 0.0) {
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6), never up.
    const double coef = clip_.norm / (std::sqrt(total_sq) + 1e-6);
    if (coef < 1.0)
      for (i64 i = 0; i < n; ++i) g[i] *= T(coef);
  }
  if (clip_.value > 0.0) {
    const T v = T(clip_.value);
    for (i64 i = 0; i < n; ++i) g[i] = std::clamp(g[i], -v, v);
  }
  ++iterations;
  optimizer_step(opt_, iterations, params_.data(), g, opt_state_.data(), n);
}

template <class T>
double Network<T>::train_step(const T* X, Targets<T> y, i64 rows) {
  forward(X, rows, true);
  const double loss = backward(X, y, rows) / double(rows) + penalty();
  apply_update();
  return loss;
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
    total += loss_forward_backward(loss_.kind, absorbed || loss_.from_logits,
                                   absorbed ? logits_.data() : a, yb, rows, out,
                                   static_cast<T*>(nullptr));
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
