"""Shared fixtures.  Reference maths lives in _reference.py (NumPy) and
_torchref.py (lazy torch), imported directly by the test modules."""
import pytest


@pytest.fixture
def restore_threads():
    """Put fastmlp's thread count back after a test changes it."""
    fm = pytest.importorskip("fastmlp")
    before = fm.get_num_threads()
    yield fm
    fm.set_num_threads(before)
