#include "core/optim.h"

#include <algorithm>
#include <cmath>

#include "core/optim/kernels.h"
#include "core/parallel.h"
#include "core/simd/isa.h"

namespace fastmlp {
namespace {

using optim_detail::Rule;
using optim_detail::Update;

const optim_detail::OptimKernels& kernels() {
  return FASTMLP_ACTIVE_TABLE(optim_detail::generic_optim_kernels, optim_detail::avx2_optim_kernels);
}

Rule rule_of(const OptimizerConfig& cfg) {
  switch (cfg.kind) {
    case OptKind::SGD:
      if (cfg.momentum == 0.0) return Rule::SGD;
      return cfg.nesterov ? Rule::SGDNesterov : Rule::SGDMomentum;
    case OptKind::Adagrad:
      return Rule::Adagrad;
    case OptKind::RMSprop:
      return cfg.momentum != 0.0 ? Rule::RMSpropMomentum : Rule::RMSprop;
    case OptKind::Adam:
    case OptKind::AdamW:
      return cfg.eps_hat ? Rule::AdamEpsHat : Rule::Adam;
  }
  return Rule::SGD;
}

template <class T>
Update<T> update_for(const OptimizerConfig& cfg, i64 t) {
  Update<T> u{};
  u.rule = rule_of(cfg);
  u.lr = T(cfg.lr);
  u.mu = T(cfg.momentum);
  u.eps = T(cfg.eps);
  u.rho = T(cfg.rho);
  u.one_minus_rho = T(1.0 - cfg.rho);
  // AdamW decays the weights before the step instead of adding wd * p to the gradient.
  const bool decoupled = cfg.kind == OptKind::AdamW;
  u.wd = decoupled ? T(0) : T(cfg.weight_decay);
  u.decay = decoupled ? T(1.0 - cfg.lr * cfg.weight_decay) : T(1);
  u.one_minus_b1 = T(1.0 - cfg.beta1);
  u.beta2 = T(cfg.beta2);
  u.one_minus_b2 = T(1.0 - cfg.beta2);
  const double bc1 = 1.0 - std::pow(cfg.beta1, double(t));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(cfg.beta2, double(t)));
  u.bc2_sqrt = T(bc2_sqrt);
  u.step_size = T(cfg.eps_hat ? cfg.lr * bc2_sqrt / bc1 : cfg.lr / bc1);
  return u;
}

// Rough cost per parameter in the units of kParallelWork: the rules with a square root and a
// division run about four times longer per element than plain SGD.
i64 cost_per_param(Rule rule) {
  return rule == Rule::SGD || rule == Rule::SGDMomentum || rule == Rule::SGDNesterov ? 8 : 32;
}

}  // namespace

int optimizer_state_slots(const OptimizerConfig& cfg) {
  switch (cfg.kind) {
    case OptKind::SGD:
      return cfg.momentum != 0.0 ? 1 : 0;
    case OptKind::Adagrad:
      return 1;
    case OptKind::RMSprop:
      return cfg.momentum != 0.0 ? 2 : 1;
    case OptKind::Adam:
    case OptKind::AdamW:
      return 2;
  }
  return 0;
}

template <class T>
void optimizer_step(const OptimizerConfig& cfg, i64 t, T* p, const T* grads, T* state, i64 n,
                    Share part) {
  const Update<T> u = update_for<T>(cfg, t);
  const i64 b = part.begin;
  for_type<T>(kernels()).update(u, p + b, grads + b, state + b, state + n + b, part.end - b);
}

template <class T>
void optimizer_step(const OptimizerConfig& cfg, i64 t, T* p, const T* grads, T* state, i64 n) {
  const int threads = threads_for<T>(cost_per_param(rule_of(cfg)) * n);
  // How the range is cut cannot change a result; shares of whole cache lines.
  for_shares(n, threads, kLine<T>,
             [&](i64 b, i64 e) { optimizer_step(cfg, t, p, grads, state, n, Share{b, e}); });
}

template <class T>
double sum_squares(const T* x, i64 n) {
  return for_type<T>(kernels()).sum_squares(x, n);
}

template void optimizer_step<float>(const OptimizerConfig&, i64, float*, const float*, float*, i64);
template void optimizer_step<double>(const OptimizerConfig&, i64, double*, const double*, double*,
                                     i64);
template void optimizer_step<float>(const OptimizerConfig&, i64, float*, const float*, float*, i64,
                                    Share);
template void optimizer_step<double>(const OptimizerConfig&, i64, double*, const double*, double*,
                                     i64, Share);

template double sum_squares<float>(const float*, i64);
template double sum_squares<double>(const double*, i64);

}  // namespace fastmlp
