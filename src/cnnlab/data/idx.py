"""The IDX file format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed.

Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions d, then d big-endian
uint32 sizes; the data follow in C order.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.memory import max_bytes

__all__ = ["read_idx", "write_idx"]

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bounded(f, path: Path) -> bytes:
    """All of f, in 1 MiB pieces: a gzip stream can expand without bound, so stop at the memory limit."""
    limit, pieces, total = max_bytes(), [], 0
    while piece := f.read(2**20):
        total += len(piece)
        if total > limit:
            raise CnnlabError(f"{path} holds more than the {limit:,} bytes cnnlab may load (CNNLAB_MAX_BYTES)")
        pieces.append(piece)
    return b"".join(pieces)


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = _read_bounded(f, path)
    except (OSError, EOFError, zlib.error) as error:
        raise CnnlabError(f"{path} cannot be read as an IDX file: {error}") from None
    too_short = len(data) < 4 or len(data) < 4 + 4 * data[3]
    if too_short or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise CnnlabError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a lying header cannot wrap around
    if len(data) - header != expected:
        raise CnnlabError(f"{path} is truncated: header says {shape} ({expected} bytes), file has {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).copy()  # writable, for torch


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX (gzip-compressed if the name ends in .gz); used to make test files."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())
