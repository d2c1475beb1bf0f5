"""A classifier that takes raw pixels: the dataset's normalisation in front of the trained network."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RawPixelModel"]


class RawPixelModel(nn.Module):
    """logits = model((pixels - 255 * mean) / (255 * std)) for pixels in 0..255, per channel."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.model = model
        c = len(mean)
        self.register_buffer("shift", torch.tensor([255 * m for m in mean], dtype=torch.float32).view(1, c, 1, 1))
        self.register_buffer("scale", torch.tensor([1 / (255 * s) for s in std], dtype=torch.float32).view(1, c, 1, 1))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model((pixels - self.shift) * self.scale)
