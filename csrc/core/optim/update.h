// The element loops of every update rule and the sum of squares, written once and compiled once
// per instruction set
// (update_generic.cpp, update_avx2.cpp). Internal linkage on purpose: each including translation
// unit gets its own copy, so the AVX2 copy can never be the one a generic caller links to.
// The AVX2 file is built with -ffp-contract=off, so both copies round identically.
#pragma once
#include <cmath>
#include <limits>

#include "core/lane_sum.h"
#include "core/optim/kernels.h"

namespace fastmlp::optim_detail {
namespace {

// Optimizer state is stored with subnormal values flushed to zero. The moments of a parameter
// whose gradient stays zero (a dead ReLU unit's weights) decay geometrically into the subnormal
// range and stay there (0.9 x 3 subnormal ulps rounds back to 3), and Intel CPUs take a microcode
// assist of ~100 cycles for arithmetic on subnormals: a 784-128-10 Adam fit on a Xeon ran 3.4x
// slower per epoch once 15 % of its moments were subnormal. A flushed first moment changes its
// step by at most lr x 1.2e-38 / eps (float32); a flushed second moment its root by 1.1e-19.
template <class T>
inline T flush(T x) {
  return std::abs(x) < std::numeric_limits<T>::min() ? T(0) : x;
}

// Adam and AdamW; with eps_hat the bias corrections are folded into step_size, one division per
// element where the other form has two (the divider bounds both: digits' float64 fit 1.02x).
template <bool eps_hat, class T>
void adam(const Update<T>& u, T* p, const T* g, T* s0, T* s1, i64 n) {
  const T wd = u.wd, eps = u.eps, decay = u.decay, b1 = u.one_minus_b1, beta2 = u.beta2;
  const T b2 = u.one_minus_b2, step_size = u.step_size, bc2_sqrt = u.bc2_sqrt;
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const T pi = p[i] * decay;
    const T gi = g[i] + wd * pi;
    s0[i] = flush(s0[i] + b1 * (gi - s0[i]));
    s1[i] = flush(beta2 * s1[i] + b2 * gi * gi);
    if constexpr (eps_hat)
      p[i] = pi - step_size * s0[i] / (std::sqrt(s1[i]) + eps);
    else
      p[i] = pi - step_size * (s0[i] / (std::sqrt(s1[i]) / bc2_sqrt + eps));
  }
}

template <class T>
void update(const Update<T>& u, T* p, const T* g, T* s0, T* s1, i64 n) {
  const T lr = u.lr, wd = u.wd, mu = u.mu, eps = u.eps;
  switch (u.rule) {
    case Rule::SGD:
#pragma omp simd
      for (i64 i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
      return;
    case Rule::SGDMomentum:
#pragma omp simd
      for (i64 i = 0; i < n; ++i) {
        s0[i] = flush(mu * s0[i] + (g[i] + wd * p[i]));
        p[i] -= lr * s0[i];
      }
      return;
    case Rule::SGDNesterov:
#pragma omp simd
      for (i64 i = 0; i < n; ++i) {
        const T gi = g[i] + wd * p[i];
        s0[i] = flush(mu * s0[i] + gi);
        p[i] -= lr * (gi + mu * s0[i]);
      }
      return;
    case Rule::Adagrad:
#pragma omp simd
      for (i64 i = 0; i < n; ++i) {
        const T gi = g[i] + wd * p[i];
        s0[i] = flush(s0[i] + gi * gi);
        p[i] -= lr * gi / (std::sqrt(s0[i]) + eps);
      }
      return;
    case Rule::RMSprop:
    case Rule::RMSpropMomentum: {
      const T rho = u.rho, one_minus_rho = u.one_minus_rho;
      if (u.rule == Rule::RMSprop) {
#pragma omp simd
        for (i64 i = 0; i < n; ++i) {
          const T gi = g[i] + wd * p[i];
          s0[i] = flush(rho * s0[i] + one_minus_rho * gi * gi);
          p[i] -= lr * gi / (std::sqrt(s0[i]) + eps);
        }
      } else {
#pragma omp simd
        for (i64 i = 0; i < n; ++i) {
          const T gi = g[i] + wd * p[i];
          s0[i] = flush(rho * s0[i] + one_minus_rho * gi * gi);
          s1[i] = flush(mu * s1[i] + gi / (std::sqrt(s0[i]) + eps));
          p[i] -= lr * s1[i];
        }
      }
      return;
    }
    case Rule::Adam:
      return adam<false>(u, p, g, s0, s1, n);
    case Rule::AdamEpsHat:
      return adam<true>(u, p, g, s0, s1, n);
  }
}

// In double, 16 running sums (core/lane_sum.h): the same bits from both builds.
template <class T>
double sum_squares(const T* x, i64 n) {
  return lane_sum<16, double>(n, [x](i64 i) { return double(x[i]) * double(x[i]); });
}

}  // namespace
}  // namespace fastmlp::optim_detail
