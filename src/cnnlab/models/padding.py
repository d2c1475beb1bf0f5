"""Grid-aware padding: pad a (N, C, lat, lon) field the way the sphere continues it.

On a global grid the column east of the last longitude is the first one again, so longitude is padded
circularly and a storm that crosses the date line is seen whole by every convolution. Latitude has no
such neighbour: it is padded by replicating the edge row (or with zeros). Regional grids replicate (or
zero) both edges. Which mode a grid needs is read from its coordinates by `cnnlab.geo.padding`.

Modes (longitude edges / latitude edges):
  zeros           zeros / zeros            (what Conv2d(padding=k//2) does)
  replicate       replicate / replicate    (regional grids: no artificial cold/warm rim)
  circular        circular / replicate     (global grids)
  circular-zeros  circular / zeros
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.errors import CnnlabError

__all__ = ["GridPad", "grid_conv", "PADDING_MODES"]

PADDING_MODES = {
    "zeros": ("constant", "constant"),
    "replicate": ("replicate", "replicate"),
    "circular": ("circular", "replicate"),
    "circular-zeros": ("circular", "constant"),
}


def _check_mode(mode: str) -> tuple[str, str]:
    if mode not in PADDING_MODES:
        raise CnnlabError(f"unknown padding_mode {mode!r}; choose one of: {', '.join(PADDING_MODES)}")
    return PADDING_MODES[mode]


class GridPad(nn.Module):
    """Pad `pad` cells on every side: longitude (last dim) first, then latitude (second to last)."""

    def __init__(self, pad: int, mode: str = "replicate"):
        super().__init__()
        self.pad, self.mode = int(pad), mode
        self.lon_mode, self.lat_mode = _check_mode(mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad == 0:
            return x
        p = self.pad
        x = F.pad(x, (p, p, 0, 0), mode=self.lon_mode)  # (N, C, H, W + 2p)
        return F.pad(x, (0, 0, p, p), mode=self.lat_mode)  # (N, C, H + 2p, W + 2p)

    def extra_repr(self) -> str:
        return f"pad={self.pad}, mode={self.mode}"


def grid_conv(
    c_in: int, c_out: int, kernel: int = 3, padding_mode: str = "replicate", bias: bool = True, dilation: int = 1
) -> nn.Sequential:
    """A 'same' kernel x kernel convolution (odd kernel) whose border is filled by GridPad."""
    if kernel % 2 == 0:
        raise CnnlabError(f"grid convolutions need an odd kernel to keep the grid size, got {kernel}")
    return nn.Sequential(
        GridPad(dilation * (kernel // 2), padding_mode),
        nn.Conv2d(c_in, c_out, kernel, padding=0, dilation=dilation, bias=bias),
    )
