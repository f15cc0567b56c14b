// The dropout loop compiled with -mavx2: 64-bit multiplies built from 32-bit ones, four lanes at a
// time.
#include "core/layers/dropout_mask.h"

namespace fastmlp::dropout_detail {

const DropoutKernels& avx2_dropout_kernels() {
  static constexpr DropoutKernels kTable = {apply_mask<float>, apply_mask<double>};
  return kTable;
}

}  // namespace fastmlp::dropout_detail
