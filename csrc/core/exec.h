// How a training step's kernels run.
//
// Solo: on the calling thread, each kernel opening its own OpenMP region when its work pays for
// one. Team: on every thread of one region (a whole training step: one fork and join instead of one
// per kernel). Each thread carries its own rows through the forward pass, the loss and the deltas
// with solo kernels (inside a region they never open another: threads_for is 1 there); the weight
// gradients' products (and forward products that row shares would cut into partial register tiles)
// split their tiles across the team, or, for a large enough batch, each thread forms its piece of
// the gradients (Network::grad_pieces); elementwise passes split their elements, and the team meets
// at a barrier wherever a thread goes on to read what others wrote. Every element is computed by the
// same operations in the same order either way, so a team's results are bitwise the solo results.
#pragma once
#include "core/common.h"
#include "core/gemm/gemm.h"
#include "core/parallel.h"

namespace fastmlp {

template <class T>
struct Exec {
  Team team;
  T* workspace = nullptr;  // the team's product workspace (gemm_team_workspace)
  bool in_team = false;
  T* own = nullptr;  // in a team: this thread's workspace for the products of its own rows

  bool solo() const { return !in_team; }
  bool leader() const { return team.tid == 0; }
  // The caller's share of n items (all of them when solo).
  Share share(i64 n, i64 align = 1) const { return solo() ? Share{0, n} : share_of(n, team, align); }
  void barrier() const {
    if (!solo()) {
#pragma omp barrier
    }
  }
  // C = op(A) op(B) as gemm(); in a team, C is complete when it returns.
  void gemm(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb, T* C,
            i64 ldc) const {
    if (solo()) return fastmlp::gemm(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, false);
    gemm_team(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, {}, team, workspace);
    barrier();
  }
};

}  // namespace fastmlp
