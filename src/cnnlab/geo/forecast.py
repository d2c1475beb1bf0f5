"""The `forecast` task: predict a gridded field `lead` hours ahead, scored against persistence and climatology.

config -> gridded source (lazy) -> selection -> ForecastData (dated splits, training statistics) ->
field model from the registry (in: history x channels + 4 time channels, out: leads x channels residuals)
-> cnnlab.geo.fit with a latitude-weighted, masked MSE -> best weights -> test scores per lead for the
model and both baselines -> results.json, metrics.csv, plots.

results.json: {"test": {"lead_6h": {"rmse": {"model": .., "persistence": .., "climatology": ..},
"rmse_wb2": {..}, "mae": {..}, "bias": {..}, "acc": {..}}, ...}, ...}; the definitions are in
cnnlab.geo.metrics (`rmse` is the time mean of per-step latitude-weighted RMSE).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.fit import fit, run_facts
from cnnlab.geo.forecast_data import (
    ForecastData,
    build_forecast_data,
    input_channels,
    parse_period,
    parse_targets,
    stack_inputs,
)
from cnnlab.geo.forecast_file import FORECAST_FILE_NAME
from cnnlab.geo.forecast_predict import variable_attrs, write_run_forecast
from cnnlab.geo.gridded import GridSelection, open_gridded, select
from cnnlab.geo.lead_scores import score_leads
from cnnlab.geo.rollout import RolloutModel, RolloutTraining, rollout, rollout_applications
from cnnlab.geo.padding import resolve_padding
from cnnlab.geo.weights import latitude_weights
from cnnlab.models import create_model, model_info
from cnnlab.train.checkpoint import load_weights, read_safetensors
from cnnlab.train.device import resolve_device
from cnnlab.train.runs import default_run_dir, open_run, prepare_run_dir, write_json

__all__ = ["periods_from", "train_forecast", "load_forecast_run", "forecast_from_fields", "selection_from", "weighted_mse", "json_number"]


def selection_from(geo: dict) -> GridSelection:
    box = geo.get("box")
    time_range = geo.get("time")
    return GridSelection(
        variables=tuple(geo.get("variables") or ()),
        levels=tuple(float(v) for v in geo.get("levels") or ()),
        box=tuple(float(v) for v in box) if box else None,
        time=tuple(time_range) if time_range else None,
    )


def weighted_mse(lat_weights: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """loss = sum(w_i m (p - y)^2) / sum(w_i m): latitude-weighted, over known cells only."""
    w = lat_weights.view(1, 1, -1, 1)

    def loss(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        wm = w * mask
        return (wm * (prediction - target) ** 2).sum() / wm.sum().clamp_min(1e-12)

    return loss


def json_number(value: float, digits: int = 4):
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def periods_from(geo: dict) -> dict[str, tuple[str, str]] | None:
    given = {name: geo.get(f"{name}_period") for name in ("train", "val", "test")}
    if not any(given.values()):
        return None
    if not (given["train"] and given["test"]):
        raise CnnlabError("give both --train-period and --test-period (and optionally --val-period), or none for the default split")
    return {name: parse_period(text, f"--{name}-period") for name, text in given.items() if text}


def load_forecast_data(config) -> ForecastData:
    geo = config.geo
    ds = open_gridded(config.data, config.data_dir)
    da = select(ds, selection_from(geo))
    da.attrs["cnnlab_source"] = ds.attrs.get("cnnlab_source", config.data)
    leads = [s.strip() for s in str(config.lead).split(",") if s.strip()]
    targets = parse_targets(geo.get("target"), [str(c) for c in da["channel"].values])
    return build_forecast_data(da, config.data, leads, config.history, periods_from(geo), geo.get("nans", "error"),
                               bool(geo.get("coords", False)), geo.get("stream"), targets)


def train_forecast(config, overwrite: bool = False, log: Callable[[str], None] = print, progress: bool | None = None):
    from cnnlab.train.trainer import RunResult

    started = time.perf_counter()
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    fd = load_forecast_data(config)
    padding = resolve_padding(config.geo.get("padding", "auto"), fd.lon)
    options = dict(config.model_options)
    if "padding_mode" in model_info(config.model).options:
        options.setdefault("padding_mode", padding)
    height, width = fd.fields.shape[-2:]
    model = create_model(config.model, (fd.in_channels, height, width), fd.out_channels, output="field",
                         **options).to(device)
    weights_kind = config.geo.get("weights", "cos")
    lat_w = latitude_weights(fd.lat, weights_kind)
    run_dir = Path(config.out) if config.out else default_run_dir(config.data.replace(":", "-").replace("/", "_"), config.model)
    prepare_run_dir(run_dir, overwrite)
    config.out = str(run_dir)
    config.save(run_dir / "config.json")

    loss_fn = weighted_mse(torch.tensor(lat_w, dtype=torch.float32, device=device))
    stats = fd.statistics()
    metadata = {"model": config.model, "data": config.data, "task": "forecast", "statistics": stats, "padding_mode": options.get("padding_mode"),
                "grid": [int(height), int(width)], "config": config.to_dict()}
    params = sum(p.numel() for p in model.parameters())
    counts = {k: int(len(v)) for k, v in fd.splits.items()}
    log(f"forecast {','.join(fd.lead_names)} ahead with {config.model} ({params:,} params, padding {options.get('padding_mode', 'model default')}) "
        f"on {config.data} {'+'.join(fd.channels)} {height}x{width}: {counts.get('train', 0):,} train, {counts.get('val', 0):,} val, "
        f"{counts['test']:,} test samples; run folder {run_dir}")
    rollout_model = RolloutModel.from_statistics(model, stats, fd.lat, fd.lon)
    applications = rollout_applications(config.geo["rollout"], rollout_model) if config.geo.get("rollout") else 1
    train_rollout = int(config.geo.get("train_rollout") or 1)
    train_index, train_batch, train_loss = fd.splits["train"], None, None
    if train_rollout > 1:
        training = RolloutTraining(fd, train_rollout, loss_fn)
        training.bind(model)
        train_index, train_batch, train_loss = training.train_index(train_index), training.sample, training.loss
    history, best_epoch = fit(model, fd.sample, train_index, fd.splits.get("val", np.array([], int)), loss_fn, config, device,
                              run_dir, metadata, log, progress, train_batch=train_batch, train_loss=train_loss)
    train_time = time.perf_counter() - started
    load_weights(model, run_dir / "best.safetensors", config.model)
    test_index = fd.splits["test"]
    # One application of the model is its trained leads; more roll it out on its own forecasts.
    offsets, rolled = rollout(rollout_model, fd.past(test_index), fd.times[test_index], applications, device)
    test, details = score_leads(fd, test_index, offsets, rolled, lat_w, dict(zip(fd.leads, fd.lead_names)))
    forecasts = rolled[:, :len(fd.leads)]  # (N, L, targets, H, W): the first offsets are the trained leads
    truth = fd.truth(test_index)
    source = open_gridded(config.data, config.data_dir)
    write_run_forecast(run_dir / FORECAST_FILE_NAME, fd, test_index, offsets, rolled, config.to_dict(),
                       variable_attrs(source, fd.target_channels), source.attrs.get("cnnlab_source", config.data),
                       bool(config.geo.get("baselines")))
    results = {
        "test": test,
        "task": "forecast",
        "metrics": {"rmse": "time mean of per-step latitude-weighted RMSE (WeatherBench 1)",
                    "rmse_wb2": "root of the time-mean latitude-weighted squared error (WeatherBench 2)",
                    "weights": f"{weights_kind}-latitude weights normalised to mean 1",
                    "acc": "uncentred anomaly correlation against the climatology baseline",
                    "climatology": "mean of the same hour of day, day of year +-15 days, over all times before the test period",
                    "units": "the data's units (air_temperature: K)"},
        "samples": counts,
        "periods": {k: list(v) for k, v in fd.periods.items()},
        "channels": fd.channels,
        "targets": fd.target_channels,
        "initial_times_by_lead": details["initial_times"],
        **({"test_by_channel": details["by_channel"]} if "by_channel" in details else {}),
        "rollout": {"applications": applications, "train_rollout": train_rollout, "forecast_file": FORECAST_FILE_NAME},
        **run_facts(history, best_epoch, train_time, started, config.model, config.data, params, options.get("padding_mode"), device),
    }
    write_json(run_dir / "results.json", results)
    _plots(run_dir, fd, forecasts, truth, test_index, test, history, config, log)
    shown = list(fd.lead_names) + [key.removeprefix("lead_") for key in test if key.removeprefix("lead_") in ("72h", "120h")]
    for name in dict.fromkeys(shown):
        if f"lead_{name}" not in test:
            continue
        r = test[f"lead_{name}"]["rmse"]
        gain = 100 * (1 - r["model"] / r["persistence"]) if r["model"] is not None and r["persistence"] else float("nan")
        versus = (f"{abs(gain):.1f}% {'better' if gain >= 0 else 'worse'} than persistence" if gain == gain
                  else "no persistence score")
        log(f"lead {name}: rmse {r['model']} in the data's units (persistence {r['persistence']}, "
            f"climatology {r['climatology']}): {versus}")
    log(f"-> {run_dir} ({results['wall_time_s']:.1f} s)")
    return RunResult(run_dir, results, history)


def _plots(run_dir, fd, forecasts, truth, test_index, test, history, config, log) -> None:
    from cnnlab.figures import have_matplotlib

    if not have_matplotlib():
        log("plots skipped: matplotlib is not installed (pip install 'cnnlab[plot]')")
        return
    from cnnlab.geo import plots

    plots.plot_forecast_maps(run_dir / "forecast_maps.png", fd, forecasts, truth, test_index, f"{config.model} on {config.data}")
    plots.plot_rmse_by_lead(run_dir / "rmse_by_lead.png", test, f"{config.model} on {config.data}")
    plots.plot_loss_curves(run_dir / "curves.png", history, f"{config.model} on {config.data}")


def load_forecast_run(run_dir: Path, which: str = "best", device: torch.device | None = None):
    """The trained model of a forecast run and the normalisation statistics stored in its checkpoint.

    Inputs at inference are normalised with the stored training mean/std and outputs de-normalised
    with the stored residual std, never with statistics of the new data."""
    config, weights = open_run(run_dir, which, writer="cnnlab train --task forecast")
    _, metadata = read_safetensors(weights)  # the statistics decide the model's shape before its weights load
    stats = metadata.get("statistics")
    if metadata.get("task") != "forecast" or not stats:
        raise CnnlabError(f"{weights} holds no forecast statistics; it was not written by --task forecast")
    options = dict(config.model_options)
    if metadata.get("padding_mode"):
        options["padding_mode"] = metadata["padding_mode"]
    channels = len(stats["channels"])
    in_channels = input_channels(stats["history"], channels, stats["mask_inputs"], stats.get("coords", False))
    shape = tuple(metadata["grid"])
    targets = len(stats.get("targets") or stats["channels"])
    model = create_model(config.model, (in_channels, *shape), len(stats["leads"]) * targets, **options)
    load_weights(model, weights, config.model)
    return model.to(device or torch.device("cpu")).eval(), stats


def forecast_from_fields(model: torch.nn.Module, stats: dict, past: np.ndarray, initial_time, lat=None, lon=None) -> np.ndarray:
    """Forecast with a trained run on new data, normalised with the checkpoint's training statistics.

    past: (history, C, H, W) in the data's units, oldest first, the last at `initial_time`.
    Returns (leads, targets, H, W) in the data's units: x[t] + residual_std * model output."""
    past = np.asarray(past, np.float32)
    history, channels = stats["history"], len(stats["channels"])
    if past.shape[:2] != (history, channels):
        raise CnnlabError(f"the run needs {history} past fields of {channels} channels ({', '.join(stats['channels'])}), got shape {past.shape}")
    mean, std = np.asarray(stats["mean"], np.float32), np.asarray(stats["std"], np.float32)
    if stats.get("coords") and (lat is None or lon is None):
        raise CnnlabError("this run was trained with --coords: pass the grid's lat and lon")
    newest_first = past[::-1][None]  # the input order of training: x[t], x[t-1], ...
    x = torch.from_numpy(stack_inputs(newest_first, np.array([initial_time], "datetime64[ns]"), mean, std, stats["mask_inputs"],
                                      stats.get("coords", False), lat, lon))
    with torch.no_grad():
        residual = model.eval()(x.to(next(model.parameters()).device)).float().cpu().numpy()[0]
    targets = [stats["channels"].index(name) for name in stats.get("targets") or stats["channels"]]
    residual = residual.reshape(len(stats["leads"]), len(targets), *past.shape[-2:])
    return past[-1][targets][None] + residual * np.asarray(stats["residual_std"], np.float32)[:, :, None, None]
