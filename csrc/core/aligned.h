// Vectors that start on a cache line. glibc's malloc aligns to 16 bytes, and a large block starts
// 16 bytes into a page: a std::vector's rows of W, the GEMM's stores into the gradients and the
// optimizer's vector loads would then each straddle two lines.
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace fastmlp {

template <class T>
struct LineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};

  LineAllocator() = default;
  template <class U>
  LineAllocator(const LineAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }

  template <class U>
  bool operator==(const LineAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const LineAllocator<U>&) const noexcept { return false; }
};

template <class T>
using LineVector = std::vector<T, LineAllocator<T>>;

}  // namespace fastmlp
