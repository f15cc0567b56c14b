"""fastmlp.sklearn: scikit-learn's estimator contract (its own checks), trajectories against
sklearn.neural_network from identical weights, test scores on its bundled datasets, and each
feature of the issue: probabilities, multi-label, multi-output, partial_fit, warm_start, early
stopping, schedules, sample weights, pickling, search with n_jobs > 1, threads, optional import."""
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

fm = pytest.importorskip("fastmlp")
pytest.importorskip("sklearn", minversion="1.6")

from sklearn import neural_network as nn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastmlp.sklearn as fastmlp_sklearn  # noqa: E402
from fastmlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet_convergence():
    # Short max_iter values below are deliberate; the warning itself has its own test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# Default parameters throughout: every check passes with them, no expected failures.
@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_import_fastmlp_does_not_import_sklearn():
    code = ("import sys, fastmlp\n"
            "assert 'sklearn' not in sys.modules and 'fastmlp.sklearn' not in sys.modules\n"
            "assert fastmlp.sklearn.MLPClassifier.__module__ == 'fastmlp.sklearn'\n"
            "assert 'sklearn' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- trajectories: from the same weights, the same updates as scikit-learn ----------------------
RNG = np.random.default_rng(0)
XS = RNG.normal(size=(60, 5))
TARGETS = {
    "binary": (MLPClassifier, nn.MLPClassifier, (XS[:, 0] > 0).astype(int)),
    "multiclass": (MLPClassifier, nn.MLPClassifier, np.digitize(XS[:, 1], [-0.5, 0.5])),
    "multilabel": (MLPClassifier, nn.MLPClassifier, (XS[:, :3] > 0).astype(int)),
    "regression": (MLPRegressor, nn.MLPRegressor, XS @ RNG.normal(size=5)),
    "multioutput": (MLPRegressor, nn.MLPRegressor, XS @ RNG.normal(size=(5, 3))),
}


def _same_start_then_fit(problem, epochs=15, **params):
    ours_cls, theirs_cls, y = TARGETS[problem]
    common = dict(hidden_layer_sizes=(7, 4), batch_size=len(XS), max_iter=1, random_state=0,
                  shuffle=False, n_iter_no_change=1000, **params)
    theirs = theirs_cls(**common).fit(XS, y)
    ours = ours_cls(**common).fit(XS, y)
    # Start both from scikit-learn's weights (warm_start trains on from coefs_ in both).
    ours.coefs_ = [c.copy() for c in theirs.coefs_]  # scikit-learn trains its arrays in place
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    for est in (theirs, ours):
        est.set_params(warm_start=True, max_iter=epochs).fit(XS, y)
    return ours, theirs


SGD_VARIANTS = [dict(solver="sgd", momentum=0.0), dict(solver="sgd"),
                dict(solver="sgd", nesterovs_momentum=False, alpha=0.1),
                dict(solver="sgd", activation="tanh", learning_rate="invscaling", momentum=0.0,
                     learning_rate_init=0.1),
                dict(solver="sgd", activation="logistic", alpha=0.01, learning_rate_init=0.1)]


@pytest.mark.parametrize("params", SGD_VARIANTS, ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()))
@pytest.mark.parametrize("problem", list(TARGETS))
def test_sgd_full_batch_trajectory_matches_sklearn(problem, params):
    ours, theirs = _same_start_then_fit(problem, **params)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    # Multi-output regression counts the penalty at the epoch's final weights (documented).
    rtol = 1e-4 if problem == "multioutput" else 1e-7
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=rtol)


@pytest.mark.parametrize("epsilon", [1e-8, 1e-2])
@pytest.mark.parametrize("problem", list(TARGETS))
def test_adam_full_batch_trajectory_matches_sklearn(problem, epsilon):
    # A large epsilon weighs in every update: its placement (and its scaling by 1 / c) shows.
    ours, theirs = _same_start_then_fit(problem, solver="adam", activation="logistic", alpha=0.1,
                                        epsilon=epsilon)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    rtol = 1e-4 if problem == "multioutput" else 1e-7
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=rtol)


