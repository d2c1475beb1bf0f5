"""The IDX file format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed.

Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions d, then d big-endian
uint32 sizes; the data follow in C order.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.files import atomic_path

__all__ = ["read_idx", "write_idx"]

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as error:
        raise CnnlabError(f"{path} cannot be read as an IDX file: {error}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise CnnlabError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise CnnlabError(f"{path} is truncated: header says {shape} ({expected} bytes), file has {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).copy()  # writable, for torch


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX (gzip-compressed if the name ends in .gz); used to make test files."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with atomic_path(path) as tmp, opener(tmp, "wb") as f:
        f.write(header + array.tobytes())
