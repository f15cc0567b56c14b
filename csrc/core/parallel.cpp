#include "core/parallel.h"

#include <atomic>
#include <omp.h>

#include "core/simd/isa.h"

namespace fastmlp {
namespace {
// 0 means "not set yet": take OpenMP's default (OMP_NUM_THREADS, threadpoolctl limits) lazily.
std::atomic<int> configured_threads{0};
}  // namespace

int num_threads() {
  int n = configured_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

void set_num_threads(int n) { configured_threads.store(n, std::memory_order_relaxed); }

const char* simd_level() { return isa_name(active_isa()); }

int openmp_version() { return _OPENMP; }

}  // namespace fastmlp
