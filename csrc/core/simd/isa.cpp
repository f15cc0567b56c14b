#include "core/simd/isa.h"

#include <cstdlib>
#include <cstring>

namespace fastmlp {
namespace {

Isa detect() {
  const char* forced = std::getenv("FASTMLP_ISA");
  if (forced && std::strcmp(forced, "generic") == 0) return Isa::Generic;
#if defined(FASTMLP_HAVE_AVX2)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2Fma;
#endif
  return Isa::Generic;
}

}  // namespace

Isa active_isa() {
  static const Isa isa = detect();
  return isa;
}

const char* isa_name(Isa isa) { return isa == Isa::Avx2Fma ? "avx2+fma" : "generic"; }

}  // namespace fastmlp
