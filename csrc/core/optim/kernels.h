// The contract between the optimizer driver (core/optim.cpp) and the per-ISA update loops and
// sum of squares.
// Plain types only: this header is included by the AVX2 translation unit (see
// core/gemm/kernels.h on the ODR hazard).
#pragma once
#include "core/common.h"

namespace fastmlp::optim_detail {

enum class Rule : int {
  SGD, SGDMomentum, SGDNesterov, Adagrad, RMSprop, RMSpropMomentum, Adam, AdamEpsHat
};

// One step's update with every per-step scalar already computed (bias corrections included), so
// the element loop does only the arithmetic of the formulas in core/optim.h.
template <class T>
struct Update {
  Rule rule;
  T lr, wd, mu, eps;
  T rho, one_minus_rho;             // RMSprop
  T decay, one_minus_b1, beta2, one_minus_b2, step_size, bc2_sqrt;  // Adam, AdamW
};

// Applies `u` to n parameters p with gradients g and state arrays s0, s1 (as many as the rule
// keeps; each n long, at the same offsets as p).
template <class T>
using UpdateFn = void (*)(const Update<T>& u, T* p, const T* g, T* s0, T* s1, i64 n);

// One precision's loops: the update, and the sum of x[i]^2 in double that gradient norms and
// the L2 penalty need.
template <class T>
struct OptimOps {
  UpdateFn<T> update;
  double (*sum_squares)(const T* x, i64 n);
};

struct OptimKernels {
  OptimOps<float> s;
  OptimOps<double> d;
};

const OptimKernels& generic_optim_kernels();
#if defined(FASTMLP_HAVE_AVX2)
const OptimKernels& avx2_optim_kernels();
#endif

}  // namespace fastmlp::optim_detail
