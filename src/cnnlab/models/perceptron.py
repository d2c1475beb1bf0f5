"""Fully connected networks on flattened images: the single-layer perceptron and MLPs.

Flattening throws away which pixel is next to which; these models are the baseline that shows why
convolution helps (784->10 has 7,840 weights; a 5x5 conv layer of 64 filters has 1,600).
"""

from __future__ import annotations

import math

from torch import nn

from cnnlab.models.blocks import activation
from cnnlab.models.registry import register_model

__all__ = ["MLP"]


class MLP(nn.Module):
    """Flatten -> [Linear -> activation] * len(hidden) -> Linear (logits; softmax lives in the loss)."""

    def __init__(
        self, in_features: int, hidden: tuple[int, ...], num_classes: int, act: str = "relu", dropout: float = 0.0
    ):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden:
            layers += [nn.Linear(width, size), activation(act)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


@register_model("slp")
def slp(in_shape, num_classes):
    """Single-layer perceptron: flatten -> linear -> softmax (784->10 on MNIST)."""
    return MLP(math.prod(in_shape), (), num_classes)


# Sigmoid units saturate slowly out of their linear range: at the CNNs' 2e-3 the 784-100-10 net ends 6
# epochs at ~96.4% on MNIST, at 1e-2 at ~97.4% (both engines, measured).
@register_model("mlp", lr=1e-2)
def mlp(in_shape, num_classes, hidden: tuple = (100,), activation: str = "sigmoid", dropout: float = 0.0):
    """MLP with sigmoid hidden layer 784-100-10 by default; hidden sizes/activation are options."""
    return MLP(math.prod(in_shape), tuple(hidden), num_classes, activation, dropout)


@register_model("mlp-cifar")
def mlp_cifar(in_shape, num_classes, dropout: float = 0.0):
    """CIFAR-10 MLP of the PyTorch lecture: 3072 inputs, 5 hidden layers of 100 ReLU units (48.82% in the lecture)."""
    return MLP(math.prod(in_shape), (100,) * 5, num_classes, "relu", dropout)
