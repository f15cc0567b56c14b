// Activation functions over a rows x cols row-major block. Forward works in place on the
// pre-activation; backward turns dL/dA into dL/dZ in place from the stored output A, which is
// enough for every activation here (sigmoid: A(1-A), tanh: 1-A^2, relu/leaky: sign of A,
// softmax: A (dA - <dA, A>)), so layers keep outputs only.
#pragma once
#include <array>
#include <string_view>

#include "core/act.h"
#include "core/common.h"

namespace fastmlp {

// Names as the Python API spells them, indexed by Act. The one table both sides read.
inline constexpr std::array<std::string_view, 7> kActivationNames = {
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "step"};

struct Activation {
  Act kind = Act::Linear;
  double alpha = 0.01;  // negative slope of leaky_relu; must be >= 0 so sign(A) == sign(Z)
};

template <class T>
void activation_forward(T* Z, i64 rows, i64 cols, Activation act);

// E = exp(Z - rowmax(Z)) for every row (E may be Z): softmax's numerators, shared by the softmax
// and the fused softmax cross-entropy. One vector exp over the whole block: a call per row spends
// most of its time in the tail path when rows are short (a few classes). Single-threaded.
template <class T>
void exp_minus_row_max(T* E, const T* Z, i64 rows, i64 cols);

// Step has derivative zero almost everywhere; its backward is the straight-through identity,
// which with MAE loss on 0/1 targets is exactly Rosenblatt's perceptron rule.
template <class T>
void activation_backward(T* dA, const T* A, i64 rows, i64 cols, Activation act);

}  // namespace fastmlp