# -- test scores on scikit-learn's datasets, against sklearn.neural_network ----------------------
def _dataset(name):
    loader = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine,
              "diabetes": load_diabetes}[name]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.parametrize("name, ours_cls, theirs_cls, params, tolerance", [
    ("digits", MLPClassifier, nn.MLPClassifier, dict(hidden_layer_sizes=(32,), max_iter=40), 0.03),
    ("breast_cancer", MLPClassifier, nn.MLPClassifier, dict(hidden_layer_sizes=(32,), max_iter=60), 0.03),
    ("wine", MLPClassifier, nn.MLPClassifier, dict(solver="sgd", max_iter=150), 0.05),
    ("diabetes", MLPRegressor, nn.MLPRegressor,
     dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=300), 0.03),
])
def test_test_score_within_noise_of_sklearn(name, ours_cls, theirs_cls, params, tolerance):
    # Different random draws: compare means over 3 seeds. scikit-learn's own scores spread over
    # seeds with a standard deviation of ~0.01 (~0.02 for wine); each tolerance is about three
    # standard errors of the difference of the two means.
    X_train, X_test, y_train, y_test = _dataset(name)
    seeds = range(3)
    ours = np.mean([ours_cls(random_state=s, **params).fit(X_train, y_train).score(X_test, y_test)
                    for s in seeds])
    theirs = np.mean([theirs_cls(random_state=s, **params).fit(X_train, y_train).score(X_test, y_test)
                      for s in seeds])
    assert abs(ours - theirs) <= tolerance, (ours, theirs)


# -- features ------------------------------------------------------------------------------------
X_DIG, Y_DIG = load_digits(return_X_y=True)
X_DIG = X_DIG / 16


def test_predict_proba_binary_multiclass_and_log():
    binary = MLPClassifier(max_iter=20, random_state=0).fit(XS, np.where(XS[:, 0] > 0, "yes", "no"))
    p = binary.predict_proba(XS)
    assert p.shape == (60, 2) and binary.n_outputs_ == 1 and binary.out_activation_ == "logistic"
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(binary.classes_[p.argmax(axis=1)], binary.predict(XS))
    multi = MLPClassifier(max_iter=20, random_state=0).fit(X_DIG, Y_DIG)
    p = multi.predict_proba(X_DIG)
    assert p.shape == (len(X_DIG), 10) and multi.out_activation_ == "softmax"
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(multi.predict_log_proba(X_DIG[:5]), np.log(p[:5]))
    assert multi.score(X_DIG, Y_DIG) > 0.95


@pytest.mark.parametrize("labels", [np.array(["no", "yes"]), np.array([3, 7]), np.array([5]),
                                    np.array([2.0, 4.0, 9.0]), np.array(["a", "b", "c", "d"]),
                                    np.array(["no", "yes"], dtype=object)],
                         ids=["strings", "ints", "one-class", "floats", "four-strings",
                              "object-strings"])
def test_targets_and_predictions_are_label_binarizers(labels):
    # scikit-learn's MLPClassifier encodes targets and decodes outputs with LabelBinarizer: the
    # same encoding, and the same labels from any output (ties at 0.5 and NaN included).
    from sklearn.preprocessing import LabelBinarizer
    rng = np.random.default_rng(len(labels))
    y = labels[rng.integers(0, len(labels), size=60)]
    clf = MLPClassifier(max_iter=1, random_state=0).fit(XS, y)
    binarizer = LabelBinarizer().fit(y)
    np.testing.assert_array_equal(clf.classes_, binarizer.classes_)
    assert clf.classes_.dtype == binarizer.classes_.dtype
    np.testing.assert_array_equal(clf._encode_targets(y, False, True, None),
                                  np.searchsorted(clf.classes_, y) if len(labels) > 2
                                  else binarizer.transform(y))
    out = rng.uniform(size=(60, clf.n_outputs_))
    out[:3] = 0.5
    out[3] = np.nan
    np.testing.assert_array_equal(clf._predict_from_output(out), binarizer.inverse_transform(out))


def test_multilabel_targets_and_predictions_are_label_binarizers():
    from sklearn.preprocessing import LabelBinarizer
    y = TARGETS["multilabel"][2]
    clf = MLPClassifier(max_iter=1, random_state=0).fit(XS, y)
    binarizer = LabelBinarizer().fit(y)
    np.testing.assert_array_equal(clf.classes_, binarizer.classes_)
    np.testing.assert_array_equal(clf._encode_targets(y, False, True, None), binarizer.transform(y))
    out = np.random.default_rng(1).uniform(size=y.shape)
    out[0] = 0.5
    np.testing.assert_array_equal(clf._predict_from_output(out), binarizer.inverse_transform(out))


