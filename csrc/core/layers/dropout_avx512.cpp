// The dropout loop compiled with -mavx512f -mavx512dq: vpmullq multiplies eight 64-bit lanes at a
// time. Reached only after the CPU check (core/simd/isa.cpp requires DQ with AVX-512F).
#include "core/layers/dropout_mask.h"

namespace fastmlp::dropout_detail {

const DropoutKernels& avx512_dropout_kernels() {
  static constexpr DropoutKernels kTable = {apply_mask<float>, apply_mask<double>};
  return kTable;
}

}  // namespace fastmlp::dropout_detail
