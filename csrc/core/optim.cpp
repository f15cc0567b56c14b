#include "core/optim.h"

#include <cmath>

#include "core/parallel.h"

namespace fastmlp {

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
void optimizer_step(const OptimizerConfig& cfg, i64 t, T* p, const T* grads, T* state, i64 n) {
  const int threads = threads_for(16 * n);
  const T lr = T(cfg.lr), wd = T(cfg.weight_decay), mu = T(cfg.momentum), eps = T(cfg.eps);
  T* s0 = state;
  T* s1 = state + n;

  switch (cfg.kind) {
    case OptKind::SGD: {
      const bool has_momentum = cfg.momentum != 0.0, nesterov = cfg.nesterov;
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) {
        T g = grads[i] + wd * p[i];
        if (has_momentum) {
          s0[i] = mu * s0[i] + g;
          g = nesterov ? g + mu * s0[i] : s0[i];
        }
        p[i] -= lr * g;
      }
      return;
    }
    case OptKind::Adagrad:
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) {
        const T g = grads[i] + wd * p[i];
        s0[i] += g * g;
        p[i] -= lr * g / (std::sqrt(s0[i]) + eps);
      }
      return;
    case OptKind::RMSprop: {
      const T rho = T(cfg.rho), one_minus_rho = T(1.0 - cfg.rho);
      const bool has_momentum = cfg.momentum != 0.0;
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) {
        const T g = grads[i] + wd * p[i];
        s0[i] = rho * s0[i] + one_minus_rho * g * g;
        const T avg = std::sqrt(s0[i]) + eps;
        if (has_momentum) {
          s1[i] = mu * s1[i] + g / avg;
          p[i] -= lr * s1[i];
        } else {
          p[i] -= lr * g / avg;
        }
      }
      return;
    }
    case OptKind::Adam:
    case OptKind::AdamW: {
      const bool decoupled = cfg.kind == OptKind::AdamW;
      const T coupled_wd = decoupled ? T(0) : wd;
      const T decay = decoupled ? T(1.0 - cfg.lr * cfg.weight_decay) : T(1);
      const T b1 = T(1.0 - cfg.beta1), beta2 = T(cfg.beta2), b2 = T(1.0 - cfg.beta2);
      // Per-step scalars, hoisted out of the element loop.
      const T step_size = T(cfg.lr / (1.0 - std::pow(cfg.beta1, double(t))));
      const T bc2_sqrt = T(std::sqrt(1.0 - std::pow(cfg.beta2, double(t))));
#pragma omp parallel for simd schedule(static) num_threads(threads)
      for (i64 i = 0; i < n; ++i) {
        p[i] *= decay;
        const T g = grads[i] + coupled_wd * p[i];
        s0[i] += b1 * (g - s0[i]);
        s1[i] = beta2 * s1[i] + b2 * g * g;
        p[i] -= step_size * (s0[i] / (std::sqrt(s1[i]) / bc2_sqrt + eps));
      }
      return;
    }
  }
}

template void optimizer_step<float>(const OptimizerConfig&, i64, float*, const float*, float*, i64);
template void optimizer_step<double>(const OptimizerConfig&, i64, double*, const double*, double*,
                                     i64);

}  // namespace fastmlp
