// Whether an input holds only finite values: the check every entry point makes on X and on
// real-valued targets before the core reads them.
#pragma once
#include "core/common.h"

namespace fastmlp {

// True when none of x[0..n) is an infinity or a NaN.
template <class T>
bool all_finite(const T* x, i64 n);

}  // namespace fastmlp
