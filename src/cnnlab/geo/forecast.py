"""The `forecast` task: predict a gridded field `lead` hours ahead, scored against persistence and climatology.

config -> gridded source (lazy) -> selection -> ForecastData (dated splits, training statistics) ->
field model from the registry (in: history x channels + 4 time channels, out: leads x channels residuals)
-> the loop of cnnlab.train with a latitude-weighted, masked MSE (with --train-rollout N: over N autoregressive
applications, cnnlab.geo.rollout) -> best weights -> test forecasts at the trained leads (with --rollout LENGTH:
every multiple of the lead up to it) -> scores per lead for the model and both baselines -> results.json,
forecast.nc (cnnlab.geo.forecast_file), metrics.csv, plots.

results.json: {"test": {"lead_6h": {"rmse": {"model": .., "persistence": .., "climatology": ..},
"rmse_wb2": {..}, "mae": {..}, "bias": {..}, "acc": {..}}, ...}, ...}; the definitions are in
cnnlab.geo.metrics (`rmse` is the time mean of per-step latitude-weighted RMSE).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.field_task import FieldTask, IndexBatches, json_number
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
from cnnlab.geo.gridded import GridSelection, is_gridded_source, open_gridded, select
from cnnlab.geo.lead_scores import score_leads
from cnnlab.geo.options import ForecastOptions, options_for
from cnnlab.geo.padding import grid_padding_mode
from cnnlab.geo.rollout import RolloutModel, RolloutTraining, rollout, rollout_applications
from cnnlab.geo.weights import latitude_weights
from cnnlab.models import create_model, model_info
from cnnlab.train.checkpoint import load_weights, read_safetensors
from cnnlab.train.runs import default_run_dir, open_run, write_json
from cnnlab.train.tasks import register_task

__all__ = [
    "ForecastTask",
    "forecast_test_scores",
    "load_forecast_data",
    "load_forecast_run",
    "forecast_from_fields",
    "selection_from",
    "weighted_mse",
    "json_number",
]


def selection_from(options: ForecastOptions) -> GridSelection:
    return GridSelection(variables=options.variables, levels=options.levels, box=options.box, time=options.time)


def weighted_mse(lat_weights: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """loss = sum(w_i m (p - y)^2) / sum(w_i m): latitude-weighted, over known cells only."""
    w = lat_weights.view(1, 1, -1, 1)

    def loss(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        wm = w * mask
        return (wm * (prediction - target) ** 2).sum() / wm.sum().clamp_min(1e-12)

    return loss


def periods_from(options) -> dict[str, tuple[str, str]] | None:
    """The dated splits given by --train-period/--val-period/--test-period, or None for the data's default split."""
    given = {name: getattr(options, f"{name}_period") for name in ("train", "val", "test")}
    if not any(given.values()):
        return None
    if not (given["train"] and given["test"]):
        raise CnnlabError(
            "give both --train-period and --test-period (and optionally --val-period), or none for the default split"
        )
    return {name: parse_period(text, f"--{name}-period") for name, text in given.items() if text}


def load_forecast_data(config) -> ForecastData:
    options = options_for("forecast", config.geo)
    ds = open_gridded(config.data, config.data_dir)
    da = select(ds, selection_from(options))
    da.attrs["cnnlab_source"] = ds.attrs.get("cnnlab_source", config.data)
    leads = [s.strip() for s in str(config.lead).split(",") if s.strip()]
    targets = parse_targets(options.target, [str(c) for c in da["channel"].values])
    return build_forecast_data(
        da,
        config.data,
        leads,
        config.history,
        periods_from(options),
        options.nans,
        options.coords,
        options.stream,
        targets,
    )


def forecast_test_scores(
    model: torch.nn.Module, fd: ForecastData, lat_w: np.ndarray, device: torch.device, applications: int = 1
):
    """Per-lead test scores of the model and both baselines (results.json["test"]), details (initial times per lead,
    per-channel scores), the lead offsets and the forecasts (N, offsets, targets, H, W): one application of the model
    gives its trained leads, more roll it out on its own output."""
    test_index = fd.splits["test"]
    rm = RolloutModel.from_statistics(model, fd.statistics(), fd.lat, fd.lon)
    offsets, forecasts = rollout(rm, fd.past(test_index), fd.times[test_index], applications, device)
    test, details = score_leads(fd, test_index, offsets, forecasts, lat_w, dict(zip(fd.leads, fd.lead_names)))
    return test, details, offsets, forecasts


def _padding_options(config, lon) -> dict:
    options = dict(config.model_options)
    if "padding_mode" in model_info(config.model).options:
        options.setdefault("padding_mode", grid_padding_mode(options_for("forecast", config.geo).padding, lon))
    return options


