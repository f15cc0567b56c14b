"""Fit time of fastmlp.sklearn.MLPClassifier against sklearn.neural_network.MLPClassifier for the
same parameters and the same number of epochs (convergence checks cannot stop either early).

    python bench/bench_sklearn.py [--repeats 5] [--quick] [--threads N]

Prints, per problem, the median fit time of each over the repeats and the ratio
scikit-learn / fastmlp, for fastmlp's default (float64, as scikit-learn) and dtype="float32".
--threads limits both libraries (fastmlp's OpenMP and numpy's BLAS, through threadpoolctl).
"""
import argparse
import os
import platform
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLP
from threadpoolctl import threadpool_limits

import fastmlp
from fastmlp.sklearn import MLPClassifier as FmMLP


def problems(quick):
    X, y = load_digits(return_X_y=True)
    yield "digits 1797x64, 10 classes, (100,), 50 epochs", X / 16, y, dict(max_iter=50)
    n = 5000 if quick else 20000
    X, y = make_classification(n_samples=n, n_features=100, n_informative=40, n_classes=10,
                               random_state=0)
    yield (f"synthetic {n}x100, 10 classes, (256, 128), 5 epochs", X, y,
           dict(hidden_layer_sizes=(256, 128), max_iter=5))


def median_fit_time(cls, X, y, params, repeats):
    times = []
    for seed in range(repeats):
        est = cls(random_state=seed, n_iter_no_change=params["max_iter"] + 1, **params)
        start = time.perf_counter()
        est.fit(X, y)
        times.append(time.perf_counter() - start)
        assert est.n_iter_ == params["max_iter"]
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a smaller synthetic problem")
    parser.add_argument("--threads", type=int, default=None, help="limit both libraries' threads")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.threads:
        threadpool_limits(args.threads)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"fastmlp {fastmlp.__version__} with {fastmlp.get_num_threads()} threads, "
          f"median of {args.repeats}")
    for name, X, y, params in problems(args.quick):
        sk = median_fit_time(SkMLP, X, y, params, args.repeats)
        ours = median_fit_time(FmMLP, X, y, params, args.repeats)
        ours32 = median_fit_time(FmMLP, X, y, {**params, "dtype": "float32"}, args.repeats)
        print(f"{name}\n  scikit-learn {sk:8.3f} s\n"
              f"  fastmlp      {ours:8.3f} s  ({sk / ours:5.1f}x)\n"
              f"  fastmlp f32  {ours32:8.3f} s  ({sk / ours32:5.1f}x)")


if __name__ == "__main__":
    main()
