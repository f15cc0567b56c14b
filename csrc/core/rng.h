// Counter-based random numbers: every draw is a pure function of (key, counter), so shuffles and
// initial weights are identical whatever the thread count or the order in which work is split.
// The mixer is SplitMix64's finaliser (Steele, Lea, Flood 2014), a bijection on 64 bits.
// Internal linkage: the dropout kernels compiled for AVX2 and AVX-512 include this, and an inline
// function emitted there could otherwise become the copy every caller links to (see
// core/gemm/kernels.h).
#pragma once
#include <cmath>

#include "core/common.h"

namespace fastmlp {
namespace {

inline u64 mix64(u64 z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stream key from the user's seed and up to two stream coordinates (e.g. layer, epoch).
inline u64 stream_key(u64 seed, u64 a, u64 b = 0) {
  return mix64(mix64(mix64(seed ^ 0x6a09e667f3bcc909ULL) + a) + b);
}

inline u64 random_bits(u64 key, u64 counter) {
  return mix64(key + 0x9e3779b97f4a7c15ULL * (counter + 1));
}

// Uniform in [0, 1) with 53 random bits.
inline double random_unit(u64 key, u64 counter) {
  return double(random_bits(key, counter) >> 11) * 0x1.0p-53;
}

// Uniform integer in [0, n): Lemire's multiply-shift (bias below 2^-64 * n, negligible here).
inline u64 random_below(u64 key, u64 counter, u64 n) {
  return u64((static_cast<unsigned __int128>(random_bits(key, counter)) * n) >> 64);
}

}  // namespace
}  // namespace fastmlp
