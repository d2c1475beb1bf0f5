"""Latitude weights: how much of the sphere each grid row stands for, normalised to mean 1.

On a regular lat/lon grid a cell's area is proportional to the band it covers,
    area(lat) = sin(lat + d/2) - sin(lat - d/2)        (d = grid spacing; WeatherBench 2's form),
which for small d is 2 sin(d/2) cos(lat): the cos-latitude weight. cnnlab's metrics use
    w(lat) = cos(lat) / mean over rows of cos(lat)      (kind="cos", the default; WeatherBench 1)
or the exact band areas normalised the same way (kind="area"). Mean 1 makes a weighted mean of a
constant field equal to that constant, so weighted RMSE is in the field's own units.
"""

from __future__ import annotations

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["latitude_weights", "WEIGHT_KINDS"]

WEIGHT_KINDS = ("cos", "area", "none")


def latitude_weights(lat, kind: str = "cos") -> np.ndarray:
    """Weights per latitude row (degrees in), float64, mean exactly 1."""
    lat = np.asarray(lat, dtype=np.float64)
    if kind == "none":
        return np.ones_like(lat)
    if kind == "cos":
        weights = np.cos(np.deg2rad(lat))
    elif kind == "area":
        if lat.size < 2:
            raise CnnlabError("cell-area weights need at least two latitude rows to know the spacing")
        half = np.abs(np.diff(lat)).mean() / 2
        upper = np.deg2rad(np.clip(lat + half, -90, 90))
        lower = np.deg2rad(np.clip(lat - half, -90, 90))
        weights = np.sin(upper) - np.sin(lower)
    else:
        raise CnnlabError(f"unknown latitude weighting {kind!r}; choose one of: {', '.join(WEIGHT_KINDS)}")
    weights = np.clip(weights, 0, None)  # cos(+-90) rounds to ~1e-17, never below zero
    return weights / weights.mean()
