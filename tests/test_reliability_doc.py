"""docs/reliability.md's table of bad inputs is produced from the real messages: this test fails
when either drifts. Regenerate with FASTMLP_WRITE_DOCS=1 python -m pytest tests/test_reliability_doc.py."""
import os
import pathlib

import numpy as np

import fastmlp as fm

DOC = pathlib.Path(__file__).parent.parent / "docs" / "reliability.md"
L = fm.layers


def model(loss="mse", outputs=1, act=None):
    m = fm.Sequential([L.Dense(outputs, activation=act)], input_dim=3)
    return m.compile(optimizer="adam", loss=loss)


X = np.zeros((4, 3))
sparse = lambda: model("sparse_categorical_crossentropy", 3, "softmax")  # noqa: E731

CASES = [
    ("X with NaN", lambda: model().fit(np.array([[0, 0, 0], [0, np.nan, 0]]), [0, 0])),
    ("X not 2-D", lambda: model().predict(np.zeros(3))),
    ("rows of X and y differ", lambda: model().fit(X, np.zeros(3))),
    ("wrong feature count at predict", lambda: model().predict(np.zeros((2, 5)))),
    ("empty X", lambda: model().predict(np.zeros((0, 3)))),
    ("label out of range (sparse CE)", lambda: sparse().fit(X, [0, 1, 5, 1])),
    ("negative label", lambda: sparse().fit(X, [0, -1, 2, 1])),
    ("non-integer label", lambda: sparse().fit(X, [0, 0.5, 2, 1])),
    ("one-hot width differs from outputs", lambda: model("categorical_crossentropy", 3, "softmax").fit(X, np.eye(4))),
    ("strings in X", lambda: model().predict(np.array([["a", "b", "c"]]))),
    ("batch_size < 1", lambda: model().fit(X, np.zeros(4), batch_size=0)),
    ("epochs < 0", lambda: model().fit(X, np.zeros(4), epochs=-1)),
    ("validation_split outside [0, 1)", lambda: model().fit(X, np.zeros(4), validation_split=1.5)),
    ("a string for a True/False option", lambda: model().fit(X, np.zeros(4), shuffle="no")),
    ("negative learning rate", lambda: fm.optimizers.Adam(lr=-1e-3)),
    ("NaN hyperparameter", lambda: fm.optimizers.SGD(momentum=float("nan"))),
    ("Dense(0)", lambda: L.Dense(0)),
    ("dropout rate outside [0, 1)", lambda: L.Dropout(1.0)),
    ("unknown activation", lambda: L.Dense(3, activation="swish")),
    ("unknown loss", lambda: model().compile(loss="hinge")),
    ("unknown optimizer", lambda: model().compile(optimizer="lbfgs", loss="mse")),
    ("unknown initializer", lambda: L.Dense(3, kernel_init="orthogonal")),
    ("fit before compile", lambda: fm.Sequential([L.Dense(1)], input_dim=3).fit(X, np.zeros(4))),
    ("residual block changes width", lambda: fm.Sequential([L.Residual([L.Dense(2)])], input_dim=3).build()),
    ("corrupt model file", lambda: fm.saving.model_from_bytes(b"PK\x03\x04 truncated")),
    ("training diverges", lambda: fm.Sequential([L.Dense(1)], input_dim=3, dtype="float64")
     .compile(optimizer=fm.optimizers.SGD(lr=1e30), loss="mse").fit(np.full((4, 3), 1e200), np.ones(4), verbose=0)),
    ("fit again before fit returns (another thread, a callback)", lambda: refit_from_callback()),
]


def refit_from_callback():
    m = model()

    class Refit(fm.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            m.fit(X, np.zeros(4), verbose=0)

    m.fit(X, np.zeros(4), verbose=0, callbacks=[Refit()])


def table():
    rows = ["| Bad input | Exception | Message |", "| --- | --- | --- |"]
    for label, call in CASES:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - recording what the user sees
            message = str(exc).replace("|", "\\|").replace("\n", " ")
            rows.append(f"| {label} | `{type(exc).__name__}` | {message} |")
        else:
            raise AssertionError(f"{label!r} raised nothing")
    return "\n".join(rows)


HEADER = """# Reliability: what a bad input gets

Every entry point validates its arguments before any work starts and raises a `ValueError` or
`TypeError` that names the argument, what was expected and what was given; no input from Python can
make the compiled core read or write out of bounds (the bindings re-check every shape). Training
that diverges raises `fastmlp.DivergenceError` (a `FloatingPointError`) and keeps the weights from
before the failing step. Model files are untrusted input: every length and shape is checked before
anything is allocated.

This table is generated from the actual messages by `tests/test_reliability_doc.py`.

"""


def test_reliability_table_matches_the_messages():
    expected = HEADER + table() + "\n"
    if os.environ.get("FASTMLP_WRITE_DOCS"):
        DOC.write_text(expected)
    assert DOC.read_text() == expected, "docs/reliability.md is stale: rerun with FASTMLP_WRITE_DOCS=1"
