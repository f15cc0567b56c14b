"""Sequential: the Keras-style model. It owns a core network (flat parameter arena, buffers,
optimizer state) and hands it whole arrays; no loop here runs over samples or batches."""
import threading

import numpy as np

from . import _core, losses, metrics as metrics_mod, optimizers
from ._validation import as_dtype, check_bool, check_float, check_int, check_targets, check_X
from .layers import Layer, Residual


def _with_children(layer):
    """A layer and, for a Residual, every layer inside it (depth first)."""
    inner = [c for child in layer.layers for c in _with_children(child)] if isinstance(layer, Residual) else []
    return [layer, *inner]


class Sequential:
    """A stack of layers trained as one network. `seed` (an int or a numpy Generator) fixes the
    initial weights, the shuffles and the noise of training: the same seed trains to bitwise the
    same weights for any thread count."""

    def __init__(self, layers=None, input_dim=None, seed=0, dtype="float32", name=None):
        self.layers = []
        # A Generator gives one draw: the model then has a fixed integer seed like any other.
        self.seed = int(seed.integers(2**63)) if isinstance(seed, np.random.Generator) else check_int(seed, "seed", 0)
        self.dtype = as_dtype(dtype)
        self.name = name or "sequential"
        self.input_dim = None if input_dim is None else check_int(input_dim, "input_dim", 1)
        self._net = None
        self.loss = self.optimizer = None
        self._metrics = []
        self._clip = (0.0, 0.0)
        self._epochs_done = 0  # keys each epoch's shuffle, so a second fit continues the sequence
        self.history = None
        self.stop_training = False
        # Held for a whole fit: the core refuses overlapping calls, but between them (callbacks,
        # validation) a second fit would interleave its steps with the first one's.
        self._fit_lock = threading.Lock()
        # A fastmlp.io.Preprocessing (feature names, scaler, class labels) saved with the model;
        # the command line sets it so that `fastmlp predict` takes raw rows.
        self.preprocessing = None
        for layer in layers or []:
            self.add(layer)

    # -- structure ---------------------------------------------------------------------------
    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"layers must be fastmlp.layers objects; got {layer!r}")
        if self._net is not None:
            raise RuntimeError("cannot add layers to a model that is already built")
        taken = [named.name for named in self._named_layers()]
        for new in _with_children(layer):
            if new.name is None:  # Keras-style: dense, dense_1, dense_2, ...
                count = 0
                while (candidate := new.kind if count == 0 else f"{new.kind}_{count}") in taken:
                    count += 1
                new.name = candidate
            elif new.name in taken:
                raise ValueError(f"layer names must be unique; {new.name!r} is used twice")
            taken.append(new.name)
        self.layers.append(layer)

    def _named_layers(self):
        return [named for layer in self.layers for named in _with_children(layer)]

    def _leaves(self):
        """The layers the core runs, in order."""
        return [leaf for layer in self.layers for leaf in layer.leaves()]

    @property
    def built(self):
        return self._net is not None

    def build(self, input_dim=None):
        """Create the weights (from each layer's initialiser and the model's seed). On a built
        model it changes nothing, as Keras' build."""
        if self._net is not None:
            if input_dim is not None and input_dim != self.input_dim:
                raise ValueError(f"the model is built for input_dim {self.input_dim}; got {input_dim}")
            return self
        if input_dim is not None:
            input_dim = check_int(input_dim, "input_dim", 1)
            if self.input_dim is not None and input_dim != self.input_dim:
                raise ValueError(f"input_dim is {self.input_dim}; cannot build with {input_dim}")
            self.input_dim = input_dim
        if self.input_dim is None:
            raise ValueError("the model has no weights yet: its input size is unknown; pass "
                             "input_dim to Sequential or call fit/predict first")
        if not any(layer.has_weights for layer in self.layers):
            raise ValueError("the model needs at least one layer with weights (Dense)")
        self.output_dim  # checks every residual block's width with a clear message
        core_class = _core.Network32 if self.dtype == np.float32 else _core.Network64
        specs = [spec for layer in self.layers for spec in layer._core_specs()]
        self._net = core_class(self.input_dim, specs, self.seed)
        views = iter(self._weight_views())
        fan_in = self.input_dim
        for index, leaf in enumerate(self._leaves()):
            leaf.initialize(views, fan_in, self.seed, index)
            fan_in = leaf.output_dim(fan_in)
        if self.loss is not None:
            self._configure_core()
        return self

    def _require_built(self):
        # Layers may be added until the weights are first needed; then the model builds.
        if self._net is None:
            self.build()

    def _checked_X(self, X, name="X"):
        """X validated and converted; builds the model from X's width on first use."""
        X = check_X(X, self.dtype, self.input_dim, name)
        if self._net is None:
            self.build(X.shape[1])
        return X

    def _weight_views(self, trainable_only=False, arena=None):
        """Views of every weight in get_weights order; with trainable_only, of the trainable ones
        in `arena` (the parameters, or the gradients that mirror them)."""
        arenas = {"params": self._net.params if arena is None else arena, "state": self._net.state}
        return [arenas[name][offset:offset + int(np.prod(shape))].reshape(shape)
                for name, offset, shape in self._net.layout()
                if not (trainable_only and name != "params")]

    @property
    def output_dim(self):
        width = self.input_dim
        for layer in self.layers:
            width = layer.output_dim(width)
        return width

    # -- weights -----------------------------------------------------------------------------
    def get_weights(self):
        """Copies, layer by layer: Dense [W (inputs, units), b (units,)], BatchNorm [gamma, beta,
        moving_mean, moving_var], LayerNorm [gamma, beta]."""
        self._require_built()
        return [w.copy() for w in self._weight_views()]

    def set_weights(self, weights):
        self._require_built()
        views = self._weight_views()
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
        self._metrics = [metrics_mod.get(m, self.loss) for m in (metrics or [])]
        self._clip = (0.0 if clip_norm is None else check_float(clip_norm, "clip_norm", 1e-300),
                      0.0 if clip_value is None else check_float(clip_value, "clip_value", 1e-300))
        if self._net is not None:
            self._configure_core()
        return self

    @property
    def _metric_names(self):
        return [m.name for m in self._metrics]

    def _configure_core(self):
        self._net.set_loss(self.loss.name, self.loss.from_logits)
        self._net.set_optimizer(**self.optimizer._core_args())
        self._net.set_clip(*self._clip)
        self._net.set_metrics([m._core_spec() for m in self._metrics], *metrics_mod.target_kind(self.loss))
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
    def fit(self, X, y, epochs=1, batch_size=32, shuffle=True, validation_split=0.0,
            validation_data=None, callbacks=None, verbose="auto", class_weight=None,
            sample_weight=None, initial_epoch=0, resume_from=None):
        """Train for epochs initial_epoch..epochs-1 over (X, y) in mini-batches of `batch_size`
        (ceil(n / batch_size) steps per epoch; full-batch gradient descent is batch_size=len(X),
        online SGD batch_size=1). A second fit continues from the current weights and optimizer
        state. verbose: 0 silent, 1 progress bar, 2 one line per epoch ("auto": 1 on a terminal,
        else 2). validation_split holds out the last fraction of X, as Keras. resume_from: a
        checkpoint of this architecture (model.save / ModelCheckpoint) whose weights, optimizer
        state and counters are restored first; training then continues from its epoch and ends
        where an uninterrupted run would. Raises fastmlp.DivergenceError when the loss or a
        gradient becomes non-finite (the weights before that step are kept). A second fit on
        this model before this one returns (another thread, a callback) raises RuntimeError.
        Returns a History, also kept on model.history."""
        from .trainer import Trainer

        self._require_compiled("fit")
        if not self._fit_lock.acquire(blocking=False):
            raise RuntimeError("this model is already being trained: fit() was called again (from "
                               "another thread or a callback) before the first fit returned; "
                               "train one model from one thread at a time")
        try:
            return Trainer(self).fit(X, y, epochs, batch_size, shuffle, validation_split,
                                     validation_data, callbacks, verbose, class_weight,
                                     sample_weight, initial_epoch, resume_from)
        finally:
            self._fit_lock.release()

    def train_on_batch(self, X, y):
        """One optimizer step on (X, y) as one batch; returns its loss before the step."""
        self._require_compiled("train_on_batch")
        X, y = self._xy(X, y)
        return float(self._net.train_on_batch(X, y))

    def compute_gradients(self, X, y):
        """Gradients of the mean loss (plus kernel penalties) over (X, y), one array per trainable
        weight in get_weights order (moving statistics left out), in training mode (dropout,
        noise and batch statistics as in fit). Changes no weight, moving statistics included."""
        self._require_compiled("compute_gradients")
        X, y = self._xy(X, y)
        self._net.compute_gradients(X, y)
        return [g.copy() for g in self._weight_views(trainable_only=True, arena=self._net.grads)]

    # -- inference ---------------------------------------------------------------------------
    def predict(self, X):
        """Outputs for X in inference mode, shape (samples, outputs), in the model's dtype;
        computed in chunks, so X may be larger than any batch."""
        X = self._checked_X(X)
        return self._net.predict(X, False)

    def __call__(self, X, training=False):
        """A forward pass that changes no weight; training=True applies the training-only layers
        (noise) as fit does."""
        X = self._checked_X(X)
        return self._net.predict(X, check_bool(training, "training"))

    def evaluate(self, X, y, sample_weight=None):
        """{"loss": mean loss + kernel penalties, and each compiled metric}, in inference mode."""
        from .trainer import sample_weights

        self._require_compiled("evaluate")
        X, y = self._xy(X, y)
        return self._evaluate_arrays(X, y, sample_weights(self, y, sample_weight, None))

    def _evaluate_arrays(self, X, y, weights=None):
        loss, values = self._net.evaluate(X, y, weights)
        return {"loss": float(loss), **{name: float(v) for name, v in zip(self._metric_names, values)}}

    # -- persistence -------------------------------------------------------------------------
    def save(self, path):
        """Write the architecture, compile settings, weights and optimizer state to `path`
        (atomically; see fastmlp.saving for the format)."""
        from .saving import save_model

        save_model(self, path)

    def __reduce__(self):
        from .saving import model_from_bytes, model_to_bytes

        return model_from_bytes, (model_to_bytes(self),)

    def summary(self, print_fn=print):
        """Layers, output shapes, weight counts (trainable and not) and the totals."""
        self._require_built()
        sizes = iter(int(np.prod(shape)) for _, _, shape in self._net.layout())
        rows = []

        def describe(layer, width, indent):
            out = layer.output_dim(width)
            act = getattr(layer, "activation", None)
            if isinstance(layer, Residual):
                rows.append((indent + layer.name, out, "", 0))
                for child in layer.layers:
                    width = describe(child, width, indent + "  ")
                return out
            count = {"dense": 2 if getattr(layer, "use_bias", False) else 1, "batch_norm": 4,
                     "layer_norm": 2}.get(layer.kind, 0)
            rows.append((indent + layer.name, out, act.name if act else "",
                         sum(next(sizes) for _ in range(count))))
            return out

        width = self.input_dim
        for layer in self.layers:
            width = describe(layer, width, "")
        trainable = self._net.params.size
        lines = [f'Model: "{self.name}"', f"{'Layer':<24}{'Output shape':<16}{'Activation':<12}{'Params':>10}"]
        lines += [f"{n:<24}{f'(None, {w})':<16}{a:<12}{c:>10,}" for n, w, a, c in rows]
        lines.append(f"Total params: {trainable + self._net.state.size:,} "
                     f"(trainable {trainable:,}, non-trainable {self._net.state.size:,})")
        print_fn("\n".join(lines))
