"""Element-wise activations and their derivatives.

ReLU     y = max(0, x)              dy/dx = 1 where x > 0, else 0 (torch's choice at x = 0)
Sigmoid  y = 1 / (1 + exp(-x))      dy/dx = y (1 - y)   (at most 1/4: stacked sigmoids shrink gradients)
Tanh     y = tanh(x)                dy/dx = 1 - y^2
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.scratch.base import Layer

__all__ = ["ReLU", "Sigmoid", "Tanh", "activation_layer", "ACTIVATIONS"]


class ReLU(Layer):
    def forward(self, x, train=True):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Sigmoid(Layer):
    def forward(self, x, train=True):
        # 1/(1+exp(-x)) overflows exp for x << 0; 0.5 (1 + tanh(x/2)) is the same function without it
        self.y = 0.5 * (1.0 + np.tanh(0.5 * x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)


class Tanh(Layer):
    def forward(self, x, train=True):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1.0 - self.y * self.y)


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def activation_layer(name: str, layer_name: str = "") -> Layer:
    if name not in ACTIVATIONS:
        raise CnnlabError(f"unknown activation {name!r}; the scratch networks know: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name](layer_name)
