"""The cache-line round trip bench/compare.py records with each round of timed runs."""
import math
import os
import sys

import pytest

import fastmlp as fm

probe = fm._core._core_to_core_round_trip_ns
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's affinity")
CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
two_cpus = pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs to run on")


@linux
@two_cpus
def test_the_mean_counts_timed_trips_only():
    # The 20 ms of untimed trips, if counted, would add 10 us to each of 2000 trips and 1 us to
    # each of 20000: far more than the few hundred ns the CPUs' placement can change meanwhile.
    a, b = CPUS[:2]
    few = min(probe(a, b, 2000) for _ in range(3))
    many = min(probe(a, b, 20000) for _ in range(3))
    assert math.isfinite(few) and math.isfinite(many)
    assert 1 < few < 1e5 and 1 < many < 1e5
    assert few < many + 2000


@linux
@two_cpus
def test_the_callers_affinity_is_left_alone():
    before = os.sched_getaffinity(0)
    probe(CPUS[1], CPUS[0], 1000)
    assert os.sched_getaffinity(0) == before


@linux
@two_cpus
def test_bad_arguments_name_themselves():
    a, b = CPUS[:2]
    outside = next(cpu for cpu in range(len(CPUS) + 1) if cpu not in CPUS)
    cases = [
        ((a, a), ["cpu_a and cpu_b must differ", f"both are {a}"]),
        ((-1, b), ["cpu_a must be a CPU this process may run on", "got -1"]),
        ((a, outside), ["cpu_b must be a CPU this process may run on", f"got {outside}"]),
        ((a, b, 0), ["round_trips must be in [1, 100000000]", "got 0"]),
        ((a, b, 10**9), ["round_trips must be in [1, 100000000]", "got 1000000000"]),
    ]
    for args, words in cases:
        with pytest.raises(ValueError) as info:
            probe(*args)
        for word in words:
            assert word in str(info.value), (args, str(info.value))
