"""The command line: demo trains on data made in-process; errors exit with code 2."""
import re
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "fastmlp", *args], capture_output=True, text=True, timeout=120)


def test_demo_trains_and_reports_accuracy_and_speed():
    result = run("demo", "--epochs", "40", "--samples", "2000")
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.9
    assert re.search(r"[0-9,]+ samples/s", result.stdout)


def test_info_shows_the_build():
    result = run("info")
    assert result.returncode == 0
    assert "OpenMP" in result.stdout and "SIMD" in result.stdout


def test_bad_arguments_exit_2_without_traceback():
    for args in (("demo", "--epochs", "0"), ("demo", "--epochs", "x"), ("frobnicate",)):
        result = run(*args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
