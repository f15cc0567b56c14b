"""One trainer per library for a BenchConfig.

Each factory builds the model, the optimizer and the targets in the library's own layout up front
and returns ``train(epochs)``, which runs exactly that many shuffled mini-batch epochs over the
config's rows and nothing else, so a timer around it sees training only. A factory raises
Unsupported when its library cannot express the config and ImportError when the library is
absent.
"""
import warnings

import numpy as np


class Unsupported(Exception):
    """The library cannot express this configuration (the message says why)."""


def fastmlp_model(config, seed=0):
    import fastmlp as fm

    extras = {"batch_norm": lambda: fm.layers.BatchNorm(momentum=0.99, eps=1e-3),
              "dropout": lambda: fm.layers.Dropout(0.2)}
    layers = []
    for i, (units, act) in enumerate(zip(config.layer_sizes[1:], config.activations)):
        layers.append(fm.layers.Dense(units, activation=act))
        if i < len(config.activations) - 1:
            layers += [extras[name]() for name in config.hidden_extras]
    model = fm.Sequential(layers, input_dim=config.layer_sizes[0], seed=seed, dtype="float32")
    if config.optimizer == "adam":
        optimizer = fm.optimizers.Adam(lr=config.lr)
    else:
        optimizer = fm.optimizers.SGD(lr=config.lr, momentum=config.momentum)
    model.compile(optimizer=optimizer, loss=config.loss)
    return model


def fastmlp_trainer(config, X, y, seed=0):
    model = fastmlp_model(config, seed)
    # Targets in the exact layout fit() uses, so it converts nothing while timed.
    targets = y if config.loss == "sparse_categorical_crossentropy" else y.astype(np.float32).reshape(-1, 1)

    def train(epochs):
        model.fit(X, targets, epochs=epochs, batch_size=config.batch_size, shuffle=True, verbose=0)

    return train


def torch_trainer(config, X, y, seed=0):
    import torch

    torch.manual_seed(seed)
    activation_modules = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
                          "linear": torch.nn.Identity, "softmax": lambda: torch.nn.Softmax(dim=1)}
    # torch's BatchNorm momentum weighs the new batch: Keras' 0.99 is torch's 0.01.
    extras = {"batch_norm": lambda units: torch.nn.BatchNorm1d(units, eps=1e-3, momentum=0.01),
              "dropout": lambda units: torch.nn.Dropout(0.2)}
    modules = []
    for i, (fan_in, units, act) in enumerate(zip(config.layer_sizes, config.layer_sizes[1:], config.activations)):
        if act not in activation_modules:
            raise Unsupported(f"no torch module mapped for activation {act!r}")
        modules += [torch.nn.Linear(fan_in, units), activation_modules[act]()]
        if i < len(config.activations) - 1:
            modules += [extras[name](units) for name in config.hidden_extras]

    # PyTorch's idiom for softmax + CE and sigmoid + BCE is a loss that takes logits, which is
    # also what fastmlp computes internally, so the last activation moves into the loss.
    output_act = config.activations[-1]
    if config.loss == "sparse_categorical_crossentropy" and output_act == "softmax":
        modules.pop()
        loss_fn, targets = torch.nn.CrossEntropyLoss(), torch.from_numpy(y)
    elif config.loss == "binary_crossentropy" and output_act == "sigmoid":
        modules.pop()
        loss_fn = torch.nn.BCEWithLogitsLoss()
        targets = torch.from_numpy(y.astype(np.float32).reshape(-1, 1))
    elif config.loss == "mse":
        loss_fn, targets = torch.nn.MSELoss(), torch.from_numpy(y.astype(np.float32).reshape(-1, 1))
    else:
        raise Unsupported(f"no torch loss mapped for {config.loss} after {output_act}")
    model = torch.nn.Sequential(*modules)

    # fused=True: torch's fastest CPU implementation of the same update rule.
    if config.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, fused=True)

    inputs = torch.from_numpy(X)  # shares the float32 array: no copy
    n, batch = len(X), config.batch_size
    generator = torch.Generator().manual_seed(seed)

    def train(epochs):
        for _ in range(epochs):
            # One gather per epoch, then contiguous batch slices (views).
            order = torch.randperm(n, generator=generator)
            X_epoch, y_epoch = inputs[order], targets[order]
            for start in range(0, n, batch):
                optimizer.zero_grad()
                loss = loss_fn(model(X_epoch[start:start + batch]), y_epoch[start:start + batch])
                loss.backward()
                optimizer.step()

    return train


_SKLEARN_ACTIVATIONS = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh", "linear": "identity"}

# Where scikit-learn trains a slightly different model than the other two: shown with the results.
SKLEARN_CAVEATS = {
    "mse": "MLPRegressor always has an identity output and minimises squared error / 2; "
           "fastmlp and PyTorch apply the config's output activation before the MSE.",
}


def sklearn_trainer(config, X, y, seed=0):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if config.hidden_extras:
        raise Unsupported("scikit-learn's MLP has no batch normalisation or dropout")
    hidden_acts = set(config.activations[:-1])
    if len(hidden_acts) != 1 or not hidden_acts <= _SKLEARN_ACTIVATIONS.keys():
        raise Unsupported("scikit-learn needs one hidden activation among relu/sigmoid/tanh/linear")
    if config.optimizer not in ("sgd", "adam"):
        raise Unsupported(f"scikit-learn has no {config.optimizer} solver")
    output_act, outputs = config.activations[-1], config.layer_sizes[-1]
    if config.loss == "sparse_categorical_crossentropy" and output_act == "softmax":
        estimator_class = MLPClassifier  # softmax output + log-loss for > 2 classes
    elif config.loss == "binary_crossentropy" and output_act == "sigmoid" and outputs == 1:
        estimator_class = MLPClassifier  # logistic output + log-loss for 2 classes
    elif config.loss == "mse":
        estimator_class = MLPRegressor
    else:
        raise Unsupported(f"scikit-learn has no {config.loss} after a {output_act} output")

    estimator = estimator_class(
        hidden_layer_sizes=config.layer_sizes[1:-1], activation=_SKLEARN_ACTIVATIONS[hidden_acts.pop()],
        solver=config.optimizer, alpha=0.0, batch_size=config.batch_size,
        learning_rate="constant", learning_rate_init=config.lr,
        momentum=config.momentum, nesterovs_momentum=False,
        shuffle=True, random_state=seed, tol=0.0, early_stopping=False,
        # Each fit() continues from the previous weights: initialisation stays out of the timing.
        warm_start=True)
    targets = y if config.is_classification else y.astype(np.float32)

    def train(epochs):
        # n_iter_no_change = epochs: the no-improvement counter can never exceed it, so every fit
        # runs exactly `epochs` epochs.
        estimator.set_params(max_iter=epochs, n_iter_no_change=epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, targets)

    return train


def set_threads(threads, libraries=("fastmlp", "torch", "sklearn")):
    """The same thread count for each of `libraries` (no other is imported); returns the limiter
    that holds BLAS to it (scikit-learn's matrix products run in NumPy's BLAS)."""
    from threadpoolctl import threadpool_limits

    if "fastmlp" in libraries:
        import fastmlp
        fastmlp.set_num_threads(threads)
    if "torch" in libraries:
        try:
            import torch
            torch.set_num_threads(threads)
        except ImportError:
            pass
    return threadpool_limits(limits=threads, user_api="blas")


TRAINERS = {"fastmlp": fastmlp_trainer, "torch": torch_trainer, "sklearn": sklearn_trainer}
