// An internal binding for the benchmarks (fastmlp._core._core_to_core_round_trip_ns): how far
// apart two CPUs are, as the round trip of a cache line between them.
#pragma once
#include <pybind11/pybind11.h>

void bind_round_trip(pybind11::module_& m);
