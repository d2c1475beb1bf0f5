"""Batch normalisation and dropout: layers that act differently in training and in evaluation.

BatchNorm (Ioffe & Szegedy 2015) over the batch (and, for 2-D, the spatial positions) of each channel:

    train:  mu, var = mean and biased variance over the batch     xhat = (x - mu) / sqrt(var + eps)
            y = gamma xhat + beta
            running = (1 - momentum) running + momentum stat       (torch: the unbiased variance, M/(M-1) var)
    eval:   xhat uses the running mean and variance
    backward (M values per channel, sigma = sqrt(var + eps)):
            dgamma = sum dy xhat,  dbeta = sum dy
            dx = gamma / sigma (dy - mean(dy) - xhat mean(dy xhat))

Dropout (inverted): in training each unit is kept with probability 1 - p and scaled by 1/(1 - p), so the
expected activation is unchanged and evaluation needs no rescaling; in evaluation it is the identity.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.scratch.base import Layer, expect_shape

__all__ = ["BatchNorm", "Dropout"]


class BatchNorm(Layer):
    """nn.BatchNorm1d on (N, C) when spatial=False, nn.BatchNorm2d on (N, C, H, W) when spatial=True."""

    def __init__(
        self, channels: int, spatial: bool = False, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float32, name=""
    ):
        super().__init__(name)
        self.spatial, self.momentum, self.eps = spatial, momentum, eps
        self.params["weight"] = np.ones(channels, dtype=dtype)  # gamma
        self.params["bias"] = np.zeros(channels, dtype=dtype)  # beta
        self.buffers["running_mean"] = np.zeros(channels, dtype=dtype)
        self.buffers["running_var"] = np.ones(channels, dtype=dtype)
        self.buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)

    def _shape(self, x):
        ndim = 4 if self.spatial else 2
        expect_shape(self, x, ndim, 1, self.params["weight"].shape[0], "channels")
        axes = (0, 2, 3) if self.spatial else (0,)
        return axes, (1, -1, 1, 1) if self.spatial else (1, -1)

    def forward(self, x, train=True):
        axes, shape = self._shape(x)
        if train:
            mu = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = x.size // x.shape[1]
            if m < 2:
                raise CnnlabError(
                    f"layer {self.name} (BatchNorm) needs more than one value per channel in training; "
                    "use a batch of 2 or more"
                )
            self.buffers["running_mean"] = (
                (1 - self.momentum) * self.buffers["running_mean"] + self.momentum * mu
            ).astype(x.dtype)
            self.buffers["running_var"] = (
                (1 - self.momentum) * self.buffers["running_var"] + self.momentum * var * m / (m - 1)
            ).astype(x.dtype)
            self.buffers["num_batches_tracked"] = self.buffers["num_batches_tracked"] + 1
        else:
            mu, var = self.buffers["running_mean"], self.buffers["running_var"]
        self.inv_sigma = (1.0 / np.sqrt(var + self.eps)).reshape(shape)
        self.xhat = (x - mu.reshape(shape)) * self.inv_sigma
        self.axes, self.shape = axes, shape
        return self.params["weight"].reshape(shape) * self.xhat + self.params["bias"].reshape(shape)

    def backward(self, dout):
        axes, shape = self.axes, self.shape
        self.grads["weight"] = (dout * self.xhat).sum(axis=axes)
        self.grads["bias"] = dout.sum(axis=axes)
        mean_d = dout.mean(axis=axes).reshape(shape)
        mean_dx = (dout * self.xhat).mean(axis=axes).reshape(shape)
        return self.params["weight"].reshape(shape) * self.inv_sigma * (dout - mean_d - self.xhat * mean_dx)


class Dropout(Layer):
    """y = x * mask / (1 - p) in training (mask ~ Bernoulli(1 - p)), y = x in evaluation."""

    def __init__(self, p: float = 0.5, rng=None, name=""):
        super().__init__(name)
        if not 0 <= p < 1:
            raise CnnlabError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def forward(self, x, train=True):
        if not train or self.p == 0:
            self.scale = None
            return x
        self.scale = (self.rng.random(x.shape, dtype=np.float32) >= self.p).astype(x.dtype) / (1 - self.p)
        return x * self.scale

    def backward(self, dout):
        return dout if self.scale is None else dout * self.scale
