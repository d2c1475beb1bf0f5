"""Classification of gridded fields: the class of each time (a weather regime, a storm day), now or `lead` ahead.

A sample is an initial time t with a known label at t + lead. Its input is the forecast task's input (the
last `history` fields, normalised by the training mean and std, and the time-of-day/year channels: the one
builder, cnnlab.geo.forecast_data.stack_inputs); its target is the class index at t + lead. Splits are date
ranges, and a sample belongs to a split only when its input times and its label time all lie in it.

Scores on the test samples, for the model and two baselines on the same samples:
    accuracy = (1/N) sum_n [p_n = y_n]
    macro_f1 = (1/K) sum_k F1_k, F1_k = 2 TP_k / (2 TP_k + FP_k + FN_k)  (a class never predicted nor true: 0)
    majority     the most frequent class of the training samples, for every time
    persistence  the class at the initial time t (known from the data at t), with --lead only; a time with
                 no label at t falls back to the majority class
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast_data import default_periods, input_channels, stack_inputs
from cnnlab.geo.gridded import check_finite, parse_duration, time_step

__all__ = ["FieldClassData", "build_field_class_data", "class_scores", "baseline_predictions", "confusion_matrix"]


@dataclass
class FieldClassData:
    fields: np.ndarray  # (T, C, H, W) float32 in the data's units
    times: np.ndarray  # (T,) datetime64[ns]
    lat: np.ndarray
    lon: np.ndarray
    channels: list[str]
    step: np.timedelta64
    lead: int  # in time steps (0: the class of the initial time itself)
    lead_name: str
    history: int
    labels: np.ndarray  # (T,) class index, -1 where unknown
    names: list[str]
    splits: dict[str, np.ndarray]  # split -> initial-time indices
    periods: dict[str, tuple[str, str]]
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.zeros(0))
    coords: bool = False

    @property
    def in_channels(self) -> int:
        return input_channels(self.history, len(self.channels), False, self.coords)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def inputs(self, index: np.ndarray) -> torch.Tensor:
        past = np.stack([self.fields[index - k] for k in range(self.history)], axis=1)  # x[t], x[t-1], ...
        return torch.from_numpy(
            stack_inputs(past, self.times[index], self.mean, self.std, False, self.coords, self.lat, self.lon)
        )

    def target(self, index: np.ndarray) -> np.ndarray:
        return self.labels[index + self.lead]

    def sample(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs(index), torch.from_numpy(self.target(index).astype(np.int64))

    def statistics(self) -> dict:
        """What a checkpoint stores to classify new fields the way training did."""
        return {
            "channels": self.channels,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "history": self.history,
            "lead": self.lead_name,
            "step_minutes": int(self.step / np.timedelta64(1, "m")),
            "coords": self.coords,
            "classes": self.names,
            "periods": self.periods,
        }


def build_field_class_data(
    da,
    data: str,
    labels: np.ndarray,
    names: list[str],
    lead: str | None,
    history: int,
    periods: dict[str, tuple[str, str]] | None,
    coords: bool = False,
) -> FieldClassData:
    """Read the selected DataArray (time, channel, lat, lon), cut dated splits of labelled samples and compute the
    training mean and std per channel."""
    where = da.attrs.get("cnnlab_source") or data
    times = da["time"].values.astype("datetime64[ns]")
    step = time_step(times, where)
    lead_text = lead or "0h"
    lead_delta = parse_duration(lead_text).astype("timedelta64[ns]") if lead else np.timedelta64(0, "ns")
    if lead_delta < np.timedelta64(0, "ns") or lead_delta % step != np.timedelta64(0, "ns"):
        hours = step / np.timedelta64(1, "h")
        raise CnnlabError(
            f"--lead {lead_text} is not a multiple of the time step of {where} ({hours:g}h); choose e.g. {4 * hours:g}h"
        )
    lead_steps = int(lead_delta // step)
    if history < 1:
        raise CnnlabError(f"--history must be at least 1 past field, got {history}")
    channels = [str(c) for c in da["channel"].values]
    fields = np.asarray(da.values, np.float32)
    check_finite(fields, channels, where, times)
    periods = periods or default_periods(data, times)
    splits = {}
    for name, (first, last) in periods.items():
        idx = np.flatnonzero((times >= np.datetime64(first)) & (times <= np.datetime64(last)))
        if idx.size:
            idx = idx[(idx - (history - 1) >= idx[0]) & (idx + lead_steps <= idx[-1])]
            idx = idx[labels[idx + lead_steps] >= 0]
        if name != "val" and idx.size == 0:
            raise CnnlabError(
                f"the {name} period {first}..{last} of {where} holds no labelled sample "
                f"({history} past fields + lead {lead_text}); label more times or widen it"
            )
        splits[name] = idx
    train = splits["train"]
    window = fields[int(train[0]) - (history - 1) : int(train[-1]) + 1]
    mean = window.mean(axis=(0, 2, 3)).astype(np.float32)
    std = np.maximum(window.std(axis=(0, 2, 3)), 1e-6).astype(np.float32)
    return FieldClassData(
        fields,
        times,
        da["lat"].values,
        da["lon"].values,
        channels,
        step,
        lead_steps,
        lead_text,
        history,
        np.asarray(labels, np.int64),
        list(names),
        splits,
        periods,
        mean,
        std,
        coords,
    )


def class_scores(predicted: np.ndarray, truth: np.ndarray, num_classes: int) -> dict[str, float]:
    """accuracy and macro-F1 (the module docstring's definitions, through scikit-learn)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(
            f1_score(truth, predicted, labels=list(range(num_classes)), average="macro", zero_division=0)
        ),
    }


def confusion_matrix(predicted: np.ndarray, truth: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K): row = true class, column = predicted class."""
    from sklearn.metrics import confusion_matrix as sk_confusion

    return sk_confusion(truth, predicted, labels=list(range(num_classes)))


def baseline_predictions(fd: FieldClassData, index: np.ndarray) -> dict[str, np.ndarray]:
    """Class predictions of the baselines for the samples `index`: majority always, persistence with a lead."""
    majority = int(np.bincount(fd.target(fd.splits["train"]), minlength=fd.num_classes).argmax())
    out = {"majority": np.full(len(index), majority, np.int64)}
    if fd.lead > 0:
        now = fd.labels[index]
        out["persistence"] = np.where(now >= 0, now, majority)
    return out
