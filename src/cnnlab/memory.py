"""How many bytes cnnlab may allocate for one array, checked before the array is built.

A request for a padded signal of 2e9 zeros or a kernel of 100001 x 100001 values must be refused with
its size in one line, not end in MemoryError or in the kernel's out-of-memory killer. The limit is half
of the memory available when asked (MemAvailable on Linux), or CNNLAB_MAX_BYTES (bytes, or a number
with K, M, G or T) when set.
"""

from __future__ import annotations

import math
import os

from cnnlab.errors import CnnlabError

__all__ = ["max_bytes", "check_bytes", "format_bytes", "AVAILABLE_FRACTION", "ENV_MAX_BYTES"]

ENV_MAX_BYTES = "CNNLAB_MAX_BYTES"
AVAILABLE_FRACTION = 0.5  # the rest stays free for the process's other arrays and for everything else running
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _available_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def max_bytes() -> int:
    """The byte limit for one allocation: CNNLAB_MAX_BYTES, else half of the available memory (else 4 GiB)."""
    text = os.environ.get(ENV_MAX_BYTES, "").strip()
    if text:
        number, unit = text.upper().rstrip("IB"), ""
        if number and number[-1] in _UNITS:
            number, unit = number[:-1], number[-1]
        try:
            value = float(number) * _UNITS[unit]
        except ValueError:
            value = -1.0
        if not (math.isfinite(value) and value >= 1):
            raise CnnlabError(f"{ENV_MAX_BYTES}={text!r} is not a size: give bytes, e.g. 2000000000 or 2G")
        return int(value)
    available = _available_bytes()
    return int(available * AVAILABLE_FRACTION) if available else 4 * 2**30


def format_bytes(n: int | float) -> str:
    """1536 -> '1.5 KiB'; exact byte counts stay readable at any size."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"


def check_bytes(what: str, count: int, itemsize: int) -> None:
    """Refuse `count` elements of `itemsize` bytes past the limit, naming what and the arithmetic.

    `count` is a Python int computed from shapes (math.prod), so it cannot wrap around like int64.
    """
    needed = int(count) * int(itemsize)
    limit = max_bytes()
    if needed > limit:
        source = (
            f"set by {ENV_MAX_BYTES}"
            if os.environ.get(ENV_MAX_BYTES, "").strip()
            else f"half the available memory; set {ENV_MAX_BYTES} to change it"
        )
        raise CnnlabError(
            f"{what} needs {count:,} values x {itemsize} bytes = {format_bytes(needed)}, more than the "
            f"{format_bytes(limit)} cnnlab allows ({source}): use smaller sizes"
        )
