"""Forecast scores on lat/lon grids, latitude-weighted, with missing values left out.

For forecast f, truth y, weights w_i per latitude row (mean 1, cnnlab.geo.weights) and a mask m
(1 where y is known) at time step t, the weighted mean over cells and channels is
    <x>_t = sum_{c,i,j} w_i m x / sum_{c,i,j} w_i m.
Then, over the T steps of a test period:
    rmse      = (1/T) sum_t sqrt(<(f - y)^2>_t)     time mean of per-step RMSE (WeatherBench 1)
    rmse_wb2  = sqrt((1/T) sum_t <(f - y)^2>_t)     root of time-mean squared error (WeatherBench 2)
    mae       = (1/T) sum_t <|f - y|>_t
    bias      = (1/T) sum_t <f - y>_t
    acc       = (1/T) sum_t <f' y'>_t / sqrt(<f'^2>_t <y'^2>_t),  f' = f - clim, y' = y - clim
(the anomaly correlation against the climatology `clim` of the valid time, uncentred as in WeatherBench).
Steps with no known cell are skipped (never counted as zero error).
"""

from __future__ import annotations

import numpy as np

__all__ = ["forecast_scores", "per_step_rmse", "weighted_step_mean"]


def weighted_step_mean(values: np.ndarray, lat_weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """<values>_t for values (T, C, H, W) -> (T,), NaN where a step has no known cell."""
    values = np.asarray(values, dtype=np.float64)
    w = np.broadcast_to(np.asarray(lat_weights, np.float64)[None, None, :, None], values.shape)
    m = np.isfinite(values) if mask is None else (np.asarray(mask, bool) & np.isfinite(values))
    wm = np.where(m, w, 0.0)
    total = wm.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.where(m, values, 0.0) * wm).sum(axis=(1, 2, 3)) / total, np.nan)


def per_step_rmse(forecast, truth, lat_weights, mask=None) -> np.ndarray:
    return np.sqrt(weighted_step_mean((np.asarray(forecast, np.float64) - truth) ** 2, lat_weights, mask))


def forecast_scores(forecast, truth, lat_weights, climatology=None, mask=None) -> dict[str, float]:
    """Every score of the module docstring for arrays (T, C, H, W); acc only with a climatology."""
    forecast = np.asarray(forecast, np.float64)
    truth = np.asarray(truth, np.float64)
    if mask is None:
        mask = np.isfinite(truth)
    error = forecast - truth
    mse = weighted_step_mean(error**2, lat_weights, mask)
    known = np.isfinite(mse)
    scores = {
        "rmse": float(np.sqrt(mse[known]).mean()),
        "rmse_wb2": float(np.sqrt(mse[known].mean())),
        "mae": float(weighted_step_mean(np.abs(error), lat_weights, mask)[known].mean()),
        "bias": float(weighted_step_mean(error, lat_weights, mask)[known].mean()),
    }
    if climatology is not None:
        f_anom, y_anom = forecast - climatology, truth - climatology
        cov = weighted_step_mean(f_anom * y_anom, lat_weights, mask)
        var_f = weighted_step_mean(f_anom**2, lat_weights, mask)
        var_y = weighted_step_mean(y_anom**2, lat_weights, mask)
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = cov / np.sqrt(var_f * var_y)
        scores["acc"] = float(np.nanmean(acc)) if np.isfinite(acc).any() else float("nan")
    return scores
