"""cnnlab.geo: CNNs on weather and satellite grids (gridded data, padding, latitude weights, tasks, baselines).

The names below load their module when first used, so that reading a small module of the package (the
task options, for the command line) does not import torch or xarray.
"""

import importlib

__all__ = [
    "open_gridded",
    "select",
    "GridSelection",
    "forecast_scores",
    "latitude_weights",
    "GridPad",
    "grid_conv",
    "detect_padding",
]

_HOMES = {
    "open_gridded": "cnnlab.geo.gridded",
    "select": "cnnlab.geo.gridded",
    "GridSelection": "cnnlab.geo.gridded",
    "forecast_scores": "cnnlab.geo.metrics",
    "latitude_weights": "cnnlab.geo.weights",
    "GridPad": "cnnlab.geo.padding",
    "grid_conv": "cnnlab.geo.padding",
    "detect_padding": "cnnlab.geo.padding",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'cnnlab.geo' has no attribute {name!r}")
