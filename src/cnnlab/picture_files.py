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

__all__ = [
    "MAX_PIXELS",
    "MAX_IMAGE_SIDE",
    "read_npy",
    "check_pixel_values",
    "pixels_from_array",
    "decode_picture",
    "read_picture_file",
    "read_picture_files",
]

MAX_PIXELS = 50_000_000  # 50 megapixels: a large photograph; more is a mistake or a decompression bomb
MAX_IMAGE_SIDE = 4096  # images for a model: larger pictures are refused from their header, before any pixel is decoded
# PIL modes whose pixels are one grey value; a picture in any other mode is read as RGB.
GREY_IMAGE_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


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


# --- images for a model: uint8 (C, H, W) arrays; cnnlab.data.images gives them as torch tensors ---------


def pixels_from_array(array, source: str = "the array", max_side: int = MAX_IMAGE_SIDE) -> np.ndarray:
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
    if array.shape[1] > max_side or array.shape[2] > max_side:
        raise CnnlabError(
            f"{source} is {array.shape[2]}x{array.shape[1]} pixels; at most {max_side}x{max_side} is accepted"
        )
    if array.dtype != np.uint8:
        array = array.astype(np.float64)
        if not np.all(np.isfinite(array)):
            raise CnnlabError(f"{source} holds NaN or inf values; an image needs finite intensities")
        if array.max() <= 1.0:
            array = array * 255
        array = np.clip(array, 0, 255).round().astype(np.uint8)
    return np.ascontiguousarray(array)


def _decode_picture(
    data: bytes | Path, channels: int | None, source: str, max_side: int | None, formats: tuple[str, ...] | None
) -> np.ndarray:
    # The caller silences Pillow's DecompressionBombWarning (past 89 megapixels): the side check here refuses
    # such pictures with a clearer message.
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise CnnlabError("reading PNG/JPEG needs Pillow: pip install 'cnnlab[image]'") from None
    stream = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        image = Image.open(stream, formats=list(formats) if formats else None)  # reads the header only
        with image:
            width, height = image.size
            if max_side and (width > max_side or height > max_side):
                raise CnnlabError(f"{source} is {width}x{height} pixels; at most {max_side}x{max_side} is accepted")
            _check_pixels(source, height, width)
            if channels is None:
                channels = 1 if image.mode in GREY_IMAGE_MODES else 3
            array = np.asarray(image.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    except Image.DecompressionBombError as error:  # Pillow's own header check, for sizes far past ours
        limit = f"{max_side}x{max_side} pixels" if max_side else "50 megapixels"
        raise CnnlabError(f"{source} is too large ({error}); at most {limit} is accepted") from None
    except CnnlabError:
        raise
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, EOFError) as error:
        kind = f"a {' or '.join(formats)} image" if formats else "an image"
        raise CnnlabError(f"cannot decode {source} as {kind}: {error}") from None
    return np.ascontiguousarray(array.transpose(2, 0, 1)) if array.ndim == 3 else array[None].copy()


def decode_picture(
    data: bytes | Path,
    channels: int | None,
    source: str = "the image",
    max_side: int | None = MAX_IMAGE_SIDE,
    formats: tuple[str, ...] | None = ("PNG", "JPEG"),
) -> np.ndarray:
    """PNG or JPEG (bytes or a file; `formats` may allow more, None whatever Pillow reads) -> uint8
    (channels, H, W); channels None keeps the file's own (grey -> 1, anything else -> 3). The one picture
    decoder of cnnlab: the size is read from the header and checked before the pixels are decoded (at most
    MAX_PIXELS, and `max_side` per side unless None), so a small file that claims 100000x100000 pixels
    costs nothing."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return _decode_picture(data, channels, source, max_side, formats)


def _read_picture_file(path: Path, channels: int | None, max_side: int) -> np.ndarray:
    if path.suffix.lower() == ".npy":
        # never unpickled; the header's size checked against the file before reading; NaN/inf/complex refused
        return pixels_from_array(check_pixel_values(read_npy(path), path), str(path), max_side)
    return _decode_picture(path, channels, str(path), max_side, ("PNG", "JPEG", "BMP"))


def read_picture_file(path: str | Path, channels: int | None = None, max_side: int = MAX_IMAGE_SIDE) -> np.ndarray:
    """uint8 (C, H, W) as stored in `path`: a .npy array, else a PNG, JPEG or BMP picture, converted to
    `channels` while decoding or keeping its own (grey -> 1, colour -> 3) when None."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return _read_picture_file(Path(path), channels, max_side)


def read_picture_files(paths: list[str]) -> list[np.ndarray | str]:
    """read_picture_file of each path with the file's own channels, or the one-line reason it cannot be read.
    Imports neither torch nor cnnlab.data, so that worker processes decoding image folders start quickly."""
    from PIL import Image

    decoded: list[np.ndarray | str] = []
    with warnings.catch_warnings():  # once for the whole list: entering it per file costs as much as decoding
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        for path in paths:
            try:
                decoded.append(_read_picture_file(Path(path), None, MAX_IMAGE_SIDE))
            except CnnlabError as error:
                decoded.append(str(error))
    return decoded
