"""Reading pictures (PNG, JPEG) and arrays (.npy) that users give cnnlab, into NumPy; no torch.

Every command that takes an image file reads it here, so each check on outside files is made once.
`.npy` files are read with allow_pickle=False: an array file never runs code.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["PICTURE_SUFFIXES", "read_picture", "read_npy"]

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # Pillow modes that hold one intensity per pixel


def read_picture(data: bytes | str | os.PathLike, colour: str | None = None, source: str | None = None,
                 max_side: int | None = None) -> np.ndarray:
    """A PNG/JPEG (a file or its bytes) as uint8 (C, H, W): colour "L" gives 1 channel, "RGB" 3, None keeps
    grey grey and makes anything else RGB (palettes and alpha are resolved by Pillow).

    With `max_side` the size is read from the header and refused before any pixel is decoded, so a small
    file that claims 100000x100000 pixels costs nothing; Pillow's own check stops far larger claims anyway.
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise CnnlabError("reading PNG/JPEG needs Pillow: pip install 'cnnlab[image]'") from None
    source = source or (str(data) if not isinstance(data, bytes) else "the image")
    stream = io.BytesIO(data) if isinstance(data, bytes) else Path(data)
    try:
        with Image.open(stream, formats=["PNG", "JPEG"]) as image:  # reads the header only
            width, height = image.size
            if max_side is not None and (width > max_side or height > max_side):
                raise CnnlabError(f"{source} is {width}x{height} pixels; at most {max_side}x{max_side} is accepted")
            mode = colour or ("L" if image.mode in GREY_MODES else "RGB")
            array = np.asarray(image.convert(mode), dtype=np.uint8)
    except Image.DecompressionBombError as error:
        limit = f"; at most {max_side}x{max_side} pixels is accepted" if max_side else ""
        raise CnnlabError(f"{source} is too large ({error}){limit}") from None
    except (OSError, UnidentifiedImageError, SyntaxError) as error:
        raise CnnlabError(f"cannot decode {source} as a PNG or JPEG image: {error}") from None
    return np.ascontiguousarray(array.transpose(2, 0, 1)) if array.ndim == 3 else array[None].copy()


def read_npy(path: str | os.PathLike) -> np.ndarray:
    """The array in a .npy file; a clear error for anything else (pickled objects included)."""
    try:
        return np.load(Path(path), allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise CnnlabError(f"cannot read {path} as a .npy array: {error}") from None
