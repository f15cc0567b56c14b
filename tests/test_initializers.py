"""Weight initializers: bounds and moments within sampling error."""
import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")

FAN_IN, FAN_OUT = 600, 400  # 240k samples: moment checks have tight sampling error


def kernel(init, dtype="float64", seed=0, **kw):
    m = fm.Sequential([fm.layers.Dense(FAN_OUT, kernel_init=init, **kw)], input_dim=FAN_IN,
                      seed=seed, dtype=dtype)
    return m.get_weights()


def moments(W):
    W = np.asarray(W, np.float64).ravel()
    mu, sd = W.mean(), W.std()
    kurt = np.mean(((W - mu) / sd) ** 4)
    return mu, sd, kurt


UNIFORM = {"glorot_uniform": np.sqrt(6 / (FAN_IN + FAN_OUT)), "he_uniform": np.sqrt(6 / FAN_IN)}
NORMAL = {"glorot_normal": np.sqrt(2 / (FAN_IN + FAN_OUT)), "he_normal": np.sqrt(2 / FAN_IN),
          "lecun_normal": np.sqrt(1 / FAN_IN)}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(UNIFORM))
def test_uniform_initializers(name, dtype):
    W, b = kernel(name, dtype)
    lim = UNIFORM[name]
    assert W.shape == (FAN_IN, FAN_OUT) and W.dtype == np.dtype(dtype)
    assert np.all(np.abs(W) <= lim * (1 + 1e-6))
    assert np.abs(W).max() > 0.999 * lim  # fills the whole interval
    mu, sd, kurt = moments(W)
    assert abs(mu) < 5 * (lim / np.sqrt(3)) / np.sqrt(W.size)
    assert sd == pytest.approx(lim / np.sqrt(3), rel=0.01)
    assert kurt == pytest.approx(1.8, abs=0.05)  # uniform, not normal (3.0)
    np.testing.assert_array_equal(b, np.zeros(FAN_OUT))  # default bias_init="zeros"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(NORMAL))
def test_normal_initializers_untruncated(name, dtype):
    W, _ = kernel(name, dtype)
    std = NORMAL[name]
    mu, sd, kurt = moments(W)
    assert abs(mu) < 5 * std / np.sqrt(W.size)
    assert sd == pytest.approx(std, rel=0.015)
    assert kurt == pytest.approx(3.0, abs=0.1)
    # a 2-sigma truncated normal would never exceed 2*std; 240k untruncated draws reach ~4.5
    assert np.abs(W).max() > 4.0 * std


def test_default_kernel_init_is_glorot_uniform():
    m = fm.Sequential([fm.layers.Dense(FAN_OUT)], input_dim=FAN_IN, seed=0)
    W, b = m.get_weights()
    lim = UNIFORM["glorot_uniform"]
    assert np.abs(W).max() <= lim * (1 + 1e-6) and np.abs(W).max() > 0.999 * lim
    assert moments(W)[2] == pytest.approx(1.8, abs=0.05)
    np.testing.assert_array_equal(b, 0)


@pytest.mark.parametrize("init,value", [("zeros", 0.0), ("ones", 1.0)])
def test_constant_strings(init, value):
    m = fm.Sequential([fm.layers.Dense(3, kernel_init=init, bias_init=init)], input_dim=2)
    W, b = m.get_weights()
    np.testing.assert_array_equal(W, np.full((2, 3), value))
    np.testing.assert_array_equal(b, np.full(3, value))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constant_object_for_kernel_and_bias(dtype):
    m = fm.Sequential([fm.layers.Dense(3, kernel_init=fm.initializers.Constant(0.37),
                                       bias_init=fm.initializers.Constant(-2.5))], input_dim=2, dtype=dtype)
    W, b = m.get_weights()
    # exactly the constant rounded once to the model's dtype
    np.testing.assert_array_equal(W, np.full((2, 3), 0.37, dtype=dtype))
    np.testing.assert_array_equal(b, np.full(3, -2.5, dtype=dtype))


@pytest.mark.parametrize("lo,hi", [(-0.05, 0.05), (-0.1, 0.3), (1.0, 2.0)])
def test_random_uniform(lo, hi):
    init = fm.initializers.RandomUniform() if (lo, hi) == (-0.05, 0.05) else fm.initializers.RandomUniform(lo, hi)
    W, _ = kernel(init)
    assert W.min() >= lo and W.max() <= hi
    assert W.min() < lo + 0.001 * (hi - lo) and W.max() > hi - 0.001 * (hi - lo)
    mu, sd, kurt = moments(W)
    assert mu == pytest.approx((lo + hi) / 2, abs=5 * (hi - lo) / np.sqrt(12 * W.size))
    assert sd == pytest.approx((hi - lo) / np.sqrt(12), rel=0.01)


@pytest.mark.parametrize("mean,std", [(0.0, 0.05), (1.0, 0.2), (-3.0, 2.0)])
def test_random_normal(mean, std):
    init = fm.initializers.RandomNormal() if (mean, std) == (0.0, 0.05) else fm.initializers.RandomNormal(mean, std)
    W, _ = kernel(init)
    mu, sd, kurt = moments(W)
    assert mu == pytest.approx(mean, abs=5 * std / np.sqrt(W.size))
    assert sd == pytest.approx(std, rel=0.015)
    assert kurt == pytest.approx(3.0, abs=0.1)


def test_random_bias_init():
    m = fm.Sequential([fm.layers.Dense(5000, bias_init=fm.initializers.RandomUniform(0.5, 0.7))],
                      input_dim=1, seed=0)
    b = m.get_weights()[1]
    assert b.min() >= 0.5 and b.max() <= 0.7 and b.std() > 0.05


def test_seed_controls_initialization():
    a, _ = kernel("glorot_uniform", seed=1)
    b, _ = kernel("glorot_uniform", seed=1)
    c, _ = kernel("glorot_uniform", seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_layers_get_independent_draws():
    m = fm.Sequential([fm.layers.Dense(20, kernel_init="he_normal"),
                       fm.layers.Dense(20, kernel_init="he_normal")], input_dim=20, seed=0)
    W1, _, W2, _ = m.get_weights()
    assert not np.allclose(W1, W2)
