"""Threads and build information."""
import os
import warnings

from . import _core
from ._validation import check_bool

# The values FASTMLP_ISA may take (core/simd/isa.cpp), which caps the kernels' instruction set.
_ISA_CAPS = ("generic", "avx2", "avx2+fma")


def get_num_threads():
    """Threads the core's parallel regions use (default: OpenMP's, i.e. OMP_NUM_THREADS or cores)."""
    return _core.get_num_threads()


def set_num_threads(n):
    """Use n threads in the core's parallel regions (results are identical for any n); None goes
    back to OpenMP's default, which follows OMP_NUM_THREADS and threadpoolctl's limits."""
    if n is None:
        _core.set_num_threads(0)
        return
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an integer >= 1 or None; got {n!r}")
    if n < 1:
        raise ValueError(f"n must be an integer >= 1 or None; got {n}")
    _core.set_num_threads(n)


def get_dynamic_threads():
    """Whether training steps may run on one thread where timing finds that faster than a team."""
    return _core.get_dynamic_threads()


def set_dynamic_threads(enabled):
    """Let (True, the default) or stop (False) a network of mid-size steps train some of them on one
    thread. Such a network times one thread against get_num_threads() threads now and then while it
    trains and keeps the faster: which wins depends on where the OS puts the threads and what else
    runs. Results are identical either way; False keeps every step on the configured count."""
    _core.set_dynamic_threads(check_bool(enabled, "enabled"))


# _OPENMP release dates -> specification versions.
_OPENMP_VERSIONS = {200505: "2.5", 200805: "3.0", 201107: "3.1", 201307: "4.0", 201511: "4.5",
                    201811: "5.0", 202011: "5.1", 202111: "5.2", 202411: "6.0"}


def show_config():
    """Print the version, compiler, OpenMP version, thread count (with "(dynamic)" when steps may
    run on one thread, set_dynamic_threads) and SIMD level of this build."""
    info = _core.build_info()
    omp = info["openmp"]
    print(f"fastmlp {info['version']}\n"
          f"  compiler: {info['compiler']}\n"
          f"  OpenMP:   {_OPENMP_VERSIONS.get(omp, 'unknown')} (_OPENMP {omp})\n"
          f"  threads:  {info['threads']}{' (dynamic)' if info['dynamic_threads'] else ''}\n"
          f"  SIMD:     {info['simd']}")


def _check_isa_cap():
    """Warn at import about a FASTMLP_ISA value the core ignores."""
    cap = os.environ.get("FASTMLP_ISA")
    if cap is not None and cap not in _ISA_CAPS:
        warnings.warn(f"FASTMLP_ISA must be one of {', '.join(map(repr, _ISA_CAPS))}; got {cap!r}, "
                      f"which is ignored: the kernels run {_core.build_info()['simd']}",
                      RuntimeWarning, stacklevel=3)
