"""Weight initialisers. Draws come from the core's counter-based generator keyed by the model's
seed and the weight's position, so the same seed gives the same weights everywhere. The normal
schemes are untruncated, as PyTorch's nn.init."""
import math

from . import _core
from ._validation import check_float, resolve


class Initializer:
    def fill(self, out, fan_in, fan_out, seed, stream):
        """Write initial values into the 1-D array view `out`."""
        raise NotImplementedError


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def fill(self, out, fan_in, fan_out, seed, stream):
        out[...] = self.value


class Zeros(Constant):
    def __init__(self):
        super().__init__(0.0)


class Ones(Constant):
    def __init__(self):
        super().__init__(1.0)


class RandomUniform(Initializer):
    def __init__(self, lo=-0.05, hi=0.05):
        self.lo, self.hi = float(lo), float(hi)
        if not self.lo <= self.hi:
            raise ValueError(f"RandomUniform needs lo <= hi; got lo={lo}, hi={hi}")

    def fill(self, out, fan_in, fan_out, seed, stream):
        _core.fill_uniform(out, self.lo, self.hi, seed, stream)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, std=0.05):
        self.mean = float(mean)
        self.std = check_float(std, "std")

    def fill(self, out, fan_in, fan_out, seed, stream):
        _core.fill_normal(out, self.mean, self.std, seed, stream)


class _Scaled(Initializer):
    """Variance scale / fan, uniform on +-sqrt(3 * variance) or normal with that variance."""
    scale, fan, distribution = 1.0, "in", "normal"

    def fill(self, out, fan_in, fan_out, seed, stream):
        n = {"in": fan_in, "avg": (fan_in + fan_out) / 2}[self.fan]
        variance = self.scale / n
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            _core.fill_uniform(out, -limit, limit, seed, stream)
        else:
            _core.fill_normal(out, 0.0, math.sqrt(variance), seed, stream)


class GlorotUniform(_Scaled):
    """U(-sqrt(6 / (fan_in + fan_out)), +sqrt(6 / (fan_in + fan_out)))."""
    fan, distribution = "avg", "uniform"


class GlorotNormal(_Scaled):
    """N(0, 2 / (fan_in + fan_out))."""
    fan = "avg"


class HeUniform(_Scaled):
    """U(-sqrt(6 / fan_in), +sqrt(6 / fan_in))."""
    scale, distribution = 2.0, "uniform"


class HeNormal(_Scaled):
    """N(0, 2 / fan_in)."""
    scale = 2.0


class LecunNormal(_Scaled):
    """N(0, 1 / fan_in)."""


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "random_uniform": RandomUniform, "random_normal": RandomNormal,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_normal": LecunNormal,
}


def get(identifier):
    init = resolve(identifier, _BY_NAME, "initializer")
    if not isinstance(init, Initializer):
        raise TypeError(f"initializer must be a name or a fastmlp.initializers.Initializer; got {identifier!r}")
    return init
