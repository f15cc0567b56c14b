// The instruction set the kernels run with, chosen once at first use: the highest level the build
// has kernels for and the CPU supports (AVX-512F with DQ, then AVX2+FMA), else the portable
// kernels.
// FASTMLP_ISA caps it, so tests can cover every path a machine can run: "generic" forces the
// portable kernels, "avx2" (or "avx2+fma") stops below AVX-512; fastmlp's import warns about
// other values, which are ignored.
//
// Each kernel family (GEMM, vector math, optimizer updates, dropout) has one table per instruction
// set, with an entry per precision named s (float) and d (double). The helpers below pick the
// active table and a precision's entry, so the families dispatch the same way. The GEMM, the
// vector math and dropout have AVX-512 kernels; the optimizer updates, bound by memory and the
// divider rather than the FMA units, run their AVX2 table at that level.
#pragma once
#include <type_traits>

namespace fastmlp {

enum class Isa { Generic, Avx2Fma, Avx512 };

Isa active_isa();
const char* isa_name(Isa isa);  // "generic", "avx2+fma" or "avx512f"

// The table of the active instruction set, from the two table getters of a family. A macro, so
// that a build without the AVX2 kernels never names their getter.
#if defined(FASTMLP_HAVE_AVX2)
#define FASTMLP_ACTIVE_TABLE(generic, avx2) \
  (::fastmlp::active_isa() != ::fastmlp::Isa::Generic ? avx2() : generic())
#else
#define FASTMLP_ACTIVE_TABLE(generic, avx2) generic()
#endif
// The same for a family with AVX-512 kernels too.
#if defined(FASTMLP_HAVE_AVX512)
#define FASTMLP_ACTIVE_TABLE3(generic, avx2, avx512) \
  (::fastmlp::active_isa() == ::fastmlp::Isa::Avx512 ? avx512() \
                                                     : FASTMLP_ACTIVE_TABLE(generic, avx2))
#else
#define FASTMLP_ACTIVE_TABLE3(generic, avx2, avx512) FASTMLP_ACTIVE_TABLE(generic, avx2)
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
