// Thread-count policy. Every parallel region passes num_threads(threads_for(work)) explicitly so
// that small problems never pay for waking a thread team and the configured count is honoured
// without touching the global OpenMP state numpy or other libraries may share.
#pragma once
#include <algorithm>

#include <omp.h>

#include "core/common.h"

namespace fastmlp {

// Splitting work into pieces: how many pieces of b cover a, and a rounded up to whole pieces.
constexpr i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }
constexpr i64 round_up(i64 a, i64 b) { return ceil_div(a, b) * b; }

// Below this many float32 operations (about 0.1 ms of work) a region runs on the calling
// thread: waking a team and meeting at its barrier costs microseconds on an idle machine and far
// more on a busy one (measured: a 30-64-64-1 net, batch 32, trained 10x slower on 2 threads
// than on 1 with a 64 kFLOP threshold).
constexpr i64 kParallelWork = 1 << 21;

// The configured count, or 1 on a thread inside a OneThread scope.
int num_threads();
void set_num_threads(int n);  // n >= 1, or 0 for OpenMP's default; callers validate
// Whether a training step may run on one thread where its size earns a team, when timing finds
// that faster (ThreadChoice). On by default.
bool dynamic_threads();
void set_dynamic_threads(bool on);

// While one lives (when `active`), num_threads() is 1 on the constructing thread, so no kernel it
// calls opens a parallel region: a training step ThreadChoice gave one thread.
class OneThread {
 public:
  explicit OneThread(bool active);
  ~OneThread();
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  bool before_;
};

// `ops` counts operations on T; one on double takes about twice as long as one on float (half the
// SIMD lanes, twice the bytes), so it weighs double. Inside a parallel region (a team running a
// whole training step) a kernel works on its caller's share alone.
template <class T>
int threads_for(i64 ops) {
  const i64 work = ops * i64(sizeof(T) / sizeof(float));
  return work < kParallelWork || omp_in_parallel() ? 1 : num_threads();
}

// Thread tid of a team of nth.
struct Team {
  int tid = 0, nth = 1;
};

// [begin, end): a thread's contiguous share of n items.
struct Share {
  i64 begin, end;
};

// Shares cut at multiples of `align` items (whole cache lines when they are written), the last
// share taking the rest.
inline Share share_of(i64 n, Team team, i64 align = 1) {
  const auto cut = [&](i64 k) { return std::min(n, (k * n / team.nth) / align * align); };
  return {cut(team.tid), team.tid + 1 == team.nth ? n : cut(team.tid + 1)};
}

// body(begin, end) over [0, n): on the calling thread alone when threads == 1 (no OpenMP region
// is entered), else once per thread of a team of `threads` on its share.
template <class F>
void for_shares(i64 n, int threads, i64 align, F&& body) {
  if (threads <= 1) {
    body(i64(0), n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const Share s = share_of(n, Team{omp_get_thread_num(), omp_get_num_threads()}, align);
    body(s.begin, s.end);
  }
}

// Instruction set of the kernels dispatched at run time ("avx512f", "avx2+fma", "generic"), for
// show_config().
const char* simd_level();
// OpenMP version as yyyymm (the _OPENMP macro).
int openmp_version();

}  // namespace fastmlp
