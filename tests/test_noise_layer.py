"""GaussianNoise: training only, reproducible, transparent to gradients."""
import numpy as np
import pytest

import fastmlp as fm


def identity_model(std):
    m = fm.Sequential([fm.layers.GaussianNoise(std), fm.layers.Dense(50, kernel_init="zeros")],
                      input_dim=50, dtype="float64", seed=2)
    m.set_weights([np.eye(50), np.zeros(50)])
    return m.compile(optimizer="sgd", loss="mse")


def test_noise_in_training_only_with_the_requested_spread():
    m = identity_model(0.3)
    X = np.random.default_rng(0).normal(size=(400, 50))
    np.testing.assert_array_equal(m.predict(X), X)
    np.testing.assert_array_equal(m(X), X)
    noise = m(X, training=True) - X
    assert abs(noise.mean()) < 0.01 and noise.std() == pytest.approx(0.3, rel=0.02)
    np.testing.assert_array_equal(m(X, training=True) - X, noise)  # same step: same noise


def test_noise_changes_with_the_step_and_gradient_passes_through():
    m = identity_model(0.3)
    X = np.random.default_rng(1).normal(size=(20, 50))
    y = np.zeros((20, 50))
    before = m(X, training=True)
    # dL/dW for Y = (X + noise) W + b with MSE: 2/(n*50) (X+noise)^T (Y - y): the noisy input.
    g = m.compute_gradients(X, y)
    np.testing.assert_allclose(g[0], 2 / (20 * 50) * before.T @ (before - y), rtol=1e-12)
    m.train_on_batch(X, y)
    assert not np.array_equal(m(X, training=True) - m.predict(X), before - X)


def test_bad_stddev():
    with pytest.raises(ValueError, match="stddev must be a finite number >= 0"):
        fm.layers.GaussianNoise(-1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_draws_do_not_depend_on_the_thread_count(restore_threads, dtype):
    # 20,001 values (odd: a last pair with one value) split across threads from 8192 values; a
    # pair cut between two threads, or counters counted from a share's start, would show here.
    def draws(threads):
        restore_threads.set_num_threads(threads)
        out = np.empty(20_001, dtype)
        fm._core.fill_normal(out, 0.5, 2.0, 7, 3)
        return out

    one, two, three = draws(1), draws(2), draws(3)
    assert np.array_equal(one, two) and np.array_equal(one, three)
    assert abs(one.mean() - 0.5) < 0.05 and one.std() == pytest.approx(2.0, rel=0.02)
