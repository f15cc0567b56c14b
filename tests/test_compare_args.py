"""bench/compare.py's choice of configs (--beside) and its CPU round-trip column, without timing
anything."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
import compare  # noqa: E402
from configs import BESIDE, BY_NAME, CONFIGS  # noqa: E402


def test_beside_runs_the_configs_beside_the_targets_instead():
    assert compare.parse_args(["--no-estimators"]).configs == list(CONFIGS)
    beside = compare.parse_args(["--beside", "--no-estimators"]).configs
    assert beside == list(BESIDE)
    assert not {c.name for c in beside} & {c.name for c in CONFIGS}
    # Their names also select them one by one.
    assert compare.parse_args(["--configs", "mnist-m-b32,wide-64"]).configs == [
        BY_NAME["mnist-m-b32"], BY_NAME["wide-64"]]


def test_each_config_beside_changes_one_thing_of_its_target():
    fields = ("layer_sizes", "activations", "batch_size", "optimizer", "lr", "momentum", "loss",
              "make_data", "hidden_extras")
    targets = {c.name: c for c in CONFIGS}
    for config in BESIDE:
        base = targets["wide-256" if config.name.startswith("wide") else "mnist-m-128"]
        changed = {f for f in fields if getattr(config, f) != getattr(base, f)}
        # SGD with momentum sets the optimizer's three settings together; depth, the layer sizes
        # and their activations (one per layer).
        together = ({"optimizer", "lr", "momentum"}, {"layer_sizes", "activations"})
        assert len(changed) == 1 or any(changed <= group for group in together), (config.name, changed)


def test_beside_and_configs_together_are_refused(capsys):
    with pytest.raises(SystemExit):
        compare.parse_args(["--beside", "--configs", "mnist-m-128"])
    assert "--configs and --beside both choose the configs" in capsys.readouterr().err


def test_the_round_trip_column_gives_the_range_of_the_measured_rounds():
    assert compare.round_trip_range([None, 50.2, 310.7, 52.0]) == "50-311"
    assert compare.round_trip_range([None, None]) == "-"
    config = {"name": "x", "libraries": {"fastmlp": {"spread": 0.25}},
              "round_trip_ns": [55.0, 320.0]}
    header, _, row = compare.spread_table([config])
    assert header.endswith("| CPU round trip, ns |")
    assert row == "| x | 25% | - | - | 55-320 |"


def test_the_probe_reads_a_time_or_nothing():
    trip = compare.cache_line_round_trip()
    assert trip is None or 1 < trip < 1e5
