#include "core/gemm.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"

namespace fastmlp {
namespace {

// Column panel of C updated while a KC x NC slice of B stays in L2.
constexpr i64 kNC = 512;
constexpr i64 kKC = 256;
// Rows of C updated together: each loaded B element feeds four FMAs.
constexpr i64 kMR = 4;

// B with unit column stride is used in place; any other layout is copied to a row-major K x N
// buffer once per call (O(KN) against O(MKN) compute). thread_local keeps calls reentrant; the
// buffer only grows, so steady-state training does not allocate.
template <class T>
const T* row_major_b(const T* B, i64 K, i64 N, i64 rsb, i64 csb, i64& ldb) {
  if (csb == 1) {
    ldb = rsb;
    return B;
  }
  thread_local std::vector<T> packed;
  if (packed.size() < size_t(K * N)) packed.resize(size_t(K * N));
  T* dst = packed.data();
  for (i64 p = 0; p < K; ++p)
    for (i64 j = 0; j < N; ++j) dst[p * N + j] = B[p * rsb + j * csb];
  ldb = N;
  return dst;
}

// c[r][j] += sum_p a(r, p) * b[p][j] for kMR rows r, a K-slice and an N-slice.
template <class T, int R>
void update_rows(T* const* c, const T* const* a, i64 csa, const T* b, i64 ldb, i64 kc, i64 nc) {
  for (i64 p = 0; p < kc; ++p) {
    const T* brow = b + p * ldb;
    T av[R];
    for (int r = 0; r < R; ++r) av[r] = a[r][p * csa];
    for (int r = 0; r < R; ++r) {
      T* crow = c[r];
      const T ar = av[r];
#pragma omp simd
      for (i64 j = 0; j < nc; ++j) crow[j] += ar * brow[j];
    }
  }
}

template <class T>
void init_rows(T* C, i64 ldc, i64 i0, i64 i1, i64 N, GemmInit init, const T* bias) {
  if (init == GemmInit::Accumulate) return;
  for (i64 i = i0; i < i1; ++i) {
    T* crow = C + i * ldc;
    if (init == GemmInit::BiasRow)
      std::copy(bias, bias + N, crow);
    else
      std::fill(crow, crow + N, T(0));
  }
}

}  // namespace

template <class T>
void gemm(i64 M, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B, i64 rsb, i64 csb, T* C,
          i64 ldc, GemmInit init, const T* bias) {
  if (M <= 0 || N <= 0) return;
  i64 ldb = 0;
  const T* Bm = row_major_b(B, K, N, rsb, csb, ldb);
  const i64 row_blocks = (M + kMR - 1) / kMR;
  const int threads = threads_for(2 * M * N * K);

#pragma omp parallel for schedule(static) num_threads(threads)
  for (i64 rb = 0; rb < row_blocks; ++rb) {
    const i64 i0 = rb * kMR, i1 = std::min(M, i0 + kMR);
    init_rows(C, ldc, i0, i1, N, init, bias);
    for (i64 jc = 0; jc < N; jc += kNC) {
      const i64 nc = std::min(kNC, N - jc);
      for (i64 pc = 0; pc < K; pc += kKC) {
        const i64 kc = std::min(kKC, K - pc);
        const T* bpanel = Bm + pc * ldb + jc;
        if (i1 - i0 == kMR) {
          T* c[kMR];
          const T* a[kMR];
          for (i64 r = 0; r < kMR; ++r) {
            c[r] = C + (i0 + r) * ldc + jc;
            a[r] = A + (i0 + r) * rsa + pc * csa;
          }
          update_rows<T, kMR>(c, a, csa, bpanel, ldb, kc, nc);
        } else {
          for (i64 i = i0; i < i1; ++i) {
            T* c[1] = {C + i * ldc + jc};
            const T* a[1] = {A + i * rsa + pc * csa};
            update_rows<T, 1>(c, a, csa, bpanel, ldb, kc, nc);
          }
        }
      }
    }
  }
}

template void gemm<float>(i64, i64, i64, const float*, i64, i64, const float*, i64, i64, float*,
                          i64, GemmInit, const float*);
template void gemm<double>(i64, i64, i64, const double*, i64, i64, const double*, i64, i64,
                           double*, i64, GemmInit, const double*);

}  // namespace fastmlp
