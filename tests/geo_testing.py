"""Small synthetic gridded datasets written to real files (NetCDF3, NetCDF4, Zarr) for the geo tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_grid_dataset(
    times: int = 120, lat: int = 9, lon: int = 16, global_lon: bool = False, levels=(500.0, 850.0), seed: int = 0
):
    """xarray.Dataset with t2m (time, lat, lon) and z (time, level, lat, lon): a travelling wave plus a daily cycle."""
    import pandas as pd
    import xarray as xr

    rng = np.random.default_rng(seed)
    time = pd.date_range("2000-01-01", periods=times, freq="6h")
    lats = np.linspace(60, 20, lat)  # north to south, as in many reanalyses
    lons = np.arange(lon) * (360.0 / lon) if global_lon else 230 + 2.5 * np.arange(lon)
    t = np.arange(times)[:, None, None]
    y, x = np.meshgrid(np.arange(lat), np.arange(lon), indexing="ij")
    wave = np.sin(2 * np.pi * (x[None] - 0.5 * t) / lon) + 0.3 * np.cos(2 * np.pi * y[None] / lat)
    daily = np.sin(2 * np.pi * t / 4)
    t2m = 280 + 5 * wave + 2 * daily + 0.1 * rng.standard_normal((times, lat, lon))
    z = np.stack([5500 + 50 * wave, 1400 + 20 * wave], axis=1)[:, : len(levels)]
    return xr.Dataset(
        {
            "t2m": (("time", "lat", "lon"), t2m.astype(np.float32)),
            "z": (("time", "level", "lat", "lon"), z.astype(np.float32)),
        },
        coords={
            "time": time,
            "lat": lats.astype(np.float32),
            "lon": lons.astype(np.float32),
            "level": np.array(levels, np.float32),
        },
    )


def write(ds, folder: Path, kind: str) -> str:
    """Write `ds` as netcdf3 / netcdf4 / zarr; returns the cnnlab --data string."""
    if kind == "netcdf3":
        path = folder / "grid3.nc"
        ds.to_netcdf(path, format="NETCDF3_64BIT", engine="scipy")
        return f"netcdf:{path}"
    if kind == "netcdf4":
        path = folder / "grid4.nc"
        ds.to_netcdf(path, format="NETCDF4", engine="netcdf4")
        return f"netcdf:{path}"
    path = folder / "grid.zarr"
    ds.to_zarr(path, mode="w", consolidated=False)
    return f"zarr:{path}"


# A one-epoch run of a tiny U-Net on the grids make_grid_dataset writes (dates of January 2000).
SMALL_GRID_RUN = [
    "--epochs",
    "1",
    "--batch-size",
    "16",
    "--option",
    "width=4",
    "--option",
    "depth=1",
    "--train-period",
    "2000-01-01..2000-01-12",
    "--test-period",
    "2000-01-13..2000-01-20",
]
