"""scikit-learn estimators: MLPClassifier and MLPRegressor, drop-in replacements for
sklearn.neural_network's, with its parameter names, defaults and fitted attributes, trained by
fastmlp's core.

How scikit-learn's training maps onto fastmlp (k = number of output units, B = batch size):

- scikit-learn's output gradient is (p - y) / B for every loss, while fastmlp's losses are
  means over elements: binary cross-entropy over B * k, MSE over B * k with a factor 2. So
  scikit-learn's gradient is c times fastmlp's, c = k (binary / multi-label), 1 (multiclass),
  k / 2 (regression). SGD runs with lr * c; Adam (with scikit-learn's placement of epsilon,
  eps_hat), invariant to the gradient's scale but for epsilon, with epsilon / c. alpha becomes
  fastmlp's L2(alpha / (2 * B * c)) on every kernel, which gives scikit-learn's penalty gradient
  alpha * W / B (biases are not penalised in either).
- Exact: initialisation scheme, losses and reported loss_ (but see below), the update of every
  full batch for SGD with constant lr (with or without (Nesterov) momentum) and for Adam,
  invscaling's lr schedule, adaptive's division by 5, early stopping and the convergence rule.
- Approximate: the last, smaller batch of an epoch gets the penalty of a full one (scikit-learn
  divides alpha by that batch's size); SGD momentum under a changing lr keeps PyTorch's
  form (the velocity is not rescaled); sample weights are normalised to mean 1 over the training
  set (scikit-learn normalises by each batch's weight sum); for multi-output regression loss_
  counts the penalty at the epoch's final weights; the random draws differ from scikit-learn's,
  so the same random_state does not give the same weights.

Precision: like scikit-learn, the network computes in float64 unless X is float32
(dtype=None); dtype="float32" trades the last digits for about twice the speed.

As in scikit-learn, coefs_ and intercepts_ are the weights predict and a warm start use:
editing them changes the model. max_fun is accepted and ignored, as it only concerns L-BFGS.

Parameters that scikit-learn does not have default to off: dropout=0.0, batch_norm=False,
dtype=None (follow X), n_threads=None (OpenMP's default, which joblib's workers and
threadpoolctl limit). An int n_threads sets the core's thread count for the duration of fit and
predict and restores it after; the setting is process-wide, so estimators fitted concurrently
in threads of one process should agree on it.
"""
import contextlib
import numbers
import warnings

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("fastmlp.sklearn needs scikit-learn: pip install 'fastmlp[sklearn]'") from exc
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import callbacks, initializers, layers, optimizers, regularizers
from ._config import get_num_threads, set_num_threads
from ._validation import as_dtype, check_bool, check_float, check_int
from .model import Sequential

__all__ = ["MLPClassifier", "MLPRegressor"]

_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_OUT_ACTIVATIONS = {"linear": "identity", "sigmoid": "logistic", "softmax": "softmax"}


def _choice(value, name, options):
    if not (isinstance(value, str) and value in options):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def _hidden_extras(dropout, batch_norm):
    """The layers to insert after each hidden Dense (BatchNorm, then Dropout), as a factory;
    a clear error when this fastmlp has no such layer yet."""
    needed = [("BatchNorm", batch_norm, "batch_norm=True"), ("Dropout", dropout > 0, f"dropout={dropout}")]
    for cls, wanted, what in needed:
        if wanted and not hasattr(layers, cls):
            raise ValueError(f"{what} needs a newer fastmlp with fastmlp.layers.{cls}; "
                             f"this one has none (use the default)")

    def make():
        extra = [layers.BatchNorm()] if batch_norm else []
        return extra + ([layers.Dropout(dropout)] if dropout > 0 else [])
    return make


@contextlib.contextmanager
def _threads(n_threads):
    """Run the core on n_threads (process-wide) for the duration, then restore every setting.
    The core uses a count fixed by fm.set_num_threads, else OpenMP's, which threadpoolctl limits."""
    if n_threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n_threads, user_api="openmp"):
        fixed = get_num_threads()  # differs from n_threads only if fm.set_num_threads fixed it
        if fixed != n_threads:
            set_num_threads(n_threads)
        try:
            yield
        finally:
            if fixed != n_threads:
                set_num_threads(fixed)


