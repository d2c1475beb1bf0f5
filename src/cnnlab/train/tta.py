"""Test-time augmentation: the mean of the logits over mirrored and shifted copies of each image.

level 0  logits(x)
level 1  (logits(x) + logits(mirror x)) / 2
level 2  the level-1 pair for x, and for x shifted by one pixel up-left and down-right (zero border),
         weighted 1/2 for the unshifted pair and 1/4 for each shifted pair (airbench's TTA)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["tta_logits", "shift_image"]


def shift_image(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """out[..., r, c] = x[..., r + dy, c + dx], zero outside the image."""
    h, w = x.shape[-2:]
    padded = F.pad(x, (abs(dx), abs(dx), abs(dy), abs(dy)))
    top, left = abs(dy) + dy, abs(dx) + dx
    return padded[..., top : top + h, left : left + w]


def _mirror_pair(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (model(x).float() + model(x.flip(-1)).float())


def tta_logits(model: nn.Module, x: torch.Tensor, level: int = 0) -> torch.Tensor:
    if level == 0:
        return model(x).float()
    if level == 1:
        return _mirror_pair(model, x)
    shifted = 0.5 * (_mirror_pair(model, shift_image(x, -1, -1)) + _mirror_pair(model, shift_image(x, 1, 1)))
    return 0.5 * _mirror_pair(model, x) + 0.5 * shifted