def test_multilabel_width_must_stay():
    y = TARGETS["multilabel"][2]
    clf = MLPClassifier(max_iter=1, random_state=0).partial_fit(XS, y, classes=np.arange(3))
    with pytest.raises(ValueError, match="y has 2 labels; this model was fitted on 3"):
        clf.partial_fit(XS, y[:, :2])


def test_mixed_label_types_are_refused():
    y = np.array(["a", 1] * 30, dtype=object)
    with pytest.raises(ValueError, match=r"all numbers or all strings; got \['int', 'str'\]"):
        MLPClassifier(max_iter=1).fit(XS, y)
    with pytest.raises(ValueError, match="all numbers or all strings"):
        MLPClassifier().partial_fit(XS, np.ones(60, int), classes=np.array([1, "b"], dtype=object))


def test_multilabel_indicator():
    y = TARGETS["multilabel"][2]
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(XS, y)
    assert clf.n_outputs_ == 3 and clf.out_activation_ == "logistic"
    assert clf.predict(XS).shape == (60, 3) and set(np.unique(clf.predict(XS))) <= {0, 1}
    p = clf.predict_proba(XS)
    assert p.shape == (60, 3) and not np.allclose(p.sum(axis=1), 1.0)  # independent labels
    assert clf.score(XS, y) > 0.8


def test_multioutput_regression_and_fitted_attributes():
    y = TARGETS["multioutput"][2]
    reg = MLPRegressor(hidden_layer_sizes=(16, 8), max_iter=200, learning_rate_init=0.01,
                       random_state=0).fit(XS, y)
    assert reg.predict(XS).shape == (60, 3) and reg.score(XS, y) > 0.9
    assert [c.shape for c in reg.coefs_] == [(5, 16), (16, 8), (8, 3)]
    assert [b.shape for b in reg.intercepts_] == [(16,), (8,), (3,)]
    assert (reg.n_layers_, reg.n_outputs_, reg.out_activation_, reg.n_features_in_) == (4, 3, "identity", 5)
    assert reg.t_ == reg.n_iter_ * 60 and len(reg.loss_curve_) == reg.n_iter_
    assert reg.loss_ == reg.loss_curve_[-1] and reg.best_loss_ == min(reg.loss_curve_)
    assert reg.validation_scores_ is None and reg.best_validation_score_ is None
    assert MLPRegressor(max_iter=5).fit(XS, y[:, 0]).predict(XS).shape == (60,)


def test_coefs_are_the_weights_predict_uses():
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(XS, TARGETS["regression"][2])
    reg.coefs_[1][:] = 0.0  # as in scikit-learn, edits to coefs_ change the model
    reg.intercepts_[1][:] = 3.0
    np.testing.assert_array_equal(reg.predict(XS), 3.0)
    reg.coefs_ = reg.coefs_[:1]
    with pytest.raises(ValueError, match="coefs_ and intercepts_ must hold 2 arrays each"):
        reg.predict(XS)


def test_float32_input_keeps_float32_and_dtype_parameter():
    clf = MLPClassifier(max_iter=5, random_state=0).fit(X_DIG.astype(np.float32), Y_DIG)
    assert clf.coefs_[0].dtype == np.float32
    clf = MLPClassifier(max_iter=5, random_state=0, dtype="float32").fit(X_DIG, Y_DIG)
    assert clf.coefs_[0].dtype == np.float32 and clf.predict_proba(X_DIG).dtype == np.float32
    assert MLPClassifier(max_iter=5).fit(X_DIG, Y_DIG).coefs_[0].dtype == np.float64


def test_partial_fit_needs_classes_then_continues():
    clf = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X_DIG[:100], Y_DIG[:100])
    clf.partial_fit(X_DIG[:100], Y_DIG[:100], classes=np.arange(10))
    steps = clf._model.iterations
    for _ in range(4):
        clf.partial_fit(X_DIG, Y_DIG)
    assert clf.n_iter_ == 5 and clf.t_ == 100 + 4 * len(X_DIG)
    assert clf._model.iterations == steps + 4 * 9  # one optimizer, never restarted
    assert clf.loss_curve_[-1] < clf.loss_curve_[1]
    with pytest.raises(ValueError, match="outside classes_"):
        MLPClassifier().partial_fit(X_DIG[:20], Y_DIG[:20], classes=[0, 1])


