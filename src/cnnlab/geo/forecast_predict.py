"""Forecast new gridded data with a trained run and write forecast.nc: `cnnlab predict RUN_DIR --data netcdf:FILE`.

The run's own selection (variables, levels, box) is taken from the new file; inputs are normalised with the
statistics stored in the checkpoint, never with the new data's. Initial times are the given ones, or every
time of the file with a full history window before it. With a rollout length the model runs on its own
output (cnnlab.geo.rollout); without, it gives its trained leads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast_file import config_hash, forecast_dataset, split_channel, write_forecast_file
from cnnlab.geo.gridded import GridSelection, check_date, open_gridded, select
from cnnlab.geo.lead_scores import baseline_fields, lead_name
from cnnlab.geo.rollout import RolloutModel, rollout, rollout_applications

__all__ = ["run_provenance", "variable_attrs", "predict_forecast_file", "initial_time_indices", "write_run_forecast"]


def run_provenance(config: Mapping, periods: Mapping[str, Sequence[str]], source: str) -> dict[str, str]:
    """The global attributes that say where a forecast file came from."""
    train = periods.get("train")
    return {
        "model": str(config.get("model")),
        "model_options": str(config.get("model_options") or {}),
        "config_sha256": config_hash(config),
        "training_period": "..".join(train) if train else "",
        "source": source,
        "task": "forecast",
    }


def variable_attrs(ds, channels: Sequence[str]) -> dict[str, dict]:
    """units, long_name (and standard_name) of each variable behind the channels, from the source dataset."""
    out = {}
    for channel in channels:
        name, _ = split_channel(channel)
        if name in ds.variables:
            out[name] = {k: v for k, v in ds[name].attrs.items() if k in ("units", "long_name", "standard_name")}
    return out


def initial_time_indices(times: np.ndarray, inits: Sequence[str] | None, history: int, where: str) -> np.ndarray:
    """Indices of the initial times: the given ISO times (each a time of the data with `history` - 1 times
    before it), or every time that has them."""
    if not inits:
        index = np.arange(history - 1, len(times))
        if not len(index):
            raise CnnlabError(f"{where} has {len(times)} times; the run needs {history} past fields for one forecast")
        return index
    position = {t: i for i, t in enumerate(times.astype("datetime64[s]").tolist())}
    index = []
    for text in inits:
        when = check_date(text, "--init").tolist()
        if when not in position:
            raise CnnlabError(
                f"--init {text} is not a time of {where} (it runs {np.datetime_as_string(times[0], unit='m')} .. "
                f"{np.datetime_as_string(times[-1], unit='m')})"
            )
        if position[when] < history - 1:
            raise CnnlabError(
                f"--init {text}: the run needs {history} past fields up to it, "
                f"and {where} starts earlier than that allows"
            )
        index.append(position[when])
    return np.array(index, int)


def predict_forecast_file(
    model,
    stats: dict,
    config: Mapping,
    data: str,
    out: str | Path,
    inits: Sequence[str] | None = None,
    rollout_length: str | None = None,
    selection=None,
    data_dir=None,
    device=None,
) -> tuple[Path, int, list[str]]:
    """Forecast `data` with a trained model and its checkpoint statistics; write `out` (forecast.nc layout).
    Returns the path, the number of initial times and the lead names."""
    ds = open_gridded(data, data_dir)
    where = ds.attrs.get("cnnlab_source", data)
    da = select(ds, selection or GridSelection())
    channels = [str(c) for c in da["channel"].values]
    if channels != list(stats["channels"]):
        raise CnnlabError(
            f"{where} gives the channels {', '.join(channels)}, the run was trained on {', '.join(stats['channels'])}; "
            f"give a file with the same variables and levels"
        )
    times = da["time"].values.astype("datetime64[ns]")
    step = np.timedelta64(int(stats["step_minutes"]), "m")
    if len(times) > 1 and not np.all(np.diff(times) == step):
        raise CnnlabError(
            f"{where} is not on the run's regular {lead_name(1, step)} time step; the history window would be wrong"
        )
    rm = RolloutModel.from_statistics(model, stats, da["lat"].values, da["lon"].values)
    applications = rollout_applications(rollout_length, rm) if rollout_length else 1
    index = initial_time_indices(times, inits, rm.history, where)
    fields = np.asarray(da.values, np.float32)
    past = np.stack([fields[index - k] for k in range(rm.history)], axis=1)
    offsets, forecasts = rollout(rm, past, times[index], applications, device)
    leads = [offset * step for offset in offsets]
    periods = stats.get("periods") or {}
    dataset = forecast_dataset(
        forecasts,
        times[index],
        leads,
        da["lat"].values,
        da["lon"].values,
        rm.targets or channels,
        variable_attrs(ds, channels),
        provenance=run_provenance(config, periods, where),
    )
    return write_forecast_file(out, dataset), len(index), [lead_name(o, step) for o in offsets]


def write_run_forecast(
    path: str | Path,
    fd,
    index: np.ndarray,
    offsets: list[int],
    forecasts: np.ndarray,
    config: Mapping,
    attrs: Mapping[str, Mapping],
    where: str,
    baselines: bool = False,
) -> Path:
    """A training run's test forecasts (N, offsets, targets, H, W) from the initial times `index` as forecast.nc,
    with persistence and climatology beside them when `baselines`."""
    extra = baseline_fields(fd, index, offsets) if baselines else None
    dataset = forecast_dataset(
        forecasts,
        fd.times[index],
        [offset * fd.step for offset in offsets],
        fd.lat,
        fd.lon,
        fd.target_channels,
        attrs,
        extra,
        run_provenance(config, fd.periods, where),
    )
    return write_forecast_file(path, dataset)
