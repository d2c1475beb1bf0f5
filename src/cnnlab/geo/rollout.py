"""Autoregressive rollouts: a forecast model applied to its own output, as FourCastNet and GraphCast do to reach days.

A model trained for leads l_1 < ... < l_k (in time steps) with a history of K fields is applied at origins
o = 0, s, 2s, ... with stride s = l_k. At origin o its input is the trajectory x[o], x[o-1], ..., x[o-K+1]:
true fields where o-j <= 0, else its own earlier forecasts; it adds x[o+l_i] for every lead. After n
applications the trajectory holds forecasts at o + l_i for o < n s, i.e. every multiple of l_1 up to n s when
the leads are l_1, 2 l_1, ..., s (one lead L gives L, 2L, ..., nL). A window that would need a field the
model never forecasts (history 3 with the single lead 12h on 6-hourly data) is refused with the leads to add.

Training with `--train-rollout N` backpropagates through N applications: the loss is the mean over every
forecast offset of the masked, latitude-weighted MSE of (forecast - truth) / s_l, which for N = 1 is the
one-step loss on normalised residuals; longer unrolls teach the model the inputs it will meet in a rollout
(its own smoothed fields), the standard way to keep rollouts stable (WeatherBench baselines, GraphCast).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast_data import fields_from_residuals, normalise_fields, stack_inputs
from cnnlab.geo.gridded import parse_duration

__all__ = [
    "RolloutModel",
    "rollout_applications",
    "rollout_offsets",
    "rollout",
    "rollout_loss",
    "complete_rollout_index",
    "RolloutTraining",
]


@dataclass
class RolloutModel:
    """A forecast model with the training statistics that turn its normalised residuals into fields."""

    model: torch.nn.Module
    mean: np.ndarray  # (C,) training mean per channel
    std: np.ndarray  # (C,)
    residual_std: np.ndarray  # (L, C): s_l
    lead_steps: tuple[int, ...]  # leads in time steps, ascending
    history: int
    step: np.timedelta64
    mask_inputs: bool = False
    coords: bool = False
    lat: np.ndarray | None = None
    lon: np.ndarray | None = None
    channels: list[str] | None = None  # the input channels; the model forecasts `targets` among them
    targets: list[str] | None = None

    @classmethod
    def from_statistics(cls, model: torch.nn.Module, stats: dict, lat=None, lon=None) -> "RolloutModel":
        """From the statistics a forecast checkpoint stores (cnnlab.geo.forecast_data.ForecastData.statistics)."""
        step = np.timedelta64(int(stats["step_minutes"]), "m")
        leads = tuple(int(parse_duration(name) // step) for name in stats["leads"])
        if list(leads) != sorted(leads):
            raise CnnlabError(f"a rollout needs the model's leads in ascending order, got {', '.join(stats['leads'])}")
        return cls(
            model,
            np.asarray(stats["mean"], np.float32),
            np.asarray(stats["std"], np.float32),
            np.asarray(stats["residual_std"], np.float32),
            leads,
            int(stats["history"]),
            step,
            bool(stats.get("mask_inputs", False)),
            bool(stats.get("coords", False)),
            lat,
            lon,
            [str(c) for c in stats["channels"]],
            [str(c) for c in stats.get("targets") or stats["channels"]],
        )

    @property
    def stride(self) -> int:
        return self.lead_steps[-1]


def rollout_applications(text: str, rm: RolloutModel) -> int:
    """'72h' or '5d' -> how many applications of the model reach it; the length must be a multiple of the stride."""
    length = parse_duration(text).astype("timedelta64[m]")
    stride = (rm.step * rm.stride).astype("timedelta64[m]")
    if length <= np.timedelta64(0, "m") or length % stride != np.timedelta64(0, "m"):
        hours = stride / np.timedelta64(1, "h")
        raise CnnlabError(
            f"--rollout {text} is not a positive multiple of the model's longest lead ({hours:g}h); "
            f"choose e.g. {12 * hours:g}h or {20 * hours:g}h"
        )
    applications = int(length // stride)
    rollout_offsets(rm, applications)  # refuses a history window the leads cannot fill
    return applications


def rollout_offsets(rm: RolloutModel, applications: int) -> list[int]:
    """The forecast offsets (time steps after the initial time) that `applications` applications produce."""
    if applications > 1 and rm.targets and rm.targets != rm.channels:
        raise CnnlabError(
            f"a rollout feeds the forecast back as input, so the model must forecast every input channel "
            f"({', '.join(rm.channels)}), not only {', '.join(rm.targets)}; train without --target"
        )
    known: set[int] = set()
    for n in range(applications):
        origin = n * rm.stride
        missing = [origin - j for j in range(rm.history) if origin - j > 0 and origin - j not in known]
        if missing:
            raise CnnlabError(
                f"a rollout of this model needs its forecast {missing[0]} steps ahead as input (history "
                f"{rm.history}, leads {', '.join(str(s) for s in rm.lead_steps)} steps); train with every lead "
                f"up to the longest (e.g. --lead 6h,12h,18h,24h) or with --history 1"
            )
        known.update(origin + lead for lead in rm.lead_steps)
    return sorted(known)


def complete_rollout_index(index: np.ndarray, rm: RolloutModel, applications: int) -> np.ndarray:
    """The initial-time indices of a split whose whole rollout stays inside it: the split already keeps
    t + l_k inside, so t may go up to its last index minus the extra (applications - 1) strides."""
    if len(index) == 0:
        return index
    return index[index <= index[-1] - (applications - 1) * rm.stride]


def _model_input(rm: RolloutModel, window: list[torch.Tensor], times: np.ndarray) -> torch.Tensor:
    """The model input for a history window [x[o], x[o-1], ...] of (N, C, H, W) tensors at origin times `times`:
    the normalised fields stay differentiable; time features, known-cell mask and coordinates come from
    stack_inputs, the one builder of training and inference inputs."""
    past = torch.stack(window, dim=1)  # (N, K, C, H, W), newest first
    mean = torch.as_tensor(rm.mean, device=past.device)
    std = torch.as_tensor(rm.std, device=past.device)
    known = torch.isfinite(past)
    normalised = torch.where(known, normalise_fields(torch.where(known, past, 0.0), mean, std), 0.0)
    n, k, c, h, w = past.shape
    full = stack_inputs(past.detach().cpu().numpy(), times, rm.mean, rm.std, rm.mask_inputs, rm.coords, rm.lat, rm.lon)
    rest = torch.from_numpy(full[:, k * c :]).to(past.device)
    return torch.cat([normalised.reshape(n, k * c, h, w), rest], dim=1)


def _unroll(
    rm: RolloutModel,
    past: torch.Tensor,
    init_times: np.ndarray,
    applications: int,
    first_output: torch.Tensor | None = None,
) -> dict[int, torch.Tensor]:
    """Trajectory {offset: (N, C, H, W)} of `applications` applications from past (N, K, C, H, W), newest first
    (`first_output`: the model's output for the first application, when the caller has it already)."""
    trajectory = {-j: past[:, j] for j in range(past.shape[1])}
    residual_std = torch.as_tensor(rm.residual_std, device=past.device)
    for n in range(applications):
        origin = n * rm.stride
        if n == 0 and first_output is not None:
            residuals = first_output.float()
        else:
            window = [trajectory[origin - j] for j in range(rm.history)]
            residuals = rm.model(_model_input(rm, window, init_times + origin * rm.step)).float()
        b, _, h, w = residuals.shape
        base = (
            trajectory[origin] if not rm.targets else trajectory[origin][:, [rm.channels.index(c) for c in rm.targets]]
        )
        fields = fields_from_residuals(base, residuals.reshape(b, len(rm.lead_steps), -1, h, w), residual_std)
        for i, lead in enumerate(rm.lead_steps):
            trajectory[origin + lead] = fields[:, i]
    return {offset: field for offset, field in trajectory.items() if offset > 0}


def rollout(
    rm: RolloutModel,
    past: np.ndarray,
    init_times: np.ndarray,
    applications: int,
    device: torch.device | None = None,
    batch_size: int = 256,
) -> tuple[list[int], np.ndarray]:
    """Forecast offsets (time steps) and forecasts (N, offsets, C, H, W) in the data's units from past fields
    (N, K, C, H, W), newest first, at initial times (N,)."""
    offsets = rollout_offsets(rm, applications)
    device = device or next(rm.model.parameters()).device
    rm.model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(past), batch_size):
            chunk = torch.from_numpy(np.asarray(past[start : start + batch_size], np.float32)).to(device)
            trajectory = _unroll(
                rm, chunk, np.asarray(init_times[start : start + batch_size], "datetime64[ns]"), applications
            )
            out.append(torch.stack([trajectory[o] for o in offsets], dim=1).cpu().numpy())
    return offsets, np.concatenate(out)


