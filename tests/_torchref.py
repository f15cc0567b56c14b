"""PyTorch mirror of a fastmlp network spec (see _reference.py) for parity tests.

torch is imported lazily so that importing this module never requires it."""
import numpy as np

from _reference import _parse, unpack


def _torch():
    import torch
    return torch


def _step_module():
    torch = _torch()

    class _StepFn(torch.autograd.Function):
        # Heaviside forward (step(0) = 0), straight-through backward
        @staticmethod
        def forward(ctx, z):
            return (z > 0).to(z.dtype)

        @staticmethod
        def backward(ctx, g):
            return g

    class Step(torch.nn.Module):
        def forward(self, z):
            return _StepFn.apply(z)

    return Step()


def torch_activation(name):
    torch = _torch()
    kind, alpha = _parse(name)
    return {
        "linear": lambda: torch.nn.Identity(),
        "sigmoid": lambda: torch.nn.Sigmoid(),
        "tanh": lambda: torch.nn.Tanh(),
        "relu": lambda: torch.nn.ReLU(),
        "leaky_relu": lambda: torch.nn.LeakyReLU(alpha),
        "softmax": lambda: torch.nn.Softmax(dim=1),
        "step": _step_module,
    }[kind]()


class TorchMLP:
    """nn.Sequential of Linear/activation pairs holding fastmlp's weights.
    fastmlp stores W as (in, out); nn.Linear.weight is (out, in), hence the .T."""

    def __init__(self, spec, weights, dtype="float64"):
        torch = _torch()
        self.spec = spec
        self.dtype = getattr(torch, dtype)
        mods, self.linears = [], []
        for l, (W, b) in zip(spec, unpack(spec, weights)):
            lin = torch.nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=self.dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T)))
                if b is not None:
                    lin.bias.copy_(torch.as_tensor(b))
            self.linears.append(lin)
            mods += [lin, torch_activation(l["act"])]
        self.net = torch.nn.Sequential(*mods)

    def parameters(self):
        return [p for lin in self.linears for p in ([lin.weight] + ([lin.bias] if lin.bias is not None else []))]

    def tensor(self, a):
        return _torch().as_tensor(np.asarray(a, dtype=np.float64)).to(self.dtype)

    def forward(self, X):
        """(pre-activation of the output layer, activated output)."""
        z = self.net[:-1](self.tensor(X))
        return z, self.net[-1](z)

    def penalty(self):
        p = 0.0
        for l, lin in zip(self.spec, self.linears):
            reg = l.get("reg")
            if reg is None:
                continue
            l1 = reg[1] if reg[0] in ("l1", "l1l2") else 0.0
            l2 = reg[1] if reg[0] == "l2" else (reg[2] if reg[0] == "l1l2" else 0.0)
            p = p + l1 * lin.weight.abs().sum() + l2 * (lin.weight ** 2).sum()
        return p

    def loss(self, loss, X, y):
        torch = _torch()
        F = torch.nn.functional
        z, a = self.forward(X)
        out_kind = _parse(self.spec[-1]["act"])[0]
        k = z.shape[1]
        if loss in ("scce", "scce_logits"):
            data = F.cross_entropy(z, torch.as_tensor(np.asarray(y), dtype=torch.long))
        else:
            t = self.tensor(y)
            if loss not in ("cce", "cce_logits"):
                t = t.reshape(-1, k)
            if loss == "mse":
                data = F.mse_loss(a, t)
            elif loss == "mae":
                data = F.l1_loss(a, t)
            elif loss == "bce_logits" or (loss == "bce" and out_kind == "sigmoid"):
                data = F.binary_cross_entropy_with_logits(z, t)
            elif loss == "bce":
                data = F.binary_cross_entropy(a, t)
            else:  # categorical CE with probability targets, on the logits
                data = F.cross_entropy(z, t)
        return data + self.penalty()

    def gradients(self, loss, X, y):
        for p in self.parameters():
            p.grad = None
        L = self.loss(loss, X, y)
        L.backward()
        return float(L.detach()), [self._np(p.grad, p) for p in self.parameters()]

    def weights(self):
        return [self._np(p.detach(), p) for p in self.parameters()]

    @staticmethod
    def _np(t, p):
        a = t.detach().cpu().numpy().copy()
        return a.T.copy() if p.dim() == 2 else a


def torch_optimizer(kind, hp, params):
    torch = _torch()
    lr = hp.get("lr", 1e-3 if kind in ("adam", "adamw") else 0.01)
    wd = hp.get("weight_decay", 0.01 if kind == "adamw" else 0.0)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=hp.get("momentum", 0.0),
                               nesterov=hp.get("nesterov", False), weight_decay=wd, dampening=0)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=hp.get("eps", 1e-10), weight_decay=wd,
                                   lr_decay=0, initial_accumulator_value=0)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=hp.get("rho", 0.99), eps=hp.get("eps", 1e-8),
                                   momentum=hp.get("momentum", 0.0), weight_decay=wd, centered=False)
    betas = (hp.get("beta1", 0.9), hp.get("beta2", 0.999))
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(params, lr=lr, betas=betas, eps=hp.get("eps", 1e-8), weight_decay=wd)
