// AVX-512F micro-kernels on the packed layout of the AVX2 ones (6 x 16 float, 6 x 8 double tiles):
// a tile row of one B micro-panel is one zmm register instead of two ymm. Six rows would give
// only six independent FMA chains, fewer than the two FMA units' latency needs (eight in
// flight), and a broadcast of A per FMA keeps the load ports as busy as the FMA units; so a call
// runs two micro-panels of A (twelve rows) against two adjacent micro-panels of B: 24
// accumulators, 14 loads per 24 FMAs. Each element is still one FMA per k in k order, and the
// epilogue does the AVX2 one's operations (sigmoid and tanh: the vector math's steps, on zmm
// registers): results are bitwise the AVX2 kernels'. Packing and the thin products are the AVX2
// code (bound by memory, and sharing them keeps one packed layout), except that kernel_packing_b
// packs B's panels into that layout itself while its first tile reads them.
// Compiled with -mavx512f and reached only after the CPU check: self-contained like
// kernel_avx2.cpp (see kernels.h).
#include <immintrin.h>

#include <cstdint>

#include "core/gemm/a_source.h"
#include "core/gemm/kernels.h"
#include "core/simd/vmath_avx512.h"

namespace fastmlp::gemm_detail {
namespace {

// One zmm register of T: the vector math's lane traits (vmath_avx512.h), which carry the tiles'
// broadcasts, edge masks and selects too.
using Zs = simd::Zs;
using Zd = simd::Zd;

// Row r of t's columns in C (r < t.m): v plus C's values (a later K block) and the bias, as the
// AVX2 epilogue adds them, with masked loads at the right edge.
template <class Z>
inline __attribute__((always_inline)) typename Z::V with_c_and_bias(
    typename Z::V v, const typename Z::T* c, typename Z::Mask m,
    const TileColumn<typename Z::T>& t) {
  if (t.load_c) v = Z::add(v, Z::load(m, c));
  if (t.bias) v = Z::add(v, Z::load(m, t.bias));
  return v;
}

// Row r of t from its zmm register, for the activations without a function call: the AVX2
// epilogue's operations in its order (C, bias, activation; relu and step send NaN to 0,
// leaky_relu keeps it), so the same bits, with masked loads and stores at the right edge.
template <class Z>
inline __attribute__((always_inline)) void store_row(typename Z::V v, i64 r, typename Z::Mask m,
                                                     const TileColumn<typename Z::T>& t) {
  if (r >= t.m) return;
  typename Z::T* c = t.c + r * t.ldc;
  v = with_c_and_bias<Z>(v, c, m, t);
  if (t.last) {
    switch (t.act) {
      case Act::Relu:
        v = Z::max(v, Z::zero());
        break;
      case Act::LeakyRelu:
        v = Z::blend(Z::mul(v, Z::set1(t.alpha)), v, Z::lt(Z::zero(), v));
        break;
      case Act::Step:
        v = Z::or_zero(Z::lt(Z::zero(), v), Z::set1(1));
        break;
      case Act::Linear:
      case Act::Softmax:  // never fused (whole rows): the caller passes a linear epilogue
        break;
      case Act::Sigmoid:
      case Act::Tanh:  // through store_rows
        break;
    }
  }
  Z::store(c, m, v);
}

// The epilogue of `rows` tile rows held in acc (NR values each) for sigmoid and tanh (t.last):
// out of line, so that the tile need not keep its accumulators across their code.
template <class Z>
__attribute__((noinline)) void store_rows(const typename Z::T* acc, int rows, typename Z::Mask m,
                                          const TileColumn<typename Z::T>& t) {
  constexpr i64 NR = Blocking<typename Z::T>::NR;
  for (int r = 0; r < rows && r < t.m; ++r) {
    typename Z::T* c = t.c + r * t.ldc;
    typename Z::V v = with_c_and_bias<Z>(Z::load(acc + r * NR), c, m, t);
    v = t.act == Act::Sigmoid ? simd::sigmoid<Z>(v) : simd::tanh<Z>(v);
    Z::store(c, m, v);
  }
}

// Where a register tile reads its P micro-panels of B, row k then k + 1: load(q) is panel q's NR
// values of the current row, step() moves on a row. Packed: panel q at b + q * next.
template <class Z>
struct PackedB {
  const typename Z::T* b;
  i64 next;
  typename Z::V load(int q) const { return Z::load(b + q * next); }
  void step() { b += Blocking<typename Z::T>::NR; }
};

// B's rows where they lie (csb == 1), each value stored into its packed panel (`out`, panel q at
// out + q * next) as it is read, with columns past B's edge (mask) packed as zeros, as pack_b
// pads them: the tiles after the first read the packed panel in L1 as usual. The rows are a
// stride apart (W's rows: a page each for 1024 floats or more), which the hardware prefetcher
// does not follow across pages: each row is prefetched kRowsAhead rows before it is read
// (0.94-1.00x without on the forward products; 6, 12 or 48 rows ahead read like 24).
template <class Z>
struct RowsOfB {
  static constexpr i64 kRowsAhead = 24;
  const typename Z::T* w;
  i64 rsb;
  typename Z::T* out;
  i64 next;
  typename Z::Mask m0, m1;
  typename Z::V load(int q) const {
    const typename Z::V v = Z::load(q ? m1 : m0, w + q * Blocking<typename Z::T>::NR);
    Z::store(out + q * next, v);
    return v;
  }
  void step() {
    // An address only (prefetching past B's end is harmless). Two panels are 128 bytes: three
    // cache lines where the row does not start on one.
    const uintptr_t ahead =
        reinterpret_cast<uintptr_t>(w) + uintptr_t(kRowsAhead * rsb * i64(sizeof(*w)));
    _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(ahead + 64), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(ahead + 127), _MM_HINT_T0);
    w += rsb;
    out += Blocking<typename Z::T>::NR;
  }
};

// The first min(t.m, 6 R) rows of t (+)= the products of 6 R rows of A (src) and P micro-panels
// of B (b): per k P loads of B, 6 R broadcasts and 6 R P FMAs, each element still one FMA per k
// in k order.
template <class Z, int R, int P, class Src, class BSrc>
__attribute__((noinline)) void tile(i64 kc, Src src, BSrc b, const TileColumn<typename Z::T>& t) {
  static_assert((R == 1 || R == 2) && (P == 1 || P == 2));
  using T = typename Z::T;
  using V = typename Z::V;
  constexpr int rows = 6 * R;
  constexpr i64 NR = Blocking<T>::NR;
  for (i64 r = 0; r < t.m && r < rows; ++r)
    _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
  V c[rows][P];
#pragma GCC unroll 24
  for (int r = 0; r < rows; ++r)
#pragma GCC unroll 2
    for (int q = 0; q < P; ++q) c[r][q] = Z::zero();
  for (i64 p = 0; p < kc; ++p) {
    const V b0 = b.load(0), b1 = P == 2 ? b.load(1) : b0;
#pragma GCC unroll 12
    for (int r = 0; r < rows; ++r) {
      const V ar = Z::bcast(src.row(r));
      c[r][0] = Z::fma(ar, b0, c[r][0]);
      if constexpr (P == 2) c[r][P - 1] = Z::fma(ar, b1, c[r][P - 1]);
    }
    src.next();
    b.step();
  }
  TileColumn<T> left = t, right = t;  // the two panels' columns
  left.n = P == 2 ? NR : t.n;
  right.c += NR;
  right.n -= NR;
  if (right.bias) right.bias += NR;
  if (!t.last || (t.act != Act::Sigmoid && t.act != Act::Tanh)) {
    const typename Z::Mask m0 = Z::first(left.n), m1 = Z::first(P == 2 ? right.n : 0);
#pragma GCC unroll 12
    for (int r = 0; r < rows; ++r) {
      store_row<Z>(c[r][0], r, m0, left);
      if constexpr (P == 2) store_row<Z>(c[r][P - 1], r, m1, right);
    }
    return;
  }
  // Sigmoid and tanh through memory to a separate epilogue: kept in registers across its code,
  // the accumulators would be spilled inside the K loop instead.
  alignas(64) T acc[P][rows * NR];
#pragma GCC unroll 24
  for (int r = 0; r < rows; ++r)
#pragma GCC unroll 2
    for (int q = 0; q < P; ++q) Z::store(acc[q] + r * NR, c[r][q]);
  store_rows<Z>(acc[0], rows, Z::first(left.n), left);
  if constexpr (P == 2) store_rows<Z>(acc[P - 1], rows, Z::first(right.n), right);
}

// The tiles of 6 R rows of one column, with one or two B micro-panels.
template <class Z, int R, class Src, class BSrc>
void tiles(i64 kc, Src src, BSrc b, const TileColumn<typename Z::T>& t) {
  if (t.n > Blocking<typename Z::T>::NR)
    tile<Z, R, 2>(kc, src, b, t);
  else
    tile<Z, R, 1>(kc, src, b, t);
}

// The column's tiles twelve rows at a time, and six for the rest, two B micro-panels at a time
// where the column has them.
template <class Z>
void kernel(i64 kc, const typename Z::T* a, const typename Z::T* b,
            const TileColumn<typename Z::T>& col) {
  using T = typename Z::T;
  constexpr i64 MR = 6;
  const PackedB<Z> panels{b, col.b_next};
  TileColumn<T> t = col;
  i64 ir = 0;
  for (; ir + MR < col.m; ir += 2 * MR, a += 2 * MR * kc, t.c += 2 * MR * t.ldc) {
    t.m = col.m - ir;
    tiles<Z, 2>(kc, PackedA<T>(a, kc), panels, t);
  }
  if (ir < col.m) {
    t.m = col.m - ir;
    tiles<Z, 1>(kc, PackedA<T>(a, kc), panels, t);
  }
}

// The same column with A read where it lies (rsa == 1 or csa == 1) instead of packed.
template <class Z>
void kernel_in_place(i64 kc, const typename Z::T* a, i64 rsa, i64 csa, const typename Z::T* b,
                     const TileColumn<typename Z::T>& col) {
  using T = typename Z::T;
  constexpr i64 MR = 6;
  const PackedB<Z> panels{b, col.b_next};
  TileColumn<T> t = col;
  i64 ir = 0;
  for (; ir + 2 * MR <= col.m; ir += 2 * MR, a += 2 * MR * rsa, t.c += 2 * MR * t.ldc) {
    t.m = col.m - ir;
    if (rsa == 1)
      tiles<Z, 2>(kc, ColumnsOfA<T>{a, csa}, panels, t);
    else
      tiles<Z, 2>(kc, RowsOfA<T, 2 * MR>(a, rsa, csa, t.m), panels, t);
  }
  if (ir < col.m) {  // the last rows, each read by its own stream
    t.m = col.m - ir;
    if (t.m > MR)
      tiles<Z, 2>(kc, RowsOfA<T, 2 * MR>(a, rsa, csa, t.m), panels, t);
    else
      tiles<Z, 1>(kc, RowsOfA<T, MR>(a, rsa, csa, t.m), panels, t);
  }
}

// kernel's results with the column's B panels packed into b by its first tile (RowsOfB), from B's
// rows at w (csb == 1) a stride rsb apart, rather than by pack_b beforehand: the strided reads of
// W in a forward product overlap that tile's FMAs, and the rest of the column reads the panels
// from L1. Forward products on 1 and 2 threads ran 0.99-1.13x (128 x 784 x 512 float32
// 1.07-1.10x, 64 x 784 x 128 float64 1.08-1.13x), training steps 1.01-1.02x.
template <class Z>
void kernel_packing_b(i64 kc, const typename Z::T* a, const typename Z::T* w, i64 rsb,
                      typename Z::T* b, const TileColumn<typename Z::T>& col) {
  using T = typename Z::T;
  constexpr i64 MR = 6, NR = Blocking<T>::NR;
  const RowsOfB<Z> b_rows{w, rsb, b, col.b_next, Z::first(col.n < NR ? col.n : NR),
                          Z::first(col.n > NR ? col.n - NR : 0)};
  if (col.m > MR)
    tiles<Z, 2>(kc, PackedA<T>(a, kc), b_rows, col);
  else
    tiles<Z, 1>(kc, PackedA<T>(a, kc), b_rows, col);
  if (col.m <= 2 * MR) return;
  TileColumn<T> rest = col;
  rest.c += 2 * MR * col.ldc;
  rest.m -= 2 * MR;
  kernel<Z>(kc, a + 2 * MR * kc, b, rest);
}

static_assert(Blocking<float>::NR == 16 && Blocking<double>::NR == 8, "one zmm per tile row");

}  // namespace

const GemmKernels& avx512_gemm_kernels() {
  static const GemmKernels table = [] {
    GemmKernels t = avx2_gemm_kernels();
    t.isa = "avx512f";
    t.s.kernel = kernel<Zs>;
    t.d.kernel = kernel<Zd>;
    t.s.kernel_in_place = kernel_in_place<Zs>;
    t.d.kernel_in_place = kernel_in_place<Zd>;
    t.s.panels = t.d.panels = 2;
    t.s.kernel_packing_b = kernel_packing_b<Zs>;
    t.d.kernel_packing_b = kernel_packing_b<Zd>;
    return t;
  }();
  return table;
}

}  // namespace fastmlp::gemm_detail
