"""Gridded data through xarray: open a named dataset or a user's file lazily, check it, select from it.

Sources (the `--data` value):
  air_temperature   NCEP reanalysis 2 m air temperature, 4x daily 2013-2014, 25x53 (North America); read
                    from $CNNLAB_DATA/air_temperature.nc, else from xarray's tutorial loader (online)
  netcdf:PATH       netCDF3 or netCDF4/HDF5 (scipy, netCDF4 or h5netcdf engine, whichever reads it)
  zarr:PATH         a Zarr store
  grib:PATH         GRIB 1/2 through cfgrib (the `cnnlab[grib]` extra)

Files are opened with dask chunks, so selecting variables, levels, a lat/lon box and a time range reads
nothing; values are read when a split is materialised. Dims keep their names (time, level, lat, lon)
until `to_channels` stacks variables and levels into the channel axis of a tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.data.sources import data_root, verify
from cnnlab.errors import CnnlabError
from cnnlab.geo.file_formats import check_format, check_grib_complete, check_netcdf3_complete, check_zarr_complete

__all__ = [
    "GridSelection",
    "open_gridded",
    "select",
    "time_step",
    "parse_duration",
    "check_finite",
    "NAMED_GRIDS",
    "is_gridded_source",
    "named_grid_status",
]

NAMED_GRIDS = {"air_temperature": "air_temperature.nc"}
NAMED_GRID_MD5 = {"air_temperature.nc": "de5b9d45db48cf6b7034de1a4a6d6c98"}  # the xarray tutorial file
_PREFIXES = ("netcdf:", "zarr:", "grib:")
_RENAMES = {
    "latitude": "lat",
    "longitude": "lon",
    "isobaricInhPa": "level",
    "plev": "level",
    "pressure_level": "level",
    "valid_time": "time",
}


def is_gridded_source(data: str) -> bool:
    return data in NAMED_GRIDS or data.startswith(_PREFIXES)


def named_grid_status(name: str, data_dir: str | None = None) -> str:
    """'verified', or why the named grid's file cannot be used (as `cnnlab datasets` shows it)."""
    path = data_root(data_dir) / NAMED_GRIDS[name]
    if not path.is_file():
        return f"missing ({path} not found; xarray's tutorial loader downloads it when online)"
    try:
        verify(path, NAMED_GRID_MD5[path.name])
    except CnnlabError as error:
        return f"missing or invalid ({error})"
    return "verified"


@dataclass(frozen=True)
class GridSelection:
    """What to take from a gridded dataset; empty means everything."""

    variables: tuple[str, ...] = ()
    levels: tuple[float, ...] = ()
    box: tuple[float, float, float, float] | None = None  # lat_min, lat_max, lon_min, lon_max (degrees)
    time: tuple[str, str] | None = None  # first, last (inclusive, ISO dates)


def _xarray():
    try:
        import xarray
    except ImportError:
        raise CnnlabError("gridded data needs xarray: pip install 'cnnlab[geo]'") from None
    return xarray


