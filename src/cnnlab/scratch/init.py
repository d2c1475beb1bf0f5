"""Weight initialisation: the scale of the first weights decides whether signals survive many layers.

    std     w ~ N(0, 0.01^2)                 small and fixed: activations shrink layer after layer
    xavier  w ~ N(0, 1/fan_in)               keeps the variance through sigmoid/tanh (Glorot & Bengio 2010,
                                             in the fan-in form the lectures use)
    he      w ~ N(0, 2/fan_in)               ReLU zeroes half the signal, so twice the variance (He et al. 2015)

fan_in is the number of inputs of one output unit: in_features for Affine, C*KH*KW for Conv2d.
Biases start at zero.
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["INITS", "init_std", "init_weight"]

INITS = ("std", "xavier", "he")


def init_std(init: str | float, fan_in: int) -> float:
    """The standard deviation of the first weights: a number is used as is, a name as in the table above."""
    if isinstance(init, (int, float)) and not isinstance(init, bool):
        return float(init)
    if init == "std":
        return 0.01
    if init == "xavier":
        return math.sqrt(1.0 / fan_in)
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    raise CnnlabError(f"unknown weight init {init!r}; choose one of: {', '.join(INITS)} or a standard deviation")


def init_weight(shape: tuple[int, ...], init: str | float, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Normal weights of `shape` (torch layout: output axis first, fan_in = the product of the rest)."""
    fan_in = int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) * init_std(init, fan_in)).astype(dtype)
