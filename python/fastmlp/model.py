"""Sequential: the Keras-style model. It owns a core network (flat parameter arena, buffers,
optimizer state) and hands it whole arrays; no loop here runs over samples or batches."""
import sys
import time

import numpy as np

from . import _core, losses, metrics as metrics_mod, optimizers
from ._validation import as_dtype, check_float, check_int, check_targets, check_X
from .history import History
from .layers import Dense


class Sequential:
    def __init__(self, layers=None, input_dim=None, seed=0, dtype="float32", name=None):
        self.layers = []
        self.seed = check_int(seed, "seed", 0)
        self.dtype = as_dtype(dtype)
        self.name = name or "sequential"
        self.input_dim = None if input_dim is None else check_int(input_dim, "input_dim", 1)
        self._net = None
        self.loss = self.optimizer = None
        self._metrics = []
        self._epochs_done = 0  # keys each epoch's shuffle, so a second fit continues the sequence
        self.history = None
        for layer in layers or []:
            self.add(layer)

    # -- structure ---------------------------------------------------------------------------
    def add(self, layer):
        if not isinstance(layer, Dense):
            raise TypeError(f"layers must be fastmlp.layers.Dense; got {layer!r}")
        if self._net is not None:
            raise RuntimeError("cannot add layers to a model that is already built")
        self.layers.append(layer)

    @property
    def built(self):
        return self._net is not None

    def build(self, input_dim=None):
        """Create the weights (from each layer's initialiser and the model's seed)."""
        if input_dim is not None:
            input_dim = check_int(input_dim, "input_dim", 1)
            if self.input_dim is not None and input_dim != self.input_dim:
                raise ValueError(f"input_dim is {self.input_dim}; cannot build with {input_dim}")
            self.input_dim = input_dim
        if self.input_dim is None:
            raise ValueError("the model has no weights yet: its input size is unknown; pass "
                             "input_dim to Sequential or call fit/predict first")
        if not self.layers:
            raise ValueError("the model has no layers")
        core_class = _core.Network32 if self.dtype == np.float32 else _core.Network64
        self._net = core_class(self.input_dim, [layer._core_spec() for layer in self.layers])
        params = self._net.params
        fan_in = self.input_dim
        views = iter(self._weight_views(params))
        for index, layer in enumerate(self.layers):
            layer.kernel_init.fill(next(views).reshape(-1), fan_in, layer.units, self.seed, 2 * index)
            if layer.use_bias:
                layer.bias_init.fill(next(views), fan_in, layer.units, self.seed, 2 * index + 1)
            fan_in = layer.units
        if self.loss is not None:
            self._configure_core()
        return self

    def _checked_X(self, X, name="X"):
        """X validated and converted; builds the model from X's width on first use."""
        X = check_X(X, self.dtype, self.input_dim, name)
        if self._net is None:
            self.build(X.shape[1])
        return X

    def _require_built(self):
        # Layers may be added until the weights are first needed; then the model builds.
        if self._net is None:
            self.build()

    def _weight_views(self, arena):
        return [arena[offset:offset + int(np.prod(shape))].reshape(shape)
                for offset, shape in self._net.layout()]

    @property
    def output_dim(self):
        return self.layers[-1].units

    # -- weights -----------------------------------------------------------------------------
    def get_weights(self):
        """Copies, layer by layer: Dense [W (inputs, units), b (units,)]."""
        self._require_built()
        return [w.copy() for w in self._weight_views(self._net.params)]

    def set_weights(self, weights):
        self._require_built()
        views = self._weight_views(self._net.params)
        weights = list(weights)
        if len(weights) != len(views):
            raise ValueError(f"set_weights needs {len(views)} arrays; got {len(weights)}")
        converted = []
        for i, (view, w) in enumerate(zip(views, weights)):
            w = np.asarray(w)
            if w.shape != view.shape:
                raise ValueError(f"weights[{i}] must have shape {view.shape}; got {w.shape}")
            if w.dtype.kind not in "biuf" or not np.all(np.isfinite(w)):
                raise ValueError(f"weights[{i}] must hold finite numbers")
            converted.append(w)
        for view, w in zip(views, converted):  # all checked first: no half-applied update
            view[...] = w

    def count_params(self):
        self._require_built()
        return int(self._net.params.size)

    # -- configuration -----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, clip_norm=None, clip_value=None):
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='mse' or "
                             "loss='sparse_categorical_crossentropy'")
        self.loss = losses.get(loss)
        self.optimizer = optimizers.get(optimizer)
        self._metrics = [metrics_mod.get(m) for m in (metrics or [])]
        self._clip = (0.0 if clip_norm is None else check_float(clip_norm, "clip_norm", 1e-300),
                      0.0 if clip_value is None else check_float(clip_value, "clip_value", 1e-300))
        if self._net is not None:
            self._configure_core()
        return self

    def _configure_core(self):
        self._net.set_loss(self.loss.name, self.loss.from_logits)
        self._net.set_optimizer(**self.optimizer._core_args())
        self._net.set_clip(*self._clip)
        self.optimizer._network = self._net

    def _require_compiled(self, what):
        if self.loss is None:
            raise RuntimeError(f"call compile(optimizer=..., loss=...) before {what}")

    @property
    def iterations(self):
        """Optimizer steps taken so far."""
        return 0 if self._net is None else self._net.iterations

    # -- data --------------------------------------------------------------------------------
    def _xy(self, X, y, name_x="X", name_y="y"):
        X = self._checked_X(X, name_x)
        y = check_targets(y, X.shape[0], self.loss, self.output_dim, self.dtype, name_y)
        return X, y

    # -- training ----------------------------------------------------------------------------
    def fit(self, X, y, epochs=1, batch_size=32, shuffle=True, validation_data=None, verbose="auto"):
        """Train for `epochs` passes over (X, y) in mini-batches of `batch_size` (the last batch of
        an epoch may be smaller: ceil(n / batch_size) steps per epoch). Full-batch gradient descent
        is batch_size=len(X); online SGD is batch_size=1. Returns a History."""
        self._require_compiled("fit")
        X, y = self._xy(X, y)
        epochs = check_int(epochs, "epochs", 0)
        batch_size = check_int(batch_size, "batch_size", 1)
        verbose = (1 if sys.stdout.isatty() else 2) if verbose == "auto" else check_int(verbose, "verbose", 0)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (X_val, y_val)")
            val = self._xy(*validation_data, name_x="validation_data[0]", name_y="validation_data[1]")

        history = History()
        # Whole runs of epochs stay in the core unless something must happen between epochs.
        per_epoch = verbose > 0 or val is not None
        done = 0
        while done < epochs:
            count = 1 if per_epoch else epochs - done
            start = time.perf_counter()
            epoch_losses = self._net.train_epochs(X, y, count, batch_size, bool(shuffle), self.seed,
                                                  self._epochs_done)
            elapsed = time.perf_counter() - start
            for loss in epoch_losses:
                logs = {"loss": float(loss)}
                if val is not None:
                    logs.update({f"val_{k}": v for k, v in self._evaluate_arrays(*val).items()})
                history.append(self._epochs_done, logs)
                self._epochs_done += 1
                if verbose:
                    print(f"Epoch {self._epochs_done}: " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
                          + f" - {elapsed:.3f}s", flush=True)
            done += count
        self.history = history
        return history

    def train_on_batch(self, X, y):
        """One optimizer step on (X, y) as one batch; returns its loss before the step."""
        self._require_compiled("train_on_batch")
        X, y = self._xy(X, y)
        return float(self._net.train_on_batch(X, y))

    def compute_gradients(self, X, y):
        """Gradients of the mean loss (plus kernel penalties) over (X, y), one array per weight in
        get_weights order. Changes no weight."""
        self._require_compiled("compute_gradients")
        X, y = self._xy(X, y)
        self._net.compute_gradients(X, y)
        return [g.copy() for g in self._weight_views(self._net.grads)]

    # -- inference ---------------------------------------------------------------------------
    def predict(self, X):
        """Outputs for X, shape (samples, units of the last layer), in the model's dtype."""
        X = self._checked_X(X)
        return self._net.predict(X)

    def __call__(self, X, training=False):
        """A forward pass that changes no weight; `training` selects the layers' training mode."""
        return self.predict(X)

    def evaluate(self, X, y):
        """{"loss": mean loss + kernel penalties, and each compiled metric}."""
        self._require_compiled("evaluate")
        return self._evaluate_arrays(*self._xy(X, y))

    def _evaluate_arrays(self, X, y):
        logs = {"loss": float(self._net.evaluate(X, y))}
        if self._metrics:
            pred = self._net.predict(X)
            for name, fn in self._metrics:
                logs[name] = fn(y, pred, self.loss)
        return logs

    def summary(self, print_fn=print):
        self._require_built()
        rows, fan_in = [], self.input_dim
        for i, layer in enumerate(self.layers):
            n = fan_in * layer.units + (layer.units if layer.use_bias else 0)
            rows.append((layer.name or f"dense_{i}", f"(None, {layer.units})", layer.activation.name, n))
            fan_in = layer.units
        lines = [f'Model: "{self.name}"', f"{'Layer':<16}{'Output shape':<16}{'Activation':<12}{'Params':>10}"]
        lines += [f"{a:<16}{b:<16}{c:<12}{d:>10,}" for a, b, c, d in rows]
        lines.append(f"Total params: {sum(r[3] for r in rows):,}")
        print_fn("\n".join(lines))