def open_gridded(data: str, data_dir: str | Path | None = None):
    """Open `data` lazily as an xarray.Dataset with standard coordinate names, checked for monotonic coords."""
    xr = _xarray()
    if data in NAMED_GRIDS:
        path = data_root(data_dir) / NAMED_GRIDS[data]
        if path.is_file():
            verify(path, NAMED_GRID_MD5[path.name])
            ds, where = _open_netcdf(xr, path), str(path)
        else:
            try:  # a user's machine with internet: xarray's tutorial loader caches the file
                ds, where = xr.tutorial.open_dataset(data, chunks={}), f"xarray tutorial {data}"
            except Exception as error:  # noqa: BLE001  any download failure becomes one line
                raise CnnlabError(
                    f"{data}: {path} is missing and xarray's tutorial loader failed ({type(error).__name__}: {error}); "
                    f"put {NAMED_GRIDS[data]} in the data root (--data-dir or $CNNLAB_DATA)"
                ) from None
    elif data.startswith(_PREFIXES):
        kind, _, raw = data.partition(":")
        path = Path(raw).expanduser()
        if not path.exists():
            raise CnnlabError(f"{data}: no such file or folder {path}")
        where = str(path)
        found = check_format(path, kind)  # a file of another format is named, not handed to the wrong reader
        if kind == "grib":
            check_grib_complete(path)
        try:
            if kind == "netcdf":
                ds = _open_netcdf(xr, path)
                if found == "NetCDF-3":
                    check_netcdf3_complete(ds, path)
            elif kind == "zarr":
                import warnings

                with warnings.catch_warnings():  # a store without consolidated metadata is fine, only slower to open
                    warnings.simplefilter("ignore", RuntimeWarning)
                    ds = xr.open_zarr(path)
                check_zarr_complete(path)
            else:
                try:
                    import cfgrib  # noqa: F401
                except ImportError:
                    raise CnnlabError(
                        "GRIB files need cfgrib: pip install 'cnnlab[grib]' (and the eccodes library)"
                    ) from None
                ds = xr.open_dataset(path, engine="cfgrib", chunks={}, backend_kwargs={"indexpath": ""})
        except CnnlabError:
            raise
        except Exception as error:  # noqa: BLE001  unreadable file: one line, not a traceback
            raise CnnlabError(f"cannot read {path} as {kind}: {type(error).__name__}: {error}") from None
    else:
        raise CnnlabError(f"unknown gridded dataset {data!r}; use air_temperature, netcdf:PATH, zarr:PATH or grib:PATH")
    ds = ds.rename({k: v for k, v in _RENAMES.items() if k in ds.variables and v not in ds.variables})
    ds.attrs["cnnlab_source"] = where
    for name in ("lat", "lon"):
        if name not in ds.coords:
            raise CnnlabError(
                f"{where} has no {name} coordinate (nor {'latitude' if name == 'lat' else 'longitude'}); "
                "cnnlab needs a lat/lon grid"
            )
    for name in ("time", "lat", "lon", "level"):
        if name in ds.coords and ds[name].ndim == 1:
            _check_monotonic(ds[name].values, name, where)
    return ds


def _open_netcdf(xr, path: Path):
    import warnings

    errors = []
    for engine in ("netcdf4", "h5netcdf", "scipy"):
        try:
            with warnings.catch_warnings():  # e.g. ERA-Interim's NaN _FillValue on packed ints, harmless
                warnings.simplefilter("ignore", xr.SerializationWarning)
                return xr.open_dataset(path, engine=engine, chunks={})
        except ImportError:
            continue
        except (ValueError, OSError, TypeError) as error:
            if "backend not available" not in str(error):  # an engine this install lacks is no reason to show
                errors.append(f"{engine}: {error}")
    raise CnnlabError(f"cannot read {path} as NetCDF ({'; '.join(errors)[:300]})")


def _check_monotonic(values: np.ndarray, name: str, where: str) -> None:
    if values.size < 2:
        return
    steps = np.diff(values)
    zero = np.zeros((), steps.dtype)
    wrong = steps <= zero if steps[0] > zero else steps >= zero  # the direction is set by the first step
    if wrong.any():
        bad = int(np.flatnonzero(wrong)[0])
        raise CnnlabError(
            f"coordinate {name} of {where} is not strictly monotonic "
            f"({values[bad]} then {values[bad + 1]} at index {bad}); "
            f"sort it first, e.g. ds.sortby('{name}'), and drop duplicates"
        )


