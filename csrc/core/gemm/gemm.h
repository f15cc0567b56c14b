// C = act((accumulate ? C : 0) + A B + bias) for row-major C, with A and B given by general
// strides so that the transposed products of backprop (X^T dZ, dZ W^T) need no materialised
// transpose:
//   A(i, p) = A[i * rsa + p * csa]   (M x K)
//   B(p, j) = B[p * rsb + j * csb]   (K x N)
// BLIS-style: packed panels, Zen 3 cache blocking, a register-tile micro-kernel for the
// instruction set chosen at run time. The epilogue (bias, then activation) runs on the register
// tile after its last K block. Threads split tiles of C only, never K, so every element sums its
// products in the same order: results are bitwise identical for any thread count (and the same
// on AVX2 and AVX-512 machines; the portable kernels round differently).
// Outer products (K = 1) and matrix-vector products (N = 1) in the layouts backprop uses, with
// contiguous C, take a direct loop instead, split by rows of C under the same guarantee. Products
// narrow enough for one kernel call per row tile (N up to 8 doubles or 16 floats with AVX2, twice
// that with AVX-512) read A in place, unpacked: same tiles, same results.
#pragma once
#include "core/activations.h"
#include "core/common.h"
#include "core/parallel.h"

namespace fastmlp {

template <class T>
struct GemmEpilogue {
  const T* bias = nullptr;  // length N, added to every row of C
  Activation act;           // elementwise only: Softmax is the caller's (linear epilogue, then rows)
};

// Packing goes to a growing buffer of the calling thread's own, and the product opens a parallel
// region when its work pays for one. Given a `workspace` (64-byte aligned, of at least
// gemm_workspace_size<T>(M, N, K) elements) it runs on the calling thread and packs there, so a
// thread inside a parallel region allocates nothing.
template <class T>
void gemm(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb, T* C,
          i64 ldc, bool accumulate, const GemmEpilogue<T>& ep = {}, T* workspace = nullptr);
template <class T>
i64 gemm_workspace_size(i64 M, i64 N, i64 K);

// C = op(A) op(B) with its epilogue (bitwise gemm()'s, without accumulation) computed by a team
// inside a parallel region: every thread of the team calls it with the same arguments and its
// own Team. `workspace` is shared by the team and holds
// gemm_team_workspace_size<T>(M, N, K, team.nth) elements. A thread returns when its own share of
// C is written: the team meets at a barrier before C is read or the workspace reused.
template <class T>
void gemm_team(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb,
               T* C, i64 ldc, const GemmEpilogue<T>& ep, Team team, T* workspace);
template <class T>
i64 gemm_team_workspace_size(i64 M, i64 N, i64 K, int threads);
// A 64-byte aligned workspace of at least `size` elements for a team's products (and the parts
// its threads pass to gemm() for products of their own), taken before the region: a buffer of
// the calling thread's, apart from the one gemm() packs into otherwise, that only grows (to a
// few MiB per thread: packing is bounded by the cache blocks) and stays valid until this thread
// asks for it again.
template <class T>
T* gemm_team_workspace(i64 size);

// Rows of C one register tile covers: a product of M rows computes ceil(M / this) rows of tiles.
template <class T>
i64 gemm_tile_rows();

// The micro-kernels' instruction set: "avx512f", "avx2+fma" or "generic".
const char* gemm_isa();

}  // namespace fastmlp