@register_task("forecast")
class ForecastTask(FieldTask):
    def prepare(self, config, device) -> None:
        if not is_gridded_source(config.data):
            raise CnnlabError(
                "--task forecast needs gridded data (air_temperature, netcdf:PATH, zarr:PATH, grib:PATH), "
                f"not {config.data!r}"
            )
        self.fd = fd = load_forecast_data(config)
        self.options = _padding_options(config, fd.lon)
        self.weights_kind = options_for("forecast", config.geo).weights
        self.lat_w = latitude_weights(fd.lat, self.weights_kind)
        self.loss_fn = weighted_mse(torch.tensor(self.lat_w, dtype=torch.float32, device=device))
        self.sample, self.splits = fd.sample, fd.splits
        geo = options_for("forecast", config.geo)
        probe = RolloutModel.from_statistics(torch.nn.Identity(), fd.statistics(), fd.lat, fd.lon)
        self.applications = (
            rollout_applications(geo.rollout, probe) if geo.rollout else 1
        )  # a bad length fails before training
        self.training = None
        if geo.train_rollout > 1:
            self.training = RolloutTraining(fd, geo.train_rollout, self.loss_fn)
            self.splits = {**fd.splits, "train": self.training.train_index(fd.splits["train"])}
        self.baselines = geo.baselines

    def init_model(self, model, device) -> None:
        if self.training is not None:
            self.training.bind(model)

    def train_batches(self, config, device, generator, shard):
        if self.training is None:
            return super().train_batches(config, device, generator, shard)
        return IndexBatches(self.training.sample, self.splits["train"], config.batch_size, device, generator, shard)

    def loss(self, output, batch):
        """The one-step loss, or with --train-rollout the mean over its applications
        (batches then carry their indices)."""
        if self.training is not None and len(batch) == 4:
            return self.training.loss(output.float(), batch)
        return self.loss_fn(output.float(), batch[1], batch[2])

    def eval_loss(self, output, batch):
        return self.loss_fn(output.float(), batch[1], batch[2])  # validation keeps the one-step loss

    def model_shape(self, config):
        height, width = self.fd.fields.shape[-2:]
        return (self.fd.in_channels, height, width), self.fd.out_channels, self.options

    def default_run_dir(self, config) -> Path:
        return default_run_dir(config.data.replace(":", "-").replace("/", "_"), config.model)

    def checkpoint_metadata(self, config) -> dict:
        height, width = self.fd.fields.shape[-2:]
        return {
            "model": config.model,
            "data": config.data,
            "task": "forecast",
            "statistics": self.fd.statistics(),
            "padding_mode": self.options.get("padding_mode"),
            "grid": [int(height), int(width)],
        }

    def describe(self, config, params, run_dir, where) -> str:
        fd = self.fd
        height, width = fd.fields.shape[-2:]
        counts = {k: int(len(v)) for k, v in self.splits.items()}  # the training samples a --train-rollout keeps
        return (
            f"forecast {','.join(fd.lead_names)} ahead with {config.model} ({params:,} params, padding "
            f"{self.options.get('padding_mode', 'model default')}) on {config.data} "
            f"{'+'.join(fd.channels)} {height}x{width}: "
            f"{counts.get('train', 0):,} train, {counts.get('val', 0):,} val, {counts['test']:,} test samples"
        )

    def test(self, run):
        fd = self.fd
        test, details, offsets, forecasts = forecast_test_scores(
            run.engine.model, fd, self.lat_w, run.device, self.applications
        )
        results = {
            "test": test,
            "task": "forecast",
            "metrics": {
                "rmse": "time mean of per-step latitude-weighted RMSE (WeatherBench 1)",
                "rmse_wb2": "root of the time-mean latitude-weighted squared error (WeatherBench 2)",
                "weights": f"{self.weights_kind}-latitude weights normalised to mean 1",
                "acc": "uncentred anomaly correlation against the climatology baseline",
                "climatology": (
                    "mean of the same hour of day, day of year +-15 days, over all times before the test period"
                ),
                "units": "the data's units (air_temperature: K)",
            },
            "samples": {k: int(len(v)) for k, v in self.splits.items()},
            "periods": {k: list(v) for k, v in fd.periods.items()},
            "channels": fd.channels,
            "targets": fd.target_channels,
            "initial_times_by_lead": details["initial_times"],
            **({"test_by_channel": details["by_channel"]} if "by_channel" in details else {}),
            "rollout": {
                "applications": self.applications,
                "train_rollout": self.training.applications if self.training else 1,
                "forecast_file": FORECAST_FILE_NAME,
            },
            **self.run_facts(run, self.options.get("padding_mode")),
        }
        return results, {"forecasts": forecasts, "offsets": offsets}

    def write(self, run, results, artifacts, log) -> None:
        fd, config = self.fd, run.config
        write_json(run.run_dir / "results.json", results)
        test_index = fd.splits["test"]
        source = open_gridded(config.data, config.data_dir)
        write_run_forecast(
            run.run_dir / FORECAST_FILE_NAME,
            fd,
            test_index,
            artifacts["offsets"],
            artifacts["forecasts"],
            config.to_dict(),
            variable_attrs(source, fd.target_channels),
            source.attrs.get("cnnlab_source", config.data),
            self.baselines,
        )
        trained = artifacts["forecasts"][:, : len(fd.leads)]  # the first offsets are the trained leads
        _plots(run.run_dir, fd, trained, fd.truth(test_index), test_index, results["test"], run.history, config, log)
        shown = list(fd.lead_names) + [
            k.removeprefix("lead_") for k in results["test"] if k in ("lead_72h", "lead_120h")
        ]
        log(_lead_lines(results["test"], list(dict.fromkeys(shown)), gains=True))
        log(f"-> {run.run_dir} ({results['wall_time_s']:.1f} s)")

    def evaluate_run(self, run_dir, config, which, device, data_dir):
        model, stats = load_forecast_run(run_dir, which, device)
        if data_dir:
            config.data_dir = data_dir
        fd = load_forecast_data(config)
        geo = options_for("forecast", config.geo)
        rm = RolloutModel.from_statistics(model, stats, fd.lat, fd.lon)
        applications = rollout_applications(geo.rollout, rm) if geo.rollout else 1
        test, _, _, _ = forecast_test_scores(model, fd, latitude_weights(fd.lat, geo.weights), device, applications)
        return {
            "model": config.model,
            "data": config.data,
            "checkpoint": which,
            "samples": int(len(fd.splits["test"])),
            "leads": list(fd.lead_names),
            "test": test,
        }

    def evaluation_text(self, evaluation) -> str:
        head = (
            f"{evaluation['model']} on {evaluation['data']} ({evaluation['checkpoint']}.safetensors), "
            f"{evaluation['samples']:,} test samples"
        )
        return head + "\n" + _lead_lines(evaluation["test"], evaluation["leads"], gains=False)


