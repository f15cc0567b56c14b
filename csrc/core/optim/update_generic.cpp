// Portable update loops: the compiler's baseline vectors (SSE2 on x86-64).
#include "core/optim/update.h"

namespace fastmlp::optim_detail {

const OptimKernels& generic_optim_kernels() {
  static constexpr OptimKernels kTable = {{update<float>, sum_squares<float>},
                                                {update<double>, sum_squares<double>}};
  return kTable;
}

}  // namespace fastmlp::optim_detail
