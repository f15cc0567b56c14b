#include "core/gemm/pack.h"

#include "core/gemm/kernels.h"

namespace fastmlp::gemm_detail {

template <class T>
void pack_a(i64 mc, i64 kc, const T* A, i64 rsa, i64 csa, T* out) {
  constexpr i64 MR = Blocking<T>::MR;
  for (i64 i0 = 0; i0 < mc; i0 += MR, out += MR * kc) {
    const i64 m = mc - i0 < MR ? mc - i0 : MR;
    const T* a = A + i0 * rsa;
    if (csa == 1 && m == MR) {
      // Rows contiguous (forward, dX): read six rows side by side.
      for (i64 p = 0; p < kc; ++p)
        for (i64 i = 0; i < MR; ++i) out[p * MR + i] = a[i * rsa + p];
    } else {
      // Columns contiguous (X^T in dW) or an edge panel.
      for (i64 p = 0; p < kc; ++p) {
        for (i64 i = 0; i < m; ++i) out[p * MR + i] = a[i * rsa + p * csa];
        for (i64 i = m; i < MR; ++i) out[p * MR + i] = T(0);
      }
    }
  }
}

template <class T>
void pack_b_panel(i64 kc, i64 n, const T* B, i64 rsb, i64 csb, T* out) {
  constexpr i64 NR = Blocking<T>::NR;
  if (csb == 1 && n == NR) {
    // Rows contiguous (forward W, dZ): NR consecutive values per k.
    for (i64 p = 0; p < kc; ++p)
      for (i64 j = 0; j < NR; ++j) out[p * NR + j] = B[p * rsb + j];
    return;
  }
  if (rsb == 1) {
    // Columns contiguous (W^T in dX): read each column once, write it strided.
    for (i64 j = 0; j < n; ++j)
      for (i64 p = 0; p < kc; ++p) out[p * NR + j] = B[j * csb + p];
  } else {
    for (i64 p = 0; p < kc; ++p)
      for (i64 j = 0; j < n; ++j) out[p * NR + j] = B[p * rsb + j * csb];
  }
  for (i64 p = 0; p < kc; ++p)
    for (i64 j = n; j < NR; ++j) out[p * NR + j] = T(0);
}

template void pack_a<float>(i64, i64, const float*, i64, i64, float*);
template void pack_a<double>(i64, i64, const double*, i64, i64, double*);
template void pack_b_panel<float>(i64, i64, const float*, i64, i64, float*);
template void pack_b_panel<double>(i64, i64, const double*, i64, i64, double*);

}  // namespace fastmlp::gemm_detail
