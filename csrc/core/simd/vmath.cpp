#include "core/vmath.h"

#include "core/simd/isa.h"
#include "core/simd/vmath_kernels.h"

namespace fastmlp {
namespace {

template <class T>
const simd::VmathOps<T>& ops() {
  return for_type<T>(FASTMLP_ACTIVE_TABLE3(simd::generic_vmath_kernels, simd::avx2_vmath_kernels,
                                           simd::avx512_vmath_kernels));
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

template <class T>
void vsoftplus(T* x, i64 n) {
  ops<T>().softplus(x, n);
}

template void vexp<float>(float*, i64);
template void vexp<double>(double*, i64);
template void vsigmoid<float>(float*, i64);
template void vsigmoid<double>(double*, i64);
template void vtanh<float>(float*, i64);
template void vtanh<double>(double*, i64);
template void vsoftplus<float>(float*, i64);
template void vsoftplus<double>(double*, i64);

}  // namespace fastmlp
