#include "core/parallel.h"

#include <atomic>
#include <omp.h>

#include "core/simd/isa.h"

namespace fastmlp {
namespace {
// 0 means "not set yet": take OpenMP's default (OMP_NUM_THREADS, threadpoolctl limits) lazily.
std::atomic<int> configured_threads{0};
std::atomic<bool> dynamic{true};
thread_local bool alone = false;
}  // namespace

int num_threads() {
  if (alone) return 1;
  int n = configured_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

void set_num_threads(int n) { configured_threads.store(n, std::memory_order_relaxed); }

bool dynamic_threads() { return dynamic.load(std::memory_order_relaxed); }

void set_dynamic_threads(bool on) { dynamic.store(on, std::memory_order_relaxed); }

OneThread::OneThread(bool active) : before_(alone) { alone = before_ || active; }

OneThread::~OneThread() { alone = before_; }

const char* simd_level() { return isa_name(active_isa()); }

int openmp_version() { return _OPENMP; }

}  // namespace fastmlp
