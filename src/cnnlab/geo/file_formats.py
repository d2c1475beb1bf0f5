"""Which format a gridded file really is, and whether it is whole, before a reader library sees it.

Reader libraries answer a file of the wrong kind with their own internals (eccodes prints a traceback and
"No valid message found", netCDF4 "Unknown file format") and read a truncated file without complaint: a cut
GRIB file gives the messages before the cut, a cut NetCDF-3 file gives zeros past the end. So cnnlab looks
at the first bytes (every one of these formats starts with a fixed signature) and at the lengths the file
declares for itself: each GRIB message states its length in its first section and ends with "7777".
"""

from __future__ import annotations

import math
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.safe_paths import os_reason

__all__ = ["looks_like", "check_format", "check_grib_complete", "check_netcdf3_complete", "check_zarr_complete"]

_SIGNATURES = [
    (b"CDF\x01", "NetCDF-3"),
    (b"CDF\x02", "NetCDF-3"),
    (b"CDF\x05", "NetCDF-3"),
    (b"\x89HDF\r\n\x1a\n", "NetCDF-4/HDF5"),
    (b"GRIB", "GRIB"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"PK\x03\x04", "zip"),
    (b"\x93NUMPY", "NumPy .npy"),
]
_EXPECTED = {"netcdf": ("NetCDF-3", "NetCDF-4/HDF5"), "grib": ("GRIB",), "zarr": ("Zarr store",)}
_PREFIX_OF = {"NetCDF-3": "netcdf", "NetCDF-4/HDF5": "netcdf", "GRIB": "grib", "Zarr store": "zarr"}


def looks_like(path: Path) -> str:
    """A short name of the format `path` looks like ('GRIB', 'NetCDF-3', 'Zarr store', 'text', ...)."""
    path = Path(path)
    if path.is_dir():
        markers = (".zgroup", ".zarray", "zarr.json")
        return "Zarr store" if any((path / m).exists() for m in markers) else "folder"
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as error:
        raise CnnlabError(f"cannot read {path}: {os_reason(error)}") from None
    if not head:
        return "empty file"
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if b"GRIB" in head[:512]:  # some archives put a short header before the first message
        return "GRIB"
    try:
        head.decode("utf-8")
        return "text file"
    except UnicodeDecodeError:
        return "unknown binary"


def check_format(path: Path, kind: str) -> str:
    """Raise unless `path` looks like a `kind` file (netcdf, grib or zarr); name what it looks like instead."""
    found = looks_like(path)
    if found in _EXPECTED[kind]:
        return found
    advice = f"; use --data {_PREFIX_OF[found]}:{path}" if found in _PREFIX_OF else ""
    raise CnnlabError(
        f"{path} is not a {kind} file: it looks like {'a ' if found[0] not in 'aeiouAEIOU' else 'an '}{found}{advice}"
    )


def check_grib_complete(path: Path) -> int:
    """The number of GRIB messages in `path`; raise if one is cut short or the file holds bytes that are not GRIB."""
    path = Path(path)
    size = path.stat().st_size
    count, offset = 0, 0
    with open(path, "rb") as f:
        while offset < size:
            f.seek(offset)
            window = f.read(4096)  # messages may be padded with zero bytes (to a multiple of 120 in GRIB 1)
            start = window.find(b"GRIB")
            if start < 0 and count and not window.strip(b"\x00") and offset + len(window) >= size:
                break  # zero padding after the last message
            if start < 0 or window[:start].strip(b"\x00"):
                raise CnnlabError(
                    f"{path} is damaged: no GRIB message starts at byte {offset:,} "
                    f"(after {count} whole messages); download or copy the file again"
                )
            offset += start
            f.seek(offset)
            section = f.read(16)
            if len(section) < 16:
                raise CnnlabError(
                    f"{path} is truncated: GRIB message {count + 1} starts at byte {offset:,} but the "
                    f"file ends at {size:,}; download or copy the file again"
                )
            edition = section[7]
            length = int.from_bytes(section[8:16] if edition == 2 else section[4:7], "big")
            end = offset + length
            if length < 16 or end > size:
                raise CnnlabError(
                    f"{path} is truncated: GRIB message {count + 1} at byte {offset:,} declares "
                    f"{length:,} bytes but the file ends at {size:,}; download or copy the file again"
                )
            f.seek(end - 4)
            if f.read(4) != b"7777":
                raise CnnlabError(
                    f"{path} is damaged: GRIB message {count + 1} at byte {offset:,} does not end with "
                    f"7777 where its length says; download or copy the file again"
                )
            count += 1
            offset = end
    if not count:
        raise CnnlabError(f"{path} holds no GRIB message")
    return count


def check_netcdf3_complete(ds, path: Path) -> None:
    """A NetCDF-3 file stores every variable uncompressed, so it is at least as long as their bytes on disk."""
    needed = 0
    for name in ds.variables:
        var = ds.variables[name]
        dtype = var.encoding.get("dtype", var.dtype)
        needed += math.prod(var.shape) * getattr(dtype, "itemsize", 8)
    size = Path(path).stat().st_size
    if size < needed:
        raise CnnlabError(
            f"{path} is truncated: its variables need {needed:,} bytes but the file has {size:,}; "
            f"download or copy the file again"
        )


def check_zarr_complete(path: Path) -> None:
    """Zarr reads a chunk that is not stored as the array's fill value, by design (sparse arrays). A store copied
    in part then reads as zeros. A missing chunk is refused unless the fill value is NaN: then the cells read as
    missing, which --nans error reports and --nans mask leaves out (Zarr 3 skips writing all-NaN chunks)."""
    import zarr

    try:
        group = zarr.open_group(str(path), mode="r")
        arrays = list(group.arrays())
    except Exception as error:  # noqa: BLE001  any reader failure becomes one line
        raise CnnlabError(f"cannot read the Zarr store {path}: {type(error).__name__}: {error}") from None
    for name, array in arrays:
        fill = array.fill_value
        if isinstance(fill, float) and math.isnan(fill):
            continue
        stored, needed = array.nchunks_initialized, array.nchunks
        if stored < needed:
            raise CnnlabError(
                f"the Zarr store {path} is incomplete: array {name!r} has {stored} of its {needed} "
                f"chunks; a missing chunk would read as {fill!r}: copy the store again"
            )
