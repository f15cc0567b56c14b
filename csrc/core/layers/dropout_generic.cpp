// Portable dropout loop: the compiler's baseline vectors (SSE2 on x86-64).
#include "core/layers/dropout_mask.h"

namespace fastmlp::dropout_detail {

const DropoutKernels& generic_dropout_kernels() {
  static constexpr DropoutKernels kTable = {apply_mask<float>, apply_mask<double>};
  return kTable;
}

}  // namespace fastmlp::dropout_detail
