// The contract between the blocked GEMM driver and the per-ISA micro-kernels.
//
// This header is included by the ISA translation units (kernel_avx2.cpp is compiled with
// -mavx2 -mfma, kernel_avx512.cpp with -mavx512f), so it declares only plain types and
// constants: an inline function or template instantiated there could become the copy the whole
// library links to and crash a CPU without that instruction set (ODR). Packing (pack.cpp) and
// the driver (gemm.cpp) share the tile shape below, so one packed layout serves every ISA, and
// the AVX-512 kernels (one zmm register per tile row) give bitwise the AVX2 kernels' results.
#pragma once
#include "core/act.h"
#include "core/common.h"

namespace fastmlp::gemm_detail {

// Register tile MR x NR and cache blocks (Zen 3, as BLIS): a KC x NR micro-panel of B stays in
// L1, an MC x KC block of A in L2, a KC x NC panel of B in L3 (or a thread's own copy of a
// smaller one in its L2: gemm.cpp's Plan).
template <class T>
struct Blocking;
template <>
struct Blocking<float> {
  static constexpr i64 MR = 6, NR = 16, MC = 144, KC = 256, NC = 4080;
};
template <>
struct Blocking<double> {
  static constexpr i64 MR = 6, NR = 8, MC = 72, KC = 256, NC = 4080;
};

// Where and how a micro-kernel stores the product of a packed A block (its micro-panels of MR
// rows one after another, kc steps each) and one packed B micro-panel (NR values per k), summed
// over kc: a column of register tiles, which each ISA walks in the row groups that suit its
// registers. Every element still sums its kc products in k order, one FMA each.
template <class T>
struct TileColumn {
  T* c;          // top-left element of the column in C
  i64 ldc;
  i64 m, n;      // rows and columns of the column inside C: at most `panels` x NR (GemmOps)
  i64 b_next;    // from one packed B micro-panel to the next
  bool load_c;   // C += product (a later K block, or accumulate) instead of C = product
  const T* bias; // first K block only: n values (these columns) added too; else null
  bool last;     // last K block: apply act while the tile is in registers
  Act act;       // elementwise activation; never Softmax
  T alpha;       // leaky_relu slope
};

// One precision's entry points: the micro-kernel and the packing of A blocks and B panels into
// the layouts it reads (pack.h has the contract; an ISA may specialise the hot stride cases).
template <class T>
struct GemmOps {
  void (*kernel)(i64 kc, const T* a, const T* b, const TileColumn<T>& t);
  i64 panels;  // B micro-panels (NR columns each) one kernel call takes, the last may be partial
  void (*pack_a)(i64 mc, i64 kc, const T* A, i64 rsa, i64 csa, T* out);
  void (*pack_b)(i64 kc, i64 n, const T* B, i64 rsb, i64 csb, T* out);
  // Rows [i0, i1) of a product with N == 1 or K == 1 (thin.h), before the activation.
  void (*thin_rows)(i64 i0, i64 i1, i64 N, i64 K, const T* A, i64 rsa, i64 csa, const T* B,
                    i64 rsb, i64 csb, T* C, bool accumulate, const T* bias);
  // kernel's results with A read in place (rsa == 1 or csa == 1), or null.
  void (*kernel_in_place)(i64 kc, const T* a, i64 rsa, i64 csa, const T* b,
                          const TileColumn<T>& t) = nullptr;
  // kernel's results, B's panels (t.n columns, rows contiguous at w, rsb apart) packed into b
  // (64-byte aligned; the second panel at b + t.b_next, columns past t.n as zeros, as pack_b
  // writes them) as it goes, instead of by pack_b beforehand; or null.
  void (*kernel_packing_b)(i64 kc, const T* a, const T* w, i64 rsb, T* b,
                           const TileColumn<T>& t) = nullptr;
};

struct GemmKernels {
  const char* isa;
  GemmOps<float> s;
  GemmOps<double> d;
};

const GemmKernels& generic_gemm_kernels();
#if defined(FASTMLP_HAVE_AVX2)
const GemmKernels& avx2_gemm_kernels();
#endif
#if defined(FASTMLP_HAVE_AVX512)
const GemmKernels& avx512_gemm_kernels();
#endif

}  // namespace fastmlp::gemm_detail
