"""pytest-benchmark benchmarks of fastmlp alone: `pytest bench/ --benchmark-only`.

Not part of the unit tests: the project's testpaths is tests/, so these run only when bench/ is
named. Each training benchmark is one epoch over a quarter of its config's rows; extra_info
records the samples per round so that samples/s = samples / time.
"""
import pytest

import fastmlp
from configs import BY_NAME, CONFIGS
from runners import fastmlp_model, fastmlp_trainer

ROW_FRACTION = 1 / 4
PREDICT_ROWS = 8192


@pytest.mark.parametrize("config", [config.scaled(ROW_FRACTION) for config in CONFIGS],
                         ids=lambda config: config.name)
def test_train(benchmark, config):
    X, y = config.data()
    train = fastmlp_trainer(config, X, y)
    benchmark.extra_info.update(samples=config.samples, weights=config.weights,
                                threads=fastmlp.get_num_threads())
    # Several rounds after untimed warm-up rounds: the median is what to compare across runs.
    benchmark.pedantic(train, args=(config.epochs,), rounds=10, warmup_rounds=2, iterations=1)


def test_predict_mnist_m_128(benchmark):
    config = BY_NAME["mnist-m-128"]
    X, _ = config.make_data(PREDICT_ROWS, 0)
    model = fastmlp_model(config)
    benchmark.extra_info.update(samples=PREDICT_ROWS, threads=fastmlp.get_num_threads())
    benchmark.pedantic(model.predict, args=(X,), rounds=10, warmup_rounds=2, iterations=1)
