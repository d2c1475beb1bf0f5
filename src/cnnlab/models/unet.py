"""U-Net (Ronneberger et al. 2015) for field-to-field tasks on grids of any size.

The encoder halves the grid `depth` times (2x2 max pool) while doubling the channels; the decoder
upsamples with a transposed convolution (kernel 2N, stride N for N = 2, padding 0) and concatenates the
encoder's feature map of the same size (the skip connection) before two more convolutions. Odd grid
sizes (the 25x53 NCEP grid) are handled by pooling with ceil_mode and cropping the upsampled map to the
skip's size. Every 3x3 convolution pads through GridPad (`padding_mode`, see cnnlab.models.padding).

Output: `num_classes` channels on the input grid, e.g. forecast residuals or mask logits.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlab.conv.arithmetic import pool_output_size
from cnnlab.errors import CnnlabError
from cnnlab.models.padding import grid_conv
from cnnlab.models.registry import register_model

__all__ = ["UNet"]


def _double_conv(c_in: int, c_out: int, padding_mode: str, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for c_from in (c_in, c_out):
        layers.append(grid_conv(c_from, c_out, 3, padding_mode, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class UNet(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 32,
        depth: int = 2,
        padding_mode: str = "replicate",
        batch_norm: bool = True,
    ):
        super().__init__()
        widths = [width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList([_double_conv(in_channels, widths[0], padding_mode, batch_norm)])
        self.down.extend(_double_conv(widths[i], widths[i + 1], padding_mode, batch_norm) for i in range(depth))
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth))
        )
        self.merge = nn.ModuleList(
            _double_conv(2 * widths[i], widths[i], padding_mode, batch_norm) for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))  # (N, width*2^i, ceil(H/2^i), ceil(W/2^i))
            skips.append(x)
        skips.pop()  # the bottleneck is x itself
        for up, merge in zip(self.up, self.merge):
            skip = skips.pop()
            x = up(x)[..., : skip.shape[-2], : skip.shape[-1]]  # crop the ceil_mode extra row/column
            x = merge(torch.cat([skip, x], dim=1))
        return self.head(x)


@register_model("unet")
def unet(
    in_shape, num_classes, width: int = 32, depth: int = 2, padding_mode: str = "replicate", batch_norm: bool = True
):
    """U-Net field-to-field (encoder/decoder + skips); num_classes = output channels; grid padding."""
    _check_depth(in_shape, int(depth))
    return UNet(in_shape[0], num_classes, int(width), int(depth), padding_mode, bool(batch_norm))


def _check_depth(in_shape, depth: int) -> None:
    """Each level halves the grid (rounding up); below 2 pixels a level sees nothing new and only multiplies the
    channels (width * 2^depth), so a depth past that is refused with the sizes instead of allocated."""
    sizes = [tuple(in_shape[1:])]
    while len(sizes) <= depth and min(sizes[-1]) >= 2:
        sizes.append(tuple(int(pool_output_size(s, 2, 2, ceil_mode=True)) for s in sizes[-1]))
    if min(sizes[-1]) < 2:
        fits = len(sizes) - 2  # the deepest level still 2 pixels or more
        path = " -> ".join("x".join(map(str, size)) for size in sizes)
        advice = f"use depth={fits} or less" if fits >= 1 else "use a grid of at least 4x4 pixels"
        raise CnnlabError(
            f"model 'unet': option depth={depth} is too deep for a {in_shape[1]}x{in_shape[2]} grid: "
            f"each level halves it (2x2 pooling, rounded up): {path}, under 2 pixels at depth "
            f"{fits + 1}; "
            f"{advice}"
        )
