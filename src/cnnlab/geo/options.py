"""The typed options of the gridded tasks, with their defaults and choices in one place.

`TrainConfig.geo` keeps them as a plain dict (that is how config.json stores them, and cnnlab.train
knows nothing of grids); each task reads it into one of these dataclasses before it loads any data,
refusing keys it does not know and values outside the choices. The `cnnlab train` flags take their
choices and defaults from here. This module imports nothing heavy, so the CLI can read it at start-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cnnlab.errors import CnnlabError

__all__ = [
    "ForecastOptions",
    "CycloneOptions",
    "ClassifyGridOptions",
    "options_for",
    "PADDING_CHOICES",
    "NAN_POLICIES",
    "LATITUDE_WEIGHTS",
    "GRIDDED_TASKS",
    "CYCLONE_DATA",
]

PADDING_CHOICES = ("auto", "zeros", "replicate", "circular", "circular-zeros")
NAN_POLICIES = ("error", "mask")  # refuse missing values, or leave them out of loss and metrics
LATITUDE_WEIGHTS = ("cos", "area", "none")
GRIDDED_TASKS = ("forecast", "detect", "segment", "classify-grid")
CYCLONE_DATA = "synthetic-cyclones"


@dataclass(frozen=True)
class ForecastOptions:
    """--task forecast: what to read from the gridded source, how to split it and how to score it."""

    variables: tuple[str, ...] = ()  # () = every lat/lon variable
    levels: tuple[float, ...] = ()  # () = every pressure level
    box: tuple[float, float, float, float] | None = None  # lat0, lat1, lon0, lon1 in degrees
    time: tuple[str, str] | None = None  # first and last time to read at all
    train_period: str | None = None  # FIRST..LAST; None = the data's default split
    val_period: str | None = None
    test_period: str | None = None
    nans: str = "error"
    padding: str = "auto"  # auto = circular longitude on global grids, replicate on regional ones
    coords: bool = False  # latitude and longitude as two static input channels
    stream: bool | None = None  # read batches from disk; None = when the selection is above 2 GiB
    weights: str = "cos"  # latitude weights of loss and metrics
    target: str | None = None  # the forecast channels, e.g. "z500" or "z"; None = every channel
    rollout: str | None = None  # apply the model to its own output up to this length at the test, e.g. "72h"
    train_rollout: int = 1  # autoregressive applications in the training loss
    baselines: bool = False  # write persistence and climatology into forecast.nc

    def __post_init__(self):
        if int(self.train_rollout) < 1:
            raise CnnlabError(f"--train-rollout must be at least 1 application, got {self.train_rollout}")
        _check_choice("--nans", self.nans, NAN_POLICIES)
        _check_choice("--padding", self.padding, PADDING_CHOICES)
        _check_choice("--weights", self.weights, LATITUDE_WEIGHTS)
        _freeze_selection(self)


@dataclass(frozen=True)
class CycloneOptions:
    """--task detect|segment on generated storm scenes."""

    scenes: int = 1600  # training scenes
    val_scenes: int = 300
    test_scenes: int = 500
    grid: int = 48  # cells per side
    noise: float = 1.0
    padding: str = "auto"

    def __post_init__(self):
        _check_choice("--padding", self.padding, PADDING_CHOICES)
        if self.scenes < 1 or self.test_scenes < 1 or self.val_scenes < 0:
            raise CnnlabError("--scenes and --test-scenes must be >= 1, --val-scenes >= 0")
        if self.grid < 8:
            raise CnnlabError(f"the cyclone grid needs at least 8 cells per side, got {self.grid}")


@dataclass(frozen=True)
class ClassifyGridOptions:
    """--task classify-grid (`--task classify --labels ...` on gridded data): a class per time from its fields."""

    labels: str = ""  # a time,label CSV, or regimes:K
    variables: tuple[str, ...] = ()
    levels: tuple[float, ...] = ()
    box: tuple[float, float, float, float] | None = None
    time: tuple[str, str] | None = None
    train_period: str | None = None
    val_period: str | None = None
    test_period: str | None = None
    padding: str = "auto"
    coords: bool = False

    def __post_init__(self):
        if not self.labels:
            raise CnnlabError(
                "classifying gridded data needs labels: --labels FILE.csv (columns time,label) or --labels regimes:K"
            )
        _check_choice("--padding", self.padding, PADDING_CHOICES)
        _freeze_selection(self)


def _freeze_selection(options) -> None:
    """The grid selection of a frozen options object as tuples (hashable, and equal however it was given)."""
    object.__setattr__(options, "variables", tuple(options.variables))
    object.__setattr__(options, "levels", tuple(float(v) for v in options.levels))
    if options.box is not None:
        object.__setattr__(options, "box", tuple(float(v) for v in options.box))
    if options.time is not None:
        object.__setattr__(options, "time", tuple(options.time))


def _check_choice(flag: str, value, choices) -> None:
    if value not in choices:
        raise CnnlabError(f"{flag} {value!r} is not one of: {', '.join(choices)}")


def options_for(task: str, geo: dict):
    """The typed options of `task` from a config's `geo` dict; a key the task does not take is refused."""
    kind = {"forecast": ForecastOptions, "classify-grid": ClassifyGridOptions}.get(task, CycloneOptions)
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(geo) - known)
    if unknown:
        flag = "--" + unknown[0].replace("_", "-")
        raise CnnlabError(f"{flag} is not an option of --task {task}; it takes: {', '.join(sorted(known))}")
    return kind(**geo)
