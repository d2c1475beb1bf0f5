"""The Layer interface every scratch layer follows, and the shape check they share.

    y = layer.forward(x, train)      # keeps what backward needs
    dx = layer.backward(dout)        # dout = dL/dy; fills layer.grads (dL/dparam) and returns dL/dx

Parameters and buffers are named as torch names them (weight, bias, running_mean, running_var), and
weights keep torch's layout, so a layer's state is a torch state_dict entry without any reshaping.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["Layer", "expect_shape"]


class Layer:
    """A layer with forward/backward; `params`, `grads` and `buffers` are dicts of arrays (maybe empty)."""

    def __init__(self, name: str = ""):
        self.name = name or type(self).__name__
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        return self.forward(x, train)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({self.name}{': ' + shapes if shapes else ''})"


def expect_shape(layer: Layer, x: np.ndarray, ndim: int, axis: int, size: int, what: str) -> None:
    """Raise a CnnlabError that names the layer when x is not (.., size at `axis`, ..) of rank ndim."""
    if x.ndim != ndim or x.shape[axis] != size:
        raise CnnlabError(
            f"layer {layer.name} ({type(layer).__name__}) expects {what} = {size} on axis {axis} of a {ndim}-D input, "
            f"got an input of shape {tuple(x.shape)}; the previous layer's output does not fit this layer"
        )