def _lead_lines(test: dict, lead_names, gains: bool) -> str:
    lines = []
    for name in lead_names:
        r = test[f"lead_{name}"]["rmse"]
        line = (
            f"lead {name}: rmse {r['model']} in the data's units "
            f"(persistence {r['persistence']}, climatology {r['climatology']})"
        )
        if gains:
            gain = (
                100 * (1 - r["model"] / r["persistence"])
                if r["model"] is not None and r["persistence"]
                else float("nan")
            )
            line += (
                f": {abs(gain):.1f}% {'better' if gain >= 0 else 'worse'} than persistence"
                if gain == gain
                else ": no persistence score"
            )
        lines.append(line)
    return "\n".join(lines)


def _plots(run_dir, fd, forecasts, truth, test_index, test, history, config, log) -> None:
    from cnnlab.figures import have_matplotlib

    if not have_matplotlib():
        log("plots skipped: matplotlib is not installed (pip install 'cnnlab[plot]')")
        return
    from cnnlab.geo import plots

    plots.plot_forecast_maps(
        run_dir / "forecast_maps.png", fd, forecasts, truth, test_index, f"{config.model} on {config.data}"
    )
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
    model = create_model(config.model, (in_channels, *shape), len(stats["leads"]) * targets, output="field", **options)
    load_weights(model, weights, config.model)
    return model.to(device or torch.device("cpu")).eval(), stats


def forecast_from_fields(
    model: torch.nn.Module, stats: dict, past: np.ndarray, initial_time, lat=None, lon=None
) -> np.ndarray:
    """Forecast with a trained run on new data, normalised with the checkpoint's training statistics.

    past: (history, C, H, W) in the data's units, oldest first, the last at `initial_time`.
    Returns (leads, targets, H, W) in the data's units: x[t] + residual_std * model output (targets: every
    channel unless the run was trained with --target)."""
    past = np.asarray(past, np.float32)
    history, channels = stats["history"], len(stats["channels"])
    if past.shape[:2] != (history, channels):
        raise CnnlabError(
            f"the run needs {history} past fields of {channels} channels ({', '.join(stats['channels'])}), "
            f"got shape {past.shape}"
        )
    mean, std = np.asarray(stats["mean"], np.float32), np.asarray(stats["std"], np.float32)
    if stats.get("coords") and (lat is None or lon is None):
        raise CnnlabError("this run was trained with --coords: pass the grid's lat and lon")
    newest_first = past[::-1][None]  # the input order of training: x[t], x[t-1], ...
    x = torch.from_numpy(
        stack_inputs(
            newest_first,
            np.array([initial_time], "datetime64[ns]"),
            mean,
            std,
            stats["mask_inputs"],
            stats.get("coords", False),
            lat,
            lon,
        )
    )
    with torch.no_grad():
        residual = model.eval()(x.to(next(model.parameters()).device)).float().cpu().numpy()[0]
    targets = [stats["channels"].index(name) for name in stats.get("targets") or stats["channels"]]
    residual = residual.reshape(len(stats["leads"]), len(targets), *past.shape[-2:])
    return past[-1][targets][None] + residual * np.asarray(stats["residual_std"], np.float32)[:, :, None, None]
