"""Scratch twins of registered torch models, by registry name, with the same options.

`create_scratch_model("simple-convnet", (1, 28, 28), 10)` builds the NumPy network whose state_dict keys
and shapes equal those of `cnnlab.models.create_model("simple-convnet", (1, 28, 28), 10)`, so weights
move between the two through one safetensors file.
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.scratch.networks import DeepConvNet, MultiLayerNet, Network, SimpleConvNet, TwoLayerNet

__all__ = ["SCRATCH_MODELS", "create_scratch_model"]


def _two_layer_net(in_shape, num_classes, hidden=50, activation="relu", **common):
    return TwoLayerNet(
        math.prod(in_shape),
        int(hidden),
        num_classes,
        init="he" if activation == "relu" else "xavier",
        activation=activation,
        **common,
    )


def _mlp(in_shape, num_classes, hidden=(100,), activation="sigmoid", dropout=0.0, **common):
    hidden = (hidden,) if isinstance(hidden, int) else tuple(int(h) for h in hidden)
    return MultiLayerNet(math.prod(in_shape), hidden, num_classes, activation, dropout=float(dropout), **common)


def _simple_convnet(in_shape, num_classes, filters=30, kernel_size=5, hidden=100, **common):
    return SimpleConvNet(in_shape, int(filters), int(kernel_size), 0, int(hidden), num_classes, **common)


def _deep_convnet(in_shape, num_classes, hidden=50, dropout=0.5, **common):
    return DeepConvNet(in_shape, num_classes, int(hidden), float(dropout), **common)


SCRATCH_MODELS = {
    "two-layer-net": _two_layer_net,
    "mlp": _mlp,
    "simple-convnet": _simple_convnet,
    "deep-convnet": _deep_convnet,
}


def create_scratch_model(
    name: str,
    in_shape=(1, 28, 28),
    num_classes: int = 10,
    seed: int = 0,
    dtype=np.float32,
    weight_decay: float = 0.0,
    **options,
) -> Network:
    """The NumPy twin of the registered torch model `name` (options as the torch builder takes them)."""
    if name not in SCRATCH_MODELS:
        raise CnnlabError(f"the numpy engine has no model {name!r}; choose one of: {', '.join(SCRATCH_MODELS)}")
    try:
        return SCRATCH_MODELS[name](
            tuple(in_shape), num_classes, seed=seed, dtype=dtype, weight_decay=weight_decay, **options
        )
    except TypeError as error:
        raise CnnlabError(f"model {name!r} (numpy engine): {error}") from None
