"""Synthetic image datasets that need no files: oriented gratings with a learnable rule.

Class k of K is a sinusoidal grating at orientation k*180/K degrees, with random spatial frequency,
phase, contrast and colour, plus Gaussian pixel noise. Telling orientations 18 degrees apart is easy
for a CNN and impossible for a per-pixel rule, which makes these good fast, offline stand-ins for
MNIST (1x28x28) and CIFAR-10 (3x32x32).
"""

from __future__ import annotations

import math

import torch

__all__ = ["make_gratings"]


def make_gratings(n: int, shape: tuple[int, int, int], num_classes: int = 10, seed: int = 0):
    """Return (images uint8 (n, C, H, W), labels int64 (n,)), reproducible from `seed`."""
    c, h, w = shape
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (n,), generator=g)
    theta = labels.double() * math.pi / num_classes + (torch.rand(n, generator=g, dtype=torch.float64) - 0.5) * 0.1
    freq = 0.12 + 0.2 * torch.rand(n, generator=g, dtype=torch.float64)  # cycles per pixel
    phase = 2 * math.pi * torch.rand(n, generator=g, dtype=torch.float64)
    contrast = 0.25 + 0.2 * torch.rand(n, generator=g, dtype=torch.float64)
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    # projection of each pixel on the grating's normal direction, per image: (n, H, W)
    along = xx * torch.cos(theta)[:, None, None] + yy * torch.sin(theta)[:, None, None]
    wave = torch.sin(2 * math.pi * freq[:, None, None] * along + phase[:, None, None])
    colour = (
        0.5 + 0.5 * torch.rand(n, c, generator=g, dtype=torch.float64)
        if c > 1
        else torch.ones(n, 1, dtype=torch.float64)
    )
    images = 0.5 + contrast[:, None, None, None] * colour[:, :, None, None] * wave[:, None]
    images = images + 0.08 * torch.randn(images.shape, generator=g, dtype=torch.float64)
    images = (images.clamp(0, 1) * 255).round().to(torch.uint8)
    return images, labels.to(torch.int64)
