#include "core/simd/isa.h"

#include <cstdlib>
#include <cstring>

namespace fastmlp {
namespace {

Isa detect() {
  const char* cap = std::getenv("FASTMLP_ISA");
  if (cap && std::strcmp(cap, "generic") == 0) return Isa::Generic;
#if defined(FASTMLP_HAVE_AVX2)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return Isa::Generic;
#if defined(FASTMLP_HAVE_AVX512)
  // libgcc's check includes the OS saving the zmm state (XCR0), not only the CPUID bit. DQ (the
  // dropout loop's 64-bit multiplies) comes with F on every AVX-512 CPU but the Xeon Phi.
  const bool avx2_cap = cap && (std::strcmp(cap, "avx2") == 0 || std::strcmp(cap, "avx2+fma") == 0);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && !avx2_cap)
    return Isa::Avx512;
#endif
  return Isa::Avx2Fma;
#else
  return Isa::Generic;
#endif
}

}  // namespace

Isa active_isa() {
  static const Isa isa = detect();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512f";
    case Isa::Avx2Fma:
      return "avx2+fma";
    case Isa::Generic:
      return "generic";
  }
  return "generic";
}

}  // namespace fastmlp