def test_partial_fit_regressor_with_changing_batch_size_keeps_penalty_exact():
    reg = MLPRegressor(alpha=1.0, batch_size=30, solver="sgd", random_state=0)
    reg.partial_fit(XS, TARGETS["regression"][2])
    before = [w.copy() for w in reg.coefs_]
    reg.set_params(batch_size=60).partial_fit(XS, TARGETS["regression"][2])
    # The penalty depends on the batch size: the network was rebuilt around the same weights.
    assert reg._model.layers[0].kernel_regularizer.l2 == pytest.approx(1.0 / (2 * 60 * 0.5))
    assert not np.allclose(before[0], reg.coefs_[0]) and reg.n_iter_ == 2


def test_warm_start_continues_and_checks_classes():
    clf = MLPClassifier(max_iter=5, warm_start=True, random_state=0).fit(X_DIG, Y_DIG)
    first = [c.copy() for c in clf.coefs_]
    clf.fit(X_DIG, Y_DIG)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    assert clf.loss_curve_[5] < clf.loss_curve_[0]  # no restart from fresh weights
    cold = MLPClassifier(max_iter=5, random_state=0).fit(X_DIG, Y_DIG)
    np.testing.assert_array_equal(cold.coefs_[0], first[0])
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X_DIG[Y_DIG < 5], Y_DIG[Y_DIG < 5])


def test_early_stopping_records_scores_and_restores_the_best():
    clf = MLPClassifier(early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0,
                        hidden_layer_sizes=(32,)).fit(X_DIG, Y_DIG)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # Stopped after n_iter_no_change + 1 epochs without a gain of tol over the best.
    best = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ >= best + 1 + 3
    # The weights are those of the best epoch: its validation accuracy is reproduced.
    _, X_val, _, y_val = train_test_split(X_DIG, Y_DIG, test_size=0.1, stratify=Y_DIG,
                                          random_state=_validation_rng(0))
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)


def _validation_rng(random_state):
    # The estimator draws the network's seed first, then splits with the same generator.
    rng = np.random.RandomState(random_state)
    rng.randint(np.iinfo(np.int32).max)
    return rng


def test_convergence_stops_on_tol_and_warns_at_max_iter():
    clf = MLPClassifier(tol=10.0, n_iter_no_change=2, max_iter=100, random_state=0).fit(X_DIG, Y_DIG)
    # The first epoch improves on inf; then n_iter_no_change + 1 epochs without a gain of tol.
    assert clf.n_iter_ == 4
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        MLPClassifier(max_iter=2, random_state=0).fit(X_DIG, Y_DIG)


def test_invscaling_and_adaptive_learning_rates():
    clf = MLPClassifier(solver="sgd", learning_rate="invscaling", max_iter=4, random_state=0).fit(XS, XS[:, 0] > 0)
    # Binary: fastmlp's lr is scikit-learn's times the gradient scale 1 (one logistic output).
    assert clf._model.optimizer.lr == pytest.approx(0.001 / (clf.t_ + 1) ** 0.5)
    clf = MLPClassifier(solver="sgd", learning_rate="adaptive", tol=10.0, n_iter_no_change=1,
                        max_iter=7, random_state=0).fit(XS, XS[:, 0] > 0)
    assert clf.n_iter_ == 7  # adaptive divides lr instead of stopping while lr > 1e-6
    assert clf._model.optimizer.lr == pytest.approx(0.001 / 5 ** 3)
    clf = MLPClassifier(solver="adam", learning_rate="adaptive", tol=10.0, n_iter_no_change=1,
                        max_iter=7, random_state=0).fit(XS, XS[:, 0] > 0)
    assert clf.n_iter_ == 3  # adaptive is for sgd only: adam stops, as scikit-learn


Y_TWO = np.c_[X_DIG[:300, 20], X_DIG[:300, 30] - X_DIG[:300, 40]]


