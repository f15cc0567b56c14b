"""Running a test module again on the portable kernels: FASTMLP_ISA=generic in a subprocess (the
instruction set is chosen once per process)."""
import os
import platform
import subprocess
import sys
from pathlib import Path


def cpu_has_avx2_fma():
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx2" in flags and " fma" in flags


def forced_generic():
    return os.environ.get("FASTMLP_ISA") == "generic"


def run_generic(*pytest_args):
    """Run pytest on the given arguments with FASTMLP_ISA=generic; returns the completed process."""
    env = dict(os.environ, FASTMLP_ISA="generic", SKBUILD_EDITABLE_VERBOSE="0")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
                          capture_output=True, text=True, env=env, timeout=900,
                          cwd=Path(__file__).resolve().parent.parent)
