// Thread-count policy. Every parallel region passes num_threads(threads_for(work)) explicitly so
// that small problems never pay for waking a thread team and the configured count is honoured
// without touching the global OpenMP state numpy or other libraries may share.
#pragma once
#include "core/common.h"

namespace fastmlp {

// Below this many floating-point operations a region runs on the calling thread.
constexpr i64 kParallelWork = 1 << 16;

int num_threads();
void set_num_threads(int n);  // n >= 1; callers validate

inline int threads_for(i64 work) { return work < kParallelWork ? 1 : num_threads(); }

// Instruction set of the kernels dispatched at run time ("avx2+fma", "generic"), for show_config().
const char* simd_level();
// OpenMP version as yyyymm (the _OPENMP macro).
int openmp_version();

}  // namespace fastmlp
