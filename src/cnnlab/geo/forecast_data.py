"""Forecast samples from a gridded time series: inputs, residual targets, splits by date, statistics.

A sample is an initial time t. Its input is the last `history` fields x[t], x[t-1], ..., x[t-K+1]
(every channel, normalised by the training mean and std per channel), plus sin/cos of the hour of day
and of the day of year of t (and, with `coords`, latitude and longitude as two static channels, so the
network can learn what differs from place to place, e.g. land and sea); its target, for each lead L
(in time steps), is the residual
    r_L = (x[t+L] - x[t]) / s_L,   s_L = std of x[t+L] - x[t] over the training period (per channel),
so the network learns the change (persistence is the zero prediction) and
    forecast_L = x[t] + s_L * r_L.
With targets (`--target z500`), every channel is an input and only the target channels are forecast.
Splits are date ranges; a sample belongs to a split only when all its inputs and targets lie in it, so
nothing crosses from the test period into training. Mean, std and s_L come from the training split only.
With `nans="mask"`, missing target cells are left out of losses and metrics, and missing input cells
are set to the normalised mean (0) with a 0/1 channel per variable saying which cells were known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.gridded import check_finite, parse_duration, time_step
from cnnlab.geo.lazy_fields import STREAM_BYTES, LazyFields

__all__ = [
    "ForecastData",
    "build_forecast_data",
    "default_periods",
    "parse_period",
    "time_features",
    "climatology_for",
    "input_channels",
    "stack_inputs",
    "normalise_fields",
    "fields_from_residuals",
    "parse_targets",
]

# air_temperature (WeatherBench-like): train on 2013, its last two months for validation, test on 2014.
AIR_TEMPERATURE_PERIODS = {
    "train": ("2013-01-01", "2013-10-31T23:59"),
    "val": ("2013-11-01", "2013-12-31T23:59"),
    "test": ("2014-01-01", "2014-12-31T23:59"),
}


def parse_period(text: str, flag: str) -> tuple[str, str]:
    """'2013-01-01..2013-10-31' -> (first, last), both inclusive; a bare last date means that whole day."""
    first, sep, last = text.partition("..")
    if not sep or not first or not last:
        raise CnnlabError(f"{flag} {text!r} is not FIRST..LAST, e.g. 2013-01-01..2013-10-31")
    try:
        np.datetime64(first), np.datetime64(last)
    except ValueError:
        raise CnnlabError(f"{flag} {text!r}: dates must be ISO, e.g. 2013-01-01..2013-10-31") from None
    return first, last if "T" in last else f"{last}T23:59:59"


def default_periods(data: str, times: np.ndarray) -> dict[str, tuple[str, str]]:
    """air_temperature: the issue's split. Other data: chronological 70% / 10% / 20%."""
    if data == "air_temperature":
        return dict(AIR_TEMPERATURE_PERIODS)
    n = len(times)
    a, b = int(0.7 * n), int(0.8 * n)
    if a < 1 or b <= a or b >= n:
        raise CnnlabError(
            f"{data} has only {n} times: too few for a 70/10/20 split by date; "
            "give --train-period/--val-period/--test-period"
        )
    iso = lambda t: str(np.datetime_as_string(t, unit="s"))  # noqa: E731
    return {
        "train": (iso(times[0]), iso(times[a - 1])),
        "val": (iso(times[a]), iso(times[b - 1])),
        "test": (iso(times[b]), iso(times[-1])),
    }


def time_features(times: np.ndarray) -> np.ndarray:
    """(N, 4): sin/cos of the hour of day and of the day of year."""
    t = times.astype("datetime64[s]")
    day_seconds = (t - t.astype("datetime64[D]")).astype(np.float64)
    hour_phase = 2 * np.pi * day_seconds / 86400
    year_start = t.astype("datetime64[Y]").astype("datetime64[s]")
    year_phase = 2 * np.pi * (t - year_start).astype(np.float64) / (365.25 * 86400)
    return np.stack([np.sin(hour_phase), np.cos(hour_phase), np.sin(year_phase), np.cos(year_phase)], axis=1).astype(
        np.float32
    )


def input_channels(history: int, channels: int, mask_inputs: bool, coords: bool) -> int:
    """Input channels of a forecast model: the normalised past fields, 4 time features, the known-cell mask
    of x[t] (with --nans mask) and latitude/longitude (with coords)."""
    return history * channels + 4 + (channels if mask_inputs else 0) + (2 if coords else 0)


def normalise_fields(fields, mean, std):
    """(x - mean_c) / std_c for fields (..., C, H, W) and per-channel mean, std (C,): NumPy arrays or torch tensors."""
    return (fields - mean[:, None, None]) / std[:, None, None]


