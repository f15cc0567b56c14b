// Column sums of a row-major matrix: bias gradients (the sum of dZ over the batch) and BatchNorm's
// batch mean.
#pragma once
#include "core/common.h"

namespace fastmlp {

// sums[j] = X(0, j) + X(1, j) + ... + X(rows - 1, j), added in that order starting from +0, for
// the columns j in [begin, end); rows are `ld` apart. The order is that of one loop over the rows,
// so a column's sum is the same bitwise however the columns are shared between threads.
template <class T>
void column_sums(T* sums, const T* X, i64 rows, i64 ld, i64 begin, i64 end);

}  // namespace fastmlp
