// Test-only internal bindings (fastmlp._core._gemm, _gemm_isa, _vmath, _activation).
#pragma once
#include <pybind11/pybind11.h>

void bind_testing(pybind11::module_& m);
