// Dense layer: Y = act(X W + b), W (in x out) row-major so a sample's output row is one
// contiguous panel of W's rows.
//
// Backward comes in three parts that a step orders itself: each row's dZ and dX depend on that
// row alone, so a team can carry its own rows through them; dW and db sum over every row.
#pragma once
#include "core/activations.h"
#include "core/common.h"
#include "core/exec.h"

namespace fastmlp {

// Z, when non-null, receives the pre-activation too (the fused losses read logits). A workspace
// makes the product gemm()'s on the calling thread (gemm.h).
template <class T>
void dense_forward(T* Y, T* Z, const T* X, const T* W, const T* b, i64 rows, i64 in, i64 out,
                   Activation act, T* workspace = nullptr);

// dY arrives as dL/dY and is turned into dL/dZ in place from the stored Y (pass Linear when the
// loss already gave dL/dZ).
template <class T>
void dense_delta(T* dY, const T* Y, i64 rows, i64 out, Activation act);

// dX = dZ W^T (the workspace as dense_forward's).
template <class T>
void dense_input_grad(T* dX, const T* dZ, const T* W, i64 rows, i64 in, i64 out,
                      T* workspace = nullptr);

// dW = X^T dZ + penalty gradient, db = column sums of dZ (db may be null). Gradients are
// overwritten, not accumulated. In a team, complete after the team's next barrier.
template <class T>
void dense_param_grads(const Exec<T>& ex, T* dW, T* db, const T* dZ, const T* X, const T* W,
                       i64 rows, i64 in, i64 out, double l1, double l2);

}  // namespace fastmlp
