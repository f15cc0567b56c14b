"""Shared fixtures.  Reference maths lives in _reference.py (NumPy) and
_torchref.py (lazy torch), imported directly by the test modules."""
import pytest


@pytest.fixture
def restore_threads():
    """Return fastmlp to OpenMP's default thread count after a test changes it."""
    fm = pytest.importorskip("fastmlp")
    yield fm
    fm.set_num_threads(None)
