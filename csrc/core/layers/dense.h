// Dense layer: Y = act(X W + b), W (in x out) row-major so a sample's output row is one
// contiguous panel of W's rows.
#pragma once
#include "core/activations.h"
#include "core/common.h"
#include "core/exec.h"

namespace fastmlp {

// Z, when non-null, receives the pre-activation too (the fused losses read logits). In a team,
// Y (and Z) are complete when it returns.
template <class T>
void dense_forward(const Exec<T>& ex, T* Y, T* Z, const T* X, const T* W, const T* b, i64 rows,
                   i64 in, i64 out, Activation act);

// dY arrives as dL/dY and is turned into dZ in place from the stored Y (pass Linear when the
// loss already gave dL/dZ). Then dW = X^T dZ + penalty gradient, db = column sums of dZ, and
// dX = dZ W^T when dX is non-null. Gradients are overwritten, not accumulated. In a team, dX is
// complete when it returns; dW and db after the team's next barrier.
template <class T>
void dense_backward(const Exec<T>& ex, T* dX, T* dW, T* db, T* dY, const T* X, const T* Y,
                    const T* W, i64 rows, i64 in, i64 out, Activation act, double l1, double l2);

}  // namespace fastmlp
