"""GoogLeNet / Inception v1 (Szegedy et al. 2014), the CIFAR-sized variant.

An Inception block runs four branches on the same input and concatenates their outputs along the
channels: a 1x1 convolution; a 1x1 reduction then a 3x3; a 1x1 reduction then a 5x5; a 3x3 max pool
(stride 1) then a 1x1 projection. The 1x1 reductions are what make the 3x3 and 5x5 branches cheap:
a 5x5 on 192 channels costs 25*192 multiply-adds per output, after a reduction to 16 channels 25*16.

The CIFAR variant (as in the common pytorch-cifar code) replaces the ImageNet stem (7x7 stride 2 and
two pools) by one 3x3 convolution to 192 channels and keeps the paper's nine blocks 3a..5b with their
channel counts, two 3x3 stride-2 max pools between the stages, global average pooling and one linear
layer. Every convolution is followed by batch norm and ReLU. `width` scales all channel counts.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.models.blocks import conv_bn_relu
from cnnlab.models.registry import register_model

__all__ = ["Inception", "GoogLeNet", "BLOCKS"]

# name: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection), the paper's table 1
BLOCKS = {
    "inception3a": (64, 96, 128, 16, 32, 32),
    "inception3b": (128, 128, 192, 32, 96, 64),
    "inception4a": (192, 96, 208, 16, 48, 64),
    "inception4b": (160, 112, 224, 24, 64, 64),
    "inception4c": (128, 128, 256, 24, 64, 64),
    "inception4d": (112, 144, 288, 32, 64, 64),
    "inception4e": (256, 160, 320, 32, 128, 128),
    "inception5a": (256, 160, 320, 32, 128, 128),
    "inception5b": (384, 192, 384, 48, 128, 128),
}
POOL_AFTER = ("inception3b", "inception4e")


class Inception(nn.Module):
    """Four parallel branches concatenated: out channels = c1 + c3 + c5 + pool_proj."""

    def __init__(self, c_in: int, c1: int, r3: int, c3: int, r5: int, c5: int, pool_proj: int):
        super().__init__()
        self.branch1x1 = conv_bn_relu(c_in, c1, 1)
        self.branch3x3 = nn.Sequential(conv_bn_relu(c_in, r3, 1), conv_bn_relu(r3, c3, 3))
        self.branch5x5 = nn.Sequential(conv_bn_relu(c_in, r5, 1), conv_bn_relu(r5, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv_bn_relu(c_in, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x):
        branches = [self.branch1x1(x), self.branch3x3(x), self.branch5x5(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)  # (N, c1 + c3 + c5 + pool_proj, H, W)


class GoogLeNet(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, width: float = 1.0):
        super().__init__()
        scale = lambda c: max(1, round(c * width))  # noqa: E731
        self.stem = conv_bn_relu(in_channels, scale(192), 3)
        channels = scale(192)
        stages: list[tuple[str, nn.Module]] = []
        for name, sizes in BLOCKS.items():
            block = Inception(channels, *(scale(c) for c in sizes))
            stages.append((name, block))
            channels = block.out_channels
            if name in POOL_AFTER:
                stages.append((f"pool_{name[-2]}", nn.MaxPool2d(3, stride=2, padding=1)))  # halves H and W
        self.blocks = nn.Sequential(OrderedDict(stages))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x):
        return self.classifier(self.pool(self.blocks(self.stem(x))))


@register_model("googlenet")
def googlenet(in_shape, num_classes, width: float = 1.0):
    """GoogLeNet (Inception v1) for 32x32/28x28: 3x3 stem, nine Inception blocks (1x1/3x3/5x5/pool branches), GAP."""
    if not float(width) > 0:
        raise CnnlabError(f"googlenet width must be a positive scale of the channel counts, got {width}")
    return GoogLeNet(in_shape[0], num_classes, float(width))
