// Thread-count policy. Every parallel region passes num_threads(threads_for(work)) explicitly so
// that small problems never pay for waking a thread team and the configured count is honoured
// without touching the global OpenMP state numpy or other libraries may share.
#pragma once
#include "core/common.h"

namespace fastmlp {

// Below this many float32 operations (about 0.1 ms of work) a region runs on the calling
// thread: waking a team and meeting at its barrier costs microseconds on an idle machine and far
// more on a busy one (measured: a 30-64-64-1 net, batch 32, trained 10x slower on 2 threads
// than on 1 with a 64 kFLOP threshold).
constexpr i64 kParallelWork = 1 << 21;

int num_threads();
void set_num_threads(int n);  // n >= 1, or 0 for OpenMP's default; callers validate

// `ops` counts operations on T; one on double takes about twice as long as one on float (half the
// SIMD lanes, twice the bytes), so it weighs double.
template <class T>
int threads_for(i64 ops) {
  const i64 work = ops * i64(sizeof(T) / sizeof(float));
  return work < kParallelWork ? 1 : num_threads();
}

// Instruction set of the kernels dispatched at run time ("avx2+fma", "generic"), for show_config().
const char* simd_level();
// OpenMP version as yyyymm (the _OPENMP macro).
int openmp_version();

}  // namespace fastmlp
