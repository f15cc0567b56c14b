// Shared scalar types of the core. 64-bit indices everywhere: batch * width overflows int.
#pragma once
#include <cstdint>

namespace fastmlp {

using i64 = std::int64_t;
using u64 = std::uint64_t;

// Elements of T in one 64-byte cache line: shares of whole lines keep threads off each other's
// lines, and packing buffers start on one.
template <class T>
constexpr i64 kLine = 64 / sizeof(T);

}  // namespace fastmlp