def rollout_loss(
    rm: RolloutModel,
    past: torch.Tensor,
    init_times: np.ndarray,
    truth: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
    applications: int,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    first_output: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean over the forecast offsets of loss_fn((forecast - truth) / s_l, 0, mask), differentiable through every
    application. `truth(offset)` gives the true fields (N, C, H, W) at that offset (NaN where unknown) and its mask."""
    trajectory = _unroll(rm, past, init_times, applications, first_output)
    residual_std = torch.as_tensor(rm.residual_std, device=past.device)
    losses = []
    for offset, forecast in trajectory.items():
        lead_index = rm.lead_steps.index(
            offset - (offset - 1) // rm.stride * rm.stride
        )  # offset = origin + lead, 1 <= lead <= stride
        target, mask = truth(offset)
        scaled = (
            torch.where(mask > 0, forecast - torch.nan_to_num(target), 0.0) / residual_std[lead_index][:, None, None]
        )
        losses.append(loss_fn(scaled, torch.zeros_like(scaled), mask))
    return torch.stack(losses).mean()


class RolloutTraining:
    """--train-rollout N inside a training loop that calls the model once per batch and then `loss(output, batch)`:
    batches carry their initial-time indices, and the loss unrolls N - 1 more applications of the bound model
    from that first output, reading the true later fields from the forecast data."""

    def __init__(
        self, fd, applications: int, loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    ):
        if applications < 1:
            raise CnnlabError(f"--train-rollout must be at least 1 application, got {applications}")
        self.fd, self.applications, self.loss_fn = fd, applications, loss_fn
        self.rm = RolloutModel.from_statistics(torch.nn.Identity(), fd.statistics(), fd.lat, fd.lon)
        rollout_offsets(self.rm, applications)  # refuses leads that cannot feed the window, and --target models

    def bind(self, model: torch.nn.Module) -> None:
        self.rm.model = model

    def train_index(self, index: np.ndarray) -> np.ndarray:
        kept = complete_rollout_index(index, self.rm, self.applications)
        if not len(kept):
            raise CnnlabError(
                f"the training period holds no sample with {self.applications} applications of the model after it; "
                f"lower --train-rollout"
            )
        return kept

    def sample(self, index: np.ndarray) -> tuple[torch.Tensor, ...]:
        """The one-step sample of `index` and the indices themselves (for the later applications' truth)."""
        return (*self.fd.sample(index), torch.from_numpy(np.asarray(index, np.int64)))

    def loss(self, output: torch.Tensor, batch) -> torch.Tensor:
        index = batch[-1].cpu().numpy()
        device = output.device
        past = torch.from_numpy(self.fd.past(index)).to(device)
        fields = self.fd.fields

        def truth(offset: int):
            values = torch.from_numpy(np.asarray(fields[index + offset], np.float32)).to(device)
            return values, torch.isfinite(values).float()

        return rollout_loss(self.rm, past, self.fd.times[index], truth, self.applications, self.loss_fn, output)
