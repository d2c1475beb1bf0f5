"""Torch twins of the from-scratch networks of cnnlab.scratch: same layers, same parameter
names and shapes, so a checkpoint trained by either engine loads into the other.

  two-layer-net   flatten -> fc1 -> ReLU -> fc2                              (784-50-10)
  simple-convnet  conv1 5x5x30 -> ReLU -> maxpool 2 -> fc1 100 -> ReLU -> fc2  (1x28x28 -> 30x24x24 -> 30x12x12)
  deep-convnet    [conv3x3 16, 16, pool, 32, 32, pool, 64, 64, pool] -> fc 50 -> ReLU -> dropout 0.5 -> fc
"""

from __future__ import annotations

import math

from torch import nn

from cnnlab.conv.arithmetic import window_count
from cnnlab.errors import CnnlabError
from cnnlab.models.blocks import activation as make_activation
from cnnlab.models.registry import register_model

__all__ = ["TwoLayerNet", "SimpleConvNet", "DeepConvNet"]


class TwoLayerNet(nn.Module):
    def __init__(self, in_features: int, hidden: int, num_classes: int, act: str = "relu"):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act = make_activation(act)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.flatten(x))))


class SimpleConvNet(nn.Module):
    def __init__(self, in_shape, num_classes: int, filters: int = 30, kernel_size: int = 5, hidden: int = 100):
        super().__init__()
        c, h, w = in_shape
        oh, ow = window_count(h, kernel_size), window_count(w, kernel_size)
        if oh < 2 or ow < 2:
            raise CnnlabError(
                f"simple-convnet: a {kernel_size}x{kernel_size} kernel leaves {oh}x{ow} of a {h}x{w} input; "
                "use a larger input"
            )
        self.conv1 = nn.Conv2d(c, filters, kernel_size)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(filters * window_count(oh, 2, 2) * window_count(ow, 2, 2), hidden)
        self.relu2 = nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.pool(self.relu1(self.conv1(x)))  # (N, filters, OH/2, OW/2)
        return self.fc2(self.relu2(self.fc1(self.flatten(x))))


class DeepConvNet(nn.Module):
    def __init__(
        self,
        in_shape,
        num_classes: int,
        hidden: int = 50,
        dropout: float = 0.5,
        layout=(16, 16, "M", 32, 32, "M", 64, 64, "M"),
    ):
        super().__init__()
        c, h, w = in_shape
        layers: list[nn.Module] = []
        for item in layout:
            if item == "M":
                if h < 2 or w < 2:
                    raise CnnlabError(
                        f"deep-convnet: a {c}x{h}x{w} feature map is too small for another 2x2 pool; use a larger input"
                    )
                layers.append(nn.MaxPool2d(2))
                h, w = window_count(h, 2, 2), window_count(w, 2, 2)
            else:
                layers += [nn.Conv2d(c, item, 3, padding=1), nn.ReLU()]
                c = item
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = [nn.Flatten(), nn.Linear(c * h * w, hidden), nn.ReLU()]
        if dropout:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(hidden, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model("two-layer-net")
def two_layer_net(in_shape, num_classes, hidden: int = 50, activation: str = "relu"):
    """TwoLayerNet of the scratch lectures: flatten -> fc1 (50) -> ReLU -> fc2; twin of cnnlab.scratch.TwoLayerNet."""
    return TwoLayerNet(math.prod(in_shape), int(hidden), num_classes, activation)


@register_model("simple-convnet")
def simple_convnet(in_shape, num_classes, filters: int = 30, kernel_size: int = 5, hidden: int = 100):
    """SimpleConvNet: conv5x5x30 -> ReLU -> maxpool2 -> fc100 -> ReLU -> fc; twin of cnnlab.scratch.SimpleConvNet."""
    return SimpleConvNet(in_shape, num_classes, int(filters), int(kernel_size), int(hidden))


@register_model("deep-convnet")
def deep_convnet(in_shape, num_classes, hidden: int = 50, dropout: float = 0.5):
    """DeepConvNet: six conv3x3 (16-16-32-32-64-64), 3 max pools, fc50, dropout; twin of cnnlab.scratch.DeepConvNet."""
    return DeepConvNet(in_shape, num_classes, int(hidden), float(dropout))
