"""Lecture C's practice network: a U-Net used as an image classifier (CIFAR-10, MNIST).

Every convolution is 5x5 with stride 1 and padding 2, so it keeps the grid size. The encoder halves
the grid `depth` times with 2x2 max pools while doubling the channels; the decoder upsamples with
transposed convolutions by the lecture's rule, "to upsample N times use kernel 2N, stride N, padding
N/2" (here N = 2: kernel 4, stride 2, padding 1, so O = (I - 1)*2 - 2*1 + 4 = 2I; `cnnlab explain
transposed` prints the formula), and concatenates the encoder's map of the same size (the skip
connection) before another 5x5 convolution. A classification head then averages the decoder's
full-resolution map over the grid (global average pooling) and applies one linear layer.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.models.registry import register_model

__all__ = ["UNetClassifier", "upsampling_conv"]

KERNEL = 5
PADDING = 2  # (K - 1) / 2: 'same' size for the 5x5 kernels


def conv5_bn_relu(c_in: int, c_out: int) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, KERNEL, padding=PADDING, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


def upsampling_conv(c_in: int, c_out: int, factor: int = 2) -> nn.ConvTranspose2d:
    """Transposed convolution that multiplies H and W by `factor` N: kernel 2N, stride N, padding N/2."""
    if factor < 2 or factor % 2:
        raise CnnlabError(f"the kernel 2N / stride N / padding N/2 rule needs an even factor N >= 2, got {factor}")
    return nn.ConvTranspose2d(c_in, c_out, 2 * factor, stride=factor, padding=factor // 2)


class UNetClassifier(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, width: int = 32, depth: int = 2):
        super().__init__()
        widths = [width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList([conv5_bn_relu(in_channels, widths[0])])
        self.down.extend(conv5_bn_relu(widths[i], widths[i + 1]) for i in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(upsampling_conv(widths[i + 1], widths[i]) for i in reversed(range(depth)))
        self.merge = nn.ModuleList(conv5_bn_relu(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(widths[0], num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))  # (N, width*2^i, H/2^i, W/2^i)
            skips.append(x)
        skips.pop()  # the bottleneck is x itself
        for up, merge in zip(self.up, self.merge):
            x = merge(torch.cat([skips.pop(), up(x)], dim=1))  # the skip and the upsampled map, same H and W
        return self.head(x)


@register_model("unet-classifier")
def unet_classifier(in_shape, num_classes, width: int = 32, depth: int = 2):
    """Lecture C's U-Net classifier: 5x5 convs (stride 1, pad 2), skips, upsampling by kernel 2N/stride N/pad N/2."""
    _, h, w = in_shape
    step = 2 ** int(depth)
    if int(depth) < 1 or int(width) < 1:
        raise CnnlabError(f"unet-classifier needs depth >= 1 and width >= 1, got depth {depth}, width {width}")
    if h % step or w % step:
        raise CnnlabError(
            f"unet-classifier with depth {depth} halves the grid {depth} times, so H and W must "
            f"divide by {step}; got {h}x{w}: use a smaller depth"
        )
    return UNetClassifier(in_shape[0], num_classes, int(width), int(depth))
