"""End-to-end training time: 784-512-256-10 relu/softmax, batch 128, Adam, 20000 float32 samples.

Run: python bench/fit_e2e.py [threads] [repeats]  (prints the median seconds of one epoch's fit)."""
import statistics
import sys
import time

import numpy as np

import fastmlp as fm


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else fm.get_num_threads()
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    fm.set_num_threads(threads)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 20000)
    times = []
    for _ in range(repeats):
        model = fm.Sequential([fm.layers.Dense(512, activation="relu"),
                               fm.layers.Dense(256, activation="relu"),
                               fm.layers.Dense(10, activation="softmax")], input_dim=784, seed=0)
        model.compile(optimizer=fm.optimizers.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
        t = time.perf_counter()
        model.fit(X, y, epochs=1, batch_size=128, verbose=0)
        times.append(time.perf_counter() - t)
    print(f"simd={fm._core.build_info()['simd']} threads={threads} "
          f"fit median {statistics.median(times):.3f}s min {min(times):.3f}s ({repeats} runs)")


if __name__ == "__main__":
    main()
