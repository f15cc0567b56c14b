// Random fills for weight initialisation, pure functions of (key, index): the same seed gives the
// same weights on any machine and thread count. Schemes (Glorot, He, LeCun) only choose the
// bounds or the standard deviation from fan-in and fan-out; the Python layer does that.
#pragma once
#include "core/common.h"

namespace fastmlp {

template <class T>
void fill_uniform(T* out, i64 n, double low, double high, u64 key);

// Normal draws by the Box-Muller transform, two per pair of counters.
template <class T>
void fill_normal(T* out, i64 n, double mean, double std, u64 key);

}  // namespace fastmlp
