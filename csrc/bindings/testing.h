// Internal bindings for the tests and the kernel benchmarks (fastmlp._core._gemm, _gemm_isa,
// _vmath, _activation_forward, _activation_backward, _loss, _sum_squares, _dropout,
// _thread_choice_trace, _thread_choice_constants).
#pragma once
#include <pybind11/pybind11.h>

void bind_testing(pybind11::module_& m);
