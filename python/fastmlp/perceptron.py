"""Rosenblatt's perceptron on the engine: one step unit, online updates in sample order.

With the step activation's straight-through backward pass and the MAE loss, one SGD step on a
single sample (x, y) changes the weights by lr * sign(y - step(x.w + b)) * x, which for 0/1
targets is the perceptron rule w += lr * (y - y_hat) * x."""
import numpy as np

from ._validation import check_float, check_int, check_X
from .layers import Dense
from .model import Sequential
from .optimizers import SGD


class Perceptron:
    def __init__(self, lr=0.2, epochs=50):
        self.lr = lr
        self.epochs = epochs

    def fit(self, X, y):
        lr = check_float(self.lr, "lr")
        epochs = check_int(self.epochs, "epochs", 0)
        X = check_X(X, np.float64)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must be a 1-D array of {X.shape[0]} labels; got shape {y.shape}")
        self.classes_ = np.unique(y)
        if len(self.classes_) > 2:
            raise ValueError(f"Perceptron separates two classes; y has {len(self.classes_)}: {self.classes_}")
        targets = (y == self.classes_[-1]).astype(np.float64) if len(self.classes_) == 2 else np.zeros(len(y))
        self._model = Sequential([Dense(1, activation="step", kernel_init="zeros")],
                                 input_dim=X.shape[1], dtype="float64")
        self._model.compile(optimizer=SGD(lr=lr), loss="mae")
        self._model.fit(X, targets, epochs=epochs, batch_size=1, shuffle=False, verbose=0)
        W, b = self._model.get_weights()
        self.coef_, self.intercept_ = W.T, b
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        if not hasattr(self, "coef_"):
            raise RuntimeError("call fit before predict")
        step = self._model.predict(X)[:, 0] > 0.5
        return self.classes_[step.astype(int)] if len(self.classes_) == 2 else np.full(len(step), self.classes_[0])

    def score(self, X, y):
        return float(np.mean(self.predict(X) == np.asarray(y)))
