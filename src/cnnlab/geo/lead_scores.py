"""Scores per lead of a forecast run, for the model and both baselines on the same samples.

For forecasts (N, L, targets, H, W) from the initial times `index` at lead offsets (time steps), each lead is
scored on the initial times whose valid time t + lead still lies in the test period (a rollout reaches past
its end for the last initial times; those forecasts are written, not scored). Persistence repeats x[t];
climatology is cnnlab.geo.forecast_data.climatology_for at the valid time. With several target channels,
each channel is also scored alone (channels of different units do not pool well).
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.geo.forecast_data import ForecastData, climatology_for
from cnnlab.geo.metrics import forecast_scores

__all__ = ["lead_name", "score_leads", "last_test_index", "baseline_fields", "rounded"]


def rounded(value: float | None, digits: int = 4):
    """A score as results.json holds it: rounded, and None for NaN/inf (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def lead_name(offset: int, step: np.timedelta64) -> str:
    """Lead offset in time steps -> '6h', '120h' (hours when whole, else minutes)."""
    minutes = int(offset * step / np.timedelta64(1, "m"))
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}min"


def last_test_index(fd: ForecastData) -> int:
    """The index of the last time of the test period."""
    return int(np.flatnonzero(fd.times <= np.datetime64(fd.periods["test"][1]))[-1])


def baseline_fields(fd: ForecastData, index: np.ndarray, offsets: list[int]) -> dict[str, np.ndarray]:
    """Persistence and climatology as forecasts (N, L, targets, H, W) for the initial times `index`."""
    t = fd.target_index
    persistence = np.repeat(fd.fields[index][:, None, t], len(offsets), axis=1)
    climatology = np.stack(
        [climatology_for(fd, fd.times[index] + offset * fd.step)[:, t] for offset in offsets], axis=1
    )
    return {"persistence": persistence, "climatology": climatology}


def score_leads(
    fd: ForecastData,
    index: np.ndarray,
    offsets: list[int],
    forecasts: np.ndarray,
    lat_weights: np.ndarray,
    names: dict[int, str] | None = None,
) -> tuple[dict, dict]:
    """({"lead_6h": {metric: {"model": .., "persistence": .., "climatology": ..}}, ...}, details) where details holds
    "initial_times" (per lead, how many were scored) and, with several targets, "by_channel" (per lead and channel,
    the same layout). `names` maps an offset to the lead's name as the user wrote it (default: hours, lead_name)."""
    names = names or {}
    details: dict = {"initial_times": {}}
    t = fd.target_index
    last = last_test_index(fd)
    out = {}
    for i, offset in enumerate(offsets):
        keep = index + offset <= last
        if not keep.any():
            continue
        start, valid = index[keep], index[keep] + offset
        truth = fd.fields[valid][:, t]
        clim = climatology_for(fd, fd.times[valid])[:, t]
        candidates = {"model": forecasts[keep, i], "persistence": fd.fields[start][:, t], "climatology": clim}
        scores = {label: forecast_scores(f, truth, lat_weights, clim) for label, f in candidates.items()}
        key = f"lead_{names.get(offset) or lead_name(offset, fd.step)}"
        out[key] = {
            metric: {label: rounded(scores[label][metric]) for label in candidates} for metric in scores["model"]
        }
        details["initial_times"][key] = int(keep.sum())
        if len(t) > 1:
            by_channel = details.setdefault("by_channel", {}).setdefault(key, {})
            for c, channel in enumerate(fd.target_channels):
                per = {
                    label: forecast_scores(f[:, c : c + 1], truth[:, c : c + 1], lat_weights, clim[:, c : c + 1])
                    for label, f in candidates.items()
                }
                by_channel[channel] = {
                    metric: {label: rounded(per[label][metric]) for label in candidates} for metric in per["model"]
                }
    return out, details
