"""fastmlp: multilayer perceptrons trained fast on the CPU."""
from . import _core
from . import (activations, callbacks, data, datasets, initializers, layers, losses, metrics,
               optimizers, regularizers)
from ._config import (_check_isa_cap, get_dynamic_threads, get_num_threads, set_dynamic_threads,
                      set_num_threads, show_config)
from .history import History
from .model import Sequential
from .perceptron import Perceptron
from .saving import load_model

__version__ = _core.__version__
DivergenceError = _core.DivergenceError
DivergenceError.__module__ = "fastmlp"
_check_isa_cap()



def __getattr__(name):
    # fastmlp.sklearn imports scikit-learn, an optional dependency: load it on first use only.
    if name == "sklearn":
        import importlib

        return importlib.import_module(".sklearn", __name__)
    raise AttributeError(f"module 'fastmlp' has no attribute {name!r}")


__all__ = [
    "Sequential", "Perceptron", "History", "DivergenceError", "load_model", "activations", "callbacks", "data", "datasets",
    "initializers", "layers", "losses", "metrics", "optimizers", "regularizers",
    "get_num_threads", "set_num_threads", "get_dynamic_threads", "set_dynamic_threads",
    "show_config", "__version__",
]
