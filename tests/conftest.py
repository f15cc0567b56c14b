"""Shared fixtures.  Reference maths lives in _reference.py (NumPy) and
_torchref.py (lazy torch), imported directly by the test modules."""
import pytest


@pytest.fixture
def restore_threads():
    """Hold every training step to the thread count the test sets (no step moves to one thread on
    timing: set_dynamic_threads), then return to OpenMP's default count and dynamic threads."""
    fm = pytest.importorskip("fastmlp")
    fm.set_dynamic_threads(False)
    yield fm
    fm.set_num_threads(None)
    fm.set_dynamic_threads(True)
