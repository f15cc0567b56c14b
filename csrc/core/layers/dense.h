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

// Z, when non-null, receives the pre-activation too (the fused losses read logits); then Y may be
// null, for a caller that activates Z itself. A workspace makes the product gemm()'s on the
// calling thread (gemm.h).
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

// Parameter gradients summed in pieces of the batch (Network::grad_pieces): piece p of `count`
// is rows [p rows / count, (p + 1) rows / count), its X_p^T dZ_p and column sums of dZ_p a
// partial of its own (laid out as W then b: piece 0's in dW and db themselves), and dW and db the
// partials' sums in piece order: the same bits whoever forms each piece.
template <class T>
struct GradPieces {
  i64 count = 1;          // 1: one product and one column sum over all rows
  T* partials = nullptr;  // piece p > 0's partial at partials + (p - 1) * stride
  i64 stride = 0;
  // Where piece p goes, for a layer whose dW (and db after it) starts at dW.
  T* of(T* dW, i64 p) const { return p == 0 ? dW : partials + (p - 1) * stride; }
};

// Rows [k0, k1) of piece p's partial dW (rows of W: the layer's inputs), and its db with_bias by
// the caller whose non-empty rows start at 0. With a workspace on the calling thread alone, as
// dense_forward's.
template <class T>
void dense_param_grad_piece(T* partial, const T* dZ, const T* X, i64 rows, i64 in, i64 out,
                            bool with_bias, i64 piece, i64 count, i64 k0, i64 k1,
                            T* workspace = nullptr);

// dW = X^T dZ, db = column sums of dZ (db may be null), overwritten, not accumulated; or, with
// pieces (solo only: a team forms them with dense_param_grad_piece), each piece's partial.
// dense_finish_grads completes them. In a team, written after the team's next barrier.
template <class T>
void dense_param_grads(const Exec<T>& ex, T* dW, T* db, const T* dZ, const T* X, i64 rows,
                       i64 in, i64 out, GradPieces<T> pieces = {});

// n gradients of one layer (all kernel or all bias values): g[i] (piece 0's partial) plus the
// other count - 1 pieces' partials[(p - 1) * stride + i] in piece order, then, for a kernel (W
// non-null: its values at the same places), the penalty's gradient l1 sign(W) + 2 l2 W.
template <class T>
void dense_finish_grads(T* g, const T* partials, i64 stride, i64 count, const T* W, i64 n,
                        double l1, double l2);

}  // namespace fastmlp
