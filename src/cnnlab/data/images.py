"""Single images from files, bytes or arrays (PNG, JPEG, NPY, nested lists), converted to a model's channels
and size, as uint8 (C, H, W)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cnnlab.errors import CnnlabError
from cnnlab.picture_files import check_pixel_values, decode_picture, read_npy

__all__ = ["load_image", "decode_image", "image_from_array", "fit_to_shape", "read_image_file", "MAX_IMAGE_SIDE",
           "IMAGE_SUFFIXES"]

MAX_IMAGE_SIDE = 4096  # larger pictures are refused from their header, before any pixel is decoded
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".npy")  # the files an image folder is read from


def image_from_array(array, source: str = "the array") -> torch.Tensor:
    """(H, W), (C, H, W) or (H, W, C) numbers -> uint8 (C, H, W). uint8 stays as it is; floats whose maximum
    is <= 1 are intensities in [0, 1]; anything else is taken as 0..255 and clipped."""
    try:
        array = np.asarray(array)
    except ValueError as error:  # ragged nested lists
        raise CnnlabError(f"{source} is not a rectangular array of numbers: {error}") from None
    if array.dtype != np.uint8 and not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise CnnlabError(f"{source} holds {array.dtype} values; give numbers (0..255, or floats in 0..1)")
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3 and array.shape[-1] in (1, 3, 4) and array.shape[0] not in (1, 3, 4):
        array = array.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
    if array.ndim != 3 or 0 in array.shape:
        raise CnnlabError(f"{source} has shape {array.shape}; expected (H, W), (C, H, W) or (H, W, C)")
    if array.shape[1] > MAX_IMAGE_SIDE or array.shape[2] > MAX_IMAGE_SIDE:
        raise CnnlabError(f"{source} is {array.shape[2]}x{array.shape[1]} pixels; at most "
                          f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} is accepted")
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if not np.all(np.isfinite(array)):
            raise CnnlabError(f"{source} holds NaN or inf values; an image needs finite intensities")
        if array.max() <= 1.0:
            array = array * 255
        array = np.clip(array, 0, 255).round().astype(np.uint8)
    return torch.from_numpy(np.ascontiguousarray(array))


def _from_npy(path: Path) -> torch.Tensor:
    # never unpickled; the header's size checked against the file before reading; NaN/inf/complex refused
    return image_from_array(check_pixel_values(read_npy(path), path), str(path))


def decode_image(data: bytes | Path, channels: int | None, source: str = "the image",
                 max_side: int = MAX_IMAGE_SIDE, formats: tuple[str, ...] = ("PNG", "JPEG")) -> torch.Tensor:
    """PNG or JPEG (bytes or a file; `formats` may allow more) -> uint8 (channels, H, W); channels None keeps
    the file's own (grey -> 1, anything else -> 3). Decoded by cnnlab.picture_files.decode_picture, which
    checks the size from the header before any pixel is decoded."""
    mode = None if channels is None else ("L" if channels == 1 else "RGB")
    array = decode_picture(data, mode, source, max_side, formats)
    return torch.from_numpy(array).permute(2, 0, 1) if array.ndim == 3 else torch.from_numpy(array)[None]


def fit_to_shape(image: torch.Tensor, in_shape: tuple[int, int, int]) -> torch.Tensor:
    """uint8 (C, H, W) -> uint8 `in_shape`: grey <-> RGB, then a bilinear antialiased resize."""
    c, h, w = in_shape
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


def load_image(path: str | Path, in_shape: tuple[int, int, int]) -> torch.Tensor:
    """Read `path` and return uint8 (C, H, W) matching `in_shape` (grey <-> RGB, bilinear resize)."""
    path = Path(path)
    if not path.is_file():
        raise CnnlabError(f"no such file: {path}")
    if path.suffix.lower() == ".npy":
        image = _from_npy(path)
    else:
        image = decode_image(path, in_shape[0], str(path))
    return fit_to_shape(image, in_shape)


def read_image_file(path: str | Path, channels: int | None = None) -> torch.Tensor:
    """uint8 (C, H, W) as stored in `path`: a .npy array, else a PNG, JPEG or BMP picture, converted to
    `channels` while decoding or keeping its own (grey -> 1, colour -> 3) when None."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        return _from_npy(path)
    return decode_image(path, channels, str(path), formats=("PNG", "JPEG", "BMP"))
