"""Dispatch of the gridded tasks from `cnnlab.train.train` (forecast, detect, segment)."""

from __future__ import annotations

from typing import Callable

from cnnlab.errors import CnnlabError
from cnnlab.geo.classify_grid import train_classify_grid
from cnnlab.geo.cyclone_task import CYCLONE_DATA, train_cyclones
from cnnlab.geo.forecast import train_forecast
from cnnlab.geo.gridded import is_gridded_source

__all__ = ["train_gridded", "is_geo_run", "GEO_DATASETS", "check_task_fits_data"]

GEO_DATASETS = {
    "air_temperature": "NCEP reanalysis air temperature, 4x daily 2013-2014, 25x53 (North America); --task forecast",
    CYCLONE_DATA: "generated tropical-cyclone scenes (Holland vortices), 3x48x48, with masks and centres; --task detect|segment",
    "netcdf:PATH / zarr:PATH / grib:PATH": "your own gridded file; --task forecast",
}


def is_geo_run(config) -> bool:
    """A gridded task, or gridded data (which then needs a gridded task)."""
    return config.task != "classify" or is_gridded_source(config.data) or config.data == CYCLONE_DATA


def check_task_fits_data(task: str, data: str) -> None:
    if task == "classify" and data == CYCLONE_DATA:
        wanted = "detect or --task segment"
        raise CnnlabError(f"--data {data} is gridded data, not an image dataset: pass --task {wanted}")
    if task == "forecast" and not is_gridded_source(data):
        raise CnnlabError(f"--task forecast needs gridded data (air_temperature, netcdf:PATH, zarr:PATH, grib:PATH), not {data!r}")
    if task in ("detect", "segment") and data != CYCLONE_DATA:
        raise CnnlabError(f"--task {task} runs on --data {CYCLONE_DATA}, not {data!r}")


def train_gridded(config, resume: bool = False, overwrite: bool = False, log: Callable[[str], None] = print, progress: bool | None = None):
    """Run a gridded task; returns cnnlab.train.RunResult like the image trainer."""
    check_task_fits_data(config.task, config.data)
    if resume:
        raise CnnlabError(f"--resume is not available for --task {config.task} yet; these runs take minutes, start a new one")
    if config.task == "forecast":
        return train_forecast(config, overwrite, log, progress)
    if config.task == "classify":
        return train_classify_grid(config, overwrite, log, progress)
    return train_cyclones(config, overwrite, log, progress)
