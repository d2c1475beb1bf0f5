"""Single images from files (PNG, JPEG, NPY), converted to a model's channels and size, as uint8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cnnlab.errors import CnnlabError
from cnnlab.image_files import read_npy, read_picture

__all__ = ["load_image"]


def _from_npy(path: Path) -> torch.Tensor:
    array = read_npy(path)
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3 and array.shape[-1] in (1, 3, 4) and array.shape[0] not in (1, 3, 4):
        array = array.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
    if array.ndim != 3:
        raise CnnlabError(f"{path} holds an array of shape {array.shape}; expected (H, W), (C, H, W) or (H, W, C)")
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if np.nanmax(array) <= 1.0:  # floats in [0, 1] are intensities; anything else is taken as 0..255
            array = array * 255
        array = np.clip(np.nan_to_num(array), 0, 255).round().astype(np.uint8)
    return torch.from_numpy(np.ascontiguousarray(array))


def load_image(path: str | Path, in_shape: tuple[int, int, int]) -> torch.Tensor:
    """Read `path` and return uint8 (C, H, W) matching `in_shape` (grey <-> RGB, bilinear resize)."""
    path = Path(path)
    if not path.is_file():
        raise CnnlabError(f"no such file: {path}")
    c, h, w = in_shape
    if path.suffix.lower() == ".npy":
        image = _from_npy(path)
    else:
        image = torch.from_numpy(read_picture(path, "L" if c == 1 else "RGB"))
    if image.shape[0] != c:
        if c == 1:
            image = image[:3].float().mean(0, keepdim=True).round().to(torch.uint8)
        elif image.shape[0] == 1:
            image = image.expand(c, -1, -1)
        else:
            image = image[:c]
    if tuple(image.shape[1:]) != (h, w):
        resized = F.interpolate(image[None].float(), size=(h, w), mode="bilinear", align_corners=False, antialias=True)
        image = resized[0].clamp(0, 255).round().to(torch.uint8)
    return image.contiguous()
