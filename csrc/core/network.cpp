#include "core/network.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/gemm/gemm.h"

namespace fastmlp {

template <class T>
Network<T>::Network(i64 input_dim, const std::vector<DenseSpec>& specs) {
  if (input_dim < 1 || specs.empty()) throw std::invalid_argument("a network needs inputs and layers");
  i64 in = input_dim, offset = 0;
  for (const DenseSpec& s : specs) {
    if (s.units < 1) throw std::invalid_argument("a dense layer needs at least one unit");
    const i64 w = offset, b = w + in * s.units;
    offset = b + (s.use_bias ? s.units : 0);
    layers_.push_back({in, s.units, s.act, s.use_bias, s.l1, s.l2, w, b});
    in = s.units;
  }
  params_.assign(size_t(offset), T(0));
  grads_.assign(size_t(offset), T(0));
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
  if (loss_.from_logits) return false;
  const Act last = layers_.back().act.kind;
  switch (loss_.kind) {
    case LossKind::CategoricalCE:
    case LossKind::SparseCategoricalCE:
      return last == Act::Softmax;
    case LossKind::BinaryCE:
      return last == Act::Sigmoid;
    default:
      return false;
  }
}

template <class T>
void Network<T>::reserve(i64 rows) {
  if (rows <= capacity_) return;
  i64 widest = input_dim();
  for (size_t l = 0; l < layers_.size(); ++l) {
    outputs_[l].resize(size_t(rows * layers_[l].out));
    widest = std::max(widest, layers_[l].out);
  }
  logits_.resize(size_t(rows * output_dim()));
  delta_.resize(size_t(rows * widest));
  delta_next_.resize(size_t(rows * widest));
  capacity_ = rows;
}

template <class T>
const T* Network<T>::forward(const T* X, i64 rows) {
  reserve(rows);
  const bool keep_logits = loss_absorbs_output_activation();
  const T* input = X;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Dense& d = layers_[l];
    T* out = outputs_[l].data();
    const bool last = l + 1 == layers_.size();
    T* z = last && keep_logits ? logits_.data() : out;
    const T* W = params_.data() + d.w_offset;
    // The GEMM epilogue adds the bias and applies an elementwise activation; softmax (whole rows)
    // and an output whose logits the loss keeps are activated after it.
    const bool fused = z == out && d.act.kind != Act::Softmax;
    const GemmEpilogue<T> ep{d.use_bias ? params_.data() + d.b_offset : nullptr,
                             fused ? d.act : Activation{}};
    gemm<T>(rows, d.out, d.in, input, d.in, 1, W, d.out, 1, z, d.out, false, ep);
    if (z != out) std::copy(z, z + rows * d.out, out);
    if (!fused) activation_forward(out, rows, d.out, d.act);
    input = out;
  }
  return outputs_.back().data();
}

template <class T>
double Network<T>::backward(const T* X, Targets<T> y, i64 rows) {
  const Dense& top = layers_.back();
  const bool absorbed = loss_absorbs_output_activation();
  const T* loss_input = absorbed ? logits_.data() : outputs_.back().data();
  T* delta = delta_.data();
  const double loss_sum = loss_forward_backward(loss_.kind, absorbed || loss_.from_logits,
                                                loss_input, y, rows, top.out, delta);
  if (!absorbed) activation_backward(delta, outputs_.back().data(), rows, top.out, top.act);

  for (size_t l = layers_.size(); l-- > 0;) {
    const Dense& d = layers_[l];
    const T* input = l == 0 ? X : outputs_[l - 1].data();
    const T* W = params_.data() + d.w_offset;
    T* dW = grads_.data() + d.w_offset;
    // dW = X^T dZ: A = X^T read with swapped strides.
    gemm<T>(d.in, d.out, rows, input, 1, d.in, delta, d.out, 1, dW, d.out, false);
    if (d.l1 != 0.0 || d.l2 != 0.0) {
      const T l1 = T(d.l1), two_l2 = T(2.0 * d.l2);
      for (i64 i = 0; i < d.in * d.out; ++i)
        dW[i] += l1 * T((W[i] > T(0)) - (W[i] < T(0))) + two_l2 * W[i];
    }
    if (d.use_bias) {
      T* db = grads_.data() + d.b_offset;
      std::fill(db, db + d.out, T(0));
      for (i64 r = 0; r < rows; ++r) {
        const T* row = delta + r * d.out;
#pragma omp simd
        for (i64 j = 0; j < d.out; ++j) db[j] += row[j];
      }
    }
    if (l == 0) break;
    // dX = dZ W^T: B = W^T read with swapped strides; then through the previous activation.
    T* next = delta_next_.data();
    gemm<T>(rows, d.in, d.out, delta, d.out, 1, W, 1, d.out, next, d.in, false);
    activation_backward(next, outputs_[l - 1].data(), rows, d.in, layers_[l - 1].act);
    std::swap(delta_, delta_next_);
    delta = delta_.data();
  }
  return loss_sum;
}

template <class T>
double Network<T>::penalty() const {
  double total = 0;
  for (const Dense& d : layers_) {
    if (d.l1 == 0.0 && d.l2 == 0.0) continue;
    const T* W = params_.data() + d.w_offset;
    double abs_sum = 0, sq_sum = 0;
    for (i64 i = 0; i < d.in * d.out; ++i) {
      abs_sum += std::abs(double(W[i]));
      sq_sum += double(W[i]) * double(W[i]);
    }
    total += d.l1 * abs_sum + d.l2 * sq_sum;
  }
  return total;
}

template <class T>
void Network<T>::apply_update() {
  const i64 n = num_params();
  T* g = grads_.data();
  if (clip_.norm > 0.0) {
    double sq = 0;
    for (i64 i = 0; i < n; ++i) sq += double(g[i]) * double(g[i]);
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6), never up.
    const double coef = clip_.norm / (std::sqrt(sq) + 1e-6);
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
  forward(X, rows);
  const double loss = backward(X, y, rows) / double(rows) + penalty();
  apply_update();
  return loss;
}

template <class T>
i64 Network<T>::inference_chunk() const {
  return std::max<i64>(capacity_, 1024);
}

template <class T>
double Network<T>::evaluate(const T* X, Targets<T> y, i64 n) {
  const i64 chunk = inference_chunk(), in = input_dim(), out = output_dim();
  const bool absorbed = loss_absorbs_output_activation();
  double total = 0;
  for (i64 start = 0; start < n; start += chunk) {
    const i64 rows = std::min(chunk, n - start);
    const T* a = forward(X + start * in, rows);
    total += loss_forward_backward(loss_.kind, absorbed || loss_.from_logits,
                                   absorbed ? logits_.data() : a, y.offset(start, out), rows, out,
                                   static_cast<T*>(nullptr));
  }
  return total / double(n) + penalty();
}

template <class T>
void Network<T>::predict(const T* X, i64 n, T* out) {
  const i64 chunk = inference_chunk(), in = input_dim(), width = output_dim();
  for (i64 start = 0; start < n; start += chunk) {
    const i64 rows = std::min(chunk, n - start);
    const T* a = forward(X + start * in, rows);
    std::copy(a, a + rows * width, out + start * width);
  }
}

template class Network<float>;
template class Network<double>;

}  // namespace fastmlp
