// The instruction set the kernels run with, chosen once at first use: AVX2+FMA when the build has
// those kernels and the CPU supports them, else the portable kernels. FASTMLP_ISA=generic forces
// the portable path (so tests can cover it on any machine).
//
// Each kernel family (GEMM, vector math, optimizer updates) has one table per instruction set,
// with an entry per precision named s (float) and d (double). The two helpers below pick the
// active table and a precision's entry, so the families dispatch the same way.
#pragma once
#include <type_traits>

namespace fastmlp {

enum class Isa { Generic, Avx2Fma };

Isa active_isa();
const char* isa_name(Isa isa);  // "generic" or "avx2+fma"

// The table of the active instruction set, from the two table getters of a family. A macro, so
// that a build without the AVX2 kernels never names their getter.
#if defined(FASTMLP_HAVE_AVX2)
#define FASTMLP_ACTIVE_TABLE(generic, avx2) \
  (::fastmlp::active_isa() == ::fastmlp::Isa::Avx2Fma ? avx2() : generic())
#else
#define FASTMLP_ACTIVE_TABLE(generic, avx2) generic()
#endif

// T's entry of a table: table.s for float, table.d for double.
template <class T, class Table>
const auto& for_type(const Table& table) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  if constexpr (std::is_same_v<T, float>)
    return table.s;
  else
    return table.d;
}

}  // namespace fastmlp
