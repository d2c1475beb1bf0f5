"""ResNets (He et al. 2016) and their plain twins.

CIFAR ResNets (paper section 4.2): a 3x3 conv of 16 filters, then three stages of n basic blocks with
16, 32 and 64 filters on 32x32, 16x16 and 8x8 maps, global average pooling and a linear layer:
depth 6n+2 (resnet20: n=3, resnet56: n=9). A block computes H(x) = F(x) + x with F two 3x3 convs;
where the width doubles and the map halves (stride 2) the shortcut subsamples and zero-pads the new
channels (option A, no parameters). `plain20`/`plain56` are the same networks without shortcuts, the
paper's evidence that deeper plain nets train worse (an optimisation problem, not overfitting).
resnet18 is the ImageNet layout [2, 2, 2, 2] x (64..512) with a 3x3 stem for small images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.models.registry import register_model

__all__ = ["BasicBlock", "ResNet"]


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, shortcut: str = "A"):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut_kind = shortcut
        self.downsample = None
        if shortcut == "B" and (stride != 1 or c_in != c_out):
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        self.stride, self.extra_channels = stride, c_out - c_in

    def _identity(self, x: torch.Tensor) -> torch.Tensor:
        if self.downsample is not None:
            return self.downsample(x)
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels:
            half = self.extra_channels // 2
            x = F.pad(x, (0, 0, 0, 0, half, self.extra_channels - half))  # option A: zero channels
        return x

    def forward(self, x):
        identity = self._identity(x) if self.shortcut_kind != "none" else None
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if identity is not None:
            out = out + identity
        return self.relu(out)


class ResNet(nn.Module):
    """3x3 stem -> stages of basic blocks (the first block of each later stage halves the map) -> pool -> linear."""

    def __init__(
        self, blocks_per_stage: int, widths: tuple[int, ...], in_channels: int, num_classes: int, shortcut: str = "A"
    ):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        blocks, width = [], widths[0]
        for i, w in enumerate(widths):
            for j in range(blocks_per_stage):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(BasicBlock(width, w, stride, shortcut))
                width = w
        self.stages = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes))
        _init(self)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


CIFAR_WIDTHS = (16, 32, 64)
IMAGENET_WIDTHS = (64, 128, 256, 512)


def _init(model: nn.Module) -> None:
    # He initialisation for ReLU networks, as in the paper
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


@register_model("resnet20")
def resnet20(in_shape, num_classes, shortcut: str = "A"):
    """CIFAR ResNet-20: 3 stages x 3 basic blocks (16/32/64 filters), 0.27M params (He et al. 2016)."""
    return ResNet(3, CIFAR_WIDTHS, in_shape[0], num_classes, shortcut)


@register_model("resnet56")
def resnet56(in_shape, num_classes, shortcut: str = "A"):
    """CIFAR ResNet-56: 3 stages x 9 basic blocks (16/32/64 filters), 0.85M params (He et al. 2016)."""
    return ResNet(9, CIFAR_WIDTHS, in_shape[0], num_classes, shortcut)


@register_model("plain20")
def plain20(in_shape, num_classes):
    """ResNet-20 without shortcuts: the 20-layer plain net of He et al. 2016, figure 6."""
    return ResNet(3, CIFAR_WIDTHS, in_shape[0], num_classes, "none")


@register_model("plain56")
def plain56(in_shape, num_classes):
    """ResNet-56 without shortcuts: the 56-layer plain net that trains worse than plain20."""
    return ResNet(9, CIFAR_WIDTHS, in_shape[0], num_classes, "none")


@register_model("resnet18")
def resnet18(in_shape, num_classes):
    """ResNet-18 ([2,2,2,2] basic blocks, 64-512 filters) with a 3x3 stem for 32x32 inputs, 11.2M params."""
    return ResNet(2, IMAGENET_WIDTHS, in_shape[0], num_classes, shortcut="B")