def fields_from_residuals(base, residuals, residual_std):
    """forecast_L = x[t] + s_L * r_L: base (N, C, H, W), residuals (N, L, C, H, W), s (L, C) -> (N, L, C, H, W);
    NumPy arrays or torch tensors."""
    return base[:, None] + residuals * residual_std[None, :, :, None, None]


def stack_inputs(
    past: np.ndarray,
    times: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    mask_inputs: bool,
    coords: bool,
    lat: np.ndarray | None,
    lon: np.ndarray | None,
) -> np.ndarray:
    """The model input (N, input_channels, H, W) float32 from past fields (N, K, C, H, W), newest first (x[t],
    x[t-1], ...), in the data's units, and the initial times (N,). Training and inference both build it here."""
    known = np.isfinite(past)
    normalised = np.where(known, normalise_fields(past, mean, std), 0.0)
    n, k, c, h, w = past.shape
    parts = [normalised.reshape(n, k * c, h, w)]
    parts.append(np.broadcast_to(time_features(times)[:, :, None, None], (n, 4, h, w)))
    if mask_inputs:
        parts.append(known[:, 0].astype(np.float32))
    if coords:
        parts.append(np.broadcast_to(_coordinate_channels(lat, lon)[None], (n, 2, h, w)))
    return np.concatenate(parts, axis=1).astype(np.float32)


