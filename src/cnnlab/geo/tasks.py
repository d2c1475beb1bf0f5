"""The gridded tasks of `cnnlab train` (forecast, detect, segment, classify-grid):
importing this module registers them."""

from __future__ import annotations

from cnnlab.errors import CnnlabError
from cnnlab.geo.classify_grid import ClassifyGridTask
from cnnlab.geo.cyclone_task import CYCLONE_DATA, CycloneTask
from cnnlab.geo.forecast import ForecastTask
from cnnlab.geo.gridded import is_gridded_source

__all__ = ["ForecastTask", "CycloneTask", "ClassifyGridTask", "GEO_DATASETS", "check_task_fits_data", "is_geo_run"]

GEO_DATASETS = {
    "air_temperature": "NCEP reanalysis air temperature, 4x daily 2013-2014, 25x53 (North America); --task forecast",
    CYCLONE_DATA: "generated tropical-cyclone scenes (Holland vortices), 3x48x48, with masks and centres; "
    "--task detect|segment",
    "netcdf:PATH / zarr:PATH / grib:PATH": (
        "your own gridded file; --task forecast, or --task classify --labels CSV|regimes:K"
    ),
}


def is_geo_run(config) -> bool:
    """A gridded task, or gridded data (which then needs a gridded task)."""
    return config.task != "classify" or is_gridded_source(config.data) or config.data == CYCLONE_DATA


def check_task_fits_data(task: str, data: str) -> None:
    """Refuse a task that cannot run on the data, naming the one that can."""
    if task == "classify" and (is_gridded_source(data) or data == CYCLONE_DATA):
        wanted = (
            "detect or --task segment"
            if data == CYCLONE_DATA
            else "forecast, or classify its times with --labels FILE.csv (columns time,label) or --labels regimes:K"
        )
        raise CnnlabError(f"--data {data} is gridded data, not an image dataset: pass --task {wanted}")
    if task == "forecast" and not is_gridded_source(data):
        raise CnnlabError(
            f"--task forecast needs gridded data (air_temperature, netcdf:PATH, zarr:PATH, grib:PATH), not {data!r}"
        )
    if task == "classify-grid" and not is_gridded_source(data):
        raise CnnlabError(
            "--labels classifies the times of gridded data (air_temperature, netcdf:PATH, zarr:PATH, grib:PATH), "
            f"not {data!r}"
        )
    if task in ("detect", "segment") and data != CYCLONE_DATA:
        raise CnnlabError(f"--task {task} runs on --data {CYCLONE_DATA}, not {data!r}")