@pytest.mark.parametrize("cls, y, params, chunks", [
    (MLPClassifier, Y_DIG[:300], {"tol": 3e-2, "n_iter_no_change": 3}, True),  # stops at epoch 7
    (MLPClassifier, Y_DIG[:300], {"solver": "sgd", "learning_rate": "adaptive", "tol": 1e-2,
                                  "n_iter_no_change": 2}, True),  # cuts the rate, then stops
    (MLPRegressor, Y_TWO[:, 0], {"tol": 1e-3, "n_iter_no_change": 3}, True),
    # The rate changes after every epoch; the two-output loss reads each epoch's weights.
    (MLPClassifier, Y_DIG[:300], {"solver": "sgd", "learning_rate": "invscaling", "max_iter": 12}, False),
    (MLPRegressor, Y_TWO, {"alpha": 0.1, "max_iter": 12}, False),
], ids=["adam-stops", "sgd-adaptive", "regressor-stops", "sgd-invscaling", "two-outputs"])
def test_epochs_in_one_call_change_nothing(monkeypatch, cls, y, params, chunks):
    # Epochs that can neither stop the fit nor change the learning rate train in one call into
    # the core, and the bookkeeping then sees each of them: one epoch per call must give the same
    # fit, bit for bit.
    def fit():
        return cls(**{"hidden_layer_sizes": (16,), "max_iter": 60, "random_state": 0,
                      **params}).fit(X_DIG[:300], y)

    windows = []
    unattended = fastmlp_sklearn._EpochEnd._unattended_epochs
    monkeypatch.setattr(fastmlp_sklearn._EpochEnd, "_unattended_epochs",
                        lambda self: windows.append(unattended(self)) or windows[-1])
    chunked = fit()
    monkeypatch.setattr(fastmlp_sklearn._EpochEnd, "_unattended_epochs", lambda self: 1)
    single = fit()
    assert (max(windows) > 1) == chunks
    assert chunked.n_iter_ == single.n_iter_ < chunked.max_iter or not chunks
    assert chunked.loss_curve_ == single.loss_curve_
    assert chunked._model.optimizer.lr == single._model.optimizer.lr
    for ours, reference in zip(chunked.coefs_ + chunked.intercepts_, single.coefs_ + single.intercepts_):
        np.testing.assert_array_equal(ours, reference)


def test_sample_weight_zero_equals_removal_and_integer_equals_repetition():
    y = TARGETS["regression"][2]
    w = np.r_[np.zeros(10), np.ones(25), 2 * np.ones(25)]
    params = dict(solver="sgd", batch_size="auto", alpha=0.1, max_iter=20, random_state=0)
    weighted = MLPRegressor(**params).fit(XS, y, sample_weight=w)
    idx = np.r_[np.arange(10, 60), np.arange(35, 60)]
    repeated = MLPRegressor(**params).fit(XS[idx], y[idx])
    np.testing.assert_allclose(weighted.predict(XS), repeated.predict(XS), rtol=1e-9)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        MLPRegressor().fit(XS, y, sample_weight=np.ones(3))


def test_unsupported_and_invalid_parameters_say_what_is_wrong():
    cases = [(MLPClassifier(solver="lbfgs"), "solver='lbfgs' is not implemented"),
             (MLPRegressor(loss="poisson"), "loss='poisson' is not implemented"),
             (MLPClassifier(activation="softplus"), "activation must be one of"),
             (MLPClassifier(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes"),
             (MLPClassifier(learning_rate_init=0.0), "learning_rate_init must be > 0"),
             (MLPClassifier(momentum=1.5), "momentum"),
             (MLPClassifier(dropout=1.0), "dropout"),
             (MLPClassifier(dtype="float16"), "dtype"),
             (MLPClassifier(n_threads=0), "n_threads")]
    for est, message in cases:
        with pytest.raises(ValueError, match=message):
            est.fit(XS, XS[:, 0] > 0)


@pytest.mark.parametrize("name", ["shuffle", "warm_start", "nesterovs_momentum", "early_stopping",
                                  "batch_norm", "verbose"])
@pytest.mark.parametrize("bad", ["no", None, 0.5])
def test_flags_refuse_what_is_not_a_boolean(name, bad):
    # bool("no") is True: a string must not pass for a flag (verbose also takes a level, >= 0).
    with pytest.raises(TypeError, match=rf"{name}.* must be .*; got {bad!r}"):
        MLPClassifier(max_iter=1, **{name: bad}).fit(XS, XS[:, 0] > 0)


@pytest.mark.parametrize("verbose", [True, False, np.True_, 0, 2])
def test_verbose_takes_a_flag_or_a_level(verbose, capsys):
    MLPClassifier(max_iter=1, verbose=verbose).fit(XS, XS[:, 0] > 0)
    assert bool(capsys.readouterr().out) == bool(verbose)


@pytest.mark.parametrize("param, value, cls, kind", [("dropout", 0.3, "Dropout", "dropout"),
                                                     ("batch_norm", True, "BatchNorm", "batch_norm")])
def test_dropout_and_batch_norm_go_after_each_hidden_layer(monkeypatch, param, value, cls, kind):
    clf = MLPClassifier(hidden_layer_sizes=(4, 3), max_iter=2, **{param: value}).fit(XS, XS[:, 0] > 0)
    assert [layer.kind for layer in clf._model.layers] == ["dense", kind] * 2 + ["dense"]
    assert [c.shape for c in clf.coefs_] == [(5, 4), (4, 3), (3, 1)]
    assert [b.shape for b in clf.intercepts_] == [(4,), (3,), (1,)]
    assert [layer.kind for layer in MLPClassifier(max_iter=1).fit(XS, XS[:, 0] > 0)._model.layers] == ["dense"] * 2
    # An older fastmlp without the layer: a clear error, only when the parameter asks for it.
    monkeypatch.delattr(fm.layers, cls)
    with pytest.raises(ValueError, match=f"needs a newer fastmlp with fastmlp.layers.{cls}"):
        MLPClassifier(**{param: value}).fit(XS, XS[:, 0] > 0)
    MLPClassifier(max_iter=1).fit(XS, XS[:, 0] > 0)


def test_penalty_rebuild_keeps_weights_moving_statistics_and_optimizer_state():
    reg = MLPRegressor(hidden_layer_sizes=(8,), batch_norm=True, batch_size=20, random_state=0)
    reg.partial_fit(XS, TARGETS["regression"][2])
    before, steps = reg._model.get_weights(), reg._model.iterations
    moments = np.array(reg._model._net.optimizer_state)
    reg._set_penalty(0.5)
    assert reg._model.layers[0].kernel_regularizer.l2 == 0.5
    for a, b in zip(before, reg._model.get_weights()):  # includes BatchNorm's moving statistics
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(reg._model._net.optimizer_state, moments)
    assert reg._model.iterations == steps and moments.any()


def test_pickle_clone_and_sparse_input():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    clf = MLPClassifier(max_iter=5, random_state=0).fit(X_DIG, Y_DIG)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X_DIG), clf.predict_proba(X_DIG))
    again.partial_fit(X_DIG, Y_DIG)  # the optimizer state travelled too
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "coefs_")
    np.testing.assert_allclose(clf.predict_proba(scipy_sparse.csr_matrix(X_DIG)), clf.predict_proba(X_DIG))


