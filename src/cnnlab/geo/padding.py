"""Which padding a grid needs, read from its coordinates (the padding modules are cnnlab.models.padding).

A grid is global in longitude when its columns, spaced `d` apart, close the circle: n * d = 360 degrees
(to within half a cell). Then longitude is padded circularly ("circular"); otherwise the grid is
regional and both edges replicate ("replicate"). `--padding` overrides the detection.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.models.padding import PADDING_MODES, GridPad, grid_conv

__all__ = ["detect_padding", "is_global_longitude", "grid_padding_mode", "GridPad", "grid_conv", "PADDING_MODES"]


def is_global_longitude(lon) -> bool:
    """True when the longitudes are evenly spaced and wrap around the whole circle."""
    lon = np.asarray(lon, dtype=np.float64)
    if lon.size < 3:
        return False
    steps = np.diff(lon)
    step = steps.mean()
    if not np.allclose(steps, step, rtol=1e-3, atol=1e-6):
        return False
    return abs(abs(step) * lon.size - 360.0) < abs(step) / 2


def detect_padding(lon) -> str:
    return "circular" if is_global_longitude(lon) else "replicate"


def grid_padding_mode(requested: str, lon) -> str:
    """`auto` -> detected from the longitudes; any other mode is checked and kept."""
    if requested == "auto":
        return detect_padding(lon)
    if requested not in PADDING_MODES:
        raise CnnlabError(f"unknown padding {requested!r}; choose auto or one of: {', '.join(PADDING_MODES)}")
    return requested
