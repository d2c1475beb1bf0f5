"""A ResNet-style fully convolutional network: field in, field out, on the input grid.

stem 3x3 conv -> `blocks` residual blocks H(x) = F(x) + x (two 3x3 convs with batch norm, He et al.
2016) at full resolution, the k-th with dilation `dilations[k % len]` so the receptive field
grows quickly without pooling -> 1x1 head to `num_classes` channels. Every 3x3 convolution pads through
GridPad (`padding_mode`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.models.padding import grid_conv
from cnnlab.models.registry import register_model

__all__ = ["FieldResNet"]


class ResidualBlock(nn.Module):
    def __init__(self, width: int, padding_mode: str, dilation: int):
        super().__init__()
        self.conv1 = grid_conv(width, width, 3, padding_mode, bias=False, dilation=dilation)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = grid_conv(width, width, 3, padding_mode, bias=False, dilation=dilation)
        self.bn2 = nn.BatchNorm2d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class FieldResNet(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 64,
        blocks: int = 6,
        padding_mode: str = "replicate",
        dilations: tuple[int, ...] = (1, 2, 4),
    ):
        super().__init__()
        self.stem = nn.Sequential(
            grid_conv(in_channels, width, 3, padding_mode, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        )
        self.blocks = nn.Sequential(
            *[ResidualBlock(width, padding_mode, dilations[k % len(dilations)]) for k in range(blocks)]
        )
        self.head = nn.Conv2d(width, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))  # (N, out_channels, H, W)


@register_model("fcn-resnet")
def fcn_resnet(
    in_shape, num_classes, width: int = 64, blocks: int = 6, padding_mode: str = "replicate", dilation: str = "1,2,4"
):
    """ResNet-style fully convolutional field-to-field net (dilated residual blocks, grid padding)."""
    dilations = (
        tuple(int(d) for d in str(dilation).split(",")) if not isinstance(dilation, (tuple, list)) else tuple(dilation)
    )
    return FieldResNet(in_shape[0], num_classes, int(width), int(blocks), padding_mode, dilations)