def test_pipeline_grid_search_and_cross_val_score_in_parallel():
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=10, random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3, n_jobs=2).fit(X_DIG, Y_DIG)
    assert search.best_score_ > 0.85
    scores = cross_val_score(MLPRegressor(max_iter=50, random_state=0), XS, TARGETS["regression"][2],
                             cv=3, n_jobs=2)
    # Another joblib backend, no code change: threads work too (the core releases the GIL).
    from joblib import parallel_backend

    with parallel_backend("threading"):
        threaded = cross_val_score(MLPRegressor(max_iter=50, random_state=0), XS,
                                   TARGETS["regression"][2], cv=3, n_jobs=2)
    np.testing.assert_allclose(threaded, scores)  # same seeds, same results


def _threads_in_worker():
    import fastmlp

    return fastmlp.get_num_threads()


def test_parallel_workers_do_not_oversubscribe():
    import os

    from joblib import Parallel, delayed

    counts = Parallel(n_jobs=2)(delayed(_threads_in_worker)() for _ in range(2))
    assert max(counts) <= max(1, (os.cpu_count() or 1) // 2)


@pytest.mark.parametrize("fixed", [None, 2], ids=["openmp-default", "set_num_threads"])
def test_n_threads_applies_during_fit_and_predict_only(monkeypatch, restore_threads, fixed):
    from threadpoolctl import threadpool_info

    if fixed is not None:
        fm.set_num_threads(fixed)
    seen = []
    for method in ("fit", "predict"):
        original = getattr(fm.Sequential, method)
        monkeypatch.setattr(fm.Sequential, method,
                            lambda self, *a, _original=original, **k: seen.append(fm.get_num_threads())
                            or _original(self, *a, **k))
    before = fm.get_num_threads()
    openmp_before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "openmp"]
    MLPClassifier(max_iter=2, n_threads=1).fit(XS, XS[:, 0] > 0).predict(XS)
    assert seen == [1, 1]
    assert fm.get_num_threads() == before
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "openmp"] == openmp_before


def test_verbose_prints_each_iteration(capsys):
    MLPClassifier(max_iter=3, verbose=True, random_state=0).fit(XS, XS[:, 0] > 0)
    out = capsys.readouterr().out
    assert out.count("Iteration ") == 3 and "loss = " in out