def select(ds, selection: GridSelection):
    """A DataArray (time, channel, lat, lon), still lazy: variables x levels stacked as channels."""
    xr = _xarray()
    where = ds.attrs.get("cnnlab_source", "the dataset")
    # Sorted: a Zarr store lists its arrays in no fixed order, and channel order must not change between runs.
    fields = sorted(str(v) for v in ds.data_vars if {"lat", "lon"} <= set(ds[v].dims))
    names = selection.variables or tuple(fields)
    if not names:
        raise CnnlabError(f"{where} has no variable on a lat/lon grid")
    for name in names:
        if name not in ds.data_vars:
            raise CnnlabError(
                f"variable {name!r} is not in {where}; "
                f"it has: {', '.join(sorted(map(str, ds.data_vars))) or 'no variables'}"
            )
    if selection.levels and not any("level" in ds[name].dims for name in names):
        raise CnnlabError(
            f"--level {', '.join(f'{v:g}' for v in selection.levels)}: {where} has no levels "
            f"(variables {', '.join(names)} are on a single level); drop --level"
        )
    channels = []
    for name in names:
        var = ds[name]
        if "time" not in var.dims:
            raise CnnlabError(
                f"variable {name!r} of {where} has no time dimension (dims {var.dims}); a forecast needs one"
            )
        if "level" in var.dims:
            levels = selection.levels or tuple(var["level"].values.tolist())
            missing = [lv for lv in levels if lv not in var["level"].values]
            if missing:
                raise CnnlabError(
                    f"level {missing[0]:g} is not in variable {name!r} of {where}; "
                    f"it has levels {', '.join(f'{v:g}' for v in var['level'].values)}"
                )
            for lv in levels:
                channels.append(var.sel(level=lv, drop=True).rename(f"{name}@{lv:g}"))
        else:
            channels.append(var.rename(name))
    extra = [d for c in channels for d in c.dims if d not in ("time", "lat", "lon")]
    if extra:
        raise CnnlabError(
            f"variable {channels[0].name!r} of {where} has extra dimensions {sorted(set(extra))}; "
            "select them away first"
        )
    da = xr.concat([c.transpose("time", "lat", "lon") for c in channels], dim="channel")
    da = da.assign_coords(channel=[str(c.name) for c in channels]).transpose("time", "channel", "lat", "lon")
    if selection.box is not None:
        lat0, lat1, lon0, lon1 = selection.box
        da = da.sel(lat=_slice(da.lat.values, lat0, lat1), lon=_slice(da.lon.values, lon0, lon1))
        if da.sizes["lat"] < 2 or da.sizes["lon"] < 2:
            raise CnnlabError(f"the box lat {lat0}..{lat1}, lon {lon0}..{lon1} holds fewer than 2x2 cells of {where}")
    if selection.time is not None:
        first, last = (check_date(text, "--time") for text in selection.time)
        if first > last:
            raise CnnlabError(f"--time {selection.time[0]}..{selection.time[1]}: the first date is after the last")
        da = da.sel(time=slice(*selection.time))
        if da.sizes["time"] == 0:
            raise CnnlabError(f"no time of {where} lies in {selection.time[0]}..{selection.time[1]}")
    return da


def check_date(text: str, flag: str) -> np.datetime64:
    """An ISO date or date-time (2013-01-31, 2013-01-31T06); impossible dates (2013-02-30) are refused."""
    try:
        return np.datetime64(str(text), "s")
    except ValueError:
        raise CnnlabError(
            f"{flag}: {text!r} is not a valid date; write YYYY-MM-DD or YYYY-MM-DDTHH, e.g. 2013-01-01..2013-06-30"
        ) from None


def _slice(coord: np.ndarray, low: float, high: float) -> slice:
    return slice(low, high) if coord[0] <= coord[-1] else slice(high, low)


def parse_duration(text: str) -> np.timedelta64:
    """'6h', '24h', '1d', '30min' -> numpy timedelta64 (the unit is required)."""
    units = {"min": "m", "h": "h", "d": "D"}
    text = str(text).strip().lower()
    for suffix, unit in units.items():
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return np.timedelta64(int(text[: -len(suffix)]), unit)
    raise CnnlabError(f"lead {text!r} is not a duration like 6h, 24h, 2d or 30min")


def time_step(times: np.ndarray, where: str = "the dataset") -> np.timedelta64:
    """The one time step of a regular time axis; irregular steps are an error (gaps would shift leads)."""
    if times.size < 2:
        raise CnnlabError(f"{where} has fewer than two times; a forecast needs a time series")
    steps = np.diff(times)
    if not np.all(steps == steps[0]):
        bad = int(np.argmax(steps != steps[0]))
        raise CnnlabError(
            f"{where} has an irregular time step ({steps[0].astype('timedelta64[m]')} but "
            f"{steps[bad].astype('timedelta64[m]')} after {times[bad]}); fill or drop the gap first"
        )
    return steps[0]


def check_finite(values: np.ndarray, channels, where: str, times=None, total: int | None = None) -> None:
    """Refuse NaN/inf with one line saying where the first one is and how to allow them; `total` is the count
    to report when `values` is only the part of the data that holds the first bad value."""
    bad = ~np.isfinite(values)
    if bad.any():
        t, c = np.argwhere(bad)[0][:2]
        when = f" at time {np.datetime_as_string(times[t], unit='m')}" if times is not None else ""
        count = int(bad.sum()) if total is None else total
        raise CnnlabError(
            f"{where} has {count:,} missing (NaN) values in {channels[c]!r}{when}; "
            f"pass --nans mask to leave them out of the loss and metrics, or fill them first"
        )
