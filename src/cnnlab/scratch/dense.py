"""Fully connected layers: Flatten and Affine (torch's nn.Linear)."""

from __future__ import annotations

import numpy as np

from cnnlab.scratch.base import Layer, expect_shape
from cnnlab.scratch.init import init_weight

__all__ = ["Flatten", "Affine"]


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W); backward reshapes dout back."""

    def forward(self, x, train=True):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.in_shape)


class Affine(Layer):
    """y = x W^T + b, with W of shape (out, in) as in nn.Linear.

    Backward: dL/dx = dout W,  dL/dW = dout^T x,  dL/db = sum_n dout[n].
    """

    def __init__(self, in_features: int, out_features: int, init="he", rng=None, dtype=np.float32, name="", bias=True):
        super().__init__(name)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.params["weight"] = init_weight((out_features, in_features), init, rng, dtype)
        if bias:
            self.params["bias"] = np.zeros(out_features, dtype=dtype)

    def forward(self, x, train=True):
        expect_shape(self, x, 2, 1, self.params["weight"].shape[1], "in_features")
        self.x = x
        y = x @ self.params["weight"].T
        return y + self.params["bias"] if "bias" in self.params else y

    def backward(self, dout):
        self.grads["weight"] = dout.T @ self.x
        if "bias" in self.params:
            self.grads["bias"] = dout.sum(axis=0)
        return dout @ self.params["weight"]
