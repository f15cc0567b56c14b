"""Shared by every benchmark module that pytest collects in bench/."""
import pytest

import fastmlp as fm


def pytest_collection_modifyitems(config, items):
    # Without the plugin (not installed, or -p no:benchmark) there is no `benchmark` fixture:
    # skip with the reason rather than error.
    if config.pluginmanager.hasplugin("benchmark"):
        return
    skip = pytest.mark.skip(reason="pytest-benchmark is not active (pip install fastmlp[bench])")
    for item in items:
        if "benchmark" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def default_threads():
    # A benchmark that sets its thread count leaves the next one at OpenMP's default.
    yield
    fm.set_num_threads(None)
