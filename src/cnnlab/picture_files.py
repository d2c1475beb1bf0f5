"""Reading the picture files and .npy arrays a person gives to `predict` and `filter`, safely.

Every size is checked from the file's header before anything is decoded or allocated: a PNG that
declares 12000 x 12000 pixels, or a .npy whose header claims more values than the file holds, is one
line, not minutes of decoding or a MemoryError. A .npy is never unpickled. Values must be finite real
numbers: NaN, inf and complex values have no meaning as pixel intensities.
"""

from __future__ import annotations

import io
import math
import os
import tokenize
import warnings
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.memory import check_bytes

# What numpy's .npy header parser raises on a damaged header (it tokenizes the header's Python literal).
_HEADER_ERRORS = (ValueError, OSError, SyntaxError, TypeError, EOFError, tokenize.TokenError, RecursionError)

__all__ = ["MAX_PIXELS", "GREY_MODES", "read_npy", "decode_picture", "check_pixel_values"]

MAX_PIXELS = 50_000_000  # 50 megapixels: a large photograph; more is a mistake or a decompression bomb


def _check_pixels(path: Path, height: int, width: int) -> None:
    if height * width > MAX_PIXELS:
        raise CnnlabError(
            f"{path} declares {width} x {height} = {width * height:,} pixels, more than the "
            f"{MAX_PIXELS:,} (50 megapixels) cnnlab reads: give a smaller image"
        )


def _npy_header(path: Path, f) -> tuple[tuple[int, ...], np.dtype, int]:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except _HEADER_ERRORS as error:
        raise CnnlabError(f"{path} is not a .npy array file: {error}") from None
    return tuple(int(s) for s in shape), dtype, f.tell()


def read_npy(path: Path, image: bool = True) -> np.ndarray:
    """The array in a .npy file, after checking from its header that the file really holds it.

    Object (pickled) arrays are refused; with `image`, so is a picture of more than MAX_PIXELS
    (the channel axis of a 3-D array, its smallest, does not count).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            shape, dtype, offset = _npy_header(path, f)
            if dtype.hasobject:
                raise CnnlabError(f"{path} holds Python objects (a pickle), which cnnlab never loads: save numbers")
            count = math.prod(shape)
            held = os.fstat(f.fileno()).st_size - offset
            if count * dtype.itemsize > held:
                raise CnnlabError(
                    f"{path}: its header claims shape {shape} = {count:,} values x {dtype.itemsize} bytes = "
                    f"{count * dtype.itemsize:,} bytes, but the file holds only {held:,} after the header "
                    "(truncated or not written by numpy.save)"
                )
            if image and len(shape) in (2, 3):
                spatial = sorted(shape)[1:] if len(shape) == 3 else shape
                _check_pixels(path, spatial[0], spatial[1])
            check_bytes(f"{path} as float64", count, 8)  # what the callers convert it to
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except CnnlabError:
        raise
    except OSError as error:
        raise CnnlabError(f"cannot read {path}: {error.strerror or error}") from None
    except _HEADER_ERRORS as error:
        raise CnnlabError(f"cannot read {path} as a .npy array: {error}") from None


# PIL modes whose pixels are one grey value; a picture in any other mode is read as RGB.
GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})


def decode_picture(data: bytes | Path, mode: str | None = None, source: str | None = None,
                   max_side: int | None = None, formats: tuple[str, ...] | None = None) -> np.ndarray:
    """A PNG/JPEG/... (a file or its bytes) as uint8 (H, W) or (H, W, 3), converted to PIL `mode` ("L" or
    "RGB"; None: "L" for a grey picture, else "RGB"). The one picture reader of cnnlab: its size is checked
    from the header before any pixel is decoded (at most MAX_PIXELS, and at most `max_side` per side when
    given), so a small file that claims 100000 x 100000 pixels costs nothing; `formats` limits what is
    accepted (None: whatever Pillow reads)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise CnnlabError("reading PNG/JPEG needs Pillow: pip install 'cnnlab[image]'") from None
    source = source or str(data if isinstance(data, Path) else "the image")
    limit = f"at most {max_side}x{max_side} pixels is accepted" if max_side else "cnnlab reads at most 50 megapixels"
    stream = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            # Pillow warns past 89 megapixels: with a side limit, the header check below refuses those with
            # the picture's own size; without one, the warning becomes an error (never a printed warning)
            warnings.simplefilter("ignore" if max_side else "error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=list(formats) if formats else None) as picture:
                width, height = picture.size  # from the header: nothing is decoded yet
                if max_side and (width > max_side or height > max_side):
                    raise CnnlabError(f"{source} is {width}x{height} pixels; at most {max_side}x{max_side} is accepted")
                _check_pixels(source, height, width)
                if mode is None:
                    mode = "L" if picture.mode in GREY_MODES else "RGB"
                return np.array(picture.convert(mode), dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise CnnlabError(f"{source} is too large to decode safely ({error}); {limit}: give a smaller image") from None
    except CnnlabError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        kind = f"a {' or '.join(formats)} image" if formats else "an image"
        raise CnnlabError(f"cannot decode {source} as {kind}: {error}") from None


def check_pixel_values(array: np.ndarray, path: Path) -> np.ndarray:
    """Refuse empty arrays and complex, non-numeric, NaN or inf values: an image is finite real intensities."""
    if array.size == 0:
        raise CnnlabError(f"{path} holds an empty array of shape {array.shape}; an image needs pixels")
    if array.dtype.kind == "c":
        raise CnnlabError(f"{path} holds complex numbers; an image needs real intensities (save np.abs or .real)")
    if array.dtype.kind not in "biuf":
        raise CnnlabError(f"{path} holds {array.dtype} values; an image needs numbers")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise CnnlabError(f"{path} holds {bad:,} NaN or inf values; replace them (e.g. np.nan_to_num) first")
    return array
