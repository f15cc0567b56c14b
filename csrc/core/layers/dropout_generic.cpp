// Portable dropout loop: branch-free, and scalar where the baseline has no 64-bit vector
// multiply (SSE2: g++ 12 leaves it scalar).
#include "core/layers/dropout_mask.h"

namespace fastmlp::dropout_detail {

const DropoutKernels& generic_dropout_kernels() {
  static constexpr DropoutKernels kTable = {apply_mask<float>, apply_mask<double>};
  return kTable;
}

}  // namespace fastmlp::dropout_detail
