"""Single images from files, bytes or arrays (PNG, JPEG, NPY, nested lists), converted to a model's channels
and size, as uint8 (C, H, W)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from cnnlab.errors import CnnlabError
from cnnlab.picture_files import MAX_IMAGE_SIDE, decode_picture, pixels_from_array, read_picture_file

__all__ = [
    "load_image",
    "decode_image",
    "image_from_array",
    "fit_to_shape",
    "read_image_file",
    "MAX_IMAGE_SIDE",
    "IMAGE_SUFFIXES",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".npy")  # the files an image folder is read from


def image_from_array(array, source: str = "the array") -> torch.Tensor:
    """(H, W), (C, H, W) or (H, W, C) numbers -> uint8 (C, H, W). uint8 stays as it is; floats whose maximum
    is <= 1 are intensities in [0, 1]; anything else is taken as 0..255 and clipped."""
    return torch.from_numpy(pixels_from_array(array, source, MAX_IMAGE_SIDE))


def decode_image(
    data: bytes | Path,
    channels: int | None,
    source: str = "the image",
    max_side: int = MAX_IMAGE_SIDE,
    formats: tuple[str, ...] = ("PNG", "JPEG"),
) -> torch.Tensor:
    """PNG or JPEG (bytes or a file; `formats` may allow more) -> uint8 (channels, H, W); channels None keeps
    the file's own (grey -> 1, anything else -> 3). The size is read from the header and checked before the
    pixels are decoded, so a small file that claims 100000x100000 pixels costs nothing."""
    return torch.from_numpy(decode_picture(data, channels, source, max_side, formats))


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
        image = torch.from_numpy(read_picture_file(path, None, MAX_IMAGE_SIDE))
    else:
        image = decode_image(path, in_shape[0], str(path))
    return fit_to_shape(image, in_shape)


def read_image_file(path: str | Path, channels: int | None = None) -> torch.Tensor:
    """uint8 (C, H, W) as stored in `path`: a .npy array, else a PNG, JPEG or BMP picture, converted to
    `channels` while decoding or keeping its own (grey -> 1, colour -> 3) when None."""
    return torch.from_numpy(read_picture_file(path, channels, MAX_IMAGE_SIDE))
