// Checks shared by the bindings (module.cpp, testing.cpp): names to enums, targets, and arrays
// that must not share memory. Every message names what was given and what was expected.
#pragma once
#include <pybind11/numpy.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/common.h"
#include "core/losses.h"

namespace fastmlp::bindings {

template <class Enum, class Table>
Enum enum_from_name(const Table& names, const std::string& name, const char* what) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return Enum(i);
  std::ostringstream msg;
  msg << "unknown " << what << " '" << name << "'; expected one of:";
  for (const auto& n : names) msg << " '" << n << "'";
  throw std::invalid_argument(msg.str());
}

// Targets of n rows for `outputs` outputs, checked: int64 class labels in range (sparse), else
// dense (n x outputs) in T. The returned array owns the (possibly converted) data and must
// outlive the call that reads it.
template <class T>
std::pair<Targets<T>, pybind11::array> checked_targets(const pybind11::array& y, i64 n,
                                                       i64 outputs, bool sparse) {
  namespace py = pybind11;
  if (sparse) {
    auto labels = py::array_t<i64, py::array::c_style>::ensure(y);
    if (!labels || labels.ndim() != 1 || labels.shape(0) != n)
      throw std::invalid_argument("y must be a 1-D int64 array of " + std::to_string(n) +
                                  " class labels");
    const i64* p = labels.data();
    for (i64 i = 0; i < n; ++i)
      if (p[i] < 0 || p[i] >= outputs)
        throw std::invalid_argument("label " + std::to_string(p[i]) + " at index " +
                                    std::to_string(i) + " is outside [0, " +
                                    std::to_string(outputs) + ")");
    return {{nullptr, p, nullptr}, labels};
  }
  auto dense = py::array_t<T, py::array::c_style>::ensure(y);
  if (!dense || dense.ndim() != 2 || dense.shape(0) != n || dense.shape(1) != outputs)
    throw std::invalid_argument("y must be a 2-D array of shape (" + std::to_string(n) + ", " +
                                std::to_string(outputs) + ") in the model's dtype");
  return {{dense.data(), nullptr, nullptr}, dense};
}

// Whether two C-contiguous arrays share any byte: a kernel that writes one while it reads the
// other would read its own output.
inline bool overlapping(const pybind11::array& a, const pybind11::array& b) {
  const auto begin_a = reinterpret_cast<std::uintptr_t>(a.data());
  const auto begin_b = reinterpret_cast<std::uintptr_t>(b.data());
  const auto nbytes_a = std::uintptr_t(a.nbytes()), nbytes_b = std::uintptr_t(b.nbytes());
  return nbytes_a > 0 && nbytes_b > 0 && begin_a < begin_b + nbytes_b &&
         begin_b < begin_a + nbytes_a;
}

}  // namespace fastmlp::bindings
