// The activation kinds, apart from activations.h so that the ISA kernel files can use the
// enumeration without including any standard-library header (see core/gemm/kernels.h).
#pragma once

namespace fastmlp {

enum class Act : int { Linear, Sigmoid, Tanh, Relu, LeakyRelu, Softmax, Step };

}  // namespace fastmlp
