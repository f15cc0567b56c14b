// The same update loops compiled with -mavx2 -mfma: 256-bit vectors double the throughput of the
// divisions and square roots, which bound Adam, Adagrad and RMSprop when the state is in cache.
#include "core/optim/update.h"

namespace fastmlp::optim_detail {

const OptimKernels& avx2_optim_kernels() {
  static constexpr OptimKernels kTable = {{update<float>, sum_squares<float>},
                                                {update<double>, sum_squares<double>}};
  return kTable;
}

}  // namespace fastmlp::optim_detail
