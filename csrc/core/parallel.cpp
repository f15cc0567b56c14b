#include "core/parallel.h"

#include <atomic>
#include <omp.h>

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

const char* simd_level() {
#if defined(__AVX512F__)
  return "avx512f";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2+fma";
#elif defined(__SSE2__)
  return "sse2";
#elif defined(__ARM_NEON)
  return "neon";
#else
  return "scalar";
#endif
}

int openmp_version() { return _OPENMP; }

}  // namespace fastmlp
