// Shared scalar types of the core. 64-bit indices everywhere: batch * width overflows int.
#pragma once
#include <cstdint>

namespace fastmlp {

using i64 = std::int64_t;
using u64 = std::uint64_t;

}  // namespace fastmlp
