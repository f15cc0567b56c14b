// Portable micro-kernels with the same tile shapes as the AVX2 ones, written so the compiler can
// vectorise the j loops for whatever the baseline target is (SSE2, NEON). The accumulators start
// from C (or the bias) and add the products in K order, one rounding each: the plain sequential
// dot product, the reference the AVX2 path is tested against. Matrix-vector and outer products
// go through thin.h instead (products first, then C, then the bias), with one-lane "vectors".
#include <cmath>

#include "core/gemm/kernels.h"
#include "core/gemm/pack.h"
#include "core/gemm/thin.h"
#include "core/simd/scalar_math.h"

namespace fastmlp::gemm_detail {
namespace {

// Same results as activation_forward, including NaN handling. Sigmoid and tanh are evaluated in
// double: float results then carry one rounding (float tanhf and the float sigmoid reach 2.3 ulp).
template <class T>
T activate(T v, Act act, T alpha) {
  switch (act) {
    case Act::Sigmoid:
      return T(simd::stable_sigmoid(double(v)));
    case Act::Tanh:
      return T(std::tanh(double(v)));
    case Act::Relu:
      return v > T(0) ? v : T(0);
    case Act::LeakyRelu:
      return v > T(0) ? v : alpha * v;
    case Act::Step:
      return v > T(0) ? T(1) : T(0);
    case Act::Linear:
    case Act::Softmax:  // never fused (whole rows): the caller passes a linear epilogue
      return v;
  }
  return v;
}

// One row of C at a time: its NR accumulators fit in registers on SSE2/NEON (an MR x NR array
// does not, and then lives in memory); the B micro-panel is re-read from L1 per row.
template <class T>
void kernel(i64 kc, const T* a, const T* b, const TileColumn<T>& t) {
  constexpr i64 MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  for (i64 i = 0; i < t.m; ++i) {
    const T* ai = a + i / MR * MR * kc + i % MR;  // row i's values in its micro-panel
    T* c = t.c + i * t.ldc;
    T acc[NR] = {};
    if (t.load_c)
      for (i64 j = 0; j < t.n; ++j) acc[j] = c[j];
    if (t.bias)
      for (i64 j = 0; j < t.n; ++j) acc[j] += t.bias[j];
    for (i64 p = 0; p < kc; ++p) {
      const T aip = ai[p * MR];
      for (i64 j = 0; j < NR; ++j) acc[j] += aip * b[p * NR + j];
    }
    for (i64 j = 0; j < t.n; ++j) c[j] = t.last ? activate(acc[j], t.act, t.alpha) : acc[j];
  }
}

constexpr GemmKernels kTable = {
    "generic",
    {kernel<float>, 1, pack_a<float>, pack_b_panel<float>, thin_rows<ScalarLanes<float>>},
    {kernel<double>, 1, pack_a<double>, pack_b_panel<double>, thin_rows<ScalarLanes<double>>}};

}  // namespace

const GemmKernels& generic_gemm_kernels() { return kTable; }

}  // namespace fastmlp::gemm_detail