@dataclass
class ForecastData:
    fields: np.ndarray | LazyFields  # (T, C, H, W) float32 in the data's units, NaN where missing
    times: np.ndarray  # (T,) datetime64[ns]
    lat: np.ndarray
    lon: np.ndarray
    channels: list[str]
    step: np.timedelta64
    leads: list[int]  # in time steps
    lead_names: list[str]  # e.g. "6h"
    history: int
    splits: dict[str, np.ndarray]  # split -> initial-time indices
    periods: dict[str, tuple[str, str]]
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (C,)
    std: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (C,)
    residual_std: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L, C)
    mask_inputs: bool = False
    coords: bool = False  # two static channels: latitude and longitude scaled to [-1, 1]
    target_channels: list[str] = field(default_factory=list)  # the forecast channels (default: every channel)

    def __post_init__(self):
        self.target_channels = list(self.target_channels or self.channels)
        self.target_index = np.array([self.channels.index(name) for name in self.target_channels], int)

    @property
    def in_channels(self) -> int:
        return input_channels(self.history, len(self.channels), self.mask_inputs, self.coords)

    @property
    def out_channels(self) -> int:
        return len(self.leads) * len(self.target_channels)

    def statistics(self) -> dict:
        """What the checkpoint stores to normalise inputs and de-normalise outputs at inference."""
        return {
            "channels": self.channels,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "residual_std": self.residual_std.tolist(),
            "leads": self.lead_names,
            "history": self.history,
            "step_minutes": int(self.step / np.timedelta64(1, "m")),
            "mask_inputs": self.mask_inputs,
            "coords": self.coords,
            "periods": self.periods,
            "targets": self.target_channels,
        }

    def past(self, index: np.ndarray) -> np.ndarray:
        """(N, K, C, H, W): x[t], x[t-1], ... for initial-time indices `index`, in the data's units."""
        return np.stack([self.fields[index - k] for k in range(self.history)], axis=1)

    def sample(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """inputs, targets and their mask, reading x[t] once (it is both the newest input and the residual's base)."""
        past = self.past(index)
        return (self.inputs(index, past), *self.targets(index, past[:, 0]))

    def inputs(self, index: np.ndarray, past: np.ndarray | None = None) -> torch.Tensor:
        """(N, in_channels, H, W) for initial-time indices `index` (`past`: their self.past(index), if read)."""
        past = self.past(index) if past is None else past
        return torch.from_numpy(
            stack_inputs(
                past, self.times[index], self.mean, self.std, self.mask_inputs, self.coords, self.lat, self.lon
            )
        )

    def targets(self, index: np.ndarray, base: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised residuals (N, L*targets, H, W) and their 0/1 mask of known cells (`base`: x[t], if read)."""
        t = self.target_index
        base = (self.fields[index] if base is None else base)[:, t]
        residuals = np.stack(
            [
                (self.fields[index + lead][:, t] - base) / self.residual_std[i][:, None, None]
                for i, lead in enumerate(self.leads)
            ],
            axis=1,
        )
        n, leads, c, h, w = residuals.shape
        residuals = residuals.reshape(n, leads * c, h, w)
        known = np.isfinite(residuals)
        return torch.from_numpy(np.where(known, residuals, 0.0).astype(np.float32)), torch.from_numpy(
            known.astype(np.float32)
        )

    def to_fields(self, residuals: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Normalised residual predictions (N, L*targets, H, W) -> forecasts (N, L, targets, H, W)
        in the data's units."""
        n = len(index)
        r = residuals.reshape(n, len(self.leads), len(self.target_channels), *residuals.shape[-2:])
        return fields_from_residuals(self.fields[index][:, self.target_index], r, self.residual_std)

    def truth(self, index: np.ndarray) -> np.ndarray:
        return np.stack(
            [self.fields[index + lead][:, self.target_index] for lead in self.leads], axis=1
        )  # (N, L, targets, H, W)


def _coordinate_channels(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(2, H, W): latitude and longitude, each scaled linearly to [-1, 1] over the grid."""
    scale = lambda v: 2 * (v - v.min()) / max(float(v.max() - v.min()), 1e-9) - 1  # noqa: E731
    lat2, lon2 = np.meshgrid(scale(np.asarray(lat, np.float64)), scale(np.asarray(lon, np.float64)), indexing="ij")
    return np.stack([lat2, lon2]).astype(np.float32)


def parse_targets(text: str | None, channels: list[str]) -> list[str]:
    """--target 'z500,t850' -> ['z@500', 't@850']: a channel (z@500 or z500), a variable (z: all its levels) or
    'all'; None or 'all' means every channel, in the channels' order."""
    if not text or text.strip() == "all":
        return list(channels)
    chosen: list[str] = []
    for item in (part.strip() for part in text.split(",") if part.strip()):
        matches = [c for c in channels if c == item or c.replace("@", "") == item or c.partition("@")[0] == item]
        if not matches:
            raise CnnlabError(
                f"--target {item} is none of the channels {', '.join(channels)}; name one like "
                f"{channels[0].replace('@', '')}, a variable, or all"
            )
        chosen += [c for c in matches if c not in chosen]
    return [c for c in channels if c in chosen]


def build_forecast_data(
    da,
    data: str,
    leads: list[str],
    history: int,
    periods: dict[str, tuple[str, str]] | None,
    nans: str = "error",
    coords: bool = False,
    stream: bool | None = None,
    targets: list[str] | None = None,
) -> ForecastData:
    """Cut the selected DataArray (time, channel, lat, lon) into dated splits and compute the training
    statistics. The selection is read into memory, or with `stream` (default: when it is larger than
    STREAM_BYTES) read batch by batch from its dask chunks."""
    where = da.attrs.get("cnnlab_source") or data
    times = da["time"].values.astype("datetime64[ns]")
    step = time_step(times, where)
    lead_steps = []
    for text in leads:
        lead = parse_duration(text).astype("timedelta64[ns]")
        if lead <= np.timedelta64(0, "ns") or lead % step != np.timedelta64(0, "ns"):
            hours = step / np.timedelta64(1, "h")
            raise CnnlabError(
                f"lead {text} is not a positive multiple of the time step of {where} ({hours:g}h); "
                f"choose e.g. {hours:g}h, {2 * hours:g}h or {4 * hours:g}h"
            )
        lead_steps.append(int(lead // step))
    if history < 1:
        raise CnnlabError(f"--history must be at least 1 past field, got {history}")
    if nans not in ("error", "mask"):
        raise CnnlabError(f"--nans must be error or mask, got {nans!r}")
    channels = [str(c) for c in da["channel"].values]
    if stream is None:
        stream = da.size * 4 > STREAM_BYTES
    if stream:
        fields = LazyFields(da)  # read batch by batch from the dask chunks
        if nans == "error":
            _check_finite_lazily(da, channels, where, times)
    else:
        fields = np.asarray(da.values, dtype=np.float32)  # reads the selection (dask) into memory
        if nans == "error":
            check_finite(fields, channels, where, times)
    periods = periods or default_periods(data, times)
    max_lead = max(lead_steps)
    splits = {}
    for name, (first, last) in periods.items():
        inside = (times >= np.datetime64(first)) & (times <= np.datetime64(last))
        idx = np.flatnonzero(inside)
        if idx.size:
            idx = idx[(idx - (history - 1) >= idx[0]) & (idx + max_lead <= idx[-1])]
        if name != "val" and idx.size == 0:
            raise CnnlabError(
                f"the {name} period {first}..{last} of {where} holds no complete sample "
                f"({history} past fields + {max(leads, key=lambda s: parse_duration(s))} lead); widen it"
            )
        splits[name] = idx
    _check_disjoint(periods)
    fd = ForecastData(
        fields,
        times,
        da["lat"].values,
        da["lon"].values,
        channels,
        step,
        lead_steps,
        list(leads),
        history,
        splits,
        periods,
        mask_inputs=(nans == "mask"),
        coords=coords,
        target_channels=targets,
    )
    train_index = splits["train"]
    train = da.isel(time=slice(int(train_index[0]) - (history - 1), int(train_index[-1]) + 1))
    fd.mean = np.asarray(train.mean(("time", "lat", "lon"), skipna=True).values, np.float32)
    fd.std = np.maximum(np.asarray(train.std(("time", "lat", "lon"), skipna=True).values), 1e-6).astype(np.float32)
    if nans == "mask":
        _check_some_known(da, fd, where)
    residual_std = []
    for lead in lead_steps:  # std of x[t+L] - x[t] over the training samples, per channel (dask: chunk by chunk)
        change = da.isel(time=train_index + lead).data - da.isel(time=train_index).data
        residual_std.append(np.asarray(_nanstd_per_channel(change))[fd.target_index])
    fd.residual_std = np.maximum(np.array(residual_std), 1e-6).astype(np.float32)
    return fd


def _check_some_known(da, fd: ForecastData, where: str) -> None:
    """--nans mask leaves missing cells out of losses and scores; with no known cell at all in a channel of the
    training period, or in the whole test period, there is nothing to learn or to score."""
    empty = [c for c, m in zip(fd.channels, fd.mean) if not np.isfinite(m)]
    if empty:
        raise CnnlabError(
            f"channel {empty[0]} of {where} has no known value (all NaN) in the training period "
            f"{fd.periods['train'][0]}..{fd.periods['train'][1]}; choose another period or variable"
        )
    test = da.isel(time=fd.splits["test"]).data
    known = np.isfinite(test).any()
    if not bool(known.compute() if hasattr(known, "compute") else known):
        raise CnnlabError(
            f"the test period {fd.periods['test'][0]}..{fd.periods['test'][1]} of {where} has no known "
            f"value (all NaN): nothing could be scored; choose another --test-period"
        )


def _nanstd_per_channel(change) -> np.ndarray:
    """std over (time, lat, lon) per channel of a numpy or dask array (T, C, H, W), ignoring NaN."""
    try:
        import dask.array as dask_array

        if isinstance(change, dask_array.Array):
            return dask_array.nanstd(change, axis=(0, 2, 3)).compute()
    except ImportError:
        pass
    return np.nanstd(change, axis=(0, 2, 3))


def _check_finite_lazily(da, channels, where: str, times) -> None:
    """check_finite without reading everything at once: count per time step, then look at the first bad one."""
    bad_per_time = np.asarray((~np.isfinite(da)).sum(("channel", "lat", "lon")).values)
    if bad_per_time.any():
        t = int(np.flatnonzero(bad_per_time)[0])
        first = np.asarray(da.isel(time=[t]).values, np.float32)
        check_finite(first, channels, where, times[t : t + 1], total=int(bad_per_time.sum()))


def _check_disjoint(periods: dict[str, tuple[str, str]]) -> None:
    spans = sorted((np.datetime64(a), np.datetime64(b), name) for name, (a, b) in periods.items())
    for (a0, a1, n0), (b0, b1, n1) in zip(spans, spans[1:]):
        if b0 <= a1:
            raise CnnlabError(
                f"the {n0} and {n1} periods overlap ({n0} ends {a1}, {n1} starts {b0}); "
                "splits by date must not share times"
            )


def climatology_for(fd: ForecastData, valid_times: np.ndarray, window_days: int = 15) -> np.ndarray:
    """Climatology at each valid time: mean of the reference fields (all times before the test period)
    with the same hour of day and a day of year within +-window_days (circular). (N, C, H, W)."""
    test_start = np.datetime64(fd.periods["test"][0])
    ref = fd.times < test_start
    if not ref.any():
        raise CnnlabError("the climatology needs data before the test period; start --test-period later")
    ref_index = np.flatnonzero(ref)
    ref_times = fd.times[ref_index]
    minutes = lambda t: ((t - t.astype("datetime64[D]")) // np.timedelta64(1, "m")).astype(int)  # noqa: E731
    doy = lambda t: (t.astype("datetime64[D]") - t.astype("datetime64[Y]")).astype(int)  # noqa: E731
    ref_min, ref_doy = minutes(ref_times), doy(ref_times)
    out = np.empty((len(valid_times),) + fd.fields.shape[1:], np.float32)
    cache: dict[tuple[int, int], np.ndarray] = {}
    for n, (m, d) in enumerate(zip(minutes(valid_times), doy(valid_times))):
        key = (int(m), int(d))
        if key not in cache:
            distance = np.abs(ref_doy - d)
            distance = np.minimum(distance, 366 - distance)
            chosen = (ref_min == m) & (distance <= window_days)
            if not chosen.any():
                chosen = distance <= window_days
            if not chosen.any():
                chosen = np.ones_like(chosen)
            cache[key] = np.nanmean(fd.fields[ref_index[chosen]], axis=0)  # reads only these times when streaming
        out[n] = cache[key]
    return out
