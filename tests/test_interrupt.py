"""Ctrl-C during fit: KeyboardInterrupt promptly, and the model keeps the last finished step."""
import os
import signal
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import signal, sys, threading, time
    import numpy as np
    import fastmlp as fm

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4096, 256)).astype(np.float32)
    y = rng.integers(0, 10, 4096)
    model = fm.Sequential([fm.layers.Dense(512, activation="relu"), fm.layers.Dense(10, activation="softmax")],
                          input_dim=256)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    print("ready", flush=True)
    start = time.perf_counter()
    try:
        model.fit(X, y, epochs=100000, batch_size=64, verbose=0)
    except KeyboardInterrupt:
        latency = time.perf_counter() - float(sys.stdin.readline())
        steps = model.iterations
        weights_finite = all(np.isfinite(w).all() for w in model.get_weights())
        loss = model.evaluate(X[:256], y[:256])["loss"]
        model.fit(X[:256], y[:256], epochs=1, verbose=0)   # still usable
        print(f"interrupted {latency:.3f} {steps} {weights_finite} {loss:.3f} {model.iterations - steps}")
""")


def test_sigint_interrupts_fit_quickly_and_leaves_a_usable_model():
    import time

    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # well inside training
        os.kill(proc.pid, signal.SIGINT)
        proc.stdin.write(f"{time.perf_counter()}\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    _, latency, steps, finite, loss, more_steps = out.split()
    assert float(latency) < 0.5
    assert int(steps) > 0 and finite == "True" and float(loss) > 0
    assert int(more_steps) == 8  # 256 samples / default batch 32
