// A shuffled batch's rows, copied from their places in the data set into one contiguous block.
#pragma once
#include "core/common.h"

namespace fastmlp {

// dst row r = X row rows_of_x[r] (width values each), for r in [begin, end).
template <class T>
void copy_rows(T* dst, const T* X, const i64* rows_of_x, i64 begin, i64 end, i64 width);

// copy_rows over the whole batch, on as many threads as its size pays for.
template <class T>
void gather_rows(T* dst, const T* X, const i64* rows_of_x, i64 rows, i64 width);

}  // namespace fastmlp
