// The instruction set the kernels run with, chosen once at first use: AVX2+FMA when the build has
// those kernels and the CPU supports them, else the portable kernels. FASTMLP_ISA=generic forces
// the portable path (so tests can cover it on any machine).
#pragma once

namespace fastmlp {

enum class Isa { Generic, Avx2Fma };

Isa active_isa();
const char* isa_name(Isa isa);  // "generic" or "avx2+fma"

}  // namespace fastmlp
