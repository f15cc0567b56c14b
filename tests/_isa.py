"""The instruction sets this machine can run, and running a test module again with FASTMLP_ISA
capping the kernels in a subprocess (the instruction set is chosen once per process)."""
import os
import platform
import subprocess
import sys
from pathlib import Path


def _cpu_flags():
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_avx2_fma():
    return {"avx2", "fma"} <= _cpu_flags()


def cpu_has_avx512f():
    """The AVX-512 level the dispatch takes: F with DQ."""
    return cpu_has_avx2_fma() and {"avx512f", "avx512dq"} <= _cpu_flags()


def forced_isa():
    """The cap FASTMLP_ISA sets for this process, or None."""
    return os.environ.get("FASTMLP_ISA")


def forced_generic():
    return forced_isa() == "generic"


def expected_isa():
    """The GEMM instruction set the dispatch must pick in this process (None: flags unknown)."""
    if forced_generic():
        return "generic"
    if platform.machine().lower() in ("x86_64", "amd64") and not _cpu_flags():
        return None  # x86-64 without /proc/cpuinfo (macOS): the test cannot tell
    if not cpu_has_avx2_fma():
        return "generic"
    if forced_isa() == "avx2" or not cpu_has_avx512f():
        return "avx2+fma"
    return "avx512f"


def run_with_isa(isa, *pytest_args):
    """Run pytest on the given arguments with FASTMLP_ISA=isa; returns the completed process."""
    return run_python_with_isa(isa, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args)


def run_python_with_isa(isa, *args):
    env = dict(os.environ, FASTMLP_ISA=isa, SKBUILD_EDITABLE_VERBOSE="0")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          timeout=900, cwd=Path(__file__).resolve().parent.parent)


def run_generic(*pytest_args):
    return run_with_isa("generic", *pytest_args)