def _mixed_labels(labels):
    """The error for labels that do not compare (strings mixed with numbers, say)."""
    kinds = sorted({type(v).__name__ for v in np.ravel(labels).tolist()})
    return ValueError(f"class labels must be all numbers or all strings; got {kinds}")


def _sorted_labels(labels):
    try:
        classes = np.unique(labels)
    except TypeError:
        raise _mixed_labels(labels) from None
    # As unique_labels: labels held as Python objects come back as a NumPy string or number array.
    return np.asarray(classes.tolist()) if classes.dtype == object else classes


class _EpochEnd(callbacks.Callback):
    """Hands each epoch's loss to the estimator's bookkeeping; it sets model.stop_training.
    `unattended()` says how many epochs may train before the bookkeeping must see them."""

    def __init__(self, handler, unattended):
        self.handler, self.unattended = handler, unattended

    def _unattended_epochs(self):
        return self.unattended()

    def on_epoch_end(self, epoch, logs=None):
        if self.handler(logs["loss"]):
            self.model.stop_training = True


class _BaseMLP(BaseEstimator):
    _loss_name = _out_activation = None  # set per problem by _encode_targets

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, dropout=0.0, batch_norm=False, dtype=None,
                 n_threads=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.dtype = dtype
        self.n_threads = n_threads

    # -- parameters ---------------------------------------------------------------------------
    def _check_params(self):
        """Validate every constructor argument (at fit, as scikit-learn does)."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(np.ravel(sizes))
        for s in sizes:
            check_int(s, "each of hidden_layer_sizes", 1)
        _choice(self.activation, "activation", tuple(_ACTIVATIONS))
        _choice(self.solver, "solver", ("lbfgs", "sgd", "adam"))
        if self.solver == "lbfgs":
            raise ValueError("solver='lbfgs' is not implemented in fastmlp; use solver='adam' or "
                             "'sgd' (or sklearn.neural_network for L-BFGS)")
        check_float(self.alpha, "alpha")
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_int(self.batch_size, "batch_size ('auto' or an integer)", 1)
        _choice(self.learning_rate, "learning_rate", ("constant", "invscaling", "adaptive"))
        if check_float(self.learning_rate_init, "learning_rate_init") == 0:
            raise ValueError("learning_rate_init must be > 0; got 0.0")
        check_float(self.power_t, "power_t")
        check_int(self.max_iter, "max_iter", 1)
        check_float(self.tol, "tol")
        check_float(self.momentum, "momentum", 0.0, 1.0, include_max=True)
        check_float(self.validation_fraction, "validation_fraction", 0.0, 1.0)
        check_float(self.beta_1, "beta_1", 0.0, 1.0)
        check_float(self.beta_2, "beta_2", 0.0, 1.0)
        if check_float(self.epsilon, "epsilon") == 0:
            raise ValueError("epsilon must be > 0; got 0.0")
        if self.n_iter_no_change != np.inf:
            check_int(self.n_iter_no_change, "n_iter_no_change (an integer >= 1 or np.inf)", 1)
        check_int(self.max_fun, "max_fun", 1)
        check_float(self.dropout, "dropout", 0.0, 1.0)
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping", "batch_norm"):
            check_bool(getattr(self, name), name)
        if not isinstance(self.verbose, (bool, np.bool_)):  # scikit-learn's verbose: a flag or a level
            check_int(self.verbose, "verbose (True, False or an integer >= 0)", 0)
        if self.dtype is not None:
            as_dtype(self.dtype)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", 1)
        _hidden_extras(self.dropout, self.batch_norm)
        return [int(s) for s in sizes]

    # -- the network --------------------------------------------------------------------------
    def _build(self, sizes, n_features, n_outputs, dtype, seed):
        """A fresh network with scikit-learn's Glorot-uniform initialisation: weights and biases
        from U(+-sqrt(f / (fan_in + fan_out))), f = 2 for logistic, else 6."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        extras = _hidden_extras(self.dropout, self.batch_norm)
        stack, fan_in = [], n_features
        for i, units in enumerate([*sizes, n_outputs]):
            bound = np.sqrt(factor / (fan_in + units))
            init = initializers.RandomUniform(-bound, bound)
            hidden = i < len(sizes)
            activation = _ACTIVATIONS[self.activation] if hidden else self._out_activation
            stack.append(layers.Dense(units, activation, kernel_init=init, bias_init=init))
            if hidden:
                stack.extend(extras())
            fan_in = units
        return Sequential(stack, input_dim=n_features, seed=seed, dtype=dtype)

    def _set_penalty(self, l2):
        """Give every Dense kernel the penalty L2(l2). The penalty is part of the network's layer
        table, so a change rebuilds it, carrying weights, optimizer state and step counts over."""
        old = self._model
        dense = [layer for layer in old.layers if isinstance(layer, layers.Dense)]
        if all((layer.kernel_regularizer.l2 if layer.kernel_regularizer else 0.0) == l2 for layer in dense):
            return
        for layer in dense:
            layer.kernel_regularizer = regularizers.L2(l2) if l2 > 0 else None
        if not old.built:
            return
        new = Sequential(old.layers, input_dim=old.input_dim, seed=old.seed, dtype=old.dtype)
        new.set_weights(old.get_weights())
        new._epochs_done = old._epochs_done
        if old.loss is not None:
            new.compile(optimizer=old.optimizer, loss=old.loss)
            new._net.optimizer_state = old._net.optimizer_state
            new._net.iterations = old._net.iterations
        self._model = new

    def _push_weights(self):
        """coefs_ and intercepts_ are the network's weights, as in scikit-learn: copy them into
        the network (cheap next to a forward pass), so edits to them take effect."""
        weights = self._model.get_weights()
        dense = [i for i, w in enumerate(weights) if w.ndim == 2]
        if not (len(self.coefs_) == len(self.intercepts_) == len(dense)):
            raise ValueError(f"coefs_ and intercepts_ must hold {len(dense)} arrays each, one per "
                             f"layer; got {len(self.coefs_)} and {len(self.intercepts_)}")
        for i, coef, intercept in zip(dense, self.coefs_, self.intercepts_):
            weights[i], weights[i + 1] = coef, intercept
        self._model.set_weights(weights)

    def _pull_weights(self):
        weights = self._model.get_weights()
        # Dense layers give (W, b) pairs; any other layer's weights are 1-D.
        dense = [i for i, w in enumerate(weights) if w.ndim == 2]
        self.coefs_ = [weights[i] for i in dense]
        self.intercepts_ = [weights[i + 1] for i in dense]

    def _new_optimizer(self):
        c = self._grad_scale
        if self.solver == "sgd":
            return optimizers.SGD(lr=self.learning_rate_init * c, momentum=self.momentum,
                                  nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        return optimizers.Adam(lr=self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2,
                               eps=self.epsilon / c, eps_hat=True)

    @property
    def _grad_scale(self):
        """c: scikit-learn's gradient over fastmlp's for the same batch (module docstring)."""
        k = self.n_outputs_
        return {"binary_crossentropy": k, "sparse_categorical_crossentropy": 1.0,
                "mse": k / 2}[self._loss_name]

    def _sklearn_loss(self, fm_loss):
        """scikit-learn's loss (data term + alpha / (2 B) * sum W^2) from fastmlp's."""
        c = self._grad_scale
        if self._loss_name != "mse":
            return c * fm_loss
        if c == 0.5 or self._l2 == 0:  # one output, or no penalty: the weights need not be read
            return fm_loss / 2
        penalty = sum(self._l2 * float(np.sum(w * w)) for w in self._model.get_weights() if w.ndim == 2)
        return fm_loss / 2 + (c - 0.5) * penalty

    # -- fitting ------------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        sizes = self._check_params()
        fitted = hasattr(self, "coefs_")
        reset = not fitted or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=("csr", "csc", "coo"),
                             multi_output=True, dtype=(np.float64, np.float32),
                             y_numeric=isinstance(self, RegressorMixin))
        if sparse.issparse(X):  # the core takes dense rows
            X = X.toarray()
        target = self._encode_targets(y, reset, incremental, classes)
        n = X.shape[0]
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.ndim == 0:
                weights = np.full(n, float(weights))
            if weights.shape != (n,):
                raise ValueError(f"sample_weight must have shape ({n},) to match X; got {weights.shape}")
            if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
                raise ValueError("sample_weight must hold finite weights >= 0, not all zero")
        rng = check_random_state(self.random_state)
        if reset:
            dtype = as_dtype(self.dtype) if self.dtype is not None else X.dtype
            self.n_outputs_ = target.shape[1] if target.ndim == 2 else len(self.classes_)
            self._model = self._build(sizes, X.shape[1], self.n_outputs_, dtype,
                                      int(rng.randint(np.iinfo(np.int32).max)))
            self.n_layers_ = len(sizes) + 2
            self.out_activation_ = _OUT_ACTIVATIONS[self._out_activation]
            self.n_iter_, self.t_, self.loss_curve_ = 0, 0, []
            self._no_improvement = 0
            self.best_loss_ = np.inf
            self.validation_scores_ = self.best_validation_score_ = None
        else:
            self._push_weights()
        X = np.ascontiguousarray(X, dtype=self._model.dtype)

        early = self.early_stopping and not incremental
        X_val = y_val = w_val = None
        if early:
            stratify = y if isinstance(self, ClassifierMixin) and not self._multilabel else None
            parts = train_test_split(X, target, *([] if weights is None else [weights]),
                                     random_state=rng, test_size=self.validation_fraction,
                                     stratify=stratify)
            X, X_val, target, y_val = parts[:4]
            weights, w_val = (None, None) if weights is None else parts[4:]
            if X_val.shape[0] < 2:
                raise ValueError(f"validation_fraction={self.validation_fraction} leaves "
                                 f"{X_val.shape[0]} validation sample(s) out of {n}; early "
                                 "stopping needs at least 2")
            y_val = self._decode_targets(y_val)
            self.validation_scores_ = self.validation_scores_ or []
            self.best_validation_score_ = (-np.inf if self.best_validation_score_ is None
                                           else self.best_validation_score_)
            self.best_loss_ = None
        elif reset or self.best_loss_ is None:
            self.best_loss_ = np.inf
        n_train = X.shape[0]
        weight_per_sample = 1.0  # scikit-learn divides the penalty by the batch's weight sum
        if weights is not None:  # mean 1: the core divides each batch's weighted sum by its size
            weight_per_sample = weights.sum() / n_train
            weights = weights / weight_per_sample

        if self.batch_size == "auto":
            batch = min(200, n_train)
        else:
            if self.batch_size > n_train:
                warnings.warn(f"batch_size={self.batch_size} is larger than the {n_train} training "
                              "samples; using all of them in one batch", UserWarning)
            batch = min(int(self.batch_size), n_train)
        self._l2 = self.alpha / (2 * batch * weight_per_sample * self._grad_scale)
        self._set_penalty(self._l2)
        model = self._model
        if not incremental or model.loss is None:  # scikit-learn starts a new optimizer per fit
            model.compile(optimizer=self._new_optimizer(), loss=self._loss_name)
            model._require_built()
            model._net.iterations = 0  # Adam's bias correction restarts with the optimizer
            self._lr = self.learning_rate_init

        best_weights = [None]

        def end_epoch(fm_loss):
            self.n_iter_ += 1
            self.t_ += n_train
            loss = self._sklearn_loss(fm_loss)
            self.loss_ = loss
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if early:
                score = self._score_arrays(X_val, y_val, w_val)
                self.validation_scores_.append(score)
                if self.verbose:
                    print(f"Validation score: {score:f}")
                improved = score >= self.best_validation_score_ + self.tol
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_weights[0] = model.get_weights()
            else:
                improved = loss <= self.best_loss_ - self.tol
                self.best_loss_ = min(self.best_loss_, loss)
            self._no_improvement = 0 if improved else self._no_improvement + 1
            if self.solver == "sgd" and self.learning_rate == "invscaling":
                self._lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
                model.optimizer.lr = self._lr * self._grad_scale
            stop = False
            if self._no_improvement > self.n_iter_no_change:
                what = ("Validation score did not improve more than tol" if early
                        else "Training loss did not improve more than tol")
                if self.solver == "sgd" and self.learning_rate == "adaptive" and self._lr > 1e-6:
                    self._lr /= 5
                    model.optimizer.lr = self._lr * self._grad_scale
                    self._no_improvement = 0
                    if self.verbose:
                        print(f"{what} for {self.n_iter_no_change} consecutive epochs. "
                              f"Setting learning rate to {self._lr:f}")
                else:
                    if self.verbose:
                        print(f"{what}={self.tol:f} for {self.n_iter_no_change} consecutive "
                              "epochs. Stopping.")
                    stop = True
            if self.n_iter_ == self.max_iter and not stop:
                warnings.warn(f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                              "and the optimization has not converged yet.", ConvergenceWarning)
            return stop

        def unattended():
            # The no-improvement count rises by at most one per epoch, so neither stopping nor
            # the adaptive learning rate's cut can come before this many more epochs: they train
            # in one call, and end_epoch then sees each of them in turn, as it would have.
            # invscaling and early stopping act after every epoch, verbose prints as they end,
            # and the multi-output squared error's loss reads the weights (_sklearn_loss).
            if (early or self.verbose or (self.solver == "sgd" and self.learning_rate == "invscaling")
                    or (self._loss_name == "mse" and self._grad_scale != 0.5 and self._l2 != 0)):
                return 1
            return max(1, self.n_iter_no_change + 1 - self._no_improvement)

        with _threads(self.n_threads):
            model.fit(X, target, epochs=1 if incremental else self.max_iter, batch_size=batch,
                      shuffle=bool(self.shuffle), callbacks=[_EpochEnd(end_epoch, unattended)], verbose=0,
                      sample_weight=weights)
        if early and best_weights[0] is not None:
            model.set_weights(best_weights[0])
        self._pull_weights()
        return self

    def _forward(self, X):
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, reset=False, accept_sparse=("csr", "csc", "coo"),
                          dtype=(np.float64, np.float32))
        if sparse.issparse(X):
            X = X.toarray()
        self._push_weights()
        with _threads(self.n_threads):
            return self._model.predict(X)

    def _score_arrays(self, X, y, sample_weight):
        out = self._model.predict(X)
        return self._metric(y, self._predict_from_output(out), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multilayer perceptron classifier with sklearn.neural_network.MLPClassifier's parameters,
    defaults and fitted attributes (see the module docstring for what matches exactly), trained
    by fastmlp's core. Binary and multi-label problems end in logistic units with binary
    cross-entropy, multiclass ones in softmax with cross-entropy. solver='lbfgs' is not
    implemented. Extra parameters: dropout and batch_norm (after each hidden layer; need
    fastmlp's Dropout / BatchNorm layers), dtype ("float32" / "float64", default: X's, float64
    unless X is float32) and n_threads (default: OpenMP's)."""

    _metric = staticmethod(accuracy_score)

    def _encode_targets(self, y, reset, incremental, classes):
        if reset and incremental and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit: "
                             "partial_fit(X, y, classes=all_labels)")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        try:
            kind = type_of_target(y, raise_unknown=True)
        except TypeError:
            raise _mixed_labels(y) from None
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"y must hold class labels (binary, multiclass or a multi-label "
                             f"indicator matrix); got target type {kind!r}")
        if reset:
            self._multilabel = kind == "multilabel-indicator"
            if self._multilabel:
                self.classes_ = np.arange(y.shape[1])
            else:
                self.classes_ = _sorted_labels(y if classes is None else np.asarray(classes))
            multiclass = len(self.classes_) > 2 and not self._multilabel
            self._loss_name = "sparse_categorical_crossentropy" if multiclass else "binary_crossentropy"
            self._out_activation = "softmax" if multiclass else "sigmoid"
        elif self._multilabel != (kind == "multilabel-indicator"):
            raise ValueError(f"y's target type {kind!r} differs from the one this model was fitted on")
        elif self._multilabel and y.shape[1] != len(self.classes_):
            raise ValueError(f"y has {y.shape[1]} labels; this model was fitted on "
                             f"{len(self.classes_)}")
        elif not incremental and not self._multilabel and not np.array_equal(np.unique(y), self.classes_):
            raise ValueError("warm_start needs y to have the same classes as the previous fit: "
                             f"{self.classes_.tolist()}; got {np.unique(y).tolist()}")
        if not self._multilabel and not (reset and classes is None):  # else classes_ are y's own
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if len(unseen):
                raise ValueError(f"y has labels {unseen.tolist()} outside classes_ = "
                                 f"{self.classes_.tolist()}")
        # LabelBinarizer's encoding: class indices (softmax), an indicator matrix (multi-label),
        # or one column that is 1 for the second of two classes (0 for a single class).
        if self._loss_name == "sparse_categorical_crossentropy":
            return np.searchsorted(self.classes_, y)
        if self._multilabel:
            return (y.toarray() if sparse.issparse(y) else np.asarray(y)).astype(np.float64)
        positive = y == self.classes_[1] if len(self.classes_) == 2 else np.zeros(len(y), bool)
        return positive.astype(np.float64).reshape(-1, 1)

    def _decode_targets(self, target):
        if self._loss_name == "sparse_categorical_crossentropy":
            return self.classes_[target]
        return self._predict_from_output(target)

    def _predict_from_output(self, out):
        # LabelBinarizer.inverse_transform's: the most probable class, or thresholds at 0.5.
        if self._loss_name == "sparse_categorical_crossentropy":
            return self.classes_.take(out.argmax(axis=1), mode="clip")
        if self._multilabel:
            return (out > 0.5).astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_[0], len(out))
        return self.classes_[(out[:, 0] > 0.5).astype(int)]

    def fit(self, X, y, sample_weight=None):
        """Fit to X (n_samples, n_features) and y (labels, or an indicator matrix for multi-label
        problems), with optional per-sample weights. Returns self."""
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y) that continues the previous ones (optimizer state included).
        `classes`, every label y may ever hold, is needed on the first call."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        return self._predict_from_output(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); for multi-label problems each
        column is its label's independent probability."""
        p = self._forward(X)
        if self.n_outputs_ == 1 and not self._multilabel:
            return np.hstack([1 - p, p])
        return p

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multilayer perceptron regressor with sklearn.neural_network.MLPRegressor's parameters,
    defaults and fitted attributes (see the module docstring for what matches exactly), trained
    by fastmlp's core: identity output, squared error, one or several outputs. loss='poisson'
    and solver='lbfgs' are not implemented. Extra parameters as MLPClassifier's."""

    _metric = staticmethod(r2_score)
    _loss_name, _out_activation = "mse", "linear"

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dropout=0.0, batch_norm=False, dtype=None, n_threads=None):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha,
                         batch_size=batch_size, learning_rate=learning_rate,
                         learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
                         shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
                         warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
                         dropout=dropout, batch_norm=batch_norm, dtype=dtype, n_threads=n_threads)
        self.loss = loss

    def _check_params(self):
        if _choice(self.loss, "loss", ("squared_error", "poisson")) == "poisson":
            raise ValueError("loss='poisson' is not implemented in fastmlp; use 'squared_error'")
        return super()._check_params()

    def _encode_targets(self, y, reset, incremental, classes):
        y = np.asarray(y, dtype=np.float64)
        target = y.reshape(-1, 1) if y.ndim == 1 else y
        if not reset and target.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {target.shape[1]} outputs but the model was fitted with "
                             f"{self.n_outputs_}")
        return target

    def _decode_targets(self, target):
        return target

    def _predict_from_output(self, out):
        return out.ravel() if out.shape[1] == 1 else out

    def fit(self, X, y, sample_weight=None):
        """Fit to X (n_samples, n_features) and y (n_samples,) or (n_samples, n_outputs), with
        optional per-sample weights. Returns self."""
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y) that continues the previous ones (optimizer state included)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        return self._predict_from_output(self._forward(X))
