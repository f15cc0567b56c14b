#include "core/gemm/gemm.h"

#include <algorithm>
#include <cassert>

#include <omp.h>
#include <unistd.h>

#include "core/aligned.h"
#include "core/gemm/kernels.h"
#include "core/parallel.h"
#include "core/simd/isa.h"

namespace fastmlp {
namespace gemm_detail {
namespace {

const GemmKernels& kernels() {
  return FASTMLP_ACTIVE_TABLE3(generic_gemm_kernels, avx2_gemm_kernels, avx512_gemm_kernels);
}

// Packing buffers (PackSizes below: B's panel, or a copy per thread, then one A block per
// thread). Each calling thread has one buffer per use (thread_local keeps concurrent calls apart;
// a team's workspace, taken before its region, is apart from gemm()'s, which a call inside the
// region could otherwise move) that only grows, so steady-state training does not allocate.
// Inside a training step's region nothing allocates: its threads pack into workspaces sized
// before it.
enum class Use { Call, Team };
template <class T, Use use>
T* workspace(i64 n) {
  thread_local LineVector<T> buf;
  const size_t size = size_t(std::max<i64>(n, 1));  // at least one: never a null pointer
  if (buf.size() < size) buf.resize(size);
  return buf.data();
}

// How C is cut into work items: mb row blocks of whole MR-row tiles, as equal in tiles as they
// can be (at most mc rows, a multiple of MR: MC, or more for a single block), each split into ng
// groups of NR-wide column panels when there are fewer row blocks than threads. Row blocks read
// B's packed panel: one the team packs together and shares, or (own_b) a copy each thread packs
// for itself.
struct Plan {
  i64 m_tiles, mc, mb, ng;
  bool own_b;
  // First row of row block b, which ends where block b + 1 starts (or at M).
  i64 block_first(i64 b, i64 mr) const { return b * m_tiles / mb * mr; }
};

// Bytes of L2 cache per core, 0 where the system does not say.
i64 l2_bytes() {
  static const i64 bytes = [] {
    long l2 = 0;
#if defined(_SC_LEVEL2_CACHE_SIZE)
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    return i64(std::max<long>(0, l2));
  }();
  return bytes;
}

// The most rows of A one block may hold when a product is shared out by columns (every thread
// then packs all of A): MC, or more where 1/parts of the L2 cache holds their KC-deep block
// (packed in whole tiles, so up to MR - 1 rows more).
// Not rounded down to whole tiles, which kept batches of 128 and 256 rows, just at a quarter or a
// half, out: on the AMD Zen 4 host (1 MiB of L2), 2 threads, float64 256 x 2048 x 1024 and x 2048
// ran 1.03-1.35x as fast by columns (row blocks sharing B's panel were erratic, 60-80 GFLOP/s);
// one thread, float32 256 x 512 x 784 1.08x, 256 x 256 x 512 1.03x, 256 x 2048 x 1024 1.00x.
template <class T>
i64 column_split_rows(i64 parts) {
  using Bk = Blocking<T>;
  return std::max(Bk::MC, l2_bytes() / parts / (Bk::KC * i64(sizeof(T))));
}

// The K blocks: equal, of at most KC (784 -> 4 x 196, not 256 + 256 + 256 + 16), and at least
// one, so K = 0 still writes C. They depend on K only: every element sums in the same order.
template <class T>
i64 k_blocks(i64 K) {
  return std::max<i64>(1, ceil_div(K, Blocking<T>::KC));
}
template <class T>
i64 k_block_depth(i64 K) {
  return std::max<i64>(1, ceil_div(K, k_blocks<T>(K)));
}

// Elements of one packed panel of B: a K block of up to NC columns, whole NR-wide micro-panels.
template <class T>
i64 b_panel_size(i64 N, i64 K) {
  using Bk = Blocking<T>;
  return k_block_depth<T>(K) * round_up(std::min(N, Bk::NC), Bk::NR);
}

template <class T>
Plan plan(i64 M, i64 N, i64 K, int threads) {
  using Bk = Blocking<T>;
  const i64 m_tiles = ceil_div(M, Bk::MR);
  const i64 n_panels = ceil_div(std::min(N, Bk::NC), Bk::NR);
  i64 mb = ceil_div(M, Bk::MC);
  // A product of few rows is shared out by columns, in one row block, unless that is more than
  // 10 % less even than by rows: then each thread packs only the B panels it reads and waits for
  // no other (measured 6-9 % faster at 64 x 784 x 128 and 128 x 784 x 512, against row blocks
  // sharing one packed B panel with two barriers per K block, before own_b below). Past MC rows
  // only with at least 8 panels per thread: digits' 200 x 64 x 100 float64 (13 panels) lost 4 %;
  // then as many as a quarter of L2 holds (2 MiB on the Intel Xeon measured: 256 x 1024 x 2048
  // float32 went from 0.82 to 0.95 of numpy on 2 threads), or half where B's panel is larger
  // than L2, so that row blocks would share it rather than own a copy (own_b below): the same
  // product in float64 1.15x, 384 rows 1.07-1.12x. Where B fits, half lost 1-5 % (600 x 784 x
  // 1024 float32). One thread keeps the quarter: there is no split to choose.
  const bool b_fits_l2 = b_panel_size<T>(N, K) * i64(sizeof(T)) <= l2_bytes();
  const i64 parts = b_fits_l2 || threads == 1 ? 4 : 2;
  // Also, up to half of L2, a product that row blocks would leave with at most one block per
  // thread, too few rows to pay for a thread's own copy of B: on the AMD Zen 4 host (1 MiB of
  // L2), 2 threads, float64 128 x 512 x 784 ran 1.21x as fast, 144 rows 1.26x, 128 x 256 x 512
  // 1.07x; float32 288 x 1024 x 784 1.07x, 256 x 512 x 784 1.01x (medians of 21 alternated).
  const i64 short_rows = std::min(threads * Bk::MC, column_split_rows<T>(2));
  const i64 max_rows =
      n_panels >= 8 * threads ? std::max(column_split_rows<T>(parts), short_rows) : Bk::MC;
  const bool by_columns = M <= max_rows && 10 * ceil_div(n_panels, threads) * m_tiles <=
                                               11 * ceil_div(m_tiles, threads) * n_panels;
  if (by_columns) mb = 1;
  // As many blocks as a multiple of the thread count, so that every thread gets the same number
  // of tiles give or take one (200 rows in 4 blocks: 8 + 9 + 8 + 9 tiles, not 9 + 9 + 9 + 7).
  if (threads > 1 && !by_columns) mb = std::min(m_tiles, round_up(mb, threads));
  const i64 mc = ceil_div(m_tiles, mb) * Bk::MR;  // <= MC, or max_rows in whole tiles
  const i64 ng = mb < threads ? std::min(n_panels, ceil_div(threads, mb)) : 1;
  // Row blocks on several threads: each thread packs all of B's panel for itself rather than a
  // share of one the team meets to pack and then reads across cores, where its copy fits in L2
  // (as big as L2 included: 256 x 2048 float32 weight gradients, 2 MiB, ran 1.05x) and it has 64
  // rows or more to amortise it. On the Xeon, 2 threads: weight gradients 1.02-1.14x, 1024^3
  // float32 1.04x, 200 x 64 x 100 1.40-1.45x.
  const bool own_b = threads > 1 && mb > 1 && M >= 64 * i64(threads) && b_fits_l2;
  return {m_tiles, mc, mb, ng, own_b};
}

// Packs panels [jp0, jp1) of a KC x NC block of B, panel jp at bpack + jp * pitch. Where B's
// rows are contiguous (W in the forward product, dZ in dW), 4 panels at a time are copied 32 rows
// each in turn, so each row is read 4 cache lines at a time rather than one line per row of a
// whole panel. On the Xeon, 128 x 784 x 512 (W out of L2) ran 1.07-1.10x as fast in float64 and
// 1.05-1.07x in float32 on one thread, 1.03-1.05x on two; wide-256 trained 1.02-1.05x as fast,
// and other products were within noise. The packed layout, so every bit, is unchanged.
template <class T>
void pack_b_panels(const GemmOps<T>& ops, i64 kc, i64 nc, i64 jp0, i64 jp1, const T* B, i64 rsb,
                   i64 csb, T* bpack, i64 pitch) {
  using Bk = Blocking<T>;
  constexpr i64 kGroup = 4, kRows = 32;
  const i64 rows = csb == 1 ? kRows : kc;  // columns contiguous (W^T): a panel is read best whole
  for (i64 g0 = jp0; g0 < jp1; g0 += kGroup) {
    const i64 g1 = std::min(jp1, g0 + kGroup);
    for (i64 p0 = 0; p0 < kc; p0 += rows)
      for (i64 jp = g0; jp < g1; ++jp) {
        const i64 j0 = jp * Bk::NR;
        ops.pack_b(std::min(rows, kc - p0), std::min(Bk::NR, nc - j0), B + p0 * rsb + j0 * csb,
                   rsb, csb, bpack + jp * pitch + p0 * Bk::NR);
      }
  }
}

// The share of thread `tid` of `nth`. Work is split by fixed contiguous ranges and the team meets
// at explicit barriers (no worksharing constructs, which would bind to a caller's region). Row
// blocks share B's panel, which the team packs between two barriers per K block, or each thread
// packs all of it into its own bpack (pl.own_b) and meets no other. A single row block is split
// by columns: each thread packs (or has its kernel calls pack) and reads only its own panels, at
// places that stay put from one K block to the next (panel jp at jp * NR * kcb), and the team
// meets only when a new NC block reassigns them.
template <class T>
void run(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb, T* C,
         i64 ldc, bool accumulate, const GemmEpilogue<T>& ep, const Plan& pl, T* bpack, T* apack,
         int tid, int nth) {
  using Bk = Blocking<T>;
  const GemmOps<T>& ops = for_type<T>(kernels());
  const i64 items = pl.mb * pl.ng;
  const i64 nkb = k_blocks<T>(K), kcb = ceil_div(K, nkb);  // K = 0: one block, C still written
  const i64 item0 = tid * items / nth, item1 = (tid + 1) * items / nth;
  const bool own_panels = pl.mb == 1, meet = nth > 1 && !own_panels && !pl.own_b;
  // Where one kernel call covers all of N (an output layer's forward product and weight
  // gradient), it reads each value of A once: packing would copy A to read it once more. Read in
  // place, 178 x 100 @ 100 x 3 took 6.8 us instead of 10.2 and wine's float64 fit ran 1.15x
  // faster (AVX-512). Wider products re-read A for every call, and packed it runs faster: read in
  // place whenever rsa == 1, mnist-s-64 and mnist-m-128 trained 0.97x as fast.
  const bool in_place = ops.kernel_in_place && (rsa == 1 || csa == 1) &&
                        N <= ops.panels * Bk::NR;
  // A thread's own panels, each read by one kernel call per K block, with B's rows contiguous (W
  // in a forward product): the call packs them as its first tile reads them (kernels.h).
  const bool pack_in_kernel = own_panels && csb == 1 && !in_place && ops.kernel_packing_b;

  for (i64 jc = 0; jc < N; jc += Bk::NC) {
    const i64 nc = std::min(Bk::NC, N - jc);
    const i64 n_panels = ceil_div(nc, Bk::NR);
    i64 jp_begin = tid * n_panels / nth, jp_end = (tid + 1) * n_panels / nth;
    if (own_panels) jp_begin = item0 * n_panels / pl.ng, jp_end = item1 * n_panels / pl.ng;
    if (pl.own_b) jp_begin = 0, jp_end = item0 < item1 ? n_panels : 0;
    if (own_panels && nth > 1 && jc > 0) {
#pragma omp barrier
    }  // the previous NC block's kernels are done with the panels this one reassigns
    for (i64 kb = 0; kb < nkb; ++kb) {
      const i64 pc = kb * kcb, kc = std::min(kcb, K - pc);
      const bool last = kb + 1 == nkb;
      if (meet && (jc > 0 || kb > 0)) {
#pragma omp barrier
      }  // the previous block's kernels are done with bpack (a team call starts with it unused)
      if (!pack_in_kernel)
        pack_b_panels(ops, kc, nc, jp_begin, jp_end, B + pc * rsb + jc * csb, rsb, csb, bpack,
                      Bk::NR * kcb);
      if (meet) {
#pragma omp barrier
      }  // all of bpack is packed
      for (i64 item = item0; item < item1; ++item) {
        const i64 b = item / pl.ng, g = item % pl.ng;
        const i64 ic = pl.block_first(b, Bk::MR);
        const i64 mc = std::min(pl.block_first(b + 1, Bk::MR), M) - ic;
        const i64 jp0 = g * n_panels / pl.ng, jp1 = (g + 1) * n_panels / pl.ng;
        if (jp0 == jp1) continue;  // a group left without panels by a narrow last NC block
        const T* a_block = A + ic * rsa + pc * csa;
        if (!in_place) ops.pack_a(mc, kc, a_block, rsa, csa, apack);
        for (i64 jp = jp0; jp < jp1; jp += ops.panels) {
          const i64 j = jc + jp * Bk::NR;
          const i64 n = std::min(jc + std::min(jp + ops.panels, jp1) * Bk::NR, N) - j;
          const T* bias = pc == 0 && ep.bias ? ep.bias + j : nullptr;
          const TileColumn<T> col{C + ic * ldc + j, ldc, mc, n, Bk::NR * kcb,
                                  accumulate || pc > 0, bias, last, ep.act.kind, T(ep.act.alpha)};
          T* b_panels = bpack + jp * Bk::NR * kcb;
          if (in_place)
            ops.kernel_in_place(kc, a_block, rsa, csa, b_panels, col);
          else if (pack_in_kernel)
            ops.kernel_packing_b(kc, apack, B + pc * rsb + j, rsb, b_panels, col);
          else
            ops.kernel(kc, apack, b_panels, col);
        }
      }
    }
  }
}

// The products thin.h's loops cover: outer products, and matrix-vector products that read A by
// whole columns (X^T) or by whole rows against a contiguous B. Other strides take the blocked
// path, which handles any.
bool is_thin(i64 N, i64 K, i64 rsa, i64 csa, i64 rsb, i64 ldc) {
  return ldc == N && (K == 1 || (N == 1 && (rsa == 1 || (csa == 1 && rsb == 1))));
}

// Matrix-vector and outer products (thin.h): rows [share) of C, then their activation (the
// vector math the register-tile epilogue applies too: bitwise the same).
template <class T>
void thin_share(Share s, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb,
                T* C, bool accumulate, const GemmEpilogue<T>& ep) {
  for_type<T>(kernels()).thin_rows(s.begin, s.end, N, K, A, rsa, csa, B, rsb, csb, C, accumulate,
                                   ep.bias);
  if (ep.act.kind != Act::Linear) activation_forward(C + s.begin * N, s.end - s.begin, N, ep.act);
}

// The packing buffers of `threads` threads: B's panel (one, or one per thread where pl.own_b),
// then one A block per thread.
template <class T>
struct PackSizes {
  i64 b, a, b_copies, threads;
  PackSizes(i64 N, i64 K, const Plan& pl, int threads_)
      : b(b_panel_size<T>(N, K)),
        a(round_up(pl.mc * k_block_depth<T>(K), 16)),
        b_copies(pl.own_b ? threads_ : 1),
        threads(threads_) {}
  i64 total() const { return b_copies * b + threads * a; }
  T* b_of(T* ws, int tid) const { return ws + (b_copies > 1 ? tid : 0) * b; }
  T* a_of(T* ws, int tid) const { return ws + b_copies * b + tid * a; }
};

}  // namespace
}  // namespace gemm_detail

template <class T>
void gemm(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb, T* C,
          i64 ldc, bool accumulate, const GemmEpilogue<T>& ep, T* workspace) {
  using namespace gemm_detail;
  assert(ep.act.kind != Act::Softmax);
  if (M <= 0 || N <= 0) return;
  int threads = workspace ? 1 : threads_for<T>(2 * M * N * K);
  if (is_thin(N, K, rsa, csa, rsb, ldc)) {
    // Each thread at least one row of C.
    return for_shares(M, int(std::min<i64>(threads, M)), 1, [&](i64 b, i64 e) {
      thin_share(Share{b, e}, N, K, A, rsa, csa, B, rsb, csb, C, accumulate, ep);
    });
  }
  const Plan pl = plan<T>(M, N, K, threads);
  threads = int(std::min<i64>(threads, pl.mb * pl.ng));
  const PackSizes<T> sz(N, K, pl, threads);
  T* ws = workspace ? workspace : gemm_detail::workspace<T, Use::Call>(sz.total());
  if (threads == 1) {
    run(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, accumulate, ep, pl, sz.b_of(ws, 0),
        sz.a_of(ws, 0), 0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    // The team may be smaller than asked (e.g. nested in a caller's region): split by its size.
    const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
    run(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, accumulate, ep, pl, sz.b_of(ws, tid),
        sz.a_of(ws, tid), tid, nth);
  }
}

template <class T>
void gemm_team(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb,
               T* C, i64 ldc, const GemmEpilogue<T>& ep, Team team, T* workspace) {
  using namespace gemm_detail;
  assert(ep.act.kind != Act::Softmax);
  if (M <= 0 || N <= 0) return;
  if (is_thin(N, K, rsa, csa, rsb, ldc))
    return thin_share(share_of(M, team), N, K, A, rsa, csa, B, rsb, csb, C, false, ep);
  // Threads left without tiles still meet the others at every barrier of run().
  const Plan pl = plan<T>(M, N, K, team.nth);
  const PackSizes<T> sz(N, K, pl, team.nth);
  run(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, false, ep, pl, sz.b_of(workspace, team.tid),
      sz.a_of(workspace, team.tid), team.tid, team.nth);
}

template <class T>
i64 gemm_workspace_size(i64 M, i64 N, i64 K) {
  return gemm_team_workspace_size<T>(M, N, K, 1);  // one thread: B's panel and one A block
}

template <class T>
i64 gemm_team_workspace_size(i64 M, i64 N, i64 K, int threads) {
  using namespace gemm_detail;
  if (M <= 0 || N <= 0) return 0;
  return PackSizes<T>(N, K, plan<T>(M, N, K, threads), threads).total();
}

template <class T>
T* gemm_team_workspace(i64 size) {
  return gemm_detail::workspace<T, gemm_detail::Use::Team>(size);
}

template <class T>
i64 gemm_tile_rows() {
  return gemm_detail::Blocking<T>::MR;
}

const char* gemm_isa() { return gemm_detail::kernels().isa; }

template void gemm<float>(i64, i64, i64, const float*, i64, i64, const float*, i64, i64, float*,
                          i64, bool, const GemmEpilogue<float>&, float*);
template void gemm<double>(i64, i64, i64, const double*, i64, i64, const double*, i64, i64,
                           double*, i64, bool, const GemmEpilogue<double>&, double*);
template i64 gemm_workspace_size<float>(i64, i64, i64);
template i64 gemm_workspace_size<double>(i64, i64, i64);
template void gemm_team<float>(i64, i64, i64, const float*, i64, i64, const float*, i64, i64,
                               float*, i64, const GemmEpilogue<float>&, Team, float*);
template void gemm_team<double>(i64, i64, i64, const double*, i64, i64, const double*, i64, i64,
                                double*, i64, const GemmEpilogue<double>&, Team, double*);
template i64 gemm_tile_rows<float>();
template i64 gemm_tile_rows<double>();
template i64 gemm_team_workspace_size<float>(i64, i64, i64, int);
template i64 gemm_team_workspace_size<double>(i64, i64, i64, int);
template float* gemm_team_workspace<float>(i64);
template double* gemm_team_workspace<double>(i64);

}  // namespace fastmlp
