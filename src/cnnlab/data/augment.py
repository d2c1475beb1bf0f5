"""Batch-wise augmentation on the training device: one tensor operation per batch, no per-image Python.

`translate` is the "pad and random crop" of the CIFAR literature: each image is shifted by its own offset
of up to `pad` pixels in each direction, the uncovered border filled with zeros (after normalisation, so
zero is the mean). `alternating_flip_mask` says which images to mirror in an epoch. `Batches` draws the
offsets and applies both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["translate", "alternating_flip_mask"]


def translate(x: torch.Tensor, offsets: torch.Tensor, pad: int) -> torch.Tensor:
    """Shift image i of x (N, C, H, W) so that out[i, :, r, c] = x[i, :, r + dy_i, c + dx_i] (zero outside),
    with (dy_i, dx_i) = offsets[:, i] - pad and offsets int (2, N) in [0, 2 pad]."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))  # (N, C, H+2p, W+2p)
    rows = offsets[0][:, None] + torch.arange(h, device=x.device)  # (N, H)
    cols = offsets[1][:, None] + torch.arange(w, device=x.device)  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None]
    # gather rows then columns: (N, H, C, W+2p) -> (N, C, H, W)
    picked = padded.permute(0, 2, 1, 3)[batch, rows]  # (N, H, C, W+2p)
    picked = picked.gather(3, cols[:, None, None, :].expand(n, h, picked.shape[2], w))
    return picked.permute(0, 2, 1, 3).contiguous()


def alternating_flip_mask(base: torch.Tensor, indices: torch.Tensor, epoch: int) -> torch.Tensor:
    """Which images to mirror in `epoch` (1-based): `base` (bool, one per dataset image, a fixed random
    half) in odd epochs and its complement in even ones, so any two consecutive epochs show every image
    both ways (airbench's alternating flip; less redundant than a fresh coin per image and epoch)."""
    return base[indices] ^ (epoch % 2 == 0)
