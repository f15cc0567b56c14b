// Portable update loops: the compiler's baseline vectors (SSE2 on x86-64).
#include "core/optim/update.h"

namespace fastmlp::optim_detail {

const OptimKernels& generic_optim_kernels() {
  static constexpr OptimKernels kTable = {update<float>, update<double>};
  return kTable;
}

}  // namespace fastmlp::optim_detail
