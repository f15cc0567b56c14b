#include "core/vmath.h"

#include <type_traits>

#include "core/simd/isa.h"
#include "core/simd/vmath_kernels.h"

namespace fastmlp {
namespace {

const simd::VmathKernels& table() {
#if defined(FASTMLP_HAVE_AVX2)
  static const simd::VmathKernels& t = active_isa() == Isa::Avx2Fma ? simd::avx2_vmath_kernels()
                                                                    : simd::generic_vmath_kernels();
  return t;
#else
  return simd::generic_vmath_kernels();
#endif
}

template <class T>
const simd::VmathOps<T>& ops() {
  if constexpr (std::is_same_v<T, float>)
    return table().s;
  else
    return table().d;
}

}  // namespace

template <class T>
void vexp(T* x, i64 n) {
  ops<T>().exp(x, n);
}
template <class T>
void vsigmoid(T* x, i64 n) {
  ops<T>().sigmoid(x, n);
}
template <class T>
void vtanh(T* x, i64 n) {
  ops<T>().tanh(x, n);
}

template void vexp<float>(float*, i64);
template void vexp<double>(double*, i64);
template void vsigmoid<float>(float*, i64);
template void vsigmoid<double>(double*, i64);
template void vtanh<float>(float*, i64);
template void vtanh<double>(double*, i64);

}  // namespace fastmlp
