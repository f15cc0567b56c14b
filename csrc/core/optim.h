// Fused optimizer updates: one pass over the flat parameter arena per step, following
// torch.optim's single-tensor formulas exactly (operation order included) so that results can be
// checked against PyTorch. g is the gradient, p the parameter, t the 1-based step.
//
//   SGD      g += wd p; b = mu b + g; g = nesterov ? g + mu b : b; p -= lr g
//   Adagrad  g += wd p; s += g^2; p -= lr g / (sqrt(s) + eps)
//   RMSprop  g += wd p; v = rho v + (1 - rho) g^2; a = sqrt(v) + eps;
//            momentum ? (b = mu b + g / a; p -= lr b) : p -= lr g / a
//   Adam     g += wd p; m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g^2;
//            p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//            with eps_hat (Kingma and Ba's epsilon hat, as Keras and scikit-learn):
//            p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
//   AdamW    p *= 1 - lr wd; then Adam with wd = 0
#pragma once
#include <array>
#include <string_view>

#include "core/common.h"
#include "core/parallel.h"

namespace fastmlp {

enum class OptKind : int { SGD, Adagrad, RMSprop, Adam, AdamW };

inline constexpr std::array<std::string_view, 5> kOptimizerNames = {"sgd", "adagrad", "rmsprop",
                                                                    "adam", "adamw"};

struct OptimizerConfig {
  OptKind kind = OptKind::SGD;
  double lr = 0.01;
  double momentum = 0.0;  // SGD and RMSprop
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999;  // Adam, AdamW
  bool eps_hat = false;               // Adam, AdamW: eps added before the bias correction
  double rho = 0.99;                  // RMSprop's smoothing constant (torch's alpha)
  double eps = 1e-8;
};

// Number of parameter-sized state arrays the optimizer keeps.
int optimizer_state_slots(const OptimizerConfig& cfg);

// One update of n parameters. `state` holds optimizer_state_slots(cfg) arrays of n, zeroed at start.
template <class T>
void optimizer_step(const OptimizerConfig& cfg, i64 t, T* params, const T* grads, T* state, i64 n);
// The same update of parameters [part.begin, part.end) only, on the calling thread: a team's
// member updates its share (every element is updated independently).
template <class T>
void optimizer_step(const OptimizerConfig& cfg, i64 t, T* params, const T* grads, T* state, i64 n,
                    Share part);

// Sum of x[i]^2 over n values, accumulated in double in a fixed order: the same result on every
// instruction set and thread count. Gradient norms and the L2 penalty use it.
template <class T>
double sum_squares(const T* x, i64 n);

}  // namespace fastmlp
