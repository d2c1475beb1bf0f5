"""The Keras MNIST CNN of the Keras lecture, layer for layer, named as Keras names them.

Keras folds the ReLU into Conv2D(..., activation="relu") and Dense(..., activation="relu"), so its
summary has 8 rows; the layers here do the same so `cnnlab summary keras-cnn --input 1x28x28` prints
the lecture's table: 320 / 18,496 / 36,928 / 36,928 / 650 parameters, 93,322 in total.
"""

from __future__ import annotations

from collections import OrderedDict

import torch.nn.functional as F
from torch import nn

from cnnlab.conv.arithmetic import stack_output_size
from cnnlab.models.registry import register_model

__all__ = ["Conv2dReLU", "LinearReLU"]


class Conv2dReLU(nn.Conv2d):
    """Conv2d followed by ReLU in one layer, like Keras' Conv2D(activation='relu')."""

    def forward(self, x):
        return F.relu(super().forward(x))


class LinearReLU(nn.Linear):
    """Linear followed by ReLU in one layer, like Keras' Dense(activation='relu')."""

    def forward(self, x):
        return F.relu(super().forward(x))


@register_model("keras-cnn")
def keras_cnn(in_shape, num_classes, dropout: float = 0.0):
    """Keras MNIST CNN: conv32-pool-conv64-pool-conv64-flatten-dense64-dense10, 93,322 params."""
    c, h, w = in_shape
    side_h, side_w = (stack_output_size(n, [3, (2, 2), 3, (2, 2), 3]) for n in (h, w))  # 3x3 for 28x28
    layers = OrderedDict(
        conv2d=Conv2dReLU(c, 32, 3),
        max_pooling2d=nn.MaxPool2d(2),
        conv2d_1=Conv2dReLU(32, 64, 3),
        max_pooling2d_1=nn.MaxPool2d(2),
        conv2d_2=Conv2dReLU(64, 64, 3),
        flatten=nn.Flatten(),
    )
    if dropout:
        layers["dropout"] = nn.Dropout(dropout)
    layers["dense"] = LinearReLU(64 * max(side_h, 1) * max(side_w, 1), 64)
    layers["dense_1"] = nn.Linear(64, num_classes)
    return nn.Sequential(layers)
