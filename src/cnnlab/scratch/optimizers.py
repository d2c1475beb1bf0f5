"""Optimisers in torch.optim's form (so one step gives torch's new weights), updating arrays in place.

For parameter p with gradient g (weight decay already added to g by the network: g += lambda p):

    SGD       p -= lr g
    Momentum  v = mu v + g;                  p -= lr v                     (torch's SGD(momentum))
    Nesterov  v = mu v + g;                  p -= lr (g + mu v)            (torch's SGD(nesterov=True))
    AdaGrad   h += g^2;                      p -= lr g / (sqrt(h) + eps)   eps = 1e-10 (torch)
    RMSprop   h = a h + (1 - a) g^2;         p -= lr g / (sqrt(h) + eps)   a = 0.99, eps = 1e-8 (torch)
    Adam      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
              p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)     b1, b2 = 0.9, 0.999, eps = 1e-8

Where the lecture code ("Deep Learning from Scratch") differs: its Momentum keeps v = mu v - lr g and
adds v (the same steps while lr is constant, different once a schedule changes lr); its AdaGrad and
RMSprop add eps = 1e-7 instead of 1e-10 / 1e-8; its Adam folds the bias corrections into the step size,
lr sqrt(1 - b2^t) / (1 - b1^t), and adds eps = 1e-7 to sqrt(v) before that correction.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "SCRATCH_OPTIMIZERS",
    "build_scratch_optimizer",
]


class Optimizer:
    """step(params, grads) updates every array of `params` in place from the array of the same key in `grads`."""

    def __init__(self, lr: float):
        if not lr > 0:
            raise CnnlabError(f"the learning rate must be > 0, got {lr}")
        self.lr = lr
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def state_dict(self) -> dict:
        """The learning rate and every parameter's state (velocity, moments, step count), copied."""
        return {
            "lr": self.lr,
            "state": {
                k: {n: (v.copy() if isinstance(v, np.ndarray) else v) for n, v in s.items()}
                for k, s in self.state.items()
            },
        }

    def load_state_dict(self, state: dict) -> None:
        self.lr = float(state["lr"])
        self.state = {
            k: {n: (np.array(v) if not isinstance(v, int) else v) for n, v in s.items()}
            for k, s in state["state"].items()
        }

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key, p in params.items():
            self._update(p, grads[key].astype(p.dtype, copy=False), self.state.setdefault(key, {}))

    def _update(self, p, g, state) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    def _update(self, p, g, state):
        p -= self.lr * g


class Momentum(Optimizer):
    def __init__(self, lr: float, momentum: float = 0.9):
        super().__init__(lr)
        self.momentum = momentum

    def _update(self, p, g, state):
        # torch starts the buffer at the first gradient (v = g), which equals mu * 0 + g
        v = state.setdefault("v", np.zeros_like(p))
        v *= self.momentum
        v += g
        p -= self.lr * v


class Nesterov(Momentum):
    def _update(self, p, g, state):
        v = state.setdefault("v", np.zeros_like(p))
        v *= self.momentum
        v += g
        p -= self.lr * (g + self.momentum * v)


class AdaGrad(Optimizer):
    def __init__(self, lr: float, eps: float = 1e-10):
        super().__init__(lr)
        self.eps = eps

    def _update(self, p, g, state):
        h = state.setdefault("h", np.zeros_like(p))
        h += g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(lr)
        self.alpha, self.eps = alpha, eps

    def _update(self, p, g, state):
        h = state.setdefault("h", np.zeros_like(p))
        h *= self.alpha
        h += (1 - self.alpha) * g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _update(self, p, g, state):
        m = state.setdefault("m", np.zeros_like(p))
        v = state.setdefault("v", np.zeros_like(p))
        t = state["t"] = state.get("t", 0) + 1
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


SCRATCH_OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def build_scratch_optimizer(name: str, lr: float, momentum: float = 0.9) -> Optimizer:
    if name not in SCRATCH_OPTIMIZERS:
        raise CnnlabError(f"the numpy engine has no optimizer {name!r}; choose one of: {', '.join(SCRATCH_OPTIMIZERS)}")
    cls = SCRATCH_OPTIMIZERS[name]
    return cls(lr, momentum) if name in ("momentum", "nesterov") else cls(lr)
