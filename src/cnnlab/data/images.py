"""Single images from files (PNG, JPEG, BMP, NPY), converted to a model's channels and size, as uint8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cnnlab.errors import CnnlabError

__all__ = ["load_image", "read_image_file", "resize_image", "to_channels", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".npy")


def _from_npy(path: Path) -> torch.Tensor:
    try:
        array = np.load(path, allow_pickle=False)  # never unpickle objects from a user's file
    except (OSError, ValueError) as error:
        raise CnnlabError(f"cannot read {path} as a .npy array: {error}") from None
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3 and array.shape[-1] in (1, 3, 4) and array.shape[0] not in (1, 3, 4):
        array = array.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
    if array.ndim != 3:
        raise CnnlabError(f"{path} holds an array of shape {array.shape}; expected (H, W), (C, H, W) or (H, W, C)")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise CnnlabError(f"{path} holds {array.dtype} values; expected numbers (uint8 0..255 or floats)")
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if np.nanmax(array) <= 1.0:  # floats in [0, 1] are intensities; anything else is taken as 0..255
            array = array * 255
        array = np.clip(np.nan_to_num(array), 0, 255).round().astype(np.uint8)
    return torch.from_numpy(np.ascontiguousarray(array))


# PIL modes whose pixels are one grey value; everything else is read as RGB.
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def _from_picture(path: Path, channels: int | None) -> torch.Tensor:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise CnnlabError("reading PNG/JPEG/BMP needs Pillow: pip install 'cnnlab[image]'") from None
    try:
        with Image.open(path) as image:
            if channels is None:  # keep what the file holds: grey stays grey, anything else becomes RGB
                channels = 1 if image.mode in _GREY_MODES else 3
            image = image.convert("L" if channels == 1 else "RGB")
            array = np.asarray(image, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise CnnlabError(f"cannot decode {path} as an image: {error}") from None
    return torch.from_numpy(array.copy()).permute(2, 0, 1) if array.ndim == 3 else torch.from_numpy(array.copy())[None]


def read_image_file(path: str | Path, channels: int | None = None) -> torch.Tensor:
    """uint8 (C, H, W) as stored in `path` (.npy, else a picture Pillow decodes); a picture is converted to
    `channels` (1 grey, 3 RGB) while decoding, or keeps its own (grey -> 1, colour -> 3) when None."""
    path = Path(path)
    return _from_npy(path) if path.suffix.lower() == ".npy" else _from_picture(path, channels)


def to_channels(image: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (C, H, W) with `channels` channels: RGB -> grey by the channel mean, grey -> RGB by repetition."""
    if image.shape[0] == channels:
        return image
    if channels == 1:
        return image[:3].float().mean(0, keepdim=True).round().to(torch.uint8)
    if image.shape[0] == 1:
        return image.expand(channels, -1, -1)
    return image[:channels]


def resize_image(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """uint8 (C, H, W) -> uint8 (C, *size), bilinear with antialiasing (unchanged when the size matches)."""
    if tuple(image.shape[1:]) == tuple(size):
        return image
    resized = F.interpolate(image[None].float(), size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    return resized[0].clamp(0, 255).round().to(torch.uint8)


def load_image(path: str | Path, in_shape: tuple[int, int, int]) -> torch.Tensor:
    """Read `path` and return uint8 (C, H, W) matching `in_shape` (grey <-> RGB, bilinear resize)."""
    path = Path(path)
    if not path.is_file():
        raise CnnlabError(f"no such file: {path}")
    c, h, w = in_shape
    image = to_channels(read_image_file(path, c), c)
    return resize_image(image, (h, w)).contiguous()
