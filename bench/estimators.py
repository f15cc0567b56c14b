"""fastmlp.sklearn against sklearn.neural_network: the problems, and one fit per estimator.

Each problem is data plus the parameters both estimators get (the others stay at their common
defaults: adam, lr 1e-3, batch min(200, n), alpha 1e-4, relu). A fit builds a fresh estimator and
runs exactly the given number of epochs: n_iter_no_change = epochs, so the no-improvement
counter (at most one step per epoch) never passes it, and early_stopping stays off in both.
"""
import dataclasses
import importlib
import warnings
from typing import Callable, Tuple

import numpy as np


def _standardized(loader_name):
    def load():
        import sklearn.datasets
        from sklearn.preprocessing import StandardScaler

        X, y = getattr(sklearn.datasets, loader_name)(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    return load


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16, y  # pixels 0..16 to [0, 1]


def _synthetic():
    from sklearn.datasets import make_classification

    return make_classification(n_samples=20_000, n_features=100, n_informative=40, n_classes=10,
                               random_state=0)


@dataclasses.dataclass(frozen=True)
class EstimatorProblem:
    name: str
    load: Callable[[], Tuple[np.ndarray, np.ndarray]]  # float64 X, y
    is_classification: bool
    hidden_layer_sizes: Tuple[int, ...]
    epochs: int

    def scaled(self, fraction):
        """The same fit over `fraction` of the epochs (at least one): for smoke runs."""
        return dataclasses.replace(self, epochs=max(1, round(self.epochs * fraction)))

    def describe(self, X, y):
        task = f"{len(np.unique(y))} classes" if self.is_classification else "regression"
        return (f"{self.name} {X.shape[0]}x{X.shape[1]}, {task}, {self.hidden_layer_sizes}, "
                f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}")


# digits and synthetic keep the parameters of the earlier results in README.md, so that they stay
# comparable; the three smaller datasets run scikit-learn's default max_iter, which gives
# scikit-learn's fit ~0.1 s or more on a quiet 2-core Zen 3.
PROBLEMS = (
    EstimatorProblem("digits", _digits, True, (100,), 50),
    EstimatorProblem("breast_cancer", _standardized("load_breast_cancer"), True, (100,), 200),
    EstimatorProblem("wine", _standardized("load_wine"), True, (100,), 200),
    EstimatorProblem("diabetes", _standardized("load_diabetes"), False, (100,), 200),
    EstimatorProblem("synthetic", _synthetic, True, (256, 128), 5),
)

# Table column -> (module holding MLPClassifier and MLPRegressor, parameters of its own).
ESTIMATORS = {
    "sklearn": ("sklearn.neural_network", {}),
    "fastmlp float64": ("fastmlp.sklearn", {"dtype": "float64"}),  # fastmlp's default for float64 X
    "fastmlp float32": ("fastmlp.sklearn", {"dtype": "float32"}),
}


def estimator_fitter(column, problem, X, y, seed=0):
    """fit(epochs): a fresh estimator of `column` fitted on (X, y) for exactly that many epochs."""
    from sklearn.exceptions import ConvergenceWarning

    module, own_params = ESTIMATORS[column]
    mlp = importlib.import_module(module)
    estimator_class = mlp.MLPClassifier if problem.is_classification else mlp.MLPRegressor

    def fit(epochs):
        estimator = estimator_class(hidden_layer_sizes=problem.hidden_layer_sizes, max_iter=epochs,
                                    n_iter_no_change=epochs, random_state=seed, **own_params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached, by design
            estimator.fit(X, y)
        if estimator.n_iter_ != epochs:
            raise RuntimeError(f"{column} stopped after {estimator.n_iter_} of {epochs} epochs "
                               f"on {problem.name}")

    return fit
